/* eslint-disable @typescript-eslint/no-explicit-any -- GraphQL answers are untyped JSON read field by field */
import http from 'node:http';
import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { ShopifyOutOfStockError, ShopifySimulator } from '../simulators/shopify';
import { shopifyOrder } from '../simulators/payloads';

/* The Shopify simulator's orders: orders(query: "updated_at:>…", sortKey: UPDATED_AT) with keyset cursors,
   and a checkout that sells only what the shop shows (placeOrder / cancelOrder / refundOrder + webhooks). */

const SECRET = 'shpss_orders_secret';
const LOC_A = '71000000001';
const LOC_B = '71000000002';
const ITEM_1 = '44000000000001';
const ITEM_2 = '44000000000002';

async function gql(
	sim: ShopifySimulator,
	query: string,
	variables: Record<string, unknown> = {},
): Promise<any> {
	const res = await fetch(sim.graphqlUrl(), {
		method: 'POST',
		headers: { 'Content-Type': 'application/json', 'X-Shopify-Access-Token': 'shpat_test' },
		body: JSON.stringify({ query, variables }),
	});
	expect(res.status).toBe(200);
	return res.json();
}

/** The fields ORDER_FOR_STOCK reads, with page sizes that let ten orders fit in one query. */
const ORDERS = /* GraphQL */ `
	query Changed($first: Int!, $after: String, $query: String, $reverse: Boolean) {
		orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT, reverse: $reverse) {
			pageInfo {
				hasNextPage
				endCursor
			}
			edges {
				node {
					id
					updatedAt
					cancelledAt
					retailLocation {
						id
					}
					lineItems(first: 10) {
						pageInfo {
							hasNextPage
						}
						edges {
							node {
								id
								sku
								quantity
								currentQuantity
								variant {
									id
								}
								product {
									id
								}
							}
						}
					}
					refunds(first: 3) {
						id
						createdAt
						refundLineItems(first: 5) {
							pageInfo {
								hasNextPage
							}
							edges {
								node {
									quantity
									restockType
									location {
										id
									}
									lineItem {
										id
									}
								}
							}
						}
					}
				}
			}
		}
	}
`;

