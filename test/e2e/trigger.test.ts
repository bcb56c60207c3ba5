/**
 * The Inventory Webhook Trigger in a real n8n 2.41.1: signed deliveries from the local Shopify and WooCommerce
 * simulators, what n8n answers, which executions start, and what reaches the outputs.
 */
import { createHmac } from 'node:crypto';
import * as path from 'node:path';
import { REPO_ROOT, postRaw, startN8n, type Execution, type N8nInstance } from './harness';
import { waitFor } from '../support/wait';
import {
	ShopifySimulator,
	WooCommerceSimulator,
	shopifyInventoryLevel,
	shopifyOrder,
	shopifyRefund,
	toJson,
	wooOrder,
} from '../simulators';

jest.setTimeout(240_000);

const SHOPIFY_SECRET = 'shp-webhook-secret';
const SHOPIFY_OLD_SECRET = 'shp-previous-secret';
const WOO_SECRET = 'wc-webhook-secret';
const TRIGGER = 'Inventory Webhook Trigger';

function triggerWorkflow(opts: {
	id: string;
	platform: 'shopify' | 'woocommerce';
	webhookId: string;
	credentialId: string;
	manageSubscriptions: boolean;
	active: boolean;
}) {
	const credentialType =
		opts.platform === 'shopify' ? 'shopifyInventoryApi' : 'wooCommerceInventoryApi';
	return {
		id: opts.id,
		name: opts.id,
		active: opts.active,
		nodes: [
			{
				id: `${opts.id}-trigger`,
				name: TRIGGER,
				type: 'CUSTOM.inventoryWebhookTrigger',
				typeVersion: 1,
				position: [0, 0],
				webhookId: opts.webhookId,
				parameters: {
					platform: opts.platform,
					delivery: 'run',
					options: { manageSubscriptions: opts.manageSubscriptions },
				},
				credentials: { [credentialType]: { id: opts.credentialId, name: opts.credentialId } },
			},
			{
				id: `${opts.id}-events`,
				name: 'Events',
				type: 'n8n-nodes-base.noOp',
				typeVersion: 1,
				position: [300, -100],
				parameters: {},
			},
			{
				id: `${opts.id}-invalid`,
				name: 'Invalid',
				type: 'n8n-nodes-base.noOp',
				typeVersion: 1,
				position: [300, 100],
				parameters: {},
			},
		],
		connections: {
			[TRIGGER]: {
				main: [
					[{ node: 'Events', type: 'main', index: 0 }],
					[{ node: 'Invalid', type: 'main', index: 0 }],
				],
			},
		},
		settings: { executionOrder: 'v1' },
	};
}

let shopify: ShopifySimulator;
let woo: WooCommerceSimulator;
let n8n: N8nInstance;
let shopifyUrl: string;
let wooUrl: string;

