import Redis from 'ioredis';
import { ledgerKeys } from '../../nodes/shared/keys';
import {
	applyEvents,
	auditOf,
	getSkus,
	markSkus,
	saveProfile,
	type ApplyResult,
} from '../../nodes/InventoryLedger/ledger';
import {
	L0,
	L1,
	L2,
	PROFILE,
	SHOP,
	WOO,
	WOO2,
	levelEvent,
	lineEvent,
	roundTrips,
} from './ledgerHarness';
import { deleteByPrefix, TEST_REDIS, uniquePrefix } from '../support';

// Apply against the test Redis, under a prefix of this file: level last-writer-wins, order-line new − old,
// owner-only audit, forwards with pending marks, dirty marks, SKU map, Invalid, key isolation, frozen SKUs.
jest.setTimeout(60_000);

const prefix = uniquePrefix('apply');
let redis: Redis;

beforeAll(async () => {
	redis = new Redis(TEST_REDIS);
	await saveProfile(redis, prefix, PROFILE);
});
afterAll(async () => {
	await deleteByPrefix(redis, prefix);
	await redis.quit();
});

let n = 0;
const sku = (name: string) => `${name}-${++n}`;
const woo = (o: {
	orderId: string;
	sku: string;
	quantity: number | null;
	version: number;
	lineKey?: string;
	shop?: string;
}) =>
	lineEvent({
		platform: 'woocommerce',
		shop: o.shop ?? WOO2,
		orderId: o.orderId,
		lineKey: o.lineKey ?? '1',
		sku: o.sku,
		quantity: o.quantity,
		version: o.version,
	});
const qty = async (s: string, loc: string) =>
	Number(await redis.hget(ledgerKeys.ledger(prefix, s), `q:${loc}`));
const outcomes = (rs: ApplyResult[]) =>
	rs.map((r) => (r.outcome === 'applied' ? 'applied' : `${r.outcome}:${r.reason}`));

describe('levels: last writer wins per SKU × location', () => {
	it('newer applies, older is stale, equal version same quantity unchanged, equal version other quantity tie', async () => {
		const s = sku('lvl');
		const rs = await applyEvents(redis, prefix, [
			levelEvent(s, L1, 10, 1000),
			levelEvent(s, L1, 7, 900),
			levelEvent(s, L1, 10, 1000),
			levelEvent(s, L1, 12, 1000),
			levelEvent(s, L1, 12, 1000, { reread: true }),
			levelEvent(s, L1, 12, 2000),
		]);
		expect(outcomes(rs)).toEqual([
			'applied',
			'skipped:stale',
			'skipped:unchanged',
			'skipped:tie',
			'applied',
			'skipped:unchanged',
		]);
		expect(rs[3].reread).toBe(true);
		expect(await qty(s, L1)).toBe(12);
		expect(await redis.hget(ledgerKeys.ledger(prefix, s), `v:${L1}`)).toBe('2000');
		expect(rs[4]).toMatchObject({ previous: 10, new: 12, delta: 2, rev: 2 });
		// Mirrors of L1 (woo) are marked dirty with the rev; the owner (shopify) is not.
		expect(await redis.zscore(ledgerKeys.dirty(prefix, 'woo'), s)).toBe('2');
		expect(await redis.zscore(ledgerKeys.dirty(prefix, 'shopify'), s)).toBeNull();
		// Every item has an audit entry; skipped ones without a rev change.
		const audit = await auditOf(redis, prefix, s, 100);
		expect(audit.map((a) => `${a.out}@${a.rev}`)).toEqual([
			'unchanged@2',
			'applied@2',
			'tie@1',
			'unchanged@1',
			'stale@1',
			'applied@1',
		]);
	});

	it('a level from a system that does not own the location is an observation, never applied', async () => {
		const s = sku('mirror');
		const rs = await applyEvents(redis, prefix, [
			levelEvent(s, L0, 99, 1000),
			levelEvent(s, L2, 5, 1000, { platform: 'manual' }),
		]);
		expect(outcomes(rs)).toEqual(['skipped:observed', 'applied']);
		expect(await redis.hget(ledgerKeys.ledger(prefix, s), `q:${L0}`)).toBeNull();
		expect(await redis.hget(ledgerKeys.pub(prefix, s), `obs:shopify:${L0}`)).toBe('99');
	});
});

