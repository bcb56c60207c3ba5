/**
 * The package's one jittered exponential backoff (style.md: BullMQ backoffs.ts, a pure `(attempt) => delayMs`
 * with the random source injectable). The ceiling of attempt n is `baseMs · 2^n`, capped at `capMs`; the
 * delay is drawn below it:
 * - 'full' jitter: from [0, ceiling] (widest spread),
 * - 'equal' jitter: from [ceiling/2, ceiling] (spread out, and never much shorter than the ceiling).
 * Always at least 1 ms, so a caller never spins with a zero delay.
 */

/** Returns a number in [0, 1), like Math.random. */
export type RandomSource = () => number;

export type Jitter = 'full' | 'equal';

export interface Backoff {
	/** Ceiling of the first attempt (attempt 0), ms. */
	readonly baseMs: number;
	/** Largest ceiling, ms. */
	readonly capMs: number;
	readonly jitter: Jitter;
}

/** Attempts past this one all have the capped ceiling (keeps 2^n finite). */
const MAX_EXPONENT = 30;

/** The delay before retry number `attempt` (0 = the first retry), in ms. */
export function backoffDelay(
	attempt: number,
	backoff: Backoff,
	random: RandomSource = Math.random,
): number {
	const exponent = Math.max(0, Math.min(Math.floor(attempt), MAX_EXPONENT));
	const ceiling = Math.max(1, Math.min(backoff.capMs, backoff.baseMs * 2 ** exponent));
	const r = Math.min(Math.max(random(), 0), 1);
	const floor = backoff.jitter === 'equal' ? ceiling / 2 : 0;
	return Math.max(1, Math.round(floor + r * (ceiling - floor)));
}
