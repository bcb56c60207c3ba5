/**
 * Inbox mode in a real n8n 2.41.1 (one instance for the whole file): the Inventory Webhook Trigger queues signed
 * deliveries to a Redis stream and answers at once; the Inventory Inbox Trigger processes them in batches.
 *
 * - 2,000 signed webhooks (Shopify and WooCommerce, with duplicates) → every event in a successful run, exactly
 *   the canonical items of per-request mode, far fewer runs than events; → Guard (claim): one New per business event
 * - a signed body of the wrong shape → the Inbox Trigger's Invalid output, acknowledged
 * - a node after the trigger that throws → entries reclaimed after Reclaim after; a poison entry dead-lettered
 *   alone after Max deliveries, every other entry processed
 * - a Redis of the test's own stopped → 503, never 200; back → 200 and processed
 * - n8n SIGKILLed with batches in flight → after restart every acknowledged webhook processed (at least once)
 *
 * The instance runs with N8N_EXPRESSION_ENGINE=legacy: with the default engine n8n itself receives about 20
 * custom-webhook requests/s here (a fresh isolate per request, ../shared/n8n-e2e.md "Throughput"), so 2,000
 * webhooks would cost 100 s of n8n's own receipt time. Nothing under test depends on the engine; the queue-mode
 * file (inboxQueue.test.ts) runs the default engine.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Redis from 'ioredis';
import { startN8n, type Execution, type N8nInstance } from './harness';
import {
	ShopifySimulator,
	WooCommerceSimulator,
	shopifyInventoryItem,
	shopifyInventoryLevel,
	shopifyOrder,
	shopifyProduct,
	shopifyRefund,
	toJson,
	wooOrder,
	wooProduct,
} from '../simulators';
import {
	INBOX_TRIGGER,
	WEBHOOK_TRIGGER,
	canonical,
	eventsByCorrelation,
	expectedEvents,
	groupState,
	inboxTriggerNode,
	noOp,
	plainNode,
	pool,
	snapshotDist,
	webhookTriggerNode,
	wire,
	workflow,
	type Sent,
} from './inboxSupport';
import { deleteByPrefix, OwnRedis, TEST_REDIS, waitFor } from '../support';

jest.setTimeout(300_000);

const SHOPIFY_SECRET = 'inbox-e2e-shopify-secret';
const WOO_SECRET = 'inbox-e2e-woo-secret';
const PREFIX = `e2einbox${process.pid}`;
const GROUP = 'inbox-trigger';

let n8n: N8nInstance;
let shopify: ShopifySimulator;
let woo: WooCommerceSimulator;
let own: OwnRedis;
let redis: Redis;
let snapshot: ReturnType<typeof snapshotDist>;

const stream = (name: string) => `${PREFIX}:${name}`;
const OUTAGE_COUNTER = path.join(os.tmpdir(), `invsync-inbox-e2e-${process.pid}.count`);

function workflows(): object[] {
	const c: Record<string, Record<string, unknown>> = {};
	const inboxPair = (
		id: string,
		platform: 'shopify' | 'woocommerce',
		streamName: string,
		redisCredential = 'redisMain',
	) =>
		workflow(
			id,
			[
				webhookTriggerNode({
					platform,
					webhookId: `${id}-hook`,
					delivery: 'inbox',
					stream: streamName,
					platformCredential: platform === 'shopify' ? 'shopifyCred' : 'wooCred',
					redisCredential,
				}),
			],
			{},
		);
	const direct = (id: string, platform: 'shopify' | 'woocommerce') => {
		const conn = {};
		wire(conn, WEBHOOK_TRIGGER, 'Events', 'Invalid');
		return workflow(
			id,
			[
				webhookTriggerNode({
					platform,
					webhookId: `${id}-hook`,
					delivery: 'run',
					platformCredential: platform === 'shopify' ? 'shopifyCred' : 'wooCred',
				}),
				noOp('Events'),
				noOp('Invalid'),
			],
			conn,
		);
	};

	c.guard = {};
	wire(c.guard, INBOX_TRIGGER, 'Inventory Guard', 'Invalid');
	wire(c.guard, 'Inventory Guard', 'New', 'Duplicate');
	c.fail = {};
	wire(c.fail, INBOX_TRIGGER, 'Check', 'Invalid');
	wire(c.fail, 'Check', 'Done');
	c.own = {};
	wire(c.own, INBOX_TRIGGER, 'Events', 'Invalid');
	c.kill = {};
	wire(c.kill, INBOX_TRIGGER, 'Wait', 'Invalid');
	wire(c.kill, 'Wait', 'Done');

	// Poison: any run holding it fails. Outage: the first three runs holding OUTAGE items fail (a counter file,
	// so the outcome does not depend on timing): the batch and its two halves; the next delivery succeeds.
	const check = [
		"const fs = require('fs');",
		`const file = ${JSON.stringify(OUTAGE_COUNTER)};`,
		'const items = $input.all();',
		"if (items.some((i) => i.json.sku === 'POISON')) throw new Error('poison order line');",
		"if (items.some((i) => String(i.json.sku).startsWith('OUTAGE-'))) {",
		"  const n = (fs.existsSync(file) ? Number(fs.readFileSync(file, 'utf8')) : 0) + 1;",
		'  fs.writeFileSync(file, String(n));',
		"  if (n <= 3) throw new Error('downstream outage');",
		'}',
		'return items;',
	].join('\n');

	return [
		inboxPair('inShop00000001', 'shopify', 'main'),
		inboxPair('inWoo000000001', 'woocommerce', 'main'),
		workflow(
			'inboxGuard0001',
			[
				inboxTriggerNode({
					redisCredential: 'redisMain',
					shopifyCredential: 'shopifyCred',
					parameters: { inboxStream: 'main', rereadRefundedOrders: true },
				}),
				plainNode('Inventory Guard', 'CUSTOM.inventoryGuard', { operation: 'deduplicate' }, 1, {
					credentials: { inventoryRedisApi: { id: 'redisMain', name: 'redisMain' } },
				}),
				noOp('New'),
				noOp('Duplicate'),
				noOp('Invalid'),
			],
			c.guard,
		),
		direct('directShop0001', 'shopify'),
		direct('directWoo00001', 'woocommerce'),
		inboxPair('failIn00000001', 'shopify', 'fail'),
		workflow(
			'failInbox00001',
			[
				inboxTriggerNode({
					redisCredential: 'redisMain',
					parameters: { inboxStream: 'fail', reclaimAfter: 3, maxDeliveries: 2 },
				}),
				plainNode('Check', 'n8n-nodes-base.code', { jsCode: check }, 2),
				noOp('Done'),
				noOp('Invalid'),
			],
			c.fail,
		),
		inboxPair('ownIn000000001', 'shopify', 'own', 'redisOwn'),
		workflow(
			'ownInbox000001',
			[
				inboxTriggerNode({
					redisCredential: 'redisOwn',
					parameters: { inboxStream: 'own', reclaimAfter: 3 },
				}),
				noOp('Events'),
				noOp('Invalid'),
			],
			c.own,
		),
		inboxPair('killIn00000001', 'shopify', 'kill'),
		workflow(
			'killInbox00001',
			[
				inboxTriggerNode({
					redisCredential: 'redisMain',
					parameters: { inboxStream: 'kill', reclaimAfter: 3, batchSize: 50 },
				}),
				plainNode(
					'Wait',
					'n8n-nodes-base.wait',
					{ resume: 'timeInterval', amount: 1, unit: 'seconds' },
					1.1,
					{ webhookId: 'kill-wait-hook' },
				),
				noOp('Done'),
				noOp('Invalid'),
			],
			c.kill,
		),
	];
}

beforeAll(async () => {
	snapshot = snapshotDist();
	redis = new Redis({ host: TEST_REDIS.host, port: TEST_REDIS.port, lazyConnect: true });
	await redis.connect();
	own = await OwnRedis.start();
	shopify = new ShopifySimulator({ webhookSecret: SHOPIFY_SECRET, accessToken: 'shpat_inbox' });
	woo = new WooCommerceSimulator({ consumerKey: 'ck', consumerSecret: 'cs' });
	await shopify.start();
	await woo.start();
	n8n = await startN8n({
		engine: 'legacy',
		env: { NODE_FUNCTION_ALLOW_BUILTIN: 'fs' },
		extensions: [snapshot.dist],
		activateVia: 'api',
		credentials: [
			{
				id: 'shopifyCred',
				name: 'shopifyCred',
				type: 'shopifyInventoryApi',
				data: {
					shopDomain: shopify.baseUrl,
					authentication: 'accessToken',
					accessToken: 'shpat_inbox',
					apiVersion: '2026-10',
					webhookSecret: SHOPIFY_SECRET,
				},
			},
			{
				id: 'wooCred',
				name: 'wooCred',
				type: 'wooCommerceInventoryApi',
				data: {
					siteUrl: woo.baseUrl,
					consumerKey: 'ck',
					consumerSecret: 'cs',
					webhookSecret: WOO_SECRET,
				},
			},
			{
				id: 'redisMain',
				name: 'redisMain',
				type: 'inventoryRedisApi',
				data: { host: TEST_REDIS.host, port: TEST_REDIS.port, database: 0, keyPrefix: PREFIX },
			},
			{
				id: 'redisOwn',
				name: 'redisOwn',
				type: 'inventoryRedisApi',
				data: { host: '127.0.0.1', port: own.port, database: 0, keyPrefix: PREFIX },
			},
		],
		workflows: workflows(),
	});
});

afterAll(async () => {
	await n8n?.stop();
	await shopify?.stop();
	await woo?.stop();
	await own?.stop();
	if (redis) {
		await deleteByPrefix(redis, PREFIX);
		await redis.quit();
	}
	snapshot?.remove();
	fs.rmSync(OUTAGE_COUNTER, { force: true });
});

const url = (workflowId: string) => n8n.webhookUrl(`${workflowId}-hook`, 'webhook');

async function sendShopify(
	workflowId: string,
	topic: string,
	payload: object | string,
	eventId: string,
	triggeredAt?: string,
): Promise<Sent> {
	const r = await shopify.sendWebhook(url(workflowId), topic, payload, { eventId, triggeredAt });
	return {
		platform: 'shopify',
		rawBody: r.rawBody,
		requestHeaders: r.requestHeaders,
		correlationId: eventId,
		status: r.status,
	};
}

async function sendWoo(
	workflowId: string,
	topic: string,
	payload: object,
	deliveryId: string,
): Promise<Sent> {
	const r = await woo.sendWebhook(url(workflowId), topic, payload, {
		secret: WOO_SECRET,
		deliveryId,
	});
	return {
		platform: 'woocommerce',
		rawBody: r.rawBody,
		requestHeaders: r.requestHeaders,
		correlationId: deliveryId,
		status: r.status,
	};
}

async function successful(workflowId: string): Promise<Execution[]> {
	return await n8n.executions({ workflowId, includeData: true, status: 'success' });
}

async function drained(
	streamName: string,
	timeoutMs: number,
	client: Redis = redis,
): Promise<void> {
	await waitFor(
		async () => await groupState(client, stream(streamName), GROUP),
		(s) => s.pending === 0 && s.lag === 0,
		timeoutMs,
		`stream ${streamName} drained`,
		250,
	);
}

interface Planned {
	platform: 'shopify' | 'woocommerce';
	topic: string;
	payload: object;
	correlationId: string;
	refund?: boolean;
	/** Shopify: X-Shopify-Triggered-At, the same on every copy (a retry keeps it). */
	triggeredAt?: string;
}

