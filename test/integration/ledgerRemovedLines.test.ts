import Redis from 'ioredis';
import { normalizeDelivery, type InventoryEvent } from '../../nodes/shared/events';
import { ledgerKeys } from '../../nodes/shared/keys';
import {
	applyEvents,
	auditOf,
	saveProfile,
	type ApplyResult,
	type AuditEntry,
} from '../../nodes/InventoryLedger/ledger';
import {
	shopifyOrder,
	toJson,
	wooOrder,
	type ShopifyLineSpec,
	type ShopifyOrderSpec,
	type WooLineSpec,
} from '../simulators/payloads';
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

/**
 * Removed order lines (design.md "Canonical item": a stored line missing from a newer version's `lineIds`
 * draws 0). The orders go through the real trigger normaliser (signed-payload shapes of the simulators), so
 * `lineIds` is what the trigger emits. A removed line is reversed where and how it drew (ledger level, owner
 * audit, forward to the owner's outbox) exactly once, whatever the order, the redeliveries and the batching.
 */
jest.setTimeout(60_000);

const prefix = uniquePrefix('removed');
let redis: Redis;
let conns: Redis[];

beforeAll(async () => {
	redis = new Redis(TEST_REDIS);
	conns = Array.from({ length: 6 }, () => new Redis(TEST_REDIS));
	await saveProfile(redis, prefix, PROFILE);
});
afterAll(async () => {
	await deleteByPrefix(redis, prefix);
	await Promise.all(conns.map((c) => c.quit()));
	await redis.quit();
});

const RECEIVED = '2026-11-26T10:00:05.000Z';
let n = 0;
const sku = (name: string) => `${name}-${++n}`;
const id = () => 5000 + ++n;
const qty = async (s: string, loc: string) =>
	Number(await redis.hget(ledgerKeys.ledger(prefix, s), `q:${loc}`));
const hash = (s: string) => redis.hgetall(ledgerKeys.ledger(prefix, s));
const outcomes = (rs: ApplyResult[]) =>
	rs.map((r) => (r.outcome === 'applied' ? 'applied' : `${r.outcome}:${r.reason}`));
const applied = (entries: AuditEntry[], lineId: string) =>
	entries.filter((e) => e.id === lineId && e.out === 'applied');

/** orders/updated → canonical items, as the trigger emits them. */
function shopifyEvents(spec: {
	id: number;
	at: number;
	lines: ShopifyLineSpec[];
	locationId?: number;
	refunds?: ShopifyOrderSpec['refunds'];
}): InventoryEvent[] {
	const body = shopifyOrder({
		id: spec.id,
		updatedAt: new Date(spec.at),
		lines: spec.lines,
		locationId: spec.locationId ?? null,
		refunds: spec.refunds,
	});
	const { events, invalid } = normalizeDelivery({
		platform: 'shopify',
		headers: { 'x-shopify-topic': 'orders/updated', 'x-shopify-shop-domain': SHOP },
		rawBody: toJson(body),
		receivedAt: RECEIVED,
	});
	expect(invalid).toEqual([]);
	return events;
}

/** order.updated → canonical items. */
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

const T = Date.parse('2026-11-26T09:00:00Z');