beforeAll(async () => {
	shopify = new ShopifySimulator({
		webhookSecret: SHOPIFY_SECRET,
		accessToken: 'shpat_e2e',
		clientId: 'e2e-client',
		clientSecret: 'e2e-client-secret',
	});
	woo = new WooCommerceSimulator({
		consumerKey: 'ck_e2e',
		consumerSecret: 'cs_e2e',
		pingFailureDisables: false,
	});
	await shopify.start();
	await woo.start();
	n8n = await startN8n({
		extensions: [process.env.INVSYNC_E2E_DIST ?? path.join(REPO_ROOT, 'dist')],
		// 1 MiB instead of n8n's default 16, so the over-the-limit case below sends 1.5 MiB, not 17.
		env: { N8N_PAYLOAD_SIZE_MAX: '1' },
		credentials: [
			{
				id: 'shopifyCred',
				name: 'shopifyCred',
				type: 'shopifyInventoryApi',
				data: {
					shopDomain: shopify.baseUrl,
					authentication: 'accessToken',
					accessToken: 'shpat_e2e',
					apiVersion: '2026-10',
					webhookSecret: SHOPIFY_SECRET,
					previousWebhookSecret: SHOPIFY_OLD_SECRET,
				},
			},
			{
				id: 'wooCred',
				name: 'wooCred',
				type: 'wooCommerceInventoryApi',
				data: {
					siteUrl: woo.baseUrl,
					consumerKey: 'ck_e2e',
					consumerSecret: 'cs_e2e',
					webhookSecret: WOO_SECRET,
				},
			},
		],
		workflows: [
			triggerWorkflow({
				id: 'shopifyDirect01',
				platform: 'shopify',
				webhookId: 'shopify-direct',
				credentialId: 'shopifyCred',
				manageSubscriptions: false,
				active: true,
			}),
			triggerWorkflow({
				id: 'wooDirect00001',
				platform: 'woocommerce',
				webhookId: 'woo-direct',
				credentialId: 'wooCred',
				manageSubscriptions: false,
				active: true,
			}),
			triggerWorkflow({
				id: 'shopifySubs001',
				platform: 'shopify',
				webhookId: 'shopify-subs',
				credentialId: 'shopifyCred',
				manageSubscriptions: true,
				active: false,
			}),
			triggerWorkflow({
				id: 'wooSubs0000001',
				platform: 'woocommerce',
				webhookId: 'woo-subs',
				credentialId: 'wooCred',
				manageSubscriptions: true,
				active: false,
			}),
		],
	});
	shopifyUrl = n8n.webhookUrl('shopify-direct', 'webhook');
	wooUrl = n8n.webhookUrl('woo-direct', 'webhook');
});

afterAll(async () => {
	await n8n?.stop();
	await shopify?.stop();
	await woo?.stop();
});

/** Executions of a workflow so far (finished ones). */
async function count(workflowId: string): Promise<number> {
	return (await n8n.executions({ workflowId, includeData: false })).length;
}

/** Waits for the next execution of a workflow and returns its trigger outputs [events, invalid]. */
async function nextRun(
	workflowId: string,
	before: number,
): Promise<{ execution: Execution; events: any[]; invalid: any[] }> {
	const all = await n8n.waitForExecutions({ workflowId, count: before + 1, timeoutMs: 30_000 });
	const execution = all[all.length - 1];
	expect(execution.status).toBe('success');
	const [events = [], invalid = []] = n8n.nodeOutput(execution, TRIGGER);
	return { execution, events, invalid };
}

let markers = 0;

/**
 * No execution started by what was sent before: a positive check instead of a pause. A valid signed marker
 * delivery is sent after the refused ones; once its run has finished, any run the earlier requests had started
 * (created before the marker's, as they were answered before it was sent) would be there too. So exactly one
 * new run, and it is the marker's.
 */
async function expectNoRun(workflowId: string, before: number): Promise<void> {
	const marker = `marker-${++markers}`;
	if (workflowId === 'shopifyDirect01') {
		const level = shopifyInventoryLevel({
			inventoryItemId: 700_000 + markers,
			locationId: 1,
			available: 1,
		});
		const sent = await shopify.sendWebhook(shopifyUrl, 'inventory_levels/update', level, {
			eventId: marker,
		});
		expect(sent.status).toBe(200);
	} else {
		const order = wooOrder({
			status: 'processing',
			lines: [{ productId: 1, sku: marker, quantity: 1, reducedStock: 1 }],
		});
		const sent = await woo.sendWebhook(wooUrl, 'order.updated', order, { secret: WOO_SECRET });
		expect(sent.status).toBe(200);
	}
	const { events } = await nextRun(workflowId, before);
	expect(events.map((e) => (workflowId === 'shopifyDirect01' ? e.correlationId : e.sku))).toEqual([
		marker,
	]);
	expect(await count(workflowId)).toBe(before + 1);
}

// n8n stores a webhook before it runs the node's checkExists/create, so "the URL answers" comes a little
// before the platform subscription exists: wait for what the simulator holds instead (waitFor).

const strip = (e: any) => ({
	id: e.id,
	version: e.version,
	quantity: e.quantity,
	locationId: e.locationId,
});