/** 1,700 distinct deliveries of every supported topic, realistic bodies. */
function plan(): Planned[] {
	const out: Planned[] = [];
	let n = 0;
	const cid = (p: string) => `${p}-${++n}-${Math.random().toString(36).slice(2, 8)}`;
	for (let i = 0; i < 300; i++)
		out.push({
			platform: 'shopify',
			topic: 'orders/create',
			payload: shopifyOrder({ lines: 1 + (i % 3) }),
			correlationId: cid('s'),
		});
	for (let i = 0; i < 200; i++)
		out.push({
			platform: 'shopify',
			topic: i % 10 === 0 ? 'orders/cancelled' : 'orders/updated',
			payload: shopifyOrder({ lines: 1 + (i % 2), cancelled: i % 10 === 0 ? 'restock' : false }),
			correlationId: cid('s'),
		});
	for (let i = 0; i < 250; i++)
		out.push({
			platform: 'shopify',
			topic: 'inventory_levels/update',
			payload: shopifyInventoryLevel({
				inventoryItemId: 8_000_000n + BigInt(i),
				locationId: 655441491 + (i % 3),
				available: i % 40,
			}),
			correlationId: cid('s'),
		});
	for (let i = 0; i < 40; i++)
		out.push({
			platform: 'shopify',
			topic: 'products/update',
			payload: shopifyProduct({}),
			correlationId: cid('s'),
		});
	for (let i = 0; i < 50; i++)
		out.push({
			platform: 'shopify',
			topic: 'inventory_items/update',
			payload: shopifyInventoryItem({ sku: `ITEM-${i}` }),
			correlationId: cid('s'),
		});
	for (let i = 0; i < 10; i++) {
		const lineId = 9_100_000_000n + BigInt(i);
		const order = shopifyOrder({
			lines: [{ id: lineId, sku: `REFUND-${i}`, quantity: 3 }],
			refunds: [{ lineItemId: lineId, quantity: 1, restockType: 'return' }],
		});
		shopify.putOrder(toJson(order));
		const refund = shopifyRefund({
			orderId: order.id as bigint,
			lines: [{ lineItemId: lineId, quantity: 1, restockType: 'return' }],
		});
		out.push({
			platform: 'shopify',
			topic: 'refunds/create',
			payload: refund,
			correlationId: cid('r'),
			refund: true,
		});
	}
	const statuses = ['processing', 'on-hold', 'completed', 'cancelled', 'pending'];
	for (let i = 0; i < 600; i++) {
		const status = statuses[i % statuses.length];
		const drawn = status === 'processing' || status === 'on-hold' || status === 'completed';
		out.push({
			platform: 'woocommerce',
			topic: i % 2 ? 'order.updated' : 'order.created',
			payload: wooOrder({
				status,
				lines: Array.from({ length: 1 + (i % 3) }, (_, k) => ({
					productId: 500 + k,
					sku: `WOO-${i % 50}-${k}`,
					quantity: 1 + k,
					reducedStock: drawn ? 1 + k : null,
				})),
			}),
			correlationId: cid('w'),
		});
	}
	for (let i = 0; i < 250; i++)
		out.push({
			platform: 'woocommerce',
			topic: 'product.updated',
			payload: wooProduct({ sku: `WP-${i}`, stockQuantity: i % 30, manageStock: true }),
			correlationId: cid('w'),
		});
	const base = Date.now();
	out.forEach((p, i) => {
		if (p.platform === 'shopify')
			p.triggeredAt = new Date(base + i).toISOString().replace('Z', '123456Z');
	});
	return out;
}

