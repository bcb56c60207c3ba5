/**
 * The Inventory Receiver behind the real pipeline (issue 19): 2,000 signed webhooks (Shopify orders and levels,
 * WooCommerce orders and products; duplicates and older versions arriving after newer ones) go
 *
 *   A. through the receiver (started in this process with startReceiver, on the test Redis, a stream of its own
 *      under prefix A) → an Inventory Inbox Trigger in a real n8n 2.41.1 → Guard (Deduplicate) → Ledger (Apply);
 *   B. the very same requests (same bytes, same headers) through the Webhook Trigger's inbox mode in that n8n
 *      (prefix B) → the same workflow on prefix B;
 *
 * and the two ledgers end equal: every SKU's quantities and versions per location, the observations, the
 * order-line states and the SKU maps. Both ledgers start from the same profile, the same counts and the same
 * SKU mappings, seeded with the package's own saveProfile/applyEvents (a level that arrives before its mapping
 * is Invalid 'unmapped' — order-dependent on purpose, so the mappings are there first).
 *
 * The n8n runs with N8N_EXPRESSION_ENGINE=legacy: with the default engine n8n itself receives about 20
 * custom-webhook requests/s here (a fresh isolate per request, ../shared/n8n-e2e.md "Throughput"), so path B's
 * 2,000 webhooks alone would cost 100 s of n8n's receipt time. Nothing compared here depends on the engine (the
 * receiver has no n8n in its request path at all).
 */
import Redis from 'ioredis';
import { startN8n, type N8nInstance } from './harness';
import {
	ShopifySimulator,
	WooCommerceSimulator,
	shopifyInventoryItem,
	shopifyInventoryLevel,
	shopifyOrder,
	toJson,
	wooOrder,
	wooProduct,
} from '../simulators';
import { normalizeDelivery, pickHeaders } from '../../nodes/shared/events';
import { applyEvents, saveProfile } from '../../nodes/InventoryLedger/ledger';
import { channelKeys } from '../../nodes/shared/keys';
import { startReceiver } from '../../receiver/server';
import { loadConfig } from '../../receiver/config';
import {
	INBOX_TRIGGER,
	groupState,
	inboxTriggerNode,
	noOp,
	plainNode,
	pool,
	snapshotDist,
	webhookTriggerNode,
	wire,
	workflow,
} from './inboxSupport';
import { deleteByPrefix, freePort, TEST_REDIS, waitFor } from '../support';
import { SALES_RATE_FIELD } from '../../nodes/InventoryLedger/salesRate';

jest.setTimeout(300_000);

const SHOPIFY_SECRET = 'receiver-e2e-shopify';
const WOO_SECRET = 'receiver-e2e-woo';
const SHOP = 'demo-shop.myshopify.com';
const PREFIX_A = `e2ercvA${process.pid}`; // the receiver's inbox and ledger
const PREFIX_B = `e2ercvB${process.pid}`; // the Webhook Trigger's inbox and ledger
const STREAM = 'inbox';
const GROUP = 'inbox-trigger';
const WH = 'ledger:wh';
const OWNED = [602, 603]; // Shopify-owned locations its levels report
const SKUS = Array.from({ length: 40 }, (_, i) => `RCV-${i}`);
const ITEMS = SKUS.length; // Shopify inventory items, one per SKU
const T0 = Date.parse('2026-11-26T10:00:00Z');

let n8n: N8nInstance;
let shopify: ShopifySimulator;
let woo: WooCommerceSimulator;
let redis: Redis;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let snapshot: ReturnType<typeof snapshotDist>;

