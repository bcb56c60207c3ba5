import Redis from 'ioredis';
import {
	normalizeDelivery,
	normalizeShopifyGraphqlOrder,
	type Delivery,
	type InventoryEvent,
} from '../../nodes/shared/events';
import { placeAvailability } from '../../nodes/InventoryLedger/aggregate';
import { ledgerKeys } from '../../nodes/shared/keys';
import {
	applyEvents,
	auditOf,
	getSkus,
	saveProfile,
	setCounts,
	type ApplyResult,
} from '../../nodes/InventoryLedger/ledger';
import { shopifyOrder, toJson } from '../simulators/payloads';
import { WOO, levelEvent } from './ledgerHarness';
import { deleteByPrefix, TEST_REDIS, uniquePrefix } from '../support';

/**
 * Location aliases (design.md "Location names"): a ledger-owned warehouse that Shopify also lists as one of its
 * locations. Shopify names it by its own location id (restock refund lines, POS orders, inventory levels); the
 * profile says that id is an alias of `ledger:wh`. Events go through the real trigger normaliser.
 */
jest.setTimeout(60_000);

const SHOP = 'alias.myshopify.com';
const WH = 'ledger:wh';
/** Shopify's location that shows the warehouse. */
const SHOPIFY_WH = `shopify:${SHOP}:100`;
/** A Shopify-owned store. */
const RETAIL = `shopify:${SHOP}:101`;

const PROFILE = {
	dryRun: true,
	locations: [
		{ id: WH, owner: 'ledger', aliases: [SHOPIFY_WH] },
		{ id: RETAIL, owner: 'shopify' },
	],
	channels: [
		{
			name: 'shopify',
			platform: 'shopify',
			shop: SHOP,
			salesLocation: WH,
			places: [
				{ id: SHOPIFY_WH, shows: [WH] },
				{ id: RETAIL, shows: [RETAIL] },
			],
		},
		{
			name: 'woo',
			platform: 'woocommerce',
			shop: WOO,
			salesLocation: WH,
			places: [{ id: `woocommerce:${WOO}:default`, shows: [WH, RETAIL] }],
		},
	],
};

const prefix = uniquePrefix('alias');
let redis: Redis;

beforeAll(async () => {
	redis = new Redis(TEST_REDIS);
	await saveProfile(redis, prefix, PROFILE);
});
afterAll(async () => {
	await deleteByPrefix(redis, prefix);
	await deleteByPrefix(redis, `${prefix}-bad`);
	await redis.quit();
});

const RECEIVED = '2026-11-26T10:00:05.000Z';
const T = Date.parse('2026-11-26T09:00:00Z');
let n = 0;
const sku = (name: string) => `${name}-${++n}`;
const qty = async (s: string, loc: string) =>
	Number(await redis.hget(ledgerKeys.ledger(prefix, s), `q:${loc}`));
const outcomes = (rs: ApplyResult[]) =>
	rs.map((r) => (r.outcome === 'applied' ? 'applied' : `${r.outcome}:${r.reason}`));
const lineKey = (e: InventoryEvent) => e.id.split(':line:')[1];

function delivery(topic: string, body: string): Delivery {
	return {
		platform: 'shopify',
		headers: { 'x-shopify-topic': topic, 'x-shopify-shop-domain': SHOP },
		rawBody: body,
		receivedAt: RECEIVED,
	};
}

function normalized(topic: string, body: string): InventoryEvent[] {
	const { events, invalid } = normalizeDelivery(delivery(topic, body));
	expect(invalid).toEqual([]);
	return events;
}

/** All distinct orderings of a list (duplicates in the list give each ordering once). */
function orderings<T>(items: T[]): T[][] {
	if (items.length <= 1) return [items];
	const out: T[][] = [];
	const seen = new Set<T>();
	items.forEach((item, i) => {
		if (seen.has(item)) return;
		seen.add(item);
		for (const rest of orderings([...items.slice(0, i), ...items.slice(i + 1)]))
			out.push([item, ...rest]);
	});
	return out;
}

