import type Redis from 'ioredis';
import { applyEvents } from '../../nodes/InventoryLedger/ledger/apply';
import { replayByIds, scanDeadLetters } from '../../nodes/InventoryLedger/ledger/deadLetters';
import { saveProfile } from '../../nodes/InventoryLedger/ledger/profileStore';
import { breakerState } from '../../nodes/shared/breaker';
import type { BreakerSettings } from '../../nodes/shared/breakerSettings';
import type { ChannelRun } from '../../nodes/shared/channel/callPolicy';
import { drainPublish } from '../../nodes/shared/channel/publish';
import type { ChannelDeadLetter } from '../../nodes/shared/deadLetters';
import { ledgerKeys } from '../../nodes/shared/keys';
import { ShopifyBucket } from '../../nodes/shared/pacing';
import { ShopifyStockWriter } from '../../nodes/ShopifyInventory/stock/writer';
import { ShopifyGraphqlClient } from '../../nodes/ShopifyInventory/transport/graphqlClient';
import { ShopifySimulator } from '../simulators/shopify';
import { deleteByPrefix, testClient, uniquePrefix, waitFor } from '../support';
import { testApiContext } from '../support/apiContext';

/*
 * Issue 17: "Shopify 503 for 30 s → breaker opens, dead letters, half-open probe, recovery; replay → every SKU
 * correct; second replay → no calls."
 *
 * Two clocks, on purpose:
 * - The simulator's outage, the run's budget and the retry waits run on a clock this file controls
 *   (`clock`): the simulator's `now`, the ChannelRun's `now` and `sleep` (a backoff wait advances it at once),
 *   and the Shopify bucket's. So the outage really lasts 30 s of that clock and the test does not wait for it.
 * - The circuit breaker's cool-down is timed by Redis's own clock inside its scripts (lua/admitCall-1.lua),
 *   which no test can move: the breaker gets a short cool-down (COOL_DOWN_MS) and the test waits, on real time,
 *   until breakerState says it is half-open.
 * The retry jitter is fixed (`random: () => 0.5`): waits of 500, 1,000, 2,000 ms, so with a 3 s budget the first
 * batch makes exactly 3 calls before the next wait no longer fits.
 */

const SECRET = 'shpss_outage_secret';
const LOC = '72000000001';
const SHOP = 'outage-shop.myshopify.com';
const PLACE = `shopify:${SHOP}:${LOC}`;
const WOO = 'w.test';
const OUTAGE_MS = 30_000;
const BUDGET_MS = 3_000;
const COOL_DOWN_MS = 600;
const item = (n: number) => String(45_000_000_000 + n);
const sku = (n: number) => `OUT-${String(n).padStart(5, '0')}`;
/** What the ledger holds for SKU i before any sale (≥ 3, so a sale of 2 leaves stock). */
const seeded = (i: number) => (i % 9) + 3;

let redis: Redis;
let sim: ShopifySimulator;
let prefix: string;
let clock = 0;
let n = 0;

/** The ledger's warehouse is shown by the Shopify channel; a WooCommerce channel sells from it too. */
function profile() {
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
			{
				name: 'woo',
				platform: 'woocommerce',
				shop: WOO,
				salesLocation: 'ledger:wh',
				places: [{ id: `woocommerce:${WOO}:default`, shows: ['ledger:wh'] }],
			},
		],
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
		receivedAt: new Date(version).toISOString(),
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
		receivedAt: new Date(1).toISOString(),
	};
}

/** count SKUs in the shop (at 0) and mapped; the ledger holds seeded(i) for each: all dirty for 'shop'. */
async function seed(count: number) {
	const events: unknown[] = [];
	for (let i = 0; i < count; i++) {
		sim.putInventoryItem(item(i), sku(i));
		sim.setLevel(item(i), LOC, 0);
		events.push(mapping(sku(i), item(i)), level(sku(i), seeded(i), clock));
	}
	const results = await applyEvents(redis, prefix, events);
	expect(results.filter((r) => r.outcome === 'invalid')).toEqual([]);
	expect(await redis.zcard(ledgerKeys.dirty(prefix, 'shop'))).toBe(count);
}

/** A WooCommerce order drawing `qty` of SKU i from the ledger's warehouse: the ledger changes, Shopify must follow. */
async function sale(orderId: string, i: number, qty: number) {
	const results = await applyEvents(redis, prefix, [
		{
			kind: 'orderLine',
			id: `woocommerce:${WOO}:order:${orderId}:line:1`,
			version: clock,
			source: { platform: 'woocommerce', shop: WOO, topic: 'order.created', via: 'webhook' },
			lineIds: ['1'],
			sku: sku(i),
			refs: { orderId },
			locationId: null,
			quantity: qty,
			occurredAt: new Date(clock).toISOString(),
			receivedAt: new Date(clock).toISOString(),
		},
	]);
	expect(results.map((r) => r.outcome)).toEqual(['applied']);
}

