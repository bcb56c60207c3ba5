/**
 * Lag samples (pure: no Redis here; lagStream.ts reads and writes them): how long a change took from the
 * event's `receivedAt` (the webhook's receipt) until the channel confirmed it (a publish or adjustment
 * answered). The channel nodes append one sample per confirmed SKU to `<prefix>:lag:<channel>`
 * (channelKeys.lag); the Ledger's Health reads them back and reports p50 / p95 / p99 over a recent window
 * (`lagPercentiles`).
 *
 * Entry fields: `ms` (integer milliseconds ≥ 0), `sku`, `op` ('publish' | 'adjust'). The entry id's time is the
 * confirmation time (Redis's clock), which is what the window is measured on.
 */

/** Samples kept per channel (XADD MAXLEN ~): far more than a 15-minute window of a busy shop needs. */
export const LAG_SAMPLES_CAP = 10_000;

export type LagOperation = 'publish' | 'adjust';

export interface LagSample {
	readonly sku: string;
	readonly op: LagOperation;
	/** receivedAt → confirmed, ms (negative clock skew is stored as 0). */
	readonly ms: number;
}

export interface LagPercentiles {
	/** null when the window holds no sample. */
	readonly p50: number | null;
	readonly p95: number | null;
	readonly p99: number | null;
	/** Samples in the window that were used. */
	readonly samples: number;
	/** The window, ms. */
	readonly window: number;
}

/**
 * The nearest-rank percentile (the smallest value with at least p % of the samples at or below it) of
 * ascending-sorted values: rank ⌈p/100 · n⌉, 1-based. Pure; undefined for no values.
 */
export function nearestRank(sortedAscending: readonly number[], p: number): number | undefined {
	if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100] (got ${p})`);
	const n = sortedAscending.length;
	if (n === 0) return undefined;
	const rank = Math.max(1, Math.ceil((p / 100) * n));
	return sortedAscending[Math.min(n, rank) - 1];
}

/**
 * p50 / p95 / p99 of the samples whose time (their stream id's ms) lies within `windowMs` before `nowMs`
 * (inclusive at both ends); samples from the future (skewed writers) count as now. Samples that are not a
 * finite number ≥ 0 are ignored. Pure.
 */
export function lagPercentiles(
	samples: ReadonlyArray<{ readonly atMs: number; readonly ms: number }>,
	nowMs: number,
	windowMs: number,
): LagPercentiles {
	const from = nowMs - windowMs;
	const values = samples
		.filter((s) => s.atMs >= from && Number.isFinite(s.ms) && s.ms >= 0)
		.map((s) => s.ms)
		.sort((a, b) => a - b);
	const at = (p: number) => nearestRank(values, p) ?? null;
	return { p50: at(50), p95: at(95), p99: at(99), samples: values.length, window: windowMs };
}

/** A lag stream entry (XRANGE row) as { atMs, ms }; undefined when it is not a sample. Pure. */
export function readLagEntry(
	id: string,
	fields: readonly string[],
): { atMs: number; ms: number } | undefined {
	const atMs = Number(id.split('-')[0]);
	let ms: number | undefined;
	for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === 'ms') ms = Number(fields[i + 1]);
	if (!Number.isFinite(atMs) || ms === undefined || !Number.isFinite(ms)) return undefined;
	return { atMs, ms };
}
