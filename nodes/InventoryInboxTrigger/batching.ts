import { backoffDelay, type Backoff, type RandomSource } from '../shared/backoff';

/**
 * The Inventory Inbox Trigger's pure logic (no Redis, no timers): settings, how a failed batch is split until a
 * poison entry stands alone, how reclaimed entries are regrouped, stream-id arithmetic, the retry backoff, and
 * how a finished run is classified. consumer.ts and stream.ts do the I/O around these.
 */

// ---------------------------------------------------------------------------------------------------------
// Settings

export interface InboxSettings {
	/** Stream name after the key prefix (the Webhook Trigger's "Inbox Stream"). */
	readonly stream: string;
	/** Consumer group: processes sharing a group share the work; each group sees every entry. */
	readonly group: string;
	/** Most entries per run. */
	readonly batchSize: number;
	/** After the first entry of a batch arrived, how long to wait for more before starting the run. */
	readonly maxWaitMs: number;
	/**
	 * Entries pending (delivered, not acknowledged) and idle longer than this are taken over and emitted again:
	 * those of a failed run, and those of a process that died. Entries of a run still in progress are kept
	 * alive (touched every third of this), so a slow run is never emitted twice while its process lives.
	 */
	readonly reclaimAfterMs: number;
	/** An entry delivered more often than this goes to the dead-letter stream. */
	readonly maxDeliveries: number;
	/** Most runs of this trigger in flight at once. */
	readonly parallelBatches: number;
	/** 0: no Health output; otherwise a health item every this many ms. */
	readonly healthIntervalMs: number;
	/** Longest single blocking read when idle (the loop checks reclaim and close between reads). */
	readonly blockMs: number;
	/**
	 * A run not ended after this long is given up (its slot freed, its entries no longer kept alive, so they are
	 * reclaimed). 0: automatic, 10 × Reclaim after and at least 10 minutes.
	 */
	readonly runTimeoutMs: number;
}

export const DEFAULT_SETTINGS: InboxSettings = Object.freeze({
	stream: 'inbox',
	group: 'inbox-trigger',
	batchSize: 500,
	maxWaitMs: 100,
	reclaimAfterMs: 60_000,
	maxDeliveries: 5,
	parallelBatches: 2,
	healthIntervalMs: 0,
	blockMs: 1_000,
	runTimeoutMs: 0,
});

const LIMITS: Record<Exclude<keyof InboxSettings, 'stream' | 'group'>, [number, number]> = {
	batchSize: [1, 10_000],
	maxWaitMs: [0, 60_000],
	reclaimAfterMs: [100, 24 * 3_600_000],
	maxDeliveries: [1, 1_000],
	parallelBatches: [1, 64],
	healthIntervalMs: [0, 24 * 3_600_000],
	blockMs: [10, 60_000],
	runTimeoutMs: [0, 7 * 24 * 3_600_000],
};

export class SettingsError extends Error {}

/**
 * Defaults filled in and each field checked (node-redlock's settings pattern): a readonly, complete object,
 * or a SettingsError naming the field and its allowed range.
 */
export function inboxSettings(
	partial: Partial<Record<keyof InboxSettings, unknown>> = {},
): InboxSettings {
	const out: Record<string, unknown> = { ...DEFAULT_SETTINGS };
	for (const name of ['stream', 'group'] as const) {
		const value = partial[name];
		if (value === undefined || value === null || value === '') continue;
		if (typeof value !== 'string' || !value.trim())
			throw new SettingsError(`${name} must be a non-empty text`);
		if (value.length > 200) throw new SettingsError(`${name} is longer than 200 characters`);
		out[name] = value.trim();
	}
	for (const [name, [min, max]] of Object.entries(LIMITS)) {
		const value = partial[name as keyof InboxSettings];
		if (value === undefined || value === null || value === '') continue;
		const n = typeof value === 'number' ? value : Number(value);
		if (!Number.isFinite(n) || n < min || n > max) {
			throw new SettingsError(
				`${name} must be a number from ${min} to ${max} (got ${String(value).slice(0, 40)})`,
			);
		}
		out[name] =
			name === 'batchSize' || name === 'maxDeliveries' || name === 'parallelBatches'
				? Math.floor(n)
				: Math.round(n);
	}
	return Object.freeze(out) as unknown as InboxSettings;
}

