import {
	normalizeDelivery,
	normalizeShopifyGraphqlOrder,
	type Delivery,
	type InventoryEvent,
} from '../../../../nodes/shared/events';

/** placedAt: when an order took its stock, carried on its order lines (the Ledger's counted rule). */

const RECEIVED = '2026-11-26T10:00:05.000Z';
const SHOP = 'demo-shop.myshopify.com';

function shopify(topic: string, body: object): Delivery {
	return {
		platform: 'shopify',
		headers: {
			'x-shopify-topic': topic,
			'x-shopify-shop-domain': SHOP,
			'x-shopify-event-id': 'evt-1',
			'x-shopify-webhook-id': 'wh-1',
		},
		rawBody: JSON.stringify(body),
		receivedAt: RECEIVED,
	};
}

function woo(body: object): Delivery {
	return {
		platform: 'woocommerce',
		headers: {
			'x-wc-webhook-topic': 'order.updated',
			'x-wc-webhook-source': 'https://shop.example.com/',
			'x-wc-webhook-delivery-id': 'd41d8cd9',
		},
		rawBody: JSON.stringify(body),
		receivedAt: RECEIVED,
	};
}

function shopifyOrder(extra: Record<string, unknown>) {
	return {
		id: 820982911946154,
		updated_at: '2026-11-26T10:00:00-05:00',
		location_id: 555,
		line_items: [{ id: 466157049, sku: 'IPOD', quantity: 3, variant_id: 1, product_id: 2 }],
		refunds: [
			{
				refund_line_items: [
					{ line_item_id: 466157049, quantity: 1, restock_type: 'return', location_id: 777 },
				],
			},
		],
		...extra,
	};
}

function wooOrder(extra: Record<string, unknown>) {
	return {
		id: 727,
		status: 'processing',
		date_modified_gmt: '2026-11-26T10:00:00',
		line_items: [{ id: 315, product_id: 93, sku: 'W-0', quantity: 2, meta_data: [] }],
		...extra,
	};
}

const ids = (events: InventoryEvent[]) => events.map((e) => [e.id, e.version]);

describe('placedAt on Shopify order lines', () => {
	it("is the order's created_at (when Shopify committed its stock) on each line, not on a restock item", () => {
		const { events, invalid } = normalizeDelivery(
			shopify('orders/updated', shopifyOrder({ created_at: '2026-11-26T04:59:30-05:00' })),
		);
		expect(invalid).toEqual([]);
		const line = events.find((e) => e.id.endsWith(':line:466157049'))!;
		const back = events.find((e) => e.id.endsWith(':restock:777'))!;
		expect(line.placedAt).toBe('2026-11-26T09:59:30.000Z');
		expect(back).toBeDefined();
		expect(back).not.toHaveProperty('placedAt');
	});

	it('is absent when the order has no readable created_at, and never changes ids or versions', () => {
		const without = normalizeDelivery(shopify('orders/updated', shopifyOrder({}))).events;
		const garbled = normalizeDelivery(
			shopify('orders/updated', shopifyOrder({ created_at: 'yesterday-ish' })),
		).events;
		const withIt = normalizeDelivery(
			shopify('orders/updated', shopifyOrder({ created_at: '2026-11-26T04:59:30-05:00' })),
		).events;
		for (const e of [...without, ...garbled]) expect(e).not.toHaveProperty('placedAt');
		expect(ids(withIt)).toEqual(ids(without));
	});

	it("a GraphQL re-read (refunds/create, Poll Orders) carries the order's createdAt the same way", () => {
		const order = {
			id: 'gid://shopify/Order/820982911946154',
			createdAt: '2026-11-26T09:59:30Z',
			updatedAt: '2026-11-26T15:00:00Z',
			retailLocation: null,
			lineItems: {
				edges: [
					{
						node: {
							id: 'gid://shopify/LineItem/466157049',
							sku: 'IPOD',
							quantity: 3,
							variant: null,
							product: null,
						},
					},
				],
			},
			refunds: [],
		};
		const delivery = shopify('refunds/create', {});
		const { events } = normalizeShopifyGraphqlOrder(order, delivery);
		expect(events.map((e) => e.placedAt)).toEqual(['2026-11-26T09:59:30.000Z']);
		const older: Record<string, unknown> = { ...order };
		delete older.createdAt;
		expect(normalizeShopifyGraphqlOrder(older, delivery).events[0]).not.toHaveProperty('placedAt');
	});
});

describe('placedAt on WooCommerce order lines', () => {
	it('is the payment time (date_paid_gmt, UTC without a zone) when the order is paid', () => {
		const { events } = normalizeDelivery(
			woo(
				wooOrder({
					date_created_gmt: '2026-11-26T04:00:00',
					date_paid_gmt: '2026-11-26T05:00:00',
				}),
			),
		);
		expect(events.map((e) => e.placedAt)).toEqual(['2026-11-26T05:00:00.000Z']);
	});

	it('is the creation time (date_created_gmt) while unpaid (on-hold), absent when neither is given', () => {
		const unpaid = normalizeDelivery(
			woo(
				wooOrder({
					status: 'on-hold',
					date_created_gmt: '2026-11-26T04:00:00',
					date_paid_gmt: null,
				}),
			),
		).events;
		expect(unpaid.map((e) => e.placedAt)).toEqual(['2026-11-26T04:00:00.000Z']);
		const unknown = normalizeDelivery(woo(wooOrder({}))).events;
		expect(unknown[0]).not.toHaveProperty('placedAt');
		expect(ids(unpaid)).toEqual(ids(unknown));
	});

	it('is not on the item of an order without lines', () => {
		const { events } = normalizeDelivery(
			woo(wooOrder({ line_items: [], date_created_gmt: '2026-11-26T04:00:00' })),
		);
		expect(events).toHaveLength(1);
		expect(events[0]).not.toHaveProperty('placedAt');
	});
});
