import Redis from 'ioredis';
import type { ChannelRun } from '../../nodes/shared/channel/callPolicy';
import { decidePlaces } from '../../nodes/shared/channel/publishPlan';
import { ledgerKeys } from '../../nodes/shared/keys';
import { ShopifyBucket } from '../../nodes/shared/pacing';
import { drainAdjust } from '../../nodes/ShopifyInventory/stock/adjust';
import { ShopifyGraphqlClient } from '../../nodes/ShopifyInventory/transport/graphqlClient';
import { ShopifySimulator } from '../simulators/shopify';
import { testApiContext } from '../support/apiContext';
import {
	applyEvents,
	getSkus,
	saveProfile,
	setCounts,
	type ApplyResult,
} from '../../nodes/InventoryLedger/ledger';
import { SHOP, WOO, levelEvent, lineEvent } from './ledgerHarness';
import { deleteByPrefix, TEST_REDIS, uniquePrefix } from '../support';

/**
 * Shortfall cover (profile `coverShortfallFrom`, issue 20) with the templates' example profile: a ledger
 * warehouse that Shopify lists as location 1001 and shows alone, a Shopify-owned store 1002 that WooCommerce
 * sells from and shows with the warehouse. A WooCommerce sale beyond the store ships from the warehouse: the
 * ledger marks Shopify dirty and Shopify's Publish plan lowers the warehouse place by the deficit.
 */
jest.setTimeout(60_000);

const WH = 'ledger:warehouse';
const SHOPIFY_WH = `shopify:${SHOP}:1001`;
const STORE = `shopify:${SHOP}:1002`;
const WOO_PLACE = `woocommerce:${WOO}:default`;

const PROFILE = {
	dryRun: false,
	locations: [
		{ id: WH, owner: 'ledger', aliases: [SHOPIFY_WH] },
		{ id: STORE, owner: 'shopify', coverShortfallFrom: WH },
	],
	channels: [
		{
			name: 'shopify',
			platform: 'shopify',
			shop: SHOP,
			salesLocation: WH,
			places: [{ id: SHOPIFY_WH, shows: [WH] }],
		},
		{
			name: 'woocommerce',
			platform: 'woocommerce',
			shop: WOO,
			salesLocation: STORE,
			places: [{ id: WOO_PLACE, shows: [WH, STORE] }],
			buffer: { type: 'fixed', value: 2 },
		},
	],
};

const prefix = uniquePrefix('shortfall');
let redis: Redis;

beforeAll(async () => {
	redis = new Redis(TEST_REDIS);
	await saveProfile(redis, prefix, PROFILE);
});
afterAll(async () => {
	await deleteByPrefix(redis, prefix);
	await redis.quit();
});

const outcomes = (rs: ApplyResult[]) =>
	rs.map((r) => (r.outcome === 'applied' ? 'applied' : `${r.outcome}:${r.reason}`));
const dirty = async (channel: string, sku: string) =>
	(await redis.zscore(ledgerKeys.dirty(prefix, channel), sku)) !== null;
const clearDirty = () =>
	redis.del(ledgerKeys.dirty(prefix, 'shopify'), ledgerKeys.dirty(prefix, 'woocommerce'));

/** What each channel's Publish would write now, per place (the ledger state and pub hash as Publish reads them). */
async function plan(sku: string): Promise<Record<string, number>> {
	const { states, profile } = await getSkus(redis, prefix, [sku]);
	const pub = await redis.hgetall(ledgerKeys.pub(prefix, sku));
	const view = { ...states[0], pub };
	const out: Record<string, number> = {};
	for (const channel of ['shopify', 'woocommerce'])
		for (const d of decidePlaces(profile!.index.profile, channel, view, null))
			out[d.place] = d.quantity;
	return out;
}