// ---------------------------------------------------------------------------------------------------------
// Splitting a failed batch

/** The first half gets the extra element of an odd list. */
export function halves<T>(list: readonly T[]): [T[], T[]] {
	const middle = Math.ceil(list.length / 2);
	return [list.slice(0, middle), list.slice(middle)];
}

/** What one run of a part of a batch ended with: 'stop' = do not go on (closing, run abandoned, Redis lost). */
export type AttemptResult = 'ok' | 'failed' | 'stop';

export interface SettleResult<T> {
	/** Entries that no run processed successfully: they stay pending (reclaimed after Reclaim after). */
	pending: T[];
	/** Runs started, the first one included. */
	runs: number;
	/** Parts that succeeded, in the order they did. */
	succeeded: T[][];
}

/** Most runs one batch may cost while being halved: room for a few poison entries, a bound on a cascade. */
export function runBudget(batchLength: number): number {
	return 1 + 8 * Math.ceil(Math.log2(Math.max(2, batchLength)));
}

/**
 * Runs a batch; when the run fails, runs each half, and keeps halving the parts that fail, so that a poison
 * entry ends alone (pending) while every neighbour is processed — about 2·log2(n) extra runs for one poison
 * entry, 2·k·log2(n/k) for k of them.
 *
 * When both halves of the whole batch fail, the cause is taken to be outside the entries (a node or an API is
 * down): halving stops and the batch stays pending, instead of running ever smaller parts against a broken
 * workflow. (Two poison entries that landed in different halves are then separated on the next delivery:
 * reclaimed entries come back in batches of half the size, see reclaimBatches.) Deeper down, both halves
 * failing means more than one poison entry, and both are halved further, within runBudget runs in all.
 *
 * `attempt` starts one run with the part and resolves when it ended; `depth` is 0 for the batch itself.
 */
export async function settleBatch<T>(
	batch: readonly T[],
	attempt: (part: T[], depth: number) => Promise<AttemptResult>,
	options: { maxRuns?: number } = {},
): Promise<SettleResult<T>> {
	const result: SettleResult<T> = { pending: [], runs: 0, succeeded: [] };
	if (batch.length === 0) return result;
	const maxRuns = options.maxRuns ?? runBudget(batch.length);
	let stopped = false;
	const tryPart = async (part: T[], depth: number): Promise<AttemptResult> => {
		if (stopped || result.runs >= maxRuns) {
			stopped = true;
			return 'stop';
		}
		result.runs++;
		const outcome = await attempt(part, depth);
		if (outcome === 'ok') result.succeeded.push(part);
		if (outcome === 'stop') stopped = true;
		return outcome;
	};
	const bisect = async (part: T[], depth: number): Promise<void> => {
		if (part.length <= 1 || stopped) {
			result.pending.push(...part);
			return;
		}
		const [a, b] = halves(part);
		const ra = await tryPart(a, depth + 1);
		const rb = await tryPart(b, depth + 1);
		const failedA = ra !== 'ok';
		const failedB = rb !== 'ok';
		if (stopped || (depth === 0 && failedA && failedB)) {
			if (failedA) result.pending.push(...a);
			if (failedB) result.pending.push(...b);
			return;
		}
		if (failedA) await bisect(a, depth + 1);
		if (failedB) await bisect(b, depth + 1);
	};
	const first = await tryPart([...batch], 0);
	if (first === 'stop') result.pending.push(...batch);
	else if (first === 'failed') await bisect([...batch], 0);
	return result;
}

/**
 * The largest batch a reclaimed entry may travel in: the batch size halved for every delivery after the
 * first (500, 250, 125, …, at least 1). Entries that keep failing together are pulled apart this way.
 */
export function reclaimBatchLimit(batchSize: number, deliveries: number): number {
	const halvings = Math.max(0, Math.min(30, Math.floor(deliveries) - 1));
	return Math.max(1, Math.floor(batchSize / 2 ** halvings));
}

