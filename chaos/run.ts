import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Redis from 'ioredis';
import { ensureN8nInstalled, startN8n, type N8nInstance } from '../test/e2e/harness';
import { ledgerView, seededRandom } from '../test/e2e/channelsSupport';
import {
	TEMPLATE_PLACEHOLDERS,
	TEMPLATE_WORKFLOW_IDS,
	everySeconds,
	loadTemplate,
	packageDist,
	templateCredentials,
} from '../test/e2e/templateSupport';
import {
	LeakyCostBucket,
	ShopifySimulator,
	WooCommerceSimulator,
	type WooQueuedDelivery,
} from '../test/simulators';
import { OwnRedis } from '../test/support/redisServer';
import { sleep } from '../test/support/wait';
import { channelKeys, inboxKey, ledgerKeys } from '../nodes/shared/keys';
import { applyEvents, saveProfile } from '../nodes/InventoryLedger/ledger';
import {
	LEDGER_WAREHOUSE,
	SHOPIFY_SHOP,
	STORE_LOCATION,
	WAREHOUSE_LOCATION,
	WOO_BUFFER,
	demoProfile,
	makeCatalogue,
	storePlace,
	type Catalogue,
} from '../demo/catalogue';
import { compare, type Agreement } from '../demo/verdict';
import { lagAndDeadLetters } from '../demo/progress';
import { executionError, runByHand } from '../demo/runs';
import {
	Capture,
	History,
	SerialModel,
	WOO_DROP_EVERY,
	shuffle,
	type CapturedDelivery,
} from './history';

/**
 * `npm run chaos` (issue 22): the templates in n8n 2.41.1's queue mode (main + 2 workers, Postgres in a database
 * of the run's own, Bull on a Redis of its own) over an inventory Redis of the run's own with AOF and
 * `appendfsync always`, a stream of shop events delivered 1–4 times, shuffled and concurrent, with faults:
 * the inventory Redis SIGKILLed and restarted, Shopify answering 503 for a while, a worker SIGKILLed and
 * restarted, n8n killed and restarted. Then the catch-up poll, the dead-letter replay and one reconciliation,
 * and the count against the serial model (chaos/history.ts).
 */

export interface ChaosOptions {
	/** Distinct webhook events to send (echoes of our own writes included). */
	events: number;
	skus: number;
	seed?: number;
	/** Events per round: captured, multiplied 1–4×, shuffled, sent (default 40). */
	round?: number;
	/** Deliveries in flight at once (default 8). */
	concurrency?: number;
	shopifyOutageMs?: number;
	/** The stream lasts at least this long (default 0: as fast as n8n takes it). */
	minStreamSeconds?: number;
	/** Faults on (default true). */
	faults?: boolean;
	log?: (line: string) => void;
}

export interface Fault {
	kind: string;
	at_s: number;
	duration_s: number;
	note?: string;
}

export interface ChaosFigures {
	setup: string;
	skus: number;
	/** Events of the stream that reached a subscriber (at least one delivery sent), the dropped 5 % included. */
	events_sent: number;
	/** Events captured beyond events_sent by the stream's last steps: delivered once each while settling. */
	events_after_stream: number;
	/** Shopify events of a topic without a subscription, per topic (not captured, not sent). */
	events_without_subscriber: Record<string, number>;
	/** events_sent per platform and topic. */
	events_by_topic: Record<string, number>;
	/** Deliveries (one per subscription a send reached), the settle phase's included. */
	deliveries_sent: number;
	deliveries_accepted: number;
	/** WooCommerce events of the stream dropped at the simulator (never sent). */
	woo_dropped: number;
	woo_drop: { rule: string; deliveries: number; dropped: number; dropped_share: number };
	/** WooCommerce webhooks to n8n disabled / re-enabled (a new one created, or re-activated) during the run. */
	woo_webhooks: WooWebhookTimeline & {
		/** Captured events whose webhook was disabled before any copy was sent (not in events_sent). */
		captured_then_disabled: number;
		/** Changes queued while no webhook of the topic was active, per topic: WooCommerce announced them to nobody. */
		changes_without_active_webhook: Record<string, number>;
	};
	/** Events with a delivery answered 200, per platform and topic: each checked for its record. */
	accepted_events_checked: Record<string, number>;
	shopify_retries: number;
	/** HTTP status of every delivery (0: no answer). */
	answers: Record<number, number>;
	history: Record<string, number>;
	faults: Fault[];
	stream_s: number;
	mismatched_skus: number;
	/** At the final count: SKUs whose ledger equals the truth, whose Shopify / WooCommerce figures equal the ledger's. */
	equal_skus: { ledger: number; shopify: number; woocommerce: number };
	missing_events: number;
	/**
	 * Accepted events without an entry at their own version whose every mark has an entry at a newer version. The
	 * ledger audits a stale arrival at its own version too, so such an event was not processed itself; but a newer
	 * state of the same order (or level) was applied, and order lines and levels are absolute, so its units are
	 * counted. Not in missing_events (no effect lost); superseded_examples say which and where each went.
	 */
	superseded_events: number;
	superseded_examples: string[];
	/** Per truly missing event: what Redis still held for it at the check (inbox entries, Guard keys, audit). */
	missing_diagnosis: string[];
	double_applied: number;
	converge_s: number | null;
	dead_letters_before_replay: number;
	examples: string[];
	settle: string[];
}

