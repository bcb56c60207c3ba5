import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import type Redis from 'ioredis';
import { executeShopifyInventory } from '../../nodes/ShopifyInventory/actions/router';
import { saveProfile } from '../../nodes/InventoryLedger/ledger/profileStore';
import { closeAllRedis } from '../../nodes/shared/redis';
import { SHOPIFY_TOPICS } from '../../nodes/shared/events';
import { ShopifySimulator } from '../simulators/shopify';
import { LeakyCostBucket, UnmeteredCostBucket } from '../simulators/shopifyCost';
import { ShopifyGraphqlClient } from '../../nodes/ShopifyInventory/transport/graphqlClient';
import { ShopifyBucket } from '../../nodes/shared/pacing';
import { classifyChannelError } from '../../nodes/shared/retry';
import { LIST_WEBHOOK_SUBSCRIPTIONS } from '../../nodes/shared/shopifyQueries';
import { nodeContext } from '../support/nodeContext';
import { deleteByPrefix, testClient, uniquePrefix } from '../support';

/* Shopify Inventory Resolve SKUs and Subscriptions against the simulator, on the test Redis. */
jest.setTimeout(60_000);

const SHOP = 'demo-shop.myshopify.com';
const LOC = '71000000001';
const place = `shopify:${SHOP}:${LOC}`;
const itemId = (n: number) => String(44_000_000_000_000 + n);
const sku = (n: number) => `R-${n}`;
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

const run = (params: Record<string, unknown>, items: IDataObject[] = []) =>
	executeShopifyInventory.call(
		nodeContext({
			keyPrefix: prefix,
			items,
			params: { channel: 'shop', ...params },
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
		webhookSecret: 'shpss_admin',
		shop: SHOP,
		inventoryWebhooks: false,
	});
	await sim.start();
	redis = testClient();
	prefix = uniquePrefix('shopadmin');
	await saveProfile(redis, prefix, PROFILE);
});

afterAll(async () => {
	await deleteByPrefix(redis, prefix);
	await sim.stop();
	await closeAllRedis();
	await redis.quit();
});

it('Resolve SKUs: 600 ids in 3 calls into the SKU map; blank and duplicate SKUs reported, never mapped', async () => {
	for (let n = 1; n <= 598; n++) sim.putInventoryItem(itemId(n), sku(n));
	sim.putInventoryItem(itemId(599), null);
	sim.putInventoryItem(itemId(600), sku(1));
	const items = Array.from({ length: 600 }, (_, i) =>
		i % 2
			? { inventoryItemId: itemId(i + 1) }
			: { refs: { inventoryItemId: `gid://shopify/InventoryItem/${itemId(i + 1)}` } },
	);
	const before = sim.countCalls('InventoryItemsById');
	const out = await run({ operation: 'resolveSkus' }, items);
	expect(sim.countCalls('InventoryItemsById') - before).toBe(3);
	expect(summaryOf(out)).toMatchObject({
		requested: 600,
		calls: 3,
		mapped: 597,
		blankSku: 1,
		duplicateSku: 2,
		notFound: 0,
	});
	const map = `${prefix}:map:shopify:${SHOP}`;
	expect(await redis.hget(map, `item:${itemId(2)}`)).toBe(sku(2));
	expect(await redis.hget(map, `sku:${sku(2)}`)).toBe(`item:${itemId(2)}`);
	expect(await redis.hget(map, `item:${itemId(1)}`)).toBeNull();
	expect(await redis.hget(map, `item:${itemId(600)}`)).toBeNull();
	const rows = out[0].slice(1).map((i) => i.json);
	expect(rows.find((r) => r.inventoryItemId === itemId(599))).toMatchObject({
		outcome: 'blankSku',
	});
	expect(rows.find((r) => r.inventoryItemId === itemId(600))).toMatchObject({
		outcome: 'duplicateSku',
	});

	// An unknown id is reported; a second run maps nothing anew.
	const again = summaryOf(
		await run({ operation: 'resolveSkus', inventoryItemIds: `${itemId(2)}, 99999999` }),
	);
	expect(again).toMatchObject({ requested: 2, mapped: 0, unchanged: 1, notFound: 1 });
});

