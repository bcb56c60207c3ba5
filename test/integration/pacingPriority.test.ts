import type Redis from 'ioredis';
import { callChannel, paceBehindForeground } from '../../nodes/shared/channel/callPolicy';
import type { ChannelRun } from '../../nodes/shared/channel/callPolicy';
import { SharedShopifyBucket, WooRequestPacer } from '../../nodes/shared/channel/sharedPace';
import { closeAllRedis } from '../../nodes/shared/redis';
import { deleteByPrefix, testClient, uniquePrefix } from '../support';
import { resultsOf, runWoo, saveWooProfile, shopOf, startWoo } from './wooHarness';

/*
 * Priority of the shared pacing (pacing.ts "Priority"; the flash-sale benchmark: a catch-up poll reading
 * thousands of orders drained the bucket and the slots, and the real-time Publish waited behind it). Real Redis,
 * the scripts on Redis's clock: background callers (catch-up and nightly reads) never reserve into debt or ahead
 * in the queue, so a foreground caller (Publish, Adjust) is paced as if they were not there, within one
 * background call.
 */

jest.setTimeout(30_000);

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

const sleep = async (ms: number) => await new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A run's clock and sleep as callChannel and paceBehindForeground take them. */
const clock: Pick<ChannelRun, 'now' | 'sleep'> = { now: Date.now, sleep };

/** A Shopify answer's `extensions.cost` saying how full the bucket is. */
const statusOf = (currentlyAvailable: number) => ({
	requestedQueryCost: 0,
	actualQueryCost: 0,
	throttleStatus: { maximumAvailable: 1_000, currentlyAvailable, restoreRate: 100 },
});

/** Background callers asking for `cost` points at a time until `until`, as Poll Orders pages do. */
async function shopifyBackground(
	bucket: SharedShopifyBucket,
	cost: number,
	until: number,
): Promise<number> {
	let calls = 0;
	while (Date.now() < until) {
		const wait = await paceBehindForeground(
			clock,
			async (left) => await bucket.reserveInBackground(cost, left),
			Math.max(0, until - Date.now()),
		);
		if (wait > until - Date.now()) break;
		calls++;
	}
	return calls;
}

it('Shopify: a foreground caller arriving while background callers are busy is paid at once, as if they were not there', async () => {
	const prefix = newPrefix('prio-shopify');
	const bucket = new SharedShopifyBucket(redis, prefix, 'prio-shop.myshopify.com');
	await bucket.settle(statusOf(1_000), 0);
	const until = Date.now() + 2_000;
	// Three catch-up pages at a time, each as costly as a page of orders.
	const background = Promise.all([1, 2, 3].map(() => shopifyBackground(bucket, 200, until)));
	const foregroundWaits: number[] = [];
	while (Date.now() < until - 200) {
		await sleep(100);
		// A Publish batch (setQuantities) every 100 ms: 10 points, paid at once by a bucket nobody else uses.
		foregroundWaits.push(await bucket.reserve(10, 5_000));
	}
	const calls = (await background).reduce((a, b) => a + b, 0);

	expect(foregroundWaits.length).toBeGreaterThanOrEqual(10);
	expect(foregroundWaits.filter((w) => w > 0)).toEqual([]);
	// The background still got through: the half above the floor at once, then what the refill allowed.
	expect(calls).toBeGreaterThanOrEqual(2);
});

it('Shopify: without priority the same background callers would have made the foreground wait (what the floor prevents)', async () => {
	const prefix = newPrefix('prio-shopify-none');
	const bucket = new SharedShopifyBucket(redis, prefix, 'prio-shop.myshopify.com');
	await bucket.settle(statusOf(1_000), 0);
	// Background callers reserving as foreground ones do: six pages of 200 points into debt.
	for (let i = 0; i < 6; i++) await bucket.reserve(200, 60_000);
	expect(await bucket.reserve(10, 60_000)).toBeGreaterThan(1_500);
});

it('Shopify: background callers get the whole refill when foreground is idle, and never reserve into debt', async () => {
	const prefix = newPrefix('prio-shopify-idle');
	const bucket = new SharedShopifyBucket(redis, prefix, 'prio-shop.myshopify.com');
	await bucket.settle(statusOf(1_000), 0);
	const calls = await shopifyBackground(bucket, 100, Date.now() + 1_500);
	// 500 points above the floor at once (5 calls), then about 150 points of refill (1 more).
	expect(calls).toBeGreaterThanOrEqual(6);
	expect(calls).toBeLessThanOrEqual(8);
	// No debt: a foreground caller right after is paid at once.
	expect(await bucket.reserve(400, 0)).toBe(0);
});