/** A stored workflow's Subscriptions nodes pointed at this n8n (public API: GET, edit, PUT). */
async function pointSubscriptionsAt(n8n: N8nInstance, id: string): Promise<void> {
	const wf = await n8n.api<{
		name: string;
		nodes: Array<{ parameters?: Record<string, unknown> }>;
		connections: unknown;
	}>('GET', `/workflows/${id}`);
	for (const node of wf.nodes) {
		const url = node.parameters?.deliveryUrl;
		if (typeof url === 'string')
			node.parameters!.deliveryUrl = url.replace(/^https?:\/\/[^/]+/, n8n.baseUrl);
	}
	await n8n.api('PUT', `/workflows/${id}`, {
		name: wf.name,
		nodes: wf.nodes,
		connections: wf.connections,
		settings: { executionOrder: 'v1' },
	});
}

export interface WooWebhookTimeline {
	/** Every status a webhook took (the first seen, then each change), seconds from the stream's start. */
	changes: Array<{ at_s: number; id: number; topic: string; status: string; to_n8n: boolean }>;
	disabled: number;
	/** Seconds during which some topic of n8n's had no active webhook (from the samples, every 250 ms). */
	seconds_without_active: Record<string, number>;
}

/** Samples the WooCommerce simulator's webhooks every 250 ms: what was disabled when, and what came back. */
function watchWooWebhooks(
	woo: WooCommerceSimulator,
	n8nBase: string,
	since: () => number,
): { stop: () => WooWebhookTimeline } {
	const seen = new Map<number, string>();
	const changes: WooWebhookTimeline['changes'] = [];
	const without: Record<string, number> = {};
	let last = Date.now();
	const look = () => {
		const now = Date.now();
		const activeTopics = new Set<string>();
		const topics = new Set<string>();
		for (const w of woo.webhooks.values()) {
			const toN8n = w.deliveryUrl.startsWith(n8nBase);
			if (toN8n) topics.add(w.topic);
			if (toN8n && w.status === 'active') activeTopics.add(w.topic);
			if (seen.get(w.id) === w.status) continue;
			seen.set(w.id, w.status);
			if (changes.length < 100)
				changes.push({ at_s: since(), id: w.id, topic: w.topic, status: w.status, to_n8n: toN8n });
		}
		for (const t of topics)
			if (!activeTopics.has(t)) without[t] = (without[t] ?? 0) + (now - last) / 1000;
		last = now;
	};
	look();
	const timer = setInterval(look, 250);
	let result: WooWebhookTimeline | undefined;
	return {
		stop: () => {
			if (result) return result;
			clearInterval(timer);
			look();
			result = {
				changes,
				disabled: changes.filter((c) => c.status === 'disabled').length,
				seconds_without_active: Object.fromEntries(
					Object.entries(without).map(([t, sec]) => [t, Math.round(sec)]),
				),
			};
			return result;
		},
	};
}

/**
 * Compares every `everyMs` once `open()` says so (after the last fault); `stop()` gives when the last run of
 * all-equal samples began (null: the last sample disagreed, or none was equal).
 */
function sampleAgreement(
	check: () => Promise<Agreement>,
	open: () => boolean,
	everyMs: number,
): { stop: () => Promise<number | null> } {
	let equalSince: number | null = null;
	let running = true;
	const loop = (async () => {
		while (running) {
			if (open()) {
				const at = Date.now();
				try {
					const a = await check();
					if (a.allEqual === a.skus) equalSince ??= at;
					else equalSince = null;
				} catch {
					// a read failed (Redis busy): no sample this time
				}
			}
			await sleep(everyMs);
		}
	})();
	return {
		stop: async () => {
			running = false;
			await loop;
			return equalSince;
		},
	};
}

interface Evidence {
	/** Audit entries: event id → versions (ms) seen. */
	audit: Map<string, number[]>;
	/** Audit entries per order ('<platform>:<shop>:order:<id>') → versions. */
	orders: Map<string, number[]>;
	/** Per SKU: observation versions per observer ('obsv:<channel>:<place>' → ms). */
	observed: Map<string, Array<[string, number]>>;
	dlqText: string;
}

async function readEvidence(redis: Redis, prefix: string, skus: string[]): Promise<Evidence> {
	const out: Evidence = { audit: new Map(), orders: new Map(), observed: new Map(), dlqText: '' };
	const pipe = redis.pipeline();
	for (const sku of skus) {
		pipe.xrange(ledgerKeys.audit(prefix, sku), '-', '+');
		pipe.hgetall(ledgerKeys.pub(prefix, sku));
	}
	const results = (await pipe.exec()) ?? [];
	skus.forEach((sku, i) => {
		const entries = (results[2 * i]?.[1] ?? []) as Array<[string, string[]]>;
		for (const [, fields] of entries) {
			const f: Record<string, string> = {};
			for (let k = 0; k + 1 < fields.length; k += 2) f[fields[k]] = fields[k + 1];
			const ver = Number(f.ver);
			if (!f.id || !Number.isFinite(ver)) continue;
			out.audit.set(f.id, [...(out.audit.get(f.id) ?? []), ver]);
			const order = /^(.+:order:[^:]+)(?::line:.*)?$/.exec(f.id)?.[1];
			if (order) out.orders.set(order, [...(out.orders.get(order) ?? []), ver]);
		}
		const pub = (results[2 * i + 1]?.[1] ?? {}) as Record<string, string>;
		out.observed.set(
			sku,
			Object.entries(pub)
				.filter(([k]) => k.startsWith('obsv:'))
				.map(([k, v]) => [k, Number(v)]),
		);
	});
	out.dlqText = (await redis.xrange(channelKeys.dlq(prefix), '-', '+'))
		.map(([, f]) => f.join(' '))
		.join('\n');
	return out;
}

