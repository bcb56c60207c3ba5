import Redis from 'ioredis';
import type { InventoryEvent } from '../../nodes/shared/events/types';
import { ledgerKeys } from '../../nodes/shared/keys';
import { applyEvents, saveProfile, type ApplyResult } from '../../nodes/InventoryLedger/ledger';
import { L0, L1, L2, PROFILE, SHOP, WOO, WOO2, levelEvent, lineEvent } from './ledgerHarness';
import { deleteByPrefix, TEST_REDIS, uniquePrefix } from '../support';

/**
 * History check, Jepsen-style. Each history: 20 SKUs × 3 locations (L1 owned by Shopify, L0 and L2 by the
 * ledger), Shopify levels at L1 with versions (and mirror levels at L0, which must never apply), and orders on
 * both platforms' rules whose states move through created → paid → cancelled → reinstated with quantity edits
 * and restocked refunds (Shopify: cancellation final, restocks possibly at another location; WooCommerce: with
 * the `_reduced_stock` tally or the legacy status rule, whose "other" statuses carry null). Some orders drop a
 * line (and its restock items) from a later version on, an order edit: it is missing from those versions'
 * items and `lineIds`, possibly at a null state. Every delivery
 * (an order at one version, or a level) is sent 1–4×, all shuffled, cut into batches of 1–25 items and applied
 * from 8 concurrent connections; then some deliveries come again "an hour later" (re-polls of old states).
 *
 * The final state must equal a serial model: each order line's final drawn units (the latest version that
 * says something; 0 for a line missing from the order's final version) applied once, each location's newest
 * level. Outbox entries must add up to the model's
 * forwards for every line, with no version forwarded twice; the audit stream must hold one `applied` entry
 * per effective change (versions strictly increasing per line/location, deltas adding up to the model).
 * Seeded: set LEDGER_HISTORY_SEED to replay a failure (the seed is in the failure message).
 */
jest.setTimeout(180_000);

const HISTORIES = Number(process.env.LEDGER_HISTORIES ?? 200);
const CONNECTIONS = 8;
const base = uniquePrefix('hist');
let conns: Redis[];
let admin: Redis;

beforeAll(async () => {
	admin = new Redis(TEST_REDIS);
	conns = Array.from({ length: CONNECTIONS }, () => new Redis(TEST_REDIS));
});
afterAll(async () => {
	// Each history has its own prefix `${base}-h<N>` (deleted when it passes); a failed one is cleaned here.
	let cursor = '0';
	do {
		const [next, keys] = await admin.scan(cursor, 'MATCH', `${base}-h*`, 'COUNT', 1000);
		cursor = next;
		if (keys.length) await admin.unlink(...keys);
	} while (cursor !== '0');
	await deleteByPrefix(admin, base);
	await Promise.all(conns.map((c) => c.quit()));
	await admin.quit();
});