describe('Shopify, one run per request', () => {
	const WF = 'shopifyDirect01';

	it('a signed inventory_levels/update → 200 at once and one run with the canonical item, ids exact', async () => {
		const before = await count(WF);
		// One clock for both times: the body's one-second updated_at and the header that refines it within that
		// second. Nothing here depends on today's date.
		const updatedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
		const triggeredAt = new Date(updatedAt.getTime() + 123);
		const level = shopifyInventoryLevel({
			inventoryItemId: 9007199254740993n,
			locationId: 655441491,
			available: 7,
			updatedAt,
		});
		const sent = await shopify.sendWebhook(shopifyUrl, 'inventory_levels/update', level, {
			triggeredAt: triggeredAt.toISOString(),
		});
		expect(sent.status).toBe(200);
		expect(JSON.parse(sent.body)).toEqual({ received: 1 });
		const { events, invalid } = await nextRun(WF, before);
		expect(invalid).toEqual([]);
		expect(events).toEqual([
			expect.objectContaining({
				kind: 'level',
				id: 'shopify:demo-shop.myshopify.com:level:9007199254740993:655441491',
				version: triggeredAt.getTime(),
				source: {
					platform: 'shopify',
					shop: 'demo-shop.myshopify.com',
					topic: 'inventory_levels/update',
					via: 'webhook',
				},
				sku: null,
				refs: { inventoryItemId: '9007199254740993' },
				locationId: 'shopify:demo-shop.myshopify.com:655441491',
				quantity: 7,
				correlationId: sent.eventId,
			}),
		]);
	});

	it('the same signed order resent under another X-Shopify-Shop-Domain → the same ids: the credential names the shop, not the header', async () => {
		// Issue 15's finding: a captured signed delivery with another shop header must not become new order
		// lines (the Ledger would count them again). The credential is the simulator's full URL, so the trigger
		// asked the simulator for its myshopify domain (once per process) instead of using 127.0.0.1:<port>.
		const order = shopify.serialize(shopifyOrder({ lines: [{ sku: 'SHOP-HDR-A', quantity: 2 }] }));
		let before = await count(WF);
		expect((await shopify.sendWebhook(shopifyUrl, 'orders/create', order)).status).toBe(200);
		const genuine = await nextRun(WF, before);
		before = await count(WF);
		const replay = await shopify.sendWebhook(shopifyUrl, 'orders/create', order, {
			shopDomain: 'replayed-elsewhere.myshopify.com',
		});
		expect(replay.status).toBe(200);
		const replayed = await nextRun(WF, before);
		expect(genuine.invalid).toEqual([]);
		expect(replayed.invalid).toEqual([]);
		const ids = genuine.events.map((e: any) => e.id);
		expect(ids).toEqual([expect.stringMatching(/^shopify:demo-shop\.myshopify\.com:order:/)]);
		expect(replayed.events.map((e: any) => e.id)).toEqual(ids);
		expect(replayed.events.map((e: any) => e.source.shop)).toEqual(['demo-shop.myshopify.com']);
		expect(
			shopify.log.filter(
				(e: any) => e.op === 'graphql' && /InvSyncShopDomain/.test(String(e.name)),
			),
		).toHaveLength(1);
	});

	it('tampered body, wrong secret and missing header → 401 and no run; the previous secret is accepted', async () => {
		const before = await count(WF);
		const level = shopifyInventoryLevel({ inventoryItemId: 1, locationId: 2, available: 3 });
		const tampered = await shopify.sendWebhook(shopifyUrl, 'inventory_levels/update', level, {
			tamper: true,
		});
		const wrong = await shopify.sendWebhook(shopifyUrl, 'inventory_levels/update', level, {
			secret: 'not-the-secret',
		});
		const missing = await shopify.sendWebhook(shopifyUrl, 'inventory_levels/update', level, {
			omitHmac: true,
		});
		for (const r of [tampered, wrong, missing]) expect(r.status).toBe(401);
		expect(JSON.parse(wrong.body)).toEqual({ error: 'invalid signature' });
		expect(JSON.parse(missing.body)).toEqual({ error: 'missing signature header' });
		expect(wrong.body).not.toContain(SHOPIFY_SECRET);
		await expectNoRun(WF, before);

		const rotated = await shopify.sendWebhook(shopifyUrl, 'inventory_levels/update', level, {
			secret: SHOPIFY_OLD_SECRET,
		});
		expect(rotated.status).toBe(200);
		const { events } = await nextRun(WF, before + 1); // after expectNoRun's marker run
		expect(events).toHaveLength(1);
	});

	it('a restocking cancellation and its refunds/create give the same line states: the restock counts once', async () => {
		const order = shopifyOrder({
			lines: [
				{ sku: 'CANCEL-A', quantity: 2 },
				{ sku: 'CANCEL-B', quantity: 1 },
			],
			cancelled: 'restock',
		});
		shopify.putOrder(toJson(order));
		let before = await count(WF);
		expect((await shopify.sendWebhook(shopifyUrl, 'orders/cancelled', order)).status).toBe(200);
		const cancelled = await nextRun(WF, before);

		before = await count(WF);
		const refunds = order.refunds as any[];
		const refund = shopifyRefund({
			orderId: order.id as bigint,
			lines: refunds[0].refund_line_items.map((l: any) => ({
				lineItemId: l.line_item_id,
				quantity: l.quantity,
				restockType: 'cancel',
				locationId: l.location_id,
			})),
		});
		expect((await shopify.sendWebhook(shopifyUrl, 'refunds/create', refund)).status).toBe(200);
		const reread = await nextRun(WF, before);

		expect(reread.events.map(strip)).toEqual(cancelled.events.map(strip));
		// Per line, what it draws and what its restock returns sum to 0: the cancellation restocked everything.
		for (const sku of ['CANCEL-A', 'CANCEL-B']) {
			const net = cancelled.events.filter((e) => e.sku === sku).reduce((s, e) => s + e.quantity, 0);
			expect(net).toBe(0);
		}
		expect(
			shopify.log.some((e: any) => e.op === 'graphql' && /OrderForStock/.test(String(e.name))),
		).toBe(true);
	});

	it('a cancellation without restock returns nothing', async () => {
		const before = await count(WF);
		const order = shopifyOrder({ lines: [{ sku: 'KEEP-A', quantity: 3 }], cancelled: true });
		expect((await shopify.sendWebhook(shopifyUrl, 'orders/cancelled', order)).status).toBe(200);
		const { events } = await nextRun(WF, before);
		expect(events.map((e) => [e.sku, e.quantity])).toEqual([['KEEP-A', 3]]);
		const lineId = String((order.line_items as any[])[0].id);
		expect(events[0].id).toBe(
			`shopify:demo-shop.myshopify.com:order:${String(order.id)}:line:${lineId}`,
		);
		expect(BigInt(lineId) > 2n ** 53n).toBe(true);
	});

	it('a signed body of the wrong shape → 200 and an item on Invalid with the reason and the raw body', async () => {
		const before = await count(WF);
		const body = '{"id":1,"updated_at":"2026-11-26T10:00:00Z","line_items":"not a list"}';
		const sent = await shopify.sendWebhook(shopifyUrl, 'orders/updated', body);
		expect(sent.status).toBe(200);
		const { events, invalid } = await nextRun(WF, before);
		expect(events).toEqual([]);
		expect(invalid).toEqual([
			expect.objectContaining({
				reason: 'line_items is not an array',
				platform: 'shopify',
				topic: 'orders/updated',
				rawBody: body,
			}),
		]);
	});
});

