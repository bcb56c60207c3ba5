import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Redis from 'ioredis';
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import { GuardCode } from '../nodes/InventoryGuard/codes';
import { guardKey } from '../nodes/shared/keys';
import { claimKeys } from '../nodes/InventoryGuard/redisGuard';
import { executeGuard, type GuardContext } from '../nodes/InventoryGuard/actions/router';
import { closeAllRedis, credentialFromData, getRedis } from '../nodes/shared/redis';
import { table, writeResults } from './_results';
import { TEST_REDIS } from '../test/support/redis';

/**
 * Inventory Guard benchmark (issue 4): `npm run bench -- guard [--seconds 5] [--threads 2] [--concurrency 16] [--keys 1000]`.
 *
 * 1. Throughput: claims/s of the node's execute() (the default key expression, fresh keys) at batch 1 and
 *    batch 100 against the local Redis. Load comes from `threads` worker threads, each like one n8n process:
 *    one shared client (the node's own), `concurrency` executions in flight. Bounded in time per phase.
 * 2. Round trips per execution: a fixed number of executions on one client, counted three ways: Redis's
 *    INFO commandstats (EVALSHA + EVAL calls; other users of this Redis can only add to it), MONITOR lines
 *    from our own connection (exact), and writes to the client's socket (one write = one round trip).
 * 3. Duplicates under the same concurrency: `threads × concurrency` contenders on as many connections each go
 *    through the same keys in their own order, once with a naive GET-then-SET dedupe and once with ours.
 */

// The tests' Redis (bench/run.js starts a private one unless INVSYNC_TEST_REDIS names one).
const { host: HOST, port: PORT } = TEST_REDIS;

function arg(args: string[], name: string, fallback: number): number {
	const i = args.indexOf(`--${name}`);
	return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback;
}

async function deleteByPrefix(redis: Redis, prefix: string): Promise<number> {
	let cursor = '0';
	let deleted = 0;
	do {
		const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 5000);
		cursor = next;
		if (keys.length) deleted += await redis.unlink(...keys);
	} while (cursor !== '0');
	return deleted;
}

interface PhaseResult {
	executions: number;
	items: number;
	fresh: number;
	duplicates: number;
	elapsedMs: number;
}

async function throughput(
	credential: ICredentialDataDecryptedObject,
	batch: number,
	threads: number,
	concurrency: number,
	durationMs: number,
): Promise<PhaseResult & { claimsPerS: number; executionsPerS: number }> {
	const tag = `b${batch}-${randomBytes(3).toString('hex')}`;
	const workers = Array.from(
		{ length: threads },
		(_, id) =>
			new Worker(
				`require('ts-node').register({ transpileOnly: true, project: ${JSON.stringify(join(__dirname, '..', 'tsconfig.json'))} });
				 require(${JSON.stringify(join(__dirname, '_guardWorker.ts'))});`,
				{ eval: true, workerData: { id, credential, batch, concurrency, durationMs, tag } },
			),
	);
	const done = workers.map(
		(worker) =>
			new Promise<PhaseResult>((resolve, reject) => {
				worker.on('message', (m: { ok?: boolean; result?: PhaseResult; error?: string }) => {
					if (m.ok === true) resolve(m.result!);
					else if (m.ok === false) reject(new Error(m.error));
				});
				worker.once('error', reject);
			}),
	);
	// Every thread connected and warm before the clock starts.
	await Promise.all(
		workers.map((w) => new Promise<void>((resolve) => w.once('message', () => resolve()))),
	);
	const startAt = Date.now() + 50;
	for (const w of workers) w.postMessage({ go: startAt });
	const results = await Promise.all(done);
	const sum = (f: (r: PhaseResult) => number) => results.reduce((n, r) => n + f(r), 0);
	const elapsedMs = Math.max(...results.map((r) => r.elapsedMs));
	const items = sum((r) => r.items);
	return {
		executions: sum((r) => r.executions),
		items,
		fresh: sum((r) => r.fresh),
		duplicates: sum((r) => r.duplicates),
		elapsedMs,
		claimsPerS: Math.round((items / elapsedMs) * 1000),
		executionsPerS: Math.round((sum((r) => r.executions) / elapsedMs) * 1000),
	};
}