async function send(workflowIds: { shopify: string; woo: string }, p: Planned): Promise<Sent> {
	return p.platform === 'shopify'
		? await sendShopify(workflowIds.shopify, p.topic, p.payload, p.correlationId, p.triggeredAt)
		: await sendWoo(workflowIds.woo, p.topic, p.payload, p.correlationId);
}

describe('2,000 signed webhooks in inbox mode', () => {
	it('every event reaches a successful run exactly as in per-request mode, in far fewer runs; the Guard lets one New through per business event', async () => {
		const distinct = plan();
		expect(distinct).toHaveLength(1_700);
		// 300 duplicates: the same delivery again (a Shopify retry, a second subscription), same event id.
		const deliveries = [...distinct];
		for (let i = 0; i < 300; i++) deliveries.push(distinct[(i * 7919) % distinct.length]);
		for (let i = deliveries.length - 1; i > 0; i--) {
			const j = (i * 2654435761) % (i + 1);
			[deliveries[i], deliveries[j]] = [deliveries[j], deliveries[i]];
		}
		expect(deliveries).toHaveLength(2_000);

		const t0 = Date.now();
		const sent = await pool(
			deliveries,
			16,
			async (p) => await send({ shopify: 'inShop00000001', woo: 'inWoo000000001' }, p),
		);
		const receiptMs = Date.now() - t0;
		expect(sent.filter((s) => s.status !== 200)).toEqual([]);

		// The same deliveries through per-request mode, for a sample (every refund among them).
		const sample = [
			...distinct.filter((p) => p.refund),
			...distinct.filter((p) => !p.refund && p.platform === 'shopify').slice(0, 20),
			...distinct.filter((p) => p.platform === 'woocommerce').slice(0, 20),
		];
		const sampleSent = await pool(
			sample,
			4,
			async (p) => await send({ shopify: 'directShop0001', woo: 'directWoo00001' }, p),
		);
		expect(sampleSent.every((s) => s.status === 200)).toBe(true);

		await drained('main', 180_000);
		const directRuns = await waitFor(
			async () => [
				...(await successful('directShop0001')),
				...(await successful('directWoo00001')),
			],
			(runs) => runs.length >= sample.length,
			60_000,
			'per-request runs',
			250,
		);
		const direct = eventsByCorrelation(n8n, directRuns, WEBHOOK_TRIGGER);

		// What each delivery should give, times the number of times it was sent.
		const timesSent = new Map<string, number>();
		for (const s of sent) timesSent.set(s.correlationId, (timesSent.get(s.correlationId) ?? 0) + 1);
		const firstSent = new Map(sent.map((s) => [s.correlationId, s]));
		const expected = new Map<string, string[]>();
		let expectedTotal = 0;
		const businessKeys = new Set<string>();
		for (const p of distinct) {
			const one = p.refund
				? (direct.get(p.correlationId) ?? [])
				: expectedEvents(firstSent.get(p.correlationId)!).map(canonical);
			if (p.refund) expect(one.length).toBeGreaterThan(0);
			for (const text of one) {
				const e = JSON.parse(text) as { id: string; version: number };
				businessKeys.add(`${e.id}@${e.version}`);
			}
			const times = timesSent.get(p.correlationId) ?? 0;
			const all = Array.from({ length: times }, () => one)
				.flat()
				.sort();
			if (all.length) expected.set(p.correlationId, all);
			expectedTotal += all.length;
		}

		const runs = await waitFor(
			async () => await n8n.executions({ workflowId: 'inboxGuard0001', includeData: true }),
			(list) =>
				list.reduce((sum, e) => sum + (n8n.nodeOutput(e, INBOX_TRIGGER)[0]?.length ?? 0), 0) >=
				expectedTotal,
			60_000,
			'inbox runs saved',
			250,
		);
		expect(runs.filter((r) => r.status !== 'success').map((r) => r.status)).toEqual([]);
		const actual = eventsByCorrelation(n8n, runs, INBOX_TRIGGER);
		expect(actual.size).toBe(expected.size);
		for (const [id, list] of expected)
			expect({ id, events: actual.get(id) }).toEqual({ id, events: list });

		// The sample, item for item against per-request mode (each delivery once).
		for (const p of sample) {
			const once = [...new Set(actual.get(p.correlationId))].sort();
			expect({ id: p.correlationId, events: once }).toEqual({
				id: p.correlationId,
				events: [...new Set(direct.get(p.correlationId))].sort(),
			});
		}

		// Far fewer runs than events.
		expect(runs.length * 10).toBeLessThan(expectedTotal);
		let fresh = 0;
		let duplicates = 0;
		let invalid = 0;
		for (const r of runs) {
			const [news = [], dups = []] = n8n.nodeOutput(r, 'Inventory Guard');
			fresh += news.length;
			duplicates += dups.length;
			invalid += n8n.nodeOutput(r, INBOX_TRIGGER)[1]?.length ?? 0;
		}
		expect(invalid).toBe(0);
		expect(fresh).toBe(businessKeys.size);
		expect(fresh + duplicates).toBe(expectedTotal);
		// eslint-disable-next-line no-console
		console.log(
			`inbox e2e: 2,000 webhooks acknowledged in ${receiptMs} ms; ${expectedTotal} events in ${runs.length} runs; ${fresh} New, ${duplicates} Duplicate`,
		);
	});

	it("a signed body of the wrong shape → the Inbox Trigger's Invalid output, acknowledged, nothing lost", async () => {
		const before = (await n8n.executions({ workflowId: 'inboxGuard0001' })).length;
		const body = '{"id":1,"updated_at":"2026-11-26T10:00:00Z","line_items":"not a list"}';
		const s = await sendShopify('inShop00000001', 'orders/updated', body, 'wrong-shape-1');
		expect(s.status).toBe(200);
		expect(
			JSON.parse(
				(
					await shopify.sendWebhook(url('inShop00000001'), 'orders/updated', body, {
						eventId: 'wrong-shape-2',
					})
				).body,
			),
		).toEqual({ queued: true });
		await drained('main', 30_000);
		const runs = (
			await waitFor(
				async () => await successful('inboxGuard0001'),
				(l) => l.length > before,
				30_000,
				'run',
				250,
			)
		).slice(before);
		const invalid = runs.flatMap((r) => n8n.nodeOutput(r, INBOX_TRIGGER)[1] ?? []);
		expect(invalid).toEqual([
			expect.objectContaining({
				reason: 'line_items is not an array',
				platform: 'shopify',
				topic: 'orders/updated',
				rawBody: body,
				correlationId: 'wrong-shape-1',
			}),
			expect.objectContaining({ correlationId: 'wrong-shape-2' }),
		]);
		expect(runs.flatMap((r) => n8n.nodeOutput(r, 'Invalid')[0] ?? [])).toHaveLength(2);
		expect(await groupState(redis, stream('main'), GROUP)).toEqual({ pending: 0, lag: 0 });
	});
});

