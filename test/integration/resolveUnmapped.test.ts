import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import type Redis from 'ioredis';
import { applyEvents } from '../../nodes/InventoryLedger/ledger/apply';
import { saveProfile } from '../../nodes/InventoryLedger/ledger/profileStore';
import { executeShopifyInventory } from '../../nodes/ShopifyInventory/actions/router';
import { ledgerKeys } from '../../nodes/shared/keys';
import { closeAllRedis } from '../../nodes/shared/redis';
import { ShopifySimulator } from '../simulators/shopify';
import { nodeContext } from '../support/nodeContext';
import { deleteByPrefix, testClient, uniquePrefix } from '../support';
import { levelEvent } from './ledgerHarness';

/*
 * Shopify Resolve SKUs, "All Unmapped": the inventory item ids the Ledger received without a SKU (level items
 * refused as Invalid `unmapped`) are kept by the Ledger and resolved in one run, ≤ 250 per call; what is
 * settled leaves the set, what still has no SKU stays for the next run.
 */
jest.setTimeout(60_000);

const SHOP = 'unmapped-shop.myshopify.com';
const LOC = '71000000009';
const place = `shopify:${SHOP}:${LOC}`;
const itemId = (n: number) => String(45_000_000_000_000 + n);
const sku = (n: number) => `U-${n}`;
const PROFILE = {
	dryRun: true,
	locations: [{ id: place, owner: 'shop' }],
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
			items: [],
			params: { channel: 'shop', operation: 'resolveSkus', ...params },
			shopify: {
				shopDomain: sim.baseUrl,
				authentication: 'accessToken',
				accessToken: 'shpat_test',
			},
		}),
	);
const summaryOf = (out: INodeExecutionData[][]) => out[0][0].json.summary as IDataObject;
const level = (n: number, version = 1) =>
	levelEvent(null, place, 5, version, { shop: SHOP, inventoryItemId: itemId(n) });

beforeAll(async () => {
	sim = new ShopifySimulator({ webhookSecret: 'shpss_u', shop: SHOP, inventoryWebhooks: false });
	await sim.start();
	redis = testClient();
	prefix = uniquePrefix('unmapped');
	await saveProfile(redis, prefix, PROFILE);
});

afterAll(async () => {
	await deleteByPrefix(redis, prefix);
	await sim.stop();
	await closeAllRedis();
	await redis.quit();
});

it('maps every id the Ledger met without a SKU in ceil(n/250) calls; blank ones stay, settled ones leave the set', async () => {
	for (let n = 1; n <= 518; n++) sim.putInventoryItem(itemId(n), sku(n));
	sim.putInventoryItem(itemId(519), null); // no SKU in Shopify yet
	// 520: not in Shopify (a deleted item)
	const ns = Array.from({ length: 520 }, (_, i) => i + 1);
	const refused = await applyEvents(redis, prefix, [...ns.map((n) => level(n)), level(1, 2)]);
	expect(new Set(refused.map((r) => `${r.outcome}:${r.reason}`))).toEqual(
		new Set(['invalid:unmapped']),
	);
	const setKey = ledgerKeys.unmapped(prefix, 'shopify', SHOP);
	expect(await redis.scard(setKey)).toBe(520);
	// A webhook maps item 3 meanwhile: the run skips it without a call.
	const mapping = {
		...level(3),
		kind: 'mapping' as const,
		id: `shopify:${SHOP}:mapping:${itemId(3)}`,
	};
	expect(
		(
			await applyEvents(redis, prefix, [
				{ ...mapping, sku: sku(3), quantity: null, locationId: null },
			])
		)[0].outcome,
	).toBe('applied');

	const before = sim.countCalls('InventoryItemsById');
	const out = await run({ resolveMode: 'unmapped', inventoryItemIds: itemId(999) });
	expect(sim.countCalls('InventoryItemsById') - before).toBe(3); // 519 ids: 250 + 250 + 19
	expect(summaryOf(out)).toMatchObject({
		mode: 'unmapped',
		requested: 519,
		calls: 3,
		mapped: 517,
		alreadyMapped: 1,
		blankSku: 1,
		notFound: 1,
		remaining: 1,
	});
	expect(await redis.smembers(setKey)).toEqual([`item:${itemId(519)}`]);
	// The refused levels now apply.
	const again = await applyEvents(
		redis,
		prefix,
		ns.filter((n) => n <= 518).map((n) => level(n, 3)),
	);
	expect(again.every((r) => r.outcome === 'applied')).toBe(true);

	// Shopify gets the SKU later: the next run maps it and the set is empty.
	sim.putInventoryItem(itemId(519), sku(519));
	const next = summaryOf(await run({ resolveMode: 'unmapped' }));
	expect(next).toMatchObject({ requested: 1, calls: 1, mapped: 1, remaining: 0 });
	expect(await redis.exists(setKey)).toBe(0);
	const empty = summaryOf(await run({ resolveMode: 'unmapped' }));
	expect(empty).toMatchObject({ requested: 0, calls: 0, remaining: 0 });
});