function benchContext(credential: ICredentialDataDecryptedObject, ids: string[]): GuardContext {
	const items = ids.map((id) => ({ json: { id, version: 1 } }));
	return {
		getInputData: () => items,
		getNodeParameter: (name: string, index: number, fallback?: unknown) =>
			name === 'key'
				? `${items[index].json.id}@${items[index].json.version}`
				: (({ operation: 'deduplicate', claimTtl: 300, options: {} } as Record<string, unknown>)[
						name
					] ?? fallback),
		getCredentials: async () => credential,
		continueOnFail: () => false,
		getNode: () => ({
			id: 'b',
			name: 'Inventory Guard',
			type: 'CUSTOM.inventoryGuard',
			typeVersion: 1,
			position: [0, 0],
			parameters: {},
		}),
		getExecutionId: () => 'rtt',
		getInstanceId: () => 'bench',
	} as unknown as GuardContext;
}

async function commandstatsScripts(admin: Redis): Promise<number> {
	const info = await admin.info('commandstats');
	let calls = 0;
	for (const m of info.matchAll(/^cmdstat_(evalsha|eval):calls=(\d+)/gm)) calls += Number(m[2]);
	return calls;
}

/** Round trips per execution of the node, at a batch size, counted three ways. */
async function roundTrips(
	credential: ICredentialDataDecryptedObject,
	batch: number,
	executions: number,
) {
	const shared = await getRedis(credentialFromData(credential));
	await executeGuard(benchContext(credential, [`rtt-warm-${batch}`])); // first use of the script: EVAL
	const ours = String(await shared.client('INFO')).match(/\baddr=(\S+)/)?.[1];
	const admin = new Redis({ host: HOST, port: PORT });
	const monitor = await admin.duplicate().monitor();
	let monitored = 0;
	monitor.on('monitor', (_time: string, args: string[], source: string) => {
		if (source === ours && /^eval/i.test(args[0] ?? '')) monitored++;
	});
	const stream = (shared as unknown as { stream: { write: (...a: unknown[]) => boolean } }).stream;
	const write = stream.write;
	let writes = 0;
	stream.write = function (this: unknown, ...a: unknown[]) {
		writes++;
		return write.apply(this, a);
	};
	const before = await commandstatsScripts(admin);
	for (let e = 0; e < executions; e++) {
		const ids = Array.from({ length: batch }, (_, i) => `rtt-${batch}-${e}-${i}`);
		await executeGuard(benchContext(credential, ids));
	}
	stream.write = write;
	const after = await commandstatsScripts(admin);
	await new Promise((r) => setTimeout(r, 200)); // let MONITOR lines arrive
	monitor.disconnect();
	await admin.quit();
	return {
		batch,
		executions,
		socket_writes_per_execution: writes / executions,
		monitor_script_calls_per_execution: monitored / executions,
		commandstats_script_calls_per_execution: (after - before) / executions,
	};
}

/** `contenders` connections each go through `keys` keys in their own order; returns how many were let through. */
async function duplicates(
	method: 'naive' | 'ours',
	prefix: string,
	contenders: number,
	keys: number,
	connections: number,
) {
	const clients = await Promise.all(
		Array.from({ length: connections }, async () => {
			const r = new Redis({ host: HOST, port: PORT, maxRetriesPerRequest: 1 });
			await r.ping();
			return r;
		}),
	);
	const names = Array.from({ length: keys }, (_, i) => guardKey(prefix, `${method}-line-${i}@1`));
	let through = 0;
	const t0 = Date.now();
	await Promise.all(
		Array.from({ length: contenders }, async (_, c) => {
			const redis = clients[c % clients.length];
			const order = names.map((_, i) => i);
			for (let i = order.length - 1; i > 0; i--) {
				const j = Math.floor(Math.random() * (i + 1));
				[order[i], order[j]] = [order[j], order[i]];
			}
			for (const i of order) {
				if (method === 'naive') {
					// What a read-then-write dedupe does (n8n's Remove Duplicates across runs has the same shape).
					const seen = await redis.get(names[i]);
					if (seen === null) {
						await redis.set(names[i], '1', 'PX', 300_000);
						through++;
					}
				} else {
					const [reply] = await claimKeys(redis, [names[i]], 300_000, `bench/${c}`);
					if (reply.code === GuardCode.Ok) through++;
				}
			}
		}),
	);
	const elapsedMs = Date.now() - t0;
	await Promise.all(clients.map((r) => r.quit()));
	return { through, duplicates: through - keys, elapsedMs };
}

