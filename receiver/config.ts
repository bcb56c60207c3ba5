import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import { hostOf } from '../nodes/shared/events/common';
import { validatePrefix } from '../nodes/shared/keys';
import { credentialFromData, type InventoryRedisCredential } from '../nodes/shared/redis';

/**
 * The Inventory Receiver's configuration: one JSON file (or object), validated once at start. Every error
 * names the field (`shops[1].secretEnv`) and never a secret's value; secrets may come inline, from an
 * environment variable (`…Env`) or from a file (`…File`, e.g. a mounted Kubernetes/Docker secret).
 */

export type ReceiverPlatform = 'shopify' | 'woocommerce';

export interface ReceiverShop {
	readonly platform: ReceiverPlatform;
	/**
	 * The shop's host (my-shop.myshopify.com, shop.example.com): the `<shop>` of every event id from this path
	 * (the request's shop header decides nothing: nodes/shared/receipt.ts), logs and `--check`.
	 */
	readonly shop: string;
	/** The path deliveries are POSTed to, e.g. `/shopify/my-shop`. */
	readonly path: string;
	readonly secret: string;
	readonly previousSecret?: string;
	/** Where each secret came from ('config', 'env NAME', 'file PATH'), for `--check`; never the value. */
	readonly secretSource: string;
	readonly previousSecretSource?: string;
}

export interface ReceiverConfig {
	readonly listen: { readonly host: string; readonly port: number };
	readonly bodyLimitBytes: number;
	readonly maxInFlight: number;
	readonly headersTimeoutMs: number;
	readonly bodyTimeoutMs: number;
	/** The same shape the nodes get from the Inventory Redis credential (credentialFromData). */
	readonly redis: InventoryRedisCredential;
	/** Where the Redis password came from ('config', 'env NAME', 'file PATH'), or undefined: none. */
	readonly redisPasswordSource?: string;
	readonly inboxStream: string;
	readonly shops: readonly ReceiverShop[];
}

export class ReceiverConfigError extends Error {}

export const DEFAULTS = Object.freeze({
	host: '127.0.0.1',
	bodyLimitBytes: 1024 * 1024,
	maxInFlight: 256,
	/** Shopify's own budget for a whole delivery is 5 s. */
	headersTimeoutMs: 5_000,
	bodyTimeoutMs: 5_000,
	inboxStream: 'inbox',
});

/** Paths the receiver answers itself. */
export const RESERVED_PATHS = Object.freeze(['/healthz', '/metrics']);

const TOP_FIELDS = [
	'listen',
	'bodyLimitBytes',
	'maxInFlight',
	'headersTimeoutMs',
	'bodyTimeoutMs',
	'redis',
	'inboxStream',
	'shops',
];
const REDIS_FIELDS = [
	'host',
	'port',
	'database',
	'user',
	'password',
	'passwordEnv',
	'passwordFile',
	'tls',
	'caFile',
	'tlsCa',
	'allowUnauthorized',
	'tlsSkipVerify',
	'keyPrefix',
	'sentinels',
	'sentinelName',
	'replicasToWait',
	'replicaWaitTimeoutMs',
];
const SHOP_FIELDS = [
	'platform',
	'shop',
	'path',
	'secret',
	'secretEnv',
	'secretFile',
	'previousSecret',
	'previousSecretEnv',
	'previousSecretFile',
];

type Json = Record<string, unknown>;

function fail(field: string, message: string): never {
	throw new ReceiverConfigError(`${field}: ${message}`);
}

function isObject(value: unknown): value is Json {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function onlyKnown(object: Json, known: string[], where: string): void {
	for (const name of Object.keys(object)) {
		if (!known.includes(name)) {
			fail(where ? `${where}.${name}` : name, `unknown field (known: ${known.join(', ')})`);
		}
	}
}

function integer(
	value: unknown,
	field: string,
	fallback: number | undefined,
	min: number,
	max: number,
): number {
	if (value === undefined) {
		if (fallback === undefined) fail(field, 'is required');
		return fallback;
	}
	if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
		fail(field, `must be an integer from ${min} to ${max}`);
	}
	return value;
}

function text(value: unknown, field: string): string | undefined {
	if (value === undefined || value === null) return undefined;
	if (typeof value !== 'string') fail(field, 'must be a string');
	return value;
}

function bool(value: unknown, field: string): boolean {
	if (value === undefined) return false;
	if (typeof value !== 'boolean') fail(field, 'must be true or false');
	return value;
}

/** A file's text, relative to the config file's folder; the error names the field and the file, not its text. */
function readText(file: string, field: string, baseDir: string): string {
	const full = path.resolve(baseDir, file);
	try {
		return readFileSync(full, 'utf8');
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
		fail(field, `cannot read file ${full} (${code})`);
	}
}

/**
 * One secret from `<name>`, `<name>Env` or `<name>File` (at most one of them). A file's trailing newline is
 * not part of the secret (`echo secret > file` writes one). Returns undefined when none is given.
 */
