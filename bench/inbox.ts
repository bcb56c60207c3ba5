/**
 * `npm run bench -- inbox`: inbox mode in a real n8n 2.41.1, under both expression engines (vm, legacy).
 *
 * - Receipt: saturation requests/s (32 concurrent senders, 10 s) of the Inventory Webhook Trigger in inbox mode
 *   (verify, XADD, 200, no run) beside the ack floor (bench/floor-node benchAckFloor: answers 200, starts no
 *   run); then the ack latency at a fixed rate — 200 requests/s when the floor saturates above 250/s, else half
 *   the floor's saturation — for both.
 * - Drain: 100,000 realistic inbox entries written to a stream beforehand, drained by an Inventory Inbox Trigger
 *   (Batch size 500) → NoOp: events/s from activation to the last acknowledgement, and runs per 1,000 events.
 * - Light load: a quarter of the floor's saturation rate for 10 s through Webhook Trigger (inbox) → Inbox
 *   Trigger (defaults: batch 500, max wait 100 ms) → NoOp: receipt (the event's `receivedAt`) → start of the run
 *   that carries it (the execution's `startedAt`), p50/p99.
 *
 * Settings (named in the JSON): one n8n main process, regular mode, SQLite, default execution saving, Node 24;
 * load from this process over loopback with keep-alive; the tests' Redis (a private redis-server, no persistence, unless INVSYNC_TEST_REDIS names one).
 * No Inbox Trigger consumes the receipt stream while receipt is measured (its cost is the drain figure).
 * n8n loads a snapshot of dist/ (a rebuild while the benchmark runs must not pull files from under it).
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Redis from 'ioredis';
import { normalizeDelivery, pickHeaders, type Delivery } from '../nodes/shared/events';
import { computeSignature } from '../nodes/shared/signature';
import {
	FLOOR_PACKAGE_DIR,
	REPO_ROOT,
	fixedRate,
	loadGenerator,
	startN8n,
	type N8nInstance,
} from '../test/e2e/harness';
import {
	shopifyInventoryItem,
	shopifyInventoryLevel,
	shopifyOrder,
	toJson,
	toPhpJson,
	wooOrder,
	wooProduct,
} from '../test/simulators/payloads';
import { percentile, writeResults } from './_results';
import { TEST_REDIS } from '../test/support/redis';

const SECRET = 'bench-inbox-secret';
// `npm run bench -- inbox quick`: a smoke run (3 s phases, 5,000 entries, legacy only) that writes nothing.
const QUICK = process.argv.includes('quick');
const SATURATION_MS = QUICK ? 3_000 : 10_000;
const CONCURRENCY = 32;
const DRAIN_ENTRIES = QUICK ? 5_000 : 100_000;
const GROUP = 'inbox-trigger';

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const sleep = async (ms: number) => await new Promise((r) => setTimeout(r, ms));
const loadAvg = () => os.loadavg().map((x) => round(x, 2));

function orderBody(): string {
	return toJson(
		shopifyOrder({
			lines: Array.from({ length: 20 }, (_, i) => ({ sku: `BENCH-${i}`, quantity: 1 + (i % 3) })),
		}),
	);
}

let requestNo = 0;
function signedHeaders(body: string): Record<string, string> {
	return {
		'content-type': 'application/json',
		'x-shopify-topic': 'orders/updated',
		'x-shopify-hmac-sha256': computeSignature(Buffer.from(body), SECRET),
		'x-shopify-shop-domain': 'demo-shop.myshopify.com',
		'x-shopify-api-version': '2026-10',
		'x-shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70fcd043',
		'x-shopify-event-id': `bench-${process.pid}-${++requestNo}`,
		'x-shopify-triggered-at': new Date().toISOString(),
	};
}

/** A pool of realistic deliveries (both platforms, every common topic) and the events each one gives. */
function deliveryPool(size: number): Array<{ delivery: Delivery; events: number }> {
	const out: Array<{ delivery: Delivery; events: number }> = [];
	const shopHeaders = (topic: string, i: number) =>
		pickHeaders('shopify', {
			'x-shopify-topic': topic,
			'x-shopify-shop-domain': 'demo-shop.myshopify.com',
			'x-shopify-api-version': '2026-10',
			'x-shopify-event-id': `pool-${i}`,
			'x-shopify-triggered-at': new Date().toISOString(),
		});
	const wooHeaders = (topic: string, i: number) =>
		pickHeaders('woocommerce', {
			'x-wc-webhook-topic': topic,
			'x-wc-webhook-source': 'https://shop.example.com/',
			'x-wc-webhook-delivery-id': `pool-${i}`,
		});
	for (let i = 0; i < size; i++) {
		const kind = i % 20;
		let delivery: Delivery;
		if (kind < 7) {
			delivery = {
				platform: 'shopify',
				headers: shopHeaders('orders/create', i),
				rawBody: toJson(shopifyOrder({ lines: 1 + (i % 4) })),
				receivedAt: '',
			};
		} else if (kind < 12) {
			delivery = {
				platform: 'shopify',
				headers: shopHeaders('inventory_levels/update', i),
				rawBody: toJson(
					shopifyInventoryLevel({
						inventoryItemId: 40_000_000_000n + BigInt(i),
						locationId: 655441491,
						available: i % 50,
					}),
				),
				receivedAt: '',
			};
		} else if (kind < 17) {
			const drawn = i % 3 !== 0;
			delivery = {
				platform: 'woocommerce',
				headers: wooHeaders('order.updated', i),
				rawBody: toPhpJson(
					wooOrder({
						status: drawn ? 'processing' : 'pending',
						lines: Array.from({ length: 1 + (i % 3) }, (_, k) => ({
							productId: 900 + k,
							sku: `W-${i % 97}-${k}`,
							quantity: 1 + k,
							reducedStock: drawn ? 1 + k : null,
						})),
					}),
				).trim(),
				receivedAt: '',
			};
		} else if (kind < 19) {
			delivery = {
				platform: 'woocommerce',
				headers: wooHeaders('product.updated', i),
				rawBody: toPhpJson(
					wooProduct({ sku: `WP-${i}`, stockQuantity: i % 40, manageStock: true }),
				).trim(),
				receivedAt: '',
			};
		} else {
			delivery = {
				platform: 'shopify',
				headers: shopHeaders('inventory_items/update', i),
				rawBody: toJson(shopifyInventoryItem({ sku: `ITEM-${i}` })),
				receivedAt: '',
			};
		}
		const result = normalizeDelivery({ ...delivery, receivedAt: new Date().toISOString() });
		if (result.invalid.length > 0)
			throw new Error(`pool delivery ${i} is invalid: ${result.invalid[0].reason}`);
		out.push({ delivery, events: result.events.length });
	}
	return out;
}

