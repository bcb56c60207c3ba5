import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import type Redis from 'ioredis';
import { saveProfile } from '../../nodes/InventoryLedger/ledger/profileStore';
import { getSkus } from '../../nodes/InventoryLedger/ledger/read';
import { executeShopifyInventory } from '../../nodes/ShopifyInventory/actions/router';
import { closeAllRedis } from '../../nodes/shared/redis';
import { ShopifySimulator } from '../simulators/shopify';
import { nodeContext } from '../support/nodeContext';
import { deleteByPrefix, testClient, uniquePrefix } from '../support';

/*
 * Shopify Get Levels and the profile's locations: levels at a Shopify location the profile does not know
 * (neither a location id nor an alias) are left out and counted — they never reach the Ledger as unknown
 * locations — unless Include Unknown Locations is on, which emits them flagged.
 */
jest.setTimeout(60_000);

const SHOP = 'locs-shop.myshopify.com';
const RETAIL = '72000000001'; // a location id of the profile
const WH_SHOWN = '72000000002'; // an alias of the ledger's warehouse
const OTHER = '72000000003'; // a store the sync does not cover
const place = (loc: string) => `shopify:${SHOP}:${loc}`;
const itemId = (n: number) => String(46_000_000_000_000 + n);
const sku = (n: number) => `L-${n}`;
const WH = 'ledger:wh';
const PROFILE = {
	dryRun: true,
	locations: [
		{ id: WH, owner: 'ledger', aliases: [place(WH_SHOWN)] },
		{ id: place(RETAIL), owner: 'shop' },
	],
	channels: [
		{
			name: 'shop',
			platform: 'shopify',
			shop: SHOP,
			salesLocation: place(RETAIL),
			places: [
				{ id: place(WH_SHOWN), shows: [WH] },
				{ id: place(RETAIL), shows: [place(RETAIL)] },
			],
		},
	],
};

let sim: ShopifySimulator;
let redis: Redis;
const prefixes: string[] = [];

async function freshPrefix(): Promise<string> {
	const prefix = uniquePrefix('shoplocs');
	prefixes.push(prefix);
	await saveProfile(redis, prefix, PROFILE);
	return prefix;
}

const run = (prefix: string, params: Record<string, unknown>) =>
	executeShopifyInventory.call(
		nodeContext({
			keyPrefix: prefix,
			items: [],
			params: { channel: 'shop', operation: 'getLevels', ...params },
			shopify: {
				shopDomain: sim.baseUrl,
				authentication: 'accessToken',
				accessToken: 'shpat_test',
			},
		}),
	);
const summaryOf = (out: INodeExecutionData[][]) => out[0][0].json.summary as IDataObject;
const itemsOf = (out: INodeExecutionData[][]) => out[0].slice(1).map((i) => i.json);

beforeAll(async () => {
	sim = new ShopifySimulator({ webhookSecret: 'shpss_l', shop: SHOP, inventoryWebhooks: false });
	await sim.start();
	for (const [id, name] of [
		[RETAIL, 'Retail'],
		[WH_SHOWN, 'Warehouse'],
		[OTHER, 'Outlet'],
	])
		sim.putLocation(id, name);
	for (let n = 1; n <= 3; n++) {
		sim.putInventoryItem(itemId(n), sku(n));
		sim.setLevel(itemId(n), RETAIL, n);
		sim.setLevel(itemId(n), WH_SHOWN, 10 + n);
		sim.setLevel(itemId(n), OTHER, 20 + n);
	}
	redis = testClient();
});

afterAll(async () => {
	for (const p of prefixes) await deleteByPrefix(redis, p);
	await sim.stop();
	await closeAllRedis();
	await redis.quit();
});

it('Full read: levels at a location the profile does not know are left out and counted, never sent to the Ledger', async () => {
	const prefix = await freshPrefix();
	const out = await run(prefix, { readMode: 'full', applyToLedger: true });
	expect(summaryOf(out)).toMatchObject({
		items: 3,
		levels: 6,
		mappings: 3,
		invalid: 0,
		unknownLocationLevels: 3,
		unknownLocations: [place(OTHER)],
	});
	const emitted = itemsOf(out).filter((j) => j.kind === 'level');
	expect(emitted.map((j) => j.locationId)).not.toContain(place(OTHER));
	expect(emitted.every((j) => (j.ledger as IDataObject).outcome !== 'invalid')).toBe(true);
	const { states } = await getSkus(redis, prefix, [sku(2)]);
	expect(states[0].quantities[place(RETAIL)]).toBe(2);
	expect(Object.keys(states[0].quantities)).not.toContain(place(OTHER));
});

it('Include Unknown Locations: emitted and flagged (Apply off); applied, the Ledger refuses them as unknownLocation', async () => {
	const prefix = await freshPrefix();
	const out = await run(prefix, {
		readMode: 'targeted',
		skus: sku(1),
		applyToLedger: false,
		includeUnknownLocations: true,
	});
	expect(summaryOf(out)).toMatchObject({ levels: 3, unknownLocationLevels: 1 });
	const other = itemsOf(out).find((j) => j.locationId === place(OTHER));
	expect(other).toMatchObject({ kind: 'level', quantity: 21, unknownLocation: true });
	expect(
		itemsOf(out).filter((j) => j.kind === 'level' && j.unknownLocation === undefined),
	).toHaveLength(2);

	const applied = await run(prefix, {
		readMode: 'targeted',
		skus: sku(1),
		applyToLedger: true,
		includeUnknownLocations: true,
	});
	expect(summaryOf(applied)).toMatchObject({ invalid: 1, unknownLocationLevels: 1 });
	const refused = itemsOf(applied).find((j) => j.locationId === place(OTHER));
	expect(refused?.ledger).toMatchObject({ outcome: 'invalid', reason: 'unknownLocation' });
});
