import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import type Redis from 'ioredis';
import { executeShopifyInventory } from '../../nodes/ShopifyInventory/actions/router';
import { getSkus } from '../../nodes/InventoryLedger/ledger/read';
import { saveProfile } from '../../nodes/InventoryLedger/ledger/profileStore';
import { closeAllRedis } from '../../nodes/shared/redis';
import { ShopifySimulator } from '../simulators/shopify';
import { LeakyCostBucket } from '../simulators/shopifyCost';
import { nodeContext } from '../support/nodeContext';
import { deleteByPrefix, testClient, uniquePrefix } from '../support';

/* Shopify Inventory Get Levels against the simulator on the test Redis: a bulk read of a 2,000-item store
   (streamed), targeted re-reads (ties), and pacing on a nearly empty bucket. */
jest.setTimeout(120_000);

const SHOP = 'demo-shop.myshopify.com';
const LOC_A = '71000000001';
const LOC_B = '71000000002';
const place = (loc: string) => `shopify:${SHOP}:${loc}`;
const itemId = (n: number) => String(44_000_000_000_000 + n);
const sku = (n: number) => `SKU-${String(n).padStart(5, '0')}`;
const qtyA = (n: number) => (n * 7) % 50;
const qtyB = (n: number) => (n * 3) % 20;

const PROFILE = {
	dryRun: true,
	locations: [
		{ id: place(LOC_A), owner: 'shop' },
		{ id: place(LOC_B), owner: 'shop' },
	],
	channels: [
		{
			name: 'shop',
			platform: 'shopify',
			shop: SHOP,
			salesLocation: place(LOC_A),
			places: [
				{ id: place(LOC_A), shows: [place(LOC_A)] },
				{ id: place(LOC_B), shows: [place(LOC_B)] },
			],
		},
	],
};

let sim: ShopifySimulator;
let redis: Redis;
const prefixes: string[] = [];

async function freshPrefix(name: string): Promise<string> {
	const prefix = uniquePrefix(name);
	prefixes.push(prefix);
	await saveProfile(redis, prefix, PROFILE);
	return prefix;
}

function run(prefix: string, params: Record<string, unknown>, items: IDataObject[] = []) {
	const ctx = nodeContext({
		keyPrefix: prefix,
		items,
		params: { channel: 'shop', ...params },
		shopify: { shopDomain: sim.baseUrl, authentication: 'accessToken', accessToken: 'shpat_test' },
	});
	return executeShopifyInventory.call(ctx);
}

const summaryOf = (out: INodeExecutionData[][]) => out[0][0].json.summary as IDataObject;

beforeAll(async () => {
	sim = new ShopifySimulator({ webhookSecret: 'shpss_read', shop: SHOP, inventoryWebhooks: false });
	await sim.start();
	sim.putLocation(LOC_A, 'Warehouse');
	sim.putLocation(LOC_B, 'Shop floor');
	for (let n = 1; n <= 2_000; n++) {
		sim.putInventoryItem(itemId(n), sku(n));
		sim.setLevel(itemId(n), LOC_A, qtyA(n));
		sim.setLevel(itemId(n), LOC_B, qtyB(n));
	}
	redis = testClient();
});

afterAll(async () => {
	for (const p of prefixes) await deleteByPrefix(redis, p);
	await sim.stop();
	await closeAllRedis();
	await redis.quit();
});

it('Full read: a bulk operation over 2,000 items, streamed, puts every level and mapping in the ledger', async () => {
	const prefix = await freshPrefix('shopread-bulk');
	const before = process.memoryUsage().heapUsed;
	const out = await run(prefix, { operation: 'getLevels', readMode: 'full', applyToLedger: true });
	const summary = summaryOf(out);
	expect(summary).toMatchObject({
		mode: 'full',
		items: 2_000,
		levels: 4_000,
		mappings: 2_000,
		applied: 6_000,
		skipped: 0,
		invalid: 0,
		problemCount: 0,
	});
	expect(out[0]).toHaveLength(1 + 6_000);
	const skus = Array.from({ length: 2_000 }, (_, i) => sku(i + 1));
	const { states } = await getSkus(redis, prefix, skus);
	states.forEach((state, i) => {
		expect(state.quantities[place(LOC_A)]).toBe(qtyA(i + 1));
		expect(state.quantities[place(LOC_B)]).toBe(qtyB(i + 1));
	});
	// The SKU map: inventory item id → SKU.
	expect(await redis.hget(`${prefix}:map:shopify:${SHOP}`, `item:${itemId(17)}`)).toBe(sku(17));
	// One bulk run, a few status polls, one download: no paging of 2,000 items.
	expect(sim.countCalls('RunInventoryLevelsBulk')).toBe(1);
	// The output items are the run's only large allocation (the file is never held): well under 100 MB.
	expect(process.memoryUsage().heapUsed - before).toBeLessThan(100 * 1024 * 1024);

	// Read again: the same versions → skipped as unchanged, nothing applied twice.
	const again = summaryOf(
		await run(prefix, { operation: 'getLevels', readMode: 'full', applyToLedger: true }),
	);
	expect(again).toMatchObject({ applied: 0, skipped: 6_000 });
});

