/**
 * Inventory Ledger in a real n8n 2.41.1: Inventory Webhook Trigger → Guard (Deduplicate) → Ledger (Apply) →
 * NoOps, one workflow per platform, on signed Shopify and WooCommerce webhooks from the simulators. The ledger
 * state in Redis and the Ledger node's outputs are what the profile says they must be.
 *
 * `INVSYNC_E2E_DIST` may name another build of the package (default: the repo's dist/, from `npm run build`).
 */
import * as path from 'node:path';
import Redis from 'ioredis';
import { REPO_ROOT, startN8n, type N8nInstance } from './harness';
import {
	ShopifySimulator,
	WooCommerceSimulator,
	shopifyInventoryItem,
	shopifyInventoryLevel,
	shopifyOrder,
	wooOrder,
} from '../simulators';
import { ledgerKeys } from '../../nodes/shared/keys';
import { applyEvents, saveProfile } from '../../nodes/InventoryLedger/ledger';
import { TEST_REDIS } from '../support';

jest.setTimeout(300_000);

const SHOPIFY_SECRET = 'ledger-e2e-shopify';
const WOO_SECRET = 'ledger-e2e-woo';
const PREFIX = `e2eledger${process.pid}`;
const SHOP = 'demo-shop.myshopify.com';
const SHOP_LOC = `shopify:${SHOP}:601`;
const WH = 'ledger:wh';
let n8n: N8nInstance;
let shopify: ShopifySimulator;
let woo: WooCommerceSimulator;
const redis = new Redis({ host: TEST_REDIS.host, port: TEST_REDIS.port, lazyConnect: true });

function pipeline(id: string, platform: 'shopify' | 'woocommerce', webhookId: string) {
	const credentialType = platform === 'shopify' ? 'shopifyInventoryApi' : 'wooCommerceInventoryApi';
	const credentialId = platform === 'shopify' ? 'shopifyL' : 'wooL';
	return {
		id,
		name: id,
		active: true,
		nodes: [
			{
				id: `${id}t`,
				name: 'Trigger',
				type: 'CUSTOM.inventoryWebhookTrigger',
				typeVersion: 1,
				position: [0, 0],
				webhookId,
				parameters: { platform, delivery: 'run', options: { manageSubscriptions: false } },
				credentials: { [credentialType]: { id: credentialId, name: credentialId } },
			},
			{
				id: `${id}g`,
				name: 'Inventory Guard',
				type: 'CUSTOM.inventoryGuard',
				typeVersion: 1,
				position: [250, 0],
				parameters: { operation: 'deduplicate' },
				credentials: { inventoryRedisApi: { id: 'redisL', name: 'redisL' } },
			},
			{
				id: `${id}l`,
				name: 'Inventory Ledger',
				type: 'CUSTOM.inventoryLedger',
				typeVersion: 1,
				position: [500, 0],
				parameters: { operation: 'apply' },
				credentials: { inventoryRedisApi: { id: 'redisL', name: 'redisL' } },
			},
			{
				id: `${id}a`,
				name: 'Applied',
				type: 'n8n-nodes-base.noOp',
				typeVersion: 1,
				position: [750, -150],
				parameters: {},
			},
			{
				id: `${id}s`,
				name: 'Skipped',
				type: 'n8n-nodes-base.noOp',
				typeVersion: 1,
				position: [750, 0],
				parameters: {},
			},
			{
				id: `${id}i`,
				name: 'Invalid',
				type: 'n8n-nodes-base.noOp',
				typeVersion: 1,
				position: [750, 150],
				parameters: {},
			},
		],
		connections: {
			Trigger: { main: [[{ node: 'Inventory Guard', type: 'main', index: 0 }], []] },
			'Inventory Guard': { main: [[{ node: 'Inventory Ledger', type: 'main', index: 0 }], []] },
			'Inventory Ledger': {
				main: [
					[{ node: 'Applied', type: 'main', index: 0 }],
					[{ node: 'Skipped', type: 'main', index: 0 }],
					[{ node: 'Invalid', type: 'main', index: 0 }],
				],
			},
		},
		settings: { executionOrder: 'v1' },
	};
}

