import fc from 'fast-check';
import {
	SHOPIFY_TOPICS,
	WOOCOMMERCE_TOPICS,
	normalizeDelivery,
	normalizeShopifyGraphqlOrder,
	type Delivery,
	type InventoryEvent,
} from '../../../../nodes/shared/events';

const RECEIVED = '2026-11-26T10:00:05.000Z';
const SHOP = 'demo-shop.myshopify.com';

function shopify(topic: string, body: string, extra: Record<string, string> = {}): Delivery {
	return {
		platform: 'shopify',
		headers: {
			'x-shopify-topic': topic,
			'x-shopify-shop-domain': SHOP,
			'x-shopify-event-id': 'evt-1',
			'x-shopify-webhook-id': 'wh-1',
			...extra,
		},
		rawBody: body,
		receivedAt: RECEIVED,
	};
}

function woo(topic: string, body: string): Delivery {
	return {
		platform: 'woocommerce',
		headers: {
			'x-wc-webhook-topic': topic,
			'x-wc-webhook-source': 'https://Shop.Example.com/',
			'x-wc-webhook-delivery-id': 'd41d8cd9',
		},
		rawBody: body,
		receivedAt: RECEIVED,
	};
}

function quantities(events: InventoryEvent[]): Record<string, number | null> {
	return Object.fromEntries(events.map((e) => [e.id.split(':line:')[1] ?? e.id, e.quantity]));
}

const BIG_ITEM = '9007199254740993'; // 2^53 + 1: JSON.parse would make it ...992

