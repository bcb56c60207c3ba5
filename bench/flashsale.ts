/* eslint-disable no-console -- a benchmark prints its figures */
/**
 * `npm run bench -- flashsale` (issue 20): a flash sale on both shops, our real-time template against a workflow
 * built from n8n's built-in nodes, each in a real n8n 2.41.1 with the simulators at Standard limits (Shopify:
 * leaky bucket of 1,000 points restoring 100 points/s; WooCommerce host limit 10 requests/s answered 429 with
 * Retry-After: 1).
 *
 * The sale: 5,000 orders in 60 s over 200 SKUs, half on each shop, SKUs drawn with a skew so the popular ones
 * sell out (bench/_flashShop.ts). Each order is a checkout on its simulator, which sells only what it shows and
 * sends what its platform sends (Shopify: orders/create and inventory_levels/update per line and location;
 * WooCommerce: order.created and product.updated). Every subject starts from the same shops and the same plan.
 *
 * Subjects (each a fresh n8n on its own Redis prefix; the shops set up by the first-sync template, live):
 * - ours_receiver: workflows/realtime-sync.json, deliveries received by the Inventory Receiver (started in this
 *   process, same Redis) instead of the Webhook Triggers; a buffer of 2 on each channel plus the sales-rate
 *   reserve (buffer.salesRateSeconds, `--reserve S`, default 2: the lag p99 with the catch-up running), with
 *   workflows/catch-up-poll.json active as shipped (every minute) beside it, as a merchant runs it: its poll
 *   releases mirror safety's holds and its Publish lifts decayed reserves (`--no-catch-up` leaves it out);
 * - ours_n8n_legacy / ours_n8n_vm: the same template receiving through its Webhook Triggers (inbox mode), n8n
 *   under N8N_EXPRESSION_ENGINE=legacy / vm; buffer 2 and the same reserve;
 * - ours_nobuffer: the better of those two, buffer 0 and no reserve;
 * - naive: bench/_naive.ts on an n8n like ours_n8n_legacy's.
 *
 * Figures per subject: see FlashFigures. Flags: `--orders N --seconds S --skus K` (smaller runs; anything but the
 * full size prints and writes nothing unless `--write`), `--only a,b` (subjects), `--settle S` (how long the
 * sync may take after the last order, default 150: up to two catch-up runs, whose poll releases the
 * holds and whose Publish lifts the reserves), `--reserve S` (salesRateSeconds of the buffered subjects), `--no-catch-up`.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Redis from 'ioredis';
import {
	TEMPLATE_PLACEHOLDERS as P,
	TEMPLATE_WORKFLOW_IDS,
	everySeconds,
	loadTemplate,
	nodeNamed,
	startWithTemplates,
	templateCredentials,
	type TemplateN8n,
	type Workflow,
} from '../test/e2e/templateSupport';
import { addWebhookStart, outcome } from '../test/e2e/manualStart';
import { retrying, runAndWait } from './_n8nRuns';
import { LeakyCostBucket, ShopifySimulator, WooCommerceSimulator } from '../test/simulators';
import { TEST_REDIS, deleteByPrefix } from '../test/support';
import { startReceiver } from '../receiver/server';
import { loadConfig } from '../receiver/config';
import { freePort } from '../test/support/redisServer';
import { ledgerKeys } from '../nodes/shared/keys';
import {
	FLASH_SHOP,
	FlashWatch,
	STORE_LOCATION,
	planOrders,
	seedFlashShop,
	type PlannedOrder,
} from './_flashShop';
import { NAIVE_PATHS, naiveShopifyToWoo, naiveWooToShopify, subscribeShopify } from './_naive';
import { percentile, writeResults } from './_results';
import { plotLatency } from './_plot';

export type Subject =
	| 'ours_receiver'
	| 'ours_n8n_legacy'
	| 'ours_n8n_vm'
	| 'ours_nobuffer'
	| 'naive';
const SUBJECTS: Subject[] = [
	'ours_receiver',
	'ours_n8n_legacy',
	'naive',
	'ours_n8n_vm',
	'ours_nobuffer',
];

export interface FlashSize {
	orders: number;
	seconds: number;
	skus: number;
	settleSeconds: number;
	/** buffer.salesRateSeconds of the buffered subjects (default 2). */
	reserveSeconds?: number;
	/** The catch-up template's schedule in seconds (default: as shipped, every minute). */
	catchUpSeconds?: number;
	/** false: the catch-up template is not active beside the real-time template (`--no-catch-up`). */
	catchUp?: boolean;
}
export const FULL: FlashSize = {
	orders: 5000,
	seconds: 60,
	skus: 200,
	settleSeconds: 150,
	reserveSeconds: 2,
};

