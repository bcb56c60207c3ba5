import type Redis from 'ioredis';
import type { IDataObject } from 'n8n-workflow';
import { placeAvailability } from '../../nodes/InventoryLedger/aggregate';
import { executeLedger, type LedgerContext } from '../../nodes/InventoryLedger/actions/router';
import { applyEvents, getSkus, saveProfile } from '../../nodes/InventoryLedger/ledger';
import {
	SALES_RATE_TAU_MS,
	redisTimeMs,
	reserveEndsInMs,
} from '../../nodes/InventoryLedger/salesRate';
import type { ChannelRun } from '../../nodes/shared/channel/callPolicy';
import { recordPollFinished } from '../../nodes/shared/channel/pollMarker';
import { drainPublish, type PublishReport } from '../../nodes/shared/channel/publish';
import type { InventoryEvent } from '../../nodes/shared/events/types';
import { channelKeys, ledgerKeys } from '../../nodes/shared/keys';
import { closeAllRedis } from '../../nodes/shared/redis';
import { WooStockWriter } from '../../nodes/WooCommerceInventory/stock/writer';
import { WooRestClient } from '../../nodes/WooCommerceInventory/transport/restClient';
import type { WooCommerceSimulator } from '../simulators/woocommerce';
import { testApiContext } from '../support/apiContext';
import { deleteByPrefix, testClient, uniquePrefix } from '../support';
import { credential, guardContext } from './guardHarness';
import { lineEvent } from './ledgerHarness';
import {
	CHANNEL,
	CONSUMER_KEY,
	CONSUMER_SECRET,
	WAREHOUSE,
	setLevels,
	shopOf,
	startWoo,
	wooProfile,
} from './wooHarness';

/*
 * The buffer's sales-rate reserve on a real Redis (nodes/InventoryLedger/salesRate.ts): the Apply script counts each
 * sale once into the SKU's decayed rate (ledger hash `sr` / `st`, Redis's clock), Publish holds back
 * Math.round(rate × salesRateSeconds) more units and records the SKU in '<prefix>:reserve:<channel>' with the time
 * the reserve reaches 0, and the first Publish after that time marks the SKU dirty again by itself (no event, no
 * poll) and writes the full value.
 *
 * Redis's clock cannot be moved by a test: where time passes, our clock (Publish's and the poll's `now`) moves on
 * and the sale's stored time `st` moves back by as much, which is what the rate sees when that time has passed.
 */
jest.setTimeout(60_000);

const SKU = 'HOT-1';
const PRODUCT_ID = 10_000;
/** One sale of 1 unit: rate 1/TAU = 0.2 units/s; over 10 s that is a reserve of 2 units. */
const SECONDS = 10;
const BUFFER = { type: 'fixed', value: 2, salesRateSeconds: SECONDS };

let redis: Redis;
const prefixes: string[] = [];
const sims: WooCommerceSimulator[] = [];

beforeAll(() => {
	redis = testClient();
});
afterAll(async () => {
	for (const p of prefixes) await deleteByPrefix(redis, p);
	for (const s of sims) await s.stop();
	await closeAllRedis();
	await redis.quit();
});

const redisNow = async () => redisTimeMs(await redis.time());
const rateFields = async (prefix: string) =>
	await redis.hmget(ledgerKeys.ledger(prefix, SKU), 'sr', 'st');

let version = Date.now();
const sale = (shop: string, orderId: string, quantity: number, at = ++version) =>
	lineEvent({
		platform: 'woocommerce',
		shop,
		orderId,
		lineKey: '1',
		sku: SKU,
		quantity,
		version: at,
	});

async function apply(prefix: string, events: InventoryEvent[]) {
	return (await applyEvents(redis, prefix, events)).map((r) =>
		r.outcome === 'skipped' ? `skipped:${r.reason}` : r.outcome,
	);
}