describe('Shopify inventory_levels/update', () => {
	const body = `{"inventory_item_id":${BIG_ITEM},"location_id":655441491,"available":7,"updated_at":"2026-11-26T10:00:00-05:00","admin_graphql_api_id":"gid://shopify/InventoryLevel/655441491?inventory_item_id=${BIG_ITEM}"}`;

	it('gives one level item with exact ids and the precise triggered-at version', () => {
		const { events, invalid } = normalizeDelivery(
			shopify('inventory_levels/update', body, {
				'x-shopify-triggered-at': '2026-11-26T15:00:00.123456Z',
			}),
		);
		expect(invalid).toEqual([]);
		expect(events).toEqual([
			{
				kind: 'level',
				id: `shopify:${SHOP}:level:${BIG_ITEM}:655441491`,
				version: Date.parse('2026-11-26T15:00:00.123Z'),
				source: {
					platform: 'shopify',
					shop: SHOP,
					topic: 'inventory_levels/update',
					via: 'webhook',
				},
				sku: null,
				note: expect.any(String),
				refs: { inventoryItemId: BIG_ITEM },
				locationId: `shopify:${SHOP}:655441491`,
				quantity: 7,
				correlationId: 'evt-1',
				occurredAt: '2026-11-26T15:00:00.123Z',
				receivedAt: RECEIVED,
			},
		]);
	});

	it('falls back to updated_at without a triggered-at header', () => {
		const { events } = normalizeDelivery(shopify('inventory_levels/update', body));
		expect(events[0].version).toBe(Date.parse('2026-11-26T15:00:00Z'));
	});

	it("ignores a triggered-at header outside the body's own second (the header is not signed)", () => {
		const bodyMs = Date.parse('2026-11-26T15:00:00Z');
		const versionWith = (header: string) =>
			normalizeDelivery(
				shopify('inventory_levels/update', body, { 'x-shopify-triggered-at': header }),
			).events[0].version;
		// A forged far-future or "a minute later" header cannot pin the level: the signed body's time stands.
		expect(versionWith('2099-12-31T23:59:59.999Z')).toBe(bodyMs);
		expect(versionWith(new Date(bodyMs + 60_000).toISOString())).toBe(bodyMs);
		expect(versionWith(new Date(bodyMs + 1_000).toISOString())).toBe(bodyMs);
		expect(versionWith(new Date(bodyMs - 1).toISOString())).toBe(bodyMs);
		expect(versionWith('not a time')).toBe(bodyMs);
		// Within the second it only adds the milliseconds the body lacks.
		expect(versionWith(new Date(bodyMs + 999).toISOString())).toBe(bodyMs + 999);
		expect(versionWith(new Date(bodyMs).toISOString())).toBe(bodyMs);
	});

	it('property: any header moves the version by less than one second from the signed body time, never earlier', () => {
		const bodyMs = Date.parse('2026-11-26T15:00:00Z');
		fc.assert(
			fc.property(fc.integer({ min: 0, max: 8_000_000_000_000 }), (headerMs) => {
				const { events } = normalizeDelivery(
					shopify('inventory_levels/update', body, {
						'x-shopify-triggered-at': new Date(headerMs).toISOString(),
					}),
				);
				const v = events[0].version;
				return v >= bodyMs && v < bodyMs + 1000 && (v === bodyMs || v === headerMs);
			}),
		);
	});

	it('header values that are not text (an inbox entry can hold anything) give Invalid, never a throw', () => {
		const odd = {
			...shopify('inventory_levels/update', body),
			headers: { 'x-shopify-topic': ['orders/create'], 'x-shopify-shop-domain': 7 },
		} as unknown as Delivery;
		const { events, invalid } = normalizeDelivery(odd);
		expect(events).toEqual([]);
		expect(invalid[0].reason).toBe('the topic header is missing');
	});

	it('a SKU holding a lone surrogate escape is Invalid (no platform stores one; it would merge with U+FFFD)', () => {
		const order = (sku: string) =>
			JSON.stringify({
				id: 1,
				status: 'processing',
				date_modified_gmt: '2026-11-26T10:00:00',
				line_items: [{ id: 2, product_id: 3, sku, quantity: 1 }],
			});
		for (const sku of ['\\ud800', 'S\\udfff']) {
			const raw = order('X').replace('"X"', `"${sku}"`);
			const { events, invalid } = normalizeDelivery(woo('order.updated', raw));
			expect(events).toEqual([]);
			expect(invalid[0].reason).toMatch(/lone surrogate/);
		}
		// A proper pair (an emoji written as an escape) is fine.
		expect(
			normalizeDelivery(woo('order.updated', order('X').replace('"X"', '"S\\ud83d\\ude00"')))
				.events[0].sku,
		).toBe('S😀');
	});

	it('sends a level without `available` (untracked item) to Invalid', () => {
		const { events, invalid } = normalizeDelivery(
			shopify(
				'inventory_levels/update',
				'{"inventory_item_id":1,"location_id":2,"available":null,"updated_at":"2026-11-26T10:00:00Z"}',
			),
		);
		expect(events).toEqual([]);
		expect(invalid[0].reason).toMatch(/available/);
	});
});

function shopifyOrder(
	opts: {
		refunds?: object[];
		cancelled?: boolean;
		locationId?: number | null;
		updatedAt?: string;
	} = {},
) {
	return JSON.stringify({
		id: '__ORDER_ID__',
		admin_graphql_api_id: 'gid://shopify/Order/820982911946154508',
		updated_at: opts.updatedAt ?? '2026-11-26T10:00:00-05:00',
		cancelled_at: opts.cancelled ? '2026-11-26T10:00:00-05:00' : null,
		location_id: opts.locationId ?? null,
		line_items: [
			{
				id: 466157049,
				variant_id: 39072856,
				product_id: 632910392,
				sku: 'IPOD2008GREEN',
				quantity: 3,
				current_quantity: 3,
			},
			{
				id: 518995019,
				variant_id: null,
				product_id: null,
				sku: null,
				quantity: 1,
				title: 'Gift wrap',
			},
		],
		refunds: opts.refunds ?? [],
	}).replace('"__ORDER_ID__"', '820982911946154508'); // a bare 64-bit integer, as Shopify sends it
}