function workflows(): object[] {
	const cred = (id: string) => ({ inventoryRedisApi: { id, name: id } });
	const processing = (id: string, redisCredential: string) => {
		const c: Record<string, unknown> = {};
		wire(c, INBOX_TRIGGER, 'Deduplicate', 'Invalid');
		wire(c, 'Deduplicate', 'Inventory Ledger', 'Duplicate');
		wire(c, 'Inventory Ledger', 'Applied', 'Skipped', 'Ledger Invalid');
		return workflow(
			id,
			[
				inboxTriggerNode({ redisCredential, parameters: { inboxStream: STREAM } }),
				plainNode('Deduplicate', 'CUSTOM.inventoryGuard', { operation: 'deduplicate' }, 1, {
					credentials: cred(redisCredential),
				}),
				plainNode('Inventory Ledger', 'CUSTOM.inventoryLedger', { operation: 'apply' }, 1, {
					credentials: cred(redisCredential),
				}),
				noOp('Invalid'),
				noOp('Duplicate'),
				noOp('Applied'),
				noOp('Skipped'),
				noOp('Ledger Invalid'),
			],
			c,
		);
	};
	const receipt = (id: string, platform: 'shopify' | 'woocommerce') =>
		workflow(
			id,
			[
				webhookTriggerNode({
					platform,
					webhookId: `${id}-hook`,
					delivery: 'inbox',
					stream: STREAM,
					platformCredential: platform === 'shopify' ? 'shopifyB' : 'wooB',
					redisCredential: 'redisB',
				}),
			],
			{},
		);
	return [
		receipt('rcvShopInbox01', 'shopify'),
		receipt('rcvWooInbox001', 'woocommerce'),
		processing('rcvProcessA001', 'redisA'),
		processing('rcvProcessB001', 'redisB'),
	];
}

// ---- the deliveries ------------------------------------------------------------------------------------

interface Planned {
	platform: 'shopify' | 'woocommerce';
	topic: string;
	body: object;
	/** Shopify X-Shopify-Event-Id / WooCommerce X-WC-Webhook-Delivery-ID: the same on every copy. */
	deliveryId: string;
	/** Shopify X-Shopify-Triggered-At (a level's version): the same on every copy. */
	triggeredAt?: string;
}

const at = (ms: number) => new Date(T0 + ms);
const sku = (i: number) => SKUS[i % SKUS.length];
const itemId = (i: number) => 7_700_000_000_000n + BigInt(i);

/** The Shopify inventory items' SKU mappings, as inventory_items/update gives them. */
function mappingEvents() {
	return Array.from({ length: ITEMS }, (_, i) => {
		const body = toJson(
			shopifyInventoryItem({ id: itemId(i), sku: sku(i), updatedAt: at(-60_000) }),
		);
		const result = normalizeDelivery({
			platform: 'shopify',
			headers: pickHeaders('shopify', {
				'x-shopify-topic': 'inventory_items/update',
				'x-shopify-shop-domain': SHOP,
				'x-shopify-event-id': `map-${i}`,
			}),
			rawBody: body,
			receivedAt: new Date(T0).toISOString(),
			via: 'webhook',
		});
		expect(result.invalid).toEqual([]);
		return result.events;
	}).flat();
}

