import type { Result } from 'ioredis';
import type Redis from 'ioredis';
import { readAnyDeadLetter, isStreamId, type AnyDeadLetter } from '../../shared/deadLetters';
import { DEFAULT_REPLAY_MARKER_TTL_MS } from '../../shared/dlq';
import { channelKeys, ledgerKeys } from '../../shared/keys';
import { UnexpectedReplyError, execAll } from '../../shared/redisBatch';
import {
	matchesFilter,
	planReplay,
	skusOf,
	type DeadLetterFilter,
	type ReplayContext,
} from '../deadLetterReplay';
import { loadProfile } from './profileStore';
import { withLedgerScripts } from './scripts';

/**
 * Dead Letters for the Ledger node (list, replay, discard) on the shared dead-letter stream `<prefix>:dlq`
 * (shared/dlq.ts, record formats in shared/deadLetters.ts). Replay is lua/replayDeadLetter.lua: per record,
 * claim (replay once) and re-queue in one atomic step; the records of a batch go in one pipeline, so a batch
 * costs two round trips (read the records, run the scripts).
 */

declare module 'ioredis' {
	interface RedisCommander<Context> {
		ledgerReplayDeadLetter(
			numberOfKeys: number,
			...keysAndArgs: Array<string | number>
		): Result<unknown[], Context>;
	}
}

/** Records read per XRANGE page. */
export const DEAD_LETTER_PAGE = 1_000;
/** Records looked at at most by one scan (the stream's default cap, shared/dlq.ts DEFAULT_DEAD_LETTER_CAP). */
export const MAX_SCANNED = 100_000;
/** Script calls per pipeline. */
const REPLAYS_PER_PIPELINE = 100;

export type DeadLetterOrder = 'oldest' | 'newest';

export interface ScanOptions {
	readonly filter?: DeadLetterFilter;
	/** Matching records returned at most (1 … MAX_SCANNED). */
	readonly limit: number;
	readonly order?: DeadLetterOrder;
	/** Records looked at at most (default MAX_SCANNED). */
	readonly maxScanned?: number;
}

export interface ScanResult {
	/** Matching records, in the order asked for. */
	readonly letters: AnyDeadLetter[];
	/** Entries that are no record of a known kind (left in place), with why. */
	readonly unreadable: Array<{ id: string; reason: string }>;
	/** Entries looked at. */
	readonly scanned: number;
	/** False when the scan stopped at `limit` or `maxScanned` with more entries left. */
	readonly complete: boolean;
}

function describe(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}

/**
 * Records of the dead-letter stream that pass the filter, oldest or newest first: XRANGE / XREVRANGE pages of
 * DEAD_LETTER_PAGE until `limit` matched or `maxScanned` were looked at.
 */
export async function scanDeadLetters(
	redis: Redis,
	prefix: string,
	options: ScanOptions,
): Promise<ScanResult> {
	const limit = Math.max(1, Math.min(MAX_SCANNED, Math.floor(options.limit)));
	const maxScanned = Math.max(1, options.maxScanned ?? MAX_SCANNED);
	const newest = options.order === 'newest';
	const key = channelKeys.dlq(prefix);
	const letters: AnyDeadLetter[] = [];
	const unreadable: Array<{ id: string; reason: string }> = [];
	let scanned = 0;
	let cursor: string | undefined;
	let more = true;
	while (more && letters.length < limit && scanned < maxScanned) {
		const page = Math.min(DEAD_LETTER_PAGE, maxScanned - scanned);
		const from = cursor === undefined ? undefined : `(${cursor}`;
		const rows = (
			newest
				? await redis.xrevrangeBuffer(key, from ?? '+', '-', 'COUNT', page)
				: await redis.xrangeBuffer(key, from ?? '-', '+', 'COUNT', page)
		) as Array<[Buffer, Buffer[]]>;
		more = rows.length === page;
		for (const [n, [rawId, fields]] of rows.entries()) {
			const id = rawId.toString();
			cursor = id;
			scanned++;
			let letter: AnyDeadLetter;
			try {
				letter = readAnyDeadLetter(id, fields);
			} catch (error) {
				if (!options.filter?.kind && !options.filter?.channel && !options.filter?.operation)
					unreadable.push({ id, reason: describe(error) });
				continue;
			}
			if (matchesFilter(letter, options.filter ?? {})) {
				letters.push(letter);
				if (letters.length >= limit) {
					// Entries left on this page after the last match: the scan stopped short.
					if (n < rows.length - 1) more = true;
					break;
				}
			}
		}
	}
	return { letters, unreadable, scanned, complete: !more };
}