describe('failing runs', () => {
	const skusOf = (e: Execution) =>
		(n8n.nodeOutput(e, INBOX_TRIGGER)[0] ?? []).map((ev) => String(ev.sku));
	const fieldsOf = (entry: [string, string[]]) =>
		Object.fromEntries(
			Array.from({ length: entry[1].length / 2 }, (_, i) => [entry[1][2 * i], entry[1][2 * i + 1]]),
		);

	it('a node after the trigger throws: the entries stay pending and are re-emitted after Reclaim after, then processed', async () => {
		const skus = Array.from({ length: 6 }, (_, i) => `OUTAGE-${i}`);
		const sent = await Promise.all(
			skus.map(
				async (sku) =>
					await sendShopify(
						'failIn00000001',
						'orders/create',
						shopifyOrder({ lines: [{ sku, quantity: 1 }] }),
						`fail-${sku}`,
					),
			),
		);
		expect(sent.map((s) => s.status)).toEqual(skus.map(() => 200));
		await waitFor(
			async () => await successful('failInbox00001'),
			(list) => skus.every((sku) => list.some((e) => skusOf(e).includes(sku))),
			60_000,
			'processed after the outage',
			250,
		);
		await drained('fail', 30_000);
		const all = await n8n.executions({ workflowId: 'failInbox00001', includeData: true });
		const failed = all.filter((e) => e.status === 'error');
		expect(failed).toHaveLength(3);
		expect(Number(fs.readFileSync(OUTAGE_COUNTER, 'utf8'))).toBeGreaterThanOrEqual(4);
		for (const sku of skus) {
			const lastFailedStart = Math.max(
				...failed.filter((e) => skusOf(e).includes(sku)).map((e) => Date.parse(e.startedAt)),
				0,
			);
			const okRuns = all.filter((e) => e.status === 'success' && skusOf(e).includes(sku));
			expect(okRuns).toHaveLength(1);
			if (lastFailedStart > 0)
				expect(Date.parse(okRuns[0].startedAt) - lastFailedStart).toBeGreaterThanOrEqual(2_800);
		}
		expect(await redis.exists(stream('dlq'))).toBe(0);
	});

	it('a poison entry: halved until it runs alone, dead-lettered alone after Max deliveries; every neighbour processed', async () => {
		const before = (await n8n.executions({ workflowId: 'failInbox00001' })).length;
		const skus = [...Array.from({ length: 10 }, (_, i) => `OK-${i}`), 'POISON'];
		const sent = await Promise.all(
			skus.map(
				async (sku) =>
					await sendShopify(
						'failIn00000001',
						'orders/create',
						shopifyOrder({ lines: [{ sku, quantity: 1 }] }),
						`fail-${sku}`,
					),
			),
		);
		expect(sent.map((s) => s.status)).toEqual(skus.map(() => 200));

		const dlq = stream('dlq');
		await waitFor(
			async () => await redis.xlen(dlq),
			(n) => n >= 1,
			60_000,
			'dead letter',
			250,
		);
		await drained('fail', 30_000);
		// Nothing else may follow: a marker sent now is processed after anything still due, so once its run
		// succeeded and the stream is drained again, the dead letters are final.
		const marker = await sendShopify(
			'failIn00000001',
			'orders/create',
			shopifyOrder({ lines: [{ sku: 'MARK-1', quantity: 1 }] }),
			'fail-MARK-1',
		);
		expect(marker.status).toBe(200);
		await waitFor(
			async () => await successful('failInbox00001'),
			(list) => list.some((e) => skusOf(e).includes('MARK-1')),
			60_000,
			'the marker processed',
			250,
		);
		await drained('fail', 30_000);
		const letters = await redis.xrange(dlq, '-', '+');
		expect(letters).toHaveLength(1);
		const fields = fieldsOf(letters[0]);
		expect(fields).toMatchObject({
			kind: 'inbox',
			stream: stream('fail'),
			group: GROUP,
			deliveries: '3',
			platform: 'shopify',
		});
		expect(fields.reason).toMatch(
			/^no successful run after 2 deliveries; last error: .*poison order line/,
		);
		expect(JSON.parse(fields.headers)['x-shopify-event-id']).toBe('fail-POISON');
		expect(fields.body).toBe(sent[10].rawBody);

		const all = (await n8n.executions({ workflowId: 'failInbox00001', includeData: true })).slice(
			before,
		);
		const ok = all.filter((e) => e.status === 'success');
		expect(new Set(ok.flatMap(skusOf))).toEqual(
			new Set([...skus.filter((s) => s !== 'POISON'), 'MARK-1']),
		);
		// Every run with the poison entry failed; the last ones held it alone (one per delivery).
		const poisonRuns = all.filter((e) => skusOf(e).includes('POISON'));
		expect(poisonRuns.every((e) => e.status === 'error')).toBe(true);
		expect(poisonRuns.slice(-2).map(skusOf)).toEqual([['POISON'], ['POISON']]);
	});
});

