import type Redis from 'ioredis';
import type { IDataObject } from 'n8n-workflow';
import { applyEvents } from '../../nodes/InventoryLedger/ledger';
import { normalizeDelivery, pickHeaders } from '../../nodes/shared/events';
import { channelKeys, ledgerKeys } from '../../nodes/shared/keys';
import { closeAllRedis } from '../../nodes/shared/redis';
import type { WooCommerceSimulator } from '../simulators/woocommerce';
import { deleteByPrefix, testClient, uniquePrefix } from '../support';
import {
	CHANNEL,
	WAREHOUSE,
	WEBHOOK_SECRET,
	resultsOf,
	runWoo,
	saveWooProfile,
	setLevels,
	shopOf,
	startCollector,
	startWoo,
} from './wooHarness';

// Poll Orders: WooCommerce never retries a webhook; the catch-up poll recovers a lost one, exactly once.
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

/** The simulator on a clock of the test's own (order times have whole seconds: changes are seconds apart). */
async function setup(name: string) {
	const prefix = uniquePrefix(name);
	prefixes.push(prefix);
	const clock = { now: Date.now() - 60_000 };
	const sim = await startWoo({ now: () => clock.now });
	sims.push(sim);
	await saveWooProfile(redis, prefix, shopOf(sim));
	return { prefix, sim, clock };
}

async function ledgerUnits(prefix: string, sku: string): Promise<number> {
	return Number(await redis.hget(ledgerKeys.ledger(prefix, sku), `q:${WAREHOUSE}`));
}

const poll = async (prefix: string, sim: WooCommerceSimulator, pollOptions: IDataObject = {}) => {
	const items = resultsOf(
		await runWoo({ prefix, sim, params: { operation: 'pollOrders', pollOptions } }),
	);
	return { summary: items[0].summary as IDataObject, results: items.slice(1) };
};

it('an order whose webhooks were dropped is applied by the poll once; the late webhook and a second poll change nothing', async () => {
	const { prefix, sim, clock } = await setup('woo-poll-lost');
	const collector = await startCollector();
	closers.push(collector.close);
	sim.putProduct({ id: 10_000, sku: 'C-1', stock_quantity: 10, manage_stock: true });
	await setLevels(redis, prefix, [['C-1', 10]], clock.now - 1000); // as of the shop's clock: its orders come after
	for (const topic of ['order.created', 'order.updated'])
		await sim.createWebhook({ topic, delivery_url: collector.url, secret: WEBHOOK_SECRET });

	sim.dropNextDeliveries(1, 'order.created');
	clock.now += 2000;
	const order = sim.placeOrder({ lines: [{ sku: 'C-1', quantity: 3 }] });
	await sim.flushDeliveries();
	const orderDeliveries = () =>
		collector.received.filter((r) => String(r.headers['x-wc-webhook-topic']).startsWith('order.'));
	expect(orderDeliveries()).toHaveLength(0); // lost, never retried
	expect(sim.droppedDeliveries).toHaveLength(1);

	const pollStart = Date.now();
	const first = await poll(prefix, sim);
	expect(first.summary).toMatchObject({
		channel: CHANNEL,
		startedFrom: 'initial',
		orders: 1,
		events: 1,
		applied: 1,
		invalid: 0,
		cursorAfter: order.date_modified_gmt,
	});
	expect(first.results[0]).toMatchObject({
		id: `woocommerce:${shopOf(sim)}:order:${String(order.id)}:line:${String((order.line_items as IDataObject[])[0].id)}`,
		result: { outcome: 'applied', sku: 'C-1', delta: -3 },
	});
	expect(await ledgerUnits(prefix, 'C-1')).toBe(7);
	expect(await redis.get(channelKeys.cursor(prefix, CHANNEL))).toBe(order.date_modified_gmt);
	expect(Number(await redis.get(channelKeys.polled(prefix, CHANNEL)))).toBeGreaterThanOrEqual(
		pollStart,
	);

	// The webhook arrives late after all (as WooCommerce would have sent it): the Ledger skips it.
	await sim.deliver('order.created', sim.getOrder(String(order.id))!);
	expect(orderDeliveries()).toHaveLength(1);
	const late = orderDeliveries()[0];
	const normalized = normalizeDelivery({
		platform: 'woocommerce',
		headers: pickHeaders('woocommerce', late.headers as Record<string, string>),
		rawBody: late.body,
		receivedAt: new Date().toISOString(),
	});
	expect(normalized.events).toHaveLength(1);
	expect(normalized.events[0].id).toBe(first.results[0].id); // the same business identity
	const lateResults = await applyEvents(redis, prefix, normalized.events);
	expect(lateResults.map((r) => [r.outcome, r.reason])).toEqual([['skipped', 'unchanged']]);
	expect(await ledgerUnits(prefix, 'C-1')).toBe(7);

	// A second poll reads the order again (overlap): the Ledger holds it at that version, so it is left out.
	const second = await poll(prefix, sim);
	expect(second.summary).toMatchObject({
		startedFrom: 'cursor',
		orders: 1,
		held: 1,
		events: 0,
		applied: 0,
	});
	expect(await ledgerUnits(prefix, 'C-1')).toBe(7);
	// Skip Orders Already Applied off: applied again, and the Ledger skips it.
	const again = await poll(prefix, sim, { skipHeldOrders: false });
	expect(again.summary).toMatchObject({ orders: 1, held: 0, applied: 0, skipped: 1 });
	expect(await ledgerUnits(prefix, 'C-1')).toBe(7);

	// The cancellation's order.updated is lost too: the poll restores the units, once.
	sim.dropNextDeliveries(1, 'order.updated');
	clock.now += 5000;
	const cancelled = sim.setOrderStatus(String(order.id), 'cancelled');
	await sim.flushDeliveries();
	expect(orderDeliveries()).toHaveLength(1);
	const third = await poll(prefix, sim);
	expect(third.summary).toMatchObject({
		orders: 1,
		applied: 1,
		cursorAfter: cancelled.date_modified_gmt,
	});
	expect(third.results[0]).toMatchObject({ result: { outcome: 'applied', delta: 3 } });
	expect(await ledgerUnits(prefix, 'C-1')).toBe(10);
	// …and its late webhook, an older version (the created one) too, change nothing.
	await sim.deliver('order.updated', sim.getOrder(String(order.id))!);
	const updatedLate = orderDeliveries()[1];
	const events = normalizeDelivery({
		platform: 'woocommerce',
		headers: pickHeaders('woocommerce', updatedLate.headers as Record<string, string>),
		rawBody: updatedLate.body,
		receivedAt: new Date().toISOString(),
	}).events;
	expect((await applyEvents(redis, prefix, events)).map((r) => r.outcome)).toEqual(['skipped']);
	expect(
		(await applyEvents(redis, prefix, normalized.events)).map((r) => [r.outcome, r.reason]),
	).toEqual([['skipped', 'stale']]);
	expect(await ledgerUnits(prefix, 'C-1')).toBe(10);
});