function secretFrom(
	object: Json,
	name: string,
	where: string,
	env: NodeJS.ProcessEnv,
	baseDir: string,
): { value: string; source: string } | undefined {
	const given = [name, `${name}Env`, `${name}File`].filter((n) => object[n] !== undefined);
	if (given.length > 1) {
		fail(
			`${where}.${given[1]}`,
			`give only one of ${given.map((n) => `${where}.${n}`).join(', ')}`,
		);
	}
	if (given.length === 0) return undefined;
	const field = `${where}.${given[0]}`;
	const raw = text(object[given[0]], field) ?? '';
	let value: string;
	let source: string;
	if (given[0] === name) {
		value = raw;
		source = 'config';
	} else if (given[0] === `${name}Env`) {
		if (!raw) fail(field, 'must name an environment variable');
		const fromEnv = env[raw];
		if (fromEnv === undefined || fromEnv === '') {
			fail(field, `environment variable ${raw} is not set or empty`);
		}
		value = fromEnv;
		source = `env ${raw}`;
	} else {
		value = readText(raw, field, baseDir).replace(/\r?\n$/, '');
		source = `file ${path.resolve(baseDir, raw)}`;
	}
	if (!value) fail(field, 'is empty');
	return { value, source };
}

function loadRedis(
	value: unknown,
	env: NodeJS.ProcessEnv,
	baseDir: string,
): { redis: InventoryRedisCredential; passwordSource?: string } {
	if (value === undefined) value = {};
	if (!isObject(value)) fail('redis', 'must be an object');
	onlyKnown(value, REDIS_FIELDS, 'redis');
	const password = secretFrom(value, 'password', 'redis', env, baseDir);
	if (value.caFile !== undefined && value.tlsCa !== undefined) {
		fail('redis.caFile', 'give only one of redis.caFile, redis.tlsCa');
	}
	const caFile = text(value.caFile, 'redis.caFile');
	const tlsCa = caFile
		? readText(caFile, 'redis.caFile', baseDir)
		: text(value.tlsCa, 'redis.tlsCa');
	let sentinels = value.sentinels;
	if (Array.isArray(sentinels)) {
		sentinels.forEach((s, i) => text(s, `redis.sentinels[${i}]`));
		sentinels = sentinels.join(',');
	}
	const host = text(value.host, 'redis.host');
	if (host !== undefined && !host.trim()) fail('redis.host', 'is empty');
	const data = {
		host,
		port: integer(value.port, 'redis.port', 6379, 1, 65535),
		database: integer(value.database, 'redis.database', 0, 0, 100_000),
		user: text(value.user, 'redis.user'),
		password: password?.value,
		tls: bool(value.tls, 'redis.tls'),
		tlsCa,
		tlsSkipVerify:
			bool(value.allowUnauthorized, 'redis.allowUnauthorized') ||
			bool(value.tlsSkipVerify, 'redis.tlsSkipVerify'),
		keyPrefix: text(value.keyPrefix, 'redis.keyPrefix'),
		sentinels: text(sentinels, 'redis.sentinels'),
		sentinelName: text(value.sentinelName, 'redis.sentinelName'),
		replicasToWait: integer(value.replicasToWait, 'redis.replicasToWait', 0, 0, 100),
		replicaWaitTimeoutMs: integer(
			value.replicaWaitTimeoutMs,
			'redis.replicaWaitTimeoutMs',
			500,
			10,
			1500,
		),
	};
	const redis = credentialFromData(
		Object.fromEntries(
			Object.entries(data).filter(([, v]) => v !== undefined),
		) as ICredentialDataDecryptedObject,
	);
	try {
		validatePrefix(redis.keyPrefix);
	} catch (error) {
		fail('redis.keyPrefix', (error as Error).message);
	}
	return { redis, passwordSource: password?.source };
}

function loadShop(
	value: unknown,
	index: number,
	env: NodeJS.ProcessEnv,
	baseDir: string,
): ReceiverShop {
	const where = `shops[${index}]`;
	if (!isObject(value)) fail(where, 'must be an object');
	onlyKnown(value, SHOP_FIELDS, where);
	const platform = value.platform;
	if (platform !== 'shopify' && platform !== 'woocommerce') {
		fail(`${where}.platform`, "must be 'shopify' or 'woocommerce'");
	}
	const shopText = text(value.shop, `${where}.shop`);
	const shop = shopText ? hostOf(shopText) : null;
	if (!shop) fail(`${where}.shop`, "must be the shop's host, e.g. my-shop.myshopify.com");
	const route = text(value.path, `${where}.path`);
	if (!route) fail(`${where}.path`, "is required, e.g. '/shopify/my-shop'");
	if (!/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/.test(route) || route.length > 200) {
		fail(`${where}.path`, "must start with '/' and hold only URL path characters (no query)");
	}
	if (RESERVED_PATHS.includes(route)) {
		fail(`${where}.path`, `${route} is the receiver's own (${RESERVED_PATHS.join(', ')})`);
	}
	const secret = secretFrom(value, 'secret', where, env, baseDir);
	if (!secret) fail(`${where}.secret`, 'is required (or secretEnv, or secretFile)');
	const previous = secretFrom(value, 'previousSecret', where, env, baseDir);
	return {
		platform,
		shop,
		path: route,
		secret: secret.value,
		secretSource: secret.source,
		...(previous ? { previousSecret: previous.value, previousSecretSource: previous.source } : {}),
	};
}