/** 1,680 distinct deliveries, several versions of each order, level and product. */
function plan(): Planned[] {
	const out: Planned[] = [];
	let n = 0;
	const id = (p: string) => `${p}-${++n}`;
	// Shopify orders: created, updated (one line changed), two in three a third version (a cancellation with
	// restock or another update). 150 orders, 400.
	for (let o = 0; o < 150; o++) {
		const orderId = 5_500_000_000_000n + BigInt(o);
		const lines = (q: number) =>
			Array.from({ length: 1 + (o % 3) }, (_, k) => ({
				id: orderId * 10n + BigInt(k),
				sku: sku(o + k * 7),
				quantity: k === 0 ? q : 1 + k,
			}));
		out.push({
			platform: 'shopify',
			topic: 'orders/create',
			body: shopifyOrder({ id: orderId, lines: lines(2), updatedAt: at(o * 1000) }),
			deliveryId: id('so'),
		});
		out.push({
			platform: 'shopify',
			topic: 'orders/updated',
			body: shopifyOrder({ id: orderId, lines: lines(3), updatedAt: at(o * 1000 + 60_000) }),
			deliveryId: id('so'),
		});
		if (o % 3 !== 0)
			out.push({
				platform: 'shopify',
				topic: o % 5 === 1 ? 'orders/cancelled' : 'orders/updated',
				body: shopifyOrder({
					id: orderId,
					lines: lines(1),
					cancelled: o % 5 === 1 ? 'restock' : false,
					updatedAt: at(o * 1000 + 120_000),
				}),
				deliveryId: id('so'),
			});
	}
	// Shopify levels: every item at both owned locations, five versions each. 400.
	for (let i = 0; i < ITEMS; i++)
		for (const loc of OWNED)
			for (let v = 0; v < 5; v++)
				out.push({
					platform: 'shopify',
					topic: 'inventory_levels/update',
					body: shopifyInventoryLevel({
						inventoryItemId: itemId(i),
						locationId: loc,
						available: (i * 7 + loc + v * 5) % 50,
						updatedAt: at(v * 1000),
					}),
					deliveryId: id('sl'),
					triggeredAt: new Date(T0 + i * 10 + v * 1000).toISOString().replace('Z', '123456Z'),
				});
	// WooCommerce orders: pending → processing → completed or cancelled. 200 orders, 600.
	for (let o = 0; o < 200; o++) {
		const orderId = 81_000 + o;
		const lines = (reduced: boolean) =>
			Array.from({ length: 1 + (o % 2) }, (_, k) => ({
				id: orderId * 10 + k,
				productId: 900 + k,
				sku: sku(o * 3 + k),
				quantity: 1 + k,
				reducedStock: reduced ? 1 + k : null,
			}));
		const statuses = ['pending', 'processing', o % 4 === 0 ? 'cancelled' : 'completed'] as const;
		statuses.forEach((status, v) =>
			out.push({
				platform: 'woocommerce',
				topic: v === 0 ? 'order.created' : 'order.updated',
				body: wooOrder({
					id: orderId,
					status,
					lines: lines(status === 'processing' || status === 'completed'),
					dateModifiedGmt: at(o * 1000 + v * 30_000),
					dateCreatedGmt: at(o * 1000),
				}),
				deliveryId: id('wo'),
			}),
		);
	}
	// WooCommerce products (stock observations): one per SKU, seven versions each. 280.
	for (let p = 0; p < SKUS.length; p++)
		for (let v = 0; v < 7; v++)
			out.push({
				platform: 'woocommerce',
				topic: 'product.updated',
				body: wooProduct({
					id: 3_000 + p,
					sku: sku(p),
					stockQuantity: (p + v * 3) % 20,
					manageStock: true,
					dateModifiedGmt: at(p * 1000 + v * 10_000),
				}),
				deliveryId: id('wp'),
			});
	return out;
}

/** 1,680 distinct + 320 copies, shuffled so older versions often arrive after newer ones. */
function deliveries(): Planned[] {
	const distinct = plan();
	expect(distinct).toHaveLength(1_680);
	const all = [...distinct];
	for (let i = 0; all.length < 2_000; i++) all.push(distinct[(i * 7919) % distinct.length]);
	for (let i = all.length - 1; i > 0; i--) {
		const j = (i * 2654435761) % (i + 1);
		[all[i], all[j]] = [all[j], all[i]];
	}
	return all;
}

async function send(p: Planned, url: { shopify: string; woo: string }): Promise<number> {
	if (p.platform === 'shopify') {
		const r = await shopify.sendWebhook(url.shopify, p.topic, p.body, {
			eventId: p.deliveryId,
			webhookId: `wh-${p.deliveryId}`,
			triggeredAt: p.triggeredAt ?? '2026-11-26T09:00:00.000000Z',
		});
		return r.status;
	}
	const r = await woo.sendWebhook(url.woo, p.topic, p.body, {
		secret: WOO_SECRET,
		deliveryId: p.deliveryId,
		webhookId: 41,
	});
	return r.status;
}

// ---- the ledgers ---------------------------------------------------------------------------------------

/** Everything the ledger keeps per SKU, order and item (keys without the prefix → their content, key-sorted). */
async function ledgerState(prefix: string): Promise<Record<string, unknown>> {
	const out: Record<string, unknown> = {};
	let cursor = '0';
	const keys: string[] = [];
	do {
		const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
		cursor = next;
		keys.push(...batch);
	} while (cursor !== '0');
	for (const key of keys.sort()) {
		const rest = key.slice(prefix.length + 1);
		if (/^sku:.*:(ledger|pub)$/.test(rest) || rest.startsWith('ol:') || rest.startsWith('map:')) {
			const h = await redis.hgetall(key);
			// The sales rate (sr / st) is stamped with Redis's time of each sale's arrival, which differs between two
			// paths fed the same deliveries at different moments: a measure of when, not ledger state.
			if (rest.endsWith(':ledger')) {
				delete h[SALES_RATE_FIELD.rate];
				delete h[SALES_RATE_FIELD.at];
			}
			out[rest] = Object.fromEntries(Object.entries(h).sort(([a], [b]) => (a < b ? -1 : 1)));
		} else if (rest === 'skus') {
			out[rest] = (await redis.smembers(key)).sort();
		}
	}
	return out;
}