/** XADD `count` entries (the Webhook Trigger's format, shared/inbox.ts) in pipelines; returns the events they hold. */
async function fillInbox(
	redis: Redis,
	stream: string,
	count: number,
): Promise<{ events: number; bytes: number }> {
	const pool = deliveryPool(1_000);
	let events = 0;
	let bytes = 0;
	for (let start = 0; start < count; start += 1_000) {
		const pipeline = redis.pipeline();
		for (let i = start; i < Math.min(count, start + 1_000); i++) {
			const { delivery, events: n } = pool[i % pool.length];
			events += n;
			bytes += delivery.rawBody.length;
			pipeline.xadd(
				stream,
				'*',
				'platform',
				delivery.platform,
				'headers',
				JSON.stringify(delivery.headers),
				'body',
				delivery.rawBody,
				'receivedAt',
				new Date().toISOString(),
			);
		}
		const results = await pipeline.exec();
		for (const [error] of results ?? []) if (error) throw error;
	}
	return { events, bytes };
}

async function groupState(redis: Redis, stream: string): Promise<{ pending: number; lag: number }> {
	const groups = (await redis.xinfo('GROUPS', stream).catch(() => [])) as unknown[][];
	for (const raw of groups) {
		const g: Record<string, unknown> = {};
		for (let i = 0; i + 1 < raw.length; i += 2) g[String(raw[i])] = raw[i + 1];
		if (g.name === GROUP)
			return { pending: Number(g.pending), lag: g.lag === null ? -1 : Number(g.lag) };
	}
	return { pending: -1, lag: -1 };
}

