import { deliveryFromEntry } from '../shared/inbox';
import {
	normalizeDelivery,
	type Delivery,
	type InvalidEvent,
	type InventoryEvent,
	type NormalizeResult,
} from '../shared/events';

/**
 * Inbox entries (as Redis returns them, raw bytes) into the canonical items, with the Webhook Trigger's own
 * pure normaliser — so an event reaches the workflow exactly as it would in per-request mode. Pure.
 */

export interface InboxEntry {
	/** Stream entry id, e.g. '1764122400000-0'. */
	id: string;
	/** The entry's fields as stored: [name, value, name, value, …]. */
	fields: Buffer[];
	/** Times the group delivered it (1 on the first read; XAUTOCLAIM adds one). */
	deliveries: number;
}

/** An entry the workflow cannot use as stored (not written by our Webhook Trigger): shown on Invalid. */
export interface UnreadableEntry {
	reason: string;
	platform: string | null;
	topic: string;
	shop: null;
	receivedAt: string;
	rawBody: string;
	entryId: string;
}

export interface PreparedEntry {
	id: string;
	deliveries: number;
	events: InventoryEvent[];
	invalid: Array<InvalidEvent | UnreadableEntry>;
	/** Set when the delivery was read back and its body normalised (absent for unreadable entries). */
	delivery?: Delivery;
	/** Shopify refunds/create: the order to re-read (see NormalizeResult.rereadOrder). */
	rereadOrder?: NormalizeResult['rereadOrder'];
}

/**
 * Parses the entries of an XREADGROUP / XREAD / XAUTOCLAIM reply read with Buffers: a list of
 * [id, [field, value, …]]. An entry whose fields are nil (deleted while pending, Redis 6.2) is skipped.
 */
export function parseEntries(list: unknown, deliveries = 1): InboxEntry[] {
	if (!Array.isArray(list)) return [];
	const out: InboxEntry[] = [];
	for (const raw of list) {
		if (!Array.isArray(raw) || raw.length < 2) continue;
		const [id, fields] = raw as [unknown, unknown];
		if (!Array.isArray(fields)) continue;
		out.push({
			id: Buffer.isBuffer(id) ? id.toString('latin1') : String(id),
			fields: fields.map((f) => (Buffer.isBuffer(f) ? f : Buffer.from(String(f), 'utf8'))),
			deliveries,
		});
	}
	return out;
}

/** The entries of the single stream of an XREADGROUP/XREAD reply ([[key, entries]] or null). */
export function parseReadReply(reply: unknown): InboxEntry[] {
	if (!Array.isArray(reply) || reply.length === 0) return [];
	const stream = reply[0] as unknown;
	if (!Array.isArray(stream) || stream.length < 2) return [];
	return parseEntries(stream[1]);
}

function field(fields: Buffer[], name: string): Buffer | undefined {
	for (let i = 0; i + 1 < fields.length; i += 2)
		if (fields[i].toString('utf8') === name) return fields[i + 1];
	return undefined;
}

/**
 * Normalises one entry. Never throws, whatever the entry holds (any fields, types or bytes): what cannot be
 * read becomes an Invalid item with the reason, and the rest of the batch runs.
 */
export function prepareEntry(entry: InboxEntry): PreparedEntry {
	let delivery: Delivery;
	let result: NormalizeResult;
	try {
		delivery = { ...deliveryFromEntry(entry.fields), via: 'webhook' };
		result = normalizeDelivery(delivery);
	} catch (error) {
		const reason = `unreadable inbox entry (${error instanceof Error ? error.message : String(error)})`;
		return {
			id: entry.id,
			deliveries: entry.deliveries,
			events: [],
			invalid: [
				{
					reason,
					platform: field(entry.fields, 'platform')?.toString('utf8') ?? null,
					topic: '',
					shop: null,
					receivedAt: field(entry.fields, 'receivedAt')?.toString('utf8') ?? '',
					rawBody: field(entry.fields, 'body')?.toString('utf8') ?? '',
					entryId: entry.id,
				},
			],
		};
	}
	return {
		id: entry.id,
		deliveries: entry.deliveries,
		events: result.events,
		invalid: result.invalid,
		delivery,
		...(result.rereadOrder ? { rereadOrder: result.rereadOrder } : {}),
	};
}

/**
 * The items of one run: every event on Events, every invalid body on Invalid, in stream order. Each event
 * carries its entry's id (`inboxEntryId`): the Guard owns a claim by it, so a redelivered entry (a failed or
 * killed run, a batch re-run in halves) takes its own claims back instead of being called a duplicate.
 */
export function itemsOf(entries: readonly PreparedEntry[]): {
	events: InventoryEvent[];
	invalid: Array<InvalidEvent | UnreadableEntry>;
} {
	const events: InventoryEvent[] = [];
	const invalid: Array<InvalidEvent | UnreadableEntry> = [];
	for (const e of entries) {
		for (const ev of e.events) events.push({ ...ev, inboxEntryId: e.id });
		for (const inv of e.invalid)
			invalid.push('entryId' in inv ? inv : { ...inv, inboxEntryId: e.id });
	}
	return { events, invalid };
}
