import type Redis from 'ioredis';
import { GuardCode } from '../../nodes/InventoryGuard/codes';
import { claimKeys, commitKeys } from '../../nodes/InventoryGuard/redisGuard';
import { applyEvents } from '../../nodes/InventoryLedger/ledger';
import { placeAvailability } from '../../nodes/InventoryLedger/aggregate';
import { loadProfile } from '../../nodes/InventoryLedger/ledger/profileStore';
import type { ChannelRun } from '../../nodes/shared/channel/callPolicy';
import { drainPublish, type PublishReport } from '../../nodes/shared/channel/publish';
import { normalizeDelivery, pickHeaders } from '../../nodes/shared/events';
import { escapeKeyPart, key, ledgerKeys } from '../../nodes/shared/keys';
import { closeAllRedis } from '../../nodes/shared/redis';
import { pollOrders } from '../../nodes/WooCommerceInventory/orders/poll';
import { WooStockWriter } from '../../nodes/WooCommerceInventory/stock/writer';
import { WooRestClient } from '../../nodes/WooCommerceInventory/transport/restClient';
import type { WooCommerceSimulator } from '../simulators/woocommerce';
import { testApiContext } from '../support/apiContext';
import { deleteByPrefix, testClient, uniquePrefix } from '../support';
import {
	CHANNEL,
	CONSUMER_KEY,
	CONSUMER_SECRET,
	WEBHOOK_SECRET,
	saveWooProfile,
	setLevels,
	shopOf,
	startCollector,
	startWoo,
} from './wooHarness';

/*
 * A WooCommerce order cancelled (its order.updated lost) and then reinstated (issue 17; the templates e2e's
 * catch-up case). WooCommerce moves its own stock both times: restores the units on cancelled, takes them again on
 * processing. The ledger, which never heard of the cancellation, counts the order once all along (right), and
 * Publish writes the ledger's value over the restored stock; the reinstatement then takes one unit more, and
 * WooCommerce shows one less than the ledger. Nothing in the ledger changes after that, so nothing marked the SKU
 * for Publish: WooCommerce stayed low. Each test drives the simulator, the receipt path (normaliser, the Guard's
 * `id@version` claim, the Ledger), Poll Orders and Publish on one clock of the test's own.
 */
jest.setTimeout(120_000);

const SKU = 'R-1';
const PRODUCT_ID = 10_000;

let redis: Redis;
const prefixes: string[] = [];
const sims: WooCommerceSimulator[] = [];
const closers: Array<() => Promise<void>> = [];

beforeAll(() => {
	redis = testClient();
});
afterAll(async () => {
	for (const p of prefixes) await deleteByPrefix(redis, p);
	for (const s of sims) await s.stop();
	for (const c of closers) await c();
	await closeAllRedis();
	await redis.quit();
});

