import type Redis from 'ioredis';
import { applyEvents } from '../../nodes/InventoryLedger/ledger/apply';
import { saveProfile } from '../../nodes/InventoryLedger/ledger/profileStore';
import type { ChannelRun } from '../../nodes/shared/channel/callPolicy';
import { recordPollFinished } from '../../nodes/shared/channel/pollMarker';
import { drainPublish } from '../../nodes/shared/channel/publish';
import { channelKeys, ledgerKeys } from '../../nodes/shared/keys';
import { ShopifyBucket } from '../../nodes/shared/pacing';
import { drainAdjust } from '../../nodes/ShopifyInventory/stock/adjust';
import { ShopifyStockWriter } from '../../nodes/ShopifyInventory/stock/writer';
import { ShopifyGraphqlClient } from '../../nodes/ShopifyInventory/transport/graphqlClient';
import { ShopifySimulator } from '../simulators/shopify';
import { LeakyCostBucket } from '../simulators/shopifyCost';
import { deleteByPrefix, testClient, uniquePrefix } from '../support';
import { testApiContext } from '../support/apiContext';

/*
 * Publish and Adjust against the Shopify simulator (issue 17): batching, pacing, compare-and-set, mirror
 * safety, the lease, forwards confirmed with Shopify's quantityAfterChange.
 */

const SECRET = 'shpss_publish_secret';
const LOC = '71000000001';
const SHOP = 'pub-shop.myshopify.com';
const PLACE = `shopify:${SHOP}:${LOC}`;
const item = (n: number) => String(44_000_000_000 + n);
const sku = (n: number) => `SKU-${String(n).padStart(5, '0')}`;

let redis: Redis;
let sim: ShopifySimulator;
let prefix: string;
let n = 0;

function profile(extra: Record<string, unknown> = {}) {
	return {
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
		],
		...extra,
	};
}

function level(s: string, quantity: number, version: number) {
	return {
		kind: 'level',
		id: `manual:erp:level:${s}`,
		version,
		source: { platform: 'manual', shop: 'erp', topic: 'feed', via: 'manual' },
		sku: s,
		refs: {},
		locationId: 'ledger:wh',
		quantity,
		occurredAt: new Date(version).toISOString(),
		receivedAt: new Date().toISOString(),
	};
}

function mapping(s: string, itemId: string) {
	return {
		kind: 'mapping',
		id: `shopify:${SHOP}:mapping:${itemId}`,
		version: 1,
		source: {
			platform: 'shopify',
			shop: SHOP,
			topic: 'inventory_items/update',
			via: 'reconciliation',
		},
		sku: s,
		refs: { inventoryItemId: itemId },
		locationId: null,
		quantity: null,
		occurredAt: new Date(1).toISOString(),
		receivedAt: new Date().toISOString(),
	};
}

/** count SKUs in the shop (at 0) and mapped; the ledger holds `qty(i)` for each. */
async function seed(count: number, qty: (i: number) => number, at = Date.now()) {
	const events: unknown[] = [];
	for (let i = 0; i < count; i++) {
		sim.putInventoryItem(item(i), sku(i));
		sim.setLevel(item(i), LOC, 0);
		events.push(mapping(sku(i), item(i)), level(sku(i), qty(i), at));
	}
	const results = await applyEvents(redis, prefix, events);
	expect(results.filter((r) => r.outcome === 'invalid')).toEqual([]);
}

function run(extra: Partial<ChannelRun> = {}): ChannelRun {
	return {
		redis,
		prefix,
		channel: 'shop',
		platform: 'shopify',
		deadline: Date.now() + 20_000,
		...extra,
	};
}

function client() {
	const ctx = testApiContext({
		shopify: { shopDomain: sim.baseUrl, authentication: 'accessToken', accessToken: 'shpat_test' },
	});
	return new ShopifyGraphqlClient(ctx, new ShopifyBucket());
}

async function publish(extra: Partial<ChannelRun> = {}, c = client()) {
	return await drainPublish(redis, prefix, {
		run: run(extra),
		writer: new ShopifyStockWriter(c, redis, prefix, SHOP),
		detailLimit: 100,
	});
}