describe('what n8n itself answers before our node runs (README "Before our node runs")', () => {
	const WF = 'shopifyDirect01';
	const signed = (body: string | Buffer, extra: Record<string, string> = {}) => ({
		'content-type': 'application/json',
		'x-shopify-topic': 'orders/updated',
		'x-shopify-shop-domain': 'demo-shop.myshopify.com',
		'x-shopify-hmac-sha256': createHmac('sha256', SHOPIFY_SECRET).update(body).digest('base64'),
		...extra,
	});

	it('malformed JSON as application/json → 422, a body over the payload limit → 500 (not 413), a false gzip → 500; no run, even when signed', async () => {
		const before = await count(WF);
		const broken = '{"id": 1,';
		const malformed = await postRaw(shopifyUrl, broken, signed(broken));
		expect(malformed.status).toBe(422);
		const big = `{"pad":"${'x'.repeat(1_600_000)}"}`;
		const oversized = await postRaw(shopifyUrl, big, signed(big));
		expect(oversized.status).toBe(500);
		const notGzip = '{"id":1}';
		const gzip = await postRaw(
			shopifyUrl,
			notGzip,
			signed(notGzip, { 'content-encoding': 'gzip' }),
		);
		expect(gzip.status).toBe(500);
		await expectNoRun(WF, before);
	});
});