async function setup(name: string, stock: number) {
	const prefix = uniquePrefix(name);
	prefixes.push(prefix);
	const T = Math.floor(Date.now() / 1000) * 1000 - 600_000;
	const clock = { now: T };
	const sim = await startWoo({ now: () => clock.now });
	sims.push(sim);
	const collector = await startCollector();
	closers.push(collector.close);
	for (const topic of ['product.updated', 'order.created', 'order.updated'])
		await sim.createWebhook({ topic, delivery_url: collector.url, secret: WEBHOOK_SECRET });
	await saveWooProfile(redis, prefix, shopOf(sim));
	sim.putProduct({ id: PRODUCT_ID, sku: SKU, stock_quantity: stock, manage_stock: true });

	const ctx = testApiContext({
		woocommerce: {
			siteUrl: sim.baseUrl,
			consumerKey: CONSUMER_KEY,
			consumerSecret: CONSUMER_SECRET,
		},
	});
	/** Run just before our next batch write reaches WooCommerce (after Publish decided it): a change in between. */
	const beforeWrite: Array<() => void> = [];
	const client = new WooRestClient(async (options) => {
		if (options.method === 'POST' && /batch/.test(String(options.url)))
			for (const f of beforeWrite.splice(0)) f();
		return (await ctx.helpers.httpRequestWithAuthentication.call(
			ctx,
			'wooCommerceInventoryApi',
			options,
		)) as never;
	}, sim.baseUrl);
	const run = (): ChannelRun => ({
		redis,
		prefix,
		channel: CHANNEL,
		platform: 'woocommerce',
		deadline: clock.now + 30_000,
		now: () => clock.now,
	});
	const publish = async (): Promise<PublishReport> =>
		await drainPublish(redis, prefix, {
			run: run(),
			writer: new WooStockWriter({
				redis,
				prefix,
				shop: shopOf(sim),
				client,
				now: () => clock.now,
			}),
			detailLimit: 10,
		});
	const poll = async () =>
		await pollOrders(redis, prefix, run(), client, { shop: shopOf(sim), now: () => clock.now });

	/** The simulator's deliveries so far, through the receipt path; `take` picks which arrive now (the rest wait). */
	let waiting: Array<{ topic: string; body: string; headers: Record<string, string> }> = [];
	let seen = 0;
	const deliver = async (take: (topic: string) => boolean = () => true) => {
		await sim.flushDeliveries();
		for (const r of collector.received.slice(seen))
			waiting.push({
				topic: String(r.headers['x-wc-webhook-topic']),
				body: r.body,
				headers: r.headers as Record<string, string>,
			});
		seen = collector.received.length;
		const now = waiting.filter((d) => take(d.topic));
		waiting = waiting.filter((d) => !take(d.topic));
		const events = now.flatMap(
			(d) =>
				normalizeDelivery({
					platform: 'woocommerce',
					headers: pickHeaders('woocommerce', d.headers),
					rawBody: d.body,
					receivedAt: new Date(clock.now).toISOString(),
				}).events,
		);
		if (events.length === 0) return { applied: 0, duplicates: 0 };
		const keys = events.map((e) => key(prefix, 'claim', escapeKeyPart(`${e.id}@${e.version}`)));
		const claims = await claimKeys(redis, keys, 600_000, 'receipt');
		const isNew = (i: number) =>
			claims[i].code === GuardCode.Ok || claims[i].code === GuardCode.Reclaimed;
		const fresh = events.filter((_, i) => isNew(i));
		await applyEvents(redis, prefix, fresh);
		await commitKeys(
			redis,
			keys.filter((_, i) => isNew(i)),
			600_000,
			'receipt',
		);
		return { applied: fresh.length, duplicates: events.length - fresh.length };
	};

	/** What the ledger says WooCommerce should show for the SKU. */
	const ledgerAvailable = async () => {
		const loaded = await loadProfile(redis, prefix, true);
		const hash = await redis.hgetall(ledgerKeys.ledger(prefix, SKU));
		const quantities: Record<string, number> = {};
		for (const [field, value] of Object.entries(hash))
			if (field.startsWith('q:')) quantities[field.slice(2)] = Number(value);
		const [place] = placeAvailability(
			loaded!.index.profile,
			{ sku: SKU, quantities, pending: {}, frozen: false },
			CHANNEL,
		);
		return place.available;
	};
	const shown = () => Number(sim.getProduct(PRODUCT_ID)?.stock_quantity);
	const pubHash = async () => await redis.hgetall(ledgerKeys.pub(prefix, SKU));

	const dirty = async () => await redis.zscore(ledgerKeys.dirty(prefix, CHANNEL), SKU);

	/** First sync in second 1: 10 published, its echo recorded. */
	const firstSync = async () => {
		await setLevels(redis, prefix, [[SKU, stock]], T);
		clock.now = T + 1000 + 100;
		await publish();
		await deliver();
	};
	return {
		prefix,
		sim,
		clock,
		T,
		publish,
		poll,
		deliver,
		ledgerAvailable,
		shown,
		firstSync,
		beforeWrite,
		pubHash,
		dirty,
	};
}

/**
 * Sale in second 2 (counted; Publish has not run for it yet), cancellation in second 3 with its order.updated
 * lost: WooCommerce shows 10, the ledger 9, the SKU is dirty.
 */
