import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import type Redis from 'ioredis';
import { executeShopifyInventory } from '../../nodes/ShopifyInventory/actions/router';
import { applyEvents } from '../../nodes/InventoryLedger/ledger/apply';
import { getSkus } from '../../nodes/InventoryLedger/ledger/read';
import { saveProfile } from '../../nodes/InventoryLedger/ledger/profileStore';
import { channelKeys, ledgerKeys } from '../../nodes/shared/keys';
import { closeAllRedis } from '../../nodes/shared/redis';
import { ShopifySimulator } from '../simulators/shopify';
import type { WooCommerceSimulator } from '../simulators/woocommerce';
import { nodeContext } from '../support/nodeContext';
import { deleteByPrefix, testClient, uniquePrefix, waitFor } from '../support';
import {
	CHANNEL,
	WAREHOUSE,
	resultsOf,
	runWoo,
	saveWooProfile,
	setLevels,
	shopOf,
	startWoo,
} from './wooHarness';

/*
 * The catch-up template's first poll looks back 0 (orders before it are counted in the levels the ledger was
 * seeded with). A first poll that finds no order must still fix where the next one starts: before, no cursor
 * was written, every poll looked back from its own start again, and an order whose webhook was lost between two
 * polls was never read. Both channels' Poll Orders, on their simulators.
 */
jest.setTimeout(60_000);

let redis: Redis;
const prefixes: string[] = [];
const closers: Array<() => Promise<void>> = [];

beforeAll(() => {
	redis = testClient();
});
afterAll(async () => {
	for (const p of prefixes) await deleteByPrefix(redis, p);
	for (const c of closers) await c();
	await closeAllRedis();
	await redis.quit();
});

/** Order times have whole seconds on both platforms: the next change must be in a later second. */
const nextSecond = async () => {
	const now = Math.floor(Date.now() / 1000);
	await waitFor(
		() => Math.floor(Date.now() / 1000),
		(s) => s > now,
		3000,
		'the next second',
	);
};

it('WooCommerce: a first poll with Initial Look-Back 0 that reads nothing sets the cursor; the next poll reads a lost order', async () => {
	const prefix = uniquePrefix('pollfirst-woo');
	prefixes.push(prefix);
	const sim: WooCommerceSimulator = await startWoo();
	closers.push(() => sim.stop());
	await saveWooProfile(redis, prefix, shopOf(sim));
	sim.putProduct({ id: 20_000, sku: 'F-1', stock_quantity: 10, manage_stock: true });
	await setLevels(redis, prefix, [['F-1', 10]]);
	const poll = async () =>
		resultsOf(
			await runWoo({
				prefix,
				sim,
				params: { operation: 'pollOrders', pollOptions: { initialLookback: 0 } },
			}),
		)[0].summary as IDataObject;

	const first = await poll();
	expect(first).toMatchObject({ startedFrom: 'initial', orders: 0, applied: 0 });
	expect(first.cursorAfter).toBe(first.modifiedAfter);
	expect(await redis.get(channelKeys.cursor(prefix, CHANNEL))).toBe(first.modifiedAfter);

	await nextSecond();
	sim.placeOrder({ lines: [{ sku: 'F-1', quantity: 3 }] }); // no webhook subscribed: lost
	await nextSecond();
	const second = await poll();
	expect(second).toMatchObject({ startedFrom: 'cursor', orders: 1, applied: 1 });
	expect(Number(await redis.hget(ledgerKeys.ledger(prefix, 'F-1'), `q:${WAREHOUSE}`))).toBe(7);
});

it('Shopify: a first poll with First Poll Looks Back 0 that reads nothing sets the cursor; the next poll reads a lost order', async () => {
	const SHOP = 'first-poll.myshopify.com';
	const LOC = '71000000009';
	const place = `shopify:${SHOP}:${LOC}`;
	const prefix = uniquePrefix('pollfirst-shop');
	prefixes.push(prefix);
	const sim = new ShopifySimulator({
		webhookSecret: 'first-poll',
		shop: SHOP,
		inventoryWebhooks: false,
		salesLocationId: LOC,
	});
	await sim.start();
	closers.push(() => sim.stop());
	sim.putLocation(LOC, 'Warehouse');
	sim.putInventoryItem('44000000000901', 'F-2');
	sim.setLevel('44000000000901', LOC, 50);
	await saveProfile(redis, prefix, {
		dryRun: true,
		locations: [{ id: place, owner: 'ledger' }],
		channels: [
			{
				name: 'shop',
				platform: 'shopify',
				shop: SHOP,
				salesLocation: place,
				places: [{ id: place, shows: [place] }],
			},
		],
	});
	await applyEvents(redis, prefix, [
		{
			kind: 'level',
			id: 'manual:erp:level:F-2',
			version: 1_000,
			source: { platform: 'manual', shop: 'erp', topic: 'count', via: 'manual' },
			sku: 'F-2',
			refs: {},
			locationId: place,
			quantity: 50,
			occurredAt: new Date(1_000).toISOString(),
			receivedAt: new Date().toISOString(),
		},
	] as never);
	const poll = async () => {
		const out: INodeExecutionData[][] = await executeShopifyInventory.call(
			nodeContext({
				keyPrefix: prefix,
				params: { channel: 'shop', operation: 'pollOrders', initialLookbackHours: 0 },
				shopify: {
					shopDomain: sim.baseUrl,
					authentication: 'accessToken',
					accessToken: 'shpat_test',
				},
			}),
		);
		return out[0][0].json.summary as IDataObject;
	};

	const startedAt = Date.now();
	const first = await poll();
	expect(first).toMatchObject({ complete: true, orders: 0, applied: 0 });
	const cursor = Number(await redis.get(channelKeys.cursor(prefix, 'shop')));
	expect(cursor).toBeGreaterThanOrEqual(startedAt);
	expect(cursor).toBeLessThanOrEqual(Date.now());

	await nextSecond();
	sim.placeOrder({ lines: [{ sku: 'F-2', quantity: 2 }] }); // no subscription: the webhook is lost
	await nextSecond();
	const second = await poll();
	expect(second).toMatchObject({ complete: true, orders: 1, applied: 1 });
	expect((await getSkus(redis, prefix, ['F-2'])).states[0].quantities[place]).toBe(48);
});
