/**
 * Secret-leak scan (issue 22, "Bad input and security"). A representative pipeline runs in a real n8n 2.41.1
 * with distinctive secrets made up for this run — Shopify webhook secrets (current and previous), a legacy
 * access token, a client id/secret pair (and the tokens the grant hands out), WooCommerce consumer key and
 * secret and webhook secret, the Redis password of a redis-server of the test's own (`requirepass`) and a wrong
 * Redis password:
 *
 *   simulators' sales → Inventory Webhook Trigger (inbox mode, subscriptions managed on activation) → Redis inbox
 *   → Inventory Inbox Trigger → Guard → Ledger → Shopify Publish (client credentials) → WooCommerce Publish
 *   (WooCommerce answers 503 for the whole run: its batch is dead-lettered);
 *   a Webhook Trigger in per-request mode re-reading a refunded order with the access token;
 *   signed deliveries through the Inventory Receiver into the same inbox, and a second receiver on the wrong
 *   Redis password (503s, its log says why);
 *   forced failures: a receipt workflow on the wrong Redis password (503, n8n logs why) and a Ledger run on it
 *   (a failed execution), bad signatures (401).
 *
 * Then every place a secret could end up is searched for every secret: n8n's files (logs, event log, the
 * database), the execution data read back through the public API, every key of the Redis (inbox, audit
 * streams, dead letters, ledger), the receivers' log lines, /metrics and answers, and this test's own output.
 * 0 hits. The scan is not vacuous: each place is checked to hold what the run should have put there.
 *
 * `INVSYNC_E2E_DIST` may name another build of the package (default: a snapshot of the repo's dist/).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Redis from 'ioredis';
import { startN8n, type N8nInstance } from './harness';
import {
	INBOX_TRIGGER,
	groupState,
	inboxTriggerNode,
	noOp,
	plainNode,
	snapshotDist,
	webhookTriggerNode,
	wire,
	workflow,
} from './inboxSupport';
import { channelNode } from './channelsSupport';
import {
	ShopifySimulator,
	WooCommerceSimulator,
	shopifyOrder,
	shopifyRefund,
	toJson,
} from '../simulators';
import { applyEvents, saveProfile } from '../../nodes/InventoryLedger/ledger';
import { channelKeys } from '../../nodes/shared/keys';
import { startReceiver, type RunningReceiver } from '../../receiver/server';
import { loadConfig } from '../../receiver/config';
import { freePort, OwnRedis, waitFor } from '../support';

jest.setTimeout(360_000);

const mark = (what: string) => `${what}${randomBytes(9).toString('hex')}`;
const SECRET = {
	shopifyWebhook: mark('leakShpWhsec'),
	shopifyPreviousWebhook: mark('leakShpPrevWhsec'),
	shopifyToken: mark('shpat_leak'),
	shopifyClientSecret: mark('leakShpClientSecret'),
	wooKey: mark('ck_leak'),
	wooSecret: mark('cs_leak'),
	wooWebhook: mark('leakWooWhsec'),
	redisPassword: mark('leakRedisPw'),
	wrongRedisPassword: mark('leakWrongRedisPw'),
};
const CLIENT_ID = 'leak-client-id';
const SHOP = 'leak-shop.myshopify.com';
const PREFIX = 'leak';
/** An inbox stream no Inbox Trigger reads, so what receipt stored there stays for the scan. */
const HELD = 'held';
const LOC_W = '71001';
const PLACE_W = `shopify:${SHOP}:${LOC_W}`;
const WH = 'ledger:wh';
const SKUS = Array.from({ length: 6 }, (_, i) => `LEAK-${i}`);
const itemOf = (sku: string) => String(9_200_000_000 + SKUS.indexOf(sku));

let n8n: N8nInstance;
let shopify: ShopifySimulator;
let woo: WooCommerceSimulator;
let redisServer: OwnRedis;
let redis: Redis;
let receiver: RunningReceiver;
let badReceiver: RunningReceiver;
let heldReceiver: RunningReceiver;
let snapshot: ReturnType<typeof snapshotDist> | undefined;
let wooShop: string;
const receiverLog: Array<Record<string, unknown>> = [];
const receiverAnswers: string[] = [];

