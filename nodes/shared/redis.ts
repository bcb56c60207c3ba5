import { createHash } from 'node:crypto';
import Redis, { ReplyError, type RedisOptions } from 'ioredis';
import type {
	ICredentialDataDecryptedObject,
	ICredentialTestFunctions,
	ICredentialsDecrypted,
	INodeCredentialTestResult,
} from 'n8n-workflow';
import { validatePrefix } from './keys';

/**
 * One ioredis client per Inventory Redis credential per process, reused by every execution and every node
 * (never a connection per item or per run). Clients reconnect by themselves with backoff; a command issued
 * while Redis is away fails at once instead of waiting in a queue, so a webhook can answer 503 in time.
 */

export interface InventoryRedisCredential {
	host: string;
	port: number;
	database: number;
	user?: string;
	password?: string;
	tls?: boolean;
	tlsCa?: string;
	tlsSkipVerify?: boolean;
	keyPrefix?: string;
	sentinels?: string;
	sentinelName?: string;
	/** Replicas that must hold an inbox entry before the webhook is answered 200 (WAIT); 0: none. */
	replicasToWait?: number;
	/** WAIT's timeout, ms (kept under the command timeout). */
	replicaWaitTimeoutMs?: number;
}

export class RedisPolicyError extends Error {}

/** Commands that take longer than this fail: a stuck Redis must not hold a webhook past Shopify's 5 s. */
const COMMAND_TIMEOUT_MS = 2_000;
const CONNECT_TIMEOUT_MS = 3_000;

export function credentialFromData(
	data: ICredentialDataDecryptedObject | undefined,
): InventoryRedisCredential {
	const d = data ?? {};
	return {
		host: String(d.host ?? '127.0.0.1').trim() || '127.0.0.1',
		port: Number(d.port ?? 6379) || 6379,
		database: Number(d.database ?? 0) || 0,
		user: d.user ? String(d.user) : undefined,
		password: d.password ? String(d.password) : undefined,
		tls: d.tls === true,
		tlsCa: d.tlsCa ? String(d.tlsCa) : undefined,
		tlsSkipVerify: d.tlsSkipVerify === true,
		keyPrefix: d.keyPrefix ? String(d.keyPrefix) : undefined,
		sentinels: d.sentinels ? String(d.sentinels) : undefined,
		sentinelName: d.sentinelName ? String(d.sentinelName) : undefined,
		replicasToWait: Math.max(0, Math.floor(Number(d.replicasToWait ?? 0) || 0)),
		replicaWaitTimeoutMs: replicaWaitTimeout(d.replicaWaitTimeoutMs),
	};
}

/** WAIT's timeout: default 500 ms, between 10 ms and 1.5 s (a WAIT must end before the 2 s command timeout). */
function replicaWaitTimeout(value: unknown): number {
	const ms = Math.floor(Number(value ?? 500));
	if (!Number.isFinite(ms) || ms <= 0) return 500;
	return Math.min(Math.max(ms, 10), COMMAND_TIMEOUT_MS - 500);
}

/** What appendToInbox needs to wait for replicas, from the credential (undefined: no waiting). */
export function replicaWaitOf(
	cred: InventoryRedisCredential,
): { replicas: number; timeoutMs: number } | undefined {
	if (!cred.replicasToWait) return undefined;
	return { replicas: cred.replicasToWait, timeoutMs: cred.replicaWaitTimeoutMs ?? 500 };
}

/** Where we connect, for messages: host:port or the sentinel set. Never the user's password. */
export function describeTarget(cred: InventoryRedisCredential): string {
	if (cred.sentinels)
		return `Sentinel ${cred.sentinels} (master '${cred.sentinelName ?? 'mymaster'}')`;
	return `${cred.host}:${cred.port}`;
}

export function redisOptions(cred: InventoryRedisCredential): RedisOptions {
	const options: RedisOptions = {
		db: cred.database,
		username: cred.user || undefined,
		password: cred.password || undefined,
		lazyConnect: true,
		enableOfflineQueue: false,
		maxRetriesPerRequest: 1,
		connectTimeout: CONNECT_TIMEOUT_MS,
		commandTimeout: COMMAND_TIMEOUT_MS,
		connectionName: 'n8n-nodes-inventory-sync',
		// Reconnect for ever, 100 ms more each time up to 2 s: Redis coming back must need no n8n restart.
		retryStrategy: (times) => Math.min(times * 100, 2_000),
		tls: cred.tls
			? { ca: cred.tlsCa ? [cred.tlsCa] : undefined, rejectUnauthorized: !cred.tlsSkipVerify }
			: undefined,
	};
	if (cred.sentinels) {
		options.sentinels = cred.sentinels
			.split(',')
			.map((s) => s.trim())
			.filter(Boolean)
			.map((s) => {
				const [host, port] = s.split(':');
				return { host, port: Number(port || 26379) };
			});
		options.name = cred.sentinelName || 'mymaster';
	} else {
		options.host = cred.host;
		options.port = cred.port;
	}
	return options;
}

