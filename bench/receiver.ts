/**
 * `npm run bench -- receiver`: the Inventory Receiver against n8n's own receipt (issue 19), in one run, on the
 * same Redis, with the same load shape.
 *
 * - Load: signed Shopify webhooks, a realistic mix — 70 % `inventory_levels/update` (a real level body, ~0.2 KB)
 *   and 30 % orders (`orders/updated`, one line with every field Shopify sends, ~6.7 KB) — from a pool of 1,000
 *   requests signed beforehand (so the load generator's own cost is sending, not HMAC). The sizes measured are
 *   written to the JSON.
 * - Saturation: 64 concurrent keep-alive senders (test/e2e/harness.ts loadGenerator) for 10 s after a 2 s
 *   warm-up; 200s per second.
 * - Ack latency: a fixed rate of 1,000 requests/s for 10 s (harness fixedRate; latency from the scheduled send
 *   time, no coordinated omission) — offered only when the endpoint saturated above it; otherwise at half its
 *   saturation (the rate is named in the JSON).
 * - Subjects:
 *   1. the receiver, one process: the package's CLI (`node dist/receiver/cli.js receiver --config <file>`) as a
 *      child process of this one, so the load generator does not share its event loop;
 *   2. the receiver, two processes: two CLIs on two ports, the 64 senders split 32 + 32 (node 20, which runs the
 *      receiver here, has no SO_REUSEPORT in `server.listen`; a load balancer in front does the same split);
 *   3. the Webhook Trigger in inbox mode in a real n8n 2.41.1 (one main process, SQLite), under
 *      N8N_EXPRESSION_ENGINE=vm and =legacy. Its saturation is measured first and its fixed rate is half of it
 *      (a rate above saturation only measures a growing queue, ../shared/n8n-e2e.md "Throughput").
 * - RSS: the one-process receiver's peak resident set (VmHWM from /proc) after an overload phase of 512
 *   concurrent senders (twice its default bound of 256 in flight: the rest gets 503) for the same duration.
 *
 * No Inbox Trigger consumes the streams while receipt is measured; each phase's stream is deleted after it.
 * Flags: `--seconds N` (phase length, default 10; anything else than 10 prints the JSON and writes nothing unless
 * `--write`), `--skip-n8n` (receiver phases only; writes nothing).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Redis from 'ioredis';
import { computeSignature } from '../nodes/shared/signature';
import {
	REPO_ROOT,
	fixedRate,
	httpRequest,
	loadGenerator,
	startN8n,
	type N8nInstance,
	type RequestSpec,
} from '../test/e2e/harness';
import { shopifyInventoryLevel, shopifyOrder, toJson } from '../test/simulators/payloads';
import { freePort } from '../test/support/redisServer';
import { TEST_REDIS } from '../test/support/redis';
import { writeResults } from './_results';

const SECRET = 'bench-receiver-secret';
const SHOP = 'demo-shop.myshopify.com';
const CONCURRENCY = 64;
const OVERLOAD_CONCURRENCY = 512;
const TARGET_RATE = 1_000;
const POOL = 1_000;

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const sleep = async (ms: number) => await new Promise((r) => setTimeout(r, ms));
const loadAvg = () => os.loadavg().map((x) => round(x, 2));

interface Args {
	seconds: number;
	write: boolean;
	skipN8n: boolean;
}

function parseArgs(argv: string[]): Args {
	const i = argv.indexOf('--seconds');
	const seconds = i >= 0 ? Number(argv[i + 1]) : 10;
	if (!Number.isFinite(seconds) || seconds <= 0)
		throw new Error('--seconds must be a positive number');
	const skipN8n = argv.includes('--skip-n8n');
	return { seconds, skipN8n, write: !skipN8n && (seconds === 10 || argv.includes('--write')) };
}

// ---- the load --------------------------------------------------------------------------------------------

interface Mix {
	requests: RequestSpec[];
	levelBytes: number;
	orderBytes: number;
	meanBytes: number;
}

/** 1,000 signed requests: 7 in 10 a level update, 3 in 10 an order (Shopify's headers, distinct event ids). */
function mix(): Mix {
	const requests: RequestSpec[] = [];
	let levelBytes = 0;
	let orderBytes = 0;
	let levels = 0;
	for (let i = 0; i < POOL; i++) {
		const isOrder = i % 10 >= 7;
		const body = isOrder
			? toJson(shopifyOrder({ lines: 1 }))
			: toJson(
					shopifyInventoryLevel({
						inventoryItemId: 40_000_000_000n + BigInt(i),
						locationId: 655441491,
						available: i % 50,
					}),
				);
		if (isOrder) orderBytes += body.length;
		else {
			levelBytes += body.length;
			levels++;
		}
		requests.push({
			body,
			headers: {
				'content-type': 'application/json',
				'x-shopify-topic': isOrder ? 'orders/updated' : 'inventory_levels/update',
				'x-shopify-hmac-sha256': computeSignature(Buffer.from(body), SECRET),
				'x-shopify-shop-domain': SHOP,
				'x-shopify-api-version': '2026-10',
				'x-shopify-webhook-id': `bench-webhook-${i}`,
				'x-shopify-event-id': `bench-${process.pid}-${i}`,
				'x-shopify-triggered-at': new Date().toISOString(),
			},
		});
	}
	return {
		requests,
		levelBytes: Math.round(levelBytes / levels),
		orderBytes: Math.round(orderBytes / (POOL - levels)),
		meanBytes: Math.round((levelBytes + orderBytes) / POOL),
	};
}