function run(breaker: Partial<BreakerSettings>): ChannelRun {
	return {
		redis,
		prefix,
		channel: 'shop',
		platform: 'shopify',
		deadline: clock + BUDGET_MS,
		breaker,
		now: () => clock,
		// A backoff wait passes on the controlled clock at once (the simulator's outage is on the same clock).
		sleep: async (ms, signal) => {
			if (signal?.aborted) throw new Error('aborted');
			clock += ms;
		},
		random: () => 0.5,
	};
}

async function publish(breaker: Partial<BreakerSettings>) {
	const ctx = testApiContext({
		shopify: { shopDomain: sim.baseUrl, authentication: 'accessToken', accessToken: 'shpat_test' },
	});
	const client = new ShopifyGraphqlClient(ctx, new ShopifyBucket(() => clock));
	return await drainPublish(redis, prefix, {
		run: run(breaker),
		writer: new ShopifyStockWriter(client, redis, prefix, SHOP),
	});
}

async function publishDeadLetters(): Promise<ChannelDeadLetter[]> {
	const scan = await scanDeadLetters(redis, prefix, { limit: 1_000 });
	expect(scan.unreadable).toEqual([]);
	return scan.letters.filter(
		(l): l is ChannelDeadLetter => l.kind === 'channel' && l.operation === 'publish',
	);
}

/** Every GraphQL request the simulator received (faulted ones included). */
const calls = () => sim.countCalls();
const setCalls = (status?: number) => sim.countCalls('PublishStock', status);
const breaker = async () => await breakerState(redis, prefix, 'shop');
const waitHalfOpen = async () =>
	await waitFor(breaker, (b) => b.state === 'half-open', 10_000, 'breaker cool-down');

beforeAll(() => {
	redis = testClient();
});
afterAll(async () => {
	await redis.quit();
});
beforeEach(async () => {
	prefix = uniquePrefix(`shopifyOutage${n++}`);
	clock = Date.now();
	sim = new ShopifySimulator({
		shop: SHOP,
		webhookSecret: SECRET,
		inventoryWebhooks: false,
		now: () => clock,
	});
	await sim.start();
	sim.putLocation(LOC, 'Warehouse');
	await saveProfile(redis, prefix, profile());
});
afterEach(async () => {
	await sim.stop();
	await deleteByPrefix(redis, prefix);
});