describe('a Shopify restock at the warehouse’s Shopify location', () => {
	/** A web order (location_id null) drawing 3 from the channel's sales location; later 2 are returned with restock to location 100. */
	function webOrderWithReturn(orderId: number, s: string) {
		const line = { id: 11, sku: s, quantity: 3, variantId: 7001, productId: 7002 };
		const created = normalized(
			'orders/create',
			toJson(
				shopifyOrder({ id: orderId, updatedAt: new Date(T), lines: [line], locationId: null }),
			),
		);
		const refunded = normalized(
			'orders/updated',
			toJson(
				shopifyOrder({
					id: orderId,
					updatedAt: new Date(T + 60_000),
					lines: [line],
					locationId: null,
					refunds: [{ lineItemId: 11, quantity: 2, restockType: 'return', locationId: 100 }],
				}),
			),
		);
		// refunds/create: the node re-reads the order (GraphQL); its answer is the same state as orders/updated.
		const reread = normalizeShopifyGraphqlOrder(
			{
				id: `gid://shopify/Order/${orderId}`,
				updatedAt: new Date(T + 60_000).toISOString(),
				retailLocation: null,
				lineItems: {
					edges: [
						{
							node: {
								id: 'gid://shopify/LineItem/11',
								sku: s,
								quantity: 3,
								variant: { id: 'gid://shopify/ProductVariant/7001' },
								product: { id: 'gid://shopify/Product/7002' },
							},
						},
					],
				},
				refunds: [
					{
						refundLineItems: {
							edges: [
								{
									node: {
										quantity: 2,
										restockType: 'RETURN',
										location: { id: 'gid://shopify/Location/100' },
										lineItem: { id: 'gid://shopify/LineItem/11' },
									},
								},
							],
						},
					},
				],
			},
			delivery('refunds/create', '{}'),
		);
		expect(reread.invalid).toEqual([]);
		return { created, refunded, reread: reread.events };
	}

	it('the trigger names the restock by the Shopify location; the profile resolves it to ledger:wh', async () => {
		const s = sku('shape');
		const { created, refunded, reread } = webOrderWithReturn(9001, s);
		expect(created.map((e) => [lineKey(e), e.quantity, e.locationId])).toEqual([['11', 3, null]]);
		expect(refunded.map((e) => [lineKey(e), e.quantity, e.locationId])).toEqual([
			['11', 3, null],
			['11:restock:100', -2, SHOPIFY_WH],
		]);
		expect(reread.map((e) => [lineKey(e), e.quantity, e.locationId, e.version])).toEqual(
			refunded.map((e) => [lineKey(e), e.quantity, e.locationId, e.version]),
		);

		await applyEvents(redis, prefix, [
			levelEvent(s, WH, 10, 1, { platform: 'manual', shop: 'erp' }),
		]);
		expect(outcomes(await applyEvents(redis, prefix, created))).toEqual(['applied']);
		expect(await qty(s, WH)).toBe(7);
		const rs = await applyEvents(redis, prefix, refunded);
		expect(outcomes(rs)).toEqual(['skipped:unchanged', 'applied']);
		// The restock item applies at the warehouse, the ledger's own location: units back, rev + 1, audited there.
		expect(rs[1]).toMatchObject({
			effect: 'ledger',
			location: WH,
			previous: null,
			new: -2,
			delta: 2,
		});
		expect(await qty(s, WH)).toBe(9);
		expect(await redis.hget(ledgerKeys.ledger(prefix, s), `q:${SHOPIFY_WH}`)).toBeNull();
		expect((await auditOf(redis, prefix, s, 1))[0]).toMatchObject({
			id: refunded[1].id,
			loc: WH,
			delta: '2',
			out: 'applied',
			eff: 'ledger',
		});
		// The Shopify place showing the warehouse (and WooCommerce) are marked dirty: the returned units get published.
		const rev = (await redis.hget(ledgerKeys.ledger(prefix, s), 'rev'))!;
		expect(await redis.zscore(ledgerKeys.dirty(prefix, 'shopify'), s)).toBe(rev);
		expect(await redis.zscore(ledgerKeys.dirty(prefix, 'woo'), s)).toBe(rev);
	});

	it('units come back exactly once in every arrival order of order, refund and re-read, each delivered twice', async () => {
		const shapes = ['created', 'refunded', 'reread', 'created', 'refunded', 'reread'] as const;
		const sequences = orderings([...shapes]);
		expect(sequences.length).toBe(90);
		const skus = sequences.map(() => sku('order'));
		await applyEvents(
			redis,
			prefix,
			skus.map((s) => levelEvent(s, WH, 10, 1, { platform: 'manual', shop: 'erp' })),
		);
		const all = await Promise.all(
			sequences.map(async (sequence, k) => {
				const deliveries = webOrderWithReturn(9100 + k, skus[k]);
				const results: ApplyResult[] = [];
				// One delivery per Apply, as the inbox batches them when they arrive apart.
				for (const d of sequence)
					results.push(...(await applyEvents(redis, prefix, deliveries[d])));
				return results;
			}),
		);
		for (const [k, results] of all.entries()) {
			expect(results.filter((r) => r.outcome === 'invalid')).toEqual([]);
			expect(await qty(skus[k], WH)).toBe(9);
			const entries = await auditOf(redis, prefix, skus[k], 100);
			const restock = entries.filter(
				(e) => e.id.endsWith(':line:11:restock:100') && e.out === 'applied',
			);
			expect(restock.map((e) => [e.loc, e.delta])).toEqual([[WH, '2']]);
		}
		// All deliveries of one order in one batch, shuffled: the same.
		const s = sku('batch');
		await applyEvents(redis, prefix, [
			levelEvent(s, WH, 10, 1, { platform: 'manual', shop: 'erp' }),
		]);
		const d = webOrderWithReturn(9999, s);
		await applyEvents(redis, prefix, [
			...d.reread,
			...d.created,
			...d.refunded,
			...d.created,
			...d.reread,
		]);
		expect(await qty(s, WH)).toBe(9);
	});

	it('a POS order at the warehouse’s Shopify location draws from ledger:wh, and its restock there returns the units', async () => {
		const s = sku('pos');
		await applyEvents(redis, prefix, [
			levelEvent(s, WH, 10, 1, { platform: 'manual', shop: 'erp' }),
		]);
		const line = { id: 21, sku: s, quantity: 4 };
		const sold = normalized(
			'orders/create',
			toJson(shopifyOrder({ id: 9200, updatedAt: new Date(T), lines: [line], locationId: 100 })),
		);
		expect(sold[0].locationId).toBe(SHOPIFY_WH);
		const [r] = await applyEvents(redis, prefix, sold);
		expect(r).toMatchObject({ outcome: 'applied', effect: 'ledger', location: WH, delta: -4 });
		const returned = normalized(
			'orders/updated',
			toJson(
				shopifyOrder({
					id: 9200,
					updatedAt: new Date(T + 1000),
					lines: [line],
					locationId: 100,
					refunds: [{ lineItemId: 21, quantity: 1, restockType: 'return', locationId: 100 }],
				}),
			),
		);
		expect(outcomes(await applyEvents(redis, prefix, [...returned, ...sold, ...returned]))).toEqual(
			['applied', 'skipped:stale', 'skipped:unchanged'],
		);
		expect(await qty(s, WH)).toBe(7);
	});
});

