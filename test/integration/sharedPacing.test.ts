import type Redis from 'ioredis';
import { closeAllRedis } from '../../nodes/shared/redis';
import type { ChannelRun } from '../../nodes/shared/channel/callPolicy';
import { SharedShopifyBucket, WooRequestPacer } from '../../nodes/shared/channel/sharedPace';
import { ShopifyBucket } from '../../nodes/shared/pacing';
import { SHOP_NAME_QUERY } from '../../nodes/shared/shopifyQueries';
import { callShopify } from '../../nodes/ShopifyInventory/actions/common';
import { levelsQuery } from '../../nodes/ShopifyInventory/stock/queries';
import { ShopifyGraphqlClient } from '../../nodes/ShopifyInventory/transport/graphqlClient';
import { ShopifySimulator } from '../simulators/shopify';
import { LeakyCostBucket } from '../simulators/shopifyCost';
import type { WooCommerceSimulator } from '../simulators/woocommerce';
import { deleteByPrefix, testClient, uniquePrefix } from '../support';
import { testApiContext } from '../support/apiContext';
import { resultsOf, runWoo, saveWooProfile, shopOf, startWoo } from './wooHarness';

/*
 * Pacing shared by concurrent callers (channel/sharedPace.ts, issue 17 "0 Throttled", issue 20 flash sale):
 * two drainers — two executions or two workers, each with its own client and its own picture of the limit —
 * calling one shop at once never draw a THROTTLED or a 429, because they reserve from one estimate in Redis.
 */

jest.setTimeout(60_000);

let redis: Redis;
const prefixes: string[] = [];
const stops: Array<() => Promise<void>> = [];

beforeAll(() => {
	redis = testClient();
});

afterAll(async () => {
	for (const p of prefixes) await deleteByPrefix(redis, p);
	for (const stop of stops) await stop();
	await closeAllRedis();
	await redis.quit();
});

function newPrefix(name: string): string {
	const prefix = uniquePrefix(name);
	prefixes.push(prefix);
	return prefix;
}

const LOC = '72000000001';
const item = (n: number) => String(45_000_000_000 + n);

it('Shopify: two concurrent drainers on a nearly empty bucket get 0 THROTTLED answers', async () => {
	const prefix = newPrefix('pace-shopify');
	const bucket = new LeakyCostBucket(1_000, 100);
	const sim = new ShopifySimulator({
		shop: 'pace-shop.myshopify.com',
		webhookSecret: 'shpss_pace',
		accessToken: 'shpat_pace',
		costBucket: bucket,
	});
	await sim.start();
	stops.push(() => sim.stop());
	for (let i = 0; i < 10; i++) {
		sim.putInventoryItem(item(i), `PACE-${i}`);
		sim.setLevel(item(i), LOC, i);
	}
	const drainer = () => {
		const ctx = testApiContext({
			shopify: {
				shopDomain: sim.baseUrl,
				authentication: 'accessToken',
				accessToken: 'shpat_pace',
			},
		});
		const run: ChannelRun = {
			redis,
			prefix,
			channel: 'shop',
			platform: 'shopify',
			deadline: Date.now() + 40_000,
		};
		// Its own in-process bucket, as in another worker; only the Redis estimate is shared.
		const client = new ShopifyGraphqlClient(
			ctx,
			new ShopifyBucket(),
			undefined,
			new SharedShopifyBucket(redis, prefix, 'pace-shop.myshopify.com'),
		);
		return { run, client };
	};
	const a = drainer();
	const b = drainer();

	// Another app spent nearly all of the bucket; one cheap answer tells our side how little is left.
	expect(bucket.take(985, Date.now())).toBe(true);
	expect((await callShopify(a, SHOP_NAME_QUERY, {}, 1)).ok).toBe(true);

	const { query, cost } = levelsQuery(
		Array.from({ length: 10 }, (_, i) => ({
			itemGid: `gid://shopify/InventoryItem/${item(i)}`,
			locationGid: `gid://shopify/Location/${LOC}`,
		})),
	);
	const drain = async (d: ReturnType<typeof drainer>) => {
		const results = [];
		for (let i = 0; i < 6; i++) results.push(await callShopify(d, query, {}, cost));
		return results;
	};
	const results = (await Promise.all([drain(a), drain(b)])).flat();

	expect(results.filter((r) => !r.ok)).toEqual([]);
	const answered = sim.log.filter((e) => e.op === 'graphql' && e.name === 'RereadLevels');
	expect(answered).toHaveLength(12);
	expect(sim.log.filter((e) => e.rejected === 'THROTTLED')).toEqual([]);
});

