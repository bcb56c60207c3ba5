import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { closeAllRedis } from '../../nodes/shared/redis';
import { fill, makeConsumer, range, type TestConsumer } from './inboxHarness';
import { OwnRedis, sleep, uniquePrefix, waitFor } from '../support';

// A Redis of the test's own, killed under a running consumer and started again — with AOF and fsync on every
// write, as the README asks of production: the loop keeps retrying and goes on where it was. (A Redis restarted
// empty, whose group is gone, is covered in inboxConsumer.test.ts.)
jest.setTimeout(90_000);

let server: OwnRedis;
const dir = mkdtempSync(join(tmpdir(), 'invsync-inbox-aof-'));
let admin: Redis;
let c: TestConsumer | undefined;

beforeAll(async () => {
	server = await OwnRedis.start({
		args: ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir],
	});
	admin = new Redis({
		host: '127.0.0.1',
		port: server.port,
		maxRetriesPerRequest: 1,
		retryStrategy: () => 100,
	});
	admin.on('error', () => undefined);
});
afterEach(async () => {
	await c?.consumer.close(0);
});
afterAll(async () => {
	await closeAllRedis();
	admin.disconnect();
	await server.stop();
	rmSync(dir, { recursive: true, force: true });
});

it('Redis killed and back: the consumer logs the outage once, retries with backoff, and processes new entries without a restart', async () => {
	c = makeConsumer({
		prefix: uniquePrefix('outage'),
		port: server.port,
		settings: { reclaimAfterMs: 1_000 },
	});
	c.consumer.start();
	await fill(admin, c.keys.stream, range(1, 10));
	await waitFor(
		() => c!.processed().length,
		(n) => n >= 10,
		10_000,
		'before the outage',
	);
	await waitFor(
		async () => Number(((await admin.xpending(c!.keys.stream, c!.settings.group)) as [number])[0]),
		(n) => n === 0,
		5_000,
		'acknowledged',
	);

	await server.kill();
	await waitFor(
		() => c!.consumer.snapshot().redisConnected,
		(v) => !v,
		5_000,
		'the outage noticed',
	);
	await sleep(1_000); // a second of retries (100 ms doubling): still one warning for the outage
	expect(c.consumer.snapshot().redisConnected).toBe(false);
	const warnings = c.logs.filter((l) => l.startsWith('warn') && /retrying with backoff/.test(l));
	expect(warnings).toHaveLength(1);
	expect(warnings[0]).toMatch(
		/Redis at 127\.0\.0\.1:\d+: (connection refused|not connected \(connection lost; reconnecting\))/,
	);

	await server.restart();
	await waitFor(
		async () => await admin.ping().catch(() => 'down'),
		(v) => v === 'PONG',
		10_000,
		'admin reconnected',
	);
	await fill(admin, c.keys.stream, range(100, 5));
	await waitFor(
		() => c!.processed().length,
		(n) => n >= 15,
		20_000,
		'after the outage',
	);
	expect(
		c
			.processed()
			.slice(10)
			.sort((a, b) => a - b),
	).toEqual(range(100, 5));
	expect(c.consumer.snapshot().redisConnected).toBe(true);
	expect(c.logs.some((l) => /Redis answers again/.test(l))).toBe(true);
});

it('a run in flight when Redis dies: its acknowledgement fails, its entries stay pending (Redis kept them) and are processed again', async () => {
	await waitFor(
		async () => await admin.ping().catch(() => 'down'),
		(v) => v === 'PONG',
		10_000,
		'Redis up',
	);
	c = makeConsumer({
		prefix: uniquePrefix('inflight'),
		port: server.port,
		settings: { reclaimAfterMs: 1_000 },
		runMs: 800,
	});
	await fill(admin, c.keys.stream, range(1, 3));
	c.consumer.start();
	await waitFor(
		() => c!.consumer.snapshot().inFlightEntries,
		(n) => n === 3,
		5_000,
		'in flight',
	);
	await server.kill();
	await waitFor(
		() => c!.logs.some((l) => /could not acknowledge 3 processed entries/.test(l)),
		(v) => v,
		15_000,
		'ack given up',
	);
	expect(c.runs.filter((r) => r.ok)).toHaveLength(1);
	await server.restart();
	await waitFor(
		() => c!.processed().length,
		(n) => n >= 6,
		20_000,
		'processed again after Redis came back',
	);
	expect(c.processed().sort((a, b) => a - b)).toEqual([1, 1, 2, 2, 3, 3]);
	await waitFor(
		async () => Number(((await admin.xpending(c!.keys.stream, c!.settings.group)) as [number])[0]),
		(n) => n === 0,
		10_000,
		'acknowledged',
	);
});
