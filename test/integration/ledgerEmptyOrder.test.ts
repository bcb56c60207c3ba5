import Redis from 'ioredis';
import { normalizeDelivery, type InventoryEvent } from '../../nodes/shared/events';
import { ledgerKeys } from '../../nodes/shared/keys';
import {
	applyEvents,
	auditOf,
	saveProfile,
	type ApplyResult,
} from '../../nodes/InventoryLedger/ledger';
import { shopifyOrder, toJson, wooOrder, type WooLineSpec } from '../simulators/payloads';
import { L0, L1, L2, PROFILE, SHOP, WOO, WOO2, levelEvent } from './ledgerHarness';
import { deleteByPrefix, TEST_REDIS, uniquePrefix } from '../support';

/**
 * An order version with no line at all (a WooCommerce order edited down to nothing): the trigger emits one item
 * for the order (`lineIds: []`, no SKU) and every stored line of that order draws 0 from that version on,
 * exactly once, in any arrival order; an older version arriving later changes nothing; a later version with
 * lines again draws as usual. Orders go through the real trigger normaliser.
 */
jest.setTimeout(60_000);

const prefix = uniquePrefix('empty');
let redis: Redis;

beforeAll(async () => {
	redis = new Redis(TEST_REDIS);
	await saveProfile(redis, prefix, PROFILE);
});
afterAll(async () => {
	await deleteByPrefix(redis, prefix);
	await redis.quit();
});

const RECEIVED = '2026-11-26T10:00:05.000Z';
const T = Date.parse('2026-11-26T09:00:00Z');
let n = 0;
const sku = (name: string) => `${name}-${++n}`;
const id = () => 7000 + ++n;
const qty = async (s: string, loc: string) =>
	Number(await redis.hget(ledgerKeys.ledger(prefix, s), `q:${loc}`));
const hash = (s: string) => redis.hgetall(ledgerKeys.ledger(prefix, s));
const outcomes = (rs: ApplyResult[]) =>
	rs.map((r) => (r.outcome === 'applied' ? 'applied' : `${r.outcome}:${r.reason}`));

function wooEvents(
	shop: string,
	spec: { id: number; at: number; status: string; lines: WooLineSpec[] },
): InventoryEvent[] {
	const body = wooOrder({
		id: spec.id,
		status: spec.status,
		dateModifiedGmt: new Date(spec.at),
		lines: spec.lines,
	});
	const { events, invalid } = normalizeDelivery({
		platform: 'woocommerce',
		headers: { 'x-wc-webhook-topic': 'order.updated', 'x-wc-webhook-source': `https://${shop}/` },
		rawBody: toJson(body),
		receivedAt: RECEIVED,
	});
	expect(invalid).toEqual([]);
	return events;
}

function shopifyEvents(spec: {
	id: number;
	at: number;
	locationId: number | null;
	lines: Array<{ id: number; sku: string; quantity: number }>;
}): InventoryEvent[] {
	const { events, invalid } = normalizeDelivery({
		platform: 'shopify',
		headers: { 'x-shopify-topic': 'orders/updated', 'x-shopify-shop-domain': SHOP },
		rawBody: toJson(
			shopifyOrder({
				id: spec.id,
				updatedAt: new Date(spec.at),
				lines: spec.lines,
				locationId: spec.locationId,
			}),
		),
		receivedAt: RECEIVED,
	});
	expect(invalid).toEqual([]);
	return events;
}

/** All distinct orderings of a list (equal entries give each ordering once). */
function orderings<T>(items: T[]): T[][] {
	if (items.length <= 1) return [items];
	const out: T[][] = [];
	const seen = new Set<T>();
	items.forEach((item, i) => {
		if (seen.has(item)) return;
		seen.add(item);
		for (const rest of orderings([...items.slice(0, i), ...items.slice(i + 1)]))
			out.push([item, ...rest]);
	});
	return out;
}

const line = (lineId: number, s: string, q: number): WooLineSpec => ({
	id: lineId,
	productId: 900 + lineId,
	sku: s,
	quantity: q,
	reducedStock: q,
});