export interface FlashFigures {
	latency_p50_ms: number;
	latency_p99_ms: number;
	api_calls_per_event: number;
	throttled_responses: number;
	oversold_units: number;
	overstated_unit_seconds: number;
	final_mismatched_skus: number;
	receipt_timeouts: number;
	n8n_rss_mb_peak: number;
	/** What else explains the figures. */
	detail: Record<string, unknown>;
}

const SHOPIFY_TOKEN = 'shpat_flash';
/** The WooCommerce host's limit, requests per second (Standard hosting; answered 429 with Retry-After: 1). */
const WOO_HOST_LIMIT = 10;
const CK = 'ck_flash';
const CS = 'cs_flash';
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const loadAvg = () => os.loadavg().map((x) => round(x, 2));

function peakRssMb(pid: number | undefined): number {
	if (!pid) return NaN;
	try {
		const status = readFileSync(`/proc/${pid}/status`, 'utf8');
		return Math.round(Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024);
	} catch {
		return NaN;
	}
}

/** Calls the shops answered (webhooks excluded), Throttled/429 answers, receipt failures. */
function shopCounters(shopify: ShopifySimulator, woo: WooCommerceSimulator) {
	let shopifyCalls = 0;
	let timeouts = 0;
	let webhooks = 0;
	// Refused calls per operation: Shopify's GraphQL operation name (the node's query or mutation), WooCommerce's
	// `METHOD /path` — which path of the nodes overdrew the limit.
	const throttledShopify = new Map<string, number>();
	const throttledWoo = new Map<string, number>();
	const callsShopify = new Map<string, number>();
	const callsWoo = new Map<string, number>();
	const count = (map: Map<string, number>, name: unknown) =>
		map.set(String(name), (map.get(String(name)) ?? 0) + 1);
	for (const e of shopify.log as Array<Record<string, unknown>>) {
		if (e.op === 'graphql') {
			shopifyCalls++;
			count(callsShopify, e.name);
			if (e.rejected === 'THROTTLED') count(throttledShopify, e.name);
		} else if (e.op === 'webhook') {
			webhooks++;
			if (e.status === 0 || Number(e.durationMs) > 5000) timeouts++;
		}
	}
	let wooCalls = 0;
	for (const e of woo.log as Array<Record<string, unknown>>) {
		if (e.op === 'rest') {
			wooCalls++;
			// Ids in the path are folded: one figure per kind of call.
			const path = String(e.name).replace(/\/\d+(?=\/|$)/g, '/<id>');
			count(callsWoo, path);
			if (e.status === 429) count(throttledWoo, path);
		} else if (e.op === 'webhook') {
			webhooks++;
			if (e.status === 0) timeouts++;
		}
	}
	const sum = (map: Map<string, number>) => [...map.values()].reduce((a, b) => a + b, 0);
	return {
		shopifyCalls,
		wooCalls,
		throttledShopify,
		throttledWoo,
		callsShopify,
		callsWoo,
		throttled: sum(throttledShopify) + sum(throttledWoo),
		timeouts,
		webhooks,
	};
}

