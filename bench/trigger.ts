/**
 * `npm run bench -- trigger`: what our receipt costs, outside n8n and inside a real n8n 2.41.1, against n8n's
 * own floor (a minimal custom webhook node that answers 200 and starts a run with the raw body) and n8n's
 * built-in Webhook node — under both expression engines. Prints a table, writes bench/results/trigger.json.
 *
 * Settings (all named in the JSON): one n8n main process (regular mode, SQLite, default execution saving),
 * load from this process over loopback with keep-alive, 32 concurrent senders for 10 s per saturation run,
 * then a fixed rate of half the floor's saturation for 10 s for ack latencies. Body: a realistic signed
 * Shopify orders/updated with 20 lines (64-bit ids), ~20 KB, which our trigger turns into 20 items.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { computeSignature } from '../nodes/shared/signature';
import { normalizeDelivery, pickHeaders } from '../nodes/shared/events';
import { verifySignature } from '../nodes/shared/signature';
import {
	FLOOR_PACKAGE_DIR,
	REPO_ROOT,
	fixedRate,
	loadGenerator,
	startN8n,
	type N8nInstance,
} from '../test/e2e/harness';
import { shopifyOrder, toJson } from '../test/simulators/payloads';
import { percentile, writeResults } from './_results';

const SECRET = 'bench-secret';
const SATURATION_MS = 10_000;
const CONCURRENCY = 32;

function orderBody(): string {
	return toJson(
		shopifyOrder({
			lines: Array.from({ length: 20 }, (_, i) => ({ sku: `BENCH-${i}`, quantity: 1 + (i % 3) })),
		}),
	);
}

function headersFor(body: string): Record<string, string> {
	return {
		'content-type': 'application/json',
		'x-shopify-topic': 'orders/updated',
		'x-shopify-hmac-sha256': computeSignature(Buffer.from(body), SECRET),
		'x-shopify-shop-domain': 'demo-shop.myshopify.com',
		'x-shopify-api-version': '2026-10',
		'x-shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70fcd043',
		'x-shopify-event-id': '98880550-7158-44d4-b7cd-2c97c8a091b5',
		'x-shopify-triggered-at': new Date().toISOString(),
	};
}

/** Median CPU µs of verify + normalise per request, in batches (process.cpuUsage is per-process CPU time). */
function ownCostUs(body: string): {
	median: number;
	p99: number;
	bodyBytes: number;
	items: number;
} {
	const raw = Buffer.from(body);
	const headers = headersFor(body);
	let items = 0;
	const once = () => {
		const ok = verifySignature(raw, headers['x-shopify-hmac-sha256'], { current: SECRET });
		if (!ok) throw new Error('signature');
		const result = normalizeDelivery({
			platform: 'shopify',
			headers: pickHeaders('shopify', headers),
			rawBody: raw.toString('utf8'),
			receivedAt: new Date().toISOString(),
		});
		items = result.events.length;
	};
	for (let i = 0; i < 2_000; i++) once(); // warm up the JIT
	const BATCH = 50;
	const perRequest: number[] = [];
	for (let b = 0; b < 200; b++) {
		const start = process.cpuUsage();
		for (let i = 0; i < BATCH; i++) once();
		const used = process.cpuUsage(start);
		perRequest.push((used.user + used.system) / BATCH);
	}
	perRequest.sort((a, b) => a - b);
	return {
		median: percentile(perRequest, 50),
		p99: percentile(perRequest, 99),
		bodyBytes: raw.length,
		items,
	};
}

