/** Waiting in tests: on a condition, never on a guess (a fixed sleep only where the time itself is tested). */

export const sleep = async (ms: number): Promise<void> =>
	await new Promise((r) => setTimeout(r, ms));

/**
 * Reads until `done(value)` holds and returns that value; throws after `timeoutMs` with the last value read.
 * `intervalMs` between reads (default 25 ms; e2e reads of n8n's API use more).
 */
export async function waitFor<T>(
	read: () => Promise<T> | T,
	done: (value: T) => boolean,
	timeoutMs = 15_000,
	what = 'condition',
	intervalMs = 25,
): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await read();
		if (done(value)) return value;
		if (Date.now() > deadline) {
			throw new Error(
				`waitFor(${what}): not reached in ${timeoutMs} ms; last value ${JSON.stringify(value)?.slice(0, 400)}`,
			);
		}
		await sleep(intervalMs);
	}
}