it('a WooCommerce sale beyond the store marks Shopify dirty; Shopify’s plan lowers the warehouse by the deficit', async () => {
	const sku = 'SF-1';
	const [count] = await setCounts(redis, prefix, [
		{
			index: 0,
			sku,
			location: WH,
			quantity: 10,
			asOf: Date.now(),
			id: `count:${WH}`,
			source: 'manual:erp:count:manual',
		},
	]);
	expect(count.outcome).toBe('applied');
	expect(outcomes(await applyEvents(redis, prefix, [levelEvent(sku, STORE, 2, 1)]))).toEqual([
		'applied',
	]);
	expect(await plan(sku)).toEqual({ [SHOPIFY_WH]: 10, [WOO_PLACE]: 10 });

	// 5 units sold on WooCommerce from a store holding 2: forwarded to Shopify (pending), 3 owed by the warehouse.
	await clearDirty();
	const sale = lineEvent({
		platform: 'woocommerce',
		shop: WOO,
		orderId: '501',
		lineKey: '1',
		sku,
		quantity: 5,
		version: 1,
	});
	expect(outcomes(await applyEvents(redis, prefix, [sale]))).toEqual(['applied']);
	expect(await dirty('shopify', sku)).toBe(true);
	expect(await dirty('woocommerce', sku)).toBe(true);
	expect(await plan(sku)).toEqual({ [SHOPIFY_WH]: 7, [WOO_PLACE]: 5 });

	// The store restocked on Shopify (its level 2 → 6, its owner's own report; the 5 still pending): nothing owed
	// any more, and the level alone marks Shopify, whose warehouse place shows all of its 10 again.
	await clearDirty();
	expect(outcomes(await applyEvents(redis, prefix, [levelEvent(sku, STORE, 6, 2)]))).toEqual([
		'applied',
	]);
	expect(await dirty('shopify', sku)).toBe(true);
	expect(await plan(sku)).toEqual({ [SHOPIFY_WH]: 10, [WOO_PLACE]: 9 });
});

it('without the cover the same sale leaves Shopify unmarked and showing the whole warehouse (the oversell of issue 20)', async () => {
	const plain = `${prefix}-plain`;
	const uncovered = {
		...PROFILE,
		locations: PROFILE.locations.map(({ id, owner, ...rest }) => ({
			id,
			owner,
			...('aliases' in rest ? { aliases: rest.aliases } : {}),
		})),
	};
	try {
		await saveProfile(redis, plain, uncovered);
		const sku = 'SF-2';
		await applyEvents(redis, plain, [levelEvent(sku, STORE, 2, 1)]);
		await redis.del(ledgerKeys.dirty(plain, 'shopify'));
		const sale = lineEvent({
			platform: 'woocommerce',
			shop: WOO,
			orderId: '502',
			lineKey: '1',
			sku,
			quantity: 5,
			version: 1,
		});
		expect(outcomes(await applyEvents(redis, plain, [sale]))).toEqual(['applied']);
		expect(await redis.zscore(ledgerKeys.dirty(plain, 'shopify'), sku)).toBeNull();
	} finally {
		await deleteByPrefix(redis, plain);
	}
});

