import { join } from 'node:path';
import type { Result } from 'ioredis';
import type Redis from 'ioredis';
import { deadLetterReason } from '../shared/deadLetters';
import { classifyRedisError } from '../shared/redis';
import { loadScripts } from '../shared/scripts';
import { parseEntries, type InboxEntry } from './entries';

/**
 * The inbox stream's Redis verbs for one consumer of one group (consumer.ts decides when): create the group,
 * read new entries (XREADGROUP) on a connection of our own, take over idle ones (XAUTOCLAIM) with their
 * delivery counts, acknowledge (XACK), keep entries of runs in progress alive (XCLAIM JUSTID), move entries
 * to the dead-letter stream and trim acknowledged ones (lua/), remove stale consumers, and peek (plain XREAD)
 * for manual runs.
 */

const LUA_DIR = join(__dirname, 'lua');

declare module 'ioredis' {
	interface RedisCommander<Context> {
		inboxDeadLetterEntries(
			streamKey: string,
			dlqKey: string,
			...args: Array<string | number>
		): Result<number, Context>;
		inboxTrimAcknowledged(streamKey: string): Result<number, Context>;
	}
}

/** XACK / XCLAIM ids per command, so one huge batch never makes one huge command. */
const IDS_PER_COMMAND = 1_000;

export interface InboxStreamOptions {
	keys: { stream: string; dlq: string };
	group: string;
	/** This consumer's name in the group. */
	consumer: string;
	/** Command timeout of the blocking connection (longer than the longest blocking read). */
	blockingTimeoutMs: number;
}

/** A dead letter to write: the entry, how often it was delivered, and the last error of its runs. */
export interface DeadLetterRequest {
	id: string;
	deliveries: number;
	lastError: string | undefined;
}

/** True for a reply saying the group (or its whole stream) is gone: Redis restarted empty, or someone deleted it. */
export function isMissingGroup(error: unknown): boolean {
	return classifyRedisError(error).kind === 'noGroup';
}

export class InboxStream {
	private blocking: Redis | undefined;
	private closed = false;

	constructor(private readonly options: InboxStreamOptions) {}

	get keys(): { stream: string; dlq: string } {
		return this.options.keys;
	}

	/** Creates the group (and the stream) reading from the start; one that exists already is what we wanted. */
	async ensureGroup(redis: Redis): Promise<void> {
		const failure = await redis
			.xgroup('CREATE', this.options.keys.stream, this.options.group, '0', 'MKSTREAM')
			.then(
				() => undefined,
				(error: unknown) => error,
			);
		if (failure !== undefined && classifyRedisError(failure).kind !== 'busyGroup') throw failure;
	}

	/** XREADGROUP of new entries for this consumer (the raw reply: entries.ts parseReadReply). */
	async readNew(conn: Redis, count: number, blockMs: number): Promise<unknown> {
		const { keys, group, consumer } = this.options;
		return await conn.callBuffer(
			'XREADGROUP',
			'GROUP',
			group,
			consumer,
			'COUNT',
			count,
			...(blockMs > 0 ? ['BLOCK', blockMs] : []),
			'STREAMS',
			keys.stream,
			'>',
		);
	}

	/** The group's last-delivered id ('0-0' when the group is not found): where a peek starts. */
	async lastDeliveredId(redis: Redis): Promise<string> {
		const groups = (await redis.xinfo('GROUPS', this.options.keys.stream)) as unknown[][];
		let after = '0-0';
		for (const raw of groups) {
			const g: Record<string, unknown> = {};
			for (let i = 0; i + 1 < raw.length; i += 2) g[String(raw[i])] = raw[i + 1];
			if (String(g.name) === this.options.group) after = String(g['last-delivered-id']);
		}
		return after;
	}

	/** Plain XREAD after `after`: nothing is delivered to the group (manual runs). */
	async peek(conn: Redis, after: string, count: number, blockMs: number): Promise<unknown> {
		return await conn.callBuffer(
			'XREAD',
			'COUNT',
			count,
			...(blockMs > 0 ? ['BLOCK', blockMs] : []),
			'STREAMS',
			this.options.keys.stream,
			after,
		);
	}

	/**
	 * XAUTOCLAIM entries idle longer than `minIdleMs` (from any consumer of the group, this one included) from
	 * `cursor` on; the next cursor ('0-0': the scan went round) and the claimed entries.
	 */
	async autoClaim(
		redis: Redis,
		minIdleMs: number,
		cursor: string,
		count: number,
	): Promise<{ cursor: string; entries: InboxEntry[] }> {
		const reply = (await redis.callBuffer(
			'XAUTOCLAIM',
			this.options.keys.stream,
			this.options.group,
			this.options.consumer,
			minIdleMs,
			cursor,
			'COUNT',
			count,
		)) as [Buffer, unknown, unknown?];
		return { cursor: reply[0].toString('latin1'), entries: parseEntries(reply[1]) };
	}

