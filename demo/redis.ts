/**
 * The demo's Redis: the one named (`--redis <url>` or INVSYNC_REDIS_URL), else a private `redis-server` on a free
 * port of 127.0.0.1 without persistence, stopped with the demo. Neither possible: one clear sentence.
 */
import { execFile } from 'node:child_process';
import Redis from 'ioredis';
import { OwnRedis } from '../test/support/redisServer';

export class DemoSetupError extends Error {}

export interface DemoRedis {
	host: string;
	port: number;
	database: number;
	/** How the demo names it: "a private redis-server on 127.0.0.1:<port>" or the URL without its password. */
	described: string;
	/** Whether the demo started it (and deletes nothing in it but its own keys otherwise). */
	owned: boolean;
	password?: string;
	stop: () => Promise<void>;
}

const hasRedisServer = () =>
	new Promise<boolean>((resolve) =>
		execFile('redis-server', ['--version'], (err) => resolve(!err)),
	);

export async function demoRedis(url: string | undefined): Promise<DemoRedis> {
	if (url) {
		let parsed: URL;
		try {
			parsed = new URL(url);
		} catch {
			throw new DemoSetupError(`The Redis URL "${url}" is not a URL (redis://host:port/db).`);
		}
		const target: DemoRedis = {
			host: parsed.hostname || '127.0.0.1',
			port: Number(parsed.port || 6379),
			database: Number(parsed.pathname.replace('/', '') || 0),
			password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
			described: `${parsed.protocol}//${parsed.hostname}:${parsed.port || 6379}${parsed.pathname}`,
			owned: false,
			stop: async () => undefined,
		};
		const client = new Redis({
			host: target.host,
			port: target.port,
			db: target.database,
			password: target.password,
			lazyConnect: true,
			maxRetriesPerRequest: 0,
			connectTimeout: 3000,
		});
		let lastError: Error | undefined;
		client.on('error', (e: Error) => (lastError = e));
		try {
			await client.connect();
			await client.ping();
		} catch (e) {
			throw new DemoSetupError(
				`The Redis at ${target.described} does not answer (${(lastError ?? (e as Error)).message}).`,
			);
		} finally {
			client.disconnect();
		}
		return target;
	}
	if (!(await hasRedisServer()))
		throw new DemoSetupError(
			'The demo needs Redis: install redis-server (e.g. apt-get install redis-server, brew install redis) or name a running one with INVSYNC_REDIS_URL=redis://127.0.0.1:6379 or --redis <url>.',
		);
	const server = await OwnRedis.start();
	return {
		host: '127.0.0.1',
		port: server.port,
		database: 0,
		described: `a private redis-server on 127.0.0.1:${server.port}`,
		owned: true,
		stop: () => server.stop(),
	};
}