/** A body's JSON with long integers kept as text (ids beyond 2^53 stay exact). */
function parseBody(body: Buffer): Record<string, unknown> {
	const text = body.toString('utf8').replace(/([:[,]\s*)(-?\d{16,})(?=\s*[,\]}])/g, '$1"$2"');
	return JSON.parse(text) as Record<string, unknown>;
}

/**
 * Where an accepted event must have left its mark (design.md "Redis layout"): an order's lines an audit entry
 * each at the order's version (the second; skipped ones are audited too); a refund, an entry of its order at a
 * version not before it; a level, an audit entry at its version, or — a mirror's level (Shopify's warehouse) —
 * an observation of that SKU by that channel at its version or later (observations keep only the newest);
 * a WooCommerce product, its observation likewise. `tokens`: what a dead letter about it would name.
 */
function eventRecorded(
	d: CapturedDelivery,
	shop: string,
	ev: Evidence,
	itemSku: Map<string, string>,
): { found: boolean; superseded: boolean; what: string; tokens: string[] } {
	const sec = (ms: number) => Math.floor(ms / 1000);
	const atSecond = (id: string, ms: number) =>
		(ev.audit.get(id) ?? []).some((v) => sec(v) === sec(ms));
	const newer = (id: string, ms: number) => (ev.audit.get(id) ?? []).some((v) => sec(v) > sec(ms));
	const observedSince = (sku: string | undefined, channel: string, ms: number) =>
		(ev.observed.get(sku ?? '') ?? []).some(
			([k, v]) => k.startsWith(`obsv:${channel}:`) && sec(v) >= sec(ms),
		);
	const idText = (v: unknown) => String(v);
	const wooMs = (v: unknown) => Date.parse(`${String(v)}Z`);
	const body = parseBody(d.body);
	if (/^orders\/|^order\./.test(d.topic)) {
		const orderId = idText(body.id);
		const ms =
			d.platform === 'shopify'
				? Date.parse(String(body.updated_at))
				: wooMs(body.date_modified_gmt);
		const lines = ((body.line_items ?? []) as Array<Record<string, unknown>>).map((l) =>
			idText(l.id),
		);
		const base = `${d.platform}:${shop}:order:${orderId}`;
		const ids = lines.length ? lines.map((l) => `${base}:line:${l}`) : [base];
		return {
			found: ids.every((id) => atSecond(id, ms)),
			superseded: ids.every((id) => atSecond(id, ms) || newer(id, ms)),
			what: `order ${orderId} at ${new Date(ms).toISOString()}`,
			tokens: [orderId],
		};
	}
	if (d.topic === 'refunds/create') {
		const orderId = idText(body.order_id);
		const ms = Date.parse(String(body.created_at));
		return {
			found: (ev.orders.get(`shopify:${shop}:order:${orderId}`) ?? []).some(
				(v) => sec(v) >= sec(ms),
			),
			superseded: false,
			what: `refund of order ${orderId}`,
			tokens: [orderId],
		};
	}
	if (d.topic === 'inventory_levels/update') {
		const item = idText(body.inventory_item_id);
		const ms = Date.parse(String(body.updated_at));
		return {
			found:
				atSecond(`shopify:${shop}:level:${item}:${idText(body.location_id)}`, ms) ||
				observedSince(itemSku.get(item), 'shopify', ms),
			superseded: newer(`shopify:${shop}:level:${item}:${idText(body.location_id)}`, ms),
			what: `level of item ${item} at ${idText(body.location_id)}`,
			tokens: [item],
		};
	}
	if (d.topic === 'product.updated') {
		const ms = wooMs(body.date_modified_gmt);
		return {
			found: observedSince(String(body.sku), 'woocommerce', ms),
			superseded: false,
			what: `product ${idText(body.id)} (${String(body.sku)})`,
			tokens: [idText(body.id), String(body.sku)],
		};
	}
	// Mapping topics (products/update, inventory_items/update): the chaos history sends none.
	return { found: false, superseded: false, what: `unchecked topic ${d.topic}`, tokens: [] };
}

/**
 * Where a missing event may still be, read after the run: inbox entries naming it (and whether the consumer group
 * still holds them pending, by which consumer, delivered how often), Guard keys naming it and their state
 * ('c:' claimed in flight, 'd:' committed, with the owner), and the audit versions of its order. Says which
 * step lost it: never stored, stored but never acknowledged, claimed by another owner, or applied elsewhere.
 */