async function saleThenLostCancel(t: Awaited<ReturnType<typeof setup>>) {
	await t.firstSync();
	t.clock.now = t.T + 2000 + 100;
	const order = t.sim.placeOrder({ lines: [{ sku: SKU, quantity: 1 }] });
	await t.deliver();
	expect(t.shown()).toBe(9);
	expect(await t.ledgerAvailable()).toBe(9);
	expect(await t.dirty()).not.toBeNull();
	t.clock.now = t.T + 3000 + 100;
	t.sim.dropNextDeliveries(1, 'order.updated');
	t.sim.setOrderStatus(String(order.id), 'cancelled');
	expect(t.shown()).toBe(10); // WooCommerce restored the unit
	return String(order.id);
}

it('a lost WooCommerce cancellation, our write of the pre-cancellation value, then the reinstatement taking one unit more: the report below our write marks the SKU, Publish holds it until a poll, then writes the ledger value', async () => {
	const t = await setup('woo-reinstate', 10);
	const orderId = await saleThenLostCancel(t);
	// The cancellation's product report (10) arrives; the ledger still counts the order: Publish writes 9 over it.
	await t.deliver();
	t.clock.now = t.T + 3000 + 600;
	expect(await t.publish()).toMatchObject({ written: 1 });
	expect(t.shown()).toBe(9);
	await t.deliver((topic) => topic === 'product.updated'); // our echo
	expect(await t.dirty()).toBeNull();

	// Second 5: reinstated. WooCommerce takes the unit again (9 → 8); the ledger's count does not move (9).
	t.clock.now = t.T + 5000 + 100;
	t.sim.setOrderStatus(orderId, 'processing');
	expect(t.shown()).toBe(8);
	// Its product report arrives first: below what we published, it marks the SKU for Publish on its own.
	expect(await t.deliver((topic) => topic === 'product.updated')).toEqual({
		applied: 2,
		duplicates: 0,
	});
	expect(await t.dirty()).not.toBeNull();
	await t.deliver();
	expect(await t.ledgerAvailable()).toBe(9);

	// Publish: WooCommerce sold (as far as it can tell) what the ledger may not have heard of: held at 8.
	t.clock.now = t.T + 5000 + 500;
	expect(await t.publish()).toMatchObject({ held: 1, written: 0 });
	expect(t.shown()).toBe(8);
	// A poll that started after the report reads the order (nothing new) and releases the hold: 9 is written.
	t.clock.now = t.T + 6000 + 100;
	expect((await t.poll()).summary).toMatchObject({ applied: 0 });
	t.clock.now += 100;
	expect(await t.publish()).toMatchObject({ written: 1, held: 0, remaining: 0 });
	expect(t.shown()).toBe(9);
	expect(t.shown()).toBe(await t.ledgerAvailable());
});

it('the same, with the reinstatement in the second of our write and its product report lost behind our echo (same id@version): its order version marks the SKU, Publish reads WooCommerce back, holds, and after a poll writes the ledger value', async () => {
	const t = await setup('woo-reinstate-same-second', 10);
	const orderId = await saleThenLostCancel(t);
	await t.deliver();
	// Second 4, .100: Publish writes 9 over the restored 10; its echo (9 @ second 4) is recorded.
	t.clock.now = t.T + 4000 + 100;
	expect(await t.publish()).toMatchObject({ written: 1 });
	await t.deliver();
	// .600: reinstated (9 → 8). Its product report (8 @ second 4) has the version of our echo: a Duplicate.
	t.clock.now = t.T + 4000 + 600;
	t.sim.setOrderStatus(orderId, 'processing');
	expect(t.shown()).toBe(8);
	expect(await t.deliver((topic) => topic === 'product.updated')).toEqual({
		applied: 0,
		duplicates: 2,
	});
	expect(await t.dirty()).toBeNull(); // the records say WooCommerce shows 9, as the ledger
	// The order version arrives: the line draws what it drew (1), the ledger does not move, the SKU is marked.
	expect(await t.deliver()).toEqual({ applied: 1, duplicates: 0 });
	expect(await t.ledgerAvailable()).toBe(9);
	expect(await t.dirty()).not.toBeNull();

	// Publish would skip (the records say 9): it reads WooCommerce back, finds 8 after our write, and holds.
	t.clock.now = t.T + 5000 + 100;
	expect(await t.publish()).toMatchObject({ readBack: 1, held: 1, written: 0 });
	t.clock.now = t.T + 6000 + 100;
	await t.poll();
	t.clock.now += 100;
	expect(await t.publish()).toMatchObject({ written: 1, remaining: 0 });
	expect(t.shown()).toBe(9);
	expect(t.shown()).toBe(await t.ledgerAvailable());
});