function fingerprint(cred: InventoryRedisCredential): string {
	// The password is part of the identity (a rotated password needs a new client) but only as a digest.
	return createHash('sha256')
		.update(JSON.stringify({ ...cred, keyPrefix: undefined }))
		.digest('hex');
}

const clients = new Map<string, Promise<Redis>>();

/**
 * What is wrong but does not stop us, per client, found when it connected: persistence off, a password Redis
 * does not ask for. n8n 2.41's credential modal shows only "Connection tested successfully" for a test that
 * passed (never its message), so these reach the user through the first run's log (logRedisWarningsOnce) and
 * the Ledger's Health.
 */
const setupWarnings = new WeakMap<Redis, string[]>();
const warned = new WeakSet<Redis>();

export const PERSISTENCE_OFF_WARNING =
	'persistence is off (no AOF, no RDB saves): a Redis restart loses the inbox and the ledger. Turn on appendonly yes.';

/** True when the credential has a password and this Redis has none to check it against (it ignores it). */
export async function passwordIgnored(
	redis: Redis,
	cred: InventoryRedisCredential,
): Promise<boolean> {
	if (!cred.password) return false;
	try {
		await (cred.user ? redis.auth(cred.user, cred.password) : redis.auth(cred.password));
		return false;
	} catch (error) {
		return /without any password configured|no password is set/i.test((error as Error).message);
	}
}

export function passwordIgnoredMessage(cred: InventoryRedisCredential): string {
	return `Redis at ${describeTarget(cred)} has no password, but this credential sends one: Redis ignores it, and anyone who can reach this Redis can read and change the inventory. If this is the Redis you meant, clear Password here or protect the server (requirepass or an ACL user); if not, check Host and Port.`;
}

async function findSetupWarnings(
	redis: Redis,
	cred: InventoryRedisCredential,
	persistence: boolean,
): Promise<string[]> {
	const warnings: string[] = [];
	if (!persistence) warnings.push(`Redis at ${describeTarget(cred)}: ${PERSISTENCE_OFF_WARNING}`);
	if (await passwordIgnored(redis, cred)) warnings.push(passwordIgnoredMessage(cred));
	return warnings;
}

/** Logs a client's setup warnings the first time a node uses it (once per client and process). */
export function logRedisWarningsOnce(
	logger: { warn(message: string): void } | undefined,
	redis: Redis,
): void {
	const warnings = setupWarnings.get(redis);
	if (!logger || !warnings?.length || warned.has(redis)) return;
	warned.add(redis);
	for (const warning of warnings) logger.warn(`Inventory Redis: ${warning}`);
}

/** Reads INFO and refuses an evicting policy: eviction would silently drop dedupe, inbox and ledger keys. */
export async function checkRedisPolicy(
	redis: Redis,
	target: string,
): Promise<{ persistence: boolean }> {
	const memory = await redis.info('memory');
	const policy = /maxmemory_policy:(\S+)/.exec(memory)?.[1];
	if (policy && policy !== 'noeviction') {
		throw new RedisPolicyError(
			`Redis at ${target} has maxmemory-policy '${policy}': it must be 'noeviction', or Redis may silently drop ` +
				`inventory keys under memory pressure. Set it with CONFIG SET maxmemory-policy noeviction (and in redis.conf).`,
		);
	}
	const persistence = await redis.info('persistence');
	const aof = /aof_enabled:1/.test(persistence);
	const rdb = /rdb_last_save_time/.test(persistence) && !/rdb_saves:0\b/.test(persistence);
	return { persistence: aof || rdb };
}

/**
 * What went wrong with Redis, once for every node (no message regexes elsewhere):
 * - `policy`: our maxmemory-policy check refused the server;
 * - `auth`, `permission`, `wrongType`, `noGroup`, `busyGroup`: the server's reply codes WRONGPASS/NOAUTH,
 *   NOPERM, WRONGTYPE, NOGROUP (the consumer group or its stream is gone), BUSYGROUP (the group exists);
 *   `noSuchKey`: a command that needs the key found none (XINFO on a missing stream);
 * - `refused`, `timeout`, `notFound` (host), `tls`, `disconnected` (connection lost, no offline queue),
 *   `retriesSpent` (a command cut by a lost connection after ioredis' retries): the connection;
 * - `reply`: any other server reply; `other`: anything else (ours, or an unknown connection error).
 */