/** Per-operation counts of `after` minus `before`, the ones that grew, largest first. */
function grownBy(after: Map<string, number>, before: Map<string, number>): Record<string, number> {
	const out: Array<[string, number]> = [];
	for (const [name, n] of after) {
		const d = n - (before.get(name) ?? 0);
		if (d > 0) out.push([name, d]);
	}
	return Object.fromEntries(out.sort((a, b) => b[1] - a[1]));
}

interface Run {
	subject: Subject;
	engine: 'legacy' | 'vm';
	buffer: number;
	/** buffer.salesRateSeconds on every channel (0: no sales-rate reserve). */
	reserveSeconds: number;
	/** Who receives the shops' deliveries: the Inventory Receiver, or n8n (the template's Webhook Triggers). */
	receipt: 'receiver' | 'n8n';
}

async function runSubject(
	run: Run,
	size: FlashSize,
	plan: PlannedOrder[],
	redis: Redis,
	say: (line: string) => void,
): Promise<{ figures: FlashFigures; timeline: Array<[number, number]> }> {
	const shopifySecret = randomBytes(12).toString('hex');
	const wooSecret = randomBytes(12).toString('hex');
	const prefix = `benchflash${process.pid}${run.subject.replace(/_/g, '')}`;
	const shopify = new ShopifySimulator({
		shop: FLASH_SHOP,
		webhookSecret: shopifySecret,
		accessToken: SHOPIFY_TOKEN,
		costBucket: new LeakyCostBucket(1000, 100),
		salesLocationId: '1001',
	});
	const woo = new WooCommerceSimulator({
		consumerKey: CK,
		consumerSecret: CS,
		requestsPerSecond: WOO_HOST_LIMIT,
		retryAfterSeconds: 1,
	});
	await Promise.all([shopify.start(), woo.start()]);
	const wooShop = new URL(woo.baseUrl).host.toLowerCase();
	const catalogue = seedFlashShop(size.skus, shopify, woo);
	let n8n: TemplateN8n | undefined;
	let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
	try {
		const naive = run.subject === 'naive';
		const workflows: Workflow[] = [];
		let firstSync: ReturnType<typeof addWebhookStart> | undefined;
		if (naive) {
			workflows.push(
				naiveShopifyToWoo({
					shopifySecret,
					wooRestBase: woo.restBase,
					consumerKey: CK,
					consumerSecret: CS,
				}),
				naiveWooToShopify({
					wooSecret,
					graphqlUrl: shopify.graphqlUrl(),
					accessToken: SHOPIFY_TOKEN,
					storeLocation: STORE_LOCATION,
				}),
			);
		} else {
			const replace: Array<[string, string]> = [
				[P.shopifyShop, FLASH_SHOP],
				[P.wooShop, wooShop],
			];
			const first = loadTemplate('first-sync.json', {
				replace: [
					...replace,
					['"dryRun": true', '"dryRun": false'],
					['"value": 2', `"value": ${run.buffer}, "salesRateSeconds": ${run.reserveSeconds}`],
					// The example profile buffers WooCommerce only; the benchmark's subjects buffer every channel.
					[
						'"salesLocation": "ledger:warehouse",',
						`"salesLocation": "ledger:warehouse",\n      "buffer": { "type": "fixed", "value": ${run.buffer}, "salesRateSeconds": ${run.reserveSeconds} },`,
					],
				],
			});
			firstSync = addWebhookStart(first, 'Run First Sync', `flash-first-${process.pid}`);
			const realtime = loadTemplate('realtime-sync.json', { replace, active: true });
			// As a merchant runs it beside the real-time template: its poll releases mirror safety's holds (a place
			// raised again after a sale there waits for one) and its Publish lifts decayed sales-rate reserves.
			const catchUp = loadTemplate('catch-up-poll.json', {
				replace,
				active: size.catchUp !== false,
				transform: (wf) =>
					size.catchUpSeconds === undefined
						? undefined
						: everySeconds(wf, 'Every Minute', size.catchUpSeconds),
			});
			if (run.receipt === 'receiver') {
				receiver = await startReceiver(
					loadConfig({
						listen: { host: '127.0.0.1', port: await freePort() },
						redis: {
							host: TEST_REDIS.host,
							port: TEST_REDIS.port,
							database: 0,
							keyPrefix: prefix,
						},
						shops: [
							{ platform: 'shopify', shop: FLASH_SHOP, path: '/shopify', secret: shopifySecret },
							{ platform: 'woocommerce', shop: wooShop, path: '/woocommerce', secret: wooSecret },
						],
					}),
					{ logger: () => undefined },
				);
				// As README "Pointing the platforms at the receiver" says: each Webhook Trigger keeps registering
				// the subscriptions, with Options → Subscription URL set to the receiver's address for its shop.
				for (const [node, path_] of [
					['Shopify Webhooks', '/shopify'],
					['WooCommerce Webhooks', '/woocommerce'],
				]) {
					const parameters = nodeNamed(realtime, node).parameters;
					parameters.options = {
						...(parameters.options as object),
						subscriptionUrl: `${receiver.url}${path_}`,
					};
				}
			}
			// The WooCommerce host allows 10 requests/s: every WooCommerce node is told so (Max Requests per
			// Second), as a merchant on such a host would set it.
			for (const wf of [first, realtime, catchUp])
				for (const node of wf.nodes) {
					if (node.type !== 'n8n-nodes-inventory-sync.wooCommerceInventory') continue;
					const parameters = node.parameters as Record<string, unknown>;
					parameters.options = {
						...(parameters.options as object | undefined),
						maxRequestsPerSecond: WOO_HOST_LIMIT,
					};
				}
			workflows.push(first, realtime, catchUp);
		}
		say(`[${run.subject}] starting n8n (${run.engine}) …`);
		n8n = await startWithTemplates({
			engine: run.engine,
			activateVia: 'api',
			workflows,
			env: {
				...(naive ? { NODE_FUNCTION_ALLOW_BUILTIN: 'crypto' } : {}),
				// Profiling: e.g. INVSYNC_BENCH_N8N_NODE_OPTIONS='--cpu-prof --cpu-prof-dir=/tmp/prof'.
				...(process.env.INVSYNC_BENCH_N8N_NODE_OPTIONS
					? { NODE_OPTIONS: process.env.INVSYNC_BENCH_N8N_NODE_OPTIONS }
					: {}),
			},
			credentials: templateCredentials({
				redis: { host: TEST_REDIS.host, port: TEST_REDIS.port, keyPrefix: prefix },
				shopify: {
					shopDomain: shopify.baseUrl,
					accessToken: SHOPIFY_TOKEN,
					webhookSecret: shopifySecret,
				},
				woocommerce: {
					siteUrl: woo.baseUrl,
					consumerKey: CK,
					consumerSecret: CS,
					webhookSecret: wooSecret,
				},
			}),
			startTimeoutMs: 240_000,
		});
		const pid = n8n.n8n.pids().main;
		if (naive) {
			await subscribeShopify(
				shopify,
				SHOPIFY_TOKEN,
				'ORDERS_CREATE',
				`${n8n.n8n.baseUrl}/webhook/${NAIVE_PATHS.shopify}`,
			);
			await woo.createWebhook({
				topic: 'order.created',
				delivery_url: `${n8n.n8n.baseUrl}/webhook/${NAIVE_PATHS.woocommerce}`,
				secret: wooSecret,
			});
		} else {
			const setup = await runAndWait(n8n.n8n, TEMPLATE_WORKFLOW_IDS.firstSync, firstSync!.path);
			const o = outcome(setup);
			if (o.error) throw new Error(`[${run.subject}] first sync: ${o.error}`);
		}
		// The first sync's writes echo back as webhooks: let them settle before the sale.
		await shopify.webhooksIdle();
		await woo.flushDeliveries();
		await waitQuiet(redis, prefix, naive ? 2_000 : 60_000);
		const before = shopCounters(shopify, woo);
		const watch = new FlashWatch(catalogue, shopify, woo, run.buffer);
		const offMismatch = watch.mismatched();
		if (offMismatch.length)
			say(
				`[${run.subject}] before the sale ${offMismatch.length} SKUs differ, e.g. ${offMismatch.slice(0, 3).join('; ')}`,
			);
		say(
			`[${run.subject}] sale: ${plan.length} orders in ${size.seconds} s (load ${loadAvg().join(' ')})`,
		);
		const load0 = loadAvg();
		const t0 = performance.now();
		watch.start(t0);
		const sampler = setInterval(() => watch.sample(), 20);
		let next = 0;
		while (next < plan.length) {
			const now = performance.now() - t0;
			while (next < plan.length && plan[next].atMs <= now) watch.place(plan[next++]);
			if (next < plan.length) await sleep(Math.max(1, Math.min(20, plan[next].atMs - now)));
		}
		const saleEnd = performance.now();
		const load1 = loadAvg();
		// After the last order: until every place shows what it should, or the settle time has passed.
		const settleDeadline = saleEnd + size.settleSeconds * 1000;
		while (performance.now() < settleDeadline) {
			watch.sample();
			if (watch.unreflected === 0 && watch.mismatched().length === 0) break;
			await sleep(100);
		}
		clearInterval(sampler);
		watch.sample();
		const settledAfter = (performance.now() - saleEnd) / 1000;
		const rss = peakRssMb(pid);
		// Where the time goes on n8n's side: the processing runs (the Inventory Inbox Trigger's batches, or the
		// naive workflows' one run per delivery) and how long each took.
		const runs = await retrying(() => n8n!.n8n.executions({ includeData: false })).catch(() => []);
		const saleRuns = runs
			.filter(
				(e) => e.stoppedAt && Date.parse(e.startedAt) >= Date.now() - (performance.now() - t0),
			)
			.map((e) => Date.parse(String(e.stoppedAt)) - Date.parse(e.startedAt))
			.sort((a, b) => a - b);
		const runFigures = {
			count: saleRuns.length,
			p50_ms: Math.round(percentile(saleRuns, 50)),
			p99_ms: Math.round(percentile(saleRuns, 99)),
			busy_s: round(saleRuns.reduce((a, b) => a + b, 0) / 1000, 1),
		};
		const after = shopCounters(shopify, woo);
		const latency = watch.latencyFigures();
		const mismatched = watch.mismatched();
		const calls = after.shopifyCalls - before.shopifyCalls + (after.wooCalls - before.wooCalls);
		const throttledShopify = grownBy(after.throttledShopify, before.throttledShopify);
		const throttledWoo = grownBy(after.throttledWoo, before.throttledWoo);
		const total = (counts: Record<string, number>) =>
			Object.values(counts).reduce((a, b) => a + b, 0);
		const figures: FlashFigures = {
			latency_p50_ms: latency.p50,
			latency_p99_ms: latency.p99,
			api_calls_per_event: round(calls / Math.max(1, watch.accepted), 3),
			throttled_responses: after.throttled - before.throttled,
			oversold_units: watch.oversold(),
			overstated_unit_seconds: round(watch.overstatedUnitMs / 1000, 1),
			final_mismatched_skus: mismatched.length,
			receipt_timeouts: after.timeouts - before.timeouts,
			n8n_rss_mb_peak: rss,
			detail: {
				engine: run.engine,
				buffer_per_channel: run.buffer,
				sales_rate_reserve_seconds: run.reserveSeconds,
				catch_up:
					naive || size.catchUp === false
						? 'none'
						: `workflows/catch-up-poll.json, every ${size.catchUpSeconds === undefined ? 'minute (as shipped)' : `${size.catchUpSeconds} s`}`,
				receipt: naive
					? 'n8n Webhook node'
					: run.receipt === 'receiver'
						? 'Inventory Receiver'
						: 'Inventory Webhook Trigger (inbox)',
				subscriptions: `Shopify ${shopify.subscriptions.length} to ${[...new Set(shopify.subscriptions.map((x) => new URL(x.uri).port))].join(',')}, WooCommerce ${woo.webhooks.size}`,
				orders_accepted: watch.accepted,
				orders_refused_out_of_stock: watch.refused,
				skus_sold_out: watch.soldOut(),
				api_calls: calls,
				api_calls_shopify: after.shopifyCalls - before.shopifyCalls,
				api_calls_woocommerce: after.wooCalls - before.wooCalls,
				// throttled_responses split by channel and by the operation that was refused.
				throttled_shopify: total(throttledShopify),
				throttled_woocommerce: total(throttledWoo),
				throttled_shopify_by_operation: throttledShopify,
				throttled_woocommerce_by_path: throttledWoo,
				api_calls_shopify_by_operation: grownBy(after.callsShopify, before.callsShopify),
				api_calls_woocommerce_by_path: grownBy(after.callsWoo, before.callsWoo),
				webhooks_sent: after.webhooks - before.webhooks,
				webhooks_per_s_offered: round((after.webhooks - before.webhooks) / size.seconds, 1),
				n8n_runs_during_sale_and_settle: runFigures,
				orders_never_reflected: watch.unreflected,
				settled_after_s: round(settledAfter, 1),
				mismatched_examples: mismatched.slice(0, 3),
				oversold_examples: watch.oversoldExamples().slice(0, 5),
				oversell_checkouts: watch.oversells.slice(0, 10),
				load_average_before: load0,
				load_average_end_of_sale: load1,
			},
		};
		say(`[${run.subject}] ${JSON.stringify(figures)}`);
		return { figures, timeline: watch.timeline };
	} finally {
		await receiver?.close().catch(() => undefined);
		await n8n?.stop().catch(() => undefined);
		await shopify.stop().catch(() => undefined);
		await woo.stop().catch(() => undefined);
		await deleteByPrefix(redis, prefix).catch(() => undefined);
	}
}