describe("Redis outage (a Redis of the test's own)", () => {
	it('stopped → the webhook answers 503, never 200; back → 200 and the event is processed', async () => {
		const level = (n: number) =>
			shopifyInventoryLevel({
				inventoryItemId: 7_000_000n + BigInt(n),
				locationId: 1,
				available: n,
			});
		expect(
			(await sendShopify('ownIn000000001', 'inventory_levels/update', level(1), 'own-1')).status,
		).toBe(200);
		const ownClient = new Redis({
			host: '127.0.0.1',
			port: own.port,
			maxRetriesPerRequest: 1,
			retryStrategy: () => 200,
		});
		ownClient.on('error', () => undefined);
		try {
			await drained('own', 30_000, ownClient);
			await own.kill();
			const during = await Promise.all(
				[2, 3, 4].map(
					async (n) =>
						await sendShopify('ownIn000000001', 'inventory_levels/update', level(n), `own-${n}`),
				),
			);
			expect(during.map((s) => s.status)).toEqual([503, 503, 503]);
			const answer = await shopify.sendWebhook(
				url('ownIn000000001'),
				'inventory_levels/update',
				level(5),
				{ eventId: 'own-5' },
			);
			expect(answer.status).toBe(503);
			expect(JSON.parse(answer.body)).toEqual({ error: 'inbox unavailable, retry later' });

			await own.restart();
			// As Shopify does: retry until it is accepted (the shared client reconnects within ~2 s).
			const accepted = await waitFor(
				async () =>
					await sendShopify('ownIn000000001', 'inventory_levels/update', level(6), 'own-6'),
				(s) => s.status === 200,
				30_000,
				'accepted after Redis came back',
				250,
			);
			expect(accepted.status).toBe(200);
			const runs = await waitFor(
				async () => await successful('ownInbox000001'),
				(list) =>
					list.some((e) =>
						(n8n.nodeOutput(e, INBOX_TRIGGER)[0] ?? []).some((ev) => ev.correlationId === 'own-6'),
					),
				60_000,
				'processed after the outage',
				250,
			);
			const seen = runs.flatMap((e) =>
				(n8n.nodeOutput(e, INBOX_TRIGGER)[0] ?? []).map((ev) => ev.correlationId),
			);
			expect(seen).toEqual(expect.arrayContaining(['own-1', 'own-6']));
			expect(
				seen.filter((id) => ['own-2', 'own-3', 'own-4', 'own-5'].includes(String(id))),
			).toEqual([]);
		} finally {
			ownClient.disconnect();
		}
	});
});