describe('WooCommerce: an order edited down to no line', () => {
	it('the trigger emits one item for the order; it gives every stored line’s units back once', async () => {
		const [a, b] = [sku('a'), sku('b')];
		await applyEvents(redis, prefix, [
			levelEvent(a, L2, 10, 1, { platform: 'manual' }),
			levelEvent(b, L2, 10, 1, { platform: 'manual' }),
		]);
		const orderId = id();
		const v1 = wooEvents(WOO2, {
			id: orderId,
			at: T,
			status: 'processing',
			lines: [line(81, a, 2), line(82, b, 3)],
		});
		const v2 = wooEvents(WOO2, { id: orderId, at: T + 5000, status: 'processing', lines: [] });
		expect(v2).toEqual([
			expect.objectContaining({
				kind: 'orderLine',
				id: `woocommerce:${WOO2}:order:${orderId}`,
				lineIds: [],
				sku: null,
				quantity: 0,
				locationId: null,
				refs: { orderId: String(orderId) },
			}),
		]);
		await applyEvents(redis, prefix, v1);
		expect([await qty(a, L2), await qty(b, L2)]).toEqual([8, 7]);
		const revB = Number((await hash(b)).rev);
		const [r] = await applyEvents(redis, prefix, v2);
		expect(r).toMatchObject({ outcome: 'skipped', reason: 'emptyOrder', heldVersion: T });
		const base = `woocommerce:${WOO2}:order:${orderId}:line:`;
		expect([...(r.removed ?? [])].sort((x, y) => x.lineKey.localeCompare(y.lineKey))).toEqual([
			{
				id: `${base}81`,
				lineKey: '81',
				sku: a,
				location: L2,
				previous: 2,
				delta: 2,
				effect: 'ledger',
				rev: expect.any(Number),
			},
			{
				id: `${base}82`,
				lineKey: '82',
				sku: b,
				location: L2,
				previous: 3,
				delta: 3,
				effect: 'ledger',
				rev: revB + 1,
			},
		]);
		expect([await qty(a, L2), await qty(b, L2)]).toEqual([10, 10]);
		// Same rules as any line change: an applied audit entry under the line's own id, dirty marks for L2's mirrors.
		expect((await auditOf(redis, prefix, b, 1))[0]).toMatchObject({
			id: `${base}82`,
			prev: '3',
			new: '0',
			delta: '3',
			ver: String(T + 5000),
			out: 'applied',
			eff: 'ledger',
		});
		expect(await redis.zscore(ledgerKeys.dirty(prefix, 'woo2'), b)).toBe(String(revB + 1));
		const ol = await redis.hgetall(
			ledgerKeys.orderLines(prefix, 'woocommerce', WOO2, String(orderId)),
		);
		expect(ol['']).toBe(`${T + 5000} `);
		expect(Object.keys(ol).sort()).toEqual(['', '81', '82']);

		// Redelivered, with the old version again: nothing moves, nothing is removed twice.
		const again = await applyEvents(redis, prefix, [...v2, ...v1, ...v2]);
		expect(outcomes(again)).toEqual([
			'skipped:emptyOrder',
			'skipped:stale',
			'skipped:stale',
			'skipped:emptyOrder',
		]);
		expect(again.some((x) => x.removed)).toBe(false);
		expect([await qty(a, L2), await qty(b, L2)]).toEqual([10, 10]);
	});

	it('every arrival order of [v1 with lines, v2 with none], each delivered twice, one delivery per Apply or all in one batch', async () => {
		const sequences = orderings(['v1', 'v2', 'v1', 'v2'] as const);
		expect(sequences.length).toBe(6);
		for (const together of [false, true]) {
			for (const sequence of sequences) {
				const [a, b] = [sku('pa'), sku('pb')];
				await applyEvents(redis, prefix, [
					levelEvent(a, L2, 10, 1, { platform: 'manual' }),
					levelEvent(b, L2, 10, 1, { platform: 'manual' }),
				]);
				const orderId = id();
				const versions = {
					v1: wooEvents(WOO2, {
						id: orderId,
						at: T,
						status: 'processing',
						lines: [line(1, a, 2), line(2, b, 1)],
					}),
					v2: wooEvents(WOO2, { id: orderId, at: T + 1000, status: 'processing', lines: [] }),
				};
				const results: ApplyResult[] = [];
				if (together)
					results.push(
						...(await applyEvents(
							redis,
							prefix,
							sequence.flatMap((v) => versions[v]),
						)),
					);
				else
					for (const v of sequence)
						results.push(...(await applyEvents(redis, prefix, versions[v])));
				expect(results.filter((r) => r.outcome === 'invalid')).toEqual([]);
				expect([await qty(a, L2), await qty(b, L2)]).toEqual([10, 10]);
				const removed = results.flatMap((r) => r.removed ?? []);
				// The lines drew only when v1 came before the first v2; then each is given back exactly once.
				const drew = sequence.indexOf('v1') < sequence.indexOf('v2');
				expect(removed.map((x) => [x.lineKey, x.delta]).sort()).toEqual(
					drew
						? [
								['1', 2],
								['2', 1],
							]
						: [],
				);
				for (const [s, k] of [
					[a, '1'],
					[b, '2'],
				] as const) {
					const applied = (await auditOf(redis, prefix, s, 100)).filter(
						(e) => e.id.endsWith(`:order:${orderId}:line:${k}`) && e.out === 'applied',
					);
					expect(applied.map((e) => Number(e.delta)).reduce((x, y) => x + y, 0)).toBe(0);
					expect(applied.length).toBe(drew ? 2 : 0);
				}
			}
		}
	});

	it('a later version with lines again draws; the empty version and the first one arriving after it change nothing', async () => {
		const [a, b] = [sku('la'), sku('lb')];
		await applyEvents(redis, prefix, [
			levelEvent(a, L2, 10, 1, { platform: 'manual' }),
			levelEvent(b, L2, 10, 1, { platform: 'manual' }),
		]);
		const orderId = id();
		const v1 = wooEvents(WOO2, {
			id: orderId,
			at: T,
			status: 'processing',
			lines: [line(1, a, 2), line(2, b, 1)],
		});
		const v2 = wooEvents(WOO2, { id: orderId, at: T + 1000, status: 'processing', lines: [] });
		// Lines added again: line 1 comes back with 4 units, and a new line 3.
		const v3 = wooEvents(WOO2, {
			id: orderId,
			at: T + 2000,
			status: 'processing',
			lines: [line(1, a, 4), line(3, b, 5)],
		});
		await applyEvents(redis, prefix, [...v1, ...v2]);
		expect([await qty(a, L2), await qty(b, L2)]).toEqual([10, 10]);
		expect(outcomes(await applyEvents(redis, prefix, v3))).toEqual(['applied', 'applied']);
		expect([await qty(a, L2), await qty(b, L2)]).toEqual([6, 5]);
		const late = await applyEvents(redis, prefix, [...v2, ...v1, ...v2, ...v3]);
		expect(outcomes(late)).toEqual([
			'skipped:emptyOrder',
			'skipped:stale',
			'skipped:stale',
			'skipped:emptyOrder',
			'skipped:unchanged',
			'skipped:unchanged',
		]);
		expect(late.some((x) => x.removed)).toBe(false);
		expect([await qty(a, L2), await qty(b, L2)]).toEqual([6, 5]);
		// And the other way round: v3 first, then the older versions — v3's lines stand.
		const [c, d] = [sku('lc'), sku('ld')];
		await applyEvents(redis, prefix, [
			levelEvent(c, L2, 10, 1, { platform: 'manual' }),
			levelEvent(d, L2, 10, 1, { platform: 'manual' }),
		]);
		const other = id();
		const w = (at: number, lines: WooLineSpec[]) =>
			wooEvents(WOO2, { id: other, at, status: 'processing', lines });
		await applyEvents(redis, prefix, [
			...w(T + 2000, [line(1, c, 4), line(3, d, 5)]),
			...w(T + 1000, []),
			...w(T, [line(1, c, 2), line(2, d, 1)]),
		]);
		expect([await qty(c, L2), await qty(d, L2)]).toEqual([6, 5]);
	});

	it('a forwarded sale: the removal is forwarded to the owner once and the pending mark clears', async () => {
		const a = sku('fa');
		await applyEvents(redis, prefix, [levelEvent(a, L1, 10, 1)]);
		const orderId = id();
		const v1 = wooEvents(WOO, {
			id: orderId,
			at: T,
			status: 'processing',
			lines: [line(71, a, 3)],
		});
		const v2 = wooEvents(WOO, { id: orderId, at: T + 5000, status: 'processing', lines: [] });
		await applyEvents(redis, prefix, v1);
		expect((await hash(a))[`p:${L1}`]).toBe('3');
		const rs = await applyEvents(redis, prefix, [...v2, ...v2]);
		expect(rs[0].removed).toEqual([
			expect.objectContaining({
				lineKey: '71',
				sku: a,
				location: L1,
				previous: 3,
				delta: 3,
				effect: 'forward',
				forwardedTo: 'shopify',
			}),
		]);
		expect(rs[1].removed).toBeUndefined();
		expect((await hash(a))[`p:${L1}`]).toBe('0');
		const outbox = (await redis.xrange(ledgerKeys.outbox(prefix, 'shopify'), '-', '+'))
			.map(([, f]) => f)
			.filter((f) => f[1] === a);
		expect(outbox.map((f) => f[5])).toEqual(['-3', '3']);
	});

	it('an empty version at the same time as a state with lines is a tie, settled by the re-read', async () => {
		const a = sku('ta');
		await applyEvents(redis, prefix, [levelEvent(a, L2, 10, 1, { platform: 'manual' })]);
		const orderId = id();
		await applyEvents(
			redis,
			prefix,
			wooEvents(WOO2, { id: orderId, at: T, status: 'processing', lines: [line(91, a, 2)] }),
		);
		const empty = wooEvents(WOO2, { id: orderId, at: T, status: 'processing', lines: [] });
		expect(await applyEvents(redis, prefix, empty)).toEqual([
			expect.objectContaining({ outcome: 'skipped', reason: 'tie', reread: true }),
		]);
		expect(await qty(a, L2)).toBe(8);
		const [settled] = await applyEvents(
			redis,
			prefix,
			empty.map((e) => ({ ...e, reread: true })),
		);
		expect(settled).toMatchObject({
			outcome: 'skipped',
			reason: 'emptyOrder',
			removed: [expect.objectContaining({ lineKey: '91', delta: 2 })],
		});
		expect(await qty(a, L2)).toBe(10);
	});
});