export async function main(args: string[] = []): Promise<void> {
	const seconds = arg(args, 'seconds', 5);
	const threads = arg(args, 'threads', 2);
	const concurrency = arg(args, 'concurrency', 16);
	const dupKeys = arg(args, 'keys', 1_000);
	const prefix = `bench-guard-${randomBytes(4).toString('hex')}`;
	const credential: ICredentialDataDecryptedObject = {
		host: HOST,
		port: PORT,
		database: 0,
		keyPrefix: prefix,
	};
	const admin = new Redis({ host: HOST, port: PORT });
	const loadBefore = loadavg()[0];
	const policy = ((await admin.config('GET', 'maxmemory-policy')) as string[])[1];
	console.log(
		`Inventory Guard benchmark: Redis ${HOST}:${PORT} (maxmemory-policy ${policy}), prefix ${prefix}`,
	);
	console.log(
		`  ${threads} threads × ${concurrency} executions in flight, ${seconds} s per throughput phase`,
	);

	try {
		const b1 = await throughput(credential, 1, threads, concurrency, seconds * 1000);
		await deleteByPrefix(admin, prefix);
		const b100 = await throughput(credential, 100, threads, concurrency, seconds * 1000);
		await deleteByPrefix(admin, prefix);
		table([
			{
				phase: 'claim, batch 1',
				claims_per_s: b1.claimsPerS,
				executions_per_s: b1.executionsPerS,
				items: b1.items,
				new: b1.fresh,
				duplicate: b1.duplicates,
			},
			{
				phase: 'claim, batch 100',
				claims_per_s: b100.claimsPerS,
				executions_per_s: b100.executionsPerS,
				items: b100.items,
				new: b100.fresh,
				duplicate: b100.duplicates,
			},
		]);

		const rtt = [await roundTrips(credential, 1, 200), await roundTrips(credential, 100, 200)];
		await closeAllRedis();
		table(rtt);

		const contenders = threads * concurrency;
		const naive = await duplicates('naive', prefix, contenders, dupKeys, threads);
		const ours = await duplicates('ours', prefix, contenders, dupKeys, threads);
		table([
			{
				method: 'naive GET then SET',
				contenders,
				keys: dupKeys,
				let_through: naive.through,
				duplicates: naive.duplicates,
				ms: naive.elapsedMs,
			},
			{
				method: 'Guard claim (Lua)',
				contenders,
				keys: dupKeys,
				let_through: ours.through,
				duplicates: ours.duplicates,
				ms: ours.elapsedMs,
			},
		]);

		const roundTripsPerExecution = Math.max(
			...rtt.map((r) => r.monitor_script_calls_per_execution),
			...rtt.map((r) => r.socket_writes_per_execution),
		);
		const file = writeResults('guard', {
			claims_per_s_batch1: b1.claimsPerS,
			claims_per_s_batch100: b100.claimsPerS,
			round_trips_per_execution: roundTripsPerExecution,
			duplicates_ours: ours.duplicates,
			duplicates_naive: naive.duplicates,
			executions_per_s_batch1: b1.executionsPerS,
			executions_per_s_batch100: b100.executionsPerS,
			round_trips_detail: rtt,
			duplicate_runs: { naive, ours },
			targets: { claims_per_s_batch100: 20_000, round_trips_per_execution: 1, duplicates_ours: 0 },
			settings: {
				redis: `${HOST}:${PORT}`,
				maxmemory_policy: policy,
				threads,
				concurrency_per_thread: concurrency,
				seconds_per_phase: seconds,
				duplicate_contenders: contenders,
				duplicate_connections: threads,
				duplicate_keys: dupKeys,
				path: "the node's execute() (fake n8n context, default key expression), shared client per thread",
				// These 2 cores are shared with other work (n8n e2e runs, other tests): say how busy they were.
				load_average_1m_before: Math.round(loadBefore * 100) / 100,
				load_average_1m_after: Math.round(loadavg()[0] * 100) / 100,
			},
		});
		console.log(`wrote ${file}`);
	} finally {
		await deleteByPrefix(admin, prefix);
		await closeAllRedis();
		await admin.quit();
	}
}
