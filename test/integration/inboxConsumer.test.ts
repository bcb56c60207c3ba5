import type Redis from 'ioredis';
import { readInboxHealth } from '../../nodes/InventoryInboxTrigger/health';
import { closeAllRedis } from '../../nodes/shared/redis';
import {
	fill,
	groupInfo,
	isReading,
	levelDelivery,
	makeConsumer,
	pendingCount,
	range,
	type TestConsumer,
} from './inboxHarness';
import { deleteByPrefix, sleep, testClient, uniquePrefix, waitFor } from '../support';

// The Inbox Trigger's consumer against the test Redis (test/support): batching, acknowledgement on success,
// pending on failure, parallel runs, clean close, a vanished group, manual peeks, health figures.
jest.setTimeout(60_000);

let admin: Redis;
let prefix: string;
const started: TestConsumer[] = [];

function consumer(options: Omit<Parameters<typeof makeConsumer>[0], 'prefix'>): TestConsumer {
	const c = makeConsumer({ prefix, ...options });
	started.push(c);
	return c;
}

beforeAll(() => {
	admin = testClient();
});
beforeEach(() => {
	prefix = uniquePrefix('consumer');
});
afterEach(async () => {
	await Promise.all(started.splice(0).map(async (c) => await c.consumer.close(0)));
	await deleteByPrefix(admin, prefix);
});
afterAll(async () => {
	await closeAllRedis();
	await admin.quit();
});

describe('batches', () => {
	it('1,200 waiting entries → runs of at most Batch size (500), every entry in a successful run, all acknowledged', async () => {
		const c = consumer({ settings: { batchSize: 500 } });
		await fill(admin, c.keys.stream, range(1, 1_200));
		c.consumer.start();
		await waitFor(
			() => c.processed().length,
			(n) => n >= 1_200,
			20_000,
			'all processed',
		);
		expect(c.runs.map((r) => r.items.length)).toEqual([500, 500, 200]);
		expect(c.processed().sort((a, b) => a - b)).toEqual(range(1, 1_200));
		await waitFor(
			() => pendingCount(admin, c.keys.stream, c.settings.group),
			(n) => n === 0,
			5_000,
			'pending 0',
		);
		expect((await groupInfo(admin, c.keys.stream, c.settings.group))?.lag).toBe(0);
	});

	it('entries trickling in are gathered for at most Max wait after the first one, then the run starts', async () => {
		const c = consumer({ settings: { batchSize: 500, maxWaitMs: 300 } });
		c.consumer.start();
		// The group exists and the loop blocks in its first XREADGROUP.
		await waitFor(
			() => isReading(admin, c.keys.stream, c.settings.group),
			(v) => v,
			5_000,
			'reading',
		);
		const sentAt = Date.now();
		for (const n of range(1, 10)) {
			await fill(admin, c.keys.stream, [n]);
			await sleep(20);
		}
		await waitFor(
			() => c.processed().length,
			(n) => n >= 10,
			10_000,
			'ten processed',
		);
		// One batch: the first entry waited for its neighbours, not for a full batch.
		expect(c.runs[0].items).toEqual(range(1, 10));
		expect(c.runs[0].startedAt - sentAt).toBeGreaterThanOrEqual(280);
		expect(c.runs[0].startedAt - sentAt).toBeLessThan(1_500);
	});

	it('a failed run leaves its entries pending (not acknowledged); a successful one acknowledges', async () => {
		let failing = true;
		const c = consumer({ settings: { reclaimAfterMs: 600_000 }, failAll: () => failing });
		await fill(admin, c.keys.stream, range(1, 8));
		c.consumer.start();
		await waitFor(
			() => c.runs.length,
			(n) => n >= 3,
			10_000,
			'the batch and its halves ran',
		);
		// The batch and its two halves failed: an outage, not a poison entry. Nothing acknowledged.
		expect(c.runs.map((r) => r.items.length)).toEqual([8, 4, 4]);
		expect(await pendingCount(admin, c.keys.stream, c.settings.group)).toBe(8);
		failing = false;
		await fill(admin, c.keys.stream, range(100, 3));
		await waitFor(
			() => c.processed(),
			(p) => p.length === 3,
			10_000,
			'new entries processed',
		);
		// The run's end is seen before its XACK returns: wait for the acknowledgement, not for a fixed time.
		await waitFor(
			() => c.consumer.snapshot().acknowledged,
			(n) => n >= 3,
			10_000,
			'the new entries acknowledged',
		);
		expect(await pendingCount(admin, c.keys.stream, c.settings.group)).toBe(8);
		expect(c.consumer.snapshot()).toMatchObject({ failedRuns: 3, acknowledged: 3 });
		// Nothing ran between the three failed runs and the new entries' run (which came after all of them).
		expect(c.runs.map((r) => r.items.length)).toEqual([8, 4, 4, 3]);
	});

	it('a malformed entry (an array topic header) beside valid ones: one run, the valid events on Events, it on Invalid, all acknowledged', async () => {
		const c = consumer({ settings: { maxWaitMs: 500 } });
		await fill(admin, c.keys.stream, [1]);
		const good = levelDelivery(3);
		await admin.xadd(
			c.keys.stream,
			'*',
			'platform',
			'shopify',
			'headers',
			JSON.stringify({ ...good.headers, 'x-shopify-topic': ['orders/create'] }),
			'body',
			good.rawBody,
			'receivedAt',
			good.receivedAt,
		);
		await fill(admin, c.keys.stream, [2]);
		c.consumer.start();
		await waitFor(
			() => c.consumer.snapshot().acknowledged,
			(n) => n >= 3,
			10_000,
			'all three acknowledged',
		);
		expect(c.runs).toEqual([expect.objectContaining({ items: [1, 2], invalid: 1, ok: true })]);
		expect(await pendingCount(admin, c.keys.stream, c.settings.group)).toBe(0);
		expect(await admin.exists(c.keys.dlq)).toBe(0);
		expect(c.logs.filter((l) => l.startsWith('error'))).toEqual([]);
	});

	it('Parallel batches bounds the runs in flight', async () => {
		const c = consumer({
			settings: { batchSize: 10, parallelBatches: 3, maxWaitMs: 0 },
			runMs: 150,
		});
		await fill(admin, c.keys.stream, range(1, 200));
		c.consumer.start();
		await waitFor(
			() => c.processed().length,
			(n) => n >= 200,
			20_000,
			'all processed',
		);
		expect(c.maxConcurrent()).toBe(3);
	});
});