interface Saturation {
	per_s: number;
	statusCounts: Record<string, number>;
	p99: number;
}

async function saturate(
	urls: string[],
	requests: RequestSpec[],
	ms: number,
	concurrency = CONCURRENCY,
): Promise<Saturation> {
	// The senders split evenly over the URLs (one per receiver process), all at once.
	const share = Math.floor(concurrency / urls.length);
	const offset = Math.floor(requests.length / urls.length);
	const results = await Promise.all(
		urls.map(
			async (url, u) =>
				await loadGenerator({
					url,
					concurrency: share,
					durationMs: ms,
					makeRequest: (i) => requests[(i + u * offset) % requests.length],
				}),
		),
	);
	const statusCounts: Record<string, number> = {};
	let ok = 0;
	let p99 = 0;
	for (const r of results) {
		ok += (r.statusCounts['200'] ?? 0) / (r.durationMs / 1000);
		p99 = Math.max(p99, r.latencies.p99);
		for (const [k, v] of Object.entries(r.statusCounts))
			statusCounts[k] = (statusCounts[k] ?? 0) + v;
	}
	return { per_s: ok, statusCounts, p99 };
}

async function atRate(url: string, requests: RequestSpec[], rate: number, ms: number) {
	const r = await fixedRate({
		url,
		ratePerSec: rate,
		durationMs: ms,
		makeRequest: (i) => requests[i % requests.length],
	});
	return {
		rate,
		p50: round(r.latencies.p50, 2),
		p99: round(r.latencies.p99, 2),
		statusCounts: r.statusCounts,
		dropped: r.dropped,
	};
}

async function deleteByPrefix(redis: Redis, prefix: string): Promise<void> {
	let cursor = '0';
	do {
		const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
		cursor = next;
		if (keys.length) await redis.unlink(...keys);
	} while (cursor !== '0');
}

// ---- the receiver as a child process (the package's CLI) -------------------------------------------------

interface ReceiverProcess {
	url: string;
	child: ChildProcess;
	stop: () => Promise<void>;
	/** Peak resident set so far (VmHWM), MB. */
	peakRssMb: () => number;
}

const CLI = path.join(REPO_ROOT, 'dist', 'receiver', 'cli.js');