describe('Shopify: an order version with no line', () => {
	it('a POS order at a ledger location: its lines come back once, the old version later changes nothing', async () => {
		const a = sku('sa');
		await applyEvents(redis, prefix, [levelEvent(a, L0, 10, 1, { platform: 'manual' })]);
		const orderId = id();
		const v1 = shopifyEvents({
			id: orderId,
			at: T,
			locationId: 100,
			lines: [{ id: 11, sku: a, quantity: 2 }],
		});
		const v2 = shopifyEvents({ id: orderId, at: T + 60_000, locationId: 100, lines: [] });
		expect(v2).toEqual([
			expect.objectContaining({
				id: `shopify:${SHOP}:order:${orderId}`,
				lineIds: [],
				sku: null,
				quantity: 0,
			}),
		]);
		const rs = await applyEvents(redis, prefix, [...v1, ...v2, ...v1, ...v2]);
		expect(outcomes(rs)).toEqual([
			'applied',
			'skipped:emptyOrder',
			'skipped:stale',
			'skipped:emptyOrder',
		]);
		expect(rs[1].removed).toEqual([
			expect.objectContaining({ lineKey: '11', location: L0, delta: 2, effect: 'ledger' }),
		]);
		expect(await qty(a, L0)).toBe(10);
	});
});

describe('malformed order items', () => {
	it('an order item needs an empty lineIds and no SKU; anything else is not an empty order', async () => {
		const orderId = String(id());
		const item = wooEvents(WOO2, {
			id: Number(orderId),
			at: T,
			status: 'processing',
			lines: [],
		})[0];
		const rs = await applyEvents(redis, prefix, [
			{ ...item, lineIds: ['1'] },
			{ ...item, lineIds: undefined },
			{ ...item, sku: 'X' },
			item,
		]);
		expect(outcomes(rs)).toEqual([
			'skipped:untracked',
			'skipped:untracked',
			'invalid:badId',
			'skipped:emptyOrder',
		]);
	});
});
