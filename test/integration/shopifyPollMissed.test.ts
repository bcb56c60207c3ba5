/* eslint-disable @typescript-eslint/no-explicit-any -- GraphQL answers are untyped JSON read field by field */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import type Redis from 'ioredis';
import { executeShopifyInventory } from '../../nodes/ShopifyInventory/actions/router';
import { applyEvents } from '../../nodes/InventoryLedger/ledger/apply';
import { getSkus } from '../../nodes/InventoryLedger/ledger/read';
import { saveProfile } from '../../nodes/InventoryLedger/ledger/profileStore';
import { channelKeys } from '../../nodes/shared/keys';
import { closeAllRedis } from '../../nodes/shared/redis';
import { ShopifySimulator } from '../simulators/shopify';
import { idString } from '../simulators/json';
import { normalizeDelivery, type InventoryEvent } from '../../nodes/shared/events';
import { nodeContext } from '../support/nodeContext';
import { deleteByPrefix, testClient, uniquePrefix } from '../support';

/*
 * Issue 20's reconcile benchmark: Shopify Poll Orders applied 63 of 71 orders whose webhooks were lost. The
 * orders there have Shopify-sized ids (above 2^53), are placed within a second or two and span many poll pages.
 * Each case compares the set of orders the poll applied with the set the shop holds, on the simulator's own
 * clock where a case needs orders in one second.
 */
jest.setTimeout(60_000);

const TWO_53 = 9007199254740992n;
const LOC = '71000000031';
const itemId = (n: number) => String(44_000_000_003_000 + n);
const sku = (n: number) => `M-${n}`;
const SKUS = 80;

let redis: Redis;
const prefixes: string[] = [];
const closers: Array<() => Promise<void>> = [];

beforeAll(() => {
	redis = testClient();
});
afterAll(async () => {
	for (const p of prefixes) await deleteByPrefix(redis, p);
	for (const c of closers) await c();
	await closeAllRedis();
	await redis.quit();
});

interface Shop {
	sim: ShopifySimulator;
	shop: string;
	place: string;
	prefix: string;
	/** The simulator's clock (ms); tests move it. */
	clock: { ms: number };
}

/** A shop with SKUS items at 100 each, a ledger that knows them, and a clock the test controls. */
async function openShop(name: string): Promise<Shop> {
	const shop = `${name}.myshopify.com`;
	const place = `shopify:${shop}:${LOC}`;
	// Ten minutes ago on a whole second: well inside the first poll's look-back, never in the future.
	const clock = { ms: Math.floor(Date.now() / 1000) * 1000 - 600_000 };
	const sim = new ShopifySimulator({
		webhookSecret: `${name}-secret`,
		shop,
		inventoryWebhooks: false,
		salesLocationId: LOC,
		now: () => clock.ms,
	});
	await sim.start();
	closers.push(() => sim.stop());
	sim.putLocation(LOC, 'Warehouse');
	for (let n = 1; n <= SKUS; n++) {
		sim.putInventoryItem(itemId(n), sku(n));
		sim.setLevel(itemId(n), LOC, 100);
	}
	const prefix = uniquePrefix(name);
	prefixes.push(prefix);
	await saveProfile(redis, prefix, {
		dryRun: true,
		locations: [{ id: place, owner: 'ledger' }],
		channels: [
			{
				name: 'shop',
				platform: 'shopify',
				shop,
				salesLocation: place,
				places: [{ id: place, shows: [place] }],
			},
		],
	});
	await applyEvents(
		redis,
		prefix,
		Array.from({ length: SKUS }, (_, i) => ({
			kind: 'level',
			id: `manual:erp:level:${sku(i + 1)}`,
			version: 1_000,
			source: { platform: 'manual', shop: 'erp', topic: 'count', via: 'manual' },
			sku: sku(i + 1),
			refs: {},
			locationId: place,
			quantity: 100,
			occurredAt: new Date(1_000).toISOString(),
			receivedAt: new Date().toISOString(),
		})) as never,
	);
	return { sim, shop, place, prefix, clock };
}

async function poll(
	s: Shop,
	params: Record<string, unknown> = {},
	shopDomain = s.sim.baseUrl,
): Promise<{ summary: IDataObject; applied: Set<string> }> {
	const out: INodeExecutionData[][] = await executeShopifyInventory.call(
		nodeContext({
			keyPrefix: s.prefix,
			params: { channel: 'shop', operation: 'pollOrders', ...params },
			shopify: { shopDomain, authentication: 'accessToken', accessToken: 'shpat_test' },
		}),
	);
	const applied = new Set<string>();
	for (const { json } of out[0].slice(1)) {
		const ledger = json.ledger as { outcome?: string } | undefined;
		if (ledger?.outcome === 'applied') applied.add(String((json.refs as IDataObject).orderId));
	}
	return { summary: out[0][0].json.summary as IDataObject, applied };
}