function workflows() {
	const noop = (id: string) => ({
		id,
		name: 'NoOp',
		type: 'n8n-nodes-base.noOp',
		typeVersion: 1,
		position: [300, 0],
		parameters: {},
	});
	const wf = (id: string, trigger: object, connectFrom: string) => ({
		id,
		name: id,
		active: true,
		nodes: [trigger, noop(`${id}-noop`)],
		connections: { [connectFrom]: { main: [[{ node: 'NoOp', type: 'main', index: 0 }]] } },
		settings: { executionOrder: 'v1' },
	});
	return [
		wf(
			'benchOursDirect',
			{
				id: 'ours',
				name: 'Inventory Webhook Trigger',
				type: 'CUSTOM.inventoryWebhookTrigger',
				typeVersion: 1,
				position: [0, 0],
				webhookId: 'bench-ours',
				parameters: {
					platform: 'shopify',
					delivery: 'run',
					options: { manageSubscriptions: false },
				},
				credentials: { shopifyInventoryApi: { id: 'benchShopify', name: 'benchShopify' } },
			},
			'Inventory Webhook Trigger',
		),
		wf(
			'benchFloorRun01',
			{
				id: 'floor',
				name: 'Bench Floor Trigger',
				type: 'CUSTOM.benchFloorTrigger',
				typeVersion: 1,
				position: [0, 0],
				webhookId: 'bench-floor',
				parameters: {},
			},
			'Bench Floor Trigger',
		),
		wf(
			'benchWebhookNode',
			{
				id: 'builtin',
				name: 'Webhook',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: [0, 0],
				webhookId: 'bench-builtin',
				parameters: {
					httpMethod: 'POST',
					path: 'builtin',
					responseMode: 'onReceived',
					options: {},
				},
			},
			'Webhook',
		),
	];
}

/** Saturation: 32 closed-loop senders for 10 s; executions/s = runs of this workflow ÷ (first request → last run end). */
async function saturation(n8n: N8nInstance, workflowId: string, url: string, body: string) {
	const before = (await n8n.executions({ workflowId, includeData: false })).length;
	const started = Date.now();
	const load = await loadGenerator({
		url,
		concurrency: CONCURRENCY,
		durationMs: SATURATION_MS,
		makeRequest: () => ({ body, headers: headersFor(body) }),
	});
	const ok = load.statusCounts['200'] ?? 0;
	const runs = await n8n.waitForExecutions({
		workflowId,
		count: before + ok,
		timeoutMs: 180_000,
		includeData: false,
	});
	const mine = runs.slice(before);
	const lastEnd = Math.max(...mine.map((e) => Date.parse(e.stoppedAt ?? e.startedAt)));
	const failed = mine.filter((e) => e.status !== 'success').length;
	return {
		acks_per_s: load.perSecond,
		executions_per_s: mine.length / ((lastEnd - started) / 1000),
		executions: mine.length,
		failed,
		statusCounts: load.statusCounts,
	};
}

/**
 * n8n loads our nodes from a snapshot of dist/ inside the repository (so `ioredis` still resolves from the
 * repository's node_modules): a rebuild while the benchmark runs must not pull the files from under it.
 */
function snapshotDist(): string {
	const dir = mkdtempSync(path.join(REPO_ROOT, '.e2e-tmp-bench-'));
	cpSync(path.join(REPO_ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true });
	return dir;
}

async function measureEngine(engine: 'vm' | 'legacy', body: string) {
	const snapshot = snapshotDist();
	const n8n = await startN8n({
		engine,
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
		],
		workflows: workflows(),
	});
	try {
		const urls = {
			ours: n8n.webhookUrl('bench-ours', 'webhook'),
			floor: n8n.webhookUrl('bench-floor', 'floor'),
			// The built-in Webhook node's production URL is /webhook/<path> (its webhookId is not part of it).
			builtin: `${n8n.baseUrl}/webhook/builtin`,
		};
		const ours = await saturation(n8n, 'benchOursDirect', urls.ours, body);
		const floor = await saturation(n8n, 'benchFloorRun01', urls.floor, body);
		const builtin = await saturation(n8n, 'benchWebhookNode', urls.builtin, body);
		const rate = Math.max(1, Math.floor(floor.executions_per_s / 2));
		const fixed = async (url: string, workflowId: string) => {
			const before = (await n8n.executions({ workflowId, includeData: false })).length;
			const r = await fixedRate({
				url,
				ratePerSec: rate,
				durationMs: SATURATION_MS,
				makeRequest: () => ({ body, headers: headersFor(body) }),
			});
			await n8n.waitForExecutions({
				workflowId,
				count: before + (r.statusCounts['200'] ?? 0),
				timeoutMs: 180_000,
				includeData: false,
			});
			return r;
		};
		const oursHalf = await fixed(urls.ours, 'benchOursDirect');
		const floorHalf = await fixed(urls.floor, 'benchFloorRun01');
		return { ours, floor, builtin, rate, oursHalf, floorHalf };
	} finally {
		await n8n.stop();
		rmSync(snapshot, { recursive: true, force: true });
	}
}