async function drained(prefix: string): Promise<void> {
	await waitFor(
		async () => await groupState(redis, `${prefix}:${STREAM}`, GROUP),
		(s) => s.pending === 0 && s.lag === 0,
		120_000,
		`${prefix}:${STREAM} drained`,
		250,
	);
}

async function entriesAdded(prefix: string): Promise<number> {
	const info = (await redis.xinfo('STREAM', `${prefix}:${STREAM}`)) as unknown[];
	const i = info.indexOf('entries-added');
	if (i < 0) throw new Error('XINFO STREAM has no entries-added (Redis 7 or later needed)');
	return Number(info[i + 1]);
}

// ---- set-up --------------------------------------------------------------------------------------------

async function seed(prefix: string): Promise<void> {
	await saveProfile(redis, prefix, {
		locations: [
			{ id: WH, owner: 'ledger' },
			...OWNED.map((l) => ({ id: `shopify:${SHOP}:${l}`, owner: 'shopify' })),
		],
		channels: [
			{
				name: 'shopify',
				platform: 'shopify',
				shop: SHOP,
				salesLocation: WH,
				places: [
					{ id: `shopify:${SHOP}:601`, shows: [WH] },
					...OWNED.map((l) => ({
						id: `shopify:${SHOP}:${l}`,
						shows: [`shopify:${SHOP}:${l}`],
					})),
				],
			},
			{
				name: 'woo',
				platform: 'woocommerce',
				salesLocation: WH,
				places: [{ id: 'woocommerce:default', shows: [WH] }],
			},
		],
	});
	await applyEvents(redis, prefix, [
		...SKUS.map((s) => ({
			kind: 'level' as const,
			id: `manual:erp:level:${s}`,
			version: 1,
			source: { platform: 'manual' as const, shop: 'erp', topic: 'count', via: 'manual' as const },
			sku: s,
			refs: {},
			locationId: WH,
			quantity: 1_000,
			occurredAt: '',
			receivedAt: '',
		})),
		...mappingEvents(),
	]);
}

beforeAll(async () => {
	snapshot = snapshotDist();
	redis = new Redis({ host: TEST_REDIS.host, port: TEST_REDIS.port, lazyConnect: true });
	await redis.connect();
	await seed(PREFIX_A);
	await seed(PREFIX_B);
	// The trigger asks the simulator its myshopify domain (the shop of the event ids) with the credential's token.
	shopify = new ShopifySimulator({ webhookSecret: SHOPIFY_SECRET, accessToken: 'shpat_r' });
	woo = new WooCommerceSimulator({ consumerKey: 'ck_r', consumerSecret: 'cs_r' });
	await Promise.all([shopify.start(), woo.start()]);
	receiver = await startReceiver(
		loadConfig({
			listen: { host: '127.0.0.1', port: await freePort() },
			redis: { host: TEST_REDIS.host, port: TEST_REDIS.port, database: 0, keyPrefix: PREFIX_A },
			inboxStream: STREAM,
			shops: [
				{ platform: 'shopify', shop: SHOP, path: '/shopify/demo-shop', secret: SHOPIFY_SECRET },
				{
					platform: 'woocommerce',
					shop: new URL(woo.baseUrl).host,
					path: '/woocommerce/shop',
					secret: WOO_SECRET,
				},
			],
		}),
		{ logger: () => undefined },
	);
	const redisData = (prefix: string) => ({
		host: TEST_REDIS.host,
		port: TEST_REDIS.port,
		database: 0,
		keyPrefix: prefix,
	});
	n8n = await startN8n({
		engine: 'legacy',
		extensions: [snapshot.dist],
		activateVia: 'api',
		credentials: [
			{
				id: 'shopifyB',
				name: 'shopifyB',
				type: 'shopifyInventoryApi',
				data: {
					shopDomain: shopify.baseUrl,
					authentication: 'accessToken',
					accessToken: 'shpat_r',
					webhookSecret: SHOPIFY_SECRET,
				},
			},
			{
				id: 'wooB',
				name: 'wooB',
				type: 'wooCommerceInventoryApi',
				data: {
					siteUrl: woo.baseUrl,
					consumerKey: 'ck_r',
					consumerSecret: 'cs_r',
					webhookSecret: WOO_SECRET,
				},
			},
			{ id: 'redisA', name: 'redisA', type: 'inventoryRedisApi', data: redisData(PREFIX_A) },
			{ id: 'redisB', name: 'redisB', type: 'inventoryRedisApi', data: redisData(PREFIX_B) },
		],
		workflows: workflows(),
	});
});

