import {
	CREDENTIAL_NAMES,
	INBOX_DEAD_LETTER,
	REDACTED,
	type AnyDeadLetter,
	type ChannelDeadLetter,
	type InboxDeadLetter,
} from '../shared/deadLetters';

/**
 * The Ledger's Dead Letters operation, its pure half (ledger/deadLetters.ts runs it in Redis): which records a
 * filter selects, what a record looks like as an item, and what replaying a record means — the re-queue plan.
 *
 * A replay never calls a channel. It puts the work back where the normal path picks it up:
 * - a channel `publish` record → its SKUs marked dirty again for that channel (score = the SKU's current ledger
 *   rev), so the channel node's next Publish computes the LATEST value — never the stale quantity in the record
 *   — and a SKU already showing that value costs no call;
 * - a channel `adjust` record → its outbox entries (payload `{ owner, entries }`) added back to the owner's
 *   outbox, field for field; the Adjust drain skips entry ids it already confirmed;
 * - an inbox record → its entry (platform, headers, body, receivedAt, exact bytes) added back to the inbox
 *   stream it came from, where the Inbox Trigger processes it again.
 * Anything else (another operation, a malformed payload, a channel no longer in the profile, a stream outside
 * the key prefix) is refused with a reason, and the record stays in the stream.
 */

export type DeadLetterKindName = 'inbox' | 'channel';

export interface DeadLetterFilter {
	/** Only this kind (undefined: both). */
	readonly kind?: DeadLetterKindName;
	/** Only channel records of this channel (exact name; inbox records never match a channel filter). */
	readonly channel?: string;
	/** Only channel records of this operation (exact; inbox records never match). */
	readonly operation?: string;
}

/** Whether a record passes the filter. Pure. */
export function matchesFilter(letter: AnyDeadLetter, filter: DeadLetterFilter): boolean {
	if (filter.kind !== undefined && letter.kind !== filter.kind) return false;
	if (filter.channel || filter.operation) {
		if (letter.kind === INBOX_DEAD_LETTER) return false;
		if (filter.channel && letter.channel !== filter.channel) return false;
		if (filter.operation && letter.operation !== filter.operation) return false;
	}
	return true;
}

/**
 * The filter of the header fields alone, for counting without decoding a whole record: `kind` is the first
 * field of both kinds; a channel record's `channel` is its third (deadLetters.ts CHANNEL_DEAD_LETTER_FIELDS).
 * Returns the record's kind and channel, or undefined for an entry that is neither kind. Pure.
 */
export function peekDeadLetter(
	fields: ReadonlyArray<string | Buffer>,
): { kind: DeadLetterKindName; channel?: string } | undefined {
	if (fields.length < 2 || String(fields[0]) !== 'kind') return undefined;
	const kind = String(fields[1]);
	if (kind === 'inbox') return { kind };
	if (kind === 'channel' && fields.length >= 6 && String(fields[4]) === 'channel')
		return { kind, channel: String(fields[5]) };
	return undefined;
}

/** The SKUs a record names, each once, in order (inbox records: none; their body is not parsed here). */
export function skusOf(letter: AnyDeadLetter): string[] {
	if (letter.kind === INBOX_DEAD_LETTER) return [];
	const seen = new Set<string>();
	for (const item of letter.items) if (typeof item?.sku === 'string') seen.add(item.sku);
	return [...seen];
}

/** Body text shown per inbox record at most (the rest is counted in bodyBytes). */
export const MAX_BODY_SHOWN = 10_000;

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

function inboxHeaders(raw: Buffer | undefined): Record<string, Json> | string {
	if (raw === undefined) return {};
	try {
		const parsed = JSON.parse(raw.toString('utf8')) as unknown;
		if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
			return '(not an object)';
		const out: Record<string, Json> = {};
		for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
			out[name] = CREDENTIAL_NAMES.test(name) ? REDACTED : (String(value ?? '') as Json);
		}
		return out;
	} catch {
		return '(not JSON)';
	}
}

/**
 * A record as an item's JSON: the same top-level fields for both kinds (id, kind, channel, operation, skus,
 * reason, deadAt) and then the kind's own. Channel records are scrubbed when written; an inbox record's
 * headers are redacted by name here (CREDENTIAL_NAMES), its body shown as text up to MAX_BODY_SHOWN. Pure.
 */
export function letterView(letter: AnyDeadLetter): Record<string, Json> {
	if (letter.kind === INBOX_DEAD_LETTER) return inboxView(letter);
	return channelView(letter);
}

function inboxView(letter: InboxDeadLetter): Record<string, Json> {
	const body = letter.entry.body ?? Buffer.alloc(0);
	const text = body.toString('utf8');
	return {
		id: letter.id,
		kind: letter.kind,
		channel: null,
		operation: null,
		skus: [],
		reason: letter.reason,
		deadAt: letter.deadAt,
		stream: letter.stream,
		entryId: letter.entryId,
		group: letter.group,
		consumer: letter.consumer,
		deliveries: letter.deliveries,
		platform: letter.entry.platform?.toString('utf8') ?? null,
		receivedAt: letter.entry.receivedAt?.toString('utf8') ?? null,
		headers: inboxHeaders(letter.entry.headers),
		body: text.length > MAX_BODY_SHOWN ? text.slice(0, MAX_BODY_SHOWN) : text,
		bodyBytes: body.length,
		bodyTruncated: text.length > MAX_BODY_SHOWN,
	};
}

function channelView(letter: ChannelDeadLetter): Record<string, Json> {
	return {
		id: letter.id,
		kind: letter.kind,
		channel: letter.channel,
		operation: letter.operation,
		skus: skusOf(letter),
		reason: letter.reason,
		deadAt: letter.deadAt,
		items: letter.items as unknown as Json,
		payload: letter.payload as Json,
		errorClass: letter.errorClass,
		errorMessage: letter.errorMessage,
		attempts: letter.attempts,
		firstFailureAt: letter.firstFailureAt,
		lastFailureAt: letter.lastFailureAt,
		replayOf: letter.replayOf ?? null,
	};
}

