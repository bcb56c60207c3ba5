import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type Redis from 'ioredis';
import type { Delivery, NormalizeResult } from '../shared/events';
import { classifyRedisError } from '../shared/redis';
import {
	keepAliveIntervalMs,
	partitionByDeliveries,
	reclaimBatches,
	retryDelayMs,
	runTimeoutOf,
	settleBatch,
	type AttemptResult,
	type InboxSettings,
	type RunOutcome,
} from './batching';
import {
	itemsOf,
	parseReadReply,
	prepareEntry,
	type InboxEntry,
	type PreparedEntry,
} from './entries';
import { readInboxHealth, type InboxHealth } from './health';
import { InboxStream, isMissingGroup } from './stream';

/**
 * The Inventory Inbox Trigger's loop: a consumer of one group on the inbox stream.
 *
 *   take a slot (at most Parallel batches runs in flight)
 *   → a reclaimed batch if one waits, else XREADGROUP BLOCK on a dedicated connection, then more reads until
 *     Batch size entries or Max wait after the first one
 *   → normalise (the Webhook Trigger's pure normaliser; Shopify refunds re-read when configured)
 *   → one run per batch; its end decides: success → XACK (and trim what every group acknowledged);
 *     failure → halves (batching.ts settleBatch) until a poison entry stands alone; what failed stays pending
 *   → every so often XAUTOCLAIM takes over entries idle longer than Reclaim after (a run that failed, a
 *     process that died); one delivered more than Max deliveries times goes to the dead-letter stream.
 *     Entries of runs in progress are kept alive (XCLAIM JUSTID every third of Reclaim after), so a slow run
 *     is never emitted twice while its process lives; a run that never ends is given up after the run timeout.
 *
 * Redis failures never end the loop: it retries with backoff (100 ms doubling to 5 s) and logs once per
 * outage, so the trigger works again as soon as Redis is back, with no n8n restart and no reactivation.
 * A group that vanished (Redis restarted empty) is created again. The Redis commands themselves are in
 * stream.ts; this file decides when each runs.
 */

export interface ConsumerLogger {
	debug(message: string): void;
	info(message: string): void;
	warn(message: string): void;
	error(message: string): void;
}

export interface BatchItems {
	events: PreparedEntry['events'];
	invalid: PreparedEntry['invalid'];
}

export type Reread = (
	delivery: Delivery,
	orderId: string,
) => Promise<NormalizeResult | 'unavailable' | null>;

export interface InboxConsumerOptions {
	/** The shared client of the credential (getRedis); called again after failures (cheap once connected). */
	connect: () => Promise<Redis>;
	keys: { stream: string; dlq: string };
	settings: InboxSettings;
	/** Unique per process and activation; default `<host>-<pid>-<random>`. */
	consumer?: string;
	/** Starts one run with these items and resolves when it has ended (never rejects). */
	run: (items: BatchItems) => Promise<RunOutcome>;
	/** Shopify refunds/create: read the order back (null: no re-read; 'unavailable': try again later). */
	reread?: Reread;
	/** Turns a Redis error into a message without secrets (shared/redis describeRedisError). */
	describeError?: (error: unknown) => string;
	logger: ConsumerLogger;
	/** Health item every settings.healthIntervalMs (when > 0). */
	onHealth?: (health: InboxHealth & { consumer: ConsumerStats }) => void;
	random?: () => number;
}

export interface ConsumerStats {
	name: string;
	runs: number;
	failedRuns: number;
	abandonedRuns: number;
	/** Runs that took longer than Reclaim after (and stopped counting against Parallel batches). */
	slowRuns: number;
	entriesEmitted: number;
	events: number;
	invalid: number;
	acknowledged: number;
	reclaimed: number;
	deadLettered: number;
	inFlightRuns: number;
	inFlightEntries: number;
	redisConnected: boolean;
}

const MAX_REMEMBERED_ERRORS = 50_000;
/** A consumer with nothing pending that has not read for this long (and at least 10× Reclaim after) is removed. */
const STALE_CONSUMER_MS = 3_600_000;

