import type Redis from 'ioredis';
import type { IDataObject } from 'n8n-workflow';
import { applyEvents } from '../../nodes/InventoryLedger/ledger';
import { wooProductEvents } from '../../nodes/shared/events/woocommerce';
import { toJson } from '../simulators/json';
import { ledgerKeys } from '../../nodes/shared/keys';
import { closeAllRedis } from '../../nodes/shared/redis';
import { wooKeys } from '../../nodes/WooCommerceInventory/stock/idMap';
import type { WooCommerceSimulator } from '../simulators/woocommerce';
import { deleteByPrefix, testClient, uniquePrefix } from '../support';
import {
	WEBHOOK_SECRET,
	resultsOf,
	runWoo,
	saveWooProfile,
	shopOf,
	startCollector,
	startWoo,
} from './wooHarness';

// Get Stock, Resolve IDs and Subscriptions of the WooCommerce Inventory node, on the simulator.
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

async function setup(name: string) {
	const prefix = uniquePrefix(name);
	prefixes.push(prefix);
	const sim = await startWoo();
	sims.push(sim);
	await saveWooProfile(redis, prefix, shopOf(sim));
	return { prefix, sim };
}

/** 120 simple products (paging), one unmanaged, one variable parent with 3 variations (one stock from parent). */
function shop(sim: WooCommerceSimulator): void {
	for (let i = 0; i < 120; i++)
		sim.putProduct({ id: 100 + i, sku: `G-${i}`, stock_quantity: i, manage_stock: true });
	sim.putProduct({ id: 900, sku: 'UNMANAGED', manage_stock: false, stock_quantity: null });
	sim.putProduct({ id: 1000, sku: '', type: 'variable', manage_stock: false });
	sim.putProduct({ id: 1001, parent_id: 1000, sku: 'GV-1', stock_quantity: 4, manage_stock: true });
	sim.putProduct({ id: 1002, parent_id: 1000, sku: 'GV-2', stock_quantity: 6, manage_stock: true });
	sim.putProduct({ id: 1003, parent_id: 1000, sku: 'GV-3', manage_stock: 'parent' });
}

it('Get Stock: every product and variation as the trigger’s mapping and observation items (stock-managed only observed); Stock Items as an option', async () => {
	const { prefix, sim } = await setup('woo-getstock');
	shop(sim);
	const items = resultsOf(await runWoo({ prefix, sim, params: { operation: 'getStock' } }));
	const mappings = items.filter((i) => i.kind === 'mapping');
	const observations = items.filter((i) => i.kind === 'observation');
	// 120 + unmanaged + parent + 3 variations mapped; 120 + 2 managed variations observed.
	expect(mappings).toHaveLength(125);
	expect(observations).toHaveLength(122);
	expect(sim.countCalls('GET /products')).toBe(2); // 100 + 22 records in 2 pages
	expect(sim.countCalls('GET /products/1000/variations')).toBe(1);
	const shopName = shopOf(sim);
	// The same ids and shapes as the trigger's product.updated (wooProductEvents), via 'reconciliation'.
	const variation = sim.getProduct(1001)!;
	const expected = wooProductEvents(JSON.parse(toJson(variation)), {
		shop: shopName,
		topic: 'product.read',
		via: 'reconciliation',
		receivedAt: 'x',
	});
	const got = items.filter((i) => (i.refs as IDataObject)?.variantId === '1001');
	expect(got.map((g) => g.id)).toEqual(expected.map((e) => e.id));
	expect(got.find((g) => g.kind === 'observation')).toMatchObject({
		quantity: 4,
		sku: 'GV-1',
		locationId: `woocommerce:${shopName}:default`,
		refs: { productId: '1000', variantId: '1001' },
		source: { platform: 'woocommerce', shop: shopName, via: 'reconciliation' },
	});
	expect(await redis.hget(wooKeys.parents(prefix, shopName), '1002')).toBe('1000');
	// Applied by the Ledger: mappings fill the map, observations are recorded, never levels.
	const results = await applyEvents(redis, prefix, items);
	expect(results.filter((r) => r.outcome === 'invalid').map((r) => r.reason)).toEqual(['blankSku']);
	expect(await redis.hget(ledgerKeys.map(prefix, 'woocommerce', shopName), 'sku:GV-2')).toBe(
		'variant:1002',
	);

	const stock = resultsOf(
		await runWoo({ prefix, sim, params: { operation: 'getStock', stockOutput: 'stock' } }),
	);
	expect(stock).toHaveLength(122);
	expect(stock.find((s) => s.sku === 'GV-2')).toMatchObject({
		productId: '1000',
		variationId: '1002',
		stockQuantity: 6,
	});
	expect(stock.find((s) => s.sku === 'G-7')).toMatchObject({
		productId: '107',
		variationId: null,
		stockQuantity: 7,
	});
});

