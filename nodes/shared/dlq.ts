import type { Result } from 'ioredis';
import type Redis from 'ioredis';
import {
	CHANNEL_DEAD_LETTER,
	INBOX_DEAD_LETTER,
	channelDeadLetterFields,
	isStreamId,
	readAnyDeadLetter,
	type AnyDeadLetter,
	type ChannelDeadLetterRecord,
} from './deadLetters';
import { channelKeys } from './keys';
import { UnexpectedReplyError, codeMapper } from './redisBatch';
import { withSharedScripts } from './sharedScripts';

/**
 * The dead-letter stream's Redis verbs (`<prefix>:dlq`, one stream for every kind; record formats in
 * deadLetters.ts): write a channel dead letter, list both kinds, discard, and claim one for replay.
 *
 * **Replay once.** `claimDeadLetter` runs lua/claimDeadLetter-2.lua: in one atomic step it deletes the record
 * from the stream (XDEL) and copies it, field for field and byte for byte, into a replay marker
 * `<prefix>:dlq:replayed:<id>` (a one-entry stream whose entry id is the claim time, expiring after
 * `markerTtlMs`, default 7 days). Whoever claims first gets the record; every other claim of the same id, at
 * the same moment or later, gets `alreadyClaimed` (while the marker lives) or `notFound` (after): the payload is
 * handed out once. Deleting at claim time, rather than when the replay succeeds, is what makes it once: a
 * lease that expired would hand a slow replay's payload out a second time. The cost, a replayer that dies
 * between the claim and the replay's result, is covered by the marker: `readReplayMarker` gives the claimed
 * record back for the whole marker lifetime. A replay that fails writes a new channel dead letter with
 * `replayOf` = the claimed id.
 *
 * **Cap.** `writeChannelDeadLetter` adds with `MAXLEN ~ <maxLen>` (default 100,000 entries, DEFAULT_DEAD_LETTER_CAP):
 * the stream cannot grow without bound while a channel is down for days; when it is reached the oldest dead
 * letters of either kind go first (approximately: Redis trims whole stream nodes). Health reports the depth,
 * so a stream near its cap is seen before it drops anything. The Inbox Trigger's script adds without a cap.
 */

/** Dead letters kept at most (approximately) when a channel dead letter is written. */
export const DEFAULT_DEAD_LETTER_CAP = 100_000;

/** How long a replay marker keeps the claimed record (and answers `alreadyClaimed`): 7 days, ms. */
export const DEFAULT_REPLAY_MARKER_TTL_MS = 7 * 24 * 60 * 60 * 1000;

declare module 'ioredis' {
	interface RedisCommander<Context> {
		sharedClaimDeadLetter(
			dlqKey: string,
			markerKey: string,
			id: string,
			markerTtlMs: number,
		): Result<unknown[], Context>;
		sharedClaimDeadLetterBuffer(
			dlqKey: string,
			markerKey: string,
			id: string,
			markerTtlMs: number,
		): Result<Array<number | Buffer>, Context>;
	}
}

/** The codes of lua/claimDeadLetter-2.lua (its header), mirrored here. */
export enum DeadLetterCode {
	/** The record was taken out of the stream for this caller. */
	Claimed = 1,
	/** Already claimed for replay (the marker exists): no payload. */
	AlreadyClaimed = -1,
	/** Not in the stream: discarded, trimmed, claimed longer ago than the marker lives, or never there. */
	NotFound = -2,
}

const toCode = codeMapper<DeadLetterCode>(DeadLetterCode);

function checkPositiveInteger(what: string, value: number): number {
	if (!Number.isSafeInteger(value) || value < 1) {
		throw new RangeError(`${what} must be a positive integer (got ${String(value)})`);
	}
	return value;
}

function checkId(id: string): string {
	if (!isStreamId(id)) {
		throw new RangeError(`'${String(id).slice(0, 40)}' is not a dead-letter id (<ms>-<seq>)`);
	}
	return id;
}

export interface WriteDeadLetterOptions {
	/** MAXLEN ~ for the stream (default DEFAULT_DEAD_LETTER_CAP). */
	readonly maxLen?: number;
	/** The node's own credential values: scrubbed from the error message and payload wherever they occur. */
	readonly secrets?: readonly string[];
}

/**
 * Adds a channel dead letter (deadLetters.ts channelDeadLetterFields: checked, payload cleaned, message
 * scrubbed) and returns its id. One XADD with `MAXLEN ~`.
 */
export async function writeChannelDeadLetter(
	redis: Redis,
	prefix: string,
	record: ChannelDeadLetterRecord,
	options: WriteDeadLetterOptions = {},
): Promise<string> {
	const maxLen = checkPositiveInteger('maxLen', options.maxLen ?? DEFAULT_DEAD_LETTER_CAP);
	const key = channelKeys.dlq(prefix);
	const fields = channelDeadLetterFields(record, options.secrets ?? []);
	const id = await redis.xadd(key, 'MAXLEN', '~', maxLen, '*', ...fields);
	if (typeof id !== 'string') throw new UnexpectedReplyError('XADD', id);
	return id;
}

export type DeadLetterKind = typeof INBOX_DEAD_LETTER | typeof CHANNEL_DEAD_LETTER;

export interface ReadDeadLettersOptions {
	/** Dead letters to return at most (default 100, at most 10,000). */
	readonly count?: number;
	/** Start after this id (exclusive), e.g. the previous page's `last`; default: from the oldest. */
	readonly after?: string;
	/** Only this kind. */
	readonly kind?: DeadLetterKind;
}