// This file's own output, captured for the scan (and still shown).
const output: string[] = [];
const restore: Array<() => void> = [];
function capture(): void {
	for (const stream of [process.stdout, process.stderr]) {
		const write = stream.write.bind(stream);
		stream.write = ((chunk: unknown, ...rest: unknown[]) => {
			output.push(String(chunk));
			return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
		}) as typeof stream.write;
		restore.push(() => (stream.write = write));
	}
	/* eslint-disable no-console -- this file's own console output is one of the places scanned */
	for (const level of ['log', 'info', 'warn', 'error'] as const) {
		const original = console[level];
		console[level] = (...args: unknown[]) => {
			output.push(args.map(String).join(' '));
			original(...args);
		};
		restore.push(() => (console[level] = original));
	}
	/* eslint-enable no-console */
}

function redisCredential(password: string) {
	return { host: '127.0.0.1', port: redisServer.port, database: 0, password, keyPrefix: PREFIX };
}

function workflows(): object[] {
	const receipt = (
		id: string,
		platform: 'shopify' | 'woocommerce',
		redisCred: string,
		manage: boolean,
	) => {
		const node = webhookTriggerNode({
			platform,
			webhookId: `${id}-hook`,
			delivery: 'inbox',
			stream: 'inbox',
			platformCredential: platform === 'shopify' ? 'shopifyToken' : 'wooKeys',
			redisCredential: redisCred,
		});
		(node.parameters as Record<string, unknown>).options = { manageSubscriptions: manage };
		return workflow(id, [node], {});
	};
	const redisRef = { inventoryRedisApi: { id: 'redisRight', name: 'redisRight' } };
	const c: Record<string, unknown> = {};
	wire(c, INBOX_TRIGGER, 'Deduplicate', 'Invalid');
	wire(c, 'Deduplicate', 'Inventory Ledger', 'Duplicate');
	c['Inventory Ledger'] = {
		main: [
			[
				{ node: 'Commit', type: 'main', index: 0 },
				{ node: 'Shopify Publish', type: 'main', index: 0 },
			],
			[{ node: 'Skipped', type: 'main', index: 0 }],
			[{ node: 'Ledger Invalid', type: 'main', index: 0 }],
		],
	};
	wire(c, 'Shopify Publish', 'WooCommerce Publish');
	const processing = workflow(
		'leakProcessing01',
		[
			inboxTriggerNode({
				redisCredential: 'redisRight',
				parameters: { inboxStream: 'inbox', batchSize: 100, maxWait: 300 },
			}),
			plainNode('Deduplicate', 'CUSTOM.inventoryGuard', { operation: 'deduplicate' }, 1, {
				credentials: redisRef,
			}),
			plainNode('Inventory Ledger', 'CUSTOM.inventoryLedger', { operation: 'apply' }, 1, {
				credentials: redisRef,
			}),
			plainNode('Commit', 'CUSTOM.inventoryGuard', { operation: 'commit' }, 1, {
				credentials: redisRef,
			}),
			channelNode({
				name: 'Shopify Publish',
				platform: 'shopify',
				operation: 'publish',
				channel: 'shopify',
				redisCredential: 'redisRight',
				platformCredential: 'shopifyClient',
			}),
			channelNode({
				name: 'WooCommerce Publish',
				platform: 'woocommerce',
				operation: 'publish',
				channel: 'woo',
				redisCredential: 'redisRight',
				platformCredential: 'wooKeys',
				parameters: { options: { timeBudget: 3 } },
			}),
			noOp('Invalid'),
			noOp('Duplicate'),
			noOp('Skipped'),
			noOp('Ledger Invalid'),
		],
		c,
	);
	// Per-request mode with the order re-read (refunds/create → GraphQL with the access token).
	const directNode = webhookTriggerNode({
		platform: 'shopify',
		webhookId: 'leakDirect-hook',
		delivery: 'run',
		platformCredential: 'shopifyToken',
	});
	const dc: Record<string, unknown> = {};
	wire(dc, 'Inventory Webhook Trigger', 'Events', 'Invalid');
	const direct = workflow('leakDirect000001', [directNode, noOp('Events'), noOp('Invalid')], dc);
	// A Ledger run on the wrong Redis password: a failed execution.
	const fc: Record<string, unknown> = {};
	wire(fc, 'Start', 'Ledger Get');
	const failing = workflow(
		'leakFailing00001',
		[
			plainNode(
				'Start',
				'n8n-nodes-base.webhook',
				{ httpMethod: 'POST', path: 'leak-fail', responseMode: 'onReceived', options: {} },
				2,
				{ webhookId: 'leak-fail-hook' },
			),
			plainNode('Ledger Get', 'CUSTOM.inventoryLedger', { operation: 'get', sku: SKUS[0] }, 1, {
				credentials: { inventoryRedisApi: { id: 'redisWrong', name: 'redisWrong' } },
			}),
		],
		fc,
	);
	const held = receipt('leakRecvHeld0001', 'shopify', 'redisRight', false);
	(
		held as { nodes: Array<{ parameters: Record<string, unknown> }> }
	).nodes[0].parameters.inboxStream = HELD;
	return [
		held,
		receipt('leakRecvShopify1', 'shopify', 'redisRight', true),
		receipt('leakRecvWoo00001', 'woocommerce', 'redisRight', true),
		receipt('leakRecvWrongPw1', 'shopify', 'redisWrong', false),
		processing,
		direct,
		failing,
	];
}