describe('order lines: new − old at a newer order version', () => {
	it('created → paid → cancelled → reinstated → edited, redelivered and reordered, counts once', async () => {
		const s = sku('ol');
		await applyEvents(redis, prefix, [levelEvent(s, L2, 50, 1, { platform: 'manual' })]);
		const v = (t: number, q: number | null) =>
			woo({ orderId: '77', sku: s, quantity: q, version: t });
		const rs = await applyEvents(redis, prefix, [
			v(10, 0),
			v(20, 3),
			v(20, 3),
			v(10, 0),
			v(30, 0),
			v(40, 3),
			v(35, null),
			v(50, 2),
			v(45, 3),
		]);
		expect(outcomes(rs)).toEqual([
			'skipped:unchanged',
			'applied',
			'skipped:unchanged',
			'skipped:stale',
			'applied',
			'applied',
			'skipped:unchanged',
			'applied',
			'skipped:stale',
		]);
		expect(await qty(s, L2)).toBe(48);
		expect(rs[1]).toMatchObject({ effect: 'ledger', previous: 0, new: 3, delta: -3, location: L2 });
		// '<drawn> <version> <route>': the route (how the line drew) reverses it if a newer version removes it.
		expect(await redis.hget(ledgerKeys.orderLines(prefix, 'woocommerce', WOO2, '77'), '1')).toMatch(
			/^2 50 \d+:/,
		);
		const ttl = await redis.pttl(ledgerKeys.orderLines(prefix, 'woocommerce', WOO2, '77'));
		expect(ttl).toBeGreaterThan(179 * 86_400_000);
		// woo2 shows L2 and is the mirror: marked; the rev moved once per effective change (level + 4).
		expect(await redis.zscore(ledgerKeys.dirty(prefix, 'woo2'), s)).toBe('5');
	});

	it("a sale on the location's owner is only audited; on another owner's location it is forwarded", async () => {
		const s = sku('own');
		const shopLine = lineEvent({
			platform: 'shopify',
			shop: SHOP,
			orderId: '9',
			lineKey: '90',
			sku: s,
			quantity: 2,
			version: 100,
		});
		const wooLine = woo({ orderId: '5', sku: s, quantity: 3, version: 100, shop: WOO });
		const rs = await applyEvents(redis, prefix, [
			levelEvent(s, L1, 10, 1),
			shopLine,
			wooLine,
			wooLine,
		]);
		expect(outcomes(rs)).toEqual(['applied', 'applied', 'applied', 'skipped:unchanged']);
		expect(rs[1]).toMatchObject({ effect: 'owner', delta: -2, rev: 1 });
		expect(rs[2]).toMatchObject({ effect: 'forward', forwardedTo: 'shopify', delta: -3, rev: 2 });
		expect(await qty(s, L1)).toBe(10);
		const ledger = await redis.hgetall(ledgerKeys.ledger(prefix, s));
		expect(ledger[`p:${L1}`]).toBe('3');
		const outbox = (await redis.xrange(ledgerKeys.outbox(prefix, 'shopify'), '-', '+')).filter(
			([, f]) => f[1] === s,
		);
		expect(outbox).toHaveLength(1);
		expect(outbox[0][1]).toEqual([
			'sku',
			s,
			'loc',
			L1,
			'delta',
			'-3',
			'id',
			wooLine.id,
			'ver',
			'100',
			'rev',
			'2',
			'src',
			`woocommerce:${WOO}:order.updated:webhook`,
			'owner',
			'shopify',
		]);
		const { states } = await getSkus(redis, prefix, [s]);
		expect(states[0].locations.find((l) => l.id === L1)).toMatchObject({
			owner: 'shopify',
			quantity: 10,
			pending: 3,
		});
	});

	it('restock items return units to a named location; untracked lines are skipped', async () => {
		const s = sku('rs');
		const lineIds = ['1', '1:restock:100', '2'];
		const line = (key: string, q: number, loc: string | null) =>
			lineEvent({
				platform: 'shopify',
				shop: SHOP,
				orderId: '11',
				lineKey: key,
				sku: s,
				quantity: q,
				version: 500,
				locationId: loc,
				lineIds,
			});
		const rs = await applyEvents(redis, prefix, [
			line('1', 3, null),
			line('1:restock:100', -2, L0),
			lineEvent({
				platform: 'shopify',
				shop: SHOP,
				orderId: '11',
				lineKey: '2',
				sku: null,
				quantity: 1,
				version: 500,
				lineIds,
			}),
		]);
		expect(outcomes(rs)).toEqual(['applied', 'applied', 'skipped:untracked']);
		expect(await qty(s, L0)).toBe(2);
	});
});

