import { isUtf8 } from 'node:buffer';
import type Redis from 'ioredis';
import type { Delivery } from './events/types';

/**
 * The inbox stream's entry format (design "Receipt and processing"): what the webhook trigger stores after a
 * verified receipt and the Inbox Trigger reads back. The body is stored as the exact bytes received.
 */

/** Replicas that must hold the entry before it counts as stored (the credential's Replicas to Wait For). */
export interface ReplicaWait {
	replicas: number;
	timeoutMs: number;
}

/** Fewer replicas than asked confirmed the entry in time: not answered 200, so the platform sends it again. */
export class ReplicaWaitError extends Error {}

/**
 * XADD one verified delivery; resolves with the entry id only once Redis has stored it — and, given `wait`, once
 * that many replicas hold it too (WAIT). Replication is asynchronous: without the wait, an entry the primary
 * acknowledged can be missing on the replica Sentinel promotes after the primary dies. When the replicas do not
 * confirm in time the entry stays on the primary and this rejects: the caller answers 503, the platform retries,
 * and the Guard drops whichever copy comes second.
 */
export async function appendToInbox(
	redis: Redis,
	streamKey: string,
	delivery: Delivery,
	rawBody: Buffer,
	wait?: ReplicaWait,
): Promise<string> {
	const id = await redis.xadd(
		streamKey,
		'*',
		'platform',
		delivery.platform,
		'headers',
		JSON.stringify(delivery.headers),
		'body',
		rawBody,
		'receivedAt',
		delivery.receivedAt,
	);
	if (!id) throw new Error('Redis did not store the entry');
	if (wait && wait.replicas > 0) {
		const confirmed = Number(await redis.call('WAIT', wait.replicas, wait.timeoutMs));
		if (confirmed < wait.replicas)
			throw new ReplicaWaitError(
				`only ${confirmed} of ${wait.replicas} replicas confirmed the entry within ${wait.timeoutMs} ms`,
			);
	}
	return id;
}

/**
 * An inbox entry's fields (as a flat [name, value, …] list of Buffers) back into a delivery. An entry is data
 * anyone with write access to Redis could have written: anything that is not what appendToInbox writes
 * throws an Error saying what (the Inbox Trigger turns it into an Invalid item for that entry alone).
 */
export function deliveryFromEntry(fields: Buffer[]): Delivery {
	const map = new Map<string, Buffer>();
	for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i].toString('utf8'), fields[i + 1]);
	const platform = map.get('platform')?.toString('utf8');
	if (platform !== 'shopify' && platform !== 'woocommerce') {
		// Seen by a user as the Invalid item's reason: say what it means, not which field was missing.
		throw new Error(
			platform === undefined
				? 'not written by the Inventory Webhook Trigger: the entry has no platform field'
				: `not written by the Inventory Webhook Trigger: platform '${platform.slice(0, 40)}' is neither shopify nor woocommerce`,
		);
	}
	const body = map.get('body') ?? Buffer.alloc(0);
	const receivedAt = map.get('receivedAt')?.toString('utf8') ?? new Date(0).toISOString();
	return {
		platform,
		headers: headersOf(map.get('headers')),
		rawBody: body.toString('utf8'),
		receivedAt,
		...(isUtf8(body) ? {} : { bodyNotUtf8: true as const }),
	};
}

/** The stored headers: a JSON object of text values, as appendToInbox writes them; anything else throws. */
function headersOf(stored: Buffer | undefined): Record<string, string | undefined> {
	if (stored === undefined) return {};
	const notJson = Symbol('not JSON');
	let parsed: unknown = notJson;
	try {
		parsed = JSON.parse(stored.toString('utf8'));
	} catch {
		// said below, as the reason of the unreadable entry
	}
	if (parsed === notJson) throw new Error('headers are not JSON');
	if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
		throw new Error(
			`headers are ${parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : typeof parsed}, not an object`,
		);
	}
	const out: Record<string, string | undefined> = {};
	for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
		if (value === null || value === undefined) continue;
		if (typeof value !== 'string') throw new Error(`header '${name.slice(0, 60)}' is not text`);
		out[name] = value;
	}
	return out;
}
