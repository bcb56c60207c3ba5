import http from 'node:http';
import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { ShopifySimulator } from '../simulators/shopify';
import { LeakyCostBucket } from '../simulators/shopifyCost';

/* The Shopify simulator's inventory: levels, inventorySetQuantities / inventoryAdjustQuantities, @idempotent,
   the 250 cap, cost 10 and THROTTLED, the inventory_levels/update echo, the operation log. */

const SECRET = 'shpss_inventory_secret';
const ITEM = '44000000000001';
const ITEM2 = '44000000000002';
const LOC = '71000000001';
const itemGid = (id: string) => `gid://shopify/InventoryItem/${id}`;
const locGid = (id: string) => `gid://shopify/Location/${id}`;

const SET = /* GraphQL */ `
	mutation Set($input: InventorySetQuantitiesInput!, $key: String!) {
		inventorySetQuantities(input: $input) @idempotent(key: $key) {
			inventoryAdjustmentGroup {
				id
				createdAt
				reason
				referenceDocumentUri
				changes {
					name
					delta
					quantityAfterChange
					item {
						id
						sku
					}
					location {
						id
					}
				}
			}
			userErrors {
				code
				field
				message
			}
		}
	}
`;

const SET_NO_KEY = SET.replace('@idempotent(key: $key)', '').replace(', $key: String!', '');

const ADJUST = /* GraphQL */ `
	mutation Adjust($input: InventoryAdjustQuantitiesInput!, $key: String!) {
		inventoryAdjustQuantities(input: $input) @idempotent(key: $key) {
			inventoryAdjustmentGroup {
				createdAt
				reason
				changes {
					name
					delta
					quantityAfterChange
					item {
						id
					}
					location {
						id
					}
				}
			}
			userErrors {
				code
				field
				message
			}
		}
	}
`;

async function gql(
	sim: ShopifySimulator,
	query: string,
	variables: Record<string, unknown>,
	version?: string,
): Promise<any> {
	const res = await fetch(sim.graphqlUrl(version), {
		method: 'POST',
		headers: { 'Content-Type': 'application/json', 'X-Shopify-Access-Token': 'shpat_test' },
		body: JSON.stringify({ query, variables }),
	});
	expect(res.status).toBe(200);
	return res.json();
}

const q = (item: string, quantity: number, changeFromQuantity: number | null, loc = LOC) => ({
	inventoryItemId: itemGid(item),
	locationId: locGid(loc),
	quantity,
	changeFromQuantity,
});

const setInput = (quantities: unknown[], reason = 'correction') => ({
	name: 'available',
	reason,
	referenceDocumentUri: 'gid://inventory-sync/Batch/1',
	quantities,
});

async function startReceiver() {
	const received: Array<{ headers: http.IncomingHttpHeaders; body: Buffer }> = [];
	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			received.push({ headers: req.headers, body: Buffer.concat(chunks) });
			res.writeHead(200);
			res.end();
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
		received,
		close: () =>
			new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			}),
	};
}