it('the cover’s channel is marked only when the store’s deficit moves: levels, order lines, a removed line, Adjust’s confirmations', async () => {
	const sku = 'SF-3';
	const item = '44000000003';
	// The simulator's clock: each adjustment group gets its own second (its createdAt is the level's version).
	let clock = Date.now() - 30_000;
	const sim = new ShopifySimulator({
		shop: SHOP,
		webhookSecret: 'shpss_x',
		inventoryWebhooks: false,
		now: () => clock,
	});
	await sim.start();
	try {
		sim.putLocation('1002', 'Store');
		sim.putInventoryItem(item, sku);
		sim.setLevel(item, '1002', 4);
		const t = Date.now() - 60_000;
		const mapping = {
			kind: 'mapping' as const,
			id: `shopify:${SHOP}:mapping:${item}`,
			version: 1,
			source: {
				platform: 'shopify' as const,
				shop: SHOP,
				topic: 'inventory_items/update',
				via: 'reconciliation' as const,
			},
			sku,
			refs: { inventoryItemId: item },
			locationId: null,
			quantity: null,
			occurredAt: new Date(t).toISOString(),
			receivedAt: new Date(t).toISOString(),
		};
		await setCounts(redis, prefix, [
			{
				index: 0,
				sku,
				location: WH,
				quantity: 10,
				asOf: Date.now(),
				id: `count:${WH}:3`,
				source: 'manual:erp:count:manual',
			},
		]);
		expect(
			outcomes(await applyEvents(redis, prefix, [mapping, levelEvent(sku, STORE, 2, t)])),
		).toEqual(['applied', 'applied']);
		const marks = async () => [await dirty('shopify', sku), await dirty('woocommerce', sku)];
		const step = async (
			events: Parameters<typeof applyEvents>[2],
			expected = events.map(() => 'applied'),
		) => {
			await clearDirty();
			expect(outcomes(await applyEvents(redis, prefix, events))).toEqual(expected);
			return await marks();
		};
		const order = (
			orderId: string,
			version: number,
			lineKey: string,
			quantity: number,
			s: string | null = sku,
		) =>
			lineEvent({
				platform: 'woocommerce',
				shop: WOO,
				orderId,
				lineKey,
				sku: s,
				quantity,
				version,
			});

		// The store 2 → 4: no deficit before or after, Shopify's figure does not move.
		expect(await step([levelEvent(sku, STORE, 4, t + 1)])).toEqual([false, true]);
		// A WooCommerce sale of 3 (forwarded, pending): the store 4 → 1, still no deficit.
		expect(await step([order('601', t + 2, '1', 3)])).toEqual([false, true]);
		// A sale of 6: the store 1 → −5, Shopify's warehouse place shows 10 − 5.
		expect(await step([order('602', t + 3, '1', 6)])).toEqual([true, true]);
		expect(await plan(sku)).toEqual({ [SHOPIFY_WH]: 5, [WOO_PLACE]: 3 });

		// Shopify Adjust applies both forwards (its store 4 → −5) and confirms them: the deficit moved on the way.
		const run: ChannelRun = {
			redis,
			prefix,
			channel: 'shopify',
			platform: 'shopify',
			deadline: Date.now() + 20_000,
		};
		const client = () =>
			new ShopifyGraphqlClient(
				testApiContext({
					shopify: {
						shopDomain: sim.baseUrl,
						authentication: 'accessToken',
						accessToken: 'shpat_test',
					},
				}),
				new ShopifyBucket(),
			);
		await clearDirty();
		expect(await drainAdjust(redis, prefix, { run, client: client(), shop: SHOP })).toMatchObject({
			confirmed: 2,
		});
		expect(sim.level(item, '1002')?.available).toBe(-5);
		expect(await marks()).toEqual([true, true]);
		expect(await plan(sku)).toEqual({ [SHOPIFY_WH]: 5, [WOO_PLACE]: 3 });

		// Order 602 loses its line (a newer version with only an untracked line): 6 units come back, the store
		// −5 → 1 (pending −6): nothing owed, Shopify marked.
		expect(
			await step([{ ...order('602', t + 4, '2', 1, null), lineIds: ['2'] }], ['skipped:untracked']),
		).toEqual([true, true]);
		expect(await plan(sku)).toEqual({ [SHOPIFY_WH]: 10, [WOO_PLACE]: 9 });
		// Adjust forwards the return (store −5 → 1) and confirms it: no deficit on the way, Shopify not marked.
		clock += 2000;
		await clearDirty();
		expect(
			await drainAdjust(redis, prefix, {
				run: { ...run, deadline: Date.now() + 20_000 },
				client: client(),
				shop: SHOP,
			}),
		).toMatchObject({ confirmed: 1 });
		expect(sim.level(item, '1002')?.available).toBe(1);
		expect(await marks()).toEqual([false, true]);
		expect(await plan(sku)).toEqual({ [SHOPIFY_WH]: 10, [WOO_PLACE]: 9 });
	} finally {
		await sim.stop();
	}
});