export type RedisErrorKind =
	| 'policy'
	| 'auth'
	| 'permission'
	| 'wrongType'
	| 'noGroup'
	| 'busyGroup'
	| 'noSuchKey'
	| 'refused'
	| 'timeout'
	| 'notFound'
	| 'tls'
	| 'disconnected'
	| 'retriesSpent'
	| 'reply'
	| 'other';

export interface RedisErrorClass {
	readonly kind: RedisErrorKind;
	/**
	 * From Redis or the connection to it (a server reply, a lost or refused connection, retries spent, our policy
	 * check), so a message may name the server. False: ours.
	 */
	readonly fromRedis: boolean;
	/** A user must fix it (credential, ACL, policy, a key of another type); anything else is an outage to wait out. */
	readonly configuration: boolean;
	/** The error's own message. */
	readonly message: string;
}

/** Reply codes that say what they are, whatever the rest of the reply mentions (a key name, a command). */
const REPLY_CODES: ReadonlyArray<[RegExp, RedisErrorKind]> = [
	[/^(WRONGPASS|NOAUTH)\b/, 'auth'],
	[/^NOPERM\b/, 'permission'],
	[/^WRONGTYPE\b/, 'wrongType'],
	[/^NOGROUP\b/, 'noGroup'],
	[/^BUSYGROUP\b/, 'busyGroup'],
];

