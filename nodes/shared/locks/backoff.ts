import { backoffDelay, type RandomSource } from '../backoff';

/**
 * Retry delays for a busy lock: the package's backoff (shared/backoff.ts), exponential from `baseMs`, capped
 * at `capMs`, with "equal jitter": the delay is drawn from [ceiling/2, ceiling], so contenders spread out (no
 * thundering herd when a lock is released) and never spin with a zero delay.
 */

export interface BackoffSettings {
	readonly baseMs: number;
	readonly capMs: number;
}

export type { RandomSource };

export function lockRetryDelay(
	attempt: number,
	settings: BackoffSettings,
	random: RandomSource = Math.random,
): number {
	return backoffDelay(
		attempt,
		{ baseMs: settings.baseMs, capMs: settings.capMs, jitter: 'equal' },
		random,
	);
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