beforeAll(async () => {
	await redis.connect();
	// The profile every workflow shares: Shopify owns its location 601; the ledger owns the warehouse WooCommerce
	// sells from; WooCommerce shows both.
	await saveProfile(redis, PREFIX, {
		locations: [
			{ id: SHOP_LOC, owner: 'shopify' },
			{ id: WH, owner: 'ledger' },
		],
		channels: [
			{
				name: 'shopify',
				platform: 'shopify',
				shop: SHOP,
				salesLocation: SHOP_LOC,
				places: [{ id: SHOP_LOC, shows: [SHOP_LOC] }],
			},
			{
				name: 'woo',
				platform: 'woocommerce',
				salesLocation: WH,
				places: [{ id: 'woocommerce:default', shows: [WH, SHOP_LOC] }],
				buffer: { type: 'fixed', value: 1 },
			},
		],
	});
	await applyEvents(redis, PREFIX, [
		{
			kind: 'level',
			id: 'manual:erp:level:E2E-A',
			version: 1,
			source: { platform: 'manual', shop: 'erp', topic: 'count', via: 'manual' },
			sku: 'E2E-A',
			refs: {},
			locationId: WH,
			quantity: 10,
			occurredAt: '',
			receivedAt: '',
		},
	]);
	// The trigger asks the simulator its myshopify domain (the shop of the event ids) with the credential's token.
	shopify = new ShopifySimulator({ webhookSecret: SHOPIFY_SECRET, accessToken: 'shpat_l' });
	woo = new WooCommerceSimulator({
		consumerKey: 'ck_l',
		consumerSecret: 'cs_l',
		pingFailureDisables: false,
	});
	await shopify.start();
	await woo.start();
	n8n = await startN8n({
		extensions: [process.env.INVSYNC_E2E_DIST ?? path.join(REPO_ROOT, 'dist')],
		activateVia: 'api',
		credentials: [
			{
				id: 'shopifyL',
				name: 'shopifyL',
				type: 'shopifyInventoryApi',
				data: {
					shopDomain: shopify.baseUrl,
					authentication: 'accessToken',
					accessToken: 'shpat_l',
					webhookSecret: SHOPIFY_SECRET,
				},
			},
			{
				id: 'wooL',
				name: 'wooL',
				type: 'wooCommerceInventoryApi',
				data: {
					siteUrl: woo.baseUrl,
					consumerKey: 'ck_l',
					consumerSecret: 'cs_l',
					webhookSecret: WOO_SECRET,
				},
			},
			{
				id: 'redisL',
				name: 'redisL',
				type: 'inventoryRedisApi',
				data: { host: TEST_REDIS.host, port: TEST_REDIS.port, database: 0, keyPrefix: PREFIX },
			},
		],
		workflows: [
			pipeline('ledgerShopify01', 'shopify', 'ledger-shopify'),
			pipeline('ledgerWoo000001', 'woocommerce', 'ledger-woo'),
		],
	});
});

afterAll(async () => {
	await n8n?.stop();
	await shopify?.stop();
	await woo?.stop();
	const keys = await redis.keys(`${PREFIX}:*`);
	if (keys.length) await redis.del(...keys);
	await redis.quit();
});

type Outputs = {
	applied: Array<Record<string, any>>;
	skipped: Array<Record<string, any>>;
	invalid: Array<Record<string, any>>;
};
async function lastRun(workflowId: string, count: number): Promise<Outputs> {
	const runs = await n8n.waitForExecutions({ workflowId, count, timeoutMs: 60_000 });
	const run = runs[runs.length - 1];
	expect(run.status).toBe('success');
	const [applied = [], skipped = [], invalid = []] = n8n.nodeOutput(run, 'Inventory Ledger');
	return { applied, skipped, invalid };
}
const qty = async (sku: string, loc: string) =>
	Number(await redis.hget(ledgerKeys.ledger(PREFIX, sku), `q:${loc}`));