describe('SKU map, Invalid, isolation', () => {
	it('Shopify levels resolve through the map; misses go to Invalid unmapped; a mapping fills it', async () => {
		const s = sku('map');
		const itemId = `${n}00042`;
		const lvl = levelEvent(null, L1, 8, 10, { inventoryItemId: itemId });
		const [miss] = await applyEvents(redis, prefix, [lvl]);
		expect(outcomes([miss])).toEqual(['invalid:unmapped']);
		// The message says what to do: Resolve SKUs' All Unmapped mode (the id is kept for it), the mapping
		// webhook, or Apply a mapping item.
		expect(miss.message).toMatch(/Resolve SKUs with 'All Unmapped'/);
		expect(miss.message).toMatch(
			new RegExp(
				`item:${itemId}.*inventory_items/update or products/update.*Apply a 'mapping' item`,
			),
		);
		const mapping = {
			...lvl,
			kind: 'mapping',
			id: `shopify:${SHOP}:mapping:${itemId}`,
			sku: s,
			quantity: null,
			locationId: null,
		};
		const dup = { ...mapping, refs: { inventoryItemId: `${itemId}9` }, id: 'other' };
		const rs = await applyEvents(redis, prefix, [mapping, lvl, dup]);
		expect(outcomes(rs)).toEqual(['applied', 'applied', 'invalid:duplicateSku']);
		expect(rs[1].sku).toBe(s);
		expect(await qty(s, L1)).toBe(8);
		// The map changes under a cached lookup: the script notices and the wrapper looks it up again.
		const s2 = sku('remap');
		await redis.hset(
			ledgerKeys.map(prefix, 'shopify', SHOP),
			`item:${itemId}`,
			s2,
			`sku:${s2}`,
			`item:${itemId}`,
		);
		const again = await applyEvents(redis, prefix, [
			levelEvent(null, L1, 9, 11, { inventoryItemId: itemId }),
		]);
		expect(again[0]).toMatchObject({ outcome: 'applied', sku: s2 });
	});

	it('unknown locations, bad quantities and malformed items go to Invalid; nothing crashes', async () => {
		const s = sku('bad');
		const ok = levelEvent(s, L1, 1, 1);
		const rs = await applyEvents(redis, prefix, [
			levelEvent(s, 'shopify:s.test:999', 1, 1),
			{ ...ok, quantity: 1.5 },
			{ ...ok, quantity: 1e12 },
			{ ...ok, quantity: '3' },
			{ ...ok, version: -1 },
			{ ...ok, kind: 'nope' },
			null,
			'text',
			woo({ orderId: '1', sku: s, quantity: -1, version: 1 }),
			{
				...woo({ orderId: '1', sku: s, quantity: 1, version: 1 }),
				source: { platform: 'woocommerce', shop: 'unknown.test', topic: 't', via: 'webhook' },
			},
			{ ...woo({ orderId: '1', sku: s, quantity: 1, version: 1 }), id: 'no-line-here' },
			ok,
		]);
		expect(outcomes(rs)).toEqual([
			'invalid:unknownLocation',
			'invalid:badQuantity',
			'invalid:badQuantity',
			'invalid:badQuantity',
			'invalid:badVersion',
			'invalid:badKind',
			'invalid:notAnEvent',
			'invalid:notAnEvent',
			'invalid:badQuantity',
			'invalid:unknownChannel',
			'invalid:badId',
			'applied',
		]);
	});

	it("SKU texts with '{', '}', ':', spaces and unicode stay isolated", async () => {
		const base = sku('iso');
		const texts = [
			`${base}`,
			`${base}:x`,
			`${base} x`,
			`{${base}}`,
			`${base}}`,
			`${base}:ledger`,
			`${base}ü`,
			`${base}%3A`,
			`${base}\u{1F600}`,
		];
		const rs = await applyEvents(
			redis,
			prefix,
			texts.map((t, i) => levelEvent(t, L1, i + 1, 5)),
		);
		expect(rs.every((r) => r.outcome === 'applied')).toBe(true);
		const { states } = await getSkus(redis, prefix, texts);
		expect(states.map((st) => st.quantities[L1])).toEqual(texts.map((_, i) => i + 1));
		const keys = new Set(texts.map((t) => ledgerKeys.ledger(prefix, t)));
		expect(keys.size).toBe(texts.length);
		for (const k of keys) expect(k.slice(prefix.length)).not.toMatch(/[{} ]/);
		expect(await redis.zrange(ledgerKeys.dirty(prefix, 'woo'), 0, -1)).toEqual(
			expect.arrayContaining(texts),
		);
	});
});

