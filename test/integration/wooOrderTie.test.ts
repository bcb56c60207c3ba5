import type Redis from 'ioredis';
import { applyEvents } from '../../nodes/InventoryLedger/ledger';
import { closeAllRedis } from '../../nodes/shared/redis';
import { wooOrderLines } from '../../nodes/shared/events/woocommerce';
import { tiedOrderIds } from '../../nodes/shared/orderTies';
import { rereadWooOrders } from '../../nodes/WooCommerceInventory/orders/reread';
import { WooRestClient } from '../../nodes/WooCommerceInventory/transport/restClient';
import type { WooCommerceSimulator } from '../simulators/woocommerce';
import { testApiContext } from '../support/apiContext';
import { deleteByPrefix, testClient } from '../support';
import { CHANNEL, CONSUMER_KEY, CONSUMER_SECRET, setLevels, shopOf } from './wooHarness';
import { ONE_CLOCK_SKU as SKU, openOneClockWoo } from './wooOneClock';

/*
 * Two changes of one WooCommerce order in one second (design.md "Order version ties"): placed, then cancelled in
 * the same second. Both versions carry that second; the cancellation draws 0 where the sale drew 1, so the Ledger
 * skips it as a `tie` and the ledger still counts the sale. Re-Read Orders reads the order now and applies it
 * with `reread: true`: the ledger gives the unit back.
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

it('an order placed and cancelled in one second: the cancellation is a tie, and the re-read of the order gives the unit back', async () => {
	const t = await openOneClockWoo(redis, { prefixes, sims, closers }, 'woo-order-tie', 10, 60_000);
	const shop = shopOf(t.sim);
	await setLevels(redis, t.prefix, [[SKU, 10]], t.T);
	const api = testApiContext({
		woocommerce: {
			siteUrl: t.sim.baseUrl,
			consumerKey: CONSUMER_KEY,
			consumerSecret: CONSUMER_SECRET,
		},
	});
	const client = new WooRestClient(
		async (options) =>
			(await api.helpers.httpRequestWithAuthentication.call(
				api,
				'wooCommerceInventoryApi',
				options,
			)) as never,
		t.sim.baseUrl,
	);
	/** The order as the REST API answers (what a webhook body carries). */
	const read = async (id: string) =>
		(await client.request<unknown>({ method: 'GET', path: `/orders/${id}` })).body;
	const ctx = { shop, topic: 'order.updated', via: 'webhook' as const, receivedAt: '' };

	t.clock.now = t.T + 2000 + 100;
	const order = t.sim.placeOrder({ lines: [{ sku: SKU, quantity: 1 }] });
	const orderId = String(order.id);
	const sale = wooOrderLines(await read(orderId), ctx);
	expect((await applyEvents(redis, t.prefix, sale))[0]).toMatchObject({ outcome: 'applied' });
	expect(await t.ledgerAvailable()).toBe(9);

	// Same second: cancelled. Same version, drawn 0 instead of 1: a tie, not applied.
	t.clock.now = t.T + 2000 + 700;
	t.sim.setOrderStatus(orderId, 'cancelled');
	const cancel = wooOrderLines(await read(orderId), ctx);
	expect(cancel[0].version).toBe(sale[0].version);
	const [tie] = await applyEvents(redis, t.prefix, cancel);
	expect(tie).toMatchObject({ outcome: 'skipped', reason: 'tie', reread: true });
	expect(await t.ledgerAvailable()).toBe(9); // wrong until the order is read again

	// The Ledger's Skipped item, as the template hands it on; a non-tie item beside it is ignored.
	const items = [
		{ json: { ...cancel[0], ledger: tie } },
		{ json: { ...cancel[0], ledger: tie } },
		{ json: { ...sale[0], ledger: { outcome: 'skipped', reason: 'unchanged' } } },
	];
	const ids = tiedOrderIds(items, 'woocommerce');
	expect(ids).toEqual([orderId]);
	expect(tiedOrderIds(items, 'shopify')).toEqual([]);

	t.clock.now = t.T + 3000 + 100;
	const { summary, results } = await rereadWooOrders(
		redis,
		t.prefix,
		{
			redis,
			prefix: t.prefix,
			channel: CHANNEL,
			platform: 'woocommerce',
			deadline: t.clock.now + 30_000,
			now: () => t.clock.now,
		},
		client,
		shop,
		ids,
	);
	expect(summary).toMatchObject({ orders: 1, found: 1, applied: 1, missing: [] });
	expect(results[0]).toMatchObject({ outcome: 'applied' });
	expect(await t.ledgerAvailable()).toBe(10);
});