it('Shopify: background reads whose settled cost is known go while a quarter of the bucket stays in flight, half once settled', async () => {
	/** Reads by id as Poll Orders sends them back to back (399 points asked, 18 charged); how many go at once. */
	const readsAtOnce = async (name: string, settledCost: number | undefined) => {
		const bucket = new SharedShopifyBucket(redis, newPrefix(name), 'prio-shop.myshopify.com');
		await bucket.settle(statusOf(1_000), 0);
		let taken = 0;
		for (;;) {
			const pace = await bucket.reserveInBackground(399, 0, settledCost);
			if (!pace.taken) break;
			taken++;
			await bucket.settle({ requestedQueryCost: 399, actualQueryCost: 18 }, 399);
		}
		// Whatever was taken, a 250-point foreground write is paid at once.
		expect(await bucket.reserve(250, 0)).toBe(0);
		return taken;
	};
	// Expected to settle at 36: each read may go while 1,000 − 18·k − 399 ≥ 250, 20 reads (a refill point more
	// while they run may add one).
	const known = await readsAtOnce('prio-shopify-settled', 36);
	expect(known).toBeGreaterThanOrEqual(20);
	expect(known).toBeLessThanOrEqual(21);
	// Not known: each may go only while 1,000 − 18·k − 399 ≥ 500, 6 reads.
	const unknown = await readsAtOnce('prio-shopify-unsettled', undefined);
	expect(unknown).toBeGreaterThanOrEqual(6);
	expect(unknown).toBeLessThanOrEqual(7);
});

it('Shopify: a background caller whose budget ends before the refill reaches the floor reserves nothing and gives up in time', async () => {
	const prefix = newPrefix('prio-shopify-budget');
	const bucket = new SharedShopifyBucket(redis, prefix, 'prio-shop.myshopify.com');
	// 300 points: a 100-point page must wait 3 s for the bucket to reach 600.
	await bucket.settle(statusOf(300), 0);
	const run: ChannelRun = {
		redis,
		prefix,
		channel: 'shop',
		platform: 'shopify',
		deadline: Date.now() + 500,
		priority: 'background',
		...clock,
	};
	let sent = 0;
	const startedAt = Date.now();
	const result = await callChannel(
		run,
		async () => {
			sent++;
			return await Promise.resolve('page');
		},
		{
			paceMs: async (maxWaitMs) =>
				await paceBehindForeground(
					run,
					async (left) => await bucket.reserveInBackground(100, left),
					maxWaitMs,
				),
		},
	);
	expect(result.ok).toBe(false);
	expect(result.ok ? undefined : result.failure.reason).toBe('budget');
	expect(sent).toBe(0);
	expect(Date.now() - startedAt).toBeLessThan(500);
	// Nothing was reserved: the foreground still finds the 300 points.
	expect(await bucket.reserve(300, 0)).toBe(0);
});

it('Shopify: a background caller on a shop nobody called lately reserves as a foreground one does (the estimate starts)', async () => {
	const prefix = newPrefix('prio-shopify-cold');
	const bucket = new SharedShopifyBucket(redis, prefix, 'prio-shop.myshopify.com');
	// No estimate: the bucket is taken as empty, and a 1-point probe waits its 10 ms instead of the floor's 5 s.
	const pace = await bucket.reserveInBackground(1, 1_000);
	expect(pace.taken).toBe(true);
	expect(pace.taken ? pace.waitMs : Infinity).toBeLessThanOrEqual(20);
	// The estimate now exists (in debt by the probe): the next background caller yields.
	expect((await bucket.reserveInBackground(1, 1_000)).taken).toBe(false);
});

/** A store's requests, background ones through paceBehindForeground, recording when each is sent. */
async function wooBackground(pacer: WooRequestPacer, until: number, sent: number[]): Promise<void> {
	while (Date.now() < until) {
		const wait = await paceBehindForeground(
			clock,
			async (left) => await pacer.reserveInBackground(left),
			Math.max(0, until - Date.now()),
		);
		if (wait > until - Date.now()) return;
		await sleep(wait);
		sent.push(Date.now());
	}
}

it('WooCommerce: a foreground request waits for at most one background request, however many background callers ask', async () => {
	const prefix = newPrefix('prio-woo');
	// 11 per second: slots 100 ms apart (a tenth of headroom).
	const interval = 100;
	const pacer = new WooRequestPacer(redis, prefix, 'store.example', 11);
	const until = Date.now() + 2_000;
	const backgroundSent: number[] = [];
	const background = Promise.all(
		[1, 2, 3, 4].map(async () => await wooBackground(pacer, until, backgroundSent)),
	);
	const foregroundWaits: number[] = [];
	while (Date.now() < until - 300) {
		await sleep(150);
		const wait = await pacer.reserve(5_000);
		foregroundWaits.push(wait);
		await sleep(wait);
	}
	await background;

	expect(foregroundWaits.length).toBeGreaterThanOrEqual(5);
	// One foreground caller alone waits for no earlier slot of its own (150 ms apart > 100 ms): every wait is
	// the one background request that may hold the slot.
	for (const wait of foregroundWaits) expect(wait).toBeLessThanOrEqual(interval);
	// The four background callers shared the rest of the rate.
	expect(backgroundSent.length).toBeGreaterThanOrEqual(6);
});