async function deleteByPrefix(redis: Redis, prefix: string): Promise<void> {
	let cursor = '0';
	do {
		const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
		cursor = next;
		if (keys.length) await redis.unlink(...keys);
	} while (cursor !== '0');
}

function workflows() {
	const noop = {
		id: 'noop',
		name: 'NoOp',
		type: 'n8n-nodes-base.noOp',
		typeVersion: 1,
		position: [300, 0],
		parameters: {},
	};
	const wf = (
		id: string,
		active: boolean,
		trigger: Record<string, unknown>,
		withNoOp: boolean,
	) => ({
		id,
		name: id,
		active,
		nodes: withNoOp ? [trigger, noop] : [trigger],
		connections: withNoOp
			? { [String(trigger.name)]: { main: [[{ node: 'NoOp', type: 'main', index: 0 }]] } }
			: {},
		settings: { executionOrder: 'v1' },
	});
	const receiver = (webhookId: string, stream: string) => ({
		id: `${webhookId}-node`,
		name: 'Inventory Webhook Trigger',
		type: 'CUSTOM.inventoryWebhookTrigger',
		typeVersion: 1,
		position: [0, 0],
		webhookId,
		parameters: {
			platform: 'shopify',
			delivery: 'inbox',
			inboxStream: stream,
			options: { manageSubscriptions: false },
		},
		credentials: {
			shopifyInventoryApi: { id: 'benchShopify', name: 'benchShopify' },
			inventoryRedisApi: { id: 'benchRedis', name: 'benchRedis' },
		},
	});
	const inbox = (stream: string) => ({
		id: `inbox-${stream}`,
		name: 'Inventory Inbox Trigger',
		type: 'CUSTOM.inventoryInboxTrigger',
		typeVersion: 1,
		position: [0, 0],
		parameters: { inboxStream: stream, batchSize: 500 },
		credentials: { inventoryRedisApi: { id: 'benchRedis', name: 'benchRedis' } },
	});
	return [
		wf('benchInboxRecv1', true, receiver('bench-inbox', 'recv'), false),
		wf(
			'benchAckFloor01',
			true,
			{
				id: 'floor',
				name: 'Bench Ack Floor',
				type: 'CUSTOM.benchAckFloor',
				typeVersion: 1,
				position: [0, 0],
				webhookId: 'bench-ack',
				parameters: {},
			},
			false,
		),
		wf('benchLatRecv001', true, receiver('bench-lat', 'lat'), false),
		wf('benchLatInbox01', true, inbox('lat'), true),
		wf('benchDrain00001', false, inbox('drain'), true),
	];
}

/** Saturation: closed loop, 32 senders, 10 s; acknowledgements (200s) per second. */
async function saturation(url: string, body: string) {
	const r = await loadGenerator({
		url,
		concurrency: CONCURRENCY,
		durationMs: SATURATION_MS,
		makeRequest: () => ({ body, headers: signedHeaders(body) }),
	});
	const ok = r.statusCounts['200'] ?? 0;
	return { per_s: ok / (r.durationMs / 1000), statusCounts: r.statusCounts, p99: r.latencies.p99 };
}

async function fixed(url: string, body: string, rate: number) {
	const r = await fixedRate({
		url,
		ratePerSec: rate,
		durationMs: SATURATION_MS,
		makeRequest: () => ({ body, headers: signedHeaders(body) }),
	});
	return {
		p50: r.latencies.p50,
		p99: r.latencies.p99,
		statusCounts: r.statusCounts,
		dropped: r.dropped,
	};
}

