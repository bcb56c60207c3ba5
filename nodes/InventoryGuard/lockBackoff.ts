/**
 * Retry delays for a busy lock (style.md: BullMQ backoffs.ts, a pure `(attempt) => delayMs` with the random
 * source injectable). Exponential from `baseMs`, capped at `capMs`, with "equal jitter": the delay is drawn
 * from [ceiling/2, ceiling], so contenders spread out (no thundering herd when a lock is released) and never
 * spin with a zero delay.
 */

export interface BackoffSettings {
	readonly baseMs: number;
	readonly capMs: number;
}

/** Returns a number in [0, 1), like Math.random. */
export type RandomSource = () => number;

export function lockRetryDelay(
	attempt: number,
	settings: BackoffSettings,
	random: RandomSource = Math.random,
): number {
	const exponent = Math.max(0, Math.min(Math.floor(attempt), 30));
	const ceiling = Math.max(1, Math.min(settings.capMs, settings.baseMs * 2 ** exponent));
	const r = Math.min(Math.max(random(), 0), 1);
	return Math.max(1, Math.round(ceiling / 2 + (r * ceiling) / 2));
}

/**
 * How long to sleep before the next attempt, or null when the wait budget is spent.
 * - never past the deadline (`maxWaitMs` after the first attempt), so a run waits at most what it was told;
 * - never much past the moment the holder's lock expires (`holderTtlMs`, from the busy reply), since the key
 *   is free then (a holder that releases earlier is caught by the regular retries).
 */
export function nextLockWait(options: {
	attempt: number;
	elapsedMs: number;
	maxWaitMs: number;
	settings: BackoffSettings;
	random?: RandomSource;
	holderTtlMs?: number;
}): number | null {
	const remaining = options.maxWaitMs - options.elapsedMs;
	if (remaining <= 0) return null;
	let delay = lockRetryDelay(options.attempt, options.settings, options.random);
	if (options.holderTtlMs !== undefined && options.holderTtlMs >= 0) {
		delay = Math.min(delay, options.holderTtlMs + 1);
	}
	return Math.max(1, Math.min(delay, remaining));
}
