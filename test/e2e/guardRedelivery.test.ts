/**
 * The README's real-time recipe in a real n8n 2.41.1 — Webhook Trigger (inbox) → Inbox Trigger → Guard
 * (Deduplicate) → a gate → Ledger (Apply) → Guard (Commit) — when the run dies or fails between the Guard's
 * claim and the Ledger (issue 15, item 2). Before the fix, the claim (TTL 300 s) belonged to the execution and
 * outlived the Inbox Trigger's redelivery of the same entry: the redelivered events went to Duplicate, the run
 * "succeeded", the entries were acknowledged, and the sale never reached the ledger. Now the claim belongs to
 * the inbox entry, so each of these ends with every sale applied exactly once:
 *
 * - one half of a batch fails: the batch and the failing half fail, the other half is re-run at once;
 * - the run fails after the claim (a downstream outage): re-emitted after Reclaim After;
 * - n8n is SIGKILLed right after the claim: the restarted n8n takes the entry over after Reclaim After.
 *
 * The gate is a Code node that fails or hangs on chosen SKUs, driven by files (so the outcome depends on the
 * order of events, never on timing). The ledger's quantities in Redis are what the test checks: a sale applied
 * twice or never shows at once. Engine: legacy (nothing here depends on it; receipt is faster).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Redis from 'ioredis';
import { startN8n, type Execution, type N8nInstance } from './harness';
import { ShopifySimulator, shopifyOrder } from '../simulators';
import { ledgerKeys } from '../../nodes/shared/keys';
import { applyEvents, saveProfile } from '../../nodes/InventoryLedger/ledger';
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
import { deleteByPrefix, TEST_REDIS, waitFor } from '../support';

jest.setTimeout(300_000);

const SECRET = 'redelivery-e2e-shopify';
const PREFIX = `e2eredeliver${process.pid}`;
const SHOP = 'demo-shop.myshopify.com';
const WH = 'ledger:wh';
const STOCK = 100;
const PROCESSING = 'redeliverProc1';
const STATE_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'invsync-redelivery-'));

let n8n: N8nInstance;
let shopify: ShopifySimulator;
let redis: Redis;
let snapshot: ReturnType<typeof snapshotDist>;

/**
 * The gate between the Guard and the Ledger. HALF-B fails the first two runs that hold it (the batch, then its
 * half); FAIL-* fails the first run that holds it; KILL-* marks "claimed" and then waits, until the test has
 * killed n8n (the marker `killed` exists on the next delivery).
 */
const GATE = [
	"const fs = require('fs');",
	`const dir = ${JSON.stringify(STATE_DIR)};`,
	'const items = $input.all();',
	'const skus = items.map((i) => String(i.json.sku));',
	'const count = (name) => {',
	"  const file = dir + '/' + name;",
	"  const n = (fs.existsSync(file) ? Number(fs.readFileSync(file, 'utf8')) : 0) + 1;",
	'  fs.writeFileSync(file, String(n));',
	'  return n;',
	'};',
	"if (skus.includes('HALF-B') && count('half-b') <= 2) throw new Error('HALF-B: downstream outage after the claim');",
	"if (skus.some((s) => s.startsWith('FAIL-')) && count('fail') <= 1) throw new Error('downstream outage after the claim');",
	"if (skus.some((s) => s.startsWith('KILL-')) && !fs.existsSync(dir + '/killed')) {",
	"  fs.writeFileSync(dir + '/claimed', String(Date.now()));",
	'  await new Promise((resolve) => setTimeout(resolve, 600000));',
	'}',
	'return items;',
].join('\n');

