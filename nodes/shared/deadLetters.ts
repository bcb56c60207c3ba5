/**
 * The dead-letter stream's record format (`<key prefix>:dlq`, one stream for every node that gives up on
 * something; `kind` tells them apart). A record is the fields that say why, in this order, followed by the
 * fields of the entry itself (for the inbox: platform, headers, body, receivedAt — all a replay needs).
 *
 * The Inbox Trigger's records are written inside Redis by lua/deadLetterEntries-2.lua (copy and XACK in one
 * atomic step), which writes exactly `deadLetterFields` (tested byte for byte against it); nodes that write a
 * dead letter from TypeScript XADD `deadLetterFields(…)`.
 */

import { REDACTED, scrubSecrets } from './secrets';

export { REDACTED, scrubSecrets } from './secrets';

/** The fields that say why, in the order they are written. */
export const DEAD_LETTER_FIELDS = [
	'kind',
	'reason',
	'entryId',
	'stream',
	'group',
	'deliveries',
	'deadAt',
	'consumer',
] as const;

export type DeadLetterField = (typeof DEAD_LETTER_FIELDS)[number];

/** `kind` of the Inbox Trigger's dead letters. */
export const INBOX_DEAD_LETTER = 'inbox';

export interface DeadLetterHeader {
	/** Who wrote it ('inbox': the Inventory Inbox Trigger). */
	readonly kind: string;
	/** Why (deadLetterReason for the inbox). */
	readonly reason: string;
	/** The entry's id in its own stream. */
	readonly entryId: string;
	/** The full key of the stream the entry came from. */
	readonly stream: string;
	/** The consumer group that gave up on it. */
	readonly group: string;
	/** How often it was delivered. */
	readonly deliveries: number;
	/** When it was given up, ISO 8601. */
	readonly deadAt: string;
	/** The consumer that decided. */
	readonly consumer: string;
}

export interface DeadLetter<V extends string | Buffer = string> extends DeadLetterHeader {
	/** The record's own id in the dead-letter stream. */
	readonly id: string;
	/** The entry's fields, in stored order (a name written twice keeps its last value). */
	readonly entry: Readonly<Record<string, V>>;
}

/** The dead-letter reason of an entry that never had a successful run (the message capped at 500 characters). */
export function deadLetterReason(runs: number, lastError: string | undefined): string {
	const base = `no successful run after ${runs} deliver${runs === 1 ? 'y' : 'ies'}`;
	return lastError ? `${base}; last error: ${lastError.slice(0, 500)}` : base;
}

/** A record as the flat [name, value, …] list XADD takes: the header fields in order, then the entry's. */
export function deadLetterFields<V extends string | Buffer>(
	header: DeadLetterHeader,
	entry: ReadonlyArray<V>,
): Array<string | V> {
	const out: Array<string | V> = [];
	for (const name of DEAD_LETTER_FIELDS) out.push(name, String(header[name]));
	out.push(...entry);
	return out;
}

/**
 * A dead-letter stream entry (XRANGE/XREAD row: its id and flat field list, text or Buffers) back into a record.
 * Throws an Error naming what is missing when the entry is not a dead letter.
 */
export function readDeadLetter<V extends string | Buffer>(
	id: string,
	fields: ReadonlyArray<V>,
): DeadLetter<V> {
	DEAD_LETTER_FIELDS.forEach((name, k) => {
		if (2 * k + 1 >= fields.length || String(fields[2 * k]) !== name) {
			throw new Error(`dead letter ${id}: field '${name}' missing at position ${2 * k}`);
		}
	});
	const text = (name: DeadLetterField): string =>
		String(fields[2 * DEAD_LETTER_FIELDS.indexOf(name) + 1]);
	const entry: Record<string, V> = {};
	for (let i = 2 * DEAD_LETTER_FIELDS.length; i + 1 < fields.length; i += 2)
		entry[String(fields[i])] = fields[i + 1];
	const deliveries = Number(text('deliveries'));
	if (!Number.isInteger(deliveries) || deliveries < 0) {
		throw new Error(
			`dead letter ${id}: deliveries '${text('deliveries').slice(0, 40)}' is not a count`,
		);
	}
	return {
		id,
		kind: text('kind'),
		reason: text('reason'),
		entryId: text('entryId'),
		stream: text('stream'),
		group: text('group'),
		deliveries,
		deadAt: text('deadAt'),
		consumer: text('consumer'),
		entry,
	};
}