describe('Shopify orders', () => {
	it('one orderLine per line, drawing its quantity; a line without SKU passes with a note', () => {
		const { events, invalid } = normalizeDelivery(shopify('orders/create', shopifyOrder()));
		expect(invalid).toEqual([]);
		expect(events).toHaveLength(2);
		expect(events[0]).toMatchObject({
			kind: 'orderLine',
			id: `shopify:${SHOP}:order:820982911946154508:line:466157049`,
			sku: 'IPOD2008GREEN',
			refs: { orderId: '820982911946154508', variantId: '39072856', productId: '632910392' },
			locationId: null,
			quantity: 3,
			lineIds: ['466157049', '518995019'],
			version: Date.parse('2026-11-26T15:00:00Z'),
		});
		expect(events[1]).toMatchObject({
			sku: null,
			note: expect.stringMatching(/no SKU/),
			quantity: 1,
		});
	});

	it('keeps order ids above 2^53 exact', () => {
		const body = shopifyOrder().replace('820982911946154508,', `${BIG_ITEM},`);
		const { events } = normalizeDelivery(shopify('orders/updated', body));
		expect(events[0].refs.orderId).toBe(BIG_ITEM);
		expect(events[0].id).toContain(`:order:${BIG_ITEM}:`);
	});

	it('a cancellation without restock returns nothing', () => {
		const { events } = normalizeDelivery(
			shopify('orders/cancelled', shopifyOrder({ cancelled: true })),
		);
		expect(quantities(events)).toEqual({ '466157049': 3, '518995019': 1 });
	});

	it('a restocking cancellation returns the restocked units once (refund lines, restock_type cancel)', () => {
		const refunds = [
			{
				id: 1,
				refund_line_items: [
					{
						id: 9,
						line_item_id: 466157049,
						quantity: 3,
						restock_type: 'cancel',
						location_id: null,
					},
					{
						id: 10,
						line_item_id: 518995019,
						quantity: 1,
						restock_type: 'no_restock',
						location_id: null,
					},
				],
			},
		];
		const { events } = normalizeDelivery(
			shopify('orders/cancelled', shopifyOrder({ cancelled: true, refunds })),
		);
		expect(quantities(events)).toEqual({ '466157049': 0, '518995019': 1 });
	});

	it('return and legacy_restock refund lines restock too; partial refunds draw the rest', () => {
		const refunds = [
			{ refund_line_items: [{ line_item_id: 466157049, quantity: 1, restock_type: 'return' }] },
			{
				refund_line_items: [
					{ line_item_id: 466157049, quantity: 1, restock_type: 'legacy_restock' },
				],
			},
		];
		const { events } = normalizeDelivery(shopify('orders/updated', shopifyOrder({ refunds })));
		expect(quantities(events)['466157049']).toBe(1);
	});

	it('a restock at a named other location becomes a return item there; the sum is quantity − restocked', () => {
		const refunds = [
			{
				refund_line_items: [
					{ line_item_id: 466157049, quantity: 2, restock_type: 'return', location_id: 777 },
				],
			},
		];
		const { events } = normalizeDelivery(
			shopify('orders/updated', shopifyOrder({ refunds, locationId: 555 })),
		);
		const main = events.find((e) => e.id.endsWith(':line:466157049'))!;
		const back = events.find((e) => e.id.endsWith(':line:466157049:restock:777'))!;
		expect(main).toMatchObject({ quantity: 3, locationId: `shopify:${SHOP}:555` });
		expect(back).toMatchObject({
			quantity: -2,
			locationId: `shopify:${SHOP}:777`,
			sku: 'IPOD2008GREEN',
		});
		expect(main.lineIds).toEqual(['466157049', '466157049:restock:777', '518995019']);
	});

	it('refunds/create asks for a re-read of its order, and the re-read counts the restock exactly like orders/updated', () => {
		const refundBody =
			'{"id":929361462,"order_id":820982911946154508,"created_at":"2026-11-26T10:00:00-05:00","refund_line_items":[{"line_item_id":466157049,"quantity":3,"restock_type":"cancel"}]}';
		const delivery = shopify('refunds/create', refundBody);
		const result = normalizeDelivery(delivery);
		expect(result.events).toEqual([]);
		expect(result.rereadOrder).toEqual({ shop: SHOP, orderId: '820982911946154508' });

		const graphqlOrder = {
			id: 'gid://shopify/Order/820982911946154508',
			updatedAt: '2026-11-26T15:00:00Z',
			cancelledAt: '2026-11-26T15:00:00Z',
			retailLocation: null,
			lineItems: {
				edges: [
					{
						node: {
							id: 'gid://shopify/LineItem/466157049',
							sku: 'IPOD2008GREEN',
							quantity: 3,
							currentQuantity: 0,
							variant: { id: 'gid://shopify/ProductVariant/39072856' },
							product: { id: 'gid://shopify/Product/632910392' },
						},
					},
					{
						node: {
							id: 'gid://shopify/LineItem/518995019',
							sku: null,
							quantity: 1,
							currentQuantity: 1,
							variant: null,
							product: null,
						},
					},
				],
			},
			refunds: [
				{
					id: 'gid://shopify/Refund/929361462',
					createdAt: '2026-11-26T15:00:00Z',
					refundLineItems: {
						edges: [
							{
								node: {
									quantity: 3,
									restockType: 'CANCEL',
									location: null,
									lineItem: { id: 'gid://shopify/LineItem/466157049' },
								},
							},
						],
					},
				},
			],
		};
		const reread = normalizeShopifyGraphqlOrder(graphqlOrder, delivery);
		const cancelled = normalizeDelivery(
			shopify(
				'orders/cancelled',
				shopifyOrder({
					cancelled: true,
					refunds: [
						{
							refund_line_items: [{ line_item_id: 466157049, quantity: 3, restock_type: 'cancel' }],
						},
					],
				}),
			),
		);
		const strip = (e: InventoryEvent) => ({
			id: e.id,
			quantity: e.quantity,
			version: e.version,
			sku: e.sku,
			refs: e.refs,
		});
		expect(reread.invalid).toEqual([]);
		expect(reread.events.map(strip)).toEqual(cancelled.events.map(strip));
	});

	it('a POS order draws from its own location', () => {
		const { events } = normalizeDelivery(
			shopify('orders/create', shopifyOrder({ locationId: 123 })),
		);
		expect(events[0].locationId).toBe(`shopify:${SHOP}:123`);
	});
});