function workflows(): object[] {
	const redisCred = { inventoryRedisApi: { id: 'redisR', name: 'redisR' } };
	const c: Record<string, unknown> = {};
	wire(c, INBOX_TRIGGER, 'Deduplicate', 'Invalid');
	wire(c, 'Deduplicate', 'Gate', 'Duplicate');
	wire(c, 'Gate', 'Inventory Ledger');
	wire(c, 'Inventory Ledger', 'Commit', 'Skipped', 'Ledger Invalid');
	return [
		workflow(
			'redeliverRecv1',
			[
				webhookTriggerNode({
					platform: 'shopify',
					webhookId: 'redeliver-hook',
					delivery: 'inbox',
					stream: 'inbox',
					platformCredential: 'shopifyR',
					redisCredential: 'redisR',
				}),
			],
			{},
		),
		workflow(
			PROCESSING,
			[
				inboxTriggerNode({
					redisCredential: 'redisR',
					parameters: {
						inboxStream: 'inbox',
						reclaimAfter: 3,
						maxDeliveries: 5,
						batchSize: 50,
						maxWait: 2000,
					},
				}),
				plainNode('Deduplicate', 'CUSTOM.inventoryGuard', { operation: 'deduplicate' }, 1, {
					credentials: redisCred,
				}),
				plainNode('Gate', 'n8n-nodes-base.code', { jsCode: GATE }, 2),
				plainNode('Inventory Ledger', 'CUSTOM.inventoryLedger', { operation: 'apply' }, 1, {
					credentials: redisCred,
				}),
				plainNode('Commit', 'CUSTOM.inventoryGuard', { operation: 'commit' }, 1, {
					credentials: redisCred,
				}),
				noOp('Duplicate'),
				noOp('Invalid'),
				noOp('Skipped'),
				noOp('Ledger Invalid'),
			],
			c,
			false, // activated by the first test once its batch is in the inbox
		),
	];
}

const SKUS = ['HALF-A', 'HALF-B', 'FAIL-1', 'KILL-1'];

beforeAll(async () => {
	snapshot = snapshotDist();
	redis = new Redis({ host: TEST_REDIS.host, port: TEST_REDIS.port, lazyConnect: true });
	await redis.connect();
	// Shopify web orders draw from the channel's sales location, a ledger-owned warehouse with STOCK of each SKU.
	await saveProfile(redis, PREFIX, {
		locations: [{ id: WH, owner: 'ledger' }],
		channels: [
			{
				name: 'shopify',
				platform: 'shopify',
				shop: SHOP,
				salesLocation: WH,
				places: [{ id: `shopify:${SHOP}:601`, shows: [WH] }],
			},
		],
	});
	await applyEvents(
		redis,
		PREFIX,
		SKUS.map((sku) => ({
			kind: 'level' as const,
			id: `manual:erp:level:${sku}`,
			version: 1,
			source: { platform: 'manual' as const, shop: 'erp', topic: 'count', via: 'manual' as const },
			sku,
			refs: {},
			locationId: WH,
			quantity: STOCK,
			occurredAt: '',
			receivedAt: '',
		})),
	);
	// The trigger asks the simulator its myshopify domain (the shop of the event ids) with the credential's token.
	shopify = new ShopifySimulator({ webhookSecret: SECRET, accessToken: 'shpat_r' });
	await shopify.start();
	n8n = await startN8n({
		engine: 'legacy',
		env: { NODE_FUNCTION_ALLOW_BUILTIN: 'fs' },
		extensions: [snapshot.dist],
		activateVia: 'api',
		credentials: [
			{
				id: 'shopifyR',
				name: 'shopifyR',
				type: 'shopifyInventoryApi',
				data: {
					shopDomain: shopify.baseUrl,
					authentication: 'accessToken',
					accessToken: 'shpat_r',
					webhookSecret: SECRET,
				},
			},
			{
				id: 'redisR',
				name: 'redisR',
				type: 'inventoryRedisApi',
				data: { host: TEST_REDIS.host, port: TEST_REDIS.port, database: 0, keyPrefix: PREFIX },
			},
		],
		workflows: workflows(),
	});
});

afterAll(async () => {
	await n8n?.stop();
	await shopify?.stop();
	if (redis) {
		await deleteByPrefix(redis, PREFIX);
		await redis.quit();
	}
	snapshot?.remove();
	fs.rmSync(STATE_DIR, { recursive: true, force: true });
});

const url = () => n8n.webhookUrl('redeliver-hook', 'webhook');
const qty = async (sku: string) =>
	Number(await redis.hget(ledgerKeys.ledger(PREFIX, sku), `q:${WH}`));

async function sell(sku: string, quantity: number): Promise<void> {
	const sent = await shopify.sendWebhook(
		url(),
		'orders/create',
		shopifyOrder({ lines: [{ sku, quantity }] }),
		{ eventId: `sale-${sku}` },
	);
	expect(sent.status).toBe(200);
}

