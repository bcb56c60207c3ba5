/**
 * Inventory Guard in a real n8n 2.41.1: Inventory Webhook Trigger → Guard (Deduplicate) → NoOps. The same signed
 * webhook posted 5× at once (Shopify's retries and overlapping subscriptions look like this) gives exactly one
 * item on New across all five runs.
 */
import * as path from 'node:path';
import Redis from 'ioredis';
import { REPO_ROOT, startN8n, type N8nInstance } from './harness';
import { ShopifySimulator, shopifyOrder } from '../simulators';
import { TEST_REDIS } from '../support';

jest.setTimeout(240_000);

const SECRET = 'guard-e2e-secret';
const PREFIX = `e2eguard${process.pid}`;
let n8n: N8nInstance;
let shopify: ShopifySimulator;
const redis = new Redis({ host: TEST_REDIS.host, port: TEST_REDIS.port, lazyConnect: true });

beforeAll(async () => {
	await redis.connect();
	shopify = new ShopifySimulator({ webhookSecret: SECRET });
	await shopify.start();
	n8n = await startN8n({
		extensions: [path.join(REPO_ROOT, 'dist')],
		credentials: [
			{
				id: 'shopifyG',
				name: 'shopifyG',
				type: 'shopifyInventoryApi',
				data: {
					shopDomain: shopify.baseUrl,
					authentication: 'accessToken',
					accessToken: 'shpat_test',
					webhookSecret: SECRET,
				},
			},
			{
				id: 'redisG',
				name: 'redisG',
				type: 'inventoryRedisApi',
				data: { host: TEST_REDIS.host, port: TEST_REDIS.port, database: 0, keyPrefix: PREFIX },
			},
		],
		workflows: [
			{
				id: 'guardDedupe001',
				name: 'guardDedupe001',
				active: true,
				nodes: [
					{
						id: 't',
						name: 'Trigger',
						type: 'CUSTOM.inventoryWebhookTrigger',
						typeVersion: 1,
						position: [0, 0],
						webhookId: 'guard-e2e',
						parameters: {
							platform: 'shopify',
							delivery: 'run',
							options: { manageSubscriptions: false },
						},
						credentials: { shopifyInventoryApi: { id: 'shopifyG', name: 'shopifyG' } },
					},
					{
						id: 'g',
						name: 'Inventory Guard',
						type: 'CUSTOM.inventoryGuard',
						typeVersion: 1,
						position: [300, 0],
						parameters: { operation: 'deduplicate' },
						credentials: { inventoryRedisApi: { id: 'redisG', name: 'redisG' } },
					},
					{
						id: 'n',
						name: 'New',
						type: 'n8n-nodes-base.noOp',
						typeVersion: 1,
						position: [600, -100],
						parameters: {},
					},
					{
						id: 'd',
						name: 'Duplicate',
						type: 'n8n-nodes-base.noOp',
						typeVersion: 1,
						position: [600, 100],
						parameters: {},
					},
				],
				connections: {
					Trigger: { main: [[{ node: 'Inventory Guard', type: 'main', index: 0 }], []] },
					'Inventory Guard': {
						main: [
							[{ node: 'New', type: 'main', index: 0 }],
							[{ node: 'Duplicate', type: 'main', index: 0 }],
						],
					},
				},
				settings: { executionOrder: 'v1' },
			},
		],
	});
});

afterAll(async () => {
	await n8n?.stop();
	await shopify?.stop();
	const keys = await redis.keys(`${PREFIX}:*`);
	if (keys.length) await redis.del(...keys);
	await redis.quit();
});

it('the same signed webhook posted 5× concurrently gives exactly one item on New', async () => {
	const url = n8n.webhookUrl('guard-e2e', 'webhook');
	const order = shopifyOrder({ lines: [{ sku: 'GUARD-1', quantity: 1 }] });
	const sends = await Promise.all(
		Array.from({ length: 5 }, () =>
			shopify.sendWebhook(url, 'orders/create', order, { eventId: 'same-event' }),
		),
	);
	expect(sends.map((s) => s.status)).toEqual([200, 200, 200, 200, 200]);

	const runs = await n8n.waitForExecutions({
		workflowId: 'guardDedupe001',
		count: 5,
		timeoutMs: 60_000,
	});
	expect(runs.map((r) => r.status)).toEqual([
		'success',
		'success',
		'success',
		'success',
		'success',
	]);
	let fresh = 0;
	let duplicates = 0;
	for (const run of runs) {
		const [news = [], dups = []] = n8n.nodeOutput(run, 'Inventory Guard');
		fresh += news.length;
		duplicates += dups.length;
	}
	expect(fresh).toBe(1);
	expect(duplicates).toBe(4);
});