describe('Shopify mappings', () => {
	it('inventory_items/update maps the item id to its SKU', () => {
		const { events } = normalizeDelivery(
			shopify(
				'inventory_items/update',
				`{"id":${BIG_ITEM},"sku":"ABC-1","updated_at":"2026-11-26T10:00:00Z","tracked":true}`,
			),
		);
		expect(events).toMatchObject([
			{
				kind: 'mapping',
				id: `shopify:${SHOP}:mapping:${BIG_ITEM}`,
				sku: 'ABC-1',
				refs: { inventoryItemId: BIG_ITEM },
				quantity: null,
			},
		]);
	});

	it('products/update maps every variant; a blank SKU is reported, not guessed', () => {
		const body = JSON.stringify({
			id: 632910392,
			updated_at: '2026-11-26T10:00:00Z',
			variants: [
				{ id: 808950810, sku: 'IPOD-P', inventory_item_id: 808950810 },
				{ id: 49148385, sku: '  ', inventory_item_id: 49148385 },
			],
		});
		const { events } = normalizeDelivery(shopify('products/update', body));
		expect(events).toHaveLength(2);
		expect(events[0]).toMatchObject({
			sku: 'IPOD-P',
			refs: { inventoryItemId: '808950810', variantId: '808950810', productId: '632910392' },
		});
		expect(events[1]).toMatchObject({ sku: null, note: expect.stringMatching(/no SKU/) });
	});
});

function wooOrder(status: string, reduced: Array<number | null>, restocked: number[] = []) {
	return JSON.stringify({
		id: 727,
		status,
		date_modified_gmt: '2026-11-26T10:00:00',
		line_items: reduced.map((r, i) => ({
			id: 315 + i,
			product_id: 93,
			variation_id: i === 1 ? 94 : 0,
			sku: `W-${i}`,
			quantity: 2,
			meta_data: [
				...(r === null ? [] : [{ id: 1, key: '_reduced_stock', value: String(r) }]),
				...(restocked[i]
					? [{ id: 2, key: '_restock_refunded_items', value: String(restocked[i]) }]
					: []),
			],
		})),
	});
}