const quantityOf = async (s: Shop, n: number) =>
	(await getSkus(redis, s.prefix, [sku(n)])).states[0].quantities[s.place];

async function gql(
	sim: ShopifySimulator,
	query: string,
	variables: Record<string, unknown>,
): Promise<any> {
	const res = await fetch(sim.graphqlUrl(), {
		method: 'POST',
		headers: { 'Content-Type': 'application/json', 'X-Shopify-Access-Token': 'shpat_test' },
		body: JSON.stringify({ query, variables }),
	});
	expect(res.status).toBe(200);
	return res.json();
}

it('simulator: keyset paging over orders with ids above 2^53 in one second meets every order exactly once', async () => {
	const s = await openShop('pollmissed-cursor');
	const placed: string[] = [];
	// Consecutive ids just above 2^53: a cursor id read through a double (spacing 2 there) lands on a neighbour; pages of 3 end on odd ids.
	for (let k = 0; k < 30; k++)
		placed.push(
			idString(
				s.sim.placeOrder({
					id: String(TWO_53 + 11n + BigInt(k)),
					lines: [{ sku: sku(1), quantity: 1 }],
				}).id,
			),
		);
	const seen: string[] = [];
	let after: string | null = null;
	for (;;) {
		const body = await gql(
			s.sim,
			`query P($after: String) { orders(first: 3, after: $after, sortKey: UPDATED_AT) {
				pageInfo { hasNextPage endCursor } edges { node { id } } } }`,
			{ after },
		);
		expect(body.errors).toBeUndefined();
		for (const e of body.data.orders.edges) seen.push(String(e.node.id).split('/').pop()!);
		if (!body.data.orders.pageInfo.hasNextPage) break;
		after = body.data.orders.pageInfo.endCursor;
	}
	expect(seen).toEqual(placed);
});

it('Poll Orders applies every one of 71 lost orders with ids above 2^53 among 520 placed in one second, over three listing pages', async () => {
	const s = await openShop('pollmissed-many');
	const lost = new Set<string>();
	const sold = new Map<number, number>();
	const delivered: InventoryEvent[] = [];
	for (let k = 0; k < 520; k++) {
		const n = (k % SKUS) + 1;
		sold.set(n, (sold.get(n) ?? 0) + 1);
		const order = s.sim.placeOrder({ lines: [{ sku: sku(n), quantity: 1 }] });
		// One order in seven (71 of them, spread over the pages) lost its webhook; the others were delivered.
		if (k % 7 === 3 && lost.size < 71) lost.add(idString(order.id));
		else
			delivered.push(
				...normalizeDelivery({
					platform: 'shopify',
					headers: { 'x-shopify-topic': 'orders/create', 'x-shopify-shop-domain': s.shop },
					rawBody: s.sim.serialize(order).toString('utf8'),
					receivedAt: new Date().toISOString(),
				}).events,
			);
	}
	expect(lost.size).toBe(71);
	expect([...lost].every((id) => BigInt(id) > TWO_53)).toBe(true);
	await applyEvents(redis, s.prefix, delivered);
	const { summary, applied } = await poll(s);
	// Three listing pages of 250 (keyset cursors over ids above 2^53); only the lost orders are read whole.
	expect(summary).toMatchObject({
		complete: true,
		invalid: 0,
		orders: 520,
		pages: 3,
		held: 449,
		readWhole: 71,
	});
	expect([...lost].filter((id) => !applied.has(id))).toEqual([]);
	expect(applied.size).toBe(71);
	for (const [n, units] of sold) expect(await quantityOf(s, n)).toBe(100 - units);
});

it('Poll Orders without overlap reads an order placed in the cursor’s second after the poll (second-granular updated_at)', async () => {
	const s = await openShop('pollmissed-samesecond');
	s.clock.ms += 300; // inside the second, as a real order is
	const a = idString(s.sim.placeOrder({ lines: [{ sku: sku(1), quantity: 1 }] }).id);
	const first = await poll(s, { overlapSeconds: 0 });
	expect([...first.applied]).toEqual([a]);
	const cursor = Number(await redis.get(channelKeys.cursor(s.prefix, 'shop')));
	s.clock.ms += 400; // the same second as the cursor: updated_at ties with it
	const b = idString(s.sim.placeOrder({ lines: [{ sku: sku(2), quantity: 1 }] }).id);
	expect(Date.parse(String(s.sim.getOrder(b)!.updated_at))).toBe(cursor);
	const second = await poll(s, { overlapSeconds: 0 });
	expect([...second.applied]).toEqual([b]);
	expect(await quantityOf(s, 1)).toBe(99);
	expect(await quantityOf(s, 2)).toBe(99);
});