async function seed(): Promise<void> {
	await saveProfile(redis, PREFIX, {
		dryRun: false,
		locations: [{ id: WH, owner: 'ledger', aliases: [PLACE_W] }],
		channels: [
			{
				name: 'shopify',
				platform: 'shopify',
				shop: SHOP,
				salesLocation: WH,
				places: [{ id: PLACE_W, shows: [WH] }],
			},
			{
				name: 'woo',
				platform: 'woocommerce',
				shop: wooShop,
				salesLocation: WH,
				places: [{ id: `woocommerce:${wooShop}:default`, shows: [WH] }],
			},
		],
	});
	shopify.putLocation(LOC_W, 'Warehouse');
	const events: object[] = [];
	for (const sku of SKUS) {
		shopify.putInventoryItem(itemOf(sku), sku);
		shopify.setLevel(itemOf(sku), LOC_W, 30);
		woo.putProduct({ sku, manage_stock: true, stock_quantity: 30 });
		events.push(
			{
				kind: 'mapping',
				id: `shopify:${SHOP}:mapping:${itemOf(sku)}`,
				version: 1,
				source: {
					platform: 'shopify',
					shop: SHOP,
					topic: 'inventory_items/update',
					via: 'reconciliation',
				},
				sku,
				refs: { inventoryItemId: itemOf(sku) },
				locationId: null,
				quantity: null,
				occurredAt: '',
				receivedAt: '',
			},
			{
				kind: 'level',
				id: `manual:erp:level:${sku}`,
				version: 1,
				source: { platform: 'manual', shop: 'erp', topic: 'count', via: 'manual' },
				sku,
				refs: {},
				locationId: WH,
				quantity: 30,
				occurredAt: '',
				receivedAt: '',
			},
		);
	}
	const results = await applyEvents(redis, PREFIX, events as never);
	expect(results.filter((r) => r.outcome === 'invalid')).toEqual([]);
}