beforeAll(() => {
	redis = testClient();
});
afterAll(async () => {
	await redis.quit();
});
beforeEach(async () => {
	prefix = uniquePrefix(`shopifyPublish${n++}`);
	sim = new ShopifySimulator({ shop: SHOP, webhookSecret: SECRET, inventoryWebhooks: false });
	await sim.start();
	sim.putLocation(LOC, 'Warehouse');
	await saveProfile(redis, prefix, profile());
});
afterEach(async () => {
	await sim.stop();
	await deleteByPrefix(redis, prefix);
});

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
	return new Promise((resolve, reject) => {
		const timer = setTimeout(resolve, ms);
		signal?.addEventListener('abort', () => {
			clearTimeout(timer);
			reject(new Error('aborted'));
		});
	});
}

const setCalls = () => sim.mutationCalls('inventorySetQuantities').length;

test('1,000 dirty SKUs are published in 4 inventorySetQuantities calls, and a second Publish makes none', async () => {
	await seed(1000, (i) => (i % 50) + 1);
	const report = await publish();
	expect(report).toMatchObject({ skus: 1000, written: 1000, deadLettered: 0, remaining: 0 });
	expect(setCalls()).toBe(4);
	for (let i = 0; i < 1000; i += 97) expect(sim.level(item(i), LOC)?.available).toBe((i % 50) + 1);
	expect(await redis.zcard(ledgerKeys.dirty(prefix, 'shop'))).toBe(0);

	// Nothing changed: nothing is dirty, no call.
	const again = await publish();
	expect(again.written).toBe(0);
	expect(setCalls()).toBe(4);
	// A resync marks them dirty again; the mirror already shows every value: no call either.
	await redis.zadd(ledgerKeys.dirty(prefix, 'shop'), 1_000_000, sku(3));
	expect((await publish()).unchanged).toBe(1);
	expect(setCalls()).toBe(4);
});

test('a nearly empty bucket is waited for, never overdrawn: 0 Throttled answers', async () => {
	const bucket = new LeakyCostBucket(30, 10);
	sim.setCostBucket(bucket);
	await seed(600, () => 5);
	// Drain the bucket almost empty first (another client of the same app).
	const c = client();
	await c.request('query { shop { name } }');
	const graphql = () => sim.log.filter((e) => e.op === 'graphql');
	const before = graphql().length;
	const report = await publish({}, c);
	expect(report.written).toBe(600);
	const answers = graphql().slice(before);
	expect(answers.length).toBeGreaterThan(0);
	expect(answers.filter((e) => JSON.stringify(e).includes('THROTTLED'))).toEqual([]);
});

test('CHANGE_FROM_QUANTITY_STALE: the observed value is recorded and the write retried with the new expectation', async () => {
	await seed(3, () => 10);
	await publish();
	expect(sim.level(item(1), LOC)?.available).toBe(10);
	// Shopify moved the level without telling us (a restock there: more than we published).
	sim.setLevel(item(1), LOC, 12);
	await applyEvents(redis, prefix, [
		level(sku(0), 7, Date.now() + 1000),
		level(sku(1), 7, Date.now() + 1000),
	]);
	const report = await publish();
	expect(report.stale).toBe(1);
	expect(report.written).toBe(2);
	expect(sim.level(item(0), LOC)?.available).toBe(7);
	expect(sim.level(item(1), LOC)?.available).toBe(7);
	const pub = await redis.hgetall(ledgerKeys.pub(prefix, sku(1)));
	expect(pub[`obs:shop:${PLACE}`]).toBe('12');
});

/**
 * The STALE scene on a simulator with its own clock: 2 SKUs published at 10, Shopify restocks the second to 12
 * without telling us, the ledger then says 7 for both; returns the second Publish's report.
 */
async function staleScene(shopifyNow: () => number) {
	await sim.stop();
	sim = new ShopifySimulator({
		shop: SHOP,
		webhookSecret: SECRET,
		inventoryWebhooks: false,
		now: shopifyNow,
	});
	await sim.start();
	sim.putLocation(LOC, 'Warehouse');
	await seed(2, () => 10);
	await publish();
	sim.setLevel(item(1), LOC, 12);
	await applyEvents(redis, prefix, [
		level(sku(0), 7, Date.now() + 1000),
		level(sku(1), 7, Date.now() + 1000),
	]);
	return await publish();
}

test('CHANGE_FROM_QUANTITY_STALE with Shopify times of whole seconds: a level changed in the second of our last write is still taken as newer', async () => {
	// Every Shopify time at the start of its second (as Shopify's updatedAt has whole seconds): the restock
	// below lands in the second of the first publish's confirmation, which we keep in milliseconds.
	const report = await staleScene(() => Math.floor(Date.now() / 1000) * 1000);
	expect(report.stale).toBe(1);
	expect(report).toMatchObject({ written: 2, deadLettered: 0 });
	expect(sim.level(item(1), LOC)?.available).toBe(7);
});