describe('ShopifySimulator inventory', () => {
	let sim: ShopifySimulator;
	let clock: number;

	beforeEach(async () => {
		clock = Date.parse('2026-11-28T10:00:00.123Z');
		sim = new ShopifySimulator({ webhookSecret: SECRET, now: () => clock });
		await sim.start();
		sim.putInventoryItem(ITEM, 'SKU-1');
		sim.putInventoryItem(ITEM2, 'SKU-2');
		sim.setLevel(ITEM, LOC, 10);
		sim.setLevel(ITEM2, LOC, 5);
	});
	afterEach(async () => {
		await sim.webhooksIdle();
		await sim.stop();
	});

	it('keeps levels per item and location with ms updatedAt, settable and readable from tests', () => {
		expect(sim.level(ITEM, LOC)).toEqual({ available: 10, updatedAt: clock });
		clock += 7;
		sim.setLevel(itemGid(ITEM), locGid(LOC), 3);
		expect(sim.level(ITEM, locGid(LOC))).toEqual({ available: 3, updatedAt: clock });
		expect(sim.level(ITEM, '999')).toBeUndefined();
	});

	it('inventorySetQuantities sets absolutely, answers the adjustment group and costs 10', async () => {
		clock += 1500;
		const r = await gql(sim, SET, {
			input: setInput([q(ITEM, 7, 10), q(ITEM2, 5, null)]),
			key: 'k1',
		});
		const payload = r.data.inventorySetQuantities;
		expect(payload.userErrors).toEqual([]);
		const group = payload.inventoryAdjustmentGroup;
		expect(group.id).toMatch(/^gid:\/\/shopify\/InventoryAdjustmentGroup\/\d+$/);
		expect(group.createdAt).toBe('2026-11-28T10:00:01Z');
		expect(group.reason).toBe('correction');
		expect(group.referenceDocumentUri).toBe('gid://inventory-sync/Batch/1');
		// ITEM2 was already 5: no change for it.
		expect(group.changes).toEqual([
			{
				name: 'available',
				delta: -3,
				quantityAfterChange: 7,
				item: { id: itemGid(ITEM), sku: 'SKU-1' },
				location: { id: locGid(LOC) },
			},
			{
				name: 'on_hand',
				delta: -3,
				quantityAfterChange: 7,
				item: { id: itemGid(ITEM), sku: 'SKU-1' },
				location: { id: locGid(LOC) },
			},
		]);
		expect(sim.level(ITEM, LOC)).toEqual({ available: 7, updatedAt: clock });
		expect(r.extensions.cost.requestedQueryCost).toBe(10);
		expect(r.extensions.cost.actualQueryCost).toBe(10);
	});

	it('a stale changeFromQuantity fails the whole call: CHANGE_FROM_QUANTITY_STALE, nothing applied', async () => {
		const r = await gql(sim, SET, {
			input: setInput([q(ITEM, 1, 10), q(ITEM2, 9, 4)]),
			key: 'k-stale',
		});
		const payload = r.data.inventorySetQuantities;
		expect(payload.inventoryAdjustmentGroup).toBeNull();
		expect(payload.userErrors).toEqual([
			{
				code: 'CHANGE_FROM_QUANTITY_STALE',
				field: ['input', 'quantities', '1', 'changeFromQuantity'],
				message: expect.any(String),
			},
		]);
		expect(sim.level(ITEM, LOC)?.available).toBe(10);
		expect(sim.level(ITEM2, LOC)?.available).toBe(5);
		// null opts out of the check.
		const ok = await gql(sim, SET, { input: setInput([q(ITEM2, 9, null)]), key: 'k-null' });
		expect(ok.data.inventorySetQuantities.userErrors).toEqual([]);
		expect(sim.level(ITEM2, LOC)?.available).toBe(9);
	});

	it('from 2026-04 changeFromQuantity must be given (null or a number)', async () => {
		const r = await gql(sim, SET, {
			input: setInput([{ inventoryItemId: itemGid(ITEM), locationId: locGid(LOC), quantity: 2 }]),
			key: 'k-omit',
		});
		expect(r.data.inventorySetQuantities.userErrors).toEqual([
			{
				code: null,
				field: ['input', 'quantities', '0', 'changeFromQuantity'],
				message: expect.stringContaining('changeFromQuantity'),
			},
		]);
		expect(sim.level(ITEM, LOC)?.available).toBe(10);
	});

	it('refuses unknown items, unstocked locations, bad reasons and duplicate pairs as userErrors', async () => {
		const r = await gql(sim, SET, {
			input: setInput(
				[q('123', 1, null), q(ITEM, 1, null, '555'), q(ITEM2, 1, 5), q(ITEM2, 2, 5)],
				'oops',
			),
			key: 'k-bad',
		});
		expect(r.data.inventorySetQuantities.userErrors.map((e: any) => e.code)).toEqual([
			'INVALID_REASON',
			'INVALID_INVENTORY_ITEM',
			'ITEM_NOT_STOCKED_AT_LOCATION',
			'NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR',
		]);
		expect(sim.level(ITEM2, LOC)?.available).toBe(5);
	});

	it('caps array inputs at 250: 251 quantities are refused before anything runs or is charged', async () => {
		const bucket = new LeakyCostBucket(1000, 100, clock);
		sim.setCostBucket(bucket);
		for (let i = 0; i < 251; i++) sim.setLevel(String(50_000 + i), LOC, 0);
		const quantities = Array.from({ length: 251 }, (_, i) => q(String(50_000 + i), 1, 0));
		const r = await gql(sim, SET, { input: setInput(quantities), key: 'k-251' });
		expect(r.data).toBeUndefined();
		expect(r.errors).toEqual([
			expect.objectContaining({
				message: 'The input array size of 251 is greater than the maximum allowed of 250.',
				path: ['inventorySetQuantities', 'input', 'quantities'],
				extensions: { code: 'MAX_INPUT_SIZE_EXCEEDED' },
			}),
		]);
		expect(sim.level('50000', LOC)?.available).toBe(0);
		expect(bucket.status(clock).currentlyAvailable).toBe(1000);
		expect(sim.mutationCalls()).toHaveLength(0);
		const ok = await gql(sim, SET, { input: setInput(quantities.slice(0, 250)), key: 'k-250' });
		expect(ok.data.inventorySetQuantities.userErrors).toEqual([]);
		expect(sim.level('50249', LOC)?.available).toBe(1);
		expect(bucket.status(clock).currentlyAvailable).toBe(990);
	});

	it('inventoryAdjustQuantities applies deltas and answers createdAt and the changes', async () => {
		const r = await gql(sim, ADJUST, {
			input: {
				name: 'available',
				reason: 'correction',
				changes: [
					{ inventoryItemId: itemGid(ITEM), locationId: locGid(LOC), delta: -12 },
					{ inventoryItemId: itemGid(ITEM2), locationId: locGid(LOC), delta: 3 },
				],
			},
			key: 'a1',
		});
		const group = r.data.inventoryAdjustQuantities.inventoryAdjustmentGroup;
		expect(r.data.inventoryAdjustQuantities.userErrors).toEqual([]);
		expect(group.createdAt).toBe('2026-11-28T10:00:00Z');
		expect(group.changes.filter((c: any) => c.name === 'available')).toEqual([
			{
				name: 'available',
				delta: -12,
				quantityAfterChange: -2,
				item: { id: itemGid(ITEM) },
				location: { id: locGid(LOC) },
			},
			{
				name: 'available',
				delta: 3,
				quantityAfterChange: 8,
				item: { id: itemGid(ITEM2) },
				location: { id: locGid(LOC) },
			},
		]);
		expect(sim.level(ITEM, LOC)?.available).toBe(-2);
		expect(sim.level(ITEM2, LOC)?.available).toBe(8);
		expect(r.extensions.cost.requestedQueryCost).toBe(10);
	});

	describe('@idempotent', () => {
		it('is required from 2026-04 (an error, nothing applied); optional before', async () => {
			const r = await gql(sim, SET_NO_KEY, { input: setInput([q(ITEM, 1, 10)]) }, '2026-04');
			expect(r.data.inventorySetQuantities).toBeNull();
			expect(r.errors[0].message).toMatch(/@idempotent/);
			expect(sim.level(ITEM, LOC)?.available).toBe(10);
			const old = await gql(sim, SET_NO_KEY, { input: setInput([q(ITEM, 1, 10)]) }, '2026-01');
			expect(old.data.inventorySetQuantities.userErrors).toEqual([]);
			expect(sim.level(ITEM, LOC)?.available).toBe(1);
		});

		it('a repeated key returns the first result and applies nothing', async () => {
			const adjust = {
				input: {
					name: 'available',
					reason: 'correction',
					changes: [{ inventoryItemId: itemGid(ITEM), locationId: locGid(LOC), delta: -1 }],
				},
				key: 'same-key',
			};
			const first = await gql(sim, ADJUST, adjust);
			clock += 5000;
			const second = await gql(sim, ADJUST, adjust);
			expect(second.data).toEqual(first.data);
			expect(sim.level(ITEM, LOC)?.available).toBe(9);
			const calls = sim.mutationCalls('inventoryAdjustQuantities');
			expect(calls.map((c) => [c.applied, c.replayed, c.idempotencyKey])).toEqual([
				[1, false, 'same-key'],
				[0, true, 'same-key'],
			]);
		});

		it('the same key with other input is IDEMPOTENCY_KEY_PARAMETER_MISMATCH', async () => {
			await gql(sim, SET, { input: setInput([q(ITEM, 4, 10)]), key: 'kx' });
			const r = await gql(sim, SET, { input: setInput([q(ITEM, 3, 4)]), key: 'kx' });
			expect(r.data.inventorySetQuantities.inventoryAdjustmentGroup).toBeNull();
			expect(r.data.inventorySetQuantities.userErrors[0].code).toBe(
				'IDEMPOTENCY_KEY_PARAMETER_MISMATCH',
			);
			expect(sim.level(ITEM, LOC)?.available).toBe(4);
		});

		it('after a failed attempt the key is spent: IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED', async () => {
			const vars = { input: setInput([q(ITEM, 4, 99)]), key: 'kf' };
			const first = await gql(sim, SET, vars);
			expect(first.data.inventorySetQuantities.userErrors[0].code).toBe(
				'CHANGE_FROM_QUANTITY_STALE',
			);
			sim.setLevel(ITEM, LOC, 99);
			const again = await gql(sim, SET, vars);
			expect(again.data.inventorySetQuantities.userErrors[0].code).toBe(
				'IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED',
			);
			expect(sim.level(ITEM, LOC)?.available).toBe(99);
		});

		it('keys expire after the retention window (default 24 h, configurable) and then apply again', async () => {
			const vars = {
				input: {
					name: 'available',
					reason: 'received',
					changes: [{ inventoryItemId: itemGid(ITEM), locationId: locGid(LOC), delta: 2 }],
				},
				key: 'kt',
			};
			await gql(sim, ADJUST, vars);
			clock += 24 * 3600 * 1000 - 1;
			await gql(sim, ADJUST, vars);
			expect(sim.level(ITEM, LOC)?.available).toBe(12);
			clock += 1;
			await gql(sim, ADJUST, vars);
			expect(sim.level(ITEM, LOC)?.available).toBe(14);
			sim.idempotencyTtlMs = 1000;
			await gql(sim, ADJUST, { ...vars, key: 'kt2' });
			clock += 1000;
			await gql(sim, ADJUST, { ...vars, key: 'kt2' });
			expect(sim.level(ITEM, LOC)?.available).toBe(18);
		});
	});

	it('sends a signed inventory_levels/update per changed level to subscribers; none for a replay or when off', async () => {
		const receiver = await startReceiver();
		try {
			const sub = await gql(
				sim,
				`mutation { webhookSubscriptionCreate(topic: INVENTORY_LEVELS_UPDATE, webhookSubscription: { uri: "${receiver.url}", format: JSON }) { userErrors { message } } }`,
				{},
			);
			expect(sub.data.webhookSubscriptionCreate.userErrors).toEqual([]);
			const vars = { input: setInput([q(ITEM, 6, 10), q(ITEM2, 5, 5)]), key: 'kw' };
			await gql(sim, SET, vars);
			await sim.webhooksIdle();
			expect(receiver.received).toHaveLength(1);
			const d = receiver.received[0];
			expect(d.headers['x-shopify-topic']).toBe('inventory_levels/update');
			expect(d.headers['x-shopify-hmac-sha256']).toBe(
				createHmac('sha256', SECRET).update(d.body).digest('base64'),
			);
			const text = d.body.toString('utf8');
			expect(text).toContain(`"inventory_item_id":${ITEM}`);
			expect(text).toContain(`"location_id":${LOC}`);
			expect(JSON.parse(text)).toMatchObject({
				available: 6,
				admin_graphql_api_id: `gid://shopify/InventoryLevel/${LOC}?inventory_item_id=${ITEM}`,
			});
			await gql(sim, SET, vars); // replay: no change, no webhook
			sim.inventoryWebhooks = false;
			await gql(sim, SET, { input: setInput([q(ITEM, 1, 6)]), key: 'kw2' });
			await sim.webhooksIdle();
			expect(receiver.received).toHaveLength(1);
			expect(sim.level(ITEM, LOC)?.available).toBe(1);
		} finally {
			await receiver.close();
		}
	});

	it('charges 10 points through the cost bucket: THROTTLED applies nothing', async () => {
		sim.setCostBucket(new LeakyCostBucket(15, 1, clock));
		const first = await gql(sim, SET, { input: setInput([q(ITEM, 8, 10)]), key: 't1' });
		expect(first.extensions.cost.throttleStatus.currentlyAvailable).toBe(5);
		const second = await gql(sim, SET, { input: setInput([q(ITEM, 7, 8)]), key: 't2' });
		expect(second.errors).toEqual([
			expect.objectContaining({
				message: 'Throttled',
				extensions: expect.objectContaining({ code: 'THROTTLED' }),
			}),
		]);
		expect(sim.level(ITEM, LOC)?.available).toBe(8);
		expect(sim.mutationCalls()).toHaveLength(1);
		expect(sim.log.filter((e) => e.op === 'graphql' && e.rejected === 'THROTTLED')).toHaveLength(1);
	});

	it('logs one entry per mutation call with its name and counts', async () => {
		await gql(sim, SET, { input: setInput([q(ITEM, 1, 10), q(ITEM2, 2, 5)]), key: 'l1' });
		await gql(sim, SET, { input: setInput([q(ITEM, 1, 10)]), key: 'l2' });
		expect(sim.mutationCalls()).toEqual([
			expect.objectContaining({
				op: 'mutation',
				name: 'inventorySetQuantities',
				count: 2,
				applied: 2,
				userErrors: [],
				replayed: false,
			}),
			expect.objectContaining({ count: 1, applied: 0, userErrors: ['CHANGE_FROM_QUANTITY_STALE'] }),
		]);
	});
});