function rngOf(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

interface Item {
	key: string;
	sku: string;
	loc: string;
	drawn: number | null;
}
interface Order {
	platform: 'shopify' | 'woocommerce';
	shop: string;
	orderId: string;
	/** Location given on the items (null: the channel's sales location). */
	itemLocation: (item: Item) => string | null;
	states: Array<{ version: number; items: Item[] }>;
}

function generate(seed: number, h: number) {
	const rng = rngOf(seed);
	const int = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
	const pick = <T>(xs: readonly T[]) => xs[Math.floor(rng() * xs.length)];
	const shapes = [
		(i: number) => `H${h}-S${i}`,
		(i: number) => `{H${h}}:S ${i}`,
		(i: number) => `Ü${h}-${i}\u{1F600}`,
	];
	const skus = Array.from({ length: 20 }, (_, i) => shapes[i % 3](i));
	const seeds = skus.map(() => ({ l0: int(0, 40), l1: int(0, 40), l2: int(0, 40) }));
	const orders: Order[] = [];
	/**
	 * An order edit removing a line: from a later state on (any state after the first, a null one too), the
	 * line and its restock items are gone from the items and so from `lineIds`; sometimes a second line goes
	 * at the same or a later state. At least one line always stays.
	 */
	const dropLines = (order: Order) => {
		let from = 1;
		for (let drops = 0; drops < 2 && rng() < (drops === 0 ? 0.4 : 0.3); drops++) {
			const last = order.states[order.states.length - 1];
			const lines = [...new Set(last.items.map((it) => it.key.split(':')[0]))];
			if (lines.length < 2) return;
			const gone = pick(lines);
			from = int(from, order.states.length - 1);
			for (const state of order.states.slice(from))
				state.items = state.items.filter(
					(it) => it.key !== gone && !it.key.startsWith(`${gone}:restock:`),
				);
		}
	};
	let t0 = 1_700_000_000_000;
	const orderCount = int(6, 14);
	for (let o = 0; o < orderCount; o++) {
		t0 += int(1, 30) * 1000;
		let t = t0;
		const next = () => (t += int(1, 5) * 1000);
		const lineSkus = [...new Set(Array.from({ length: int(1, 3) }, () => pick(skus)))];
		const qs = lineSkus.map(() => int(1, 5));
		const snapshot = (f: (i: number) => number | null, extra: Item[] = []) =>
			lineSkus
				.map((sku, i) => ({ key: `${i + 1}`, sku, loc: '', drawn: f(i) }))
				.concat(extra.map((e) => ({ ...e })));
		if (rng() < 0.5) {
			// Shopify: web orders at L1 (owner: audited only) or POS at L0 (ledger). Cancellation is final.
			const pos = rng() < 0.4;
			const states: Order['states'] = [];
			let drawn = [...qs];
			let restocks: Item[] = [];
			states.push({ version: next(), items: snapshot((i) => drawn[i]) });
			states.push({ version: next(), items: snapshot((i) => drawn[i]) }); // paid: same units
			if (rng() < 0.5) {
				// Edit removing units with restock at the line's location.
				drawn = drawn.map((q) => q - int(0, q));
				states.push({ version: next(), items: snapshot((i) => drawn[i], restocks) });
			}
			if (!pos && rng() < 0.4) {
				// Refund restocked at another location (L0): the line keeps drawing at L1, units return at L0.
				restocks = lineSkus
					.map((sku, i) => ({
						key: `${i + 1}:restock:100`,
						sku,
						loc: L0,
						drawn: -int(0, drawn[i]),
					}))
					.filter((r) => r.drawn !== 0);
				states.push({ version: next(), items: snapshot((i) => drawn[i], restocks) });
			}
			if (rng() < 0.35) {
				// Cancelled; with restock the remaining units come back at the line's location.
				if (rng() < 0.7) {
					drawn = drawn.map(
						(_, i) => -(restocks.find((r) => r.key === `${i + 1}:restock:100`)?.drawn ?? 0),
					);
				}
				states.push({ version: next(), items: snapshot((i) => drawn[i], restocks) });
			}
			orders.push({
				platform: 'shopify',
				shop: SHOP,
				orderId: `${h}-${o}`,
				itemLocation: (item) => (item.key.includes(':restock:') ? item.loc : pos ? L0 : null),
				states,
			});
			dropLines(orders[orders.length - 1]);
		} else {
			// WooCommerce: w.test sells from L1 (forwarded to Shopify), w2.test from L2 (ledger).
			const shop = rng() < 0.5 ? WOO : WOO2;
			const tally = rng() < 0.6;
			const states: Order['states'] = [];
			let q = [...qs];
			const push = (f: (i: number) => number | null) =>
				states.push({ version: next(), items: snapshot(f) });
			push(() => 0); // created, pending
			push((i) => q[i]); // processing
			if (rng() < 0.3) push((i) => (tally ? q[i] : null)); // on-hold → failed: units stay drawn
			if (rng() < 0.5) {
				push(() => 0); // cancelled
				if (rng() < 0.6) push((i) => q[i]); // reinstated
			}
			if (rng() < 0.4) {
				q = q.map(() => int(1, 6)); // quantity edit
				push((i) => q[i]);
			}
			if (rng() < 0.3) {
				q = q.map((x) => x - int(0, x)); // restocked refund
				push((i) => q[i]);
			}
			if (rng() < 0.2) push((i) => (tally ? q[i] : null)); // refunded status (legacy: leaves stock)
			orders.push({
				platform: 'woocommerce',
				shop,
				orderId: `${h}-${o}`,
				itemLocation: () => null,
				states,
			});
			dropLines(orders[orders.length - 1]);
		}
	}
	const levels: Array<{ sku: string; loc: string; qty: number; version: number; owner: boolean }> =
		[];
	for (const sku of skus) {
		let v = 1_000;
		for (let k = int(0, 3); k > 0; k--)
			levels.push({ sku, loc: L1, qty: int(0, 60), version: (v += int(1, 9) * 1000), owner: true });
		if (rng() < 0.3)
			levels.push({ sku, loc: L0, qty: int(0, 60), version: int(2, 9) * 1000, owner: false });
	}
	return { rng, int, skus, seeds, orders, levels };
}

function shuffle<T>(xs: T[], rng: () => number): T[] {
	for (let i = xs.length - 1; i > 0; i--) {
		const j = Math.floor(rng() * (i + 1));
		[xs[i], xs[j]] = [xs[j], xs[i]];
	}
	return xs;
}

async function runHistory(
	seed: number,
	h: number,
): Promise<{ items: number; batches: number; removedLines: number }> {
	const prefix = `${base}-h${h}`;
	const g = generate(seed, h);
	await saveProfile(admin, prefix, PROFILE);
	// Seeds: every SKU × location starts with a level (version 1 at L1, a manual count at L0 and L2).
	await applyEvents(
		admin,
		prefix,
		g.skus.flatMap((sku, i) => [
			levelEvent(sku, L0, g.seeds[i].l0, 1, { platform: 'manual' }),
			levelEvent(sku, L1, g.seeds[i].l1, 1),
			levelEvent(sku, L2, g.seeds[i].l2, 1, { platform: 'manual' }),
		]),
	);

	// Deliveries: an order at one version (all its items, as a webhook or poll carries them), or a level.
	const units: InventoryEvent[][] = [];
	for (const order of g.orders) {
		for (const state of order.states) {
			const lineIds = state.items.map((it) => it.key);
			units.push(
				state.items.map((it) =>
					lineEvent({
						platform: order.platform,
						shop: order.shop,
						orderId: order.orderId,
						lineKey: it.key,
						sku: it.sku,
						quantity: it.drawn,
						version: state.version,
						locationId: order.itemLocation(it),
						lineIds,
					}),
				),
			);
		}
	}
	for (const l of g.levels) units.push([levelEvent(l.sku, l.loc, l.qty, l.version)]);
	const deliveries = shuffle(
		units.flatMap((u) => Array.from({ length: g.int(1, 4) }, () => u)),
		g.rng,
	);
	const later = shuffle(
		units.filter(() => g.rng() < 0.15),
		g.rng,
	);

	let batches = 0;
	let items = 0;
	const applyAll = async (list: InventoryEvent[][]) => {
		const queue: InventoryEvent[][] = [];
		let batch: InventoryEvent[] = [];
		let size = g.int(1, 25);
		for (const u of list) {
			batch.push(...u);
			if (batch.length >= size) {
				queue.push(batch);
				batch = [];
				size = g.int(1, 25);
			}
		}
		if (batch.length) queue.push(batch);
		batches += queue.length;
		items += queue.reduce((s, b) => s + b.length, 0);
		await Promise.all(
			conns.map(async (conn) => {
				for (let b = queue.shift(); b; b = queue.shift()) {
					const rs: ApplyResult[] = await applyEvents(conn, prefix, b);
					const bad = rs.filter((r) => r.outcome === 'invalid');
					if (bad.length)
						throw new Error(`invalid items in a valid history: ${JSON.stringify(bad[0])}`);
				}
			}),
		);
	};
	await applyAll(deliveries);
	await applyAll(later); // "an hour later": redeliveries and re-polls of old states

	// ---- the serial model
	const finalDrawn = new Map<
		string,
		{ sku: string; loc: string; drawn: number; owner: string; id: string }
	>();
	let removedLines = 0;
	for (const order of g.orders) {
		const final = new Set(order.states[order.states.length - 1].items.map((it) => it.key));
		for (const state of order.states) {
			for (const it of state.items) {
				if (it.drawn === null) continue; // a null state carries the previous state's units
				const loc =
					order.itemLocation(it) ??
					(order.platform === 'shopify' ? L1 : order.shop === WOO ? L1 : L2);
				const id = `${order.platform}:${order.shop}:order:${order.orderId}:line:${it.key}`;
				const owner = loc === L1 ? (order.platform === 'shopify' ? 'owner' : 'forward') : 'ledger';
				// A line missing from the order's final version draws 0 (it was removed; it never comes back).
				finalDrawn.set(id, {
					sku: it.sku,
					loc,
					drawn: final.has(it.key) ? it.drawn : 0,
					owner,
					id,
				});
			}
		}
		removedLines += new Set(
			order.states.flatMap((st) => st.items.map((it) => it.key)).filter((k) => !final.has(k)),
		).size;
	}
	const expected = new Map(
		g.skus.map((sku, i) => [
			sku,
			{ [L0]: g.seeds[i].l0, [L1]: g.seeds[i].l1, [L2]: g.seeds[i].l2, pending: 0 },
		]),
	);
	const newestLevel = new Map<string, { qty: number; version: number }>();
	for (const l of g.levels.filter((x) => x.owner)) {
		const cur = newestLevel.get(l.sku);
		if (!cur || l.version > cur.version) newestLevel.set(l.sku, { qty: l.qty, version: l.version });
	}
	for (const [sku, l] of newestLevel) expected.get(sku)![L1] = l.qty;
	for (const line of finalDrawn.values()) {
		const e = expected.get(line.sku)!;
		if (line.owner === 'ledger') e[line.loc as typeof L0] -= line.drawn;
		if (line.owner === 'forward') e.pending += line.drawn;
	}

	// ---- the actual state, in one pipeline
	const p = admin.pipeline();
	for (const sku of g.skus)
		p.hgetall(ledgerKeys.ledger(prefix, sku)).xrange(ledgerKeys.audit(prefix, sku), '-', '+');
	p.xrange(ledgerKeys.outbox(prefix, 'shopify'), '-', '+');
	const replies = (await p.exec())!.map(([e, r]) => {
		if (e) throw e;
		return r;
	});
	const where = `history ${h} (LEDGER_HISTORY_SEED=${seed})`;
	const appliedPerLine = new Map<string, { versions: number[]; sum: number }>();
	for (const [i, sku] of g.skus.entries()) {
		const hash = replies[2 * i] as Record<string, string>;
		const e = expected.get(sku)!;
		const got = {
			[L0]: Number(hash[`q:${L0}`]),
			[L1]: Number(hash[`q:${L1}`]),
			[L2]: Number(hash[`q:${L2}`]),
			pending: Number(hash[`p:${L1}`] ?? 0),
		};
		if (JSON.stringify(got) !== JSON.stringify(e))
			throw new Error(
				`${where}: SKU ${sku}: ledger ${JSON.stringify(got)} ≠ model ${JSON.stringify(e)}`,
			);
		if (hash[`p:${L0}`] || hash[`p:${L2}`])
			throw new Error(`${where}: pending marks on ledger-owned locations`);
		// The audit: applied entries per line / level location, versions strictly increasing, deltas summing up.
		const audit = replies[2 * i + 1] as Array<[string, string[]]>;
		let revChanges = 0;
		const levelVersions: number[] = [];
		for (const [, f] of audit) {
			const entry: Record<string, string> = {};
			for (let k = 0; k < f.length; k += 2) entry[f[k]] = f[k + 1];
			if (entry.out !== 'applied') continue;
			if (entry.eff !== 'owner') revChanges++;
			if (entry.kind === 'level') {
				if (entry.ver !== '1') levelVersions.push(Number(entry.ver));
				continue;
			}
			const a = appliedPerLine.get(entry.id) ?? { versions: [], sum: 0 };
			a.versions.push(Number(entry.ver));
			a.sum += Number(entry.delta);
			appliedPerLine.set(entry.id, a);
		}
		if (Number(hash.rev) !== revChanges)
			throw new Error(
				`${where}: SKU ${sku}: rev ${hash.rev} ≠ ${revChanges} rev-changing audit entries`,
			);
		if (levelVersions.some((v, k) => k > 0 && v <= levelVersions[k - 1]))
			throw new Error(`${where}: SKU ${sku}: a level applied out of order`);
		const newest = newestLevel.get(sku);
		// The newest level's version is held (an equal quantity is recorded as unchanged, not applied).
		if (newest && Number(hash[`v:${L1}`]) !== newest.version)
			throw new Error(
				`${where}: SKU ${sku}: held version ${hash[`v:${L1}`]} is not the newest ${newest.version}`,
			);
		if (newest && levelVersions.some((v) => v > newest.version))
			throw new Error(`${where}: SKU ${sku}: unknown level version`);
	}
	for (const line of finalDrawn.values()) {
		const a = appliedPerLine.get(line.id) ?? { versions: [], sum: 0 };
		if (a.sum !== -line.drawn)
			throw new Error(`${where}: line ${line.id}: audited deltas ${a.sum} ≠ −${line.drawn}`);
		if (a.versions.some((v, k) => k > 0 && v <= a.versions[k - 1]))
			throw new Error(
				`${where}: line ${line.id}: a version applied twice or out of order (${a.versions})`,
			);
	}
	for (const id of appliedPerLine.keys())
		if (!finalDrawn.has(id)) throw new Error(`${where}: audit entry for an unknown line ${id}`);
	// The outbox: forwards add up to the model's, per line, each version at most once, nothing else.
	const outbox = replies[2 * g.skus.length] as Array<[string, string[]]>;
	const forwards = new Map<string, { sum: number; versions: number[] }>();
	for (const [, f] of outbox) {
		const entry: Record<string, string> = {};
		for (let k = 0; k < f.length; k += 2) entry[f[k]] = f[k + 1];
		const x = forwards.get(entry.id) ?? { sum: 0, versions: [] };
		x.sum += Number(entry.delta);
		x.versions.push(Number(entry.ver));
		forwards.set(entry.id, x);
	}
	for (const line of finalDrawn.values()) {
		const x = forwards.get(line.id);
		if (line.owner !== 'forward') {
			if (x) throw new Error(`${where}: line ${line.id} (${line.owner}) was forwarded`);
			continue;
		}
		if ((x?.sum ?? 0) !== -line.drawn)
			throw new Error(`${where}: line ${line.id}: forwards ${x?.sum} ≠ −${line.drawn}`);
		if (x && x.versions.some((v, k) => k > 0 && v <= x.versions[k - 1]))
			throw new Error(`${where}: line ${line.id}: a forward repeated`);
	}
	await deleteByPrefix(admin, prefix);
	return { items, batches, removedLines };
}

it(`${HISTORIES} random histories from ${CONNECTIONS} concurrent connections equal the serial model`, async () => {
	const seed = Number(process.env.LEDGER_HISTORY_SEED ?? Math.floor(Math.random() * 2 ** 31));
	let items = 0;
	let batches = 0;
	let removed = 0;
	for (let h = 0; h < HISTORIES; h++) {
		const r = await runHistory(seed + h, h);
		items += r.items;
		batches += r.batches;
		removed += r.removedLines;
	}
	// Enough happened to mean something.
	expect(items).toBeGreaterThan(HISTORIES * 50);
	expect(batches).toBeGreaterThan(HISTORIES * 5);
	expect(removed).toBeGreaterThanOrEqual(Math.floor(HISTORIES / 2)); // ~3 per history
});