// --- Replay plans --------------------------------------------------------------------------------------------

export type ReplayPlan =
	| {
			readonly mode: 'publish';
			readonly channel: string;
			/** SKUs to mark dirty (frozen ones left out). */
			readonly skus: string[];
			/** SKUs of the record that are frozen now: not marked (a frozen SKU is never published). */
			readonly frozen: string[];
	  }
	| {
			readonly mode: 'adjust';
			readonly owner: string;
			/** Each outbox entry as its flat [name, value, …] list, in the record's field order. */
			readonly entries: string[][];
			readonly skus: string[];
	  }
	| {
			readonly mode: 'inbox';
			/** The inbox stream's full key (checked: '<prefix>:<one part>', not one of the ledger's own keys). */
			readonly stream: string;
	  }
	| { readonly mode: 'refused'; readonly detail: string };

export interface ReplayContext {
	/** The credential's key prefix. */
	readonly prefix: string;
	/** Channels of the stored profile (undefined: no profile saved). */
	readonly channels: ReadonlySet<string> | undefined;
	/** Frozen SKUs of the profile. */
	readonly frozen: ReadonlySet<string>;
}

/** Outbox entry fields a replayed adjustment must carry (the Adjust drain reads them). */
export const OUTBOX_ENTRY_REQUIRED = ['sku', 'delta', 'id'] as const;

/**
 * First key parts under the prefix that are never an inbox stream (keys.ts: the ledger's, the Guard's and the
 * channels' keys): a record naming one is refused instead of being written into it.
 */
const NOT_AN_INBOX = new Set([
	'dlq',
	'profile',
	'skus',
	'sku',
	'ol',
	'outbox',
	'dirty',
	'map',
	'guard',
	'lock',
	'fence',
	'breaker',
	'cursor',
	'lag',
]);

/** An escaped key part (keys.ts escapeKeyPart): safe characters, %XX escapes, or an 'h~' digest. */
const KEY_PART = /^(?:[A-Za-z0-9._%-]{1,200}|h~[0-9a-f]{64})$/;

/** Where a replay of `letter` puts its work, or why it cannot. Pure. */
export function planReplay(letter: AnyDeadLetter, context: ReplayContext): ReplayPlan {
	if (letter.kind === INBOX_DEAD_LETTER) {
		const head = `${context.prefix}:`;
		const part = letter.stream.startsWith(head) ? letter.stream.slice(head.length) : '';
		if (!KEY_PART.test(part) || NOT_AN_INBOX.has(part)) {
			return {
				mode: 'refused',
				detail: `the record's stream '${letter.stream.slice(0, 80)}' is not an inbox stream under the key prefix '${context.prefix}'`,
			};
		}
		if (letter.entry.platform === undefined || letter.entry.body === undefined) {
			return { mode: 'refused', detail: 'the record holds no inbox entry (platform and body)' };
		}
		return { mode: 'inbox', stream: letter.stream };
	}
	if (context.channels !== undefined && !context.channels.has(letter.channel)) {
		return {
			mode: 'refused',
			detail: `channel '${letter.channel}' is not in the sync profile: no channel node would pick the work up`,
		};
	}
	if (letter.operation === 'publish') {
		const all = skusOf(letter);
		if (all.length === 0) return { mode: 'refused', detail: 'the record names no SKU' };
		const frozen = all.filter((s) => context.frozen.has(s));
		return {
			mode: 'publish',
			channel: letter.channel,
			skus: all.filter((s) => !context.frozen.has(s)),
			frozen,
		};
	}
	if (letter.operation === 'adjust') return planAdjust(letter);
	return {
		mode: 'refused',
		detail: `operation '${letter.operation}' is not replayed (only publish and adjust re-queue work); run the channel node's ${letter.operation} again instead`,
	};
}

function planAdjust(letter: ChannelDeadLetter): ReplayPlan {
	const payload = letter.payload as { owner?: unknown; entries?: unknown } | null;
	if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
		return { mode: 'refused', detail: 'the adjust payload is not { owner, entries }' };
	}
	const { owner, entries } = payload;
	if (typeof owner !== 'string' || owner === '') {
		return { mode: 'refused', detail: 'the adjust payload has no owner' };
	}
	if (!Array.isArray(entries) || entries.length === 0) {
		return { mode: 'refused', detail: 'the adjust payload has no outbox entries' };
	}
	const flat: string[][] = [];
	const skus = new Set<string>();
	for (const [i, entry] of entries.entries()) {
		if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
			return { mode: 'refused', detail: `outbox entry ${i} is not an object` };
		}
		const fields: string[] = [];
		for (const [name, value] of Object.entries(entry as Record<string, unknown>)) {
			if (typeof value === 'string') fields.push(name, value);
			else if (typeof value === 'number' && Number.isFinite(value))
				fields.push(name, String(value));
			else
				return {
					mode: 'refused',
					detail: `outbox entry ${i}: field '${name.slice(0, 40)}' is not text`,
				};
		}
		const named = new Set(fields.filter((_, k) => k % 2 === 0));
		const missing = OUTBOX_ENTRY_REQUIRED.find((name) => !named.has(name));
		if (missing) return { mode: 'refused', detail: `outbox entry ${i} has no '${missing}'` };
		for (let k = 0; k < fields.length; k += 2) if (fields[k] === 'sku') skus.add(fields[k + 1]);
		flat.push(fields);
	}
	return { mode: 'adjust', owner, entries: flat, skus: [...skus] };
}