// ---------------------------------------------------------------------------------------------------------
// The channel nodes' dead letters (kind 'channel'): work a channel call gave up on (the retry budget spent, the
// breaker open, or an error that is not retried), with all a replay needs and nothing secret. Written and
// read by shared/dlq.ts; the inbox's record above is unchanged, and both kinds share the stream.

/** `kind` of the channel nodes' dead letters. */
export const CHANNEL_DEAD_LETTER = 'channel';

/**
 * A channel record's fields, in the order they are written. Like the inbox's, it opens with `kind` and
 * `reason`; `items` and `payload` are JSON; times are ISO 8601 text; `replayOf` is '' unless this record is a
 * failed replay of another dead letter.
 */
export const CHANNEL_DEAD_LETTER_FIELDS = [
	'kind',
	'reason',
	'channel',
	'operation',
	'items',
	'payload',
	'errorClass',
	'errorMessage',
	'attempts',
	'firstFailureAt',
	'lastFailureAt',
	'deadAt',
	'replayOf',
] as const;

export type ChannelDeadLetterField = (typeof CHANNEL_DEAD_LETTER_FIELDS)[number];

/** A JSON value as JSON.parse returns it (what a replay payload may hold). */
export type JsonValue =
	| null
	| boolean
	| number
	| string
	| readonly JsonValue[]
	| { readonly [key: string]: JsonValue };

/** One SKU of the work: the absolute quantity to publish, or the delta to forward (adjust), or neither. */
export interface ChannelDeadLetterItem {
	readonly sku: string;
	/** Absolute units (publish), a safe integer. */
	readonly quantity?: number;
	/** Units to add, negative to remove (adjust), a safe integer. */
	readonly delta?: number;
	/** The location the quantity or delta is for, when the channel has several. */
	readonly locationId?: string;
}

/** What a channel node gives up on, as written (shared/dlq.ts writeChannelDeadLetter). */
export interface ChannelDeadLetterRecord {
	/** Why it was given up, short text: 'budgetSpent', 'breakerOpen', 'notRetryable', … */
	readonly reason: string;
	/** The channel's name in the profile. */
	readonly channel: string;
	/** The channel operation: 'publish', 'adjust', … (a letter, then letters, digits, '_' or '-'; ≤ 40). */
	readonly operation: string;
	/** The SKUs, with quantities or deltas. */
	readonly items: readonly ChannelDeadLetterItem[];
	/**
	 * The request body a replay sends again (GraphQL variables, a REST batch): never credentials. Values under
	 * credential-like names (CREDENTIAL_NAMES) are replaced by '[redacted]' and secrets in its strings scrubbed.
	 */
	readonly payload: JsonValue;
	/** The error's class name (`NodeApiError`, `BreakerOpenError`, …). */
	readonly errorClass: string;
	/** The error's message, secrets scrubbed (scrubSecrets), at most 1,000 characters. */
	readonly errorMessage: string;
	/** Channel calls made for this work, count ≥ 0 (0: refused by an open breaker before any call). */
	readonly attempts: number;
	/** ISO 8601. */
	readonly firstFailureAt: string;
	/** ISO 8601. */
	readonly lastFailureAt: string;
	/** When it was given up, ISO 8601. */
	readonly deadAt: string;
	/** The dead letter this record replayed, when that replay failed too. */
	readonly replayOf?: string;
}

export interface ChannelDeadLetter extends ChannelDeadLetterRecord {
	/** The record's own id in the dead-letter stream. */
	readonly id: string;
	readonly kind: typeof CHANNEL_DEAD_LETTER;
}

/** An inbox dead letter read with its entry's exact bytes (a replay must verify the body's signature). */
export type InboxDeadLetter = DeadLetter<Buffer> & { readonly kind: typeof INBOX_DEAD_LETTER };