test("CHANGE_FROM_QUANTITY_STALE with Shopify's clock behind ours: the re-read is newer than our write, and the write goes out with what it read", async () => {
	// Shopify's times 2 s behind our clock: the restock's updatedAt is earlier than our last confirmed write by
	// our clock, yet it happened after it (the refusal says so). Ordered by the clocks alone, the write went out
	// again with the refused expectation under the refused key, and the whole call was dead-lettered.
	const report = await staleScene(() => Date.now() - 2000);
	expect(report).toMatchObject({ stale: 1, written: 2, deadLettered: 0 });
	expect(sim.level(item(0), LOC)?.available).toBe(7);
	expect(sim.level(item(1), LOC)?.available).toBe(7);
	const sets = sim.mutationCalls('inventorySetQuantities');
	expect(sets.at(-1)).toMatchObject({ userErrors: [] });
	expect(JSON.stringify(sets)).not.toContain('IDEMPOTENCY');
});

test('a batch sent again after Shopify refused its key goes out under a new key (a refused key is spent)', async () => {
	await seed(1, () => 10);
	await publish();
	sim.setLevel(item(0), LOC, 12);
	const writer = new ShopifyStockWriter(client(), redis, prefix, SHOP);
	const write = {
		sku: sku(0),
		place: PLACE,
		desired: 7,
		quantity: 7,
		expected: 10,
		held: false,
		unchanged: false,
		rev: 1,
	};
	const { ready } = await writer.prepare([write]);
	const context = { idempotencyKey: 'invsync-refused-key-test', attempt: 1 };
	// Refused: 12 is shown, not 10. The level goes back to 10 before the same write is decided again.
	expect((await writer.send(ready, context))[0]).toMatchObject({ status: 'stale', observed: 12 });
	sim.setLevel(item(0), LOC, 10);
	expect(await writer.send(ready, context)).toEqual([{ status: 'written' }]);
	expect(sim.level(item(0), LOC)?.available).toBe(7);
	const keys = sim.mutationCalls('inventorySetQuantities').slice(-2);
	expect(keys[0].idempotencyKey).toBe('invsync-refused-key-test');
	expect(keys[1].idempotencyKey).not.toBe('invsync-refused-key-test');
	expect(keys[1].userErrors).toEqual([]);
});

test("IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED (a refusal's answer was lost): nothing is applied and the call goes out again under a new key", async () => {
	await seed(1, () => 10);
	await publish();
	sim.setLevel(item(0), LOC, 12);
	const write = {
		sku: sku(0),
		place: PLACE,
		desired: 7,
		quantity: 7,
		expected: 10,
		held: false,
		unchanged: false,
		rev: 1,
	};
	const context = { idempotencyKey: 'invsync-lost-refusal-test', attempt: 1 };
	// A first attempt under the key was refused (12 is shown, not 10); its answer never reached this writer.
	const first = new ShopifyStockWriter(client(), redis, prefix, SHOP);
	expect((await first.send((await first.prepare([write])).ready, context))[0]).toMatchObject({
		status: 'stale',
	});
	const writer = new ShopifyStockWriter(client(), redis, prefix, SHOP);
	const { ready } = await writer.prepare([write]);
	expect(await writer.send(ready, context)).toEqual([{ status: 'notApplied' }]);
	expect(sim.level(item(0), LOC)?.available).toBe(12);
	// The engine sends a notApplied write again in its next call: a fresh key gets Shopify's real answer.
	expect((await writer.send(ready, context))[0]).toMatchObject({ status: 'stale', observed: 12 });
	const calls = sim.mutationCalls('inventorySetQuantities').slice(-2);
	expect(calls[0].userErrors).toEqual(['IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED']);
	expect(calls[1]).toMatchObject({ userErrors: ['CHANGE_FROM_QUANTITY_STALE'] });
	expect(calls[1].idempotencyKey).not.toBe('invsync-lost-refusal-test');
});