describe('WooCommerce orders', () => {
	const drawn = (status: string, reduced: Array<number | null>, restocked?: number[]) =>
		normalizeDelivery(woo('order.updated', wooOrder(status, reduced, restocked))).events.map(
			(e) => e.quantity,
		);

	it('uses WooCommerce’s own tally, _reduced_stock, when the payload has it', () => {
		expect(drawn('processing', [2, 2])).toEqual([2, 2]);
		expect(drawn('processing', [2, null])).toEqual([2, 0]);
	});

	it('pending → processing → cancelled → processing draws once, at the end', () => {
		expect(drawn('pending', [null, null])).toEqual([0, 0]);
		expect(drawn('processing', [2, 2])).toEqual([2, 2]);
		expect(drawn('cancelled', [null, null])).toEqual([0, 0]);
		expect(drawn('processing', [2, 2])).toEqual([2, 2]);
	});

	it('on-hold → failed keeps the units drawn', () => {
		expect(drawn('on-hold', [2, 2])).toEqual([2, 2]);
		expect(drawn('failed', [2, 2])).toEqual([2, 2]);
	});

	it('a restocked refund of one unit lowers the line’s draw by one', () => {
		expect(drawn('completed', [1, 2], [1, 0])).toEqual([1, 2]);
	});

	it('without any tally (old stores) the status rule applies; other statuses leave the stored units (null)', () => {
		expect(drawn('processing', [null, null], [1, 0])).toEqual([1, 2]);
		expect(drawn('cancelled', [null, null])).toEqual([0, 0]);
		expect(drawn('failed', [null, null])).toEqual([null, null]);
		expect(drawn('refunded', [null, null])).toEqual([null, null]);
	});

	it('builds ids from the lower-case site host and exact ids', () => {
		const { events } = normalizeDelivery(woo('order.created', wooOrder('processing', [2, 2])));
		expect(events[1]).toMatchObject({
			id: 'woocommerce:shop.example.com:order:727:line:316',
			source: {
				platform: 'woocommerce',
				shop: 'shop.example.com',
				topic: 'order.created',
				via: 'webhook',
			},
			refs: { orderId: '727', productId: '93', variantId: '94' },
			lineIds: ['315', '316'],
			locationId: null,
			version: Date.parse('2026-11-26T10:00:00Z'),
			correlationId: 'd41d8cd9',
		});
	});
});

describe('WooCommerce product.updated', () => {
	it('gives a mapping and an observation at the one pool for a managed product', () => {
		const { events } = normalizeDelivery(
			woo(
				'product.updated',
				'{"id":799,"parent_id":0,"sku":"TSHIRT","manage_stock":true,"stock_quantity":12,"date_modified_gmt":"2026-11-26T10:00:00"}',
			),
		);
		expect(events.map((e) => [e.kind, e.quantity, e.locationId])).toEqual([
			['mapping', null, null],
			['observation', 12, 'woocommerce:shop.example.com:default'],
		]);
	});

	it('a variation maps to its parent and itself; unmanaged stock gives only a mapping', () => {
		const { events } = normalizeDelivery(
			woo(
				'product.updated',
				'{"id":733,"parent_id":799,"sku":"TSHIRT-L","manage_stock":"parent","stock_quantity":null,"date_modified_gmt":"2026-11-26T10:00:00"}',
			),
		);
		expect(events).toMatchObject([
			{ kind: 'mapping', refs: { productId: '799', variantId: '733' }, sku: 'TSHIRT-L' },
		]);
	});
});