it('WooCommerce: two concurrent Get Stock runs with Max Requests per Second at the host limit (10) get 0 × 429', async () => {
	const prefix = newPrefix('pace-woo');
	const sim: WooCommerceSimulator = await startWoo({ requestsPerSecond: 10, retryAfterSeconds: 1 });
	stops.push(() => sim.stop());
	await saveWooProfile(redis, prefix, shopOf(sim));
	// 1,000 products: 10 pages of 100 for each run, 20 requests (plus any variation reads) in ~2 s.
	for (let i = 0; i < 1_000; i++)
		sim.putProduct({ id: 100 + i, sku: `P-${i}`, stock_quantity: i, manage_stock: true });

	const params = { operation: 'getStock', options: { maxRequestsPerSecond: 10 } };
	const [first, second] = await Promise.all([
		runWoo({ prefix, sim, params }),
		runWoo({ prefix, sim, params }),
	]);

	const rest = sim.log.filter((e) => e.op === 'rest');
	expect(rest.length).toBeGreaterThanOrEqual(20);
	expect(rest.filter((e) => e.status === 429)).toEqual([]);
	// Both runs read the whole store.
	for (const out of [first, second])
		expect(resultsOf(out).filter((j) => j.kind === 'mapping')).toHaveLength(1_000);
});

it("WooCommerce: a store's Retry-After holds back every caller, not only the one it answered", async () => {
	const prefix = newPrefix('pace-woo-retry');
	const answered = new WooRequestPacer(redis, prefix, 'store.example', 0);
	const other = new WooRequestPacer(redis, prefix, 'store.example', 0);
	const elsewhere = new WooRequestPacer(redis, prefix, 'other.example', 0);
	await answered.defer(2_000);
	const wait = await other.reserve();
	expect(wait).toBeGreaterThan(0);
	expect(wait).toBeLessThanOrEqual(2_000);
	expect(await elsewhere.reserve()).toBe(0);
});

it('a caller that cannot afford the wait reserves nothing: giving up never holds back the callers after it', async () => {
	const prefix = newPrefix('pace-giveup');
	const bucket = new SharedShopifyBucket(redis, prefix, 'giveup-shop.myshopify.com');
	// No estimate yet: the bucket is taken as empty, so 1,000 points at 100/s are 10 s away.
	const first = await bucket.reserve(1_000, 2_000);
	expect(first).toBeGreaterThan(2_000);
	// Twenty callers giving up the same way (a run per second whose budget is short) reserve nothing either:
	// the wait stays about 10 s instead of growing by 10 s with each of them.
	for (let i = 0; i < 20; i++) await bucket.reserve(1_000, 2_000);
	const after = await bucket.reserve(1_000, 60_000);
	expect(after).toBeLessThanOrEqual(first + 50);
	// That last one reserved (its wait fitted): a call that then got no answer gives its points back.
	await bucket.release(1_000);
	expect(await bucket.reserve(1_000, 0)).toBeLessThanOrEqual(first + 50);

	const woo = new WooRequestPacer(redis, prefix, 'giveup-store.example.com', 1);
	expect(await woo.reserve()).toBe(0);
	expect(await woo.reserve(100)).toBeGreaterThan(900); // the next slot is a second away: not taken
	for (let i = 0; i < 20; i++) await woo.reserve(100);
	expect(await woo.reserve()).toBeLessThanOrEqual(1_100); // still the second slot (1.1 s: a tenth of headroom), not the 22nd
});