it('Resolve IDs: ids ↔ SKUs into the map; duplicates and blank SKUs reported, never mapped; SKU scope', async () => {
	const { prefix, sim } = await setup('woo-resolve');
	sim.putProduct({ id: 1, sku: 'R-1', stock_quantity: 1 });
	sim.putProduct({ id: 2, sku: 'DUP', stock_quantity: 1 });
	sim.putProduct({ id: 3, sku: 'DUP', stock_quantity: 1 });
	sim.putProduct({ id: 4, sku: '', stock_quantity: 1 });
	sim.putProduct({ id: 10, sku: 'R-P', type: 'variable', manage_stock: false });
	sim.putProduct({ id: 11, parent_id: 10, sku: 'R-V', stock_quantity: 2 });
	// Ids the Ledger met without a SKU (its unmapped set): the whole-catalogue read settles the mapped ones.
	const unmappedKey = ledgerKeys.unmapped(prefix, 'woocommerce', shopOf(sim));
	await redis.sadd(unmappedKey, 'product:1', 'variant:11', 'product:4');
	const [first] = resultsOf(await runWoo({ prefix, sim, params: { operation: 'resolveIds' } }));
	expect(await redis.smembers(unmappedKey)).toEqual(['product:4']);
	expect(first).toMatchObject({
		unmappedLeft: 1,
		records: 6,
		mapped: 3,
		unchanged: 0,
		duplicateSkus: 1,
		blankSkus: 1,
		duplicates: [{ sku: 'DUP', ids: ['2', '3'] }],
		blank: ['4'],
	});
	const shopName = shopOf(sim);
	const map = await redis.hgetall(ledgerKeys.map(prefix, 'woocommerce', shopName));
	expect(map['sku:R-1']).toBe('product:1');
	expect(map['sku:R-V']).toBe('variant:11');
	expect(map['sku:DUP']).toBeUndefined();
	expect(await redis.hget(wooKeys.parents(prefix, shopName), '11')).toBe('10');

	const [again] = resultsOf(await runWoo({ prefix, sim, params: { operation: 'resolveIds' } }));
	expect(again).toMatchObject({ mapped: 0, unchanged: 3 });

	const [some] = resultsOf(
		await runWoo({
			prefix,
			sim,
			params: { operation: 'resolveIds', resolveScope: 'skus', skus: 'R-V, NOPE\nDUP' },
		}),
	);
	expect(some).toMatchObject({
		records: 3,
		unchanged: 1,
		duplicateSkus: 1,
		notFound: 1,
		notFoundSkus: ['NOPE'],
		calls: 1,
	});
});

it('Subscriptions: a disabled webhook re-activated, a missing one created, an active one found; a second run changes nothing', async () => {
	const { prefix, sim } = await setup('woo-subs');
	const collector = await startCollector();
	closers.push(collector.close);
	const created = await sim.createWebhook({
		topic: 'order.created',
		delivery_url: collector.url,
		secret: WEBHOOK_SECRET,
	});
	const updated = await sim.createWebhook({
		topic: 'order.updated',
		delivery_url: collector.url,
		secret: WEBHOOK_SECRET,
	});
	// Another URL's webhook of the same topic is none of ours.
	await sim.createWebhook({
		topic: 'product.updated',
		delivery_url: 'https://elsewhere.example/x',
	});
	created.status = 'disabled'; // WooCommerce disabled it after repeated failed deliveries
	const params = { operation: 'subscriptions', deliveryUrl: collector.url };

	const [report] = resultsOf(await runWoo({ prefix, sim, params }));
	expect(report).toMatchObject({
		deliveryUrl: collector.url,
		found: [{ topic: 'order.updated', id: String(updated.id) }],
		reactivated: [{ topic: 'order.created', id: String(created.id), was: 'disabled' }],
		created: [{ topic: 'product.updated', status: 'active' }],
		problems: [],
	});
	expect(created.status).toBe('active');
	const product = [...sim.webhooks.values()].find(
		(w) => w.topic === 'product.updated' && w.deliveryUrl === collector.url,
	)!;
	expect(product.secret).toBe(WEBHOOK_SECRET);
	expect(collector.received.some((r) => r.body === `webhook_id=${product.id}`)).toBe(true); // its ping

	const [second] = resultsOf(await runWoo({ prefix, sim, params }));
	expect(second).toMatchObject({ reactivated: [], created: [], problems: [] });
	expect((second.found as unknown[]).length).toBe(3);

	// Creating without a Webhook Secret is refused before any webhook is made.
	await sim.stop();
	const bare = await startWoo();
	sims.push(bare);
	const webhooks = bare.webhooks.size;
	await expect(runWoo({ prefix, sim: bare, params, webhookSecret: '' })).rejects.toThrow(
		/Set a Webhook Secret/,
	);
	expect(bare.webhooks.size).toBe(webhooks);
});