async function measureEngine(engine: 'vm' | 'legacy') {
	const snapshot = mkdtempSync(path.join(REPO_ROOT, '.e2e-tmp-bench-inbox-'));
	cpSync(path.join(REPO_ROOT, 'dist'), path.join(snapshot, 'dist'), { recursive: true });
	const prefix = `benchinbox${process.pid}${engine}`;
	const redis = new Redis({ host: TEST_REDIS.host, port: TEST_REDIS.port });
	const loadBefore = loadAvg();
	let n8n: N8nInstance | undefined;
	try {
		n8n = await startN8n({
			engine,
			activateVia: 'api',
			extensions: [path.join(snapshot, 'dist'), FLOOR_PACKAGE_DIR],
			credentials: [
				{
					id: 'benchShopify',
					name: 'benchShopify',
					type: 'shopifyInventoryApi',
					data: {
						shopDomain: 'demo-shop.myshopify.com',
						authentication: 'accessToken',
						accessToken: 'x',
						webhookSecret: SECRET,
					},
				},
				{
					id: 'benchRedis',
					name: 'benchRedis',
					type: 'inventoryRedisApi',
					data: { host: TEST_REDIS.host, port: TEST_REDIS.port, database: 0, keyPrefix: prefix },
				},
			],
			workflows: workflows(),
		});
		const body = orderBody();
		const urls = {
			inbox: n8n.webhookUrl('bench-inbox', 'webhook'),
			floor: n8n.webhookUrl('bench-ack', 'ack'),
			lat: n8n.webhookUrl('bench-lat', 'webhook'),
		};

		// Receipt. A short warm-up of each endpoint first (JIT, isolate pool, connections).
		for (const url of [urls.floor, urls.inbox]) {
			await loadGenerator({
				url,
				concurrency: 8,
				durationMs: 2_000,
				makeRequest: () => ({ body, headers: signedHeaders(body) }),
			});
		}
		const floorSat = await saturation(urls.floor, body);
		const inboxSat = await saturation(urls.inbox, body);
		console.log(
			`[${engine}] saturation: floor ${round(floorSat.per_s)}/s, inbox ${round(inboxSat.per_s)}/s`,
			floorSat.statusCounts,
			inboxSat.statusCounts,
		);
		const rate = floorSat.per_s > 250 ? 200 : Math.max(1, Math.floor(floorSat.per_s / 2));
		const floorFixed = await fixed(urls.floor, body, rate);
		const inboxFixed = await fixed(urls.inbox, body, rate);
		console.log(
			`[${engine}] ack at ${rate}/s: floor p99 ${round(floorFixed.p99)} ms, inbox p99 ${round(inboxFixed.p99)} ms`,
		);

		// Light load: a quarter of the floor's saturation, receipt → start of the run that carries the event.
		const quarter = Math.max(1, Math.floor(floorSat.per_s / 4));
		const light = await fixedRate({
			url: urls.lat,
			ratePerSec: quarter,
			durationMs: SATURATION_MS,
			makeRequest: () => ({ body, headers: signedHeaders(body) }),
		});
		const acceptedLight = light.statusCounts['200'] ?? 0;
		const deadline = Date.now() + 120_000;
		while (Date.now() < deadline) {
			const s = await groupState(redis, `${prefix}:lat`);
			if (s.pending === 0 && s.lag === 0) break;
			await sleep(200);
		}
		await sleep(1_000);
		const latRuns = await n8n.executions({ workflowId: 'benchLatInbox01', includeData: true });
		const latencies: number[] = [];
		for (const run of latRuns) {
			const started = Date.parse(run.startedAt);
			const seen = new Set<string>();
			for (const ev of n8n.nodeOutput(run, 'Inventory Inbox Trigger')[0] ?? []) {
				const id = String(ev.correlationId);
				if (seen.has(id)) continue; // one sample per delivery (its 20 lines share it)
				seen.add(id);
				latencies.push(started - Date.parse(String(ev.receivedAt)));
			}
		}
		latencies.sort((a, b) => a - b);
		console.log(
			`[${engine}] light load ${quarter}/s: ${latencies.length}/${acceptedLight} deliveries in ${latRuns.length} runs, p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms`,
		);

		// Drain.
		const drainStream = `${prefix}:drain`;
		const fillStart = Date.now();
		const filled = await fillInbox(redis, drainStream, DRAIN_ENTRIES);
		console.log(
			`[${engine}] drain: ${DRAIN_ENTRIES} entries (${filled.events} events, ${round(filled.bytes / DRAIN_ENTRIES, 0)} B body on average) written in ${Date.now() - fillStart} ms`,
		);
		const loadBeforeDrain = loadAvg();
		const t0 = Date.now();
		await n8n.activate('benchDrain00001');
		let state = { pending: -1, lag: -1 };
		while (Date.now() - t0 < 15 * 60_000) {
			state = await groupState(redis, drainStream);
			if (state.pending === 0 && state.lag === 0) break;
			await sleep(100);
		}
		const drainMs = Date.now() - t0;
		if (state.pending !== 0 || state.lag !== 0)
			throw new Error(`drain did not finish: ${JSON.stringify(state)}`);
		await sleep(2_000);
		const drainRuns = await n8n.executions({ workflowId: 'benchDrain00001', includeData: false });
		const failedDrainRuns = drainRuns.filter((r) => r.status !== 'success').length;
		const firstStart = Math.min(...drainRuns.map((r) => Date.parse(r.startedAt)));
		const lastStop = Math.max(...drainRuns.map((r) => Date.parse(r.stoppedAt ?? r.startedAt)));
		await n8n.deactivate('benchDrain00001');
		console.log(
			`[${engine}] drain: ${filled.events} events in ${drainMs} ms (${drainRuns.length} runs, ${failedDrainRuns} failed)`,
		);

		return {
			floorSat,
			inboxSat,
			rate,
			floorFixed,
			inboxFixed,
			quarter,
			light: {
				p50: percentile(latencies, 50),
				p99: percentile(latencies, 99),
				samples: latencies.length,
				accepted: acceptedLight,
				runs: latRuns.length,
			},
			drain: {
				events: filled.events,
				entries: DRAIN_ENTRIES,
				ms: drainMs,
				runs: drainRuns.length,
				failed: failedDrainRuns,
				firstRunToLastRunMs: lastStop - firstStart,
				avgBodyBytes: round(filled.bytes / DRAIN_ENTRIES, 0),
			},
			load: { before: loadBefore, beforeDrain: loadBeforeDrain, after: loadAvg() },
		};
	} finally {
		await n8n?.stop();
		await deleteByPrefix(redis, prefix).catch(() => undefined);
		redis.disconnect();
		rmSync(snapshot, { recursive: true, force: true });
	}
}