/** Either kind, told apart by `kind`. */
export type AnyDeadLetter = InboxDeadLetter | ChannelDeadLetter;

/** A channel record that cannot be written or read as one (pure module: its own Error subclass). */
export class DeadLetterRecordError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'DeadLetterRecordError';
	}
}

const STREAM_ID = /^\d{1,20}-\d{1,20}$/;
const OPERATION = /^[A-Za-z][A-Za-z0-9_-]{0,39}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;
const MAX_MESSAGE = 1_000;
const MAX_CLASS = 100;

/** True for a dead-letter stream id ('<ms>-<seq>'). */
export function isStreamId(value: unknown): value is string {
	return typeof value === 'string' && STREAM_ID.test(value);
}

// --- Secrets (scrubSecrets: shared/secrets.ts) -----------------------------------------------------------

/** Object keys whose values are credentials: redacted wherever they appear in a payload. */
export const CREDENTIAL_NAMES =
	/^(?:authorization|proxy-authorization|cookie|set-cookie|password|passwd|secret|client[-_]?secret|consumer[-_]?(?:key|secret)|access[-_]?token|refresh[-_]?token|api[-_]?key|x-shopify-access-token|x-wc-webhook-signature|x-shopify-hmac-sha256|oauth_(?:consumer_key|signature|token))$/i;

/**
 * The class name and scrubbed message of an error, for a dead letter. Only `name` (or the constructor's
 * name) and `message` are read: never the stack, the cause, or properties such as a request's `config`,
 * `headers` or `options`, which carry credentials.
 */
export function channelErrorFields(
	error: unknown,
	secrets: readonly string[] = [],
): { errorClass: string; errorMessage: string } {
	let errorClass = 'Error';
	let message: string;
	if (error instanceof Error) {
		const ctor = (error.constructor as { name?: unknown } | undefined)?.name;
		errorClass =
			error.name && error.name !== 'Error' ? error.name : typeof ctor === 'string' ? ctor : 'Error';
		message = typeof error.message === 'string' ? error.message : '';
	} else if (typeof error === 'string') {
		message = error;
	} else {
		errorClass = error === null ? 'null' : typeof error;
		message = '';
	}
	return {
		errorClass: cleanClass(errorClass),
		errorMessage: scrubSecrets(message, secrets).slice(0, MAX_MESSAGE),
	};
}

function cleanClass(name: string): string {
	const cleaned = name.replace(/[^A-Za-z0-9_.$-]/g, '').slice(0, MAX_CLASS);
	return cleaned || 'Error';
}

// --- Encoding ---------------------------------------------------------------------------------------------

function checkText(what: string, value: unknown, max: number, allowEmpty = false): string {
	if (typeof value !== 'string' || (!allowEmpty && value === '') || value.length > max) {
		throw new DeadLetterRecordError(
			`channel dead letter: ${what} must be ${allowEmpty ? '' : 'non-empty '}text of at most ${max} characters`,
		);
	}
	return value;
}

function checkTime(what: string, value: unknown): string {
	if (typeof value !== 'string' || !ISO_TIME.test(value) || Number.isNaN(Date.parse(value))) {
		throw new DeadLetterRecordError(`channel dead letter: ${what} must be an ISO 8601 time`);
	}
	return value;
}

function checkUnits(what: string, value: unknown): number {
	if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
		throw new DeadLetterRecordError(`channel dead letter: ${what} must be a safe integer`);
	}
	return value;
}

function encodeItems(items: unknown): string {
	if (!Array.isArray(items))
		throw new DeadLetterRecordError('channel dead letter: items must be a list');
	const out = items.map((item: unknown, i) => {
		if (item === null || typeof item !== 'object' || Array.isArray(item)) {
			throw new DeadLetterRecordError(`channel dead letter: items[${i}] must be an object`);
		}
		const { sku, quantity, delta, locationId, ...rest } = item as Record<string, unknown>;
		const extra = Object.keys(rest);
		if (extra.length) {
			throw new DeadLetterRecordError(
				`channel dead letter: items[${i}] has unknown field '${extra[0].slice(0, 40)}' (sku, quantity, delta, locationId)`,
			);
		}
		const encoded: Record<string, unknown> = { sku: checkText(`items[${i}].sku`, sku, 10_000) };
		if (quantity !== undefined) encoded.quantity = checkUnits(`items[${i}].quantity`, quantity);
		if (delta !== undefined) encoded.delta = checkUnits(`items[${i}].delta`, delta);
		if (locationId !== undefined)
			encoded.locationId = checkText(`items[${i}].locationId`, locationId, 1_000);
		return encoded;
	});
	return JSON.stringify(out);
}