async function startReceiverProcess(prefix: string, dir: string): Promise<ReceiverProcess> {
	const port = await freePort();
	const config = path.join(dir, `receiver-${port}.json`);
	writeFileSync(
		config,
		JSON.stringify({
			listen: { host: '127.0.0.1', port },
			redis: { host: TEST_REDIS.host, port: TEST_REDIS.port, database: 0, keyPrefix: prefix },
			inboxStream: 'inbox',
			shops: [{ platform: 'shopify', shop: SHOP, path: '/shopify', secretEnv: 'BENCH_SECRET' }],
		}),
	);
	const log = path.join(dir, `receiver-${port}.log`);
	const child = spawn(process.execPath, [CLI, 'receiver', '--config', config], {
		env: { ...process.env, BENCH_SECRET: SECRET, NODE_ENV: 'production' },
		stdio: ['ignore', 'ignore', 'pipe'],
	});
	let stderr = '';
	child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	const url = `http://127.0.0.1:${port}`;
	const deadline = Date.now() + 20_000;
	for (;;) {
		if (child.exitCode !== null) throw new Error(`receiver exited (${child.exitCode}): ${stderr}`);
		const ok = await httpRequest('GET', `${url}/healthz`, undefined, {}, { timeoutMs: 1000 }).then(
			(r) => r.status === 200,
			() => false,
		);
		if (ok) break;
		if (Date.now() > deadline) {
			child.kill('SIGKILL');
			throw new Error(`receiver did not answer /healthz in 20 s: ${stderr}`);
		}
		await sleep(100);
	}
	void log;
	return {
		url,
		child,
		peakRssMb: () => {
			const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
			const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
			return round(kb / 1024, 1);
		},
		stop: async () => {
			if (child.exitCode === null) child.kill('SIGTERM');
			await Promise.race([exited, sleep(10_000)]);
			if (child.exitCode === null) child.kill('SIGKILL');
		},
	};
}

async function measureReceiver(load: Mix, ms: number, redis: Redis, dir: string) {
	const prefix = `benchrcv${process.pid}`;
	const one = await startReceiverProcess(prefix, dir);
	const url = `${one.url}/shopify`;
	try {
		await saturate([url], load.requests, 2_000);
		await deleteByPrefix(redis, prefix);
		const sat = await saturate([url], load.requests, ms);
		await deleteByPrefix(redis, prefix);
		console.log(`[receiver, 1 process] saturation ${round(sat.per_s)}/s`, sat.statusCounts);
		const rate = sat.per_s > TARGET_RATE ? TARGET_RATE : Math.max(1, Math.floor(sat.per_s / 2));
		const fixed = await atRate(url, load.requests, rate, ms);
		await deleteByPrefix(redis, prefix);
		console.log(`[receiver, 1 process] at ${rate}/s: p50 ${fixed.p50} ms, p99 ${fixed.p99} ms`);
		const rssBefore = one.peakRssMb();
		const overload = await saturate([url], load.requests, ms, OVERLOAD_CONCURRENCY);
		const rssPeak = one.peakRssMb();
		await deleteByPrefix(redis, prefix);
		console.log(
			`[receiver, 1 process] overload (${OVERLOAD_CONCURRENCY} senders): ${round(overload.per_s)}/s acknowledged, RSS peak ${rssBefore} → ${rssPeak} MB`,
			overload.statusCounts,
		);
		return { sat, fixed, overload, rssBefore, rssPeak };
	} finally {
		await one.stop();
		await deleteByPrefix(redis, prefix);
	}
}

async function measureReceiverTwo(load: Mix, ms: number, redis: Redis, dir: string) {
	const prefix = `benchrcv2${process.pid}`;
	const procs = await Promise.all([
		startReceiverProcess(prefix, dir),
		startReceiverProcess(prefix, dir),
	]);
	const urls = procs.map((p) => `${p.url}/shopify`);
	try {
		await saturate(urls, load.requests, 2_000);
		await deleteByPrefix(redis, prefix);
		const sat = await saturate(urls, load.requests, ms);
		console.log(`[receiver, 2 processes] saturation ${round(sat.per_s)}/s`, sat.statusCounts);
		return { sat };
	} finally {
		await Promise.all(procs.map((p) => p.stop()));
		await deleteByPrefix(redis, prefix);
	}
}

// ---- n8n's inbox mode ------------------------------------------------------------------------------------