it('pages by moving the window: 150 orders saved in one second and 120 more over later seconds, each applied once', async () => {
	const { prefix, sim, clock } = await setup('woo-poll-pages');
	sim.putProduct({ id: 10_000, sku: 'P-1', stock_quantity: 1000, manage_stock: true });
	await setLevels(redis, prefix, [['P-1', 1000]], clock.now - 1000); // as of the shop's clock: its orders come after
	clock.now += 1000;
	for (let i = 0; i < 150; i++) sim.placeOrder({ lines: [{ sku: 'P-1', quantity: 1 }] });
	for (let i = 0; i < 120; i++) {
		if (i % 40 === 0) clock.now += 1000;
		sim.placeOrder({ lines: [{ sku: 'P-1', quantity: 1 }] });
	}
	await sim.flushDeliveries();
	const { summary } = await poll(prefix, sim);
	expect(summary).toMatchObject({ orders: 270, events: 270, applied: 270, more: false });
	expect(summary.pages as number).toBeGreaterThanOrEqual(3);
	expect(await ledgerUnits(prefix, 'P-1')).toBe(730);
	const again = await poll(prefix, sim);
	expect(again.summary).toMatchObject({ applied: 0 });
	expect(await ledgerUnits(prefix, 'P-1')).toBe(730);
	// Every order request asked in GMT, oldest modified first.
	expect(sim.countCalls('GET /orders', 200)).toBe(sim.countCalls('GET /orders'));
});

it('Max Pages stops a long catch-up: the cursor keeps the place, the poll marker waits for a complete poll', async () => {
	const { prefix, sim, clock } = await setup('woo-poll-max');
	sim.putProduct({ id: 10_000, sku: 'M-1', stock_quantity: 1000, manage_stock: true });
	await setLevels(redis, prefix, [['M-1', 1000]], clock.now - 1000); // as of the shop's clock: its orders come after
	for (let i = 0; i < 250; i++) {
		if (i % 50 === 0) clock.now += 1000;
		sim.placeOrder({ lines: [{ sku: 'M-1', quantity: 1 }] });
	}
	const first = await poll(prefix, sim, { maxPages: 1 });
	expect(first.summary).toMatchObject({ pages: 1, orders: 100, more: true });
	expect(await redis.get(channelKeys.polled(prefix, CHANNEL))).toBeNull();
	let rounds = 0;
	for (let s = first.summary; s.more === true && rounds < 10; rounds++)
		s = (await poll(prefix, sim, { maxPages: 1 })).summary;
	expect(await ledgerUnits(prefix, 'M-1')).toBe(750);
	expect(await redis.get(channelKeys.polled(prefix, CHANNEL))).not.toBeNull();
});