describe('Shopify: an order edit removes a line', () => {
	it('POS order at a ledger location: the removed line gives its units back once, redeliveries and old states change nothing', async () => {
		const [a, b] = [sku('sa'), sku('sb')];
		await applyEvents(redis, prefix, [
			levelEvent(a, L0, 10, 1, { platform: 'manual' }),
			levelEvent(b, L0, 10, 1, { platform: 'manual' }),
		]);
		const orderId = id();
		const v1 = shopifyEvents({
			id: orderId,
			at: T,
			locationId: 100,
			lines: [
				{ id: 11, sku: a, quantity: 2 },
				{ id: 12, sku: b, quantity: 3 },
			],
		});
		const v2 = shopifyEvents({
			id: orderId,
			at: T + 60_000,
			locationId: 100,
			lines: [{ id: 11, sku: a, quantity: 2 }],
		});
		expect(v1.map((e) => e.lineIds)).toEqual([
			['11', '12'],
			['11', '12'],
		]);
		expect(v2.map((e) => e.lineIds)).toEqual([['11']]);

		expect(outcomes(await applyEvents(redis, prefix, v1))).toEqual(['applied', 'applied']);
		expect([await qty(a, L0), await qty(b, L0)]).toEqual([8, 7]);
		const revBefore = Number((await hash(b)).rev);
		const [edit] = await applyEvents(redis, prefix, v2);
		// Line 11 itself did not change; the item reports the line its order version removed.
		expect(edit).toMatchObject({ outcome: 'skipped', reason: 'unchanged' });
		const lineB = `shopify:${SHOP}:order:${orderId}:line:12`;
		expect(edit.removed).toEqual([
			{
				id: lineB,
				lineKey: '12',
				sku: b,
				location: L0,
				previous: 3,
				delta: 3,
				effect: 'ledger',
				rev: revBefore + 1,
			},
		]);
		expect([await qty(a, L0), await qty(b, L0)]).toEqual([8, 10]);
		// Same rules as any line change: rev + 1, audit entry under the removed line's id, dirty for L0's mirrors.
		const entry = (await auditOf(redis, prefix, b, 1))[0];
		expect(entry).toMatchObject({
			id: lineB,
			kind: 'orderLine',
			loc: L0,
			prev: '3',
			new: '0',
			delta: '3',
			ver: String(T + 60_000),
			out: 'applied',
			eff: 'ledger',
			rev: String(revBefore + 1),
			src: `shopify:${SHOP}:orders/updated:webhook`,
		});
		expect(await redis.zscore(ledgerKeys.dirty(prefix, 'woo2'), b)).toBe(String(revBefore + 1));
		const ol = await redis.hgetall(ledgerKeys.orderLines(prefix, 'shopify', SHOP, String(orderId)));
		expect(ol['12']).toMatch(new RegExp(`^0 ${T + 60_000} `));
		expect(ol['']).toBe(`${T + 60_000} 2:11`);

		// Redeliveries of both versions, the old one again (a re-poll): nothing moves, nothing is removed twice.
		const again = await applyEvents(redis, prefix, [...v2, ...v1, ...v2, ...v1]);
		expect(outcomes(again)).toEqual([
			'skipped:unchanged',
			'skipped:stale',
			'skipped:stale',
			'skipped:unchanged',
			'skipped:stale',
			'skipped:stale',
		]);
		expect(again[2]).toMatchObject({ previous: 0, heldVersion: T + 60_000 });
		expect(again.some((r) => r.removed)).toBe(false);
		expect([await qty(a, L0), await qty(b, L0)]).toEqual([8, 10]);
		expect(applied(await auditOf(redis, prefix, b, 100), lineB).map((e) => e.delta)).toEqual([
			'3',
			'-3',
		]);
	});

	it('the edit arriving before the order: the removed line never draws', async () => {
		const [a, b] = [sku('ra'), sku('rb')];
		await applyEvents(redis, prefix, [
			levelEvent(a, L0, 10, 1, { platform: 'manual' }),
			levelEvent(b, L0, 10, 1, { platform: 'manual' }),
		]);
		const orderId = id();
		const v1 = shopifyEvents({
			id: orderId,
			at: T,
			locationId: 100,
			lines: [
				{ id: 11, sku: a, quantity: 2 },
				{ id: 12, sku: b, quantity: 3 },
			],
		});
		const v2 = shopifyEvents({
			id: orderId,
			at: T + 60_000,
			locationId: 100,
			lines: [{ id: 11, sku: a, quantity: 2 }],
		});
		expect(outcomes(await applyEvents(redis, prefix, v2))).toEqual(['applied']);
		const late = await applyEvents(redis, prefix, v1);
		expect(outcomes(late)).toEqual(['skipped:stale', 'skipped:stale']);
		expect(late[1]).toMatchObject({ heldVersion: T + 60_000 });
		expect([await qty(a, L0), await qty(b, L0)]).toEqual([8, 10]);
		expect(
			applied(await auditOf(redis, prefix, b, 100), `shopify:${SHOP}:order:${orderId}:line:12`),
		).toEqual([]);
	});

	it('web order on the owner plus a restock at a ledger location: the line is only audited, its restock item reversed', async () => {
		const [c, d] = [sku('wc'), sku('wd')];
		await applyEvents(redis, prefix, [
			levelEvent(c, L1, 20, 1),
			levelEvent(c, L0, 5, 1, { platform: 'manual' }),
			levelEvent(d, L1, 20, 1),
		]);
		const orderId = id();
		const lines = [
			{ id: 21, sku: c, quantity: 4 },
			{ id: 22, sku: d, quantity: 1 },
		];
		const v1 = shopifyEvents({
			id: orderId,
			at: T,
			lines,
			refunds: [{ lineItemId: 21, quantity: 1, restockType: 'return', locationId: 100 }],
		});
		expect(v1.map((e) => [e.id.split(':line:')[1], e.quantity, e.locationId])).toEqual([
			['21', 4, null],
			['21:restock:100', -1, L0],
			['22', 1, null],
		]);
		await applyEvents(redis, prefix, v1);
		expect(await qty(c, L0)).toBe(6);
		const rev = Number((await hash(c)).rev);
		const v2 = shopifyEvents({ id: orderId, at: T + 1000, lines: [lines[1]] });
		const [edit] = await applyEvents(redis, prefix, v2);
		// The owner's line is only audited (no rev change); the restock item moves the ledger level (rev + 1).
		expect([...(edit.removed ?? [])].sort((x, y) => x.lineKey.localeCompare(y.lineKey))).toEqual([
			expect.objectContaining({
				lineKey: '21',
				location: L1,
				previous: 4,
				delta: 4,
				effect: 'owner',
			}),
			expect.objectContaining({
				lineKey: '21:restock:100',
				location: L0,
				previous: -1,
				delta: -1,
				effect: 'ledger',
				rev: rev + 1,
			}),
		]);
		expect(await qty(c, L0)).toBe(5);
		expect(await qty(c, L1)).toBe(20); // the owner's level event carries its own sale and its reversal
		expect(Number((await hash(c)).rev)).toBe(rev + 1);
		const entries = await auditOf(redis, prefix, c, 2);
		expect(entries.map((e) => [e.id.split(':line:')[1], e.eff, e.delta, e.out]).sort()).toEqual([
			['21', 'owner', '4', 'applied'],
			['21:restock:100', 'ledger', '-1', 'applied'],
		]);
	});

	it('the only line left is untracked (no SKU): its item still removes the stored line', async () => {
		const e = sku('ue');
		await applyEvents(redis, prefix, [levelEvent(e, L0, 10, 1, { platform: 'manual' })]);
		const orderId = id();
		const v1 = shopifyEvents({
			id: orderId,
			at: T,
			locationId: 100,
			lines: [
				{ id: 31, sku: e, quantity: 2 },
				{ id: 32, sku: null, quantity: 1 },
			],
		});
		const v2 = shopifyEvents({
			id: orderId,
			at: T + 1000,
			locationId: 100,
			lines: [{ id: 32, sku: null, quantity: 1 }],
		});
		expect(outcomes(await applyEvents(redis, prefix, v1))).toEqual([
			'applied',
			'skipped:untracked',
		]);
		const rs = await applyEvents(redis, prefix, [...v2, ...v2]);
		expect(outcomes(rs)).toEqual(['skipped:untracked', 'skipped:untracked']);
		expect(rs[0].removed).toEqual([expect.objectContaining({ lineKey: '31', sku: e, delta: 2 })]);
		expect(rs[1].removed).toBeUndefined();
		expect(await qty(e, L0)).toBe(10);
	});
});

