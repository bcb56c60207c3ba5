import {
	normalizeDelivery,
	normalizeShopifyGraphqlOrder,
	type Delivery,
} from '../../../../nodes/shared/events';
import { shopifyOrder, toJson, wooOrder } from '../../../simulators/payloads';

// An order version with no line at all → one item for the order (`lineIds: []`, no SKU), so that the Ledger
// can make every line the order had draw 0 (design.md "Canonical item"; docs/ledger.md "Removed lines").

const RECEIVED = '2026-11-26T10:00:05.000Z';
const SHOP = 'demo-shop.myshopify.com';
const AT = '2026-11-26T15:00:00Z';

const shopify = (topic: string, body: string): Delivery => ({
	platform: 'shopify',
	headers: {
		'x-shopify-topic': topic,
		'x-shopify-shop-domain': SHOP,
		'x-shopify-event-id': 'evt-9',
	},
	rawBody: body,
	receivedAt: RECEIVED,
});
const woo = (body: string): Delivery => ({
	platform: 'woocommerce',
	headers: {
		'x-wc-webhook-topic': 'order.updated',
		'x-wc-webhook-source': 'https://Shop.Example.com/',
		'x-wc-webhook-delivery-id': 'd1',
	},
	rawBody: body,
	receivedAt: RECEIVED,
});

describe('an order version with no line', () => {
	it('WooCommerce: one item for the order, whatever the status', () => {
		for (const status of ['processing', 'cancelled', 'failed']) {
			const { events, invalid } = normalizeDelivery(
				woo(toJson(wooOrder({ id: 727, status, dateModifiedGmt: new Date(AT), lines: [] }))),
			);
			expect(invalid).toEqual([]);
			expect(events).toEqual([
				{
					kind: 'orderLine',
					id: 'woocommerce:shop.example.com:order:727',
					version: Date.parse(AT),
					source: {
						platform: 'woocommerce',
						shop: 'shop.example.com',
						topic: 'order.updated',
						via: 'webhook',
					},
					lineIds: [],
					sku: null,
					note: expect.stringMatching(/no line/),
					refs: { orderId: '727' },
					locationId: null,
					quantity: 0,
					correlationId: 'd1',
					occurredAt: AT.replace('Z', '.000Z'),
					receivedAt: RECEIVED,
				},
			]);
		}
	});

	it('Shopify orders/updated and the GraphQL re-read: the same one item, with the exact order id', () => {
		const big = '820982911946154508';
		const body = toJson(
			shopifyOrder({ id: 1, updatedAt: new Date(AT), lines: [], locationId: 123 }),
		).replace(/"id":1,/, `"id":${big},`);
		const webhook = normalizeDelivery(shopify('orders/updated', body));
		expect(webhook.invalid).toEqual([]);
		expect(webhook.events).toEqual([
			expect.objectContaining({
				kind: 'orderLine',
				id: `shopify:${SHOP}:order:${big}`,
				version: Date.parse(AT),
				lineIds: [],
				sku: null,
				refs: { orderId: big },
				locationId: null,
				quantity: 0,
			}),
		]);
		const reread = normalizeShopifyGraphqlOrder(
			{
				id: `gid://shopify/Order/${big}`,
				updatedAt: AT,
				retailLocation: { id: 'gid://shopify/Location/123' },
				lineItems: { edges: [] },
				refunds: [],
			},
			shopify('refunds/create', '{}'),
		);
		expect(reread.invalid).toEqual([]);
		const strip = ({
			id,
			version,
			lineIds,
			sku,
			refs,
			locationId,
			quantity,
		}: (typeof webhook.events)[number]) => ({
			id,
			version,
			lineIds,
			sku,
			refs,
			locationId,
			quantity,
		});
		expect(reread.events.map(strip)).toEqual(webhook.events.map(strip));
	});

	it('orders with lines are unchanged: one item per line, no order item', () => {
		const { events } = normalizeDelivery(
			woo(
				toJson(
					wooOrder({
						id: 5,
						status: 'processing',
						dateModifiedGmt: new Date(AT),
						lines: [{ id: 1, productId: 2, sku: 'A', quantity: 1 }],
					}),
				),
			),
		);
		expect(events.map((e) => [e.id, e.lineIds])).toEqual([
			['woocommerce:shop.example.com:order:5:line:1', ['1']],
		]);
	});
});
