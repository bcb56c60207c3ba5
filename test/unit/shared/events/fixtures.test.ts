import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { normalizeDelivery, type Delivery } from '../../../../nodes/shared/events';

// Realistic payloads after Shopify's and WooCommerce's published webhook examples, read as text so that
// the 64-bit ids in them reach the normaliser exactly as a platform sends them.
const fixture = (name: string) =>
	readFileSync(join(__dirname, '..', '..', '..', 'fixtures', name), 'utf8');

const shopify = (topic: string, name: string): Delivery => ({
	platform: 'shopify',
	headers: {
		'x-shopify-topic': topic,
		'x-shopify-shop-domain': 'demo-shop.myshopify.com',
		'x-shopify-event-id': 'e',
	},
	rawBody: fixture(name),
	receivedAt: '2026-11-26T10:00:00.000Z',
});
const woo = (topic: string, name: string): Delivery => ({
	platform: 'woocommerce',
	headers: { 'x-wc-webhook-topic': topic, 'x-wc-webhook-source': 'https://example.com/' },
	rawBody: fixture(name),
	receivedAt: '2026-11-26T10:00:00.000Z',
});

/** Every integer literal of 16+ digits in a text: the ids JSON.parse would round. */
const bigIds = (text: string) =>
	[...text.matchAll(/(?<![0-9.])[0-9]{16,}(?![0-9.])/g)].map((m) => m[0]);

describe.each([
	['shopify', 'inventory_levels/update', 'shopify-inventory_levels-update.json', ['level']],
	['shopify', 'orders/create', 'shopify-orders-create.json', ['orderLine']],
	['shopify', 'orders/cancelled', 'shopify-orders-cancelled-restock.json', ['orderLine']],
	['shopify', 'inventory_items/update', 'shopify-inventory_items-update.json', ['mapping']],
	['shopify', 'products/update', 'shopify-products-update.json', ['mapping']],
	['woocommerce', 'order.updated', 'woocommerce-order-processing.json', ['orderLine']],
	['woocommerce', 'order.updated', 'woocommerce-order-legacy-no-meta.json', ['orderLine']],
	[
		'woocommerce',
		'product.updated',
		'woocommerce-product-updated.json',
		['mapping', 'observation'],
	],
	[
		'woocommerce',
		'product.updated',
		'woocommerce-variation-updated.json',
		['mapping', 'observation'],
	],
] as const)('%s %s (%s)', (platform, topic, file, kinds) => {
	const delivery = platform === 'shopify' ? shopify(topic, file) : woo(topic, file);
	const result = normalizeDelivery(delivery);

	it('normalises without an Invalid item', () => {
		expect(result.invalid).toEqual([]);
		expect(result.events.length).toBeGreaterThan(0);
		expect(new Set(result.events.map((e) => e.kind))).toEqual(
			new Set(kinds.filter((k) => result.events.some((e) => e.kind === k))),
		);
		for (const e of result.events) expect(kinds).toContain(e.kind);
	});

	it('keeps every 64-bit id exact', () => {
		const text = JSON.stringify(result.events);
		const ids = new Set(bigIds(delivery.rawBody));
		const seen = bigIds(text);
		if (platform === 'shopify') expect(seen.length).toBeGreaterThan(0); // WooCommerce ids are WordPress post ids: small
		for (const id of seen) expect(ids.has(id)).toBe(true);
	});
});

it('the restocking cancellation fixture draws nothing for its restocked lines', () => {
	const { events } = normalizeDelivery(
		shopify('orders/cancelled', 'shopify-orders-cancelled-restock.json'),
	);
	const total = events.filter((e) => e.sku !== null).reduce((sum, e) => sum + (e.quantity ?? 0), 0);
	expect(total).toBe(0);
});

it('refunds/create names its order for a re-read, exactly', () => {
	const result = normalizeDelivery(shopify('refunds/create', 'shopify-refunds-create.json'));
	expect(result.invalid).toEqual([]);
	expect(result.rereadOrder?.orderId).toMatch(/^[0-9]+$/);
	expect(fixture('shopify-refunds-create.json')).toContain(result.rereadOrder!.orderId);
});