it('WooCommerce: without priority the same background callers would have queued ahead of the foreground', async () => {
	const prefix = newPrefix('prio-woo-none');
	const pacer = new WooRequestPacer(redis, prefix, 'store.example', 11);
	for (let i = 0; i < 4; i++) await pacer.reserve(5_000);
	expect(await pacer.reserve(5_000)).toBeGreaterThan(300);
});

it('WooCommerce: background callers use the whole rate when foreground is idle', async () => {
	const prefix = newPrefix('prio-woo-idle');
	const pacer = new WooRequestPacer(redis, prefix, 'store.example', 11);
	const sent: number[] = [];
	await Promise.all(
		[1, 2, 3].map(async () => await wooBackground(pacer, Date.now() + 1_000, sent)),
	);
	// About ten slots of 100 ms in 1 s, shared by three callers.
	expect(sent.length).toBeGreaterThanOrEqual(7);
	expect(sent.length).toBeLessThanOrEqual(11);
});

it('WooCommerce: a background caller whose budget ends before a slot is free takes none and gives up in time', async () => {
	const prefix = newPrefix('prio-woo-budget');
	const pacer = new WooRequestPacer(redis, prefix, 'store.example', 11);
	// Publish queued four requests: the next slot is 400 ms away.
	for (let i = 0; i < 4; i++) await pacer.reserve(5_000);
	const run: ChannelRun = {
		redis,
		prefix,
		channel: 'store',
		platform: 'woocommerce',
		deadline: Date.now() + 150,
		priority: 'background',
		pacer,
		...clock,
	};
	let sent = 0;
	const startedAt = Date.now();
	const result = await callChannel(run, async () => {
		sent++;
		return await Promise.resolve('page');
	});
	expect(result.ok ? undefined : result.failure.reason).toBe('budget');
	expect(sent).toBe(0);
	expect(Date.now() - startedAt).toBeLessThan(150);
	// It took no slot: the next foreground request is still the fifth, not the sixth.
	const wait = await pacer.reserve(5_000);
	expect(wait).toBeGreaterThan(200);
	expect(wait).toBeLessThanOrEqual(400);
});

it('a background caller cancelled while it waits for room sends nothing', async () => {
	const prefix = newPrefix('prio-cancel');
	const pacer = new WooRequestPacer(redis, prefix, 'store.example', 1);
	await pacer.reserve(5_000); // the next slot is 1.1 s away
	const controller = new AbortController();
	const run: ChannelRun = {
		redis,
		prefix,
		channel: 'store',
		platform: 'woocommerce',
		deadline: Date.now() + 10_000,
		priority: 'background',
		pacer,
		signal: controller.signal,
		now: Date.now,
		sleep: async (ms, signal) =>
			await new Promise<void>((resolve, reject) => {
				const timer = setTimeout(resolve, ms);
				signal?.addEventListener('abort', () => {
					clearTimeout(timer);
					reject(new Error('aborted'));
				});
			}),
	};
	let sent = 0;
	const call = callChannel(run, async () => {
		sent++;
		return await Promise.resolve('page');
	});
	setTimeout(() => controller.abort(), 100);
	const result = await call;
	expect(result.ok ? undefined : result.failure.reason).toBe('aborted');
	expect(sent).toBe(0);
});

it('WooCommerce node: a Get Stock run is a background caller — Publish-like requests beside it wait at most one of its requests', async () => {
	const prefix = newPrefix('prio-woo-node');
	const sim = await startWoo({ requestsPerSecond: 20 });
	stops.push(() => sim.stop());
	await saveWooProfile(redis, prefix, shopOf(sim));
	// 1,500 products: 15 pages of 100, about 1.5 s of slots at 11 per second.
	for (let i = 0; i < 1_500; i++)
		sim.putProduct({ id: 100 + i, sku: `P-${i}`, stock_quantity: i, manage_stock: true });
	const params = { operation: 'getStock', options: { maxRequestsPerSecond: 11 } };
	const reading = runWoo({ prefix, sim, params });
	// The store's slots as the real-time Publish takes them (same key: the credential's host).
	const publish = new WooRequestPacer(redis, prefix, shopOf(sim), 11);
	const foregroundWaits: number[] = [];
	let done = false;
	void reading.finally(() => {
		done = true;
	});
	while (!done) {
		await sleep(150);
		const wait = await publish.reserve(5_000);
		foregroundWaits.push(wait);
		await sleep(wait);
	}
	const out = await reading;

	expect(resultsOf(out).filter((j) => j.kind === 'mapping')).toHaveLength(1_500);
	expect(foregroundWaits.length).toBeGreaterThanOrEqual(5);
	for (const wait of foregroundWaits) expect(wait).toBeLessThanOrEqual(100);
});