async function drained(): Promise<void> {
	await waitFor(
		async () => await groupState(redis, `${PREFIX}:inbox`, 'inbox-trigger'),
		(s) => s.pending === 0 && s.lag === 0,
		120_000,
		'inbox drained',
		250,
	);
}

/** Guard statuses (Deduplicate's New output) per SKU over the given executions. */
function guardStatuses(executions: Execution[], sku: string): string[] {
	return executions.flatMap((e) =>
		(n8n.nodeOutput(e, 'Deduplicate')[0] ?? [])
			.filter((i) => i.sku === sku)
			.map((i) => String((i.guard as { status: string }).status)),
	);
}

it('one half of a batch fails: the other half is re-run at once and applied; the failing half later; each sale once', async () => {
	await sell('HALF-A', 2);
	await sell('HALF-B', 3);
	await n8n.activate(PROCESSING); // both entries wait in the inbox: the first batch holds them together
	await drained();
	expect(await qty('HALF-A')).toBe(STOCK - 2);
	expect(await qty('HALF-B')).toBe(STOCK - 3);
	const runs = await n8n.executions({ workflowId: PROCESSING, includeData: true });
	const skusOf = (e: Execution) =>
		(n8n.nodeOutput(e, INBOX_TRIGGER)[0] ?? []).map((i) => String(i.sku)).sort();
	// The batch of both failed, then the half with HALF-B; HALF-A's half succeeded on its own claim, taken back.
	expect(runs.filter((e) => e.status === 'error').map(skusOf)).toEqual([
		['HALF-A', 'HALF-B'],
		['HALF-B'],
	]);
	expect(runs.filter((e) => e.status === 'success').map(skusOf)).toEqual([['HALF-A'], ['HALF-B']]);
	expect(
		guardStatuses(
			runs.filter((e) => e.status === 'success'),
			'HALF-A',
		),
	).toEqual(['reclaimed']);
	expect(
		guardStatuses(
			runs.filter((e) => e.status === 'success'),
			'HALF-B',
		),
	).toEqual(['reclaimed']);
});

it('the run fails after the claim: the entry comes back after Reclaim After and the sale is applied once', async () => {
	const before = (await n8n.executions({ workflowId: PROCESSING })).length;
	await sell('FAIL-1', 4);
	await waitFor(
		async () => await qty('FAIL-1'),
		(q) => q !== STOCK,
		60_000,
		'FAIL-1 applied',
		250,
	);
	await drained();
	expect(await qty('FAIL-1')).toBe(STOCK - 4);
	const runs = (await n8n.executions({ workflowId: PROCESSING, includeData: true })).slice(before);
	expect(runs.map((e) => e.status)).toEqual(['error', 'success']);
	expect(guardStatuses(runs, 'FAIL-1')).toEqual(['new', 'reclaimed']);
});

it('n8n SIGKILLed right after the claim: the restarted n8n takes the entry over and applies the sale once', async () => {
	const before = (await n8n.executions({ workflowId: PROCESSING })).length;
	await sell('KILL-1', 5);
	const claimed = path.join(STATE_DIR, 'claimed');
	await waitFor(
		async () => fs.existsSync(claimed),
		(v) => v,
		60_000,
		'the run claimed KILL-1 and reached the gate',
		250,
	);
	// The run is inside the gate: claimed, not applied, not finished.
	expect(await qty('KILL-1')).toBe(STOCK);
	expect((await n8n.executions({ workflowId: PROCESSING })).length).toBe(before);
	await n8n.kill();
	fs.writeFileSync(path.join(STATE_DIR, 'killed'), '1');
	await n8n.restart();
	await waitFor(
		async () => await qty('KILL-1'),
		(q) => q !== STOCK,
		90_000,
		'KILL-1 applied after the restart',
		250,
	);
	await drained();
	expect(await qty('KILL-1')).toBe(STOCK - 5);
	const after = (
		await n8n.executions({ workflowId: PROCESSING, includeData: true, status: 'success' })
	).filter((e) => (n8n.nodeOutput(e, INBOX_TRIGGER)[0] ?? []).some((i) => i.sku === 'KILL-1'));
	expect(guardStatuses(after, 'KILL-1')).toEqual(['reclaimed']);
	// Every SKU of the file still shows its sale exactly once.
	expect(await Promise.all(SKUS.map(qty))).toEqual([STOCK - 2, STOCK - 3, STOCK - 4, STOCK - 5]);
});