it('Shopify: an unmapped level goes to Invalid; after its mapping it sets the owned location; a web sale is audited only', async () => {
	const url = n8n.webhookUrl('ledger-shopify', 'webhook');
	const send = async (topic: string, body: object, n: number) => {
		expect((await shopify.sendWebhook(url, topic, body)).status).toBe(200);
		return lastRun('ledgerShopify01', n);
	};
	const unmapped = await send(
		'inventory_levels/update',
		shopifyInventoryLevel({
			inventoryItemId: 9001,
			locationId: 601,
			available: 7,
			updatedAt: '2026-11-26T10:00:00Z',
		}),
		1,
	);
	expect(unmapped.invalid.map((i) => i.ledger.reason)).toEqual(['unmapped']);
	const mapped = await send(
		'inventory_items/update',
		shopifyInventoryItem({ id: 9001, sku: 'E2E-A' }),
		2,
	);
	expect(mapped.applied.map((i) => i.ledger.effect)).toEqual(['mapped']);
	const level = await send(
		'inventory_levels/update',
		shopifyInventoryLevel({
			inventoryItemId: 9001,
			locationId: 601,
			available: 7,
			updatedAt: '2026-11-26T10:00:01Z',
		}),
		3,
	);
	expect(level.applied.map((i) => i.ledger)).toEqual([
		expect.objectContaining({
			outcome: 'applied',
			effect: 'level',
			sku: 'E2E-A',
			new: 7,
			dryRun: true,
		}),
	]);
	expect(await qty('E2E-A', SHOP_LOC)).toBe(7);
	const sale = await send(
		'orders/create',
		shopifyOrder({ lines: [{ sku: 'E2E-A', quantity: 2 }] }),
		4,
	);
	expect(sale.applied.map((i) => i.ledger)).toEqual([
		expect.objectContaining({ effect: 'owner', delta: -2 }),
	]);
	expect(await qty('E2E-A', SHOP_LOC)).toBe(7); // Shopify's own level event carries its sale
	expect(Number(await redis.zscore(ledgerKeys.dirty(PREFIX, 'woo'), 'E2E-A'))).toBeGreaterThan(0);
});

it('WooCommerce: a sale applies at the ledger warehouse once; a changed order applies the difference', async () => {
	const url = n8n.webhookUrl('ledger-woo', 'webhook');
	const send = async (body: object, n: number) => {
		expect((await woo.sendWebhook(url, 'order.updated', body, { secret: WOO_SECRET })).status).toBe(
			200,
		);
		return lastRun('ledgerWoo000001', n);
	};
	const t = Date.parse('2026-11-26T11:00:00Z');
	const order = (status: 'processing' | 'cancelled', reduced: number | null, at: number) =>
		wooOrder({
			id: 7001,
			status,
			dateModifiedGmt: new Date(at),
			lines: [
				{ id: 71, productId: 93, sku: 'E2E-A', quantity: 3, reducedStock: reduced },
				{
					id: 72,
					productId: 94,
					sku: 'E2E-B {x}',
					quantity: 1,
					reducedStock: reduced === null ? null : 1,
				},
			],
		});
	const first = await send(order('processing', 3, t), 1);
	expect(first.applied.map((i) => [i.ledger.sku, i.ledger.effect, i.ledger.delta])).toEqual([
		['E2E-A', 'ledger', -3],
		['E2E-B {x}', 'ledger', -1],
	]);
	expect(await qty('E2E-A', WH)).toBe(7);
	// The same order at a later version with a restocked unit: only the difference applies.
	const later = await send(order('processing', 2, t + 5000), 2);
	expect(later.applied.map((i) => i.ledger.delta)).toEqual([1]);
	expect(later.skipped.map((i) => i.ledger.reason)).toEqual(['unchanged']);
	// A redelivery of the same state: the Guard drops it (same id@version), the Ledger does not even run.
	expect(
		(
			await woo.sendWebhook(url, 'order.updated', order('processing', 2, t + 5000), {
				secret: WOO_SECRET,
			})
		).status,
	).toBe(200);
	const runs = await n8n.waitForExecutions({
		workflowId: 'ledgerWoo000001',
		count: 3,
		timeoutMs: 60_000,
	});
	const dup = runs[runs.length - 1];
	expect(n8n.nodeOutput(dup, 'Inventory Guard').map((o) => o.length)).toEqual([0, 2]);
	expect(dup.data?.resultData.runData['Inventory Ledger']).toBeUndefined();
	// An older state arriving late (a poll's old snapshot): the Guard passes it (a new key), the Ledger says stale.
	const old = await send(order('processing', 3, t - 5000), 4);
	expect(old.applied).toEqual([]);
	expect(old.skipped.map((i) => i.ledger.reason)).toEqual(['stale', 'stale']);
	expect(await qty('E2E-A', WH)).toBe(8);
	expect(await qty('E2E-B {x}', WH)).toBe(-1); // an oversell stays in the ledger
});