describe('frozen SKUs, cost', () => {
	it('a frozen SKU is still recorded (nothing lost) but not marked dirty; unfreeze marks it', async () => {
		const s = sku('frz');
		await applyEvents(redis, prefix, [levelEvent(s, L2, 10, 1, { platform: 'manual' })]);
		await redis.zrem(ledgerKeys.dirty(prefix, 'woo'), s);
		await redis.zrem(ledgerKeys.dirty(prefix, 'woo2'), s);
		await markSkus(redis, prefix, [s], 'freeze', 'test');
		const rs = await applyEvents(redis, prefix, [
			woo({ orderId: 'f1', sku: s, quantity: 4, version: 10 }),
		]);
		expect(outcomes(rs)).toEqual(['skipped:frozen']);
		expect(await qty(s, L2)).toBe(6);
		expect(await redis.zscore(ledgerKeys.dirty(prefix, 'woo2'), s)).toBeNull();
		const [un] = await markSkus(redis, prefix, [s], 'unfreeze', 'test');
		expect(un).toMatchObject({ wasFrozen: true, rev: 2 });
		expect(await redis.zscore(ledgerKeys.dirty(prefix, 'woo2'), s)).toBe('2');
	});

	it('a batch of 100 items is one round trip (profile cached, checked in the script)', async () => {
		const base = sku('rt');
		await applyEvents(redis, prefix, [levelEvent(`${base}-warm`, L1, 1, 1)]);
		const items = Array.from({ length: 100 }, (_, i) =>
			woo({ orderId: `rt${i}`, sku: `${base}-${i % 10}`, quantity: 1, version: 10 }),
		);
		let rs: ApplyResult[] = [];
		expect(
			await roundTrips(redis, async () => (rs = await applyEvents(redis, prefix, items))),
		).toBe(1);
		expect(rs.every((r) => r.outcome === 'applied')).toBe(true);
		// 1,200 items: three script calls in one pipeline, still one round trip.
		const many = Array.from({ length: 1200 }, (_, i) =>
			woo({ orderId: `rtm${i}`, sku: `${base}-${i % 10}`, quantity: 1, version: 10 }),
		);
		expect(await roundTrips(redis, async () => (rs = await applyEvents(redis, prefix, many)))).toBe(
			1,
		);
		expect(rs.filter((r) => r.outcome === 'applied')).toHaveLength(1200);
	});
});