test('mirror safety: a mirror that sold 2 units we have not heard of is not raised back until a poll that started after it finished', async () => {
	await seed(1, () => 10);
	await publish();
	// Shopify sold 2 (a sale we have not heard of yet); its level webhook reports 8 after our write.
	sim.setLevel(item(0), LOC, 8);
	const observedAt = Date.now() + 5;
	await applyEvents(redis, prefix, [
		{
			kind: 'level',
			id: `shopify:${SHOP}:level:${item(0)}:${LOC}`,
			version: observedAt,
			source: { platform: 'shopify', shop: SHOP, topic: 'inventory_levels/update', via: 'webhook' },
			sku: null,
			refs: { inventoryItemId: item(0) },
			locationId: PLACE,
			quantity: 8,
			occurredAt: new Date(observedAt).toISOString(),
			receivedAt: new Date().toISOString(),
		},
	]);
	// A restock arrives in the ledger: 10 → 12. Publish must not raise Shopify above the 8 it shows.
	await applyEvents(redis, prefix, [level(sku(0), 12, Date.now() + 10)]);
	let report = await publish();
	expect(report.held).toBe(1);
	expect(sim.level(item(0), LOC)?.available).toBe(8);
	// A poll that started before the observation does not release it.
	await recordPollFinished(redis, prefix, 'shop', observedAt - 1000);
	await redis.zadd(ledgerKeys.dirty(prefix, 'shop'), 1_000_000, sku(0));
	report = await publish();
	expect(sim.level(item(0), LOC)?.available).toBe(8);
	// A decrease below what it shows goes out at once, even while held.
	await applyEvents(redis, prefix, [level(sku(0), 5, Date.now() + 20)]);
	report = await publish();
	expect(sim.level(item(0), LOC)?.available).toBe(5);
	// Back to 12 in the ledger: our own write of 5 explains nothing, so the mirror goes no higher than the 8
	// it showed until a poll that started after that report has finished; then it is released.
	await applyEvents(redis, prefix, [level(sku(0), 12, Date.now() + 30)]);
	report = await publish();
	expect(report.held).toBe(1);
	expect(sim.level(item(0), LOC)?.available).toBe(8);
	// The poll that releases the hold marks the held SKU dirty again by itself: nothing else changes it.
	expect(await redis.zcard(ledgerKeys.dirty(prefix, 'shop'))).toBe(0);
	expect(await recordPollFinished(redis, prefix, 'shop', observedAt + 1)).toBe(1);
	report = await publish();
	expect(report.held).toBe(0);
	expect(sim.level(item(0), LOC)?.available).toBe(12);
});

test('echo webhooks of our own writes cause no further writes', async () => {
	await seed(20, () => 4);
	await publish();
	const calls = setCalls();
	// Shopify's echo for every level we set, after our write: what we published.
	const now = Date.now() + 5;
	await applyEvents(
		redis,
		prefix,
		Array.from({ length: 20 }, (_, i) => ({
			kind: 'level',
			id: `shopify:${SHOP}:level:${item(i)}:${LOC}`,
			version: now,
			source: { platform: 'shopify', shop: SHOP, topic: 'inventory_levels/update', via: 'webhook' },
			sku: null,
			refs: { inventoryItemId: item(i) },
			locationId: PLACE,
			quantity: 4,
			occurredAt: new Date(now).toISOString(),
			receivedAt: new Date().toISOString(),
		})),
	);
	await publish();
	expect(setCalls()).toBe(calls);
});

test('a drainer whose lease expired writes nothing', async () => {
	await seed(5, () => 3);
	// Someone else holds the lease: this run finds it busy and leaves the work to the holder.
	await redis.set(`${prefix}:lock:lease%3Ashop`, 'other-token', 'PX', 60_000);
	const busy = await publish();
	expect(busy.leaseBusy).toBe(true);
	expect(setCalls()).toBe(0);
	await redis.del(`${prefix}:lock:lease%3Ashop`);
	// The lease is lost while the run waits on the bucket (another drainer took it over after it expired):
	// the run stops before writing anything.
	const lockKey = `${prefix}:lock:lease%3Ashop`;
	const writer = Object.assign(new ShopifyStockWriter(client(), redis, prefix, SHOP), {
		paceMs: () => {
			void redis.set(lockKey, 'next-holder', 'PX', 60_000);
			return 2_000;
		},
	});
	const report = await drainPublish(redis, prefix, {
		run: run({ sleep: async (ms, signal) => await abortableSleep(ms, signal) }),
		writer,
		lease: { ttlMs: 300, extendEveryMs: 20 },
	});
	expect(report.leaseLost).toBe(true);
	expect(setCalls()).toBe(0);
	expect(await redis.zcard(ledgerKeys.dirty(prefix, 'shop'))).toBe(5);
});