function seeded(seed: number) {
	let s = seed >>> 0 || 1;
	return () => {
		s ^= s << 13;
		s ^= s >>> 17;
		s ^= s << 5;
		return (s >>> 0) / 4294967296;
	};
}

/**
 * Schedules of the seeded test (seeds 1..N; each WooCommerce change in a later second than the one before).
 * Without the Ledger's two marks, 4 of the first 60 end with WooCommerce one unit low (seeds 23, 26, 27, 54).
 */
const SCHEDULES = Number(process.env.INVSYNC_REINSTATE_SCHEDULES ?? 60);

it(`sale, lost cancellation and reinstatement interleaved with deliveries, Publish and polls (${SCHEDULES} seeded schedules, a change also between Publish's decision and its write): WooCommerce ends at the ledger value after the next polls`, async () => {
	const failures: string[] = [];
	const names = ['sale', 'cancel', 'reinstate'];
	for (let seed = 1; seed <= SCHEDULES; seed++) {
		const rnd = seeded(seed);
		const t = await setup(`woo-reinstate-${seed}`, 10);
		await t.firstSync();
		t.clock.now = t.T + 2000;
		const trace: string[] = [];
		let orderId = '';
		let lastWooSecond = -1;
		const second = () => Math.floor(t.clock.now / 1000);
		const changes: Array<() => void> = [
			() => {
				orderId = String(t.sim.placeOrder({ lines: [{ sku: SKU, quantity: 1 }] }).id);
			},
			() => {
				t.sim.dropNextDeliveries(1, 'order.updated');
				t.sim.setOrderStatus(orderId, 'cancelled');
			},
			() => {
				t.sim.setOrderStatus(orderId, 'processing');
			},
		].map((change, k) => () => {
			// Order versions have whole seconds: two changes in one second would be one version.
			if (second() <= lastWooSecond) t.clock.now = (lastWooSecond + 1) * 1000 + 50;
			lastWooSecond = second();
			trace.push(`${t.clock.now - t.T} woo ${names[k]}`);
			change();
		});
		let next = 0;
		const at = () => t.clock.now - t.T;
		for (let step = 0; step < 14; step++) {
			t.clock.now += Math.floor(rnd() * 1300);
			const r = rnd();
			const free = next < 3 && t.beforeWrite.length === 0;
			if (free && r < 0.25) changes[next++]();
			else if (free && r < 0.33) {
				t.beforeWrite.push(changes[next++]);
				trace.push(`${at()} (next change before our next write)`);
			} else if (r < 0.5) trace.push(`${at()} deliver all ${JSON.stringify(await t.deliver())}`);
			else if (r < 0.6)
				trace.push(
					`${at()} deliver products ${JSON.stringify(await t.deliver((x) => x === 'product.updated'))}`,
				);
			else if (r < 0.7)
				trace.push(
					`${at()} deliver orders ${JSON.stringify(await t.deliver((x) => x !== 'product.updated'))}`,
				);
			else if (r < 0.85) {
				const p = await t.publish();
				trace.push(
					`${at()} publish written ${p.written} held ${p.held} readBack ${p.readBack} shown ${t.shown()}`,
				);
			} else trace.push(`${at()} poll applied ${(await t.poll()).summary.applied}`);
		}
		for (const change of t.beforeWrite.splice(0)) change();
		while (next < 3) {
			t.clock.now += 1000;
			changes[next++]();
		}
		// The templates from here: deliveries, the catch-up poll and Publish, a few times.
		for (let i = 0; i < 3; i++) {
			t.clock.now += 1100;
			await t.deliver();
			await t.poll();
			await t.publish();
			await t.deliver();
			await t.publish();
		}
		const ledger = await t.ledgerAvailable();
		if (ledger !== 9 || t.shown() !== ledger)
			failures.push(
				`seed ${seed}: ledger ${ledger}, WooCommerce ${t.shown()}\n  ${trace.join('\n  ')}\n  pub ${JSON.stringify(await t.pubHash())}`,
			);
	}
	// On a failure the schedules that failed are printed (their traces and records).
	expect(failures).toEqual([]);
});