beforeAll(async () => {
	capture();
	redisServer = await OwnRedis.start({ args: ['--requirepass', SECRET.redisPassword] });
	redis = new Redis({
		host: '127.0.0.1',
		port: redisServer.port,
		password: SECRET.redisPassword,
		lazyConnect: true,
	});
	await redis.connect();
	shopify = new ShopifySimulator({
		shop: SHOP,
		webhookSecret: SECRET.shopifyWebhook,
		accessToken: SECRET.shopifyToken,
		clientId: CLIENT_ID,
		clientSecret: SECRET.shopifyClientSecret,
		salesLocationId: LOC_W,
	});
	woo = new WooCommerceSimulator({ consumerKey: SECRET.wooKey, consumerSecret: SECRET.wooSecret });
	await Promise.all([shopify.start(), woo.start()]);
	wooShop = new URL(woo.baseUrl).host.toLowerCase();
	await seed();
	const receiverConfig = async (password: string, stream = 'inbox') =>
		loadConfig({
			listen: { host: '127.0.0.1', port: await freePort() },
			redis: { host: '127.0.0.1', port: redisServer.port, password, keyPrefix: PREFIX },
			inboxStream: stream,
			shops: [
				{
					platform: 'shopify',
					shop: SHOP,
					path: '/shopify/leak',
					secret: SECRET.shopifyWebhook,
					previousSecret: SECRET.shopifyPreviousWebhook,
				},
				{
					platform: 'woocommerce',
					shop: wooShop,
					path: '/woocommerce/leak',
					secret: SECRET.wooWebhook,
				},
			],
		});
	receiver = await startReceiver(await receiverConfig(SECRET.redisPassword), {
		logger: (l) => receiverLog.push(l),
	});
	// Into a stream no Inbox Trigger reads: its entries stay for the scan (the processed inbox is trimmed).
	heldReceiver = await startReceiver(await receiverConfig(SECRET.redisPassword, HELD), {
		logger: (l) => receiverLog.push({ ...l, receiver: 'held' }),
	});
	badReceiver = await startReceiver(await receiverConfig(SECRET.wrongRedisPassword), {
		logger: (l) => receiverLog.push({ ...l, receiver: 'wrong password' }),
	});
	const dist = process.env.INVSYNC_E2E_DIST;
	if (!dist) snapshot = snapshotDist();
	n8n = await startN8n({
		extensions: [dist ?? snapshot!.dist],
		activateVia: 'api',
		credentials: [
			{
				id: 'shopifyToken',
				name: 'shopifyToken',
				type: 'shopifyInventoryApi',
				data: {
					shopDomain: shopify.baseUrl,
					authentication: 'accessToken',
					accessToken: SECRET.shopifyToken,
					apiVersion: '2026-10',
					webhookSecret: SECRET.shopifyWebhook,
					previousWebhookSecret: SECRET.shopifyPreviousWebhook,
				},
			},
			{
				id: 'shopifyClient',
				name: 'shopifyClient',
				type: 'shopifyInventoryApi',
				data: {
					shopDomain: shopify.baseUrl,
					authentication: 'clientCredentials',
					clientId: CLIENT_ID,
					clientSecret: SECRET.shopifyClientSecret,
					apiVersion: '2026-10',
				},
			},
			{
				id: 'wooKeys',
				name: 'wooKeys',
				type: 'wooCommerceInventoryApi',
				data: {
					siteUrl: woo.baseUrl,
					consumerKey: SECRET.wooKey,
					consumerSecret: SECRET.wooSecret,
					webhookSecret: SECRET.wooWebhook,
				},
			},
			{
				id: 'redisRight',
				name: 'redisRight',
				type: 'inventoryRedisApi',
				data: redisCredential(SECRET.redisPassword),
			},
			{
				id: 'redisWrong',
				name: 'redisWrong',
				type: 'inventoryRedisApi',
				data: redisCredential(SECRET.wrongRedisPassword),
			},
		],
		workflows: workflows(),
	});
});

afterAll(async () => {
	for (const undo of restore.reverse()) undo();
	await n8n?.stop();
	await receiver?.close();
	await badReceiver?.close();
	await heldReceiver?.close();
	await shopify?.stop();
	await woo?.stop();
	await redis?.quit();
	await redisServer?.stop();
	snapshot?.remove();
});

/** Every file under `dir` (symbolic links not followed), as bytes. */
function filesUnder(dir: string): Array<{ file: string; bytes: Buffer }> {
	const out: Array<{ file: string; bytes: Buffer }> = [];
	for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
		const p = path.join(dir, entry.name);
		if (entry.isDirectory()) out.push(...filesUnder(p));
		else if (entry.isFile()) out.push({ file: p, bytes: fs.readFileSync(p) });
	}
	return out;
}

/** Every key of the server and its content, as one text per key. */
async function redisContents(): Promise<Map<string, string>> {
	const out = new Map<string, string>();
	let cursor = '0';
	do {
		const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
		cursor = next;
		for (const key of keys) {
			const type = await redis.type(key);
			let value: unknown;
			if (type === 'string') value = await redis.get(key);
			else if (type === 'hash') value = await redis.hgetall(key);
			else if (type === 'set') value = await redis.smembers(key);
			else if (type === 'zset') value = await redis.zrange(key, 0, -1, 'WITHSCORES');
			else if (type === 'list') value = await redis.lrange(key, 0, -1);
			else if (type === 'stream') value = await redis.xrange(key, '-', '+');
			out.set(key, `${key} ${JSON.stringify(value)}`);
		}
	} while (cursor !== '0');
	return out;
}

