import type Redis from 'ioredis';
import { applyEvents, getSkus, saveProfile } from '../../nodes/InventoryLedger/ledger';
import { normalizeDelivery, type InventoryEvent } from '../../nodes/shared/events';
import { deliveryFromEntry } from '../../nodes/shared/inbox';
import { inboxKey } from '../../nodes/shared/keys';
import { startReceiver, type RunningReceiver } from '../../receiver/server';
import { ShopifySimulator, WooCommerceSimulator, shopifyOrder, wooOrder } from '../simulators';
import { TEST_REDIS, deleteByPrefix, testClient, uniquePrefix } from '../support';
import { CASE_SECRETS } from '../support/signatureCases';
import { SHOPIFY_PATH, WOO_PATH, entries, receiverConfig } from './receiverHarness';

/**
 * Issue 15's finding, on the Inventory Receiver and the Ledger: the unsigned shop header must never change
 * what a signed body says. One captured signed order is resent under another shop's header; the receiver
 * stores it under its configured shop, so both deliveries give the same ids and the Ledger draws the units
 * once — also when the profile's channel names no shop (the case where the header used to open a new shop).
 */
jest.setTimeout(60_000);

const prefix = uniquePrefix('receipt-shop');
const stream = inboxKey(prefix, 'inbox');
const WH = 'ledger:wh';
const SHOP = 'demo-shop.myshopify.com'; // the receiver harness's Shopify shop
const WOO = 'shop.example.com'; // … and its WooCommerce shop
let admin: Redis;
let receiver: RunningReceiver;
const logs: Array<Record<string, unknown>> = [];

beforeAll(async () => {
	admin = testClient();
	receiver = await startReceiver(receiverConfig(TEST_REDIS, prefix), {
		logger: (l) => logs.push(l),
	});
	await saveProfile(admin, prefix, {
		dryRun: true,
		locations: [{ id: WH, owner: 'ledger' }],
		// No `shop` on either channel: any shop of the platform is this channel's.
		channels: [
			{
				name: 'shopify',
				platform: 'shopify',
				salesLocation: WH,
				places: [{ id: `shopify:${SHOP}:61002`, shows: [WH] }],
			},
			{
				name: 'woo',
				platform: 'woocommerce',
				salesLocation: WH,
				places: [{ id: `woocommerce:${WOO}:default`, shows: [WH] }],
			},
		],
	});
	const seed = (sku: string): InventoryEvent => ({
		kind: 'level',
		id: `manual:erp:level:${sku}`,
		version: 1,
		source: { platform: 'manual', shop: 'erp', topic: 'count', via: 'manual' },
		sku,
		refs: {},
		locationId: WH,
		quantity: 10,
		occurredAt: new Date(0).toISOString(),
		receivedAt: new Date(0).toISOString(),
	});
	await applyEvents(admin, prefix, [seed('RS-S'), seed('RS-W')]);
});
afterAll(async () => {
	await receiver.close();
	await deleteByPrefix(admin, prefix);
	await admin.quit();
});

/** Every stored delivery since `from` (exclusive), through the Inbox Trigger's reader and the normaliser. */
async function storedEvents(from: number): Promise<InventoryEvent[][]> {
	const stored = (await entries(admin, stream)).slice(from);
	return stored.map((e) => {
		const delivery = deliveryFromEntry([...e.fields].flatMap(([k, v]) => [Buffer.from(k), v]));
		const result = normalizeDelivery(delivery);
		expect(result.invalid).toEqual([]);
		return result.events;
	});
}

async function quantities(sku: string): Promise<unknown> {
	const { states } = await getSkus(admin, prefix, [sku]);
	return states[0].quantities;
}

it('Shopify: the same signed order under another X-Shopify-Shop-Domain → the same ids, the units drawn once', async () => {
	const shopify = new ShopifySimulator({ webhookSecret: CASE_SECRETS.shopify.current });
	const order = shopify.serialize(shopifyOrder({ lines: [{ sku: 'RS-S', quantity: 3 }] }));
	const url = receiver.url + SHOPIFY_PATH;
	const before = (await entries(admin, stream)).length;
	expect((await shopify.sendWebhook(url, 'orders/create', order)).status).toBe(200);
	const replay = await shopify.sendWebhook(url, 'orders/create', order, {
		shopDomain: 'replayed-elsewhere.myshopify.com',
	});
	expect(replay.status).toBe(200);
	const [first, second] = await storedEvents(before);
	expect(first.map((e) => e.id)).toEqual([expect.stringMatching(`^shopify:${SHOP}:order:`)]);
	expect(second.map((e) => e.id)).toEqual(first.map((e) => e.id));
	expect(second.map((e) => e.source.shop)).toEqual([SHOP]);

	const applied = await applyEvents(admin, prefix, [...first, ...second]);
	expect(applied.map((r) => r.outcome)).toEqual([
		'applied',
		expect.not.stringMatching(/^applied$/),
	]);
	expect(await quantities('RS-S')).toEqual({ [WH]: 7 });
	expect(logs).toContainEqual(
		expect.objectContaining({
			event: 'shop_header_ignored',
			shop: SHOP,
			header: 'replayed-elsewhere.myshopify.com',
		}),
	);
});

it('WooCommerce: the same signed order under another X-WC-Webhook-Source → the same ids, the units drawn once', async () => {
	const woo = new WooCommerceSimulator({ consumerKey: 'ck_test', consumerSecret: 'cs_test' });
	const secret = CASE_SECRETS.woocommerce.current;
	await woo.start(); // its deliveries name its own address as the source; the replay names another
	try {
		await replayWoo(woo, secret);
	} finally {
		await woo.stop();
	}
});

async function replayWoo(woo: WooCommerceSimulator, secret: string): Promise<void> {
	const order = woo.serialize(
		wooOrder({
			status: 'processing',
			lines: [{ productId: 93, sku: 'RS-W', quantity: 2, reducedStock: 2 }],
		}),
	);
	const url = receiver.url + WOO_PATH;
	const before = (await entries(admin, stream)).length;
	expect((await woo.sendWebhook(url, 'order.created', order, { secret })).status).toBe(200);
	const replay = await woo.sendWebhook(url, 'order.created', order, {
		secret,
		headers: { 'X-WC-Webhook-Source': 'https://replayed.example/' },
	});
	expect(replay.status).toBe(200);
	const [first, second] = await storedEvents(before);
	expect(first.map((e) => e.id)).toEqual([expect.stringMatching(`^woocommerce:${WOO}:order:`)]);
	expect(second.map((e) => e.id)).toEqual(first.map((e) => e.id));
	const applied = await applyEvents(admin, prefix, [...first, ...second]);
	expect(applied.map((r) => r.outcome)).toEqual([
		'applied',
		expect.not.stringMatching(/^applied$/),
	]);
}
