/**
 * The dead-letter stream's record format (`<key prefix>:dlq`, one stream for every node that gives up on
 * something; `kind` tells them apart). A record is the fields that say why, in this order, followed by the
 * fields of the entry itself (for the inbox: platform, headers, body, receivedAt — all a replay needs).
 *
 * The Inbox Trigger's records are written inside Redis by lua/deadLetterEntries-2.lua (copy and XACK in one
 * atomic step), which writes exactly `deadLetterFields` (tested byte for byte against it); nodes that write a
 * dead letter from TypeScript XADD `deadLetterFields(…)`.
 */

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