describe('the ledger counts the sales rate', () => {
	const SHOP = 'rate.example';
	let prefix: string;
	beforeEach(async () => {
		prefix = uniquePrefix('rate-ledger');
		prefixes.push(prefix);
		await saveProfile(redis, prefix, wooProfile(SHOP, { buffer: BUFFER }));
		await setLevels(redis, prefix, [[SKU, 50]]);
	});

	it('a sale sets sr = units/TAU at Redis’s time; delivered again, in the same call or later, it counts once', async () => {
		const before = await redisNow();
		const first = sale(SHOP, 'o1', 2);
		expect(await apply(prefix, [first, first])).toEqual(['applied', 'skipped:unchanged']);
		const after = await redisNow();
		const [sr, st] = await rateFields(prefix);
		expect(Number(sr)).toBe(2 / (SALES_RATE_TAU_MS / 1000));
		expect(Number(st)).toBeGreaterThanOrEqual(before);
		expect(Number(st)).toBeLessThanOrEqual(after);

		expect(await apply(prefix, [first])).toEqual(['skipped:unchanged']);
		expect(await rateFields(prefix)).toEqual([sr, st]);
	});

	it('a second sale decays the stored rate to its own time and adds units/TAU', async () => {
		await apply(prefix, [sale(SHOP, 'o1', 2)]);
		const [sr1, st1] = (await rateFields(prefix)).map(Number);
		expect(await apply(prefix, [sale(SHOP, 'o2', 1)])).toEqual(['applied']);
		const [sr2, st2] = (await rateFields(prefix)).map(Number);
		expect(st2).toBeGreaterThanOrEqual(st1);
		expect(sr2).toBeCloseTo(sr1 * Math.exp(-(st2 - st1) / SALES_RATE_TAU_MS) + 0.2, 6);
	});

	it('a cancel, a lowered line and a level change add nothing; raising a line counts the difference', async () => {
		const placed = sale(SHOP, 'o1', 3);
		await apply(prefix, [placed]);
		const counted = await rateFields(prefix);
		expect(
			await apply(prefix, [
				sale(SHOP, 'o1', 1, placed.version + 1000),
				sale(SHOP, 'o1', 0, placed.version + 2000),
			]),
		).toEqual(['applied', 'applied']);
		await setLevels(redis, prefix, [[SKU, 80]], Date.now() + 5000);
		expect(await rateFields(prefix)).toEqual(counted);
		expect((await getSkus(redis, prefix, [SKU])).states[0].quantities[WAREHOUSE]).toBe(80);

		// The same order taken again (a reinstatement, an edit up): the units it draws anew are sales again.
		expect(await apply(prefix, [sale(SHOP, 'o1', 2, placed.version + 3000)])).toEqual(['applied']);
		const [sr, st] = (await rateFields(prefix)).map(Number);
		const [sr0, st0] = counted.map(Number);
		expect(sr).toBeCloseTo(sr0 * Math.exp(-(st - st0) / SALES_RATE_TAU_MS) + 0.4, 6);
	});

	it('the Ledger’s Availability shows the reserve, decayed to Redis’s clock', async () => {
		await apply(prefix, [sale(SHOP, 'o1', 1)]);
		const cred = credential({ keyPrefix: prefix });
		const [out] = await executeLedger(
			guardContext({
				items: [{}],
				params: { operation: 'availability', sku: SKU, channel: CHANNEL },
				credential: cred,
			}) as unknown as LedgerContext,
		);
		const [place] = (out[0].json.ledger as { places: IDataObject[] }).places;
		// 49 on the shelf, 2 buffer, round(~0.2 × 10) = 2 reserve.
		expect(place).toMatchObject({ stock: 49, available: 45, reserve: 2, reserved: 2 });
		// Decayed a little since the sale; ≥ 0.15 units/s is what a reserve of 2 needs.
		expect(place.salesRate as number).toBeGreaterThanOrEqual(0.15);
		expect(place.salesRate as number).toBeLessThanOrEqual(0.2);
	});
});

