import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { applyEvents } from '../nodes/InventoryLedger/ledger/apply';
import { saveProfile } from '../nodes/InventoryLedger/ledger/profileStore';
import type { ChannelRun } from '../nodes/shared/channel/callPolicy';
import { drainPublish, type StockWriter } from '../nodes/shared/channel/publish';
import { ledgerKeys } from '../nodes/shared/keys';
import { ShopifyBucket } from '../nodes/shared/pacing';
import { ShopifyStockWriter } from '../nodes/ShopifyInventory/stock/writer';
import { ShopifyGraphqlClient } from '../nodes/ShopifyInventory/transport/graphqlClient';
import { wooKeys } from '../nodes/WooCommerceInventory/stock/idMap';
import { WooStockWriter } from '../nodes/WooCommerceInventory/stock/writer';
import { WooRestClient } from '../nodes/WooCommerceInventory/transport/restClient';
import { deleteByPrefix, testClient, uniquePrefix } from '../test/support';
import { testApiContext } from '../test/support/apiContext';
import { table, writeResults } from './_results';

/**
 * `npm run bench -- channels` (issue 17): Publish of 10,000 changed SKUs (no concurrent sales) to each simulator
 * at Standard limits — Shopify: leaky bucket of 1,000 points restoring 100 points/s; WooCommerce: batch ≤ 100.
 * The simulators run in a child process (bench/_channelSims.ts) so that the CPU figure is ours: the drain, its
 * Redis work and the HTTP client. Minimums: Shopify ceil(changed / 250) calls; WooCommerce Σ per variable
 * parent ceil(variations / 100) + ceil(simple / 100); Shopify's physical minimum time = max(0, points needed −
 * initial bucket) ÷ restore rate.
 */

const SKUS = 10_000;
const WOO_PARENTS = 40;
const WOO_VARIATIONS = 150;
const WOO_SIMPLE = SKUS - WOO_PARENTS * WOO_VARIATIONS;
const BUCKET = 1_000;
const RESTORE = 100;
const SHOP = 'bench-shop.myshopify.com';
const LOCATION = '73000000001';
const PLACE = `shopify:${SHOP}:${LOCATION}`;

function startSimulators() {
	const child = spawn(
		process.execPath,
		[
			'-r',
			'ts-node/register/transpile-only',
			join(__dirname, '_channelSims.ts'),
			JSON.stringify({
				shop: SHOP,
				location: LOCATION,
				shopifyItems: SKUS,
				bucketSize: BUCKET,
				restoreRate: RESTORE,
				wooSimple: WOO_SIMPLE,
				wooParents: WOO_PARENTS,
				wooVariationsPerParent: WOO_VARIATIONS,
			}),
		],
		{
			cwd: join(__dirname, '..'),
			env: { ...process.env, TS_NODE_PROJECT: join(__dirname, '..', 'tsconfig.json') },
			stdio: ['pipe', 'pipe', 'inherit'],
		},
	);
	let out = '';
	const waiters: Array<{ tag: string; resolve: (v: unknown) => void }> = [];
	child.stdout.on('data', (c: Buffer) => {
		out += c.toString();
		for (;;) {
			const nl = out.indexOf('\n');
			if (nl < 0) break;
			const line = out.slice(0, nl);
			out = out.slice(nl + 1);
			const space = line.indexOf(' ');
			const tag = line.slice(0, space);
			const w = waiters.findIndex((x) => x.tag === tag);
			if (w >= 0) waiters.splice(w, 1)[0].resolve(JSON.parse(line.slice(space + 1)));
		}
	});
	const next = <T>(tag: string) =>
		new Promise<T>((resolve) => waiters.push({ tag, resolve: resolve as (v: unknown) => void }));
	return {
		ready: next<{ shopify: string; woo: string }>('READY'),
		stats: async () => {
			const p = next<Record<string, number>>('STATS');
			child.stdin.write('stats\n');
			return await p;
		},
		stop: async () => {
			child.stdin.write('stop\n');
			await new Promise((r) => child.once('exit', r));
		},
	};
}

