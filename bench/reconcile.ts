/* eslint-disable no-console -- a benchmark prints its figures */
/**
 * `npm run bench -- reconcile` (issue 20): the nightly reconciliation template (workflows/nightly-reconciliation
 * .json) in a real n8n 2.41.1 over 10,000 SKUs on both simulators at Standard limits (Shopify: 1,000 points
 * restoring 100/s; WooCommerce host limit 10 requests/s, 429 + Retry-After: 1), with 5 % drift injected.
 *
 * Set-up as a user does it (not measured): the first-sync template (live) reads both shops and seeds the ledger;
 * a first nightly run creates the subscriptions (pointed at a sink that answers 200 and applies nothing: every
 * webhook of the drift is a lost one for our ledger). Then the drift, 500 SKUs (5 %) spread over every kind:
 * the owner's level edited by hand (Shopify's store location), a mirror lowered and one raised by hand (on
 * WooCommerce and on Shopify's warehouse location), and orders whose webhooks were lost (Shopify web orders,
 * WooCommerce orders) — only the order poll sees those.
 *
 * Measured: one nightly run — wall_s; processing_s (wall minus the time Shopify's bulk operations took on the
 * simulator, `bulkStepMs` × steps: the wait for Shopify's own work); api_calls, api_points (Shopify's requested
 * query cost); repaired (its Drift Report); missed (SKUs where the ledger or a shop does not hold the truth after
 * the run — the seeded stock, the owner's edits, every order: must be 0); raised_before_poll (mirror values that
 * went up before the last order-poll request: must be 0, found by sampling every mirror every 25 ms); rss_mb_peak (n8n main's VmHWM, reset before the run).
 * Flags: `--skus N` (smaller run: prints, writes nothing unless `--write`).
 */
import * as http from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import Redis from 'ioredis';
import {
	TEMPLATE_PLACEHOLDERS as P,
	TEMPLATE_WORKFLOW_IDS,
	disableNode,
	loadTemplate,
	startWithTemplates,
	templateCredentials,
	type TemplateN8n,
} from '../test/e2e/templateSupport';
import type { Execution } from '../test/e2e/harness';
import { addWebhookStart, firstItem, outcome } from '../test/e2e/manualStart';
import { ledgerView } from '../test/e2e/channelsSupport';
import {
	LeakyCostBucket,
	ShopifySimulator,
	WooCommerceSimulator,
	idString,
} from '../test/simulators';
import { TEST_REDIS, deleteByPrefix } from '../test/support';
import { runAndWait, runSeconds } from './_n8nRuns';
import { writeResults } from './_results';

const SHOP = 'nightly-bench.myshopify.com';
const LOC_W = '1001';
const LOC_S = '1002';
const PLACE_W = `shopify:${SHOP}:${LOC_W}`;
const PLACE_S = `shopify:${SHOP}:${LOC_S}`;
const TOKEN = 'shpat_recon';
const CK = 'ck_recon';
const CS = 'cs_recon';
/** Shopify's bulk operation on the simulator: RUNNING after one step, COMPLETED after 3 more. */
const BULK_STEP_MS = 1000;
const BULK_RUNNING_STEPS = 3;

const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
/** Each node's own time in a run (n8n's executionTime, summed over its runs): where the seconds go. */
const nodeSeconds = (execution: Execution) =>
	Object.fromEntries(
		Object.entries(execution.data?.resultData?.runData ?? {}).map(([node, runs]) => [
			node,
			round(runs.reduce((s, r) => s + (r.executionTime ?? 0), 0) / 1000, 2),
		]),
	);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const loadAvg = () => os.loadavg().map((x) => round(x, 2));

function peakRss(pid: number | undefined, reset = false): number {
	if (!pid) return NaN;
	try {
		if (reset) writeFileSync(`/proc/${pid}/clear_refs`, '5');
		const status = readFileSync(`/proc/${pid}/status`, 'utf8');
		return Math.round(Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024);
	} catch {
		return NaN;
	}
}