describe('what is not an event', () => {
	it('the WooCommerce ping is ignored', () => {
		const result = normalizeDelivery({ ...woo('', 'webhook_id=15'), headers: {} });
		expect(result).toEqual({ events: [], invalid: [], ignored: 'WooCommerce ping' });
	});

	it.each([
		['an unknown topic', shopify('carts/update', '{}'), /unsupported Shopify topic/],
		['a body that is not JSON', shopify('orders/create', '{"id":'), /not valid JSON/],
		[
			'missing line_items',
			shopify('orders/create', '{"id":1,"updated_at":"2026-11-26T10:00:00Z"}'),
			/line_items/,
		],
		[
			'a string quantity',
			shopify(
				'orders/create',
				'{"id":1,"updated_at":"2026-11-26T10:00:00Z","line_items":[{"id":1,"quantity":"lots"}]}',
			),
			/quantity/,
		],
		[
			'an absurd quantity',
			shopify(
				'inventory_levels/update',
				'{"inventory_item_id":1,"location_id":2,"available":99999999999,"updated_at":"2026-11-26T10:00:00Z"}',
			),
			/out of range/,
		],
		[
			'a fractional quantity',
			woo(
				'order.updated',
				'{"id":1,"status":"processing","date_modified_gmt":"2026-11-26T10:00:00","line_items":[{"id":1,"quantity":1.5}]}',
			),
			/whole number/,
		],
		[
			'a bad time',
			shopify('orders/create', '{"id":1,"updated_at":"yesterday","line_items":[]}'),
			/timestamp/,
		],
		[
			'no shop header',
			{ ...shopify('orders/create', '{}'), headers: { 'x-shopify-topic': 'orders/create' } },
			/Shop-Domain/,
		],
	])('%s goes to Invalid with the reason and the raw body', (_name, delivery, reason) => {
		const result = normalizeDelivery(delivery);
		expect(result.events).toEqual([]);
		expect(result.invalid).toHaveLength(1);
		expect(result.invalid[0].reason).toMatch(reason);
		expect(result.invalid[0].rawBody).toBe(delivery.rawBody);
	});
});

describe('properties', () => {
	const topics = [
		...SHOPIFY_TOPICS.map((t) => ['shopify', t] as const),
		...WOOCOMMERCE_TOPICS.map((t) => ['woocommerce', t] as const),
	];

	it('never throws on arbitrary JSON, for every topic, and accounts for every delivery', () => {
		fc.assert(
			fc.property(fc.constantFrom(...topics), fc.jsonValue(), ([platform, topic], value) => {
				const body = JSON.stringify(value) ?? 'null';
				const delivery = platform === 'shopify' ? shopify(topic, body) : woo(topic, body);
				const result = normalizeDelivery(delivery);
				return (
					result.events.length + result.invalid.length > 0 ||
					topic === 'refunds/create' ||
					Array.isArray(value) === false
				);
			}),
			{ numRuns: 2000 },
		);
	});

	it('never throws on arbitrary objects shaped like orders', () => {
		const line = fc.record({
			id: fc.oneof(fc.nat(), fc.string(), fc.constant(null)),
			sku: fc.oneof(fc.string(), fc.constant(null)),
			quantity: fc.oneof(fc.integer(), fc.double(), fc.string()),
			meta_data: fc.array(
				fc.record({
					key: fc.constantFrom('_reduced_stock', '_restock_refunded_items', 'x'),
					value: fc.jsonValue(),
				}),
			),
		});
		const order = fc.record({
			id: fc.oneof(fc.nat(), fc.string()),
			status: fc.constantFrom('processing', 'failed', 'x', 1),
			updated_at: fc.constantFrom('2026-11-26T10:00:00Z', 'nope'),
			date_modified_gmt: fc.constantFrom('2026-11-26T10:00:00', 'nope'),
			line_items: fc.array(line, { maxLength: 4 }),
			refunds: fc.array(
				fc.record({
					refund_line_items: fc.array(
						fc.record({
							line_item_id: fc.nat(3),
							quantity: fc.integer(),
							restock_type: fc.constantFrom('cancel', 'return', 'no_restock'),
						}),
					),
				}),
			),
		});
		fc.assert(
			fc.property(order, fc.boolean(), (value, isShopify) => {
				const body = JSON.stringify(value);
				const result = normalizeDelivery(
					isShopify ? shopify('orders/updated', body) : woo('order.updated', body),
				);
				for (const e of result.events) {
					if (e.quantity !== null) expect(Number.isInteger(e.quantity)).toBe(true);
				}
				return (
					result.events.length > 0 || result.invalid.length === 1 || value.line_items.length === 0
				);
			}),
			{ numRuns: 1000 },
		);
	});
});