it('a pipeline with distinctive secrets, failures and dead letters: no secret in n8n’s files and log, the execution data, Redis, the receivers or the test output', async () => {
	// The platforms can reach n8n: subscriptions were created on activation (with the token and keys).
	await waitFor(
		() => [shopify.subscriptions.length, woo.webhooks.size],
		([s, w]) => s >= 7 && w >= 3,
		30_000,
		'subscriptions created on activation',
	);
	// WooCommerce answers 503 for the whole run: its Publish dead-letters.
	woo.unavailableFor(10 * 60_000);

	// Sales on both platforms (their webhooks reach the inbox through n8n).
	for (let i = 0; i < 4; i++) {
		shopify.placeOrder({ lines: [{ sku: SKUS[i], quantity: 1 }] });
		woo.placeOrder({ lines: [{ sku: SKUS[i + 1], quantity: 1 }] });
	}
	await shopify.webhooksIdle();
	await woo.flushDeliveries();

	// Deliveries through the receiver into the same inbox, one signed with the previous secret; bad signatures.
	const rcv = `${receiver.url}/shopify/leak`;
	const order = shopifyOrder({ lines: [{ sku: SKUS[5], quantity: 2 }] });
	const viaReceiver = await shopify.sendWebhook(rcv, 'orders/create', order);
	const viaPrevious = await shopify.sendWebhook(rcv, 'orders/updated', order, {
		secret: SECRET.shopifyPreviousWebhook,
	});
	const forged = await shopify.sendWebhook(rcv, 'orders/updated', order, { secret: 'forged' });
	const n8nForged = await shopify.sendWebhook(
		n8n.webhookUrl('leakRecvShopify1-hook', 'webhook'),
		'orders/updated',
		order,
		{
			secret: 'forged',
		},
	);
	expect([viaReceiver.status, viaPrevious.status, forged.status, n8nForged.status]).toEqual([
		200, 200, 401, 401,
	]);
	const held = [
		await shopify.sendWebhook(`${heldReceiver.url}/shopify/leak`, 'orders/create', order),
		await shopify.sendWebhook(
			n8n.webhookUrl('leakRecvHeld0001-hook', 'webhook'),
			'orders/create',
			order,
		),
		await woo.sendWebhook(
			`${heldReceiver.url}/woocommerce/leak`,
			'order.created',
			woo.placeOrder({ lines: [{ sku: SKUS[0], quantity: 1 }] }),
			{ secret: SECRET.wooWebhook },
		),
	];
	expect(held.map((r) => r.status)).toEqual([200, 200, 200]);
	const toBad = await shopify.sendWebhook(
		`${badReceiver.url}/shopify/leak`,
		'orders/create',
		order,
	);
	expect(toBad.status).toBe(503);
	receiverAnswers.push(viaReceiver.body, viaPrevious.body, forged.body, toBad.body);
	for (const r of [receiver, badReceiver, heldReceiver]) {
		receiverAnswers.push(r.metricsText());
		receiverAnswers.push(await (await fetch(`${r.url}/healthz`)).text());
		receiverAnswers.push(await (await fetch(`${r.url}/metrics`)).text());
	}

	// Forced failures in n8n: a receipt on the wrong Redis password (503), a Ledger run on it (failed run).
	const wrongPw = await shopify.sendWebhook(
		n8n.webhookUrl('leakRecvWrongPw1-hook', 'webhook'),
		'orders/create',
		order,
	);
	expect(wrongPw.status).toBe(503);
	const failing = await fetch(`${n8n.baseUrl}/webhook/leak-fail`, {
		method: 'POST',
		body: '{}',
		headers: { 'Content-Type': 'application/json' },
	});
	expect(failing.status).toBe(200);
	// Per-request mode: a refund whose order is re-read with the access token.
	shopify.putOrder(toJson(order));
	const refund = shopifyRefund({
		orderId: order.id as bigint,
		lines: [
			{
				lineItemId: (order.line_items as Array<{ id: bigint }>)[0].id,
				quantity: 1,
				restockType: 'return',
				locationId: LOC_W,
			},
		],
	});
	const refunded = await shopify.sendWebhook(
		n8n.webhookUrl('leakDirect-hook', 'webhook'),
		'refunds/create',
		refund,
	);
	expect(refunded.status).toBe(200);

	// The pipeline drains: inbox processed, Shopify published, WooCommerce dead-lettered.
	await waitFor(
		async () => ({
			inbox: await groupState(redis, `${PREFIX}:inbox`, 'inbox-trigger'),
			running: (await n8n.executions({ status: 'running' })).length,
			dlq: await redis.xlen(channelKeys.dlq(PREFIX)),
			published: shopify.mutationCalls().length,
		}),
		(s) =>
			s.inbox.pending === 0 && s.inbox.lag === 0 && s.running === 0 && s.dlq > 0 && s.published > 0,
		120_000,
		'pipeline drained, published and dead-lettered',
		500,
	);
	await n8n.waitForExecutions({ workflowId: 'leakFailing00001', count: 1, timeoutMs: 30_000 });
	await n8n.waitForExecutions({ workflowId: 'leakDirect000001', count: 1, timeoutMs: 30_000 });
	const executions = await n8n.executions({ includeData: true });

	// ---- the scan -------------------------------------------------------------------------------------------
	const secrets = [
		...Object.entries(SECRET),
		...shopify.validIssuedTokens().map((t, i) => [`grantedToken${i}`, t] as [string, string]),
	];
	expect(shopify.tokenGrants).toBeGreaterThan(0); // the client credentials were used
	const redisState = await redisContents();
	const places: Array<{ place: string; text: string | Buffer }> = [
		...filesUnder(n8n.userFolder).map(({ file, bytes }) => ({
			place: `n8n file ${path.relative(n8n.userFolder, file)}`,
			text: bytes,
		})),
		{ place: 'n8n log', text: n8n.logs() },
		{ place: 'execution data (API)', text: JSON.stringify(executions) },
		...[...redisState].map(([key, text]) => ({ place: `redis ${key}`, text })),
		{ place: 'receiver log', text: receiverLog.map((l) => JSON.stringify(l)).join('\n') },
		{ place: 'receiver answers and metrics', text: receiverAnswers.join('\n') },
		{ place: 'test output', text: output.join('') },
	];
	const hits: string[] = [];
	for (const { place, text } of places)
		for (const [name, value] of secrets) {
			const found = Buffer.isBuffer(text)
				? text.includes(Buffer.from(value))
				: text.includes(value);
			if (found) hits.push(`${name} in ${place}`);
		}

	// Not vacuous: the scan finds a known non-secret text (a SKU of the run) where the run wrote it — in the
	// execution data, in Redis and in n8n's database files — and each place holds what the run put there.
	const canary = (where: RegExp) =>
		places.some(
			({ place, text }) =>
				where.test(place) &&
				(Buffer.isBuffer(text) ? text.includes(Buffer.from(SKUS[0])) : text.includes(SKUS[0])),
		);
	expect([/^execution data/, /^redis /, /^n8n file .*database\.sqlite/].map(canary)).toEqual([
		true,
		true,
		true,
	]);
	const keys = [...redisState.keys()];
	expect(keys.some((k) => /:sku:.*:audit$/.test(k))).toBe(true);
	expect(keys).toContain(`${PREFIX}:inbox`);
	expect(await redis.xlen(`${PREFIX}:${HELD}`)).toBe(3); // stored deliveries, from n8n and the receiver
	expect(await redis.xlen(channelKeys.dlq(PREFIX))).toBeGreaterThan(0);
	expect(
		await redis
			.xinfo('STREAM', `${PREFIX}:inbox`)
			.then((i) => Number((i as unknown[])[(i as unknown[]).indexOf('entries-added') + 1])),
	).toBeGreaterThanOrEqual(10);
	expect(executions.some((e) => e.workflowId === 'leakFailing00001' && e.status === 'error')).toBe(
		true,
	);
	expect(JSON.stringify(executions)).toMatch(/authentication failed/);
	expect(n8n.logs()).toMatch(
		/Inventory inbox unavailable: Redis at 127\.0\.0\.1:[0-9]+: authentication failed/,
	);
	expect(
		executions.filter((e) => e.workflowId === 'leakProcessing01' && e.status === 'success').length,
	).toBeGreaterThan(0);
	expect(
		receiverLog.some(
			(l) => l.event === 'inbox_unavailable' && /authentication failed/.test(String(l.reason)),
		),
	).toBe(true);
	expect(receiverLog.some((l) => l.event === 'rejected')).toBe(true);
	expect(filesUnder(n8n.userFolder).some(({ file }) => /database\.sqlite$/.test(file))).toBe(true);

	const report = {
		secrets: secrets.length,
		places: places.length,
		n8nFiles: places.filter((p) => p.place.startsWith('n8n file')).length,
		redisKeys: redisState.size,
		executions: executions.length,
		deadLetters: await redis.xlen(channelKeys.dlq(PREFIX)),
		hits: hits.length,
	};
	// eslint-disable-next-line no-console
	console.log(`secret-leak scan: ${JSON.stringify(report)}`);
	expect(hits).toEqual([]);
});