/** The rest, first match wins (connection errors come as node or ioredis messages, not reply codes). */
const MESSAGES: ReadonlyArray<[RegExp, RedisErrorKind]> = [
	[/WRONGPASS|invalid username-password|NOAUTH/i, 'auth'],
	[/ECONNREFUSED/, 'refused'],
	[/ETIMEDOUT|timed? ?out/i, 'timeout'],
	[/ENOTFOUND|EAI_AGAIN/, 'notFound'],
	[/certificate|SSL|TLS|self.signed/i, 'tls'],
	[/enableOfflineQueue|Stream isn't writeable|Connection is closed/i, 'disconnected'],
	[/max retries per request/i, 'retriesSpent'],
	[/NOPERM/, 'permission'],
	[/WRONGTYPE/, 'wrongType'],
	[/NOGROUP/, 'noGroup'],
	[/BUSYGROUP/, 'busyGroup'],
	[/no such key/i, 'noSuchKey'],
];

const CONNECTION_CODES =
	/^(ECONN|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ERR_TLS|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO)/;
const CONFIGURATION = /WRONGPASS|invalid username-password|NOAUTH|NOPERM|WRONGTYPE/i;

export function classifyRedisError(error: unknown): RedisErrorClass {
	const message = error instanceof Error ? error.message : String(error);
	if (error instanceof RedisPolicyError)
		return { kind: 'policy', fromRedis: true, configuration: true, message };
	const kind =
		REPLY_CODES.find(([shape]) => shape.test(message))?.[1] ??
		MESSAGES.find(([shape]) => shape.test(message))?.[1] ??
		(error instanceof ReplyError ? 'reply' : 'other');
	return {
		kind,
		fromRedis: isFromRedis(error, kind),
		configuration: CONFIGURATION.test(message),
		message,
	};
}

function isFromRedis(error: unknown, kind: RedisErrorKind): boolean {
	if (error instanceof ReplyError) return true;
	if (!(error instanceof Error)) return false;
	if (error.name === 'MaxRetriesPerRequestError') return true;
	const code = (error as NodeJS.ErrnoException).code;
	if (typeof code === 'string' && CONNECTION_CODES.test(code)) return true;
	return kind === 'disconnected' || kind === 'retriesSpent';
}

/**
 * True for an error that came from Redis or the connection to it (classifyRedisError's `fromRedis`) — so a
 * message may name the server. Anything else is ours.
 */
export function isRedisError(error: unknown): boolean {
	return classifyRedisError(error).fromRedis;
}

/** The last connection error each client reported (why it is reconnecting), for describeRedisError. */
const lastErrors = new WeakMap<Redis, Error>();

/**
 * Turns a connection or command error into a message that names the server and never a secret. Given the
 * client, a command refused while it reconnects also says why the connection was lost (e.g. refused).
 */
export function describeRedisError(
	error: unknown,
	cred: InventoryRedisCredential,
	redis?: Redis,
): string {
	if (error instanceof RedisPolicyError) return error.message;
	let what = classifyRedisError(error);
	const cause = redis && redis.status !== 'ready' ? lastErrors.get(redis) : undefined;
	if (cause && what.kind === 'disconnected') what = classifyRedisError(cause);
	const raw = what.message;
	let message = raw;
	if (what.kind === 'auth') message = 'authentication failed (wrong user or password)';
	else if (what.kind === 'refused') message = 'connection refused';
	else if (what.kind === 'timeout') message = 'timed out';
	else if (what.kind === 'notFound') message = 'host not found';
	else if (what.kind === 'tls') message = `TLS failed (${raw.split('\n')[0].slice(0, 120)})`;
	else if (what.kind === 'disconnected') message = 'not connected (connection lost; reconnecting)';
	else if (what.kind === 'permission')
		message = `permission denied for this ACL user (${raw.slice(0, 160)})`;
	for (const secret of [
		cred.password,
		cred.user && cred.password ? `${cred.user}:${cred.password}` : undefined,
	]) {
		if (secret) message = message.split(secret).join('***');
	}
	return `Redis at ${describeTarget(cred)}: ${message}`;
}

/**
 * A new client, connected and policy-checked (the shared one comes from getRedis). The Inventory Receiver
 * owns its client this way so that closing one receiver never closes another's. Rejects, with the client
 * closed, when it cannot connect.
 */
export async function openRedis(cred: InventoryRedisCredential): Promise<Redis> {
	const redis = new Redis(redisOptions(cred));
	// Errors surface through commands; without a listener ioredis would print each reconnect failure. The
	// last one is kept, so a command refused during an outage can say why (describeRedisError).
	redis.on('error', (error: Error) => lastErrors.set(redis, error));
	redis.on('ready', () => lastErrors.delete(redis));
	const ready = redis
		.connect()
		// connect() rejects with a bare "Connection is closed": report the socket's own error instead.
		.catch((error: unknown) => Promise.reject(lastErrors.get(redis) ?? error))
		.then(async () => await checkRedisPolicy(redis, describeTarget(cred)))
		.then(async ({ persistence }) => {
			setupWarnings.set(redis, await findSetupWarnings(redis, cred, persistence));
			return redis;
		});
	// A client that never became usable (refused, wrong password, evicting policy) is closed, not kept.
	ready.catch(() => redis.disconnect());
	return await ready;
}

/** The shared client for a credential; connects (and checks the policy) on first use. */
export async function getRedis(cred: InventoryRedisCredential): Promise<Redis> {
	const id = fingerprint(cred);
	let pending = clients.get(id);
	if (!pending) {
		pending = openRedis(cred);
		clients.set(id, pending);
		// A failed first connection is not cached: the next execution tries again.
		pending.catch(() => clients.delete(id));
	}
	return pending;
}

export function keyPrefixOf(cred: InventoryRedisCredential): string {
	return validatePrefix(cred.keyPrefix);
}

/** Closes every shared client (tests, process shutdown). */
export async function closeAllRedis(): Promise<void> {
	const all = [...clients.values()];
	clients.clear();
	await Promise.all(
		all.map((p) => p.then((r) => r.quit().catch(() => r.disconnect())).catch(() => undefined)),
	);
}

/** The credential's Test button: connect with a throwaway client, PING, check the policy, run a script. */
export async function testRedisCredential(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const cred = credentialFromData(credential.data);
	const redis = new Redis({ ...redisOptions(cred), retryStrategy: () => null });
	redis.on('error', (error: Error) => lastErrors.set(redis, error));
	try {
		keyPrefixOf(cred);
		await redis.connect();
		await redis.ping();
		const { persistence } = await checkRedisPolicy(redis, describeTarget(cred));
		// Our nodes run Lua scripts: an ACL user without EVAL must fail here, not in the first run.
		await redis.eval('return 1', 0);
		// A mismatch the user must resolve (the wrong server, or an open one): only an Error reaches the modal.
		if (await passwordIgnored(redis, cred))
			return { status: 'Error', message: passwordIgnoredMessage(cred) };
		return {
			status: 'OK',
			message: persistence
				? 'Connection successful'
				: 'Connection successful (warning: persistence is off — a Redis restart loses the inbox and ledger)',
		};
	} catch (error) {
		return { status: 'Error', message: describeRedisError(error, cred, redis) };
	} finally {
		redis.disconnect();
	}
}

/**
 * `methods.credentialTest` of every node that lists the Inventory Redis credential with
 * `testedBy: 'inventoryRedisApiTest'` (a Redis test needs a real client, so the credential cannot declare one).
 */
export const inventoryRedisCredentialTest = {
	async inventoryRedisApiTest(
		this: ICredentialTestFunctions,
		credential: ICredentialsDecrypted,
	): Promise<INodeCredentialTestResult> {
		return await testRedisCredential.call(this, credential);
	},
};
