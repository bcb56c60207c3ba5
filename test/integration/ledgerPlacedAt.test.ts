import Redis from 'ioredis';
import { ledgerKeys } from '../../nodes/shared/keys';
import { normalizeDelivery } from '../../nodes/shared/events';
import type { InventoryEvent } from '../../nodes/shared/events/types';
import { applyEvents, auditOf, saveProfile, setCounts } from '../../nodes/InventoryLedger/ledger';
import { L0, L1, L2, PROFILE, SHOP, WOO, WOO2, levelEvent, lineEvent } from './ledgerHarness';
import { deleteByPrefix, TEST_REDIS, uniquePrefix } from '../support';

/**
 * An order line first seen after a count (or first-sync seed) of its ledger-owned location that already has
 * its sale: the order took its stock (placedAt) at or before the level's version. It is recorded, not drawn
 * again (issue 18: count 58 as of an hour ago + a 5-hour-old 2-unit order came out 56).
 */
jest.setTimeout(60_000);

const prefix = uniquePrefix('placed');
let redis: Redis;
const HOUR = 3_600_000;

beforeAll(async () => {
	redis = new Redis(TEST_REDIS);
	await saveProfile(redis, prefix, PROFILE);
});
afterAll(async () => {
	await deleteByPrefix(redis, prefix);
	await redis.quit();
});

const level = async (sku: string, location = L2) =>
	Number(await redis.hget(ledgerKeys.ledger(prefix, sku), `q:${location}`));

const count = (sku: string, quantity: number, asOf: number) => ({
	index: 0,
	sku,
	location: L2,
	quantity,
	asOf,
	id: `count:${sku}`,
	source: 'manual:erp:count:manual',
});

/** A WooCommerce (w2.test) line, sold from the ledger-owned L2, taking its stock at `placed` (ms). */
const sale = (
	sku: string,
	orderId: string,
	quantity: number,
	version: number,
	placed?: number,
): InventoryEvent => ({
	...lineEvent({
		platform: 'woocommerce',
		shop: WOO2,
		orderId,
		lineKey: '1',
		sku,
		quantity,
		version,
	}),
	...(placed === undefined ? {} : { placedAt: new Date(placed).toISOString() }),
});