/** Groups reclaimed entries (in stream order) into batches that respect each member's reclaimBatchLimit. */
export function reclaimBatches<T extends { deliveries: number }>(
	entries: readonly T[],
	batchSize: number,
): T[][] {
	const out: T[][] = [];
	let current: T[] = [];
	let limit = Infinity;
	for (const entry of entries) {
		const own = reclaimBatchLimit(batchSize, entry.deliveries);
		const nextLimit = Math.min(limit, own);
		if (current.length > 0 && current.length + 1 > nextLimit) {
			out.push(current);
			current = [];
			limit = Infinity;
		}
		current.push(entry);
		limit = Math.min(limit, own);
	}
	if (current.length > 0) out.push(current);
	return out;
}

/** Splits claimed entries into those still to run and those delivered more than maxDeliveries times. */
export function partitionByDeliveries<T extends { deliveries: number }>(
	entries: readonly T[],
	maxDeliveries: number,
): { retry: T[]; dead: T[] } {
	const retry: T[] = [];
	const dead: T[] = [];
	for (const e of entries) (e.deliveries > maxDeliveries ? dead : retry).push(e);
	return { retry, dead };
}

// ---------------------------------------------------------------------------------------------------------
// Stream ids

export interface StreamId {
	ms: bigint;
	seq: bigint;
}

const ID_SHAPE = /^(\d+)-(\d+)$/;

export function parseStreamId(id: string): StreamId {
	const m = ID_SHAPE.exec(id);
	if (!m) throw new Error(`not a stream id: '${id.slice(0, 40)}'`);
	return { ms: BigInt(m[1]), seq: BigInt(m[2]) };
}

/** Milliseconds since the entry was added (its id's time part), never negative. */
export function entryAgeMs(id: string, nowMs: number): number {
	return Math.max(0, nowMs - Number(parseStreamId(id).ms));
}

/** The run timeout in force: the setting, or 10 × Reclaim after and at least 10 minutes. */
export function runTimeoutOf(
	settings: Pick<InboxSettings, 'runTimeoutMs' | 'reclaimAfterMs'>,
): number {
	return settings.runTimeoutMs > 0
		? settings.runTimeoutMs
		: Math.max(10 * settings.reclaimAfterMs, 600_000);
}

/** How often the entries of runs in progress are touched: a third of Reclaim after (at least 50 ms). */
export function keepAliveIntervalMs(reclaimAfterMs: number): number {
	return Math.max(50, Math.floor(reclaimAfterMs / 3));
}

// ---------------------------------------------------------------------------------------------------------
// Retry of the loop when Redis fails

/** The loop's backoff (shared/backoff.ts): 100 ms doubling up to 5 s, equal jitter (from [ceiling/2, ceiling]). */
export const LOOP_BACKOFF: Backoff = Object.freeze({ baseMs: 100, capMs: 5_000, jitter: 'equal' });

export function retryDelayMs(attempt: number, random: RandomSource = Math.random): number {
	return backoffDelay(attempt, LOOP_BACKOFF, random);
}

// ---------------------------------------------------------------------------------------------------------
// Runs

export type RunOutcome = { ok: true } | { ok: false; error: string };

/**
 * A finished run, as n8n hands it to the donePromise (an IRun): success when it carries no
 * `data.resultData.error` (what the RabbitMQ Trigger checks) and its status is not a failure.
 */
export function runOutcome(run: unknown): RunOutcome {
	if (run === undefined || run === null || typeof run !== 'object') {
		return { ok: false, error: 'the run ended without a result' };
	}
	const r = run as { status?: unknown; data?: { resultData?: { error?: unknown } } };
	const error = r.data?.resultData?.error;
	if (error) {
		const message =
			typeof error === 'object' && error && 'message' in error
				? String((error as { message: unknown }).message)
				: String(error);
		return { ok: false, error: message || 'the run failed' };
	}
	if (r.status === 'error' || r.status === 'crashed' || r.status === 'canceled') {
		return { ok: false, error: `the run ended with status '${String(r.status)}'` };
	}
	return { ok: true };
}