async function measureN8n(engine: 'vm' | 'legacy', load: Mix, ms: number, redis: Redis) {
	const snapshot = mkdtempSync(path.join(REPO_ROOT, '.e2e-tmp-bench-receiver-'));
	cpSync(path.join(REPO_ROOT, 'dist'), path.join(snapshot, 'dist'), { recursive: true });
	const prefix = `benchrcvn8n${process.pid}${engine}`;
	let n8n: N8nInstance | undefined;
	try {
		n8n = await startN8n({
			engine,
			activateVia: 'api',
			extensions: [path.join(snapshot, 'dist')],
			credentials: [
				{
					id: 'benchShopify',
					name: 'benchShopify',
					type: 'shopifyInventoryApi',
					data: {
						shopDomain: SHOP,
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
			workflows: [
				{
					id: 'benchRcvInbox01',
					name: 'benchRcvInbox01',
					active: true,
					nodes: [
						{
							id: 'trigger',
							name: 'Inventory Webhook Trigger',
							type: 'CUSTOM.inventoryWebhookTrigger',
							typeVersion: 1,
							position: [0, 0],
							webhookId: 'bench-rcv-inbox',
							parameters: {
								platform: 'shopify',
								delivery: 'inbox',
								inboxStream: 'inbox',
								options: { manageSubscriptions: false },
							},
							credentials: {
								shopifyInventoryApi: { id: 'benchShopify', name: 'benchShopify' },
								inventoryRedisApi: { id: 'benchRedis', name: 'benchRedis' },
							},
						},
					],
					connections: {},
					settings: { executionOrder: 'v1' },
				},
			],
		});
		const url = n8n.webhookUrl('bench-rcv-inbox', 'webhook');
		await loadGenerator({
			url,
			concurrency: 8,
			durationMs: 2_000,
			makeRequest: (i) => load.requests[i % load.requests.length],
		});
		await deleteByPrefix(redis, prefix);
		const sat = await saturate([url], load.requests, ms);
		await deleteByPrefix(redis, prefix);
		console.log(`[n8n inbox, ${engine}] saturation ${round(sat.per_s)}/s`, sat.statusCounts);
		const rate = Math.max(1, Math.floor(sat.per_s / 2));
		const fixed = await atRate(url, load.requests, rate, ms);
		console.log(`[n8n inbox, ${engine}] at ${rate}/s: p50 ${fixed.p50} ms, p99 ${fixed.p99} ms`);
		return { sat, fixed };
	} finally {
		await n8n?.stop();
		await deleteByPrefix(redis, prefix).catch(() => undefined);
		rmSync(snapshot, { recursive: true, force: true });
	}
}

// ---- main ------------------------------------------------------------------------------------------------

export async function main(argv: string[] = []): Promise<void> {
	const args = parseArgs(argv);
	if (!existsSync(CLI))
		throw new Error(`${CLI} is missing: run \`npm run build\` before this benchmark`);
	const ms = args.seconds * 1000;
	const load = mix();
	const redis = new Redis({ host: TEST_REDIS.host, port: TEST_REDIS.port });
	const dir = mkdtempSync(path.join(os.tmpdir(), 'invsync-bench-receiver-'));
	const loads: Record<string, unknown> = { before: loadAvg() };
	try {
		const one = await measureReceiver(load, ms, redis, dir);
		loads.afterReceiver = loadAvg();
		const two = await measureReceiverTwo(load, ms, redis, dir);
		loads.afterReceiver2 = loadAvg();
		const vm = args.skipN8n ? undefined : await measureN8n('vm', load, ms, redis);
		loads.afterVm = loadAvg();
		const legacy = args.skipN8n ? undefined : await measureN8n('legacy', load, ms, redis);
		loads.afterLegacy = loadAvg();

		const figures: Record<string, unknown> = {
			receiver_per_s: round(one.sat.per_s),
			receiver_2proc_per_s: round(two.sat.per_s),
			n8n_inbox_vm_per_s: vm ? round(vm.sat.per_s) : null,
			n8n_inbox_legacy_per_s: legacy ? round(legacy.sat.per_s) : null,
			receiver_vs_legacy: legacy ? round(one.sat.per_s / legacy.sat.per_s, 1) : null,
			receiver_ack_p50_ms: one.fixed.p50,
			receiver_ack_p99_ms: one.fixed.p99,
			receiver_ack_rate_per_s: one.fixed.rate,
			rss_mb_peak: one.rssPeak,
			detail: {
				receiver: {
					saturation_status_counts: one.sat.statusCounts,
					saturation_p99_ms: round(one.sat.p99, 2),
					fixed_rate: one.fixed,
					overload: {
						senders: OVERLOAD_CONCURRENCY,
						acknowledged_per_s: round(one.overload.per_s),
						status_counts: one.overload.statusCounts,
						p99_ms: round(one.overload.p99, 2),
					},
					rss_mb_peak_before_overload: one.rssBefore,
				},
				receiver_2proc: { saturation_status_counts: two.sat.statusCounts },
				n8n_inbox_vm: vm && { saturation_status_counts: vm.sat.statusCounts, fixed_rate: vm.fixed },
				n8n_inbox_legacy: legacy && {
					saturation_status_counts: legacy.sat.statusCounts,
					fixed_rate: legacy.fixed,
				},
			},
			settings: {
				load: `${CONCURRENCY} concurrent keep-alive senders on loopback (test/e2e/harness.ts loadGenerator) for ${args.seconds} s per subject after a 2 s warm-up; requests cycle through ${POOL} signed in advance`,
				mix: `70 % Shopify inventory_levels/update (${load.levelBytes} B), 30 % Shopify orders/updated with one line (${load.orderBytes} B); mean ${load.meanBytes} B`,
				ack_latency: `fixed rate (harness fixedRate, latency from the scheduled send time) for ${args.seconds} s: ${TARGET_RATE}/s for the receiver when it saturates above that (else half its saturation); half the saturation for n8n`,
				receiver: `the package's CLI (node ${process.version} dist/receiver/cli.js receiver --config), a child process of the load generator; defaults of receiver/config.ts (maxInFlight 256, body limit 1 MiB)`,
				receiver_2proc:
					'two CLI processes on two ports, the senders split 32 + 32 (no SO_REUSEPORT in node 20 server.listen)',
				rss: `VmHWM of the one-process receiver after ${args.seconds} s of ${OVERLOAD_CONCURRENCY} concurrent senders (over its in-flight bound: 503 beyond it)`,
				n8n: 'n8n 2.41.1, one main process, regular mode, SQLite, default execution saving, Node 24; Inventory Webhook Trigger, Delivery: Queue to the Inbox, no Inbox Trigger consuming',
				engines: {
					vm: 'N8N_EXPRESSION_ENGINE=vm (default, isolated-vm)',
					legacy: 'N8N_EXPRESSION_ENGINE=legacy',
				},
				redis: `${TEST_REDIS.url}, no persistence (bench/run.js: a private redis-server unless INVSYNC_TEST_REDIS is set), the same for every subject; each phase's stream deleted after it`,
				load_average_1_5_15: loads,
			},
		};
		console.table([
			{
				subject: 'receiver, 1 process',
				'requests/s': figures.receiver_per_s,
				'ack p50 / p99 ms': `${one.fixed.p50} / ${one.fixed.p99} at ${one.fixed.rate}/s`,
				'RSS peak MB (overload)': one.rssPeak,
			},
			{ subject: 'receiver, 2 processes', 'requests/s': figures.receiver_2proc_per_s },
			...(vm
				? [
						{
							subject: 'n8n inbox, vm',
							'requests/s': figures.n8n_inbox_vm_per_s,
							'ack p50 / p99 ms': `${vm.fixed.p50} / ${vm.fixed.p99} at ${vm.fixed.rate}/s`,
						},
					]
				: []),
			...(legacy
				? [
						{
							subject: 'n8n inbox, legacy',
							'requests/s': figures.n8n_inbox_legacy_per_s,
							'ack p50 / p99 ms': `${legacy.fixed.p50} / ${legacy.fixed.p99} at ${legacy.fixed.rate}/s`,
						},
					]
				: []),
		]);
		console.log(`receiver ÷ n8n legacy: ${String(figures.receiver_vs_legacy)}`);
		if (args.write) console.log(`wrote ${writeResults('receiver', figures)}`);
		else console.log(JSON.stringify(figures, null, 2));
	} finally {
		redis.disconnect();
		rmSync(dir, { recursive: true, force: true });
	}
}