async function whereIsIt(
	redis: Redis,
	prefix: string,
	tokens: string[],
	ev: Evidence,
): Promise<string> {
	if (!tokens.length) return 'nothing to look for';
	const parts: string[] = [];
	const stream = inboxKey(prefix);
	const entries = (await redis.xrangeBuffer(stream, '-', '+')) as Array<[Buffer, Buffer[]]>;
	const naming = entries.filter(([, f]) => tokens.some((t) => Buffer.concat(f).includes(t)));
	const groups = ((await redis.xinfo('GROUPS', stream).catch(() => [])) as unknown[][]).map((g) =>
		String(g[1]),
	);
	for (const [idBuf, fields] of naming.slice(0, 6)) {
		const id = idBuf.toString();
		const received = fields.findIndex((f) => f.toString() === 'receivedAt');
		let state = 'not pending (acknowledged)';
		for (const group of groups) {
			const p = (await redis.xpending(stream, group, id, id, 1)) as Array<
				[string, string, number, number]
			>;
			if (p.length)
				state = `pending in group ${group}, consumer ${p[0][1]}, idle ${p[0][2]} ms, delivered ${p[0][3]} times`;
		}
		parts.push(
			`inbox ${id} (received ${received >= 0 ? fields[received + 1]?.toString() : '?'}): ${state}`,
		);
	}
	if (!naming.length)
		parts.push('no inbox entry names it (acknowledged and trimmed, or never stored)');
	let cursor = '0';
	const guard: string[] = [];
	do {
		const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:guard:*`, 'COUNT', 1000);
		cursor = next;
		for (const key of keys.filter((k) => tokens.some((t) => k.includes(t))))
			guard.push(`${key.slice(prefix.length + 7)} = ${String(await redis.get(key))}`);
	} while (cursor !== '0');
	parts.push(guard.length ? `guard ${guard.slice(0, 6).join(', ')}` : 'no Guard key names it');
	const audited = [...ev.orders.entries()]
		.filter(([order]) => tokens.some((t) => order.endsWith(`:order:${t}`)))
		.map(([order, vers]) => `${order}: ${vers.map((v) => new Date(v).toISOString()).join(' ')}`);
	parts.push(
		audited.length ? `audit versions ${audited.join('; ')}` : 'no audit entry of its order',
	);
	return parts.join('; ');
}

const WAREHOUSE_START = 400;
const STORE_START = 250;

/** Both simulators stocked (Shopify: warehouse and store; WooCommerce: warehouse + store − buffer, a few stale). */
function seedSimulators(
	catalogue: Catalogue,
	shopify: ShopifySimulator,
	woo: WooCommerceSimulator,
) {
	shopify.putLocation(WAREHOUSE_LOCATION, 'Warehouse');
	shopify.putLocation(STORE_LOCATION, 'Store');
	for (const sku of catalogue.skus) {
		shopify.putInventoryItem(catalogue.itemOf(sku), sku);
		shopify.setLevel(catalogue.itemOf(sku), WAREHOUSE_LOCATION, WAREHOUSE_START);
		shopify.setLevel(catalogue.itemOf(sku), STORE_LOCATION, STORE_START);
	}
	const stale = new Set(catalogue.staleOnWoo);
	const shown = (sku: string) =>
		WAREHOUSE_START + STORE_START - WOO_BUFFER + (stale.has(sku) ? 3 : 0);
	const ids = new Map<string, string>();
	const variations = catalogue.skus.filter((s) => catalogue.variations.has(s));
	for (let p = 0; p < variations.length; p += 10) {
		const parent = woo.putProduct({
			sku: `CHAOS-PARENT-${p / 10 + 1}`,
			type: 'variable',
			manage_stock: false,
		});
		for (const sku of variations.slice(p, p + 10)) {
			const v = woo.putProduct({
				sku,
				type: 'variation',
				parent_id: parent.id as bigint,
				manage_stock: true,
				stock_quantity: shown(sku),
			});
			ids.set(sku, String(v.id));
		}
	}
	for (const sku of catalogue.skus.filter((s) => !catalogue.variations.has(s))) {
		ids.set(
			sku,
			String(woo.putProduct({ sku, manage_stock: true, stock_quantity: shown(sku) }).id),
		);
	}
	catalogue.wooIdOf = (sku) => ids.get(sku)!;
}

/** The ledger as the first sync leaves it: mappings, the warehouse count, the store's Shopify level. */
async function seedLedger(redis: Redis, prefix: string, catalogue: Catalogue): Promise<void> {
	const events: object[] = [];
	const source = (topic: string) => ({
		platform: 'shopify',
		shop: SHOPIFY_SHOP,
		topic,
		via: 'reconciliation',
	});
	for (const sku of catalogue.skus) {
		const item = catalogue.itemOf(sku);
		const base = { sku, occurredAt: '', receivedAt: '' };
		events.push(
			{
				...base,
				kind: 'mapping',
				id: `shopify:${SHOPIFY_SHOP}:mapping:${item}`,
				version: 1,
				source: source('inventory_items/update'),
				refs: { inventoryItemId: item },
				locationId: null,
				quantity: null,
			},
			{
				...base,
				kind: 'level',
				id: `manual:erp:level:${sku}`,
				version: 1,
				source: { platform: 'manual', shop: 'erp', topic: 'count', via: 'manual' },
				refs: {},
				locationId: LEDGER_WAREHOUSE,
				quantity: WAREHOUSE_START,
			},
			{
				...base,
				kind: 'level',
				id: `shopify:${SHOPIFY_SHOP}:level:${item}:${STORE_LOCATION}`,
				version: 1,
				source: source('inventory_levels/update'),
				refs: { inventoryItemId: item },
				locationId: storePlace(),
				quantity: STORE_START,
			},
		);
	}
	await applyEvents(redis, prefix, events as never);
}

class Cleanup {
	private readonly steps: Array<() => Promise<unknown>> = [];
	add(fn: () => Promise<unknown>): void {
		this.steps.push(fn);
	}
	async run(): Promise<void> {
		while (this.steps.length) await this.steps.pop()!().catch(() => undefined);
	}
}

export async function runChaos(options: ChaosOptions): Promise<ChaosFigures> {
	const log = options.log ?? (() => undefined);
	const seed = options.seed ?? 22;
	const withFaults = options.faults ?? true;
	const rnd = seededRandom(seed + 7);
	const cleanup = new Cleanup();
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'invsync-chaos-'));
	cleanup.add(async () => fs.rmSync(dir, { recursive: true, force: true }));
	try {
		await ensureN8nInstalled();
		const build = packageDist();
		cleanup.add(async () => build.remove());
		// The inventory data: AOF with an fsync per write, so a SIGKILL loses nothing Redis acknowledged.
		const inventory = await OwnRedis.start({
			args: ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir],
		});
		cleanup.add(() => inventory.stop());
		const bull = await OwnRedis.start();
		cleanup.add(() => bull.stop());
		const prefix = 'invsync';
		const redis = new Redis({ host: '127.0.0.1', port: inventory.port, maxRetriesPerRequest: 20 });
		redis.on('error', () => undefined);
		cleanup.add(async () => redis.disconnect());

		const shopifySecret = randomBytes(16).toString('hex');
		const wooSecret = randomBytes(16).toString('hex');
		const wooKey = `ck_${randomBytes(12).toString('hex')}`;
		const wooKeySecret = `cs_${randomBytes(12).toString('hex')}`;
		const shopify = new ShopifySimulator({
			shop: SHOPIFY_SHOP,
			webhookSecret: shopifySecret,
			costBucket: new LeakyCostBucket(),
			salesLocationId: WAREHOUSE_LOCATION,
		});
		// The 5 % of WooCommerce's deliveries are dropped at the simulator (Capture.dropWoo), where WooCommerce
		// loses them: before its send, so a dropped delivery neither counts as a failure nor resets the count.
		let dropWoo: (d: WooQueuedDelivery) => boolean = () => false;
		const woo = new WooCommerceSimulator({
			consumerKey: wooKey,
			consumerSecret: wooKeySecret,
			dropDelivery: (d) => dropWoo(d),
		});
		await Promise.all([shopify.start(), woo.start()]);
		cleanup.add(async () => {
			await shopify.stop();
			await woo.stop();
		});
		const wooShop = new URL(woo.baseUrl).host.toLowerCase();
		const catalogue = makeCatalogue(options.skus);
		seedSimulators(catalogue, shopify, woo);
		const capture = new Capture(shopify, woo);
		dropWoo = (d) => capture.dropWoo(d);
		await saveProfile(redis, prefix, demoProfile(wooShop, false));
		await seedLedger(redis, prefix, catalogue);

		const replace: Array<[string, string]> = [
			[TEMPLATE_PLACEHOLDERS.shopifyShop, SHOPIFY_SHOP],
			[TEMPLATE_PLACEHOLDERS.wooShop, wooShop],
		];
		const postgresDb = `invsync_chaos_${process.pid}`;
		const startedN8n = Date.now();
		const n8n: N8nInstance = await startN8n({
			engine: 'legacy',
			extensions: [build.dist],
			activateVia: 'api',
			startTimeoutMs: 400_000,
			queue: {
				redisHost: '127.0.0.1',
				redisPort: bull.port,
				redisDb: 0,
				workers: 2,
				postgresDb,
			},
			env: {
				// ../shared/n8n-e2e.md "Queue mode": with n8n's default 0 a finished job can vanish before main waits
				// for it, and that run's inbox entries are never acknowledged.
				N8N_EXECUTIONS_QUEUE_KEEP_LAST_COMPLETED: '1000',
				N8N_EXECUTIONS_QUEUE_KEEP_LAST_FAILED: '1000',
			},
			credentials: templateCredentials({
				redis: { host: '127.0.0.1', port: inventory.port, keyPrefix: prefix },
				shopify: {
					shopDomain: shopify.baseUrl,
					accessToken: 'shpat_test',
					webhookSecret: shopifySecret,
				},
				woocommerce: {
					siteUrl: woo.baseUrl,
					consumerKey: wooKey,
					consumerSecret: wooKeySecret,
					webhookSecret: wooSecret,
				},
			}),
			workflows: [
				loadTemplate('realtime-sync.json', { replace, active: true }),
				loadTemplate('catch-up-poll.json', {
					replace,
					active: true,
					transform: (wf) => everySeconds(wf, 'Every Minute', 30),
				}),
				loadTemplate('dead-letter-replay.json', { replace }),
				loadTemplate('nightly-reconciliation.json', { replace }),
			],
		});
		cleanup.add(() => n8n.stop());
		log(
			`n8n queue mode up in ${((Date.now() - startedN8n) / 1000).toFixed(0)} s (main + 2 workers, Postgres ${postgresDb}); inventory Redis :${inventory.port} (AOF always), Bull Redis :${bull.port}`,
		);

		const settle: string[] = [];
		// The reconciliation's Subscriptions nodes at this n8n's webhook URLs, as its sticky note asks of a user:
		// their Ensure re-activates what WooCommerce disabled (with the example URL left in they would not).
		await pointSubscriptionsAt(n8n, TEMPLATE_WORKFLOW_IDS.nightly).catch((error: Error) =>
			settle.push(`reconciliation Delivery URLs not set: ${error.message.slice(0, 200)}`),
		);
		const byHand = async (id: string, trigger: string, what: string) => {
			const started = Date.now();
			try {
				const run = await runByHand(n8n, id, trigger, 400_000);
				const error = executionError(run);
				settle.push(`${what}: ${error ?? 'ok'} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
			} catch (error) {
				settle.push(`${what}: ${(error as Error).message}`);
			}
		};
		const quiet = async (timeoutMs: number) => {
			for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
				try {
					await woo.flushDeliveries();
					await shopify.webhooksIdle();
					const [health, running, dirtyS, dirtyW] = await Promise.all([
						lagAndDeadLetters(redis, prefix, Date.now() - 60_000),
						n8n.executions({ status: 'running' }),
						redis.zcard(ledgerKeys.dirty(prefix, 'shopify')),
						redis.zcard(ledgerKeys.dirty(prefix, 'woocommerce')),
					]);
					if (
						capture.pending.length === 0 &&
						health.inboxBacklog === 0 &&
						running.length === 0 &&
						dirtyS + dirtyW === 0
					)
						return true;
				} catch {
					// n8n or Redis restarting: ask again
				}
				await flushCaptured();
				await sleep(1_000);
			}
			return false;
		};

		// --- the first publish (the stale WooCommerce figures), before the stream ---------------------------
		const flushCaptured = async () => {
			// Echoes of our own writes while settling: delivered once each, in order.
			for (const d of capture.take()) await deliverOnce(d);
		};
		let deliveriesSent = 0;
		let deliveriesAccepted = 0;
		let shopifyRetries = 0;
		const answers: Record<number, number> = {};
		/** Events that reached a subscriber at least once (some delivery of theirs was sent). */
		const reached = new Set<number>();
		/** Events with at least one delivery answered 200 (missing_events is counted over these). */
		const accepted = new Map<number, CapturedDelivery>();
		const retries = new Set<Promise<void>>();
		const deliverOnce = async (d: CapturedDelivery): Promise<boolean> => {
			if (d.dropped) return true;
			const statuses = await capture.send(d).catch(() => [0]);
			// No active webhook of the topic any more (WooCommerce disabled it since the capture): nothing was sent.
			if (statuses.length === 0) return true;
			deliveriesSent += statuses.length;
			reached.add(d.seq);
			for (const st of statuses) answers[st] = (answers[st] ?? 0) + 1;
			const ok200 = statuses.filter((s) => s === 200).length;
			deliveriesAccepted += ok200;
			if (ok200 > 0) accepted.set(d.seq, d);
			return ok200 === statuses.length;
		};
		/**
		 * Shopify retries a delivery that was not answered 200, with growing pauses (here 2 s doubling up to 60 s,
		 * for up to 15 minutes) and not all at once: at most `concurrency` retries in flight. (A first version
		 * retried every 2 s without a limit: after n8n's restart the flood exhausted main's Postgres pool and n8n
		 * exited — Shopify's own backoff is far gentler.)
		 */
		let retrySlots = options.concurrency ?? 8;
		const slotWaiters: Array<() => void> = [];
		const withRetrySlot = async <T>(fn: () => Promise<T>): Promise<T> => {
			while (retrySlots === 0) await new Promise<void>((r) => slotWaiters.push(r));
			retrySlots--;
			try {
				return await fn();
			} finally {
				retrySlots++;
				slotWaiters.shift()?.();
			}
		};
		const deliverShopify = async (d: CapturedDelivery) => {
			if (await deliverOnce(d)) return;
			const retry = (async () => {
				let pause = 2_000;
				for (const deadline = Date.now() + 900_000; Date.now() < deadline; ) {
					await sleep(pause);
					pause = Math.min(pause * 2, 60_000);
					shopifyRetries++;
					if (await withRetrySlot(async () => await deliverOnce(d))) return;
				}
			})();
			retries.add(retry);
			void retry.finally(() => retries.delete(retry));
		};
		await byHand(TEMPLATE_WORKFLOW_IDS.catchUp, 'Every Minute', 'first publish (catch-up)');
		await quiet(300_000);

		// --- the stream, with the faults ---------------------------------------------------------------------
		const model = new SerialModel(catalogue.skus, WAREHOUSE_START, STORE_START);
		const history = new History(catalogue, shopify, woo, model, seed);
		const faults: Fault[] = [];
		const faultTasks: Array<Promise<void>> = [];
		const streamStart = Date.now();
		const since = () => Math.round((Date.now() - streamStart) / 100) / 10;
		let lastFaultEnd = 0;
		// One fault at a time: each starts when its point in the stream is reached and the one before has ended.
		let faultChain: Promise<void> = Promise.resolve();
		const fault = (kind: string, task: () => Promise<string | void>) => {
			faultChain = faultChain.then(async () => await runFault(kind, task));
			faultTasks.push(faultChain);
		};
		const runFault = async (kind: string, task: () => Promise<string | void>) => {
			const at = Date.now();
			log(`fault: ${kind} at ${since()} s`);
			await task().then(
				(note) => {
					lastFaultEnd = Math.max(lastFaultEnd, Date.now());
					faults.push({
						kind,
						at_s: Math.round((at - streamStart) / 100) / 10,
						duration_s: Math.round((Date.now() - at) / 100) / 10,
						...(note ? { note } : {}),
					});
				},
				(error: unknown) => {
					faults.push({
						kind,
						at_s: Math.round((at - streamStart) / 100) / 10,
						duration_s: -1,
						note: `failed: ${(error as Error).message.slice(0, 200)}`,
					});
				},
			);
			log(`fault over: ${kind} at ${since()} s`);
		};
		const outageMs = options.shopifyOutageMs ?? 30_000;
		const plan: Array<{ at: number; kind: string; run: () => Promise<string | void> }> = withFaults
			? [
					{
						at: 0.1,
						kind: 'inventory Redis SIGKILL + restart (AOF, appendfsync always)',
						run: async () => {
							await inventory.kill();
							await sleep(2_000);
							await inventory.restart();
						},
					},
					{
						at: 0.3,
						kind: `Shopify API 503 for ${outageMs / 1000} s`,
						run: async () => {
							shopify.unavailableFor(outageMs);
							await sleep(outageMs);
						},
					},
					{
						at: 0.5,
						kind: 'worker SIGKILL + restart',
						run: async () => {
							await n8n.killWorker(1);
							await sleep(2_000);
							await n8n.restartWorker(1);
						},
					},
					{
						at: 0.7,
						kind: 'n8n main SIGKILL + restart (workers keep running)',
						run: async () => {
							const workers = n8n.pids().workers;
							await n8n.killMain();
							await sleep(2_000);
							await n8n.restartMain();
							const same = n8n.pids().workers.every((pid, i) => pid === workers[i]);
							return same
								? 'main only; both workers ran on (same pids) through the restart'
								: 'main only; a worker pid changed meanwhile';
						},
					},
				]
			: [];
		const round = options.round ?? 40;
		const concurrency = options.concurrency ?? 8;
		let eventsSent = 0;
		let wooDropped = 0;
		/** Captured WooCommerce events whose webhook was disabled before any copy was sent. */
		let wooUnsentDisabled = 0;
		let reported = 0;
		const eventsByTopic: Record<string, number> = {};
		const wooWebhooks = watchWooWebhooks(woo, n8n.baseUrl, since);
		cleanup.add(async () => wooWebhooks.stop());
		capture.dropping = true;
		// converge_s: from the end of the last fault, ledger and both shops against the serial truth every 2 s.
		const plannedFaults = plan.length;
		const converge = sampleAgreement(
			async () => await compare(redis, prefix, catalogue, shopify, woo, wooShop, model),
			() => faults.length === plannedFaults,
			2_000,
		);
		cleanup.add(async () => await converge.stop());
		// Exactly options.events events reach a subscriber (or are the dropped 5 %): each round takes at most what
		// is still missing; what a step captured beyond that is delivered after the stream (events_after_stream).
		while (eventsSent < options.events) {
			const want = Math.min(round, options.events - eventsSent);
			for (let tries = 0; capture.pending.length < want && tries < round * 4; tries++)
				history.step();
			await woo.flushDeliveries();
			await shopify.webhooksIdle();
			const events = capture.take(want);
			const copies: CapturedDelivery[] = [];
			for (const d of events) {
				if (d.dropped) continue;
				const n = 1 + Math.floor(rnd() * 4);
				for (let i = 0; i < n; i++) copies.push(d);
			}
			shuffle(copies, rnd);
			let next = 0;
			await Promise.all(
				Array.from({ length: concurrency }, async () => {
					while (next < copies.length) {
						const d = copies[next++];
						if (d.platform === 'shopify') await deliverShopify(d);
						else await deliverOnce(d);
					}
				}),
			);
			for (const d of events) {
				if (!d.dropped && !reached.has(d.seq)) {
					wooUnsentDisabled++;
					continue;
				}
				eventsSent++;
				if (d.dropped) wooDropped++;
				const tally = `${d.platform} ${d.topic}`;
				eventsByTopic[tally] = (eventsByTopic[tally] ?? 0) + 1;
			}
			if (Math.floor((eventsSent / options.events) * 10) > reported) {
				reported = Math.floor((eventsSent / options.events) * 10);
				log(
					`${since()} s: ${eventsSent} events, ${deliveriesSent} deliveries, answers ${JSON.stringify(answers)}`,
				);
			}
			while (plan.length && eventsSent >= plan[0].at * options.events) {
				const f = plan.shift()!;
				fault(f.kind, f.run);
			}
			// A short stream is stretched over minStreamSeconds, so that the faults happen while it flows.
			const due =
				streamStart + (eventsSent / options.events) * (options.minStreamSeconds ?? 0) * 1000;
			if (due > Date.now()) await sleep(due - Date.now());
		}
		capture.dropping = false;
		const streamSeconds = (Date.now() - streamStart) / 1000;
		const leftAfterStream = capture.pending.filter((d) => !d.dropped).length;
		log(
			`stream done: ${eventsSent} events, ${deliveriesSent} deliveries in ${streamSeconds.toFixed(0)} s`,
		);
		await Promise.all(faultTasks);
		while (retries.size) await Promise.allSettled([...retries]);

		// --- settle: drained, catch-up poll, dead-letter replay, reconciliation --------------------------------
		if (!(await quiet(600_000))) settle.push('not quiet after the stream (10 min)');
		await byHand(TEMPLATE_WORKFLOW_IDS.catchUp, 'Every Minute', 'catch-up poll');
		await quiet(300_000);
		const deadLetters = (await lagAndDeadLetters(redis, prefix, streamStart)).deadLetters;
		if (deadLetters > 0) {
			await byHand(TEMPLATE_WORKFLOW_IDS.deadLetters, 'Replay Now', 'dead-letter replay');
			await quiet(300_000);
		}
		await byHand(TEMPLATE_WORKFLOW_IDS.nightly, 'Run Now', 'reconciliation');
		await quiet(300_000);
		let agreement = await compare(redis, prefix, catalogue, shopify, woo, wooShop, model);
		for (let i = 0; i < 3 && agreement.allEqual < agreement.skus; i++) {
			await byHand(TEMPLATE_WORKFLOW_IDS.catchUp, 'Every Minute', 'catch-up poll (again)');
			await quiet(300_000);
			agreement = await compare(redis, prefix, catalogue, shopify, woo, wooShop, model);
		}
		const equalSince = await converge.stop();
		const allEqual = agreement.allEqual === agreement.skus;
		// The first sample of the run of all-equal samples that lasted to this final count (now, if none did).
		const convergedAt = allEqual ? (equalSince ?? Date.now()) : null;
		const webhookTimeline = wooWebhooks.stop();

		// --- missing events: every accepted delivery's event in the audit log (or the dead letters) -----------
		const evidence = await readEvidence(redis, prefix, catalogue.skus);
		const itemSku = new Map(catalogue.skus.map((sku) => [catalogue.itemOf(sku), sku]));
		let missing = 0;
		let superseded = 0;
		const missingExamples: string[] = [];
		const missingDiagnosis: string[] = [];
		const supersededExamples: string[] = [];
		const checkedByTopic: Record<string, number> = {};
		for (const d of accepted.values()) {
			const shop = d.platform === 'shopify' ? SHOPIFY_SHOP : wooShop;
			const verdict = eventRecorded(d, shop, evidence, itemSku);
			const tally = `${d.platform} ${d.topic}`;
			checkedByTopic[tally] = (checkedByTopic[tally] ?? 0) + 1;
			if (verdict.found || verdict.tokens.some((t) => evidence.dlqText.includes(t))) continue;
			if (verdict.superseded) {
				superseded++;
				if (supersededExamples.length < 5)
					supersededExamples.push(
						`${d.platform} ${d.topic} #${d.seq}: ${verdict.what} has no entry at its own version; a newer version of it was applied; ${await whereIsIt(redis, prefix, verdict.tokens, evidence)}`,
					);
				continue;
			}
			missing++;
			if (missingExamples.length < 5)
				missingExamples.push(`${d.platform} ${d.topic} #${d.seq}: ${verdict.what} not recorded`);
			if (missingDiagnosis.length < 5)
				missingDiagnosis.push(
					`${d.platform} ${d.topic} #${d.seq} (${verdict.what}): ${await whereIsIt(redis, prefix, verdict.tokens, evidence)}`,
				);
		}
		const view = await ledgerView(redis, prefix, catalogue.skus);
		let doubleApplied = 0;
		for (const sku of catalogue.skus) {
			const l = view.get(sku);
			const w = l?.quantities[LEDGER_WAREHOUSE] ?? 0;
			const s = l?.quantities[storePlace()] ?? 0;
			doubleApplied += Math.max(0, model.warehouse.get(sku)! - w);
			doubleApplied += Math.max(0, model.store.get(sku)! - s);
		}
		return {
			setup:
				'n8n 2.41.1 queue mode: main + 2 workers (concurrency 10), Postgres 127.0.0.1:5432 (own database), Bull on its own redis-server; inventory redis-server of its own, appendonly yes, appendfsync always; templates realtime-sync (inbox mode), catch-up-poll (every 30 s), dead-letter-replay and nightly-reconciliation (by hand); legacy expression engine',
			skus: options.skus,
			events_sent: eventsSent,
			events_after_stream: leftAfterStream,
			events_without_subscriber: { ...capture.withoutSubscriber },
			events_by_topic: eventsByTopic,
			deliveries_sent: deliveriesSent,
			deliveries_accepted: deliveriesAccepted,
			woo_dropped: wooDropped,
			woo_drop: {
				rule: `every ${WOO_DROP_EVERY}th WooCommerce delivery with an active webhook, at the simulator, during the stream`,
				deliveries: capture.wooDeliveries,
				dropped: capture.wooDropped,
				dropped_share: capture.wooDeliveries
					? Math.round((capture.wooDropped / capture.wooDeliveries) * 10_000) / 10_000
					: 0,
			},
			woo_webhooks: {
				...webhookTimeline,
				captured_then_disabled: wooUnsentDisabled,
				changes_without_active_webhook: { ...capture.wooWithoutActiveWebhook },
			},
			shopify_retries: shopifyRetries,
			answers,
			history: { ...history.counts },
			faults,
			stream_s: Math.round(streamSeconds),
			mismatched_skus: agreement.skus - agreement.allEqual,
			equal_skus: {
				ledger: agreement.ledgerEqual,
				shopify: agreement.shopifyEqual,
				woocommerce: agreement.wooEqual,
			},
			missing_events: missing,
			superseded_events: superseded,
			superseded_examples: supersededExamples,
			missing_diagnosis: missingDiagnosis,
			double_applied: doubleApplied,
			converge_s:
				convergedAt === null
					? null
					: Math.round((convergedAt - (lastFaultEnd || streamStart)) / 1000),
			dead_letters_before_replay: deadLetters,
			accepted_events_checked: checkedByTopic,
			examples: [...agreement.examples, ...missingExamples],
			settle,
		};
	} finally {
		await cleanup.run();
	}
}