const T0 = Date.parse('2026-05-01T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

describe('Shopify simulator: orders(query:)', () => {
	let sim: ShopifySimulator;
	let clock: number;

	beforeEach(async () => {
		clock = T0 + 3600_000;
		sim = new ShopifySimulator({ webhookSecret: SECRET, now: () => clock });
		// order k updated at T0 + k s (k = 1..12), ids in the opposite order
		for (let k = 1; k <= 12; k++) {
			sim.putOrder(
				shopifyOrder({
					id: String(9_000_000 - k),
					updatedAt: new Date(T0 + k * 1000),
					createdAt: new Date(T0 - 86_400_000),
					lines: [{ sku: `SKU-${k}`, quantity: k }],
				}),
			);
		}
		await sim.start();
	});
	afterEach(() => sim.stop());

	const ids = (r: any) => r.data.orders.edges.map((e: any) => e.node.id.split('/').pop());

	it('filters updated_at with > and >= (one-second resolution) and sorts by UPDATED_AT', async () => {
		const after = await gql(sim, ORDERS, { first: 10, query: `updated_at:>'${iso(T0 + 9000)}'` });
		expect(after.errors).toBeUndefined();
		expect(ids(after)).toEqual(['8999990', '8999989', '8999988']);
		const from = await gql(sim, ORDERS, { first: 10, query: `updated_at:>='${iso(T0 + 9000)}'` });
		expect(ids(from)).toEqual(['8999991', '8999990', '8999989', '8999988']);
		const rev = await gql(sim, ORDERS, {
			first: 2,
			query: `updated_at:>='${iso(T0 + 9000)}'`,
			reverse: true,
		});
		expect(ids(rev)).toEqual(['8999988', '8999989']);
		const node = after.data.orders.edges[0].node;
		expect(node).toMatchObject({
			updatedAt: iso(T0 + 10_000),
			cancelledAt: null,
			retailLocation: null,
			refunds: [],
		});
		expect(node.lineItems.edges[0].node).toMatchObject({
			sku: 'SKU-10',
			quantity: 10,
			currentQuantity: 10,
			variant: { id: expect.stringMatching(/^gid:\/\/shopify\/ProductVariant\//) },
			product: { id: expect.stringMatching(/^gid:\/\/shopify\/Product\//) },
		});
	});

	it('pages by keyset cursor: an order updated meanwhile is met again after the cursor', async () => {
		const first = await gql(sim, ORDERS, { first: 5, query: `updated_at:>'${iso(T0)}'` });
		expect(ids(first)).toEqual(['8999999', '8999998', '8999997', '8999996', '8999995']);
		// order 2 (already read) changes now: it sorts last and is read again on a later page
		const o = sim.getOrder('8999998') as Record<string, unknown>;
		o.updated_at = '2026-05-01T09:00:30-05:00'; // T0 + 30 s
		const seen: string[] = [...ids(first)];
		let after = first.data.orders.pageInfo.endCursor;
		for (;;) {
			const r = await gql(sim, ORDERS, { first: 5, after, query: `updated_at:>'${iso(T0)}'` });
			seen.push(...ids(r));
			if (!r.data.orders.pageInfo.hasNextPage) break;
			after = r.data.orders.pageInfo.endCursor;
		}
		expect(seen).toHaveLength(13);
		expect(seen[seen.length - 1]).toBe('8999998');
	});
});

/* --------------------------------------------------------------------------------------------------------- */

interface Got {
	topic: string;
	body: any;
	valid: boolean;
}

async function startReceiver() {
	const got: Got[] = [];
	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			const raw = Buffer.concat(chunks);
			const hmac = createHmac('sha256', SECRET).update(raw).digest('base64');
			got.push({
				topic: String(req.headers['x-shopify-topic']),
				body: JSON.parse(raw.toString('utf8')),
				valid: hmac === req.headers['x-shopify-hmac-sha256'],
			});
			res.end();
		});
	});
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	return {
		url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
		got,
		close: () => new Promise((r) => server.close(r)),
	};
}

const SUBSCRIBE = `mutation S($topic: WebhookSubscriptionTopic!, $uri: String!) {
	webhookSubscriptionCreate(topic: $topic, webhookSubscription: { uri: $uri, format: JSON }) { userErrors { message } }
}`;

describe('Shopify simulator: sells only what it shows', () => {
	let sim: ShopifySimulator;
	let receiver: Awaited<ReturnType<typeof startReceiver>>;

	beforeEach(async () => {
		receiver = await startReceiver();
		sim = new ShopifySimulator({ webhookSecret: SECRET, salesLocationId: LOC_A });
		sim.putInventoryItem(ITEM_1, 'TEE-S');
		sim.putInventoryItem(ITEM_2, 'TEE-M');
		sim.setLevel(ITEM_1, LOC_A, 3);
		sim.setLevel(ITEM_1, LOC_B, 10);
		sim.setLevel(ITEM_2, LOC_A, 1);
		await sim.start();
		for (const topic of [
			'ORDERS_CREATE',
			'ORDERS_UPDATED',
			'ORDERS_CANCELLED',
			'REFUNDS_CREATE',
			'INVENTORY_LEVELS_UPDATE',
		]) {
			await gql(sim, SUBSCRIBE, { topic, uri: receiver.url });
		}
	});
	afterEach(async () => {
		await sim.stop();
		await receiver.close();
	});

	it('refuses a line above the available level shown at its location, changing nothing', async () => {
		expect(() => sim.placeOrder({ lines: [{ sku: 'TEE-S', quantity: 4 }] })).toThrow(
			ShopifyOutOfStockError,
		);
		// two lines of one item add up: 2 + 2 > 3
		expect(() =>
			sim.placeOrder({
				lines: [
					{ sku: 'TEE-S', quantity: 2 },
					{ inventoryItemId: `gid://shopify/InventoryItem/${ITEM_1}`, quantity: 2 },
				],
			}),
		).toThrow(/TEE-S shows 3 available at location 71000000001, 4 requested/);
		expect(sim.refusedOrders).toHaveLength(2);
		expect(sim.level(ITEM_1, LOC_A)?.available).toBe(3);
		expect(sim.store.orders.size).toBe(0);
		await sim.webhooksIdle();
		expect(receiver.got).toEqual([]);
		// another location shows more
		sim.placeOrder({ lines: [{ sku: 'TEE-S', quantity: 4, locationId: LOC_B }] });
		expect(sim.level(ITEM_1, LOC_B)?.available).toBe(6);
	});

	it('creates the order, lowers the levels and sends signed orders/create and inventory_levels/update', async () => {
		const order = sim.placeOrder({
			lines: [
				{ sku: 'TEE-S', quantity: 3 },
				{ sku: 'TEE-M', quantity: 1 },
			],
		});
		expect(sim.level(ITEM_1, LOC_A)?.available).toBe(0);
		expect(sim.level(ITEM_2, LOC_A)?.available).toBe(0);
		await sim.webhooksIdle();
		expect(receiver.got.every((g) => g.valid)).toBe(true);
		const created = receiver.got.filter((g) => g.topic === 'orders/create');
		expect(created).toHaveLength(1);
		expect(created[0].body).toMatchObject({
			id: Number(order.id),
			location_id: null,
			line_items: [
				expect.objectContaining({ sku: 'TEE-S', quantity: 3 }),
				expect.objectContaining({ sku: 'TEE-M', quantity: 1 }),
			],
		});
		const levels = receiver.got.filter((g) => g.topic === 'inventory_levels/update');
		expect(levels.map((l) => [String(l.body.inventory_item_id), l.body.available])).toEqual(
			expect.arrayContaining([
				[ITEM_1, 0],
				[ITEM_2, 0],
			]),
		);
		// now sold out: the next checkout is refused
		expect(() => sim.placeOrder({ lines: [{ sku: 'TEE-M', quantity: 1 }] })).toThrow(
			ShopifyOutOfStockError,
		);
		// and the order is readable through orders(query:)
		const r = await gql(
			sim,
			`{ orders(first: 5, sortKey: UPDATED_AT, query: "updated_at:>='2000-01-01T00:00:00Z'") { nodes { id lineItems(first: 5) { nodes { sku quantity variant { id } } } } } }`,
		);
		expect(r.data.orders.nodes).toEqual([
			{
				id: `gid://shopify/Order/${String(order.id)}`,
				lineItems: {
					nodes: [
						{ sku: 'TEE-S', quantity: 3, variant: { id: expect.any(String) } },
						{ sku: 'TEE-M', quantity: 1, variant: { id: expect.any(String) } },
					],
				},
			},
		]);
	});

	it('cancels with restock: units back where they came from, refund lines CANCEL, webhooks sent', async () => {
		const order = sim.placeOrder({ lines: [{ sku: 'TEE-S', quantity: 2 }] });
		sim.cancelOrder(String(order.id));
		expect(sim.level(ITEM_1, LOC_A)?.available).toBe(3);
		await sim.webhooksIdle();
		const topics = receiver.got.map((g) => g.topic);
		expect(topics).toEqual(
			expect.arrayContaining(['orders/cancelled', 'orders/updated', 'refunds/create']),
		);
		const r = await gql(
			sim,
			`query O($id: ID!) { order(id: $id) { cancelledAt lineItems(first: 5) { nodes { currentQuantity } } refunds(first: 5) { refundLineItems(first: 5) { nodes { quantity restockType location { id } } } } } }`,
			{
				id: `gid://shopify/Order/${String(order.id)}`,
			},
		);
		expect(r.data.order.cancelledAt).not.toBeNull();
		expect(r.data.order.lineItems.nodes).toEqual([{ currentQuantity: 0 }]);
		expect(r.data.order.refunds[0].refundLineItems.nodes).toEqual([
			{ quantity: 2, restockType: 'CANCEL', location: { id: `gid://shopify/Location/${LOC_A}` } },
		]);
	});

	it('refunds without restock leave the level alone; with restock return the units', async () => {
		const order = sim.placeOrder({ lines: [{ sku: 'TEE-S', quantity: 3 }] });
		sim.refundOrder(String(order.id), [{ sku: 'TEE-S', quantity: 1, restock: false }]);
		expect(sim.level(ITEM_1, LOC_A)?.available).toBe(0);
		sim.refundOrder(String(order.id), [{ sku: 'TEE-S', quantity: 2 }]);
		expect(sim.level(ITEM_1, LOC_A)?.available).toBe(2);
		const stored = sim.getOrder(String(order.id)) as any;
		expect(stored.line_items[0].current_quantity).toBe(0);
		expect(stored.refunds.map((r: any) => r.refund_line_items[0].restock_type)).toEqual([
			'no_restock',
			'return',
		]);
		expect(() => sim.refundOrder(String(order.id), [{ sku: 'TEE-S', quantity: 1 }])).toThrow(
			/only 0 left/,
		);
		expect(sim.log.filter((e) => e.op === 'order').map((e) => e.name)).toEqual([
			'placed',
			'refunded',
			'refunded',
		]);
	});
});