export function newConsumerName(): string {
	return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

function errorMessage(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}

export class InboxConsumer {
	readonly name: string;
	private readonly settings: InboxSettings;
	private closing = false;
	private loop: Promise<void> | undefined;
	private readonly stream: InboxStream;
	private busy = 0;
	private slotWaiters: Array<() => void> = [];
	private sleepers = new Set<() => void>();
	private healthTimer: NodeJS.Timeout | undefined;
	private keepAliveTimer: NodeJS.Timeout | undefined;
	private tasks = new Set<Promise<void>>();
	/** Entry ids in a run of this consumer right now: never emitted twice at once by this process. */
	private inFlight = new Set<string>();
	private lastErrors = new Map<string, string>();
	private reclaimQueue: InboxEntry[][] = [];
	private reclaimCursor = '0-0';
	private nextReclaimAt = 0;
	private nextTrimAt = 0;
	private trimRunning = false;
	private nextCleanupAt = 0;
	private groupReady = false;
	private outage = false;
	private readonly stats: Omit<
		ConsumerStats,
		'name' | 'inFlightRuns' | 'inFlightEntries' | 'redisConnected'
	> = {
		runs: 0,
		failedRuns: 0,
		abandonedRuns: 0,
		slowRuns: 0,
		entriesEmitted: 0,
		events: 0,
		invalid: 0,
		acknowledged: 0,
		reclaimed: 0,
		deadLettered: 0,
	};

	constructor(private readonly options: InboxConsumerOptions) {
		this.settings = options.settings;
		this.name = options.consumer ?? newConsumerName();
		this.stream = new InboxStream({
			keys: options.keys,
			group: this.settings.group,
			consumer: this.name,
			blockingTimeoutMs: this.settings.blockMs + this.settings.maxWaitMs + 5_000,
		});
	}

	// --- lifecycle ---------------------------------------------------------------------------------------

	/** Starts the loop (and the health timer); returns at once. */
	start(): void {
		if (this.loop) return;
		this.loop = this.runLoop();
		this.keepAliveTimer = setInterval(
			() => void this.keepAlive(),
			keepAliveIntervalMs(this.settings.reclaimAfterMs),
		);
		if (this.settings.healthIntervalMs > 0 && this.options.onHealth) {
			this.healthTimer = setInterval(() => void this.emitHealth(), this.settings.healthIntervalMs);
		}
	}

	/**
	 * Stops reading at once (the blocking read is cut by closing its connection), lets runs in flight end for at
	 * most `graceMs` so they can be acknowledged, and returns. Entries of runs that end later are still
	 * acknowledged if the process lives; otherwise they stay pending and are reclaimed by the next start.
	 */
	async close(graceMs = 5_000): Promise<void> {
		if (!this.closing) {
			this.closing = true;
			if (this.healthTimer) clearInterval(this.healthTimer);
			if (this.keepAliveTimer) clearInterval(this.keepAliveTimer);
			for (const wake of this.slotWaiters.splice(0)) wake();
			for (const wake of [...this.sleepers]) wake();
			this.stream.closeBlocking();
		}
		await this.loop?.catch(() => undefined);
		if (this.tasks.size > 0) {
			let grace: NodeJS.Timeout | undefined;
			await Promise.race([
				Promise.allSettled([...this.tasks]),
				new Promise<void>((resolve) => {
					grace = setTimeout(resolve, graceMs);
				}),
			]);
			clearTimeout(grace);
		}
		this.stream.closeBlocking();
	}

	get closed(): boolean {
		return this.closing;
	}

	snapshot(): ConsumerStats {
		return {
			name: this.name,
			...this.stats,
			inFlightRuns: this.busy,
			inFlightEntries: this.inFlight.size,
			redisConnected: !this.outage,
		};
	}

	// --- the loop ----------------------------------------------------------------------------------------

	private async runLoop(): Promise<void> {
		let failures = 0;
		while (!this.closing) {
			await this.acquireSlot();
			if (this.closing) {
				this.releaseSlot();
				break;
			}
			let batch: InboxEntry[];
			try {
				batch = await this.nextBatch();
			} catch (error) {
				this.releaseSlot();
				if (this.closing) break;
				if (isMissingGroup(error)) {
					// The group (or the whole stream) is gone: Redis restarted empty, or someone deleted it.
					this.groupReady = false;
					this.options.logger.info(
						`Inventory Inbox Trigger: consumer group '${this.settings.group}' is missing; creating it again`,
					);
					continue;
				}
				if (!this.outage) {
					this.outage = true;
					this.options.logger.warn(
						`Inventory Inbox Trigger: ${this.describe(error)}; retrying with backoff until Redis answers again`,
					);
				}
				await this.sleep(retryDelayMs(failures++, this.options.random));
				continue;
			}
			if (this.outage) {
				this.outage = false;
				this.options.logger.info('Inventory Inbox Trigger: Redis answers again; reading the inbox');
			}
			failures = 0;
			if (batch.length === 0) {
				this.releaseSlot();
				continue;
			}
			let released = false;
			const release = () => {
				if (released) return;
				released = true;
				this.releaseSlot();
			};
			const task = this.processBatch(batch, release).finally(() => {
				release();
				this.tasks.delete(task);
			});
			this.tasks.add(task);
		}
	}

	/** Reclaimed entries first, then new ones (blocking up to blockMs when the inbox is empty). */
	private async nextBatch(): Promise<InboxEntry[]> {
		const redis = await this.options.connect();
		if (!this.groupReady) {
			await this.stream.ensureGroup(redis);
			this.groupReady = true;
		}
		const now = Date.now();
		if (now >= this.nextCleanupAt) {
			this.nextCleanupAt = now + 60_000;
			// Consumers of dead processes: nothing pending, idle for an hour (and 10× Reclaim after).
			const idleMs = Math.max(STALE_CONSUMER_MS, 10 * this.settings.reclaimAfterMs);
			await this.stream
				.removeStaleConsumers(redis, idleMs)
				.catch((e: unknown) =>
					this.options.logger.debug(
						`Inventory Inbox Trigger: consumer cleanup skipped (${errorMessage(e)})`,
					),
				);
		}
		if (this.reclaimQueue.length === 0 && now >= this.nextReclaimAt) await this.reclaim(redis);
		const reclaimed = this.reclaimQueue.shift();
		if (reclaimed) return reclaimed;
		const conn = await this.stream.blockingConnection(redis);
		return await this.gather((count, blockMs) => this.stream.readNew(conn, count, blockMs));
	}

	/**
	 * The first read blocks up to blockMs; once something arrived, reads go on until Batch size entries or
	 * Max wait after the first arrival, whichever comes first.
	 */
	private async gather(
		read: (count: number, blockMs: number) => Promise<unknown>,
	): Promise<InboxEntry[]> {
		const { batchSize, maxWaitMs, blockMs } = this.settings;
		const first = parseReadReply(await read(batchSize, blockMs));
		if (first.length === 0 || first.length >= batchSize) return first;
		const out = first;
		const deadline = Date.now() + maxWaitMs;
		while (out.length < batchSize && !this.closing) {
			const left = Math.floor(deadline - Date.now());
			if (left < 1) break;
			const more = parseReadReply(await read(batchSize - out.length, left));
			if (more.length === 0) break;
			out.push(...more);
		}
		return out;
	}

	// --- a batch -----------------------------------------------------------------------------------------

	/** `releaseSlot` frees this batch's slot (once): at the end, or early when a run is slow (see runWithDeadline). */
	private async processBatch(entries: InboxEntry[], releaseSlot: () => void): Promise<void> {
		for (const e of entries) this.inFlight.add(e.id);
		try {
			const prepared: PreparedEntry[] = [];
			for (const entry of entries) {
				const p = prepareEntry(entry);
				if (p.rereadOrder && p.delivery && this.options.reread) {
					let reread: Awaited<ReturnType<NonNullable<InboxConsumerOptions['reread']>>>;
					try {
						reread = await this.options.reread(p.delivery, p.rereadOrder.orderId);
					} catch (error) {
						// Our own failure, not Redis's: this entry stays pending with the reason; the others run.
						this.rememberError(p.id, `the refunded order's re-read failed: ${errorMessage(error)}`);
						continue;
					}
					if (reread === 'unavailable') {
						// As the per-request trigger answers 503: not now. It stays pending and comes back.
						this.rememberError(p.id, 'could not re-read the refunded order from Shopify');
						continue;
					}
					if (reread) {
						p.events = reread.events;
						p.invalid = reread.invalid;
					}
				}
				prepared.push(p);
			}
			await settleBatch(
				prepared,
				async (part, depth) => await this.attempt(part, depth, releaseSlot),
			);
		} catch (error) {
			// Said as what it is: a Redis error names the server, anything else is ours and says so.
			const message = classifyRedisError(error).fromRedis
				? this.describe(error)
				: `internal error: ${errorMessage(error)}`;
			for (const e of entries) this.rememberError(e.id, message);
			this.options.logger.error(
				`Inventory Inbox Trigger: a batch could not be processed: ${message}`,
			);
		} finally {
			for (const e of entries) this.inFlight.delete(e.id);
		}
	}

	/** One run with these entries; acknowledges them when it succeeded. */
	private async attempt(
		part: PreparedEntry[],
		depth: number,
		releaseSlot: () => void,
	): Promise<AttemptResult> {
		if (this.closing) return 'stop';
		const ids = part.map((p) => p.id);
		const items = itemsOf(part);
		if (items.events.length === 0 && items.invalid.length === 0) {
			// Nothing for a workflow (a refund without re-read, a ping): acknowledged without a run.
			return (await this.ack(ids)) ? 'ok' : 'stop';
		}
		this.stats.runs++;
		const runNumber = this.stats.runs;
		const started = Date.now();
		this.options.logger.debug(
			`Inventory Inbox Trigger: run #${runNumber} with ${part.length} entries (${items.events.length} events, ${items.invalid.length} invalid), depth ${depth}`,
		);
		this.stats.entriesEmitted += part.length;
		this.stats.events += items.events.length;
		this.stats.invalid += items.invalid.length;
		const outcome = await this.runWithDeadline(
			items,
			() => void this.ack(ids),
			() => {
				this.stats.slowRuns++;
				this.options.logger.warn(
					`Inventory Inbox Trigger: run #${runNumber} (${part.length} entries) has not ended after ${this.settings.reclaimAfterMs} ms; ` +
						'it no longer counts against Parallel batches, its entries stay reserved until it ends or the run timeout. ' +
						'In queue mode, set N8N_EXECUTIONS_QUEUE_KEEP_LAST_COMPLETED (e.g. 1000): with 0, n8n can miss the end of a fast run.',
				);
				releaseSlot();
			},
		);
		this.options.logger.debug(
			`Inventory Inbox Trigger: run #${runNumber} ended after ${Date.now() - started} ms: ${outcome === 'abandoned' ? 'abandoned' : outcome.ok ? 'success' : `failed (${outcome.error})`}`,
		);
		if (outcome === 'abandoned') {
			this.stats.abandonedRuns++;
			const limit = runTimeoutOf(this.settings);
			for (const id of ids) {
				this.inFlight.delete(id); // no longer kept alive: reclaimed after Reclaim after
				this.rememberError(id, `the run did not end within ${limit} ms`);
			}
			this.options.logger.warn(
				`Inventory Inbox Trigger: a run with ${part.length} inbox entries did not end within ${limit} ms; ` +
					'its entries will be reclaimed and emitted again (acknowledged anyway if the run still succeeds)',
			);
			return 'stop';
		}
		if (outcome.ok) return (await this.ack(ids)) ? 'ok' : 'stop';
		this.stats.failedRuns++;
		for (const id of ids) this.rememberError(id, outcome.error);
		return 'failed';
	}

	/**
	 * The run's end, or 'abandoned' after the run timeout (a donePromise that never settles must not hold a slot
	 * for ever): its slot is freed and its entries become reclaimable. An abandoned run that still succeeds later
	 * acknowledges its entries then (`onLateSuccess`).
	 */
	private async runWithDeadline(
		items: BatchItems,
		onLateSuccess: () => void,
		onSlow: () => void,
	): Promise<RunOutcome | 'abandoned'> {
		let timer: NodeJS.Timeout | undefined;
		const deadline = new Promise<'abandoned'>((resolve) => {
			timer = setTimeout(() => resolve('abandoned'), runTimeoutOf(this.settings));
			timer.unref();
		});
		// A run slower than Reclaim after stops holding its slot, so a lost end (n8n queue mode with
		// N8N_EXECUTIONS_QUEUE_KEEP_LAST_COMPLETED=0 can lose the end of a fast run) never stalls the trigger.
		const slow = setTimeout(onSlow, this.settings.reclaimAfterMs);
		slow.unref();
		const run = this.options
			.run(items)
			.catch((error: unknown): RunOutcome => ({ ok: false, error: errorMessage(error) }));
		try {
			const outcome = await Promise.race([run, deadline]);
			if (outcome === 'abandoned') void run.then((late) => late.ok && onLateSuccess());
			return outcome;
		} finally {
			clearTimeout(timer);
			clearTimeout(slow);
		}
	}

	private rememberError(id: string, message: string): void {
		if (this.lastErrors.size >= MAX_REMEMBERED_ERRORS) {
			const oldest = this.lastErrors.keys().next().value;
			if (oldest !== undefined) this.lastErrors.delete(oldest);
		}
		this.lastErrors.set(id, message);
	}

	// --- Redis steps (the commands are in stream.ts) -------------------------------------------------------

	private async ack(ids: string[]): Promise<boolean> {
		for (let attempt = 0; ; attempt++) {
			try {
				await this.stream.ack(await this.options.connect(), ids);
				this.stats.acknowledged += ids.length;
				for (const id of ids) this.lastErrors.delete(id);
				void this.trimSoon();
				return true;
			} catch (error) {
				if (attempt >= 5) {
					this.options.logger.warn(
						`Inventory Inbox Trigger: could not acknowledge ${ids.length} processed entries (${this.describe(error)}); ` +
							'they stay pending and will be processed again after Reclaim after',
					);
					return false;
				}
				await this.sleep(retryDelayMs(attempt, this.options.random), false);
			}
		}
	}

	/**
	 * Keeps the entries of runs in progress (and of reclaimed batches waiting for a slot) from being reclaimed:
	 * XCLAIM … JUSTID to ourselves resets their idle time and does not count as a delivery. Only a process that
	 * stopped (crash, kill, lost worker) lets its entries' idle time grow past Reclaim after.
	 */
	private async keepAlive(): Promise<void> {
		if (this.closing || this.inFlight.size === 0) return;
		const ids = [...this.inFlight];
		try {
			await this.stream.keepAlive(await this.options.connect(), ids);
		} catch (error) {
			this.options.logger.debug(
				`Inventory Inbox Trigger: keep-alive skipped (${errorMessage(error)})`,
			);
		}
	}

	/** At most once a second, after acknowledgements: XTRIM MINID below what every group still needs. */
	private async trimSoon(): Promise<void> {
		const now = Date.now();
		if (this.trimRunning || now < this.nextTrimAt) return;
		this.trimRunning = true;
		this.nextTrimAt = now + 1_000;
		try {
			await this.stream.trimAcknowledged(await this.options.connect());
		} catch (error) {
			this.options.logger.debug(`Inventory Inbox Trigger: trim skipped (${errorMessage(error)})`);
		} finally {
			this.trimRunning = false;
		}
	}

	/**
	 * XAUTOCLAIM entries idle longer than Reclaim after (from any consumer of the group, this one included),
	 * reads their delivery counts, dead-letters those delivered more than Max deliveries times and queues the
	 * rest in batches that shrink with the deliveries (batching.ts reclaimBatches).
	 */
	private async reclaim(redis: Redis): Promise<void> {
		const { reclaimAfterMs, batchSize, maxDeliveries } = this.settings;
		const { cursor, entries } = await this.stream.autoClaim(
			redis,
			reclaimAfterMs,
			this.reclaimCursor,
			batchSize,
		);
		this.reclaimCursor = cursor;
		const interval = Math.min(Math.max(Math.floor(reclaimAfterMs / 4), 100), 5_000);
		this.nextReclaimAt = cursor === '0-0' ? Date.now() + interval : Date.now();
		const claimed = entries.filter((e) => !this.inFlight.has(e.id));
		if (claimed.length === 0) return;
		await this.stream.readDeliveries(redis, claimed);
		const { retry, dead } = partitionByDeliveries(claimed, maxDeliveries);
		if (dead.length > 0) await this.deadLetter(redis, dead);
		this.stats.reclaimed += retry.length;
		if (retry.length > 0) {
			this.options.logger.info(
				`Inventory Inbox Trigger: reclaimed ${retry.length} entries pending longer than ${reclaimAfterMs} ms`,
			);
		}
		// Kept alive (and never claimed again by us) while they wait for a slot.
		for (const e of retry) this.inFlight.add(e.id);
		this.reclaimQueue.push(...reclaimBatches(retry, batchSize));
	}

	private async deadLetter(redis: Redis, entries: InboxEntry[]): Promise<void> {
		const letters = entries.map((e) => ({
			id: e.id,
			deliveries: e.deliveries,
			lastError: this.lastErrors.get(e.id),
		}));
		await this.stream.deadLetter(redis, letters, new Date().toISOString());
		this.stats.deadLettered += entries.length;
		for (const e of entries) this.lastErrors.delete(e.id);
		this.options.logger.warn(
			`Inventory Inbox Trigger: ${entries.length} inbox entr${entries.length === 1 ? 'y' : 'ies'} moved to the dead-letter stream ` +
				`${this.options.keys.dlq} after more than ${this.settings.maxDeliveries} deliveries (ids ${entries
					.slice(0, 5)
					.map((e) => e.id)
					.join(', ')}${entries.length > 5 ? ', …' : ''})`,
		);
	}

	// --- manual mode -------------------------------------------------------------------------------------

	/**
	 * Manual executions ("Execute step", "Listen for test event"): one batch of the entries this group has not
	 * read yet, read with plain XREAD — nothing is delivered to the group, nothing is acknowledged, so the
	 * active workflow still processes every entry. Waits until something arrives or close() is called
	 * (then resolves with an empty list).
	 */
	async peekBatch(): Promise<PreparedEntry[]> {
		const redis = await this.options.connect();
		await this.stream.ensureGroup(redis);
		let after = await this.stream.lastDeliveredId(redis);
		const conn = await this.stream.blockingConnection(redis);
		let entries: InboxEntry[] = [];
		while (!this.closing && entries.length === 0) {
			entries = await this.gather(async (count, blockMs) => {
				const reply = await this.stream.peek(conn, after, count, blockMs);
				const got = parseReadReply(reply);
				if (got.length > 0) after = got[got.length - 1].id;
				return reply;
			});
		}
		const prepared: PreparedEntry[] = [];
		for (const entry of entries) {
			const p = prepareEntry(entry);
			if (p.rereadOrder && p.delivery && this.options.reread) {
				const reread = await this.options.reread(p.delivery, p.rereadOrder.orderId);
				if (reread && reread !== 'unavailable') {
					p.events = reread.events;
					p.invalid = reread.invalid;
				}
			}
			prepared.push(p);
		}
		return prepared;
	}

	// --- health ------------------------------------------------------------------------------------------

	async health(): Promise<InboxHealth & { consumer: ConsumerStats }> {
		const redis = await this.options.connect();
		const figures = await readInboxHealth(redis, this.options.keys, this.settings.group);
		return { ...figures, consumer: this.snapshot() };
	}

	private async emitHealth(): Promise<void> {
		if (this.closing || !this.options.onHealth) return;
		try {
			this.options.onHealth(await this.health());
		} catch (error) {
			this.options.logger.debug(
				`Inventory Inbox Trigger: health figures unavailable (${this.describe(error)})`,
			);
		}
	}

	// --- small tools -------------------------------------------------------------------------------------

	private describe(error: unknown): string {
		// A command cut by a lost connection fails with ioredis' "max retries per request": say what happened.
		const plain =
			classifyRedisError(error).kind === 'retriesSpent' ? new Error('Connection is closed') : error;
		return this.options.describeError ? this.options.describeError(plain) : errorMessage(plain);
	}

	private async acquireSlot(): Promise<void> {
		while (this.busy >= this.settings.parallelBatches && !this.closing) {
			await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
		}
		this.busy++;
	}

	private releaseSlot(): void {
		this.busy--;
		this.slotWaiters.shift()?.();
	}

	/** A pause that close() cuts short when interruptible. */
	private async sleep(ms: number, interruptible = true): Promise<void> {
		await new Promise<void>((resolve) => {
			const done = () => {
				clearTimeout(timer);
				this.sleepers.delete(done);
				resolve();
			};
			const timer = setTimeout(done, ms);
			if (interruptible) this.sleepers.add(done);
		});
	}
}