describe('n8n killed mid-batch', () => {
	it('SIGKILL with batches in flight → after restart every acknowledged webhook is processed (at least once), none lost', async () => {
		const deliveries = Array.from({ length: 300 }, (_, i) => ({
			i,
			order: shopifyOrder({ lines: [{ sku: `KILL-${i}`, quantity: 1 }] }),
		}));
		let killedAt = 0;
		const sending = pool(deliveries, 16, async ({ i, order }) => {
			const r = await shopify.sendWebhook(url('killIn00000001'), 'orders/create', order, {
				eventId: `kill-${i}`,
				timeoutMs: 5_000,
			});
			return { i, status: r.status, at: Date.now() };
		});
		await waitFor(
			async () => await groupState(redis, stream('kill'), GROUP),
			(s) => s.pending >= 50,
			30_000,
			'batches in flight',
			250,
		);
		await n8n.kill();
		killedAt = Date.now();
		const inFlightAtKill = await groupState(redis, stream('kill'), GROUP);
		const results = await sending;
		const acknowledged = results.filter((r) => r.status === 200).map((r) => `kill-${r.i}`);
		expect(acknowledged.length).toBeGreaterThan(50);
		expect(inFlightAtKill.pending).toBeGreaterThan(0);

		await n8n.restart();
		await drained('kill', 120_000);
		const runs = await waitFor(
			async () => await successful('killInbox00001'),
			(list) => {
				const seen = new Set(
					list.flatMap((e) =>
						(n8n.nodeOutput(e, INBOX_TRIGGER)[0] ?? []).map((ev) => String(ev.correlationId)),
					),
				);
				return acknowledged.every((id) => seen.has(id));
			},
			60_000,
			'every acknowledged webhook in a successful run',
			250,
		);
		const after = runs.filter((e) => Date.parse(e.startedAt) > killedAt);
		expect(after.length).toBeGreaterThan(0); // reclaimed by the restarted n8n
		// eslint-disable-next-line no-console
		console.log(
			`kill e2e: ${acknowledged.length} acknowledged, ${inFlightAtKill.pending} pending at the kill, ${after.length} runs after restart`,
		);
	});
});