export interface DeadLetterPage {
	/** Oldest first, both kinds unless filtered. */
	readonly letters: AnyDeadLetter[];
	/** Entries of the stream that are no dead letter of a known kind (left in place), with why. */
	readonly unreadable: Array<{ readonly id: string; readonly reason: string }>;
	/** The last id looked at: pass it as `after` for the next page; undefined when nothing was looked at. */
	readonly last: string | undefined;
	/** The stream may hold more after `last`. */
	readonly more: boolean;
}

/**
 * Dead letters in stream order, typed by kind (inbox records with their entries' exact bytes). XRANGE pages
 * until `count` matching letters are found or the stream ends; an entry that is neither kind is reported in
 * `unreadable`, never thrown.
 */
export async function readDeadLetters(
	redis: Redis,
	prefix: string,
	options: ReadDeadLettersOptions = {},
): Promise<DeadLetterPage> {
	const count = checkPositiveInteger('count', options.count ?? 100);
	if (count > 10_000) throw new RangeError('count must be at most 10,000');
	if (options.kind !== undefined && options.kind !== 'inbox' && options.kind !== 'channel') {
		throw new RangeError(`kind must be 'inbox' or 'channel'`);
	}
	const key = channelKeys.dlq(prefix);
	let start = options.after === undefined ? '-' : `(${checkId(options.after)}`;
	const letters: AnyDeadLetter[] = [];
	const unreadable: Array<{ id: string; reason: string }> = [];
	let last: string | undefined;
	let more = true;
	while (letters.length < count && more) {
		const page = count - letters.length;
		const rows = (await redis.xrangeBuffer(key, start, '+', 'COUNT', page)) as Array<
			[Buffer, Buffer[]]
		>;
		more = rows.length === page;
		for (const [rawId, fields] of rows) {
			const id = rawId.toString();
			last = id;
			try {
				const letter = readAnyDeadLetter(id, fields);
				if (options.kind === undefined || letter.kind === options.kind) letters.push(letter);
			} catch (error) {
				unreadable.push({ id, reason: error instanceof Error ? error.message : String(error) });
			}
		}
		if (last !== undefined) start = `(${last}`;
	}
	return { letters, unreadable, last, more };
}

/** Deletes dead letters by id (XDEL); how many were there. Ids are checked first; none: no call. */
export async function discardDeadLetters(
	redis: Redis,
	prefix: string,
	ids: readonly string[],
): Promise<number> {
	const checked = ids.map(checkId);
	if (checked.length === 0) return 0;
	return await redis.xdel(channelKeys.dlq(prefix), ...checked);
}

export type ClaimOutcome =
	| {
			readonly status: 'claimed';
			readonly letter: AnyDeadLetter;
			/** Claim time (Redis time), ms since epoch. */
			readonly claimedAtMs: number;
	  }
	| { readonly status: 'alreadyClaimed'; readonly claimedAtMs: number }
	| { readonly status: 'notFound' };

export interface ClaimOptions {
	/** How long the replay marker lives, ms (default DEFAULT_REPLAY_MARKER_TTL_MS). */
	readonly markerTtlMs?: number;
}

function markerTime(script: string, markerId: unknown, reply: unknown): number {
	const text = String(markerId);
	if (!isStreamId(text)) throw new UnexpectedReplyError(script, reply);
	return Number(text.split('-')[0]);
}

/**
 * Takes dead letter `id` out of the stream for replay, at most once across every caller (see the header):
 * `claimed` with the record, `alreadyClaimed` or `notFound`. One script call.
 */
export async function claimDeadLetter(
	redis: Redis,
	prefix: string,
	id: string,
	options: ClaimOptions = {},
): Promise<ClaimOutcome> {
	checkId(id);
	const ttl = checkPositiveInteger(
		'markerTtlMs',
		options.markerTtlMs ?? DEFAULT_REPLAY_MARKER_TTL_MS,
	);
	const dlqKey = channelKeys.dlq(prefix);
	const markerKey = channelKeys.dlqReplayed(prefix, id);
	const reply = await withSharedScripts(redis).sharedClaimDeadLetterBuffer(
		dlqKey,
		markerKey,
		id,
		ttl,
	);
	if (!Array.isArray(reply) || reply.length < 1)
		throw new UnexpectedReplyError('claimDeadLetter', reply);
	const code = toCode('claimDeadLetter', reply[0]);
	if (code === DeadLetterCode.NotFound) return { status: 'notFound' };
	const claimedAtMs = markerTime('claimDeadLetter', reply[1], reply);
	if (code === DeadLetterCode.AlreadyClaimed) return { status: 'alreadyClaimed', claimedAtMs };
	const fields = reply.slice(2);
	if (!fields.every((f): f is Buffer => Buffer.isBuffer(f)) || fields.length % 2 !== 0)
		throw new UnexpectedReplyError('claimDeadLetter', reply);
	return { status: 'claimed', letter: readAnyDeadLetter(id, fields), claimedAtMs };
}

/**
 * The record a claim took out of the stream, while its marker lives (for a replayer that died between the
 * claim and the replay's result): the letter and its claim time, or undefined.
 */
export async function readReplayMarker(
	redis: Redis,
	prefix: string,
	id: string,
): Promise<{ letter: AnyDeadLetter; claimedAtMs: number } | undefined> {
	checkId(id);
	const rows = (await redis.xrangeBuffer(
		channelKeys.dlqReplayed(prefix, id),
		'-',
		'+',
		'COUNT',
		1,
	)) as Array<[Buffer, Buffer[]]>;
	if (rows.length === 0) return undefined;
	const [markerId, fields] = rows[0];
	return {
		letter: readAnyDeadLetter(id, fields),
		claimedAtMs: markerTime('XRANGE', markerId.toString(), rows),
	};
}