describe('WooCommerce, one run per request', () => {
	const WF = 'wooDirect00001';

	it('the ping gets exactly 200 and starts no run', async () => {
		const before = await count(WF);
		const ping = await woo.sendPing(wooUrl, 42);
		expect(ping.status).toBe(200);
		await expectNoRun(WF, before);
	});

	it('an unsigned or tampered delivery → 401 and no run', async () => {
		const before = await count(WF);
		const order = wooOrder({
			status: 'processing',
			lines: [{ productId: 93, sku: 'W', quantity: 1, reducedStock: 1 }],
		});
		expect(
			(
				await woo.sendWebhook(wooUrl, 'order.updated', order, {
					secret: WOO_SECRET,
					omitSignature: true,
				})
			).status,
		).toBe(401);
		expect(
			(await woo.sendWebhook(wooUrl, 'order.updated', order, { secret: WOO_SECRET, tamper: true }))
				.status,
		).toBe(401);
		await expectNoRun(WF, before);
	});

	async function send(
		status: string,
		reducedStock: number | null,
		restockRefunded?: number,
	): Promise<number | null> {
		const before = await count(WF);
		const order = wooOrder({
			id: 5001,
			status,
			lines: [
				{
					id: 77,
					productId: 93,
					sku: 'WOO-SEQ',
					quantity: 2,
					reducedStock,
					...(restockRefunded ? { restockRefunded } : {}),
				},
			],
		});
		expect(
			(await woo.sendWebhook(wooUrl, 'order.updated', order, { secret: WOO_SECRET })).status,
		).toBe(200);
		const { events } = await nextRun(WF, before);
		expect(events).toHaveLength(1);
		return events[0].quantity;
	}

	it('pending → processing → cancelled → processing: the line draws 0, 2, 0, 2 (once, at the end)', async () => {
		const drawn = [
			await send('pending', null),
			await send('processing', 2),
			await send('cancelled', null),
			await send('processing', 2),
		];
		expect(drawn).toEqual([0, 2, 0, 2]);
	});

	it('on-hold → failed keeps the units drawn; a restocked refund of one unit lowers the draw by one', async () => {
		expect(await send('on-hold', 2)).toBe(2);
		expect(await send('failed', 2)).toBe(2);
		expect(await send('completed', 1, 1)).toBe(1);
	});
});