it('Targeted read of given SKUs (Apply off): canonical level and mapping items, as the trigger makes them', async () => {
	const prefix = await freshPrefix('shopread-target');
	const out = await run(
		prefix,
		{
			operation: 'getLevels',
			readMode: 'targeted',
			applyToLedger: false,
			skus: `${sku(5)}, ${sku(6)}`,
		},
		[{ sku: sku(7) }],
	);
	expect(summaryOf(out)).toMatchObject({
		requested: 3,
		found: 3,
		missing: 0,
		levels: 6,
		mappings: 3,
	});
	const levels = out[0]
		.slice(1)
		.map((i) => i.json)
		.filter((j) => j.kind === 'level');
	const a5 = levels.find((j) => j.sku === sku(5) && j.locationId === place(LOC_A));
	expect(a5).toMatchObject({
		id: `shopify:${SHOP}:level:${itemId(5)}:${LOC_A}`,
		kind: 'level',
		quantity: qtyA(5),
		refs: { inventoryItemId: itemId(5) },
		source: { platform: 'shopify', shop: SHOP, via: 'reconciliation' },
	});
	expect(a5?.version).toBe(sim.level(itemId(5), LOC_A)!.updatedAt);
	// Nothing applied.
	const { states } = await getSkus(redis, prefix, [sku(5)]);
	expect(states[0].quantities[place(LOC_A)]).toBeUndefined();
});

it("Targeted re-read answers the Ledger's tie items: applied with reread even at an equal version", async () => {
	const prefix = await freshPrefix('shopread-tie');
	await run(prefix, { operation: 'getLevels', readMode: 'targeted', skus: sku(9) });
	// A tie item from the Ledger's Skipped output: the event plus its result.
	const tie = {
		kind: 'level',
		sku: null,
		ledger: { outcome: 'skipped', reason: 'tie', reread: true, sku: sku(9) },
	};
	const out = await run(prefix, { operation: 'getLevels', readMode: 'targeted' }, [tie]);
	const results = out[0].slice(1).map((i) => i.json);
	expect(results.filter((j) => j.kind === 'level')).toHaveLength(2);
	for (const j of results.filter((r) => r.kind === 'level')) expect(j.reread).toBe(true);
	expect(summaryOf(out)).toMatchObject({ requested: 1, found: 1 });
});

it('A nearly empty bucket: the targeted read waits for its points — 0 THROTTLED answers', async () => {
	// A second shop whose bucket others have drained to 10 points before this process ever asked it.
	const drained = new LeakyCostBucket(1_000, 100);
	drained.take(990, Date.now());
	const other = new ShopifySimulator({
		webhookSecret: 'shpss_read2',
		shop: SHOP,
		inventoryWebhooks: false,
		costBucket: drained,
	});
	await other.start();
	try {
		for (let n = 1; n <= 150; n++) {
			other.putInventoryItem(itemId(n), sku(n));
			other.setLevel(itemId(n), LOC_A, qtyA(n));
			other.setLevel(itemId(n), LOC_B, qtyB(n));
		}
		const prefix = await freshPrefix('shopread-bucket');
		const ctx = nodeContext({
			keyPrefix: prefix,
			params: {
				channel: 'shop',
				operation: 'getLevels',
				readMode: 'targeted',
				skus: Array.from({ length: 150 }, (_, i) => sku(i + 1)).join(','),
				levelsPerItem: 2,
				options: { timeBudget: 60 },
			},
			shopify: {
				shopDomain: other.baseUrl,
				authentication: 'accessToken',
				accessToken: 'shpat_test',
			},
		});
		const out = await executeShopifyInventory.call(ctx);
		expect(summaryOf(out)).toMatchObject({ found: 150, levels: 300, applied: 450 });
		expect(other.countCalls('InventoryLevelsBySku')).toBeGreaterThan(1);
		const throttled = other.log.filter(
			(e) => (e as { rejected?: string }).rejected === 'THROTTLED',
		).length;
		expect(throttled).toBe(0);
	} finally {
		await other.stop();
	}
});