it('Subscriptions: Ensure creates every topic once, finds them next time, and re-creates one Shopify removed', async () => {
	const uri = 'https://hooks.example.com/webhook/inventory';
	const first = await run({ operation: 'subscriptions', deliveryUrl: uri });
	expect(summaryOf(first)).toMatchObject({ created: SHOPIFY_TOPICS.length, found: 0, failed: 0 });

	const listed = await run({
		operation: 'subscriptions',
		subscriptionAction: 'list',
		deliveryUrl: uri,
	});
	expect(summaryOf(listed)).toMatchObject({ found: SHOPIFY_TOPICS.length, missing: 0 });

	// Shopify drops the orders/updated subscription after repeated failed deliveries.
	const dropped = listed[0].slice(1).find((i) => i.json.topic === 'orders/updated')!.json
		.id as string;
	expect(sim.removeSubscription(dropped)).toBe(true);
	const check = await run({
		operation: 'subscriptions',
		subscriptionAction: 'list',
		deliveryUrl: uri,
	});
	expect(summaryOf(check)).toMatchObject({ found: SHOPIFY_TOPICS.length - 1, missing: 1 });

	const ensured = await run({ operation: 'subscriptions', deliveryUrl: uri });
	expect(summaryOf(ensured)).toMatchObject({ found: SHOPIFY_TOPICS.length - 1, created: 1 });
	const row = ensured[0].slice(1).find((i) => i.json.topic === 'orders/updated')!.json;
	expect(row).toMatchObject({ status: 'created' });
	expect(row.id).not.toBe(dropped);
	expect([...sim.store.subscriptions.values()].filter((s) => s.uri === uri)).toHaveLength(
		SHOPIFY_TOPICS.length,
	);
});

it('The transport: a THROTTLED answer is thrown as its body (classified throttled, with the refill wait) and empties the bucket picture', async () => {
	const drained = new LeakyCostBucket(1_000, 50);
	drained.take(1_000, Date.now());
	sim.setCostBucket(drained);
	try {
		const ctx = nodeContext({
			keyPrefix: prefix,
			params: {},
			shopify: {
				shopDomain: sim.baseUrl,
				authentication: 'accessToken',
				accessToken: 'shpat_test',
			},
		});
		const bucket = new ShopifyBucket();
		const client = new ShopifyGraphqlClient(ctx, bucket);
		const error = await client
			.request(LIST_WEBHOOK_SUBSCRIPTIONS, { first: 100, uri: 'https://x.example' })
			.then(
				() => undefined,
				(e: unknown) => e,
			);
		const info = classifyChannelError(error, { platform: 'shopify' });
		expect(info).toMatchObject({ errorClass: 'throttled', code: 'THROTTLED' });
		expect(info.waitMs).toBeGreaterThan(1_000);
		expect(bucket.lastStatus?.status).toMatchObject({ currentlyAvailable: 0, restoreRate: 50 });
		await expect(client.paceMs(100)).resolves.toBeGreaterThan(1_000);

		// An HTTP error is rethrown as it came (its status read by the policy): a wrong token → auth.
		const refused = new ShopifyGraphqlClient(
			nodeContext({
				keyPrefix: prefix,
				params: {},
				shopify: {
					shopDomain: sim.baseUrl,
					authentication: 'accessToken',
					accessToken: 'shpat_wrong',
				},
			}),
			new ShopifyBucket(),
		);
		const authError = await refused.request('query { shop { name } }').then(
			() => undefined,
			(e: unknown) => e,
		);
		expect(classifyChannelError(authError, { platform: 'shopify' })).toMatchObject({
			errorClass: 'auth',
			status: 401,
		});
	} finally {
		sim.setCostBucket(new UnmeteredCostBucket());
	}
});