/**
 * A copy of a payload that JSON holds exactly (finite numbers, no undefined, functions or cycles), with
 * credential-named values redacted and secrets in its strings scrubbed.
 */
export function cleanPayload(
	value: unknown,
	secrets: readonly string[] = [],
	path = 'payload',
	seen: Set<object> = new Set(),
): JsonValue {
	if (value === null || typeof value === 'boolean') return value;
	if (typeof value === 'number') {
		if (!Number.isFinite(value))
			throw new DeadLetterRecordError(`channel dead letter: ${path} is not a finite number`);
		return value;
	}
	if (typeof value === 'string') return scrubSecrets(value, secrets);
	if (typeof value === 'object') {
		if (seen.has(value))
			throw new DeadLetterRecordError(`channel dead letter: ${path} refers to itself`);
		seen.add(value);
		let out: JsonValue;
		if (Array.isArray(value)) {
			out = value.map((v: unknown, i) => cleanPayload(v, secrets, `${path}[${i}]`, seen));
		} else {
			const proto = Object.getPrototypeOf(value) as unknown;
			if (proto !== Object.prototype && proto !== null) {
				throw new DeadLetterRecordError(`channel dead letter: ${path} is not a plain object`);
			}
			const obj: Record<string, JsonValue> = {};
			for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
				obj[k] = CREDENTIAL_NAMES.test(k)
					? REDACTED
					: cleanPayload(v, secrets, `${path}.${k}`, seen);
			}
			out = obj;
		}
		seen.delete(value);
		return out;
	}
	throw new DeadLetterRecordError(`channel dead letter: ${path} is a ${typeof value}, not JSON`);
}

/**
 * A channel record as the flat [name, value, …] list XADD takes, in CHANNEL_DEAD_LETTER_FIELDS order. Every
 * field is checked; the payload is cleaned (cleanPayload) and the error message scrubbed again (scrubSecrets,
 * with `secrets`), so a caller that passed a raw message still writes nothing secret.
 */
export function channelDeadLetterFields(
	record: ChannelDeadLetterRecord,
	secrets: readonly string[] = [],
): string[] {
	if (record === null || typeof record !== 'object') {
		throw new DeadLetterRecordError('channel dead letter: the record must be an object');
	}
	const operation = checkText('operation', record.operation, 40);
	if (!OPERATION.test(operation)) {
		throw new DeadLetterRecordError(
			`channel dead letter: operation '${operation}' must be a letter, then letters, digits, '_' or '-'`,
		);
	}
	const attempts = record.attempts;
	if (typeof attempts !== 'number' || !Number.isSafeInteger(attempts) || attempts < 0) {
		throw new DeadLetterRecordError('channel dead letter: attempts must be a count (integer ≥ 0)');
	}
	const replayOf = record.replayOf ?? '';
	if (replayOf !== '' && !isStreamId(replayOf)) {
		throw new DeadLetterRecordError(
			'channel dead letter: replayOf must be a dead-letter id (<ms>-<seq>)',
		);
	}
	const values: Record<ChannelDeadLetterField, string> = {
		kind: CHANNEL_DEAD_LETTER,
		reason: scrubSecrets(checkText('reason', record.reason, 200), secrets),
		channel: checkText('channel', record.channel, 200),
		operation,
		items: encodeItems(record.items),
		payload: JSON.stringify(cleanPayload(record.payload, secrets)),
		errorClass: cleanClass(checkText('errorClass', record.errorClass, 1_000, true)),
		errorMessage: scrubSecrets(
			checkText('errorMessage', record.errorMessage, 100_000, true),
			secrets,
		).slice(0, MAX_MESSAGE),
		attempts: String(attempts),
		firstFailureAt: checkTime('firstFailureAt', record.firstFailureAt),
		lastFailureAt: checkTime('lastFailureAt', record.lastFailureAt),
		deadAt: checkTime('deadAt', record.deadAt),
		replayOf,
	};
	const out: string[] = [];
	for (const name of CHANNEL_DEAD_LETTER_FIELDS) out.push(name, values[name]);
	return out;
}

