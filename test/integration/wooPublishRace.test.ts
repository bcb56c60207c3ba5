import type Redis from 'ioredis';
import { recordPollFinished } from '../../nodes/shared/channel/pollMarker';
import { closeAllRedis } from '../../nodes/shared/redis';
import type { WooCommerceSimulator } from '../simulators/woocommerce';
import { deleteByPrefix, testClient } from '../support';
import { CHANNEL, setLevels } from './wooHarness';
import { ONE_CLOCK_SKU as SKU, openOneClockWoo } from './wooOneClock';

/*
 * The WooCommerce same-second race (issue 17): WooCommerce has no compare-and-set, its times have whole seconds,
 * and it moves its own stock for its own orders. When such an order lands in the second of our batch write,
 * its product.updated report carries the same version as our write's echo, and the receipt path keeps one
 * report per `id@version` (the Guard's default key): the later one is lost, or an earlier one is taken for a
 * report after our write. Publish then believed WooCommerce showed what it did not. Each test drives the
 * simulator and Publish on one clock of the test's own, and takes the simulator's deliveries through the
 * receipt path as the template runs it (the normaliser, the Guard's claim on `id@version`, the Ledger).
 */
jest.setTimeout(60_000);

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
	const t = await openOneClockWoo(redis, { prefixes, sims, closers }, name, stock, 120_000);
	const { T, clock } = t;
	/** First sync in second 1: the SKU mapped and published; its echo recorded. */
	const firstSync = async () => {
		await setLevels(redis, t.prefix, [[SKU, stock]], T);
		clock.now = T + 1000 + 100;
		const report = await t.publish();
		expect(report).toMatchObject({ written: 1, deadLettered: 0, remaining: 0 });
		await t.deliver();
		expect(t.shown()).toBe(stock);
	};
	return { ...t, firstSync };
}

it('a WooCommerce sale just after our batch write in the same second, its report lost behind our echo: Publish reads WooCommerce back instead of skipping, and WooCommerce ends at the ledger value', async () => {
	const t = await setup('woo-race-after', 10);
	await t.firstSync();

	// A restock counted at the warehouse (12, counted before the sale below); Publish writes it in second 2 at
	// .100 and its echo (12 @ second 2) is recorded.
	await setLevels(redis, t.prefix, [[SKU, 12]], t.T + 1900);
	t.clock.now = t.T + 2000 + 100;
	expect(await t.publish()).toMatchObject({ written: 1, remaining: 0 });
	await t.deliver();
	expect(t.shown()).toBe(12);

	// .600, the same second: a customer buys 1 on WooCommerce (12 → 11). Its product.updated (11 @ second 2) has
	// the version of our echo: the Guard drops it as a Duplicate. The order itself arrives and is applied.
	t.clock.now = t.T + 2000 + 600;
	t.sim.placeOrder({ lines: [{ sku: SKU, quantity: 1 }] });
	expect(await t.deliver()).toEqual({ applied: 1, duplicates: 2 }); // its mapping and observation dropped
	expect(t.shown()).toBe(11);

	// Second 3: a return counted at the warehouse brings the ledger back to 12: the ledger moved by −1 + 1, and
	// what Publish last recorded (12, confirmed by the echo) equals what it computes. WooCommerce shows 11.
	await setLevels(redis, t.prefix, [[SKU, 12]], t.T + 2900);
	expect(await t.ledgerAvailable()).toBe(12);
	t.clock.now = t.T + 3000 + 100;
	const reads = t.sim.countCalls(/^GET \/products$/);
	const race = await t.publish();
	expect(t.shown()).toBe(11);

	// The catch-up poll (started after that Publish) finishes, and Publish runs again: WooCommerce shows what the
	// ledger says.
	t.clock.now = t.T + 4000 + 100;
	await recordPollFinished(redis, t.prefix, CHANNEL, t.clock.now);
	t.clock.now += 100;
	await t.publish();
	await t.deliver();
	expect(t.shown()).toBe(await t.ledgerAvailable());
	expect(t.shown()).toBe(12);
	// How: at the race, what WooCommerce showed was read back (one GET), not believed — 11, below our write and
	// after it: the place was held there (mirror safety: a mirror that sold what the ledger may not have heard
	// of is not raised before a catch-up poll), and the poll released the hold and marked the SKU dirty again.
	expect(race).toMatchObject({ readBack: 1, held: 1, written: 0, remaining: 0 });
	expect(t.sim.countCalls(/^GET \/products$/) - reads).toBe(1);
});

it('a WooCommerce sale just before our batch write in the same second, its order arriving after the write: WooCommerce ends at the ledger value without waiting for a poll', async () => {
	const t = await setup('woo-race-before', 10);
	await t.firstSync();

	// Second 2, .100: a customer buys 1 on WooCommerce (10 → 9). Its deliveries wait in the inbox.
	t.clock.now = t.T + 2000 + 100;
	t.sim.placeOrder({ lines: [{ sku: SKU, quantity: 1 }] });
	// A restock counted at the warehouse (12), applied at once; Publish at .500 writes 12 over WooCommerce's 9.
	await setLevels(redis, t.prefix, [[SKU, 12]], t.T + 1900);
	t.clock.now = t.T + 2000 + 500;
	expect(await t.publish()).toMatchObject({ written: 1, remaining: 0 });
	expect(t.shown()).toBe(12);

	// The inbox reaches the deliveries: the sale's report (9 @ second 2, sent before our write) and the order are
	// applied; our write's echo (12 @ second 2) is a Duplicate of the sale's report and dropped. The ledger: 11.
	expect(await t.deliver()).toEqual({ applied: 3, duplicates: 2 });
	expect(await t.ledgerAvailable()).toBe(11);

	// A report in the second of our write that differs from it cannot be ordered (a tie). It is read back: 12,
	// what we wrote. Publish writes 11 — not 9, which a report from before our write would have held it at.
	t.clock.now = t.T + 3000 + 100;
	const next = await t.publish();
	expect(t.shown()).toBe(await t.ledgerAvailable());
	expect(t.shown()).toBe(11);
	expect(next).toMatchObject({ readBack: 1, held: 0, written: 1, remaining: 0 });
});

it('two WooCommerce sales of one product in one second (the second report lost) and a restock: the skip is read back, WooCommerce ends at the ledger value', async () => {
	const t = await setup('woo-race-twice', 10);
	await t.firstSync();

	t.clock.now = t.T + 5000 + 100;
	t.sim.placeOrder({ lines: [{ sku: SKU, quantity: 1 }] });
	await t.deliver(); // 9 @ second 5, after our write: recorded
	t.clock.now = t.T + 5000 + 400;
	t.sim.placeOrder({ lines: [{ sku: SKU, quantity: 2 }] });
	expect(await t.deliver()).toEqual({ applied: 1, duplicates: 2 }); // 7 @ second 5: dropped
	expect(t.shown()).toBe(7);
	// The ledger: 10 − 1 − 2, then a return of 2 counted: 9 — what the one report that arrived says.
	await setLevels(redis, t.prefix, [[SKU, 9]], t.T + 5900);
	t.clock.now = t.T + 6000 + 100;
	const skipped = await t.publish();
	t.clock.now = t.T + 7000 + 100;
	await recordPollFinished(redis, t.prefix, CHANNEL, t.clock.now);
	t.clock.now += 100;
	await t.publish();
	expect(t.shown()).toBe(await t.ledgerAvailable());
	expect(t.shown()).toBe(9);
	expect(skipped).toMatchObject({ readBack: 1, held: 1, written: 0 });
});