/** Until the inbox is drained and nothing is dirty on either channel (or `timeoutMs`). */
async function waitQuiet(redis: Redis, prefix: string, timeoutMs: number): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	let quietSince = Date.now();
	while (Date.now() < deadline) {
		const dirty =
			(await redis.zcard(ledgerKeys.dirty(prefix, 'shopify'))) +
			(await redis.zcard(ledgerKeys.dirty(prefix, 'woocommerce')));
		if (dirty > 0) quietSince = Date.now();
		if (Date.now() - quietSince > 1500) return;
		await sleep(250);
	}
}

function parseArgs(argv: string[]): {
	size: FlashSize;
	only: Subject[];
	write: boolean;
	merge: boolean;
} {
	const num = (flag: string, fallback: number) => {
		const i = argv.indexOf(flag);
		if (i < 0) return fallback;
		const n = Number(argv[i + 1]);
		if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} must be a positive number`);
		return n;
	};
	const size: FlashSize = {
		orders: num('--orders', FULL.orders),
		seconds: num('--seconds', FULL.seconds),
		skus: num('--skus', FULL.skus),
		settleSeconds: num('--settle', FULL.settleSeconds),
		catchUp: !argv.includes('--no-catch-up'),
		reserveSeconds: argv.includes('--reserve')
			? Math.max(0, Number(argv[argv.indexOf('--reserve') + 1]) || 0)
			: FULL.reserveSeconds,
	};
	const i = argv.indexOf('--only');
	const only = i >= 0 ? (argv[i + 1].split(',') as Subject[]) : SUBJECTS;
	for (const s of only) if (!SUBJECTS.includes(s)) throw new Error(`unknown subject ${s}`);
	const full =
		size.orders === FULL.orders && size.seconds === FULL.seconds && size.skus === FULL.skus;
	return {
		size,
		only,
		write:
			(full && only.length === SUBJECTS.length) ||
			argv.includes('--write') ||
			argv.includes('--merge'),
		merge: argv.includes('--merge'),
	};
}

export async function runFlashSale(
	size: FlashSize,
	only: Subject[],
	say: (line: string) => void = (l) => console.log(l),
	writePlot = false,
	previous: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
	const plan = planOrders(size.orders, size.seconds, size.skus);
	const redis = new Redis({ host: TEST_REDIS.host, port: TEST_REDIS.port, lazyConnect: true });
	await redis.connect();
	// --merge: the subjects not run now keep the figures of the results file.
	const results: Partial<Record<Subject, FlashFigures>> = Object.fromEntries(
		SUBJECTS.filter((s) => previous[s] && !only.includes(s)).map((s) => [s, previous[s]]),
	);
	const timelines: Partial<Record<Subject, Array<[number, number]>>> = {};
	const failures: Partial<Record<Subject, string>> = {};
	try {
		for (const subject of only.filter((s) => s !== 'ours_nobuffer')) {
			const engine =
				subject === 'ours_n8n_vm' ? 'vm' : subject === 'ours_receiver' ? 'vm' : 'legacy';
			const r = await runSubject(
				{
					subject,
					engine,
					buffer: subject === 'naive' ? 0 : 2,
					reserveSeconds: subject === 'naive' ? 0 : (size.reserveSeconds ?? 2),
					receipt: subject === 'ours_receiver' ? 'receiver' : 'n8n',
				},
				size,
				plan,
				redis,
				say,
			).catch((error: unknown) => {
				// One subject failing (n8n did not start, a run failed) leaves the others' figures standing.
				say(`[${subject}] failed: ${String(error)}`);
				failures[subject] = String(error).slice(0, 500);
				return undefined;
			});
			if (!r) continue;
			results[subject] = r.figures;
			timelines[subject] = r.timeline;
		}
		if (only.includes('ours_nobuffer')) {
			// The best of the three by p99 latency (its receipt and engine), now without a buffer.
			const candidates = (['ours_receiver', 'ours_n8n_legacy', 'ours_n8n_vm'] as const).filter(
				(c) => results[c],
			);
			const best = candidates.sort(
				(a, b) => results[a]!.latency_p99_ms - results[b]!.latency_p99_ms,
			)[0];
			const run: Run = {
				subject: 'ours_nobuffer',
				engine: best === 'ours_n8n_legacy' ? 'legacy' : 'vm',
				buffer: 0,
				reserveSeconds: 0,
				receipt: best === undefined || best === 'ours_receiver' ? 'receiver' : 'n8n',
			};
			say(`[ours_nobuffer] as ${best ?? 'ours_receiver'}, buffer 0, no reserve`);
			const r = await runSubject(run, size, plan, redis, say).catch((error: unknown) => {
				say(`[ours_nobuffer] failed: ${String(error)}`);
				failures.ours_nobuffer = String(error).slice(0, 500);
				return undefined;
			});
			if (r) {
				results.ours_nobuffer = r.figures;
				timelines.ours_nobuffer = r.timeline;
			}
		}
	} finally {
		await redis.quit();
	}
	const ratioOf = (k: keyof FlashFigures) => {
		const a = results.naive?.[k];
		const b = results.ours_nobuffer?.[k];
		return typeof a === 'number' && typeof b === 'number' ? round(a / Math.max(b, 1e-9), 1) : null;
	};
	const body: Record<string, unknown> = {
		...results,
		...(Object.keys(failures).length ? { failures } : {}),
		ratio: {
			latency_p50_ms: ratioOf('latency_p50_ms'),
			latency_p99_ms: ratioOf('latency_p99_ms'),
			api_calls_per_event: ratioOf('api_calls_per_event'),
			overstated_unit_seconds: ratioOf('overstated_unit_seconds'),
		},
		settings: {
			orders: size.orders,
			sale_seconds: size.seconds,
			skus: size.skus,
			settle_seconds_max: size.settleSeconds,
			sales_rate_reserve_seconds: size.reserveSeconds ?? 2,
			shopify_bucket: { maximumAvailable: 1000, restoreRate: 100 },
			woocommerce_host_limit: {
				requests_per_second: WOO_HOST_LIMIT,
				answer: '429 with Retry-After: 1',
			},
			n8n: '2.41.1, one main process, SQLite, executions saved (n8n defaults), N8N_RUNNERS internal; N8N_EXPRESSION_ENGINE per subject (detail.engine); naive also NODE_FUNCTION_ALLOW_BUILTIN=crypto',
			receiver: 'Inventory Receiver in the benchmark process (defaults: 256 in flight)',
			simulators: 'in the benchmark process, loopback; state sampled every 20 ms',
			latency:
				'checkout accepted by a simulator → every place (Shopify 1001 and 1002, WooCommerce) shows at most what it should after that order; orders never reflected count with the time waited',
			api_calls_per_event:
				'Shopify GraphQL + WooCommerce REST requests during sale and settle ÷ orders accepted',
			receipt_timeouts:
				'Shopify deliveries unanswered or answered after 5 s + WooCommerce deliveries unanswered',
			overstated_unit_seconds:
				'Σ over places and SKUs of max(0, shown − physically there) × time (WooCommerce: warehouse + store)',
			load_note: 'machine shared with other work: see detail.load_average_* of each subject',
		},
	};
	if (writePlot && timelines.naive && (timelines.ours_nobuffer || timelines.ours_receiver)) {
		const file = path.join(__dirname, '..', 'docs', 'flashsale-latency.svg');
		mkdirSync(path.dirname(file), { recursive: true });
		writeFileSync(
			file,
			plotLatency([
				...(timelines.ours_receiver
					? [{ name: 'ours_receiver', points: timelines.ours_receiver }]
					: []),
				...(timelines.ours_nobuffer
					? [{ name: 'ours_nobuffer', points: timelines.ours_nobuffer }]
					: []),
				{ name: 'naive', points: timelines.naive },
			]),
		);
		body.plot = 'docs/flashsale-latency.svg';
	}
	return body;
}

/** The one-line-per-subject view `npm run bench` prints (and the ratio). */
export function summaryRows(body: Record<string, unknown>): Array<Record<string, unknown>> {
	const rows = SUBJECTS.filter((s) => body[s]).map((s): Record<string, unknown> => {
		const f = body[s] as FlashFigures;
		return {
			subject: s,
			p50_ms: f.latency_p50_ms,
			p99_ms: f.latency_p99_ms,
			calls_per_event: f.api_calls_per_event,
			throttled: f.throttled_responses,
			oversold: f.oversold_units,
			overstated_unit_s: f.overstated_unit_seconds,
			mismatched: f.final_mismatched_skus,
			receipt_timeouts: f.receipt_timeouts,
			rss_mb: f.n8n_rss_mb_peak,
		};
	});
	if (body.ratio && Object.values(body.ratio as object).some((v) => v !== null))
		rows.push({ subject: 'ratio naive ÷ ours_nobuffer', ...(body.ratio as object) });
	return rows;
}

export async function main(argv: string[] = []): Promise<Record<string, unknown>> {
	const { size, only, write, merge } = parseArgs(argv);
	const file = path.join(__dirname, 'results', 'flashsale.json');
	const previous = merge ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
	const t0 = Date.now();
	const say = (l: string) =>
		console.log(`${String(Math.round((Date.now() - t0) / 1000)).padStart(4)} s ${l}`);
	const body = await runFlashSale(size, only, say, write, previous);
	console.table(summaryRows(body));
	console.log(`ratio (naive ÷ ours_nobuffer): ${JSON.stringify(body.ratio)}`);
	if (write) console.log(`written to ${writeResults('flashsale', body)}`);
	else console.log('(not the full run: nothing written; --write to write anyway)');
	return body;
}