afterAll(async () => {
	await n8n?.stop();
	await receiver?.close();
	await shopify?.stop();
	await woo?.stop();
	if (redis) {
		await deleteByPrefix(redis, PREFIX_A);
		await deleteByPrefix(redis, PREFIX_B);
		await redis.quit();
	}
	snapshot?.remove();
});

it('2,000 signed webhooks through the receiver and through the Webhook Trigger’s inbox mode end in the same ledger', async () => {
	const all = deliveries();
	expect(all).toHaveLength(2_000);
	const viaReceiver = {
		shopify: `${receiver.url.replace(/\/$/, '')}/shopify/demo-shop`,
		woo: `${receiver.url.replace(/\/$/, '')}/woocommerce/shop`,
	};
	const viaN8n = {
		shopify: n8n.webhookUrl('rcvShopInbox01-hook', 'webhook'),
		woo: n8n.webhookUrl('rcvWooInbox001-hook', 'webhook'),
	};
	const t0 = Date.now();
	const [a, b] = await Promise.all([
		pool(all, 32, async (p) => await send(p, viaReceiver)),
		pool(all, 16, async (p) => await send(p, viaN8n)),
	]);
	const receiptMs = Date.now() - t0;
	expect(a.filter((s) => s !== 200)).toEqual([]);
	expect(b.filter((s) => s !== 200)).toEqual([]);
	await Promise.all([drained(PREFIX_A), drained(PREFIX_B)]);
	// Every acknowledged delivery went into its stream once (the Inbox Trigger trims what it acknowledged, so
	// the stream's own count of entries ever added is what tells).
	expect(await entriesAdded(PREFIX_A)).toBe(2_000);
	expect(await entriesAdded(PREFIX_B)).toBe(2_000);
	const runs = [
		...(await n8n.executions({ workflowId: 'rcvProcessA001' })),
		...(await n8n.executions({ workflowId: 'rcvProcessB001' })),
	];
	expect(runs.filter((r) => r.status !== 'success').map((r) => r.status)).toEqual([]);
	expect(await redis.xlen(channelKeys.dlq(PREFIX_A))).toBe(0);
	expect(await redis.xlen(channelKeys.dlq(PREFIX_B))).toBe(0);

	const ledgerA = await ledgerState(PREFIX_A);
	const ledgerB = await ledgerState(PREFIX_B);
	// Not equal by being empty: every order has its line state, every SKU its ledger, every owned level is set.
	const keysOf = (l: Record<string, unknown>, re: RegExp) =>
		Object.keys(l).filter((k) => re.test(k));
	expect(keysOf(ledgerA, /^ol:/)).toHaveLength(350);
	expect(keysOf(ledgerA, /^sku:.*:ledger$/)).toHaveLength(SKUS.length);
	const levelsSet = Object.entries(ledgerA)
		.filter(([k]) => /:ledger$/.test(k))
		.reduce(
			(sum, [, h]) => sum + Object.keys(h as object).filter((f) => /^q:shopify:/.test(f)).length,
			0,
		);
	expect(levelsSet).toBe(SKUS.length * OWNED.length);
	const drawn = Object.entries(ledgerA)
		.filter(([k]) => /:ledger$/.test(k))
		.map(([, h]) => Number((h as Record<string, string>)[`q:${WH}`]));
	expect(drawn.some((q) => q < 1_000)).toBe(true);

	expect(ledgerB).toEqual(ledgerA);
	// eslint-disable-next-line no-console
	console.log(
		`receiver e2e: 2 × 2,000 webhooks acknowledged in ${receiptMs} ms (receiver and n8n in parallel); ${runs.length} runs; ${Object.keys(ledgerA).length} ledger keys equal`,
	);
});