	/** Sets each entry's `deliveries` from XPENDING (2 when it cannot be read: it was delivered again just now). */
	async readDeliveries(redis: Redis, entries: InboxEntry[]): Promise<void> {
		const { keys, group } = this.options;
		const pipeline = redis.pipeline();
		for (const e of entries) pipeline.xpending(keys.stream, group, e.id, e.id, 1);
		const counts = (await pipeline.exec()) ?? [];
		entries.forEach((e, i) => {
			const [error, rows] = counts[i] ?? [null, []];
			const row = !error && Array.isArray(rows) ? (rows[0] as unknown[] | undefined) : undefined;
			e.deliveries = row ? Number(row[3]) : 2;
		});
	}

	/** XACK, pipelined; throws the first failure. */
	async ack(redis: Redis, ids: readonly string[]): Promise<void> {
		const pipeline = redis.pipeline();
		for (let i = 0; i < ids.length; i += IDS_PER_COMMAND) {
			pipeline.xack(
				this.options.keys.stream,
				this.options.group,
				...ids.slice(i, i + IDS_PER_COMMAND),
			);
		}
		const results = await pipeline.exec();
		for (const [error] of results ?? []) if (error) throw error;
	}

	/** XCLAIM … JUSTID to ourselves: resets the entries' idle time without counting a delivery. */
	async keepAlive(redis: Redis, ids: readonly string[]): Promise<void> {
		const { keys, group, consumer } = this.options;
		const pipeline = redis.pipeline();
		for (let i = 0; i < ids.length; i += IDS_PER_COMMAND) {
			pipeline.call(
				'XCLAIM',
				keys.stream,
				group,
				consumer,
				0,
				...ids.slice(i, i + IDS_PER_COMMAND),
				'JUSTID',
			);
		}
		await pipeline.exec();
	}

	/** XTRIM MINID below what every group still needs (trimAcknowledged-1.lua); the number of entries removed. */
	async trimAcknowledged(redis: Redis): Promise<number> {
		return await loadScripts(redis, LUA_DIR, 'inbox').inboxTrimAcknowledged(
			this.options.keys.stream,
		);
	}

	/**
	 * Copies the entries to the dead-letter stream (shared/deadLetters.ts format) and acknowledges them, in one
	 * atomic step (deadLetterEntries-2.lua); the number copied.
	 */
	async deadLetter(
		redis: Redis,
		entries: readonly DeadLetterRequest[],
		deadAt: string,
	): Promise<number> {
		const args: Array<string | number> = [this.options.group, deadAt, this.options.consumer];
		for (const e of entries)
			args.push(e.id, e.deliveries, deadLetterReason(e.deliveries - 1, e.lastError));
		const scripted = loadScripts(redis, LUA_DIR, 'inbox');
		return await scripted.inboxDeadLetterEntries(
			this.options.keys.stream,
			this.options.keys.dlq,
			...args,
		);
	}

	/** Removes the group's other consumers that have nothing pending and have been idle longer than `idleMs`. */
	async removeStaleConsumers(redis: Redis, idleMs: number): Promise<void> {
		const { keys, group, consumer } = this.options;
		const list = (await redis.xinfo('CONSUMERS', keys.stream, group)) as unknown[][];
		for (const raw of list) {
			const c: Record<string, unknown> = {};
			for (let i = 0; i + 1 < raw.length; i += 2) c[String(raw[i])] = raw[i + 1];
			if (String(c.name) === consumer) continue;
			if (Number(c.pending) === 0 && Number(c.idle) > idleMs) {
				await redis.xgroup('DELCONSUMER', keys.stream, group, String(c.name));
			}
		}
	}

	/** A connection of our own for blocking reads, so closing never waits on one and the shared client never blocks. */
	async blockingConnection(shared: Redis): Promise<Redis> {
		if (!this.blocking || this.blocking.status === 'end') {
			const conn = shared.duplicate({
				connectionName: 'n8n-nodes-inventory-sync:inbox',
				commandTimeout: this.options.blockingTimeoutMs,
				lazyConnect: true,
			});
			conn.on('error', () => undefined); // failures surface through commands (and the loop's backoff)
			this.blocking = conn;
			if (this.closed) conn.disconnect();
			else conn.connect().catch(() => undefined);
		}
		const conn = this.blocking;
		if (conn.status !== 'ready') {
			await new Promise<void>((resolve, reject) => {
				const timer = setTimeout(() => {
					cleanup();
					reject(new Error('Connection is closed (the inbox connection is not ready)'));
				}, 3_000);
				const onReady = () => {
					cleanup();
					resolve();
				};
				const onEnd = () => {
					cleanup();
					reject(new Error('Connection is closed'));
				};
				const cleanup = () => {
					clearTimeout(timer);
					conn.off('ready', onReady);
					conn.off('end', onEnd);
				};
				conn.once('ready', onReady);
				conn.once('end', onEnd);
			});
		}
		return conn;
	}

	/**
	 * Cuts a blocking read by closing its connection; no new one is opened after. Once per connection: ioredis
	 * arms a 2 s timer on every disconnect(), which a second call would leave behind.
	 */
	closeBlocking(): void {
		this.closed = true;
		if (this.blocking && this.blocking.status !== 'end' && this.blocking.status !== 'close')
			this.blocking.disconnect();
	}
}