/**
 * Reads and validates the configuration: a JSON file's path, or the object itself (relative `…File` paths
 * are then taken from the working directory). Throws ReceiverConfigError naming the field.
 */
export function loadConfig(
	source: string | object,
	env: NodeJS.ProcessEnv = process.env,
): ReceiverConfig {
	let raw: unknown = source;
	let baseDir = process.cwd();
	if (typeof source === 'string') {
		baseDir = path.dirname(path.resolve(source));
		let content: string;
		try {
			content = readFileSync(source, 'utf8');
		} catch (error) {
			const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
			throw new ReceiverConfigError(`cannot read the config file ${source} (${code})`);
		}
		try {
			raw = JSON.parse(content);
		} catch {
			// The parser's message quotes a few characters around the error, which may be a secret: not shown.
			throw new ReceiverConfigError(`the config file ${source} is not valid JSON`);
		}
	}
	if (!isObject(raw)) throw new ReceiverConfigError('the configuration must be a JSON object');
	onlyKnown(raw, TOP_FIELDS, '');

	const listen = raw.listen;
	if (!isObject(listen)) fail('listen', 'is required: { "host": "127.0.0.1", "port": 8080 }');
	onlyKnown(listen, ['host', 'port'], 'listen');
	const host = text(listen.host, 'listen.host') ?? DEFAULTS.host;
	if (!host.trim()) fail('listen.host', 'is empty');
	const port = integer(listen.port, 'listen.port', undefined, 0, 65535);

	const { redis, passwordSource } = loadRedis(raw.redis, env, baseDir);
	const inboxStream = text(raw.inboxStream, 'inboxStream') ?? DEFAULTS.inboxStream;
	if (!inboxStream.trim()) fail('inboxStream', 'is empty');

	if (!Array.isArray(raw.shops) || raw.shops.length === 0) {
		fail('shops', 'must be a non-empty list of { platform, shop, path, secret }');
	}
	const shops = raw.shops.map((s, i) => loadShop(s, i, env, baseDir));
	const seen = new Map<string, number>();
	shops.forEach((s, i) => {
		const first = seen.get(s.path);
		if (first !== undefined) fail(`shops[${i}].path`, `${s.path} is also shops[${first}].path`);
		seen.set(s.path, i);
	});

	return Object.freeze({
		listen: Object.freeze({ host, port }),
		bodyLimitBytes: integer(
			raw.bodyLimitBytes,
			'bodyLimitBytes',
			DEFAULTS.bodyLimitBytes,
			1,
			2 ** 30,
		),
		maxInFlight: integer(raw.maxInFlight, 'maxInFlight', DEFAULTS.maxInFlight, 1, 1_000_000),
		headersTimeoutMs: integer(
			raw.headersTimeoutMs,
			'headersTimeoutMs',
			DEFAULTS.headersTimeoutMs,
			100,
			600_000,
		),
		bodyTimeoutMs: integer(
			raw.bodyTimeoutMs,
			'bodyTimeoutMs',
			DEFAULTS.bodyTimeoutMs,
			100,
			600_000,
		),
		redis: Object.freeze(redis),
		...(passwordSource ? { redisPasswordSource: passwordSource } : {}),
		inboxStream,
		shops: Object.freeze(shops.map((s) => Object.freeze(s))),
	});
}

/** What the configuration says, for `--check` and the start log line: never a secret. */
export function describeConfig(config: ReceiverConfig): Record<string, unknown> {
	const r = config.redis;
	return {
		listen: `${config.listen.host}:${config.listen.port}`,
		bodyLimitBytes: config.bodyLimitBytes,
		maxInFlight: config.maxInFlight,
		headersTimeoutMs: config.headersTimeoutMs,
		bodyTimeoutMs: config.bodyTimeoutMs,
		redis: {
			target: r.sentinels
				? `sentinels ${r.sentinels} (${r.sentinelName ?? 'mymaster'})`
				: `${r.host}:${r.port}`,
			database: r.database,
			user: r.user ?? null,
			password: config.redisPasswordSource ?? 'none',
			tls: r.tls ? (r.tlsSkipVerify ? 'on, certificate NOT verified' : 'on') : 'off',
			keyPrefix: validatePrefix(r.keyPrefix),
		},
		inboxStream: config.inboxStream,
		shops: config.shops.map((s) => ({
			platform: s.platform,
			shop: s.shop,
			path: s.path,
			secret: s.secretSource,
			previousSecret: s.previousSecretSource ?? 'none',
		})),
	};
}