describe('an order line placed before the count its location holds', () => {
	it('is recorded without drawing; its cancellation then restocks its units once', async () => {
		const sku = 'PLACED-1';
		const now = Date.now();
		const countedAt = now - HOUR;
		const [seeded] = await setCounts(redis, prefix, [count(sku, 58, countedAt)]);
		expect(seeded).toMatchObject({ outcome: 'applied', new: 58 });

		// Placed 5 h ago (in the count), first seen now (a fulfilment): counted, not drawn.
		const fulfilled = sale(sku, 'old', 2, now, now - 5 * HOUR);
		const [first] = await applyEvents(redis, prefix, [fulfilled]);
		expect(first).toMatchObject({ outcome: 'skipped', reason: 'counted', location: L2 });
		expect(await level(sku)).toBe(58);
		expect((await auditOf(redis, prefix, sku, 1))[0]).toMatchObject({
			kind: 'orderLine',
			out: 'counted',
			eff: 'ledger',
			new: '2',
		});

		// Redelivered: once.
		const [again] = await applyEvents(redis, prefix, [fulfilled]);
		expect(again).toMatchObject({ outcome: 'skipped', reason: 'unchanged' });
		expect(await level(sku)).toBe(58);

		// Cancelled (restocked): its 2 units come back, once.
		const cancelled = sale(sku, 'old', 0, now + 1000, now - 5 * HOUR);
		const [restock] = await applyEvents(redis, prefix, [cancelled]);
		expect(restock).toMatchObject({ outcome: 'applied', previous: 2, new: 0, delta: 2 });
		expect(await level(sku)).toBe(60);
		await applyEvents(redis, prefix, [cancelled, fulfilled]);
		expect(await level(sku)).toBe(60);
	});

	it('placed exactly at the count: counted; placed after it, or unknown: drawn as before', async () => {
		const sku = 'PLACED-2';
		const now = Date.now();
		const countedAt = now - HOUR;
		await setCounts(redis, prefix, [count(sku, 58, countedAt)]);
		const results = await applyEvents(redis, prefix, [
			sale(sku, 'at', 1, now, countedAt),
			sale(sku, 'after', 3, now, countedAt + 1),
			sale(sku, 'unknown', 4, now),
		]);
		expect(results.map((r) => [r.outcome, r.reason ?? r.delta])).toEqual([
			['skipped', 'counted'],
			['applied', -3],
			['applied', -4],
		]);
		expect(await level(sku)).toBe(51);
		// Redelivery of all three: nothing moves.
		await applyEvents(redis, prefix, [
			sale(sku, 'at', 1, now, countedAt),
			sale(sku, 'after', 3, now, countedAt + 1),
			sale(sku, 'unknown', 4, now),
		]);
		expect(await level(sku)).toBe(51);
	});

	it('a line the ledger already drew keeps drawing changes after a later count (the rule is for unseen lines)', async () => {
		const sku = 'PLACED-3';
		const now = Date.now();
		await setCounts(redis, prefix, [count(sku, 20, now - 3 * HOUR)]);
		await applyEvents(redis, prefix, [sale(sku, 'seen', 2, now - 2 * HOUR, now - 2 * HOUR)]);
		expect(await level(sku)).toBe(18);
		// Counted after the ledger recorded that sale (Set re-applies sales recorded after its as-of time).
		const [s, us] = await redis.time();
		const recorded = Number(s) * 1000 + Math.floor(Number(us) / 1000);
		await setCounts(redis, prefix, [count(sku, 18, recorded + 1)]);
		const [edit] = await applyEvents(redis, prefix, [
			sale(sku, 'seen', 3, now + HOUR, now - 2 * HOUR),
		]);
		expect(edit).toMatchObject({ outcome: 'applied', delta: -1 });
		expect(await level(sku)).toBe(17);
	});

	it('forwarded lines (a location another system owns) are forwarded as before', async () => {
		const sku = 'PLACED-4';
		const now = Date.now();
		await applyEvents(redis, prefix, [levelEvent(sku, L1, 30, now - HOUR)]);
		const [fwd] = await applyEvents(redis, prefix, [
			{
				...lineEvent({
					platform: 'woocommerce',
					shop: WOO,
					orderId: 'f',
					lineKey: '1',
					sku,
					quantity: 2,
					version: now,
				}),
				placedAt: new Date(now - 5 * HOUR).toISOString(),
			},
		]);
		expect(fwd).toMatchObject({ outcome: 'applied', effect: 'forward', forwardedTo: 'shopify' });
		expect(await redis.xlen(ledgerKeys.outbox(prefix, 'shopify'))).toBeGreaterThan(0);
	});

	it("through the normaliser: a 5-hour-old Shopify POS order's orders/updated after a seed 58 an hour old leaves 58", async () => {
		const sku = 'PLACED-5';
		const now = Date.now();
		await setCounts(redis, prefix, [{ ...count(sku, 58, now - HOUR), location: L0 }]);
		const order = {
			id: 4401,
			created_at: new Date(now - 5 * HOUR).toISOString(),
			updated_at: new Date(now).toISOString(),
			location_id: 100,
			line_items: [{ id: 1, sku, quantity: 2 }],
		};
		const { events, invalid } = normalizeDelivery({
			platform: 'shopify',
			headers: { 'x-shopify-topic': 'orders/updated', 'x-shopify-shop-domain': SHOP },
			rawBody: JSON.stringify(order),
			receivedAt: new Date(now).toISOString(),
		});
		expect(invalid).toEqual([]);
		const [r] = await applyEvents(redis, prefix, events);
		expect(r).toMatchObject({ outcome: 'skipped', reason: 'counted', location: L0 });
		expect(await level(sku, L0)).toBe(58);
		// A new order placed now draws.
		const fresh = normalizeDelivery({
			platform: 'shopify',
			headers: { 'x-shopify-topic': 'orders/create', 'x-shopify-shop-domain': SHOP },
			rawBody: JSON.stringify({ ...order, id: 4402, created_at: order.updated_at }),
			receivedAt: new Date(now).toISOString(),
		});
		await applyEvents(redis, prefix, fresh.events);
		expect(await level(sku, L0)).toBe(56);
	});
});
