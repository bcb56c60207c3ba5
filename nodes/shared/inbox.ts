import type Redis from 'ioredis';
import type { Delivery } from '../InventoryWebhookTrigger/normalize/types';

/**
 * The inbox stream's entry format (design "Receipt and processing"): what the webhook trigger stores after a
 * verified receipt and the Inbox Trigger reads back. The body is stored as the exact bytes received.
 */

export const INBOX_FIELDS = ['platform', 'headers', 'body', 'receivedAt'] as const;

/** XADD one verified delivery; resolves with the entry id only once Redis has stored it. */
export async function appendToInbox(redis: Redis, streamKey: string, delivery: Delivery, rawBody: Buffer): Promise<string> {
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
	return id;
}

/** An inbox entry's fields (as a flat [name, value, …] list of Buffers) back into a delivery. */
export function deliveryFromEntry(fields: Buffer[]): Delivery {
	const map = new Map<string, Buffer>();
	for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i].toString('utf8'), fields[i + 1]);
	const platform = map.get('platform')?.toString('utf8');
	if (platform !== 'shopify' && platform !== 'woocommerce') throw new Error(`unknown platform '${platform}'`);
	return {
		platform,
		headers: JSON.parse(map.get('headers')?.toString('utf8') ?? '{}') as Record<string, string | undefined>,
		rawBody: map.get('body')?.toString('utf8') ?? '',
		receivedAt: map.get('receivedAt')?.toString('utf8') ?? new Date(0).toISOString(),
	};
}