describe('levels and counts named by the alias', () => {
	const itemLevel = (itemId: number, locationId: number, available: number, at: number) =>
		normalized(
			'inventory_levels/update',
			`{"inventory_item_id":${itemId},"location_id":${locationId},"available":${available},"updated_at":"${new Date(at).toISOString()}"}`,
		);
	const mapping = (itemId: number, s: string) =>
		normalized(
			'inventory_items/update',
			`{"id":${itemId},"sku":${JSON.stringify(s)},"updated_at":"${new Date(T).toISOString()}"}`,
		);

	it('a Shopify level at the mirrored location is Shopify’s observation: recorded, never a ledger change, not Invalid', async () => {
		const s = sku('mirror');
		await applyEvents(redis, prefix, [
			...mapping(5001, s),
			levelEvent(s, WH, 10, 1, { platform: 'manual', shop: 'erp' }),
		]);
		const hashBefore = await redis.hgetall(ledgerKeys.ledger(prefix, s));
		const auditBefore = await redis.xlen(ledgerKeys.audit(prefix, s));
		await redis.del(ledgerKeys.dirty(prefix, 'shopify'), ledgerKeys.dirty(prefix, 'woo'));
		const level = itemLevel(5001, 100, 4, T);
		expect(level[0]).toMatchObject({ kind: 'level', locationId: SHOPIFY_WH, sku: null });
		const [r] = await applyEvents(redis, prefix, level);
		expect(r).toMatchObject({
			outcome: 'skipped',
			reason: 'observed',
			effect: 'observed',
			sku: s,
			new: 4,
		});
		expect(await redis.hgetall(ledgerKeys.ledger(prefix, s))).toEqual(hashBefore);
		expect(await redis.xlen(ledgerKeys.audit(prefix, s))).toBe(auditBefore);
		expect(await redis.zcard(ledgerKeys.dirty(prefix, 'shopify'))).toBe(0);
		// Recorded under the Shopify place that displays the warehouse (named by its platform id).
		expect(await redis.hget(ledgerKeys.pub(prefix, s), `obs:shopify:${SHOPIFY_WH}`)).toBe('4');
		// A newer observation replaces it; an older one does not.
		await applyEvents(redis, prefix, [
			...itemLevel(5001, 100, 3, T + 2000),
			...itemLevel(5001, 100, 8, T + 1000),
		]);
		expect(await redis.hget(ledgerKeys.pub(prefix, s), `obs:shopify:${SHOPIFY_WH}`)).toBe('3');
		// Shopify's level at the location it owns still sets the ledger.
		const [own] = await applyEvents(redis, prefix, itemLevel(5001, 101, 6, T));
		expect(own).toMatchObject({ outcome: 'applied', effect: 'level', location: RETAIL });
		expect(await qty(s, WH)).toBe(10);
	});

	it('an owner’s feed, Set, Get and Availability accept the alias and answer with the location', async () => {
		const s = sku('count');
		const [feed] = await applyEvents(redis, prefix, [
			levelEvent(s, SHOPIFY_WH, 12, 1, { platform: 'manual', shop: 'erp' }),
		]);
		expect(feed).toMatchObject({ outcome: 'applied', effect: 'level', location: WH });
		expect(await qty(s, WH)).toBe(12);
		const [count] = await setCounts(redis, prefix, [
			{
				index: 0,
				sku: s,
				location: SHOPIFY_WH,
				quantity: 20,
				asOf: Date.now(),
				id: `count:${SHOPIFY_WH}`,
				source: 'manual:erp:count:manual',
			},
		]);
		expect(count).toMatchObject({ outcome: 'applied', location: WH, previous: 12, new: 20 });
		expect(await qty(s, WH)).toBe(20);
		const { states, profile } = await getSkus(redis, prefix, [s]);
		expect(states[0].locations.find((l) => l.id === WH)).toEqual({
			id: WH,
			owner: 'ledger',
			aliases: [SHOPIFY_WH],
			quantity: 20,
			version: expect.any(Number),
			pending: 0,
		});
		expect(states[0].locations.map((l) => l.id)).not.toContain(SHOPIFY_WH);
		const places = placeAvailability(profile!.index.profile, states[0]);
		expect(places.find((p) => p.place === SHOPIFY_WH)).toMatchObject({
			channel: 'shopify',
			shows: [WH],
			stock: 20,
			available: 20,
		});
	});

	it('profiles whose aliases are malformed, taken or duplicated are refused with every problem', async () => {
		const bad = {
			...PROFILE,
			locations: [
				{ id: WH, owner: 'ledger', aliases: [SHOPIFY_WH, 'warehouse', RETAIL] },
				{ id: RETAIL, owner: 'shopify' },
				{ id: 'ledger:wh2', owner: 'ledger', aliases: [SHOPIFY_WH] },
			],
		};
		await expect(saveProfile(redis, `${prefix}-bad`, bad)).rejects.toMatchObject({
			problems: expect.arrayContaining([
				expect.stringMatching(/locations\[0\]\.aliases\[1\].*'warehouse'.*platform location id/),
				expect.stringMatching(/locations\[0\]\.aliases\[2\].*is the id of a location/),
				expect.stringMatching(/locations\[2\]\.aliases\[0\].*already an alias of 'ledger:wh'/),
			]),
		});
		expect(await redis.exists(ledgerKeys.profile(`${prefix}-bad`))).toBe(0);
	});
});