/** Where the subscriptions deliver: answers 200, applies nothing. */
async function startSink(): Promise<{ url: string; close: () => Promise<void> }> {
	const server = http.createServer((req, res) => {
		req.resume();
		req.on('end', () => res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok'));
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
		close: () => new Promise((resolve) => server.close(() => resolve())),
	};
}

export interface ReconcileSize {
	skus: number;
}

export async function runReconcile(
	size: ReconcileSize,
	say: (line: string) => void = (l) => console.log(l),
): Promise<Record<string, unknown>> {
	const n = size.skus;
	const skus = Array.from({ length: n }, (_, i) => `RB-${String(i).padStart(5, '0')}`);
	const itemOf = (i: number) => String(6_600_000_000 + i);
	const prefix = `benchrecon${process.pid}`;
	const redis = new Redis({ host: TEST_REDIS.host, port: TEST_REDIS.port, lazyConnect: true });
	await redis.connect();
	const sink = await startSink();
	const shopify = new ShopifySimulator({
		shop: SHOP,
		webhookSecret: 'recon-shopify',
		accessToken: TOKEN,
		costBucket: new LeakyCostBucket(1000, 100),
		salesLocationId: LOC_W,
		bulkStepMs: BULK_STEP_MS,
		bulkRunningSteps: BULK_RUNNING_STEPS,
	});
	const woo = new WooCommerceSimulator({
		consumerKey: CK,
		consumerSecret: CS,
		requestsPerSecond: 10,
		retryAfterSeconds: 1,
	});
	let t: TemplateN8n | undefined;
	try {
		await Promise.all([shopify.start(), woo.start()]);
		const wooShop = new URL(woo.baseUrl).host.toLowerCase();
		const wooPlace = `woocommerce:${wooShop}:default`;
		shopify.putLocation(LOC_W, 'Warehouse');
		shopify.putLocation(LOC_S, 'Store');
		const wooIds: string[] = [];
		skus.forEach((sku, i) => {
			shopify.putInventoryItem(itemOf(i), sku);
			shopify.setLevel(itemOf(i), LOC_W, 20 + (i % 40));
			shopify.setLevel(itemOf(i), LOC_S, 5 + (i % 7));
			const p = woo.putProduct({
				sku,
				manage_stock: true,
				stock_quantity: 25 + (i % 40) + (i % 7) - 2,
			});
			wooIds.push(idString(p.id as bigint));
		});
		const replace: Array<[string, string]> = [
			[P.shopifyShop, SHOP],
			[P.wooShop, wooShop],
			['https://your-n8n.example.com', sink.url],
		];
		const first = loadTemplate('first-sync.json', {
			replace: [...replace, ['"dryRun": true', '"dryRun": false']],
		});
		const firstStart = addWebhookStart(first, 'Run First Sync', `bench-recon-first-${process.pid}`);
		const night = loadTemplate('nightly-reconciliation.json', { replace });
		disableNode(night, 'Every Night at 02:00');
		const nightStart = addWebhookStart(night, 'Run Now', `bench-recon-nightly-${process.pid}`);
		say(`[reconcile] ${n} SKUs; starting n8n (legacy) …`);
		t = await startWithTemplates({
			engine: 'legacy',
			activateVia: 'api',
			workflows: [first, night],
			credentials: templateCredentials({
				redis: { host: TEST_REDIS.host, port: TEST_REDIS.port, keyPrefix: prefix },
				shopify: {
					shopDomain: shopify.baseUrl,
					accessToken: TOKEN,
					webhookSecret: 'recon-shopify',
				},
				woocommerce: {
					siteUrl: woo.baseUrl,
					consumerKey: CK,
					consumerSecret: CS,
					webhookSecret: 'recon-woo',
				},
			}),
			startTimeoutMs: 240_000,
		});
		const n8n = t.n8n;
		const run = async (what: string, id: string, start: typeof firstStart) => {
			const r = await runAndWait(n8n, id, start.path).catch((error: unknown) => {
				say(
					`[reconcile] ${what} failed; n8n log tail:\n${n8n.logs().split('\n').slice(-40).join('\n')}`,
				);
				throw error;
			});
			const o = outcome(r);
			if (o.error) throw new Error(`${what}: ${o.error}`);
			say(`[reconcile] ${what}: ${round(runSeconds(r), 1)} s in n8n`);
			return r;
		};
		await run('first sync (live)', TEMPLATE_WORKFLOW_IDS.firstSync, firstStart);
		const baselineRun = await run('first nightly run', TEMPLATE_WORKFLOW_IDS.nightly, nightStart);
		const baseline = firstItem(n8n, baselineRun, 'Drift Report');
		say(`[reconcile] baseline report ${JSON.stringify(baseline)}`);

		// --- the drift: 5 % of the SKUs, every kind --------------------------------------------------------
		const drift = Math.round(n * 0.05);
		const kinds = [
			'owner level edited',
			'woo mirror lowered',
			'woo mirror raised',
			'shopify mirror lowered',
			'shopify mirror raised',
			'shopify order, webhook lost',
			'woo order, webhook lost',
		] as const;
		const byKind: Record<string, number> = {};
		// What is really on the shelves per SKU (warehouse, store): the first sync's reading, then the drift.
		const truthW = skus.map((_, i) => 20 + (i % 40));
		const truthS = skus.map((_, i) => 5 + (i % 7));
		const chosen = Array.from({ length: drift }, (_, k) => Math.floor((k * n) / drift) + (k % 3));
		const limit = woo.requestsPerSecond;
		woo.requestsPerSecond = undefined; // the merchant's own edits are not what is measured
		for (let k = 0; k < chosen.length; k++) {
			const i = chosen[k];
			const kind = kinds[k % kinds.length];
			byKind[kind] = (byKind[kind] ?? 0) + 1;
			const at = (loc: string) => shopify.level(itemOf(i), loc)!.available;
			const wooStock = () => Number(woo.getProduct(wooIds[i])!.stock_quantity);
			if (kind === 'owner level edited') {
				shopify.setLevel(itemOf(i), LOC_S, at(LOC_S) + 3);
				truthS[i] += 3;
			} else if (kind === 'shopify mirror lowered')
				shopify.setLevel(itemOf(i), LOC_W, Math.max(0, at(LOC_W) - 2));
			else if (kind === 'shopify mirror raised') shopify.setLevel(itemOf(i), LOC_W, at(LOC_W) + 4);
			else if (kind === 'shopify order, webhook lost') {
				shopify.placeOrder({ lines: [{ sku: skus[i], quantity: 1 }] });
				truthW[i] -= 1;
			} else if (kind === 'woo order, webhook lost') {
				woo.placeOrder({ lines: [{ productId: BigInt(wooIds[i]), quantity: 1 }] });
				truthS[i] -= 1;
			} else {
				const quantity =
					kind === 'woo mirror lowered' ? Math.max(0, wooStock() - 3) : wooStock() + 3;
				const r = await fetch(
					`${woo.restBase}/products/${wooIds[i]}?consumer_key=${CK}&consumer_secret=${CS}`,
					{
						method: 'PUT',
						headers: { 'Content-Type': 'application/json' },
						body: JSON.stringify({ stock_quantity: quantity }),
					},
				);
				if (r.status !== 200) throw new Error(`hand edit answered ${r.status}`);
			}
		}
		await shopify.webhooksIdle();
		await woo.flushDeliveries();
		woo.requestsPerSecond = limit;
		// Let Shopify's bucket fill again, as it would have overnight.
		await sleep(Math.min(10_000, n));

		// --- the measured run ------------------------------------------------------------------------------
		const pid = n8n.pids().main;
		peakRss(pid, true);
		const shopifyLog0 = shopify.log.length;
		const wooLog0 = woo.log.length;
		const bulk0 = new Set(shopify.bulk.operations.keys());
		// Every mirror's value, sampled: a rise before the last order poll is a mirror raised too early.
		const mirrors = () =>
			skus.map((_, i) => [
				shopify.level(itemOf(i), LOC_W)!.available,
				Number(woo.getProduct(wooIds[i])!.stock_quantity),
			]);
		let last = mirrors();
		const rises: number[] = [];
		const sampler = setInterval(() => {
			const now = mirrors();
			const at = Date.now();
			for (let i = 0; i < now.length; i++)
				for (let p = 0; p < 2; p++) if (now[i][p] > last[i][p]) rises.push(at);
			last = now;
		}, 25);
		const load0 = loadAvg();
		const nightly = await run('measured nightly run', TEMPLATE_WORKFLOW_IDS.nightly, nightStart);
		const wall = runSeconds(nightly);
		clearInterval(sampler);
		const rss = peakRss(pid);
		const report = firstItem(n8n, nightly, 'Drift Report');
		// What each order poll did with the order lines it read (applied / skipped / invalid).
		const pollOutcomes = (node: string) => {
			const tally: Record<string, number> = {};
			for (const item of n8n.nodeOutput(nightly, node).flat()) {
				const o = String((item.ledger as { outcome?: string } | undefined)?.outcome ?? item.kind);
				tally[o] = (tally[o] ?? 0) + 1;
			}
			return tally;
		};
		const polls = {
			shopify: pollOutcomes('Shopify Poll Orders'),
			woocommerce: pollOutcomes('WooCommerce Poll Orders'),
		};
		const shopifyEntries = (
			shopify.log.slice(shopifyLog0) as Array<Record<string, unknown>>
		).filter((e) => e.op === 'graphql');
		const wooEntries = (woo.log.slice(wooLog0) as Array<Record<string, unknown>>).filter(
			(e) => e.op === 'rest',
		);
		const points = shopifyEntries.reduce((s, e) => s + Number(e.requestedQueryCost ?? 0), 0);
		const pollTimes = [
			...shopifyEntries.filter((e) => /order/i.test(String(e.name))),
			...wooEntries.filter((e) => /^GET \/orders/.test(String(e.name))),
		].map((e) => Date.parse(String(e.at)));
		const lastPoll = pollTimes.length ? Math.max(...pollTimes) : NaN;
		const bulkWait = [...shopify.bulk.operations.values()]
			.filter((o) => !bulk0.has(o.id) && o.completedAt)
			.reduce((s, o) => s + (o.completedAt! - o.createdAt), 0);

		// Every SKU: the ledger and the shops (Shopify's warehouse and store locations, WooCommerce) against the
		// truth — a sale the run did not see, overwritten by a Publish, leaves ledger and shops agreeing on a
		// wrong number, so agreement alone would not find it.
		let missed = 0;
		let disagree = 0;
		const examples: string[] = [];
		for (let k = 0; k < n; k += 1000) {
			const part = skus.slice(k, k + 1000);
			const view = await ledgerView(redis, prefix, part);
			part.forEach((sku, j) => {
				const i = k + j;
				const l = view.get(sku)!;
				const truth = [truthW[i], truthS[i], Math.max(0, truthW[i] + truthS[i] - 2)];
				const shops = [
					shopify.level(itemOf(i), LOC_W)!.available,
					shopify.level(itemOf(i), LOC_S)!.available,
					Number(woo.getProduct(wooIds[i])!.stock_quantity),
				];
				const ledger = [
					l.available[`shopify ${PLACE_W}`],
					l.quantities[PLACE_S],
					l.available[`woocommerce ${wooPlace}`],
				];
				const t = JSON.stringify(truth);
				if (JSON.stringify(shops) !== JSON.stringify(ledger)) disagree++;
				if (JSON.stringify(shops) !== t || JSON.stringify(ledger) !== t) {
					missed++;
					if (examples.length < 5)
						examples.push(
							`${sku}: truth ${t}, shops ${JSON.stringify(shops)}, ledger ${JSON.stringify(ledger)}`,
						);
				}
			});
		}
		const figures = {
			wall_s: round(wall, 1),
			processing_s: round(wall - bulkWait / 1000, 1),
			api_calls: shopifyEntries.length + wooEntries.length,
			api_points: points,
			repaired: Number(report.repaired),
			missed,
			raised_before_poll: rises.filter((at) => at <= lastPoll).length,
			rss_mb_peak: rss,
			detail: {
				skus: n,
				drift_injected: drift,
				drift_by_kind: byKind,
				drift_report: report,
				api_calls_shopify: shopifyEntries.length,
				api_calls_woocommerce: wooEntries.length,
				woocommerce_429: wooEntries.filter((e) => e.status === 429).length,
				shopify_throttled: shopifyEntries.filter((e) => e.rejected === 'THROTTLED').length,
				bulk_wait_s: round(bulkWait / 1000, 1),
				mirror_rises_total: rises.length,
				missed_examples: examples,
				ledger_and_shops_disagree: disagree,
				poll_outputs: polls,
				node_seconds: nodeSeconds(nightly),
				load_average_before: load0,
				load_average_after: loadAvg(),
			},
			settings: {
				shopify_bucket: { maximumAvailable: 1000, restoreRate: 100 },
				shopify_bulk_operation: `${BULK_STEP_MS} ms per step, RUNNING after 1 step, COMPLETED after ${BULK_RUNNING_STEPS} more (≈ ${(BULK_STEP_MS * (1 + BULK_RUNNING_STEPS)) / 1000} s)`,
				woocommerce_host_limit: { requests_per_second: 10, answer: '429 with Retry-After: 1' },
				woocommerce_catalogue: 'simple products',
				n8n: '2.41.1, one main process, SQLite, N8N_EXPRESSION_ENGINE=legacy, executions saved (n8n defaults)',
				simulators: 'in the benchmark process, loopback',
				target: 'processing_s ≤ 20',
			},
		};
		say(`[reconcile] ${JSON.stringify(figures)}`);
		return figures;
	} finally {
		await t?.stop().catch(() => undefined);
		await shopify.stop().catch(() => undefined);
		await woo.stop().catch(() => undefined);
		await sink.close();
		await deleteByPrefix(redis, prefix).catch(() => undefined);
		await redis.quit();
	}
}

export function summaryRows(f: Record<string, unknown>): Array<Record<string, unknown>> {
	const skip = new Set(['detail', 'settings', 'measured_at', 'machine']);
	return [Object.fromEntries(Object.entries(f).filter(([k]) => !skip.has(k)))];
}

export async function main(argv: string[] = []): Promise<Record<string, unknown>> {
	const i = argv.indexOf('--skus');
	const skus = i >= 0 ? Number(argv[i + 1]) : 10_000;
	if (!Number.isInteger(skus) || skus < 20) throw new Error('--skus must be an integer ≥ 20');
	const figures = await runReconcile({ skus });
	console.table(summaryRows(figures));
	if (skus === 10_000 || argv.includes('--write'))
		console.log(`written to ${writeResults('reconcile', figures)}`);
	else console.log('(not the full run: nothing written; --write to write anyway)');
	return figures;
}
