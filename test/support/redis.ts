import { randomBytes } from 'node:crypto';
import Redis, { type RedisOptions } from 'ioredis';

/**
 * The Redis every integration and e2e test uses: `INVSYNC_TEST_REDIS` (a `redis://host:port` address). Given
 * by the developer, it is used as is; otherwise jest's globalSetup (test/support/globalSetup.js) starts a
 * private redis-server on a free port and sets it. Tests never fall back to 127.0.0.1:6379: a developer's own
 * Redis is never touched by default.
 */

export const TEST_REDIS_ENV = 'INVSYNC_TEST_REDIS';

export interface RedisAddress {
	readonly host: string;
	readonly port: number;
	/** `redis://host:port` */
	readonly url: string;
}

export function parseRedisAddress(text: string): RedisAddress {
	const url = new URL(text.includes('://') ? text : `redis://${text}`);
	if (url.protocol !== 'redis:')
		throw new Error(`${TEST_REDIS_ENV} must be a redis:// address (got '${text}')`);
	const host = url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
	const port = Number(url.port || 6379);
	return Object.freeze({ host, port, url: `redis://${url.hostname || host}:${port}` });
}

function fromEnvironment(): RedisAddress {
	const text = process.env[TEST_REDIS_ENV];
	if (!text) {
		throw new Error(
			`${TEST_REDIS_ENV} is not set: run the tests through jest (its globalSetup starts a private redis-server), ` +
				`or set ${TEST_REDIS_ENV}=redis://127.0.0.1:<port> to use a Redis of your own`,
		);
	}
	return parseRedisAddress(text);
}

/** The tests' Redis (host, port, url). */
export const TEST_REDIS: RedisAddress = fromEnvironment();

/** A client of the tests' own on the test Redis (errors surface through commands, not as unhandled events). */
export function testClient(options: RedisOptions = {}): Redis {
	const redis = new Redis({
		host: TEST_REDIS.host,
		port: TEST_REDIS.port,
		maxRetriesPerRequest: 1,
		...options,
	});
	redis.on('error', () => undefined);
	return redis;
}

/** A key prefix no other test (or earlier run) uses: `t-<name>-<8 hex>`. */
export function uniquePrefix(name: string): string {
	return `t-${name}-${randomBytes(4).toString('hex')}`;
}

/** Deletes every key under `<prefix>:` (SCAN, never FLUSHALL: other files share this Redis); how many. */
export async function deleteByPrefix(redis: Redis, prefix: string): Promise<number> {
	let cursor = '0';
	let deleted = 0;
	do {
		const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
		cursor = next;
		if (keys.length) deleted += await redis.unlink(...keys);
	} while (cursor !== '0');
	return deleted;
}