describe('close and restarts', () => {
	it('close() returns at once while the loop blocks in XREADGROUP (its own connection), and can be called twice', async () => {
		const c = consumer({ settings: { blockMs: 10_000 } });
		c.consumer.start();
		await waitFor(
			() => isReading(admin, c.keys.stream, c.settings.group),
			(v) => v,
			5_000,
			'blocking in XREADGROUP',
		);
		const t0 = Date.now();
		await c.consumer.close();
		expect(Date.now() - t0).toBeLessThan(500);
		await c.consumer.close();
		// The package's shared client still works (only the blocking connection was closed).
		const shared = await c.shared();
		expect(shared.status).toBe('ready');
		await fill(shared, c.keys.stream, [1]);
		expect(await admin.xlen(c.keys.stream)).toBe(1);
	});

	it('a run still in flight at close keeps its entries pending for the next start; a new consumer reclaims them', async () => {
		const dying = consumer({ hang: true, consumerName: 'dying' });
		await fill(admin, dying.keys.stream, range(1, 5));
		dying.consumer.start();
		await waitFor(
			() => dying.consumer.snapshot().inFlightEntries,
			(n) => n === 5,
			5_000,
			'in flight',
		);
		await dying.consumer.close(50);
		expect(await pendingCount(admin, dying.keys.stream, dying.settings.group)).toBe(5);

		const next = consumer({ settings: { reclaimAfterMs: 500 } });
		next.consumer.start();
		await waitFor(
			() => next.processed().length,
			(n) => n >= 5,
			10_000,
			'reclaimed and processed',
		);
		expect(next.processed().sort((a, b) => a - b)).toEqual(range(1, 5));
		expect(next.consumer.snapshot().reclaimed).toBe(5);
		await waitFor(
			() => pendingCount(admin, next.keys.stream, next.settings.group),
			(n) => n === 0,
			5_000,
			'pending 0',
		);
	});

	it('a group deleted under a running consumer (Redis restarted empty) is created again and reading goes on', async () => {
		const c = consumer({});
		c.consumer.start();
		await fill(admin, c.keys.stream, [1]);
		await waitFor(
			() => c.processed().length,
			(n) => n === 1,
			5_000,
			'first',
		);
		await admin.del(c.keys.stream);
		// Redis ends the blocked XREADGROUP with NOGROUP; the consumer says so and creates the group again.
		await waitFor(
			() => c.logs.some((l) => /is missing; creating it again/.test(l)),
			(v) => v,
			5_000,
			'the missing group noticed',
		);
		await fill(admin, c.keys.stream, [2]);
		await waitFor(
			() => c.processed().length,
			(n) => n === 2,
			10_000,
			'after the group was recreated',
		);
		expect(
			c.logs.some((l) => /consumer group 'inbox-trigger' is missing; creating it again/.test(l)),
		).toBe(true);
	});
});

describe('manual mode and health', () => {
	it('peekBatch reads what the group has not read yet and changes nothing (no delivery, no acknowledgement)', async () => {
		const c = consumer({ settings: { batchSize: 50 } });
		await fill(admin, c.keys.stream, range(1, 70));
		const batch = await c.consumer.peekBatch();
		expect(batch.flatMap((p) => p.events.map((e) => Number(e.refs.inventoryItemId)))).toEqual(
			range(1, 50),
		);
		const g = await groupInfo(admin, c.keys.stream, c.settings.group);
		expect(g).toMatchObject({ pending: 0, 'last-delivered-id': '0-0', lag: 70 });
		// The active consumer still gets every entry.
		c.consumer.start();
		await waitFor(
			() => c.processed().length,
			(n) => n === 70,
			10_000,
			'all processed',
		);
	});

	it('health figures: backlog, pending, oldest pending age, dead-letter length', async () => {
		const c = consumer({ hang: true, settings: { batchSize: 5 } });
		await fill(admin, c.keys.stream, range(1, 12));
		await admin.xadd(c.keys.dlq, '*', 'kind', 'inbox', 'reason', 'test');
		const before = await readInboxHealth(admin, c.keys, c.settings.group);
		expect(before).toMatchObject({
			groupExists: false,
			streamLength: 12,
			undelivered: 12,
			pending: 0,
			deadLetterLength: 1,
		});
		c.consumer.start();
		await waitFor(
			() => c.consumer.snapshot().inFlightEntries,
			(n) => n === 10,
			5_000,
			'two runs in flight',
		);
		await sleep(50);
		const h = await c.consumer.health();
		expect(h).toMatchObject({
			groupExists: true,
			streamLength: 12,
			undelivered: 2,
			pending: 10,
			backlog: 12,
			deadLetterLength: 1,
			consumers: 1,
		});
		expect(h.oldestPendingAgeMs).toBeGreaterThanOrEqual(50);
		expect(h.consumer).toMatchObject({
			inFlightRuns: 2,
			inFlightEntries: 10,
			redisConnected: true,
		});
	});
});
