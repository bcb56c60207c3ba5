import type Redis from 'ioredis';
import type { InventoryEvent } from '../../nodes/shared/events/types';

/**
 * Test tools for the Inventory Ledger's integration tests: the test Redis (test/support) under a key prefix
 * per file, a standard profile, and canonical event builders (the shape the trigger emits).
 */

export const SHOP = 's.test';
export const WOO = 'w.test';
export const WOO2 = 'w2.test';
/** Ledger-owned Shopify location (a warehouse Shopify mirrors): Shopify POS sales and restocks apply here. */
export const L0 = `shopify:${SHOP}:100`;
/** Shopify-owned: Shopify's levels are the truth; WooCommerce (w.test) sales here are forwarded. */
export const L1 = `shopify:${SHOP}:101`;
/** Ledger-owned ERP warehouse: WooCommerce (w2.test) sales apply here. */
export const L2 = 'ledger:erp';

/** Three channels over three locations, one channel-owned. */
export const PROFILE = {
	dryRun: true,
	locations: [
		{ id: L0, owner: 'ledger' },
		{ id: L1, owner: 'shopify' },
		{ id: L2, owner: 'ledger' },
	],
	channels: [
		{
			name: 'shopify',
			platform: 'shopify',
			shop: SHOP,
			salesLocation: L1,
			places: [
				{ id: L0, shows: [L0] },
				{ id: L1, shows: [L1] },
			],
		},
		{
			name: 'woo',
			platform: 'woocommerce',
			shop: WOO,
			salesLocation: L1,
			places: [{ id: `woocommerce:${WOO}:default`, shows: [L1, L2] }],
			buffer: { type: 'fixed', value: 1 },
		},
		{
			name: 'woo2',
			platform: 'woocommerce',
			shop: WOO2,
			salesLocation: L2,
			places: [{ id: `woocommerce:${WOO2}:default`, shows: [L2, L0] }],
		},
	],
};

const ISO = '2026-11-26T00:00:00.000Z';

export function levelEvent(
	sku: string | null,
	locationId: string,
	quantity: number,
	version: number,
	opts: {
		platform?: 'shopify' | 'manual';
		shop?: string;
		inventoryItemId?: string;
		reread?: boolean;
	} = {},
): InventoryEvent & { reread?: boolean } {
	const platform = opts.platform ?? 'shopify';
	const shop = opts.shop ?? (platform === 'shopify' ? SHOP : 'erp');
	const item = opts.inventoryItemId ?? 'x';
	return {
		kind: 'level',
		id: `${platform}:${shop}:level:${item}:${locationId}`,
		version,
		source: {
			platform,
			shop,
			topic: platform === 'shopify' ? 'inventory_levels/update' : 'feed',
			via: platform === 'manual' ? 'manual' : 'webhook',
		},
		sku,
		refs: opts.inventoryItemId ? { inventoryItemId: opts.inventoryItemId } : {},
		locationId,
		quantity,
		occurredAt: ISO,
		receivedAt: ISO,
		...(opts.reread ? { reread: true } : {}),
	};
}

export function lineEvent(opts: {
	platform: 'shopify' | 'woocommerce';
	shop: string;
	orderId: string;
	lineKey: string;
	sku: string | null;
	quantity: number | null;
	version: number;
	locationId?: string | null;
	lineIds?: string[];
}): InventoryEvent {
	return {
		kind: 'orderLine',
		id: `${opts.platform}:${opts.shop}:order:${opts.orderId}:line:${opts.lineKey}`,
		version: opts.version,
		source: {
			platform: opts.platform,
			shop: opts.shop,
			topic: opts.platform === 'shopify' ? 'orders/updated' : 'order.updated',
			via: 'webhook',
		},
		lineIds: opts.lineIds ?? [opts.lineKey],
		sku: opts.sku,
		refs: { orderId: opts.orderId },
		locationId: opts.locationId ?? null,
		quantity: opts.quantity,
		occurredAt: ISO,
		receivedAt: ISO,
	};
}

/** Socket writes of a client while `fn` runs: one write = one round trip. */
export async function roundTrips(redis: Redis, fn: () => Promise<unknown>): Promise<number> {
	const stream = (redis as unknown as { stream: { write: (...a: unknown[]) => boolean } }).stream;
	const original = stream.write;
	let writes = 0;
	stream.write = function (this: unknown, ...args: unknown[]) {
		writes++;
		return original.apply(this, args);
	};
	try {
		await fn();
	} finally {
		stream.write = original;
	}
	return writes;
}