describe('WooCommerce: a line removed from an order', () => {
	it('a forwarded sale: the removal is forwarded to the owner once and the pending mark clears', async () => {
		const [a, b] = [sku('fa'), sku('fb')];
		await applyEvents(redis, prefix, [levelEvent(a, L1, 10, 1), levelEvent(b, L1, 10, 1)]);
		const orderId = id();
		const line = (lineId: number, s: string, q: number): WooLineSpec => ({
			id: lineId,
			productId: 900 + lineId,
			sku: s,
			quantity: q,
			reducedStock: q,
		});
		const v1 = wooEvents(WOO, {
			id: orderId,
			at: T,
			status: 'processing',
			lines: [line(71, a, 3), line(72, b, 1)],
		});
		const v2 = wooEvents(WOO, {
			id: orderId,
			at: T + 5000,
			status: 'processing',
			lines: [line(71, a, 3)],
		});
		expect(v2.map((e) => e.lineIds)).toEqual([['71']]);
		await applyEvents(redis, prefix, v1);
		expect((await hash(b))[`p:${L1}`]).toBe('1');
		const rs = await applyEvents(redis, prefix, [...v2, ...v1, ...v2]);
		expect(outcomes(rs)).toEqual([
			'skipped:unchanged',
			'skipped:stale',
			'skipped:stale',
			'skipped:unchanged',
		]);
		const lineB = `woocommerce:${WOO}:order:${orderId}:line:72`;
		expect(rs[0].removed).toEqual([
			expect.objectContaining({
				id: lineB,
				sku: b,
				location: L1,
				previous: 1,
				delta: 1,
				effect: 'forward',
				forwardedTo: 'shopify',
			}),
		]);
		expect(rs.slice(1).some((r) => r.removed)).toBe(false);
		expect((await hash(b))[`p:${L1}`]).toBe('0');
		expect((await hash(a))[`p:${L1}`]).toBe('3');
		const outbox = (await redis.xrange(ledgerKeys.outbox(prefix, 'shopify'), '-', '+'))
			.map(([, f]) => f)
			.filter((f) => f[1] === b);
		expect(outbox.map((f) => [f[5], f[7], f[9]])).toEqual([
			['-1', lineB, String(T)],
			['1', lineB, String(T + 5000)],
		]);
		expect(outbox[1]).toEqual([
			'sku',
			b,
			'loc',
			L1,
			'delta',
			'1',
			'id',
			lineB,
			'ver',
			String(T + 5000),
			'rev',
			(await hash(b)).rev,
			'src',
			`woocommerce:${WOO}:order.updated:webhook`,
			'owner',
			'shopify',
		]);
		expect(await redis.zscore(ledgerKeys.dirty(prefix, 'woo'), b)).toBe((await hash(b)).rev);
	});

	it('a ledger sale, legacy status rule: a line removed at a status that leaves stock alone still draws 0', async () => {
		const [a, b] = [sku('la'), sku('lb')];
		await applyEvents(redis, prefix, [
			levelEvent(a, L2, 10, 1, { platform: 'manual' }),
			levelEvent(b, L2, 10, 1, { platform: 'manual' }),
		]);
		const orderId = id();
		const lines = [
			{ id: 81, productId: 981, sku: a, quantity: 2 },
			{ id: 82, productId: 982, sku: b, quantity: 1 },
		];
		const v1 = wooEvents(WOO2, { id: orderId, at: T, status: 'processing', lines });
		const v2 = wooEvents(WOO2, { id: orderId, at: T + 5000, status: 'failed', lines: [lines[0]] });
		expect(v2.map((e) => e.quantity)).toEqual([null]);
		// The removal first, then the old state, then the removal again.
		const rs = await applyEvents(redis, prefix, [...v2, ...v1, ...v2]);
		expect(outcomes(rs)).toEqual([
			'skipped:unchanged',
			'applied',
			'skipped:stale',
			'skipped:unchanged',
		]);
		expect([await qty(a, L2), await qty(b, L2)]).toEqual([8, 10]);
		// And in order: the line draws, then its removal gives the unit back.
		const orderId2 = id();
		const w1 = wooEvents(WOO2, { id: orderId2, at: T, status: 'processing', lines });
		const w2 = wooEvents(WOO2, { id: orderId2, at: T + 5000, status: 'failed', lines: [lines[0]] });
		await applyEvents(redis, prefix, w1);
		expect([await qty(a, L2), await qty(b, L2)]).toEqual([6, 9]);
		const [removal] = await applyEvents(redis, prefix, w2);
		expect(removal.removed).toEqual([
			expect.objectContaining({ lineKey: '82', effect: 'ledger', previous: 1, delta: 1 }),
		]);
		expect([await qty(a, L2), await qty(b, L2)]).toEqual([6, 10]);
	});

	it('two order states at one version with different lines: a tie, settled by the re-read', async () => {
		const [a, b] = [sku('ta'), sku('tb')];
		await applyEvents(redis, prefix, [
			levelEvent(a, L2, 10, 1, { platform: 'manual' }),
			levelEvent(b, L2, 10, 1, { platform: 'manual' }),
		]);
		const orderId = id();
		const lines = [
			{ id: 91, productId: 991, sku: a, quantity: 1, reducedStock: 1 },
			{ id: 92, productId: 992, sku: b, quantity: 2, reducedStock: 2 },
		];
		await applyEvents(
			redis,
			prefix,
			wooEvents(WOO2, { id: orderId, at: T, status: 'processing', lines }),
		);
		const other = wooEvents(WOO2, { id: orderId, at: T, status: 'processing', lines: [lines[0]] });
		const tie = await applyEvents(redis, prefix, other);
		expect(tie).toEqual([
			expect.objectContaining({ outcome: 'skipped', reason: 'tie', reread: true }),
		]);
		expect(await qty(b, L2)).toBe(8);
		const reread = await applyEvents(
			redis,
			prefix,
			other.map((e) => ({ ...e, reread: true })),
		);
		expect(reread[0].removed).toEqual([expect.objectContaining({ lineKey: '92', delta: 2 })]);
		expect([await qty(a, L2), await qty(b, L2)]).toEqual([9, 10]);
		// The settled state redelivered: unchanged, nothing removed again.
		const again = await applyEvents(redis, prefix, [
			...other,
			...other.map((e) => ({ ...e, reread: true })),
		]);
		expect(outcomes(again)).toEqual(['skipped:unchanged', 'skipped:unchanged']);
		expect(again.some((r) => r.removed)).toBe(false);
	});
});