export type LookupResult =
	| { readonly status: 'found'; readonly letter: AnyDeadLetter }
	| { readonly status: 'unreadable'; readonly reason: string }
	| { readonly status: 'alreadyReplayed'; readonly replayedAtMs: number }
	| { readonly status: 'notFound' };

/**
 * The records of the given ids (checked: '<ms>-<seq>'), each with its replay marker: one pipeline. An id that is
 * not in the stream is 'alreadyReplayed' while its marker lives, else 'notFound'.
 */
export async function lookupDeadLetters(
	redis: Redis,
	prefix: string,
	ids: readonly string[],
): Promise<Map<string, LookupResult>> {
	const out = new Map<string, LookupResult>();
	const wanted = [...new Set(ids)];
	for (const id of wanted) {
		if (!isStreamId(id))
			throw new RangeError(`'${String(id).slice(0, 40)}' is not a dead-letter id (<ms>-<seq>)`);
	}
	if (wanted.length === 0) return out;
	const pipeline = redis.pipeline();
	for (const id of wanted) {
		pipeline.xrangeBuffer(channelKeys.dlq(prefix), id, id);
		pipeline.xrange(channelKeys.dlqReplayed(prefix, id), '-', '+', 'COUNT', 1);
	}
	const replies = await execAll(pipeline);
	wanted.forEach((id, k) => {
		const record = replies[2 * k];
		const marker = replies[2 * k + 1];
		const rows = record as Array<[Buffer, Buffer[]]>;
		if (rows.length === 1) {
			try {
				out.set(id, { status: 'found', letter: readAnyDeadLetter(id, rows[0][1]) });
			} catch (error) {
				out.set(id, { status: 'unreadable', reason: describe(error) });
			}
			return;
		}
		const markers = marker as Array<[string, string[]]>;
		out.set(
			id,
			markers.length === 1
				? { status: 'alreadyReplayed', replayedAtMs: Number(markers[0][0].split('-')[0]) }
				: { status: 'notFound' },
		);
	});
	return out;
}

export type ReplayOutcome = 'requeued' | 'alreadyReplayed' | 'notFound' | 'failed';

export interface ReplayResult {
	readonly id: string;
	/** 'inbox' | 'channel'; null when the record could not be read. */
	readonly kind: string | null;
	readonly channel: string | null;
	readonly operation: string | null;
	readonly outcome: ReplayOutcome;
	/** requeued: the SKUs marked dirty or re-added to the outbox; otherwise the record's SKUs (if known). */
	readonly skus: string[];
	readonly detail: string;
}

/** What a replay needs from the stored profile: its channels and frozen SKUs (none saved: no channel check). */
export async function replayContext(redis: Redis, prefix: string): Promise<ReplayContext> {
	const loaded = await loadProfile(redis, prefix, true);
	const profile = loaded?.index.profile;
	return {
		prefix,
		channels: profile ? new Set(profile.channels.map((c) => c.name)) : undefined,
		frozen: new Set(profile?.frozen ?? []),
	};
}