describe('Publish with the reserve, and its release by the first Publish after it has decayed', () => {
	async function setup(name: string, dryRun: boolean) {
		const prefix = uniquePrefix(name);
		prefixes.push(prefix);
		const clock = { now: Date.now() };
		const sim = await startWoo({ now: () => clock.now });
		sims.push(sim);
		const shop = shopOf(sim);
		const profile = (dry: boolean) =>
			saveProfile(redis, prefix, { ...wooProfile(shop, { buffer: BUFFER }), dryRun: dry });
		await profile(dryRun);
		sim.putProduct({ id: PRODUCT_ID, sku: SKU, stock_quantity: 0, manage_stock: true });
		const ctx = testApiContext({
			woocommerce: {
				siteUrl: sim.baseUrl,
				consumerKey: CONSUMER_KEY,
				consumerSecret: CONSUMER_SECRET,
			},
		});
		const client = new WooRestClient(
			async (options) =>
				(await ctx.helpers.httpRequestWithAuthentication.call(
					ctx,
					'wooCommerceInventoryApi',
					options,
				)) as never,
			sim.baseUrl,
		);
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
				writer: new WooStockWriter({ redis, prefix, shop, client, now: () => clock.now }),
				detailLimit: 10,
			});
		/** `ms` pass: our clock moves on, the sale's stored time moves back (see the file comment). */
		const pass = async (ms: number) => {
			clock.now += ms;
			await redis.hincrby(ledgerKeys.ledger(prefix, SKU), 'st', -ms);
		};
		/** A catch-up poll that started at our clock's now has finished: how many SKUs it marked dirty. */
		const pollFinished = async () => await recordPollFinished(redis, prefix, CHANNEL, clock.now);
		const shown = () => Number(sim.getProduct(PRODUCT_ID)?.stock_quantity);
		const heldScore = async () => await redis.zscore(channelKeys.held(prefix, CHANNEL), SKU);
		const reserveScore = async () => await redis.zscore(channelKeys.reserve(prefix, CHANNEL), SKU);
		const dirty = async () => await redis.zscore(ledgerKeys.dirty(prefix, CHANNEL), SKU);
		await setLevels(redis, prefix, [[SKU, 20]]);
		expect(await apply(prefix, [sale(shop, 'o1', 1)])).toEqual(['applied']);
		return {
			prefix,
			sim,
			shop,
			clock,
			profile,
			publish,
			pass,
			pollFinished,
			shown,
			heldScore,
			reserveScore,
			dirty,
		};
	}

	it('writes stock − buffer − reserve; after the decay the next Publish writes the full value with no new event or poll', async () => {
		const t = await setup('rate-publish', true);
		// Dry run: the same decision, reported, nothing written.
		const dry = await t.publish();
		expect(dry).toMatchObject({ dryRun: true, reserved: 1, written: 0 });
		expect(dry.details[0]).toMatchObject({ desired: 15, reserved: 2, outcome: 'wouldWrite' });
		expect(dry.details[0].reason).toMatch(/^sales-rate reserve: 2 units held back/);
		expect(t.shown()).toBe(0);
		await t.profile(false);

		const first = await t.publish();
		// 19 on the shelf − buffer 2 − reserve round(0.2 units/s × 10 s) = 2.
		expect(first).toMatchObject({ written: 1, reserved: 1, remaining: 0 });
		expect(first.details[0]).toMatchObject({ desired: 15, quantity: 15, reserved: 2 });
		expect(t.shown()).toBe(15);
		// Recorded until the reserve reaches 0: TAU·ln(2 × 0.2 × 10) ≈ 6.93 s from now, a little less as the rate
		// decayed since the sale (still ≥ 0.15 units/s, as the reserve of 2 says: ≥ TAU·ln 3 ≈ 5.49 s).
		const score = Number(await t.reserveScore());
		expect(score).toBeGreaterThanOrEqual(t.clock.now + reserveEndsInMs(0.15, SECONDS));
		expect(score).toBeLessThanOrEqual(t.clock.now + reserveEndsInMs(0.2, SECONDS));
		expect(await t.heldScore()).toBeNull();

		// A Publish before then looks at nothing; the place stays lowered.
		await t.pass(3_000);
		expect(await t.publish()).toMatchObject({ skus: 0, written: 0 });
		expect(t.shown()).toBe(15);
		expect(await t.dirty()).toBeNull();

		// Once the reserve has decayed, the first Publish marks the SKU dirty itself and writes the full value.
		await t.pass(score - t.clock.now);
		const second = await t.publish();
		expect(second).toMatchObject({ skus: 1, written: 1, reserved: 0, remaining: 0 });
		expect(t.shown()).toBe(17);
		expect(await t.reserveScore()).toBeNull();
		expect(await t.dirty()).toBeNull();
	});

	it('a mirror hold and a reserve on one SKU: the hold is released at its own poll, the reserve by a Publish after its end', async () => {
		const t = await setup('rate-hold', false);
		expect(await t.publish()).toMatchObject({ written: 1, reserved: 1 });
		expect(t.shown()).toBe(15);
		const reserveEnds = Number(await t.reserveScore());

		// WooCommerce sold 3 units we have not heard of: it reports 12, after our write.
		await t.pass(100);
		const reportAt = t.clock.now;
		t.sim.putProduct({ id: PRODUCT_ID, sku: SKU, stock_quantity: 12, manage_stock: true });
		await applyEvents(redis, t.prefix, [
			{
				kind: 'observation',
				id: `woocommerce:${t.shop}:observation:${PRODUCT_ID}`,
				version: reportAt,
				source: { platform: 'woocommerce', shop: t.shop, topic: 'product.updated', via: 'webhook' },
				sku: SKU,
				refs: { productId: String(PRODUCT_ID) },
				locationId: `woocommerce:${t.shop}:default`,
				quantity: 12,
				occurredAt: new Date(reportAt).toISOString(),
				receivedAt: new Date(reportAt).toISOString(),
			},
		]);
		const held = await t.publish();
		expect(held).toMatchObject({ held: 1, reserved: 1, written: 0 });
		expect(t.shown()).toBe(12);
		// Each in its own zset: the hold until a poll that started after the report, the reserve until its end.
		expect(Number(await t.heldScore())).toBe(reportAt);
		expect(Number(await t.reserveScore())).toBeLessThanOrEqual(reserveEnds);

		// The poll that releases the hold (started after the report, before the reserve's end) marks the SKU: the
		// hold is lifted at once, the reserve still lowers the place and records its own end again.
		await t.pass(1_000);
		expect(t.clock.now).toBeLessThan(reserveEnds);
		expect(await t.pollFinished()).toBe(1);
		const lifted = await t.publish();
		expect(lifted).toMatchObject({ held: 0, reserved: 1, written: 1 });
		expect(t.shown()).toBe(15);
		expect(await t.heldScore()).toBeNull();
		const again = Number(await t.reserveScore());
		expect(again).toBeGreaterThan(t.clock.now);
		expect(again).toBeLessThanOrEqual(reserveEnds);

		await t.pass(again - t.clock.now);
		expect(await t.publish()).toMatchObject({ written: 1, reserved: 0 });
		expect(t.shown()).toBe(17);
		expect(await t.reserveScore()).toBeNull();
	});

	it('getSkus gives the stored rate; availability on Redis’s clock is what Publish wrote', async () => {
		const t = await setup('rate-read', false);
		await t.publish();
		const { states, profile, clock } = await getSkus(redis, t.prefix, [SKU]);
		expect(states[0].salesRate).toEqual({
			rate: 0.2,
			at: Number((await rateFields(t.prefix))[1]),
		});
		expect(placeAvailability(profile!.index.profile, states[0], CHANNEL, clock)[0]).toMatchObject({
			available: t.shown(),
			reserved: 2,
		});
	});
});