async function startProfiler(file: string | undefined): Promise<{ stop: () => Promise<void> }> {
	if (!file) return { stop: async () => undefined };
	const inspector = await import('node:inspector');
	const { writeFileSync } = await import('node:fs');
	const session = new inspector.Session();
	session.connect();
	const post = (method: string) =>
		new Promise<unknown>((resolve, reject) =>
			session.post(method, (error, value) => (error ? reject(error) : resolve(value))),
		);
	await post('Profiler.enable');
	await post('Profiler.start');
	return {
		stop: async () => {
			const { profile } = (await post('Profiler.stop')) as { profile: unknown };
			writeFileSync(file, JSON.stringify(profile));
			session.disconnect();
		},
	};
}

export async function main(): Promise<void> {
	const sims = startSimulators();
	const urls = await sims.ready;
	const redis = testClient();
	const prefix = uniquePrefix('benchChannels');
	const wooShop = new URL(urls.woo).host;
	try {
		await saveProfile(redis, prefix, {
			dryRun: false,
			locations: [{ id: 'ledger:wh', owner: 'ledger', aliases: [PLACE] }],
			channels: [
				{
					name: 'shop',
					platform: 'shopify',
					shop: SHOP,
					salesLocation: 'ledger:wh',
					places: [{ id: PLACE, shows: ['ledger:wh'] }],
				},
				{
					name: 'woo',
					platform: 'woocommerce',
					shop: wooShop,
					salesLocation: 'ledger:wh',
					places: [{ id: `woocommerce:${wooShop}:default`, shows: ['ledger:wh'] }],
				},
			],
		});
		// The maps as the first sync leaves them, then one level per SKU: every SKU dirty on both channels.
		const events: unknown[] = [];
		const at = new Date().toISOString();
		const base = { occurredAt: at, receivedAt: at, locationId: null, quantity: null, version: 1 };
		const parents: string[] = [];
		for (let i = 0; i < SKUS; i++) {
			events.push({
				...base,
				kind: 'mapping',
				id: `shopify:${SHOP}:mapping:${46_000_000_000 + i}`,
				source: {
					platform: 'shopify',
					shop: SHOP,
					topic: 'inventory_items/update',
					via: 'reconciliation',
				},
				sku: `B-${i}`,
				refs: { inventoryItemId: String(46_000_000_000 + i) },
			});
			const variation = i >= WOO_SIMPLE;
			const id = variation ? 200_000 + i : 100_000 + i;
			const parent = variation
				? String(900_000 + Math.floor((i - WOO_SIMPLE) / WOO_VARIATIONS))
				: undefined;
			if (parent) parents.push(String(id), parent);
			events.push({
				...base,
				kind: 'mapping',
				id: `woocommerce:${wooShop}:mapping:${id}`,
				source: {
					platform: 'woocommerce',
					shop: wooShop,
					topic: 'product.updated',
					via: 'reconciliation',
				},
				sku: `B-${i}`,
				refs: parent ? { productId: parent, variantId: String(id) } : { productId: String(id) },
			});
			events.push({
				...base,
				kind: 'level',
				id: `manual:erp:level:B-${i}`,
				version: Date.now(),
				source: { platform: 'manual', shop: 'erp', topic: 'feed', via: 'manual' },
				sku: `B-${i}`,
				refs: {},
				locationId: 'ledger:wh',
				quantity: 1 + (i % 90),
			});
		}
		for (let i = 0; i < events.length; i += 3000)
			await applyEvents(redis, prefix, events.slice(i, i + 3000));
		for (let i = 0; i < parents.length; i += 2000)
			await redis.hset(wooKeys.parents(prefix, wooShop), ...parents.slice(i, i + 2000));

		const runFor = (channel: string, platform: 'shopify' | 'woocommerce'): ChannelRun => ({
			redis,
			prefix,
			channel,
			platform,
			deadline: Date.now() + 120_000,
		});
		// INVSYNC_BENCH_PROFILE=<file>: a CPU profile of the measured drains (node:inspector), to see where our time goes.
		const measure = async (
			channel: string,
			writer: StockWriter,
			platform: 'shopify' | 'woocommerce',
		) => {
			const dirty = await redis.zcard(ledgerKeys.dirty(prefix, channel));
			const cpu = process.cpuUsage();
			const t0 = performance.now();
			const report = await drainPublish(redis, prefix, { run: runFor(channel, platform), writer });
			const wall = (performance.now() - t0) / 1000;
			const used = process.cpuUsage(cpu);
			return {
				report,
				wall,
				dirty,
				cpuUs: used.user + used.system,
				userUs: used.user,
				systemUs: used.system,
			};
		};

		const shopifyClient = new ShopifyGraphqlClient(
			testApiContext({
				shopify: {
					shopDomain: urls.shopify,
					authentication: 'accessToken',
					accessToken: 'shpat_test',
				},
			}),
			new ShopifyBucket(),
		);
		const wooCtx = testApiContext({
			woocommerce: { siteUrl: urls.woo, consumerKey: 'ck_bench', consumerSecret: 'cs_bench' },
		});
		const wooClient = new WooRestClient(
			async (options) =>
				(await wooCtx.helpers.httpRequestWithAuthentication.call(
					wooCtx,
					'wooCommerceInventoryApi',
					options,
				)) as never,
			urls.woo,
		);
		const publishBoth = async () => {
			const before = await sims.stats();
			const shopify = await measure(
				'shop',
				new ShopifyStockWriter(shopifyClient, redis, prefix, SHOP),
				'shopify',
			);
			const afterShopify = await sims.stats();
			const woo = await measure(
				'woo',
				new WooStockWriter({ redis, prefix, shop: wooShop, client: wooClient }),
				'woocommerce',
			);
			const after = await sims.stats();
			return {
				shopify,
				woo,
				shopifyCalls: afterShopify.shopifyCalls - before.shopifyCalls,
				shopifyRequests: afterShopify.shopifyRequests - before.shopifyRequests,
				points: afterShopify.points - before.points,
				throttled: after.throttled - before.throttled,
				wooCalls: after.wooBatchCalls - before.wooBatchCalls,
				woo429: after.woo429 - before.woo429,
			};
		};
		// The first Publish of a process also pays for loading: V8 compiling our code, ioredis sending each
		// script's text once. It is reported as `cold`; the figures are the next Publish of 10,000 changed SKUs
		// (every level changed again), as a long-running n8n worker does it.
		const cold = await publishBoth();
		const changed: unknown[] = [];
		for (let i = 0; i < SKUS; i++)
			changed.push({
				...base,
				kind: 'level',
				id: `manual:erp:level:B-${i}`,
				version: Date.now(),
				source: { platform: 'manual', shop: 'erp', topic: 'feed', via: 'manual' },
				sku: `B-${i}`,
				refs: {},
				locationId: 'ledger:wh',
				quantity: 2 + (i % 90),
			});
		for (let i = 0; i < changed.length; i += 3000)
			await applyEvents(redis, prefix, changed.slice(i, i + 3000));
		// Shopify's bucket refills meanwhile, as it would between two flash-sale bursts.
		await new Promise((r) => setTimeout(r, (cold.points / RESTORE) * 1000));
		const profiler = await startProfiler(process.env.INVSYNC_BENCH_PROFILE);
		const warm = await publishBoth();
		await profiler.stop();
		const { shopify, woo } = warm;
		const afterShopify = {
			shopifyCalls: warm.shopifyCalls,
			shopifyRequests: warm.shopifyRequests,
			points: warm.points,
		};
		const stats = {
			throttled: warm.throttled + cold.throttled,
			wooBatchCalls: warm.wooCalls,
			woo429: warm.woo429,
		};

		const shopifyMinCalls = Math.ceil(shopify.report.written / 250);
		const wooMinCalls = WOO_PARENTS * Math.ceil(WOO_VARIATIONS / 100) + Math.ceil(WOO_SIMPLE / 100);
		const points = afterShopify.points;
		const physicalMin = Math.max(0, points - BUCKET) / RESTORE;
		const figures = {
			skus: SKUS,
			shopify_changed: shopify.report.written,
			shopify_calls: afterShopify.shopifyCalls,
			shopify_min_calls: shopifyMinCalls,
			shopify_requests: afterShopify.shopifyRequests,
			shopify_points: points,
			shopify_bucket: { maximumAvailable: BUCKET, restoreRate: RESTORE },
			throttled_responses: stats.throttled,
			shopify_wall_s: +shopify.wall.toFixed(3),
			shopify_physical_min_s: +physicalMin.toFixed(3),
			shopify_wall_target_s: +(physicalMin * 1.1 + 1).toFixed(3),
			woo_changed: woo.report.written,
			woo_calls: stats.wooBatchCalls,
			woo_min_calls: wooMinCalls,
			woo_429: stats.woo429,
			woo_wall_s: +woo.wall.toFixed(3),
			woo_catalogue: {
				simple: WOO_SIMPLE,
				variable_parents: WOO_PARENTS,
				variations_per_parent: WOO_VARIATIONS,
			},
			cpu_us_per_sku: +(
				(shopify.cpuUs + woo.cpuUs) /
				(shopify.report.written + woo.report.written)
			).toFixed(1),
			cpu_us_per_sku_shopify: +(shopify.cpuUs / shopify.report.written).toFixed(1),
			cpu_us_per_sku_woo: +(woo.cpuUs / woo.report.written).toFixed(1),
			cpu_user_us_per_sku: +(
				(shopify.userUs + woo.userUs) /
				(shopify.report.written + woo.report.written)
			).toFixed(1),
			cpu_system_us_per_sku: +(
				(shopify.systemUs + woo.systemUs) /
				(shopify.report.written + woo.report.written)
			).toFixed(1),
			dead_lettered: shopify.report.deadLettered + woo.report.deadLettered,
			cold: {
				shopify_calls: cold.shopifyCalls,
				woo_calls: cold.wooCalls,
				shopify_wall_s: +cold.shopify.wall.toFixed(3),
				woo_wall_s: +cold.woo.wall.toFixed(3),
				cpu_us_per_sku: +(
					(cold.shopify.cpuUs + cold.woo.cpuUs) /
					(cold.shopify.report.written + cold.woo.report.written)
				).toFixed(1),
			},
			settings:
				"simulators in a child process on loopback; Redis: the tests' (private redis-server unless INVSYNC_TEST_REDIS); no concurrent sales; lease and budget defaults (30 s lease, 120 s budget)",
		};
		table([
			{
				channel: 'shopify',
				changed: figures.shopify_changed,
				calls: figures.shopify_calls,
				min: figures.shopify_min_calls,
				throttled: figures.throttled_responses,
				wall_s: figures.shopify_wall_s,
				cpu_us_per_sku: figures.cpu_us_per_sku_shopify,
			},
			{
				channel: 'woocommerce',
				changed: figures.woo_changed,
				calls: figures.woo_calls,
				min: figures.woo_min_calls,
				throttled: figures.woo_429,
				wall_s: figures.woo_wall_s,
				cpu_us_per_sku: figures.cpu_us_per_sku_woo,
			},
		]);
		console.log(
			`Shopify points ${points}, physical minimum ${figures.shopify_physical_min_s} s, target ≤ ${figures.shopify_wall_target_s} s`,
		);
		console.log(`written to ${writeResults('channels', figures)}`);
	} finally {
		await deleteByPrefix(redis, prefix);
		await redis.quit();
		await sims.stop();
	}
}