describe('subscriptions on activation', () => {
	it('Shopify: activation creates the subscriptions in the simulator, deactivation deletes them', async () => {
		const uri = n8n.webhookUrl('shopify-subs', 'webhook');
		expect(shopify.subscriptions.filter((s) => s.uri === uri)).toHaveLength(0);
		await n8n.activate('shopifySubs001');
		const created = await waitFor(
			() => shopify.subscriptions.filter((s) => s.uri === uri),
			(l) => l.length >= 7,
		);
		expect(created.map((s) => s.restTopic).sort()).toEqual([
			'inventory_items/update',
			'inventory_levels/update',
			'orders/cancelled',
			'orders/create',
			'orders/updated',
			'products/update',
			'refunds/create',
		]);
		// Events reach the workflow through the subscription.
		const before = await count('shopifySubs001');
		await shopify.deliver(
			'inventory_levels/update',
			shopifyInventoryLevel({ inventoryItemId: 5, locationId: 6, available: 1 }),
		);
		await nextRun('shopifySubs001', before);

		await n8n.deactivate('shopifySubs001');
		expect(
			await waitFor(
				() => shopify.subscriptions.filter((s) => s.uri === uri),
				(l) => l.length === 0,
			),
		).toHaveLength(0);
	});

	it('WooCommerce: activation creates the webhooks (answering the ping), deactivation deletes them', async () => {
		const uri = n8n.webhookUrl('woo-subs', 'webhook');
		await n8n.activate('wooSubs0000001');
		const hooks = await waitFor(
			() => [...woo.webhooks.values()].filter((w) => w.deliveryUrl === uri),
			(l) => l.length >= 3,
		);
		expect(hooks.map((w) => w.topic).sort()).toEqual([
			'order.created',
			'order.updated',
			'product.updated',
		]);
		expect(hooks.every((w) => w.status === 'active' && w.secret === WOO_SECRET)).toBe(true);
		const pings = woo.log.filter((e: any) => e.op === 'ping' || /ping/i.test(String(e.name ?? '')));
		expect(pings.length).toBeGreaterThanOrEqual(3);

		const before = await count('wooSubs0000001');
		const order = wooOrder({
			status: 'processing',
			lines: [{ productId: 93, sku: 'SUB', quantity: 1, reducedStock: 1 }],
		});
		const results = await woo.deliver('order.created', order);
		expect(results.every((r: any) => r.success)).toBe(true);
		await nextRun('wooSubs0000001', before);

		await n8n.deactivate('wooSubs0000001');
		expect(
			await waitFor(
				() => [...woo.webhooks.values()].filter((w) => w.deliveryUrl === uri),
				(l) => l.length === 0,
			),
		).toHaveLength(0);
	});
});

// Every credential of the package is tested by our nodes (testedBy: Redis in shared/redis.ts, Shopify and
// WooCommerce in shared/credentialTests.ts, which tell an unreachable host, TLS, a refused secret and a wrong
// address apart — a declarative test cannot). n8n 2.41.1 resolves testedBy only for nodes installed as a
// package: N8N_CUSTOM_EXTENSIONS loads credentials without their supported nodes. The test functions run against
// the simulators, closed ports, TLS and Redis servers in test/integration/credentialTests.test.ts and
// guardTls.test.ts; here, what n8n itself answers for this harness's extension install.
describe('credential tests (the Test button), against the simulators', () => {
	async function testCredential(
		type: string,
		data: Record<string, unknown>,
	): Promise<{ status: string; message: string }> {
		const id = type === 'shopifyInventoryApi' ? 'shopifyCred' : 'wooCred';
		const answer = await n8n.rest<any>('POST', '/credentials/test', {
			credentials: { id, name: id, type, data },
		});
		return answer.data ?? answer;
	}

	it('under N8N_CUSTOM_EXTENSIONS n8n finds no test function for the platform credentials, and echoes no secret', async () => {
		const shopifyAnswer = await testCredential('shopifyInventoryApi', {
			shopDomain: shopify.baseUrl,
			authentication: 'accessToken',
			accessToken: 'shpat_wrong_secret_token',
			apiVersion: '2026-10',
		});
		const wooAnswer = await testCredential('wooCommerceInventoryApi', {
			siteUrl: woo.baseUrl,
			consumerKey: 'ck_e2e',
			consumerSecret: 'cs_wrong_secret',
		});
		for (const answer of [shopifyAnswer, wooAnswer]) {
			expect(answer).toEqual({
				status: 'Error',
				message: 'No testing function found for this credential.',
			});
		}
	});
});