test('Shopify 503 for 30 s → breaker opens, dead letters, half-open probe, recovery; replay → every SKU correct; second replay → no calls', async () => {
	const settings = { failureThreshold: 3, coolDownMs: COOL_DOWN_MS };
	const expected = new Map<number, number>();
	for (let i = 0; i < 600; i++) expected.set(i, seeded(i));
	await seed(600);
	const outageEnds = clock + OUTAGE_MS;
	sim.unavailableFor(OUTAGE_MS);

	// 1. Publish during the outage: 600 SKUs = 3 calls of ≤ 250. The first batch retries within the 3 s budget
	//    (3 calls, the 3rd failure opens the breaker, the next wait no longer fits: budgetSpent); the other two
	//    go to the dead letters with no request made (breakerOpen).
	const first = await publish(settings);
	expect(first).toMatchObject({ skus: 600, written: 0, deadLettered: 600, remaining: 0 });
	expect(calls()).toBe(3);
	expect(setCalls(503)).toBe(3);
	const letters = await publishDeadLetters();
	expect(letters.map((l) => [l.reason, l.items.length])).toEqual([
		['budgetSpent', 250],
		['breakerOpen', 250],
		['breakerOpen', 100],
	]);
	expect(letters[0]).toMatchObject({ channel: 'shop', errorClass: 'transient', attempts: 3 });
	expect(letters[0].errorMessage).toMatch(/503/);
	expect(new Set(letters.flatMap((l) => l.items.map((x) => x.sku))).size).toBe(600);
	// What Health shows: the breaker is open.
	const opened = await breaker();
	expect(opened.state).toBe('open');
	expect(opened.openedAt).not.toBeNull();
	for (let i = 0; i < 600; i += 37) expect(sim.level(item(i), LOC)?.available).toBe(0);

	// 2. While the dead letters wait, the other shop sells 2 of SKU 5: the ledger moves on, SKU 5 is dirty.
	await sale('9001', 5, 2);
	expected.set(5, seeded(5) - 2);
	// Cool-down over (Redis's clock), outage not (30 s on ours): Publish sends ONE probe; it fails and the breaker
	// opens again; the retry after it is refused without a request.
	await waitHalfOpen();
	expect(clock).toBeLessThan(outageEnds);
	const probeFails = await publish(settings);
	expect(probeFails).toMatchObject({ skus: 1, written: 0, deadLettered: 1 });
	expect(calls()).toBe(4);
	expect(setCalls(503)).toBe(4);
	const reopened = await breaker();
	expect(reopened.state).toBe('open');
	expect(reopened.openedAt!).toBeGreaterThan(opened.openedAt!);
	expect((await publishDeadLetters()).map((l) => l.reason)).toEqual([
		'budgetSpent',
		'breakerOpen',
		'breakerOpen',
		'breakerOpen',
	]);

	// 3. The outage ends (30 s on the simulator's clock). Another sale marks SKU 9; after the cool-down the probe
	//    succeeds and the breaker closes.
	clock = outageEnds + 1;
	await sale('9002', 9, 2);
	expected.set(9, seeded(9) - 2);
	await waitHalfOpen();
	const probeOk = await publish(settings);
	expect(probeOk).toMatchObject({ skus: 1, written: 1, deadLettered: 0, remaining: 0 });
	expect(calls()).toBe(5);
	expect(setCalls(200)).toBe(1);
	expect(sim.level(item(9), LOC)?.available).toBe(expected.get(9));
	expect(await breaker()).toMatchObject({ state: 'closed', failures: 0 });

	// 4. Replay every dead letter (the Ledger's Dead Letters → Replay): their SKUs are dirty again at the
	//    current rev; one Publish brings every SKU to the ledger's latest value. SKU 9 already shows it
	//    (unchanged, not written); SKU 5 gets the value after the sale, not the one in its records.
	const ids = (await publishDeadLetters()).map((l) => l.id);
	expect(ids).toHaveLength(4);
	const replayed = await replayByIds(redis, prefix, ids);
	expect(replayed.map((r) => r.outcome)).toEqual(['requeued', 'requeued', 'requeued', 'requeued']);
	expect(await redis.zcard(ledgerKeys.dirty(prefix, 'shop'))).toBe(600);
	const recovered = await publish(settings);
	expect(recovered).toMatchObject({
		skus: 600,
		written: 599,
		unchanged: 1,
		deadLettered: 0,
		remaining: 0,
	});
	expect(setCalls(200)).toBe(1 + 3);
	for (let i = 0; i < 600; i++) {
		const shown = sim.level(item(i), LOC)?.available;
		if (shown !== expected.get(i))
			throw new Error(`${sku(i)}: Shopify shows ${shown}, the ledger has ${expected.get(i)}`);
	}
	expect(sim.level(item(5), LOC)?.available).toBe(seeded(5) - 2);
	expect(await publishDeadLetters()).toEqual([]);

	// 5. Replaying the same records again changes nothing: every one was already replayed, nothing is dirty,
	//    and a Publish makes no call.
	const before = calls();
	const again = await replayByIds(redis, prefix, ids);
	expect(again.map((r) => r.outcome)).toEqual([
		'alreadyReplayed',
		'alreadyReplayed',
		'alreadyReplayed',
		'alreadyReplayed',
	]);
	expect(await redis.zcard(ledgerKeys.dirty(prefix, 'shop'))).toBe(0);
	const idle = await publish(settings);
	expect(idle).toMatchObject({ skus: 0, written: 0, calls: 0 });
	expect(calls()).toBe(before);
}, 30_000);

test('a sale while the dead letters wait: the replayed Publish writes the ledger’s latest value, not the one in the record', async () => {
	// A breaker that does not open here: this test is about the value a replay writes.
	const settings = { failureThreshold: 100, coolDownMs: COOL_DOWN_MS };
	await seed(5);
	sim.unavailableFor(OUTAGE_MS);
	expect(await publish(settings)).toMatchObject({ written: 0, deadLettered: 5 });
	const [old] = await publishDeadLetters();
	expect(old.items.find((x) => x.sku === sku(2))?.quantity).toBe(seeded(2));

	// The sale is published during the outage too: a second record, with the new value, stays unreplayed.
	await sale('9101', 2, 2);
	expect(await publish(settings)).toMatchObject({ written: 0, deadLettered: 1 });
	const letters = await publishDeadLetters();
	expect(letters).toHaveLength(2);
	expect(letters[1].items).toEqual([
		expect.objectContaining({ sku: sku(2), quantity: seeded(2) - 2 }),
	]);

	// Outage over; only the OLD record is replayed. Its SKUs are published at what the ledger holds now.
	clock += OUTAGE_MS;
	const [result] = await replayByIds(redis, prefix, [old.id]);
	expect(result.outcome).toBe('requeued');
	expect(await publish(settings)).toMatchObject({ written: 5, deadLettered: 0, remaining: 0 });
	expect(sim.level(item(2), LOC)?.available).toBe(seeded(2) - 2);
	for (const i of [0, 1, 3, 4]) expect(sim.level(item(i), LOC)?.available).toBe(seeded(i));
	expect((await publishDeadLetters()).map((l) => l.id)).toEqual([letters[1].id]);
});