test('a 401 is not retried, says what is wrong, and the batch is dead-lettered', async () => {
	await seed(3, () => 2);
	const ctx = testApiContext({
		shopify: { shopDomain: sim.baseUrl, authentication: 'accessToken', accessToken: 'shpat_wrong' },
	});
	const report = await publish({}, new ShopifyGraphqlClient(ctx, new ShopifyBucket()));
	expect(report.deadLettered).toBe(3);
	const letters = await redis.xrange(channelKeys.dlq(prefix), '-', '+');
	expect(letters).toHaveLength(1);
	const fields = Object.fromEntries(
		letters[0][1].reduce<string[][]>(
			(a, v, i) => (i % 2 ? a : [...a, [v, letters[0][1][i + 1]]]),
			[],
		),
	);
	expect(fields).toMatchObject({ operation: 'publish', errorClass: 'auth', attempts: '1' });
	expect(fields.errorMessage).toMatch(/401|credential|token/i);
	expect(JSON.stringify(fields)).not.toContain('shpat_wrong');
});

test('Adjust: forwarded sales reach Shopify as deltas, its quantityAfterChange becomes the level, marks are lifted, a replay applies nothing twice', async () => {
	// Shopify owns the location; a WooCommerce channel sells from it.
	await saveProfile(redis, prefix, {
		dryRun: false,
		locations: [{ id: PLACE, owner: 'shop' }],
		channels: [
			{
				name: 'shop',
				platform: 'shopify',
				shop: SHOP,
				salesLocation: PLACE,
				places: [{ id: PLACE, shows: [PLACE] }],
			},
			{
				name: 'woo',
				platform: 'woocommerce',
				shop: 'w.test',
				salesLocation: PLACE,
				places: [{ id: 'woocommerce:w.test:default', shows: [PLACE] }],
			},
		],
	});
	sim.putInventoryItem(item(0), sku(0));
	sim.setLevel(item(0), LOC, 20);
	const t = Date.now() - 60_000;
	await applyEvents(redis, prefix, [
		mapping(sku(0), item(0)),
		{
			kind: 'level',
			id: `shopify:${SHOP}:level:${item(0)}:${LOC}`,
			version: t,
			source: { platform: 'shopify', shop: SHOP, topic: 'inventory_levels/update', via: 'webhook' },
			sku: sku(0),
			refs: { inventoryItemId: item(0) },
			locationId: PLACE,
			quantity: 20,
			occurredAt: new Date(t).toISOString(),
			receivedAt: new Date().toISOString(),
		},
	]);
	const order = (id: string, qty: number) => ({
		kind: 'orderLine',
		id: `woocommerce:w.test:order:${id}:line:1`,
		version: t + 1000,
		source: { platform: 'woocommerce', shop: 'w.test', topic: 'order.created', via: 'webhook' },
		lineIds: ['1'],
		sku: sku(0),
		refs: { orderId: id },
		locationId: null,
		quantity: qty,
		occurredAt: new Date(t).toISOString(),
		receivedAt: new Date().toISOString(),
	});
	await applyEvents(redis, prefix, [order('500', 2), order('501', 3)]);
	const ledger = ledgerKeys.ledger(prefix, sku(0));
	expect(await redis.hget(ledger, `p:${PLACE}`)).toBe('5');
	expect(await redis.xlen(ledgerKeys.outbox(prefix, 'shop'))).toBe(2);

	const c = client();
	const report = await drainAdjust(redis, prefix, { run: run(), client: c, shop: SHOP });
	expect(report).toMatchObject({
		entries: 2,
		confirmed: 2,
		calls: 1,
		deadLettered: 0,
		remaining: 0,
	});
	expect(sim.level(item(0), LOC)?.available).toBe(15);
	expect(await redis.hget(ledger, `q:${PLACE}`)).toBe('15');
	expect(await redis.hget(ledger, `p:${PLACE}`)).toBe('0');
	expect(await redis.xlen(channelKeys.lag(prefix, 'shop'))).toBe(2);

	// The same forwards come back (a dead-letter replay): skipped by our own record, no call.
	const outbox = ledgerKeys.outbox(prefix, 'shop');
	await redis.xadd(
		outbox,
		'*',
		'sku',
		sku(0),
		'loc',
		PLACE,
		'delta',
		-2,
		'id',
		`woocommerce:w.test:order:500:line:1`,
		'ver',
		String(t + 1000),
	);
	const replay = await drainAdjust(redis, prefix, { run: run(), client: c, shop: SHOP });
	expect(replay).toMatchObject({ alreadyConfirmed: 1, calls: 0, confirmed: 0 });
	expect(sim.level(item(0), LOC)?.available).toBe(15);
});