describe('exactly once, stored routes, costs', () => {
	it('every order version 1–3×, shuffled, in concurrent batches from 6 connections: each removed line reversed once', async () => {
		const skus = Array.from({ length: 4 }, () => sku('cc'));
		await applyEvents(
			redis,
			prefix,
			skus.map((s) => levelEvent(s, L2, 100, 1, { platform: 'manual' })),
		);
		let seed = 7;
		const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
		const units: InventoryEvent[][] = [];
		const expected = new Map(skus.map((s) => [s, 100]));
		const removedLines = new Set<string>();
		for (let o = 0; o < 30; o++) {
			const orderId = id();
			const lines = Array.from({ length: 5 }, (_, i) => ({
				id: 100 + i,
				productId: 200 + i,
				sku: skus[(o + i) % 4],
				quantity: 1 + ((o + i) % 3),
			}));
			const states = [
				lines,
				lines.filter((_, i) => i !== o % 5),
				lines.filter((_, i) => i !== o % 5 && i !== (o + 2) % 5),
			];
			states.forEach((ls, k) =>
				units.push(
					wooEvents(WOO2, { id: orderId, at: T + k * 1000, status: 'processing', lines: ls }),
				),
			);
			for (const l of states[2]) expected.set(l.sku, expected.get(l.sku)! - l.quantity);
			for (const l of lines)
				if (!states[2].includes(l))
					removedLines.add(`woocommerce:${WOO2}:order:${orderId}:line:${l.id}`);
		}
		const deliveries = units.flatMap((u) =>
			Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => u),
		);
		for (let i = deliveries.length - 1; i > 0; i--) {
			const j = Math.floor(rnd() * (i + 1));
			[deliveries[i], deliveries[j]] = [deliveries[j], deliveries[i]];
		}
		const queue: InventoryEvent[][] = [];
		for (let i = 0; i < deliveries.length; ) {
			const size = 1 + Math.floor(rnd() * 4);
			queue.push(deliveries.slice(i, i + size).flat());
			i += size;
		}
		const reported: string[] = [];
		await Promise.all(
			conns.map(async (conn) => {
				for (let batch = queue.shift(); batch; batch = queue.shift()) {
					for (const r of await applyEvents(conn, prefix, batch))
						reported.push(...(r.removed ?? []).map((x) => x.id));
				}
			}),
		);
		for (const s of skus) expect(await qty(s, L2)).toBe(expected.get(s));
		// A removed line is reported at most once; it was removed only if it had drawn by then.
		expect(new Set(reported).size).toBe(reported.length);
		for (const lineId of reported) expect(removedLines.has(lineId)).toBe(true);
		const audit = (await Promise.all(skus.map((s) => auditOf(redis, prefix, s, 10_000)))).flat();
		for (const lineId of removedLines) {
			const deltas = applied(audit, lineId).map((e) => Number(e.delta));
			expect(deltas.reduce((x, y) => x + y, 0)).toBe(0);
			expect(deltas.length).toBe(reported.includes(lineId) ? 2 : 0);
		}
	});

	it("SKU texts with '{', '}', ':', spaces, unicode, and long ones (digested key part) are reversed in their own keys", async () => {
		const texts = [`{x}: ü ${sku('esc')}`, `${sku('long')}-${'ÿ'.repeat(150)}`, sku('plain')];
		await applyEvents(
			redis,
			prefix,
			texts.map((t) => levelEvent(t, L1, 10, 1)),
		);
		const orderId = id();
		const lines = texts.map((t, i) => ({
			id: 40 + i,
			productId: 40 + i,
			sku: t,
			quantity: i + 1,
			reducedStock: i + 1,
		}));
		await applyEvents(
			redis,
			prefix,
			wooEvents(WOO, { id: orderId, at: T, status: 'processing', lines }),
		);
		const ol = await redis.hgetall(
			ledgerKeys.orderLines(prefix, 'woocommerce', WOO, String(orderId)),
		);
		expect(ol['42'].length).toBeLessThanOrEqual(64); // a plain SKU's route stays short
		const [r] = await applyEvents(
			redis,
			prefix,
			wooEvents(WOO, { id: orderId, at: T + 1000, status: 'processing', lines: [lines[2]] }),
		);
		expect((r.removed ?? []).map((x) => x.sku).sort()).toEqual([texts[0], texts[1]].sort());
		for (const t of texts.slice(0, 2)) {
			expect((await hash(t))[`p:${L1}`]).toBe('0');
			expect(
				applied(await auditOf(redis, prefix, t, 10), r.removed!.find((x) => x.sku === t)!.id),
			).toHaveLength(2);
		}
		const outbox = (await redis.xrange(ledgerKeys.outbox(prefix, 'shopify'), '-', '+'))
			.map(([, f]) => f)
			.filter((f) => texts.includes(f[1]));
		expect(
			outbox.map((f) => `${f[1] === texts[0] ? 0 : f[1] === texts[1] ? 1 : 2}:${f[5]}`).sort(),
		).toEqual(['0:-1', '0:1', '1:-2', '1:2', '2:-3']);
		const keys = await redis.keys(`${prefix}:sku:*`);
		expect(keys.filter((k) => k.includes('ÿ') || k.includes('{') || k.includes(' '))).toEqual([]);
	});

	it('items without lineIds (another source) remove nothing, and a line they stored at a newer version is not removed by an older list', async () => {
		const s = sku('nolist');
		await applyEvents(redis, prefix, [levelEvent(s, L2, 10, 1, { platform: 'manual' })]);
		const orderId = String(id());
		const line = (lineKey: string, q: number, version: number, lineIds?: string[]) => {
			const e = lineEvent({
				platform: 'woocommerce',
				shop: WOO2,
				orderId,
				lineKey,
				sku: s,
				quantity: q,
				version,
				lineIds: lineIds ?? [],
			});
			return lineIds ? e : { ...e, lineIds: undefined };
		};
		await applyEvents(redis, prefix, [line('1', 2, 30), line('2', 1, 31)]);
		expect(await qty(s, L2)).toBe(7);
		// An older version listing only line 2: line 1 holds version 30, newer than 20, so it stays.
		const [old] = await applyEvents(redis, prefix, [line('2', 1, 20, ['2'])]);
		expect(old).toMatchObject({ outcome: 'skipped', reason: 'stale' });
		expect(old.removed).toBeUndefined();
		expect(await qty(s, L2)).toBe(7);
		// A newer one does remove it.
		const [edit] = await applyEvents(redis, prefix, [line('2', 1, 40, ['2'])]);
		expect(edit.removed).toEqual([expect.objectContaining({ lineKey: '1', delta: 2 })]);
		expect(await qty(s, L2)).toBe(9);
	});

	it('a frozen SKU: the removal is recorded, not marked dirty', async () => {
		const s = sku('frz');
		await applyEvents(redis, prefix, [levelEvent(s, L2, 10, 1, { platform: 'manual' })]);
		const orderId = id();
		const lines = [
			{ id: 1, productId: 1, sku: s, quantity: 3, reducedStock: 3 },
			{ id: 2, productId: 2, sku: 'other', quantity: 1, reducedStock: 1 },
		];
		await applyEvents(
			redis,
			prefix,
			wooEvents(WOO2, { id: orderId, at: T, status: 'processing', lines }),
		);
		await redis.hset(ledgerKeys.ledger(prefix, s), 'frozen', '1');
		await redis.zrem(ledgerKeys.dirty(prefix, 'woo2'), s);
		const [r] = await applyEvents(
			redis,
			prefix,
			wooEvents(WOO2, { id: orderId, at: T + 1000, status: 'processing', lines: [lines[1]] }),
		);
		expect(r.removed).toEqual([expect.objectContaining({ sku: s, delta: 3, frozen: true })]);
		expect(await qty(s, L2)).toBe(10);
		expect(await redis.zscore(ledgerKeys.dirty(prefix, 'woo2'), s)).toBeNull();
	});

	it('malformed lineIds are Invalid; a batch with removals is still one round trip', async () => {
		const s = sku('rt');
		const ok = lineEvent({
			platform: 'woocommerce',
			shop: WOO2,
			orderId: 'bad',
			lineKey: '1',
			sku: s,
			quantity: 1,
			version: 1,
		});
		const rs = await applyEvents(redis, prefix, [
			{ ...ok, lineIds: '1' },
			{ ...ok, lineIds: [1] },
			{ ...ok, lineIds: [''] },
			{ ...ok, lineIds: null },
		]);
		expect(outcomes(rs)).toEqual([
			'invalid:badLineIds',
			'invalid:badLineIds',
			'invalid:badLineIds',
			'applied',
		]);
		const orders = Array.from({ length: 50 }, () => id());
		const at = (v: number, keys: string[]) =>
			orders.flatMap((o) =>
				keys.map((k) =>
					lineEvent({
						platform: 'woocommerce',
						shop: WOO2,
						orderId: String(o),
						lineKey: k,
						sku: s,
						quantity: 1,
						version: v,
						lineIds: keys,
					}),
				),
			);
		await applyEvents(redis, prefix, at(10, ['1', '2']));
		const before = await qty(s, L2);
		let removals: ApplyResult[] = [];
		expect(
			await roundTrips(
				redis,
				async () => (removals = await applyEvents(redis, prefix, at(20, ['1']))),
			),
		).toBe(1);
		expect(removals.filter((r) => r.removed).length).toBe(50);
		expect(await qty(s, L2)).toBe(before + 50);
	});
});