function parseJson(id: string, what: string, text: string): unknown {
	let value: unknown;
	let parsed = true;
	try {
		value = JSON.parse(text) as unknown;
	} catch {
		parsed = false;
	}
	if (!parsed) throw new DeadLetterRecordError(`dead letter ${id}: ${what} is not JSON`);
	return value;
}

/**
 * A channel dead letter (XRANGE row: its id and flat field list, text or Buffers) back into a record. Throws
 * DeadLetterRecordError naming what is wrong when the entry is not a channel dead letter.
 */
export function readChannelDeadLetter(
	id: string,
	fields: ReadonlyArray<string | Buffer>,
): ChannelDeadLetter {
	if (fields.length !== 2 * CHANNEL_DEAD_LETTER_FIELDS.length) {
		throw new DeadLetterRecordError(
			`dead letter ${id}: ${fields.length / 2} fields, a channel record has ${CHANNEL_DEAD_LETTER_FIELDS.length}`,
		);
	}
	const values = {} as Record<ChannelDeadLetterField, string>;
	CHANNEL_DEAD_LETTER_FIELDS.forEach((name, k) => {
		if (String(fields[2 * k]) !== name) {
			throw new DeadLetterRecordError(
				`dead letter ${id}: field '${name}' missing at position ${2 * k}`,
			);
		}
		values[name] = String(fields[2 * k + 1]);
	});
	if (values.kind !== CHANNEL_DEAD_LETTER) {
		throw new DeadLetterRecordError(
			`dead letter ${id}: kind '${values.kind.slice(0, 40)}' is not '${CHANNEL_DEAD_LETTER}'`,
		);
	}
	const items = parseJson(id, 'items', values.items);
	if (!Array.isArray(items))
		throw new DeadLetterRecordError(`dead letter ${id}: items is not a list`);
	const payload = parseJson(id, 'payload', values.payload);
	const attempts = Number(values.attempts);
	if (!/^\d+$/.test(values.attempts) || !Number.isSafeInteger(attempts)) {
		throw new DeadLetterRecordError(
			`dead letter ${id}: attempts '${values.attempts.slice(0, 40)}' is not a count`,
		);
	}
	const record: ChannelDeadLetter = {
		id,
		kind: CHANNEL_DEAD_LETTER,
		reason: values.reason,
		channel: values.channel,
		operation: values.operation,
		items: items as ChannelDeadLetterItem[],
		payload: payload as JsonValue,
		errorClass: values.errorClass,
		errorMessage: values.errorMessage,
		attempts,
		firstFailureAt: values.firstFailureAt,
		lastFailureAt: values.lastFailureAt,
		deadAt: values.deadAt,
		...(values.replayOf ? { replayOf: values.replayOf } : {}),
	};
	return record;
}

/**
 * Any dead letter (either kind, as Buffers from XRANGE: an inbox body keeps its exact bytes) by its `kind`.
 * Throws (DeadLetterRecordError, or readDeadLetter's Error for a broken inbox record) when it is neither.
 */
export function readAnyDeadLetter(id: string, fields: ReadonlyArray<Buffer>): AnyDeadLetter {
	const kind = fields.length >= 2 && String(fields[0]) === 'kind' ? String(fields[1]) : '';
	if (kind === CHANNEL_DEAD_LETTER) return readChannelDeadLetter(id, fields);
	if (kind === INBOX_DEAD_LETTER) return readDeadLetter(id, fields) as InboxDeadLetter;
	throw new DeadLetterRecordError(
		`dead letter ${id}: unknown kind '${kind.slice(0, 40)}' (known: ${INBOX_DEAD_LETTER}, ${CHANNEL_DEAD_LETTER})`,
	);
}