export async function main(): Promise<void> {
	const figures: Record<string, unknown> = {};
	const rows: Array<Record<string, unknown>> = [];
	const loads: Record<string, unknown> = {};
	for (const engine of QUICK ? (['legacy'] as const) : (['vm', 'legacy'] as const)) {
		const r = await measureEngine(engine);
		Object.assign(figures, {
			[`inbox_ack_per_s_${engine}`]: round(r.inboxSat.per_s),
			[`floor_ack_per_s_${engine}`]: round(r.floorSat.per_s),
			[`inbox_ack_vs_floor_${engine}`]: round(r.inboxSat.per_s / r.floorSat.per_s, 2),
			[`inbox_ack_p99_ms_${engine}`]: round(r.inboxFixed.p99),
			[`floor_ack_p99_ms_${engine}`]: round(r.floorFixed.p99),
			[`drain_events_per_s_${engine}`]: Math.round(r.drain.events / (r.drain.ms / 1000)),
			[`executions_per_1000_events_${engine}`]: round((r.drain.runs / r.drain.events) * 1000, 2),
			[`latency_p99_ms_quarter_load_${engine}`]: r.light.p99,
			[`latency_p50_ms_quarter_load_${engine}`]: r.light.p50,
			[`ack_rate_per_s_${engine}`]: r.rate,
			[`inbox_ack_p50_ms_${engine}`]: round(r.inboxFixed.p50),
			[`floor_ack_p50_ms_${engine}`]: round(r.floorFixed.p50),
			[`quarter_load_rate_per_s_${engine}`]: r.quarter,
			[`detail_${engine}`]: {
				saturation_status_counts: {
					floor: r.floorSat.statusCounts,
					inbox: r.inboxSat.statusCounts,
				},
				fixed_rate_status_counts: {
					floor: r.floorFixed.statusCounts,
					inbox: r.inboxFixed.statusCounts,
				},
				fixed_rate_dropped: { floor: r.floorFixed.dropped, inbox: r.inboxFixed.dropped },
				light_load: r.light,
				drain: r.drain,
			},
		});
		loads[engine] = r.load;
		rows.push({
			engine,
			'inbox ack/s': round(r.inboxSat.per_s),
			'floor ack/s': round(r.floorSat.per_s),
			'inbox/floor': round(r.inboxSat.per_s / r.floorSat.per_s, 2),
			'ack rate/s': r.rate,
			'ack p99 ms inbox / floor': `${round(r.inboxFixed.p99)} / ${round(r.floorFixed.p99)}`,
			'drain events/s': Math.round(r.drain.events / (r.drain.ms / 1000)),
			'runs / 1000 events': round((r.drain.runs / r.drain.events) * 1000, 2),
			'quarter rate/s': r.quarter,
			'latency p50 / p99 ms': `${r.light.p50} / ${r.light.p99}`,
		});
	}
	figures.settings = {
		n8n: '2.41.1, one main process, regular mode, SQLite, default execution saving, Node 24',
		engines: {
			vm: 'N8N_EXPRESSION_ENGINE=vm (default, isolated-vm)',
			legacy: 'N8N_EXPRESSION_ENGINE=legacy',
		},
		receipt: `${CONCURRENCY} concurrent keep-alive senders on loopback for ${SATURATION_MS / 1000} s per endpoint (after a 2 s warm-up), floor first; then a fixed rate (200/s when the floor saturates above 250/s, else half its saturation) for ${SATURATION_MS / 1000} s per endpoint; latency from the scheduled send time`,
		receipt_body: 'signed Shopify orders/updated, 20 lines, 64-bit ids (as bench/trigger.ts)',
		receipt_consumer: 'no Inbox Trigger consumes the receipt stream during the receipt measurement',
		ack_floor: 'bench/floor-node benchAckFloor: writes 200 itself, starts no run',
		drain: `${DRAIN_ENTRIES} entries in the Webhook Trigger's format, cycling 1,000 realistic deliveries (35% Shopify orders/create 1-4 lines, 25% Shopify inventory_levels/update, 25% WooCommerce order.updated 1-3 lines, 10% WooCommerce product.updated, 5% Shopify inventory_items/update); Inventory Inbox Trigger (batch 500, max wait 100 ms, 2 parallel) → NoOp; events/s from activation to the last acknowledgement`,
		light_load:
			"a quarter of the floor's saturation rate for 10 s, Webhook Trigger (inbox) → stream → Inventory Inbox Trigger (defaults) → NoOp; latency = execution startedAt − event receivedAt, one sample per delivery",
		redis: `${TEST_REDIS.url}, Redis 7.0, no persistence (bench/run.js: a private redis-server unless INVSYNC_TEST_REDIS is set)`,
		load_average_1_5_15: loads,
	};
	console.table(rows);
	if (QUICK) {
		console.log(JSON.stringify(figures, null, 2));
		return;
	}
	const file = writeResults('inbox', figures);
	console.log(`wrote ${file}`);
}