export async function main(): Promise<void> {
	const body = orderBody();
	const own = ownCostUs(body);
	console.log(
		`own verify + normalise: median ${own.median.toFixed(1)} µs CPU (p99 ${own.p99.toFixed(1)}) for a ${own.bodyBytes}-byte 20-line order → ${own.items} items`,
	);
	const figures: Record<string, unknown> = {
		own_us_per_request: Math.round(own.median * 10) / 10,
		own_us_per_request_p99: Math.round(own.p99 * 10) / 10,
		body_bytes: own.bodyBytes,
		items_per_request: own.items,
	};
	const rows: Array<Record<string, unknown>> = [];
	for (const engine of ['vm', 'legacy'] as const) {
		const r = await measureEngine(engine, body);
		const round = (n: number) => Math.round(n * 10) / 10;
		Object.assign(figures, {
			[`direct_per_s_${engine}`]: round(r.ours.executions_per_s),
			[`floor_per_s_${engine}`]: round(r.floor.executions_per_s),
			[`webhook_node_per_s_${engine}`]: round(r.builtin.executions_per_s),
			[`direct_vs_floor_${engine}`]:
				Math.round((r.ours.executions_per_s / r.floor.executions_per_s) * 100) / 100,
			[`direct_acks_per_s_${engine}`]: round(r.ours.acks_per_s),
			[`floor_acks_per_s_${engine}`]: round(r.floor.acks_per_s),
			[`half_load_rate_per_s_${engine}`]: r.rate,
			[`ack_p50_ms_half_load_${engine}`]: round(r.oursHalf.latencies.p50),
			[`ack_p99_ms_half_load_${engine}`]: round(r.oursHalf.latencies.p99),
			[`floor_ack_p50_ms_half_load_${engine}`]: round(r.floorHalf.latencies.p50),
			[`floor_ack_p99_ms_half_load_${engine}`]: round(r.floorHalf.latencies.p99),
			[`failed_runs_${engine}`]: r.ours.failed + r.floor.failed + r.builtin.failed,
		});
		rows.push({
			engine,
			'ours exec/s': round(r.ours.executions_per_s),
			'floor exec/s': round(r.floor.executions_per_s),
			'Webhook node exec/s': round(r.builtin.executions_per_s),
			'ours/floor': Math.round((r.ours.executions_per_s / r.floor.executions_per_s) * 100) / 100,
			'half-load rate/s': r.rate,
			'ours ack p50/p99 ms': `${round(r.oursHalf.latencies.p50)} / ${round(r.oursHalf.latencies.p99)}`,
			'floor ack p50/p99 ms': `${round(r.floorHalf.latencies.p50)} / ${round(r.floorHalf.latencies.p99)}`,
		});
	}
	figures.load_average_at_end = os.loadavg().map((l) => Math.round(l * 100) / 100);
	figures.settings = {
		n8n: '2.41.1, one main process, regular mode, SQLite, default execution saving, Node 24',
		engines: {
			vm: 'N8N_EXPRESSION_ENGINE=vm (default, isolated-vm)',
			legacy: 'N8N_EXPRESSION_ENGINE=legacy',
		},
		load: `${CONCURRENCY} concurrent keep-alive senders on loopback for ${SATURATION_MS / 1000} s; then a fixed rate of half the floor's saturation for ${SATURATION_MS / 1000} s`,
		body: `signed Shopify orders/updated, 20 lines, ${own.bodyBytes} bytes`,
		workflows:
			'each trigger → NoOp; floor = bench/floor-node benchFloorTrigger (200 + run with the raw body)',
	};
	console.table(rows);
	const file = writeResults('trigger', figures);
	console.log(`wrote ${file}`);
}