function baseOf(
	letter: AnyDeadLetter,
): Pick<ReplayResult, 'id' | 'kind' | 'channel' | 'operation' | 'skus'> {
	return letter.kind === 'inbox'
		? { id: letter.id, kind: letter.kind, channel: null, operation: null, skus: [] }
		: {
				id: letter.id,
				kind: letter.kind,
				channel: letter.channel,
				operation: letter.operation,
				skus: skusOf(letter),
			};
}

export interface ReplayOptions {
	/** How long the replay marker remembers a replayed record, ms (default shared/dlq.ts: 7 days). */
	readonly markerTtlMs?: number;
}

/**
 * Replays records (read before, e.g. by lookupDeadLetters or scanDeadLetters): each planned (deadLetterReplay.ts
 * planReplay), then claimed and re-queued atomically by lua/replayDeadLetter.lua, REPLAYS_PER_PIPELINE scripts
 * per pipeline. A refused plan or a script error fails that record alone; the record stays in the stream.
 */
export async function replayDeadLetters(
	redis: Redis,
	prefix: string,
	letters: readonly AnyDeadLetter[],
	context: ReplayContext,
	options: ReplayOptions = {},
): Promise<ReplayResult[]> {
	const ttl = options.markerTtlMs ?? DEFAULT_REPLAY_MARKER_TTL_MS;
	if (!Number.isSafeInteger(ttl) || ttl < 1)
		throw new RangeError('markerTtlMs must be a positive integer');
	const results: ReplayResult[] = new Array<ReplayResult>(letters.length);
	const calls: Array<{
		at: number;
		keys: string[];
		args: Array<string | number>;
		skus: string[];
		/** The result's detail, from the SKUs marked and those the script found frozen. */
		note: (marked: number, frozen: string[]) => string;
	}> = [];
	letters.forEach((letter, at) => {
		const base = baseOf(letter);
		const plan = planReplay(letter, context);
		const dlq = channelKeys.dlq(prefix);
		const marker = channelKeys.dlqReplayed(prefix, letter.id);
		const head = [letter.id, ttl];
		switch (plan.mode) {
			case 'refused':
				results[at] = { ...base, outcome: 'failed', detail: plan.detail };
				return;
			case 'publish':
				calls.push({
					at,
					keys: [
						dlq,
						marker,
						ledgerKeys.dirty(prefix, plan.channel),
						...plan.skus.map((s) => ledgerKeys.ledger(prefix, s)),
					],
					args: [...head, 'publish', ...plan.skus],
					skus: plan.skus,
					note: (marked, frozen) => {
						const all = [...plan.frozen, ...frozen];
						return (
							`${marked} SKU(s) marked dirty for '${plan.channel}': its next Publish writes their latest values` +
							(all.length ? `; frozen, not marked: ${all.join(', ')}` : '')
						);
					},
				});
				return;
			case 'adjust':
				calls.push({
					at,
					keys: [dlq, marker, ledgerKeys.outbox(prefix, plan.owner)],
					args: [...head, 'adjust', ...plan.entries.flatMap((e) => [e.length, ...e])],
					skus: plan.skus,
					note: () =>
						`${plan.entries.length} adjustment(s) back in the outbox of '${plan.owner}': its next Adjust sends them`,
				});
				return;
			case 'inbox':
				calls.push({
					at,
					keys: [dlq, marker, plan.stream],
					args: [...head, 'inbox'],
					skus: [],
					note: () =>
						`entry back in the inbox stream ${plan.stream}: the Inbox Trigger processes it again`,
				});
				return;
		}
	});
	const scripts = withLedgerScripts(redis);
	for (let from = 0; from < calls.length; from += REPLAYS_PER_PIPELINE) {
		const chunk = calls.slice(from, from + REPLAYS_PER_PIPELINE);
		const pipeline = scripts.pipeline();
		for (const call of chunk)
			pipeline.ledgerReplayDeadLetter(call.keys.length, ...call.keys, ...call.args);
		const replies = (await pipeline.exec()) ?? [];
		chunk.forEach((call, k) => {
			const base = baseOf(letters[call.at]);
			const [error, reply] = replies[k] ?? [new Error('no reply')];
			if (error) {
				results[call.at] = {
					...base,
					outcome: 'failed',
					detail: `Redis refused the replay: ${describe(error)}`,
				};
				return;
			}
			if (!Array.isArray(reply) || reply.length < 1)
				throw new UnexpectedReplyError('replayDeadLetter', reply);
			switch (Number(reply[0])) {
				case 1: {
					// publish: SKUs frozen in their ledger hash (the Freeze operation) were left unmarked.
					const frozen = new Set(reply.slice(3).map(String));
					const skus = call.skus.filter((s) => !frozen.has(s));
					const note = call.note(skus.length, [...frozen]);
					results[call.at] = { ...base, outcome: 'requeued', skus, detail: note };
					return;
				}
				case -1:
					results[call.at] = {
						...base,
						outcome: 'alreadyReplayed',
						detail: `already replayed at ${new Date(Number(String(reply[1]).split('-')[0])).toISOString()}: nothing done`,
					};
					return;
				case -2:
					results[call.at] = {
						...base,
						outcome: 'notFound',
						detail: 'no longer in the dead-letter stream',
					};
					return;
				case -3:
					results[call.at] = {
						...base,
						outcome: 'failed',
						detail:
							'the stored record is not what was read (kind, operation or stream differ): nothing done',
					};
					return;
				default:
					throw new UnexpectedReplyError('replayDeadLetter', reply);
			}
		});
	}
	return results;
}

