/**
 * The shared receipt cases (test/support/signatureCases.ts) against the Inventory Webhook Trigger in inbox mode
 * in a real n8n 2.41.1 — the same table the Inventory Receiver runs in test/integration/receiver.test.ts, so
 * both receipt paths answer every signature and ping case the same way, byte for byte, and store the same
 * entries. (Engine: legacy; nothing here depends on it.)
 */
import Redis from 'ioredis';
import { inboxKey } from '../../nodes/shared/keys';
import { startN8n, type N8nInstance } from './harness';
import { ShopifySimulator, WooCommerceSimulator } from '../simulators';
import { TEST_REDIS, deleteByPrefix, uniquePrefix } from '../support';
import { CASE_SECRETS, SIGNATURE_CASES } from '../support/signatureCases';
import { snapshotDist, webhookTriggerNode, workflow } from './inboxSupport';

jest.setTimeout(240_000);

const prefix = uniquePrefix('e2ecases');
const stream = inboxKey(prefix, 'cases');
let n8n: N8nInstance;
let shopify: ShopifySimulator;
let woo: WooCommerceSimulator;
let redis: Redis;
let snapshot: ReturnType<typeof snapshotDist>;

beforeAll(async () => {
	snapshot = snapshotDist();
	redis = new Redis({ host: TEST_REDIS.host, port: TEST_REDIS.port, lazyConnect: true });
	await redis.connect();
	// The trigger asks the simulator its myshopify domain (the shop of the event ids) with the credential's token.
	shopify = new ShopifySimulator({
		webhookSecret: CASE_SECRETS.shopify.current,
		accessToken: 'shpat_cases',
	});
	woo = new WooCommerceSimulator({ consumerKey: 'ck_cases', consumerSecret: 'cs_cases' });
	await shopify.start();
	await woo.start();
	const receipt = (id: string, platform: 'shopify' | 'woocommerce') =>
		workflow(
			id,
			[
				webhookTriggerNode({
					platform,
					webhookId: `${id}-hook`,
					delivery: 'inbox',
					stream: 'cases',
					platformCredential: platform === 'shopify' ? 'shopifyC' : 'wooC',
					redisCredential: 'redisC',
				}),
			],
			{},
		);
	n8n = await startN8n({
		engine: 'legacy',
		extensions: [snapshot.dist],
		activateVia: 'api',
		credentials: [
			{
				id: 'shopifyC',
				name: 'shopifyC',
				type: 'shopifyInventoryApi',
				data: {
					shopDomain: shopify.baseUrl,
					authentication: 'accessToken',
					accessToken: 'shpat_cases',
					webhookSecret: CASE_SECRETS.shopify.current,
					previousWebhookSecret: CASE_SECRETS.shopify.previous,
				},
			},
			{
				id: 'wooC',
				name: 'wooC',
				type: 'wooCommerceInventoryApi',
				data: {
					siteUrl: woo.baseUrl,
					consumerKey: 'ck_cases',
					consumerSecret: 'cs_cases',
					webhookSecret: CASE_SECRETS.woocommerce.current,
					previousWebhookSecret: CASE_SECRETS.woocommerce.previous,
				},
			},
			{
				id: 'redisC',
				name: 'redisC',
				type: 'inventoryRedisApi',
				data: { host: TEST_REDIS.host, port: TEST_REDIS.port, database: 0, keyPrefix: prefix },
			},
		],
		workflows: [receipt('casesShopify01', 'shopify'), receipt('casesWoo000001', 'woocommerce')],
	});
});

afterAll(async () => {
	await n8n?.stop();
	await shopify?.stop();
	await woo?.stop();
	if (redis) {
		await deleteByPrefix(redis, prefix);
		await redis.quit();
	}
	snapshot?.remove();
});

describe('the shared receipt cases, against the Webhook Trigger in inbox mode', () => {
	it.each(SIGNATURE_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
		const before = await redis.xlen(stream);
		const url = n8n.webhookUrl(
			c.platform === 'shopify' ? 'casesShopify01-hook' : 'casesWoo000001-hook',
			'webhook',
		);
		const sent = await c.send({ shopify, woo }, url);
		expect(sent.status).toBe(c.expect.status);
		expect(sent.body).toBe(c.expect.body);
		const all = await redis.xrangeBuffer(stream, '-', '+');
		expect(all.length).toBe(before + (c.expect.stored ? 1 : 0));
		if (c.expect.stored) {
			const fields = all[all.length - 1][1];
			const body = fields[fields.findIndex((f, i) => i % 2 === 0 && f.toString() === 'body') + 1];
			expect(body.equals(Buffer.from(sent.rawBody as string))).toBe(true);
		}
	});
});