it('Poll Orders: orders cancelled and placed while it pages are all applied, each at its newest version', async () => {
	const s = await openShop('pollmissed-paging');
	// Ten orders, 240 others, twenty more, a second apart: the first listing page ends after the 240.
	const ids: string[] = [];
	const place = (n: number, quantity: number) =>
		idString(s.sim.placeOrder({ lines: [{ sku: sku(n), quantity }] }).id);
	s.clock.ms += 1000;
	for (let k = 0; k < 10; k++) ids.push(place(k + 1, 2));
	s.clock.ms += 1000;
	for (let k = 0; k < 240; k++) place(50 + (k % 20), 1);
	s.clock.ms += 1000;
	for (let k = 10; k < 30; k++) ids.push(place(k + 1, 2));
	// A proxy in front of the shop: after the poll's first listing page is answered, the shop changes — an order
	// listed on it is cancelled with restock (it moves to the end of the listing), one on the next page too, and
	// a new one is placed — before the poll reads them and asks for its next page.
	let pages = 0;
	let late = '';
	const proxy = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			const body = Buffer.concat(chunks);
			const up = http.request(
				`${s.sim.baseUrl}${req.url}`,
				{ method: req.method, headers: req.headers },
				(upRes) => {
					const answer: Buffer[] = [];
					upRes.on('data', (c: Buffer) => answer.push(c));
					upRes.on('end', () => {
						if (body.includes('OrdersUpdatedSince') && ++pages === 1) {
							s.clock.ms += 1000;
							s.sim.cancelOrder(ids[0], { restock: true });
							s.sim.cancelOrder(ids[25], { restock: true });
							late = idString(s.sim.placeOrder({ lines: [{ sku: sku(40), quantity: 3 }] }).id);
						}
						res.writeHead(upRes.statusCode ?? 502, upRes.headers).end(Buffer.concat(answer));
					});
				},
			);
			up.on('error', () => res.writeHead(502).end());
			up.end(body);
		});
	});
	await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
	closers.push(() => new Promise((resolve) => proxy.close(() => resolve())));
	const { summary, applied } = await poll(
		s,
		{},
		`http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
	);
	expect(summary).toMatchObject({ complete: true, invalid: 0 });
	expect(pages).toBeGreaterThanOrEqual(2);
	expect([...ids, late].filter((id) => !applied.has(id))).toEqual([]);
	// Cancelled with restock: nothing drawn; the others 2 each; the late order 3.
	expect(await quantityOf(s, 1)).toBe(100);
	expect(await quantityOf(s, 26)).toBe(100);
	expect(await quantityOf(s, 2)).toBe(98);
	expect(await quantityOf(s, 30)).toBe(98);
	expect(await quantityOf(s, 40)).toBe(97);
});

it('Poll Orders that runs out of time goes on from where it stopped, not from the cursor minus the overlap (chaos: the catch-up stalled)', async () => {
	const s = await openShop('pollmissed-resume');
	// A first poll fixes the cursor; then 42 orders (one listing page, 14 reads of 3 by id) in 42 seconds, all
	// inside the overlap.
	expect((await poll(s, { overlapSeconds: 600 })).summary.complete).toBe(true);
	const placed = new Set<string>();
	for (let k = 0; k < 42; k++) {
		s.clock.ms += 1_000;
		placed.add(idString(s.sim.placeOrder({ lines: [{ sku: sku(k + 1), quantity: 1 }] }).id));
	}
	// A slow shop: with 400 ms per request and 3 s per run, a run lists and reads a few, never all fourteen.
	s.sim.latencyMs = 400;
	const applied = new Set<string>();
	const runs: IDataObject[] = [];
	for (let run = 0; run < 12 && !runs.at(-1)?.complete; run++) {
		const r = await poll(s, { overlapSeconds: 600, options: { timeBudget: 3 } });
		runs.push(r.summary);
		for (const id of r.applied) applied.add(id);
	}
	expect(runs[0]).toMatchObject({ complete: false, stoppedBy: 'timeBudget' });
	expect(runs[0].failure).toBeUndefined();
	expect(runs.slice(1).some((r) => r.startedFrom === 'resume')).toBe(true);
	// Without resuming (the cursor moves past each read), every run would start over from the overlap.
	expect(runs.at(-1)!.complete).toBe(true);
	expect([...placed].filter((id) => !applied.has(id))).toEqual([]);
	for (let n = 1; n <= 42; n++) expect(await quantityOf(s, n)).toBe(99);
	// A completed poll forgets where the last one stopped: the next starts from the cursor minus the overlap.
	expect(await redis.exists(channelKeys.pollResume(s.prefix, 'shop'))).toBe(0);
	s.sim.latencyMs = 0;
	expect((await poll(s, { overlapSeconds: 600 })).summary.startedFrom).toBe('cursor');
});