/** The outcome of an id that lookupDeadLetters did not find in the stream, as a replay result. */
export function missingResult(id: string, found: LookupResult): ReplayResult {
	const base = { id, kind: null, channel: null, operation: null, skus: [] };
	switch (found.status) {
		case 'alreadyReplayed':
			return {
				...base,
				outcome: 'alreadyReplayed',
				detail: `already replayed at ${new Date(found.replayedAtMs).toISOString()}: nothing done`,
			};
		case 'unreadable':
			return {
				...base,
				outcome: 'failed',
				detail: `not a dead letter of a known kind: ${found.reason}`,
			};
		default:
			return { ...base, outcome: 'notFound', detail: 'not in the dead-letter stream' };
	}
}

/** Replays the records of the given ids (two round trips per batch): results in the ids' order, each id once. */
export async function replayByIds(
	redis: Redis,
	prefix: string,
	ids: readonly string[],
	options: ReplayOptions = {},
): Promise<ReplayResult[]> {
	const found = await lookupDeadLetters(redis, prefix, ids);
	const letters = [...found.values()].flatMap((f) => (f.status === 'found' ? [f.letter] : []));
	const replayed = letters.length
		? await replayDeadLetters(redis, prefix, letters, await replayContext(redis, prefix), options)
		: [];
	const byId = new Map(replayed.map((r) => [r.id, r]));
	return [...found.entries()].map(([id, f]) => byId.get(id) ?? missingResult(id, f));
}

export type DiscardOutcome = 'discarded' | 'notFound';

/** XDEL per id (one pipeline): 'discarded' or 'notFound' for each, in order, each id once. */
export async function discardByIds(
	redis: Redis,
	prefix: string,
	ids: readonly string[],
): Promise<Array<{ id: string; outcome: DiscardOutcome }>> {
	const wanted = [...new Set(ids)];
	for (const id of wanted) {
		if (!isStreamId(id))
			throw new RangeError(`'${String(id).slice(0, 40)}' is not a dead-letter id (<ms>-<seq>)`);
	}
	if (wanted.length === 0) return [];
	const pipeline = redis.pipeline();
	for (const id of wanted) pipeline.xdel(channelKeys.dlq(prefix), id);
	const replies = await execAll(pipeline);
	return wanted.map((id, k) => ({
		id,
		outcome: Number(replies[k]) === 1 ? 'discarded' : 'notFound',
	}));
}
