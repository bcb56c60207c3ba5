import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import type Redis from 'ioredis';
import { executeShopifyInventory } from '../../nodes/ShopifyInventory/actions/router';
import { applyEvents } from '../../nodes/InventoryLedger/ledger/apply';
import { getSkus } from '../../nodes/InventoryLedger/ledger/read';
import { saveProfile } from '../../nodes/InventoryLedger/ledger/profileStore';
import { pollFinishedFrom } from '../../nodes/shared/channel/pollMarker';
import { normalizeDelivery } from '../../nodes/shared/events';
import { channelKeys } from '../../nodes/shared/keys';
import { closeAllRedis } from '../../nodes/shared/redis';
import { ShopifySimulator } from '../simulators/shopify';
import { nodeContext } from '../support/nodeContext';
import { deleteByPrefix, testClient, uniquePrefix } from '../support';

/* Shopify Inventory Poll Orders: order webhooks that never arrived are applied once by the catch-up poll,
   and the webhook that arrives late after all changes nothing. */
jest.setTimeout(60_000);

const SHOP = 'demo-shop.myshopify.com';
const LOC = '71000000001';
const place = `shopify:${SHOP}:${LOC}`;
const itemId = (n: number) => String(44_000_000_000_000 + n);
const sku = (n: number) => `P-${n}`;
const PROFILE = {
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
};

let sim: ShopifySimulator;
let redis: Redis;
let prefix: string;

const run = (params: Record<string, unknown>) =>
	executeShopifyInventory.call(
		nodeContext({
			keyPrefix: prefix,
			params: { channel: 'shop', operation: 'pollOrders', ...params },
			shopify: {
				shopDomain: sim.baseUrl,
				authentication: 'accessToken',
				accessToken: 'shpat_test',
			},
		}),
	);
const summaryOf = (out: INodeExecutionData[][]) => out[0][0].json.summary as IDataObject;

beforeAll(async () => {
	sim = new ShopifySimulator({
		webhookSecret: 'shpss_poll',
		shop: SHOP,
		inventoryWebhooks: false,
		salesLocationId: LOC,
	});
	await sim.start();
	sim.putLocation(LOC, 'Warehouse');
	for (let n = 1; n <= 20; n++) {
		sim.putInventoryItem(itemId(n), sku(n));
		sim.setLevel(itemId(n), LOC, 100);
	}
	redis = testClient();
	prefix = uniquePrefix('shoppoll');
	await saveProfile(redis, prefix, PROFILE);
	// The ledger knows the stock (100 of each) before the sales.
	await applyEvents(
		redis,
		prefix,
		Array.from({ length: 20 }, (_, i) => ({
			kind: 'level',
			id: `manual:erp:level:${sku(i + 1)}`,
			version: 1_000,
			source: { platform: 'manual', shop: 'erp', topic: 'count', via: 'manual' },
			sku: sku(i + 1),
			refs: {},
			locationId: place,
			quantity: 100,
			occurredAt: new Date(1_000).toISOString(),
			receivedAt: new Date().toISOString(),
		})),
	);
});

afterAll(async () => {
	await deleteByPrefix(redis, prefix);
	await sim.stop();
	await closeAllRedis();
	await redis.quit();
});

it('Poll Orders applies orders whose webhooks were dropped once; a late webhook and a second poll change nothing', async () => {
	// 12 orders (one listing page, more than one read by id), no subscription: every webhook is lost.
	const orders: Array<Record<string, unknown>> = [];
	for (let n = 1; n <= 12; n++)
		orders.push(
			sim.placeOrder({
				id: String(5_000_000 + n),
				lines: [
					{ sku: sku(n), quantity: 2 },
					{ sku: sku(n + 1), quantity: 1 },
				],
			}),
		);
	const before = Date.now();
	const out = await run({});
	const summary = summaryOf(out);
	expect(summary).toMatchObject({
		complete: true,
		orders: 12,
		events: 24,
		applied: 24,
		skipped: 0,
		invalid: 0,
	});
	expect(summary).toMatchObject({ pages: 1, held: 0, readWhole: 12 });
	expect(summary.readCalls as number).toBeGreaterThan(1);
	// Stock: SKU n sold 2 (order n) + 1 (order n − 1).
	const ledger = async (n: number) =>
		(await getSkus(redis, prefix, [sku(n)])).states[0].quantities[place];
	expect(await ledger(1)).toBe(98);
	expect(await ledger(5)).toBe(97);
	expect(await ledger(13)).toBe(99);
	// The poll's start is recorded (mirror safety) and the cursor is the newest order's updatedAt.
	expect(await pollFinishedFrom(redis, prefix, 'shop')).toBeGreaterThanOrEqual(before - 1);
	const cursor = Number(await redis.get(channelKeys.cursor(prefix, 'shop')));
	const newest = Math.max(...orders.map((o) => Date.parse(String(o.updated_at))));
	expect(Math.floor(cursor / 1000)).toBe(Math.floor(newest / 1000));

	// The webhook of order 3 arrives late after all: same ids, same version → skipped.
	const order3 = sim.getOrder(String(orders[2].id))!;
	const normalized = normalizeDelivery({
		platform: 'shopify',
		headers: { 'x-shopify-topic': 'orders/updated', 'x-shopify-shop-domain': SHOP },
		rawBody: sim.serialize(order3).toString('utf8'),
		receivedAt: new Date().toISOString(),
	});
	expect(normalized.events).toHaveLength(2);
	const late = await applyEvents(redis, prefix, normalized.events);
	expect(late.map((r) => r.outcome)).toEqual(['skipped', 'skipped']);
	expect(await ledger(3)).toBe(97);

	// A second poll (the overlap lists the newest orders again): the Ledger holds each at its listed version,
	// so none is read whole and nothing is applied again.
	const second = summaryOf(await run({}));
	expect(second).toMatchObject({ complete: true, applied: 0, invalid: 0, held: 12, readCalls: 0 });
	expect(await ledger(5)).toBe(97);
	// Skip Orders Already Applied off: every listed order is read whole again, and the Ledger skips them.
	const third = summaryOf(await run({ skipHeldOrders: false }));
	expect(third).toMatchObject({ complete: true, applied: 0, skipped: 24, held: 0, readWhole: 12 });
	expect(await ledger(5)).toBe(97);
});
