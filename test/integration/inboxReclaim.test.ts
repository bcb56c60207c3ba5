import type Redis from 'ioredis';
import { closeAllRedis } from '../../nodes/shared/redis';
import {
	fill,
	isReading,
	makeConsumer,
	pendingCount,
	range,
	type TestConsumer,
} from './inboxHarness';
import { deleteByPrefix, sleep, testClient, uniquePrefix, waitFor } from '../support';

// Reclaim and dead letters against the test Redis: entries of failed runs come back after Reclaim after;
// a poison entry is isolated by halving, dead-lettered alone after Max deliveries, its neighbours processed.
jest.setTimeout(90_000);

let admin: Redis;
let prefix: string;
const started: TestConsumer[] = [];

function consumer(options: Omit<Parameters<typeof makeConsumer>[0], 'prefix'>): TestConsumer {
	const c = makeConsumer({ prefix, ...options });
	started.push(c);
	return c;
}

/** The dead-letter stream as records (field → text). */
async function deadLetters(redis: Redis, key: string): Promise<Array<Record<string, string>>> {
	const rows = await redis.xrange(key, '-', '+');
	return rows.map(([, fields]) => {
		const r: Record<string, string> = {};
		for (let i = 0; i + 1 < fields.length; i += 2) r[fields[i]] = fields[i + 1];
		return r;
	});
}

beforeAll(() => {
	admin = testClient();
});
beforeEach(() => {
	prefix = uniquePrefix('reclaim');
});
afterEach(async () => {
	await Promise.all(started.splice(0).map(async (c) => await c.consumer.close(0)));
	await deleteByPrefix(admin, prefix);
});
afterAll(async () => {
	await closeAllRedis();
	await admin.quit();
});

it('a run that fails is retried only after Reclaim after, with the delivery counted; then it succeeds and is acknowledged', async () => {
	let failUntil = Date.now() + 60_000;
	const c = consumer({ settings: { reclaimAfterMs: 800 }, failAll: () => Date.now() < failUntil });
	const ids = await fill(admin, c.keys.stream, range(1, 6));
	// The entries' idle time (what Reclaim after counts) starts when the consumer reads them, some time after
	// this: a bound from here holds however slowly the machine runs the failing runs.
	const beforeRead = Date.now();
	c.consumer.start();
	await waitFor(
		() => c.runs.length,
		(n) => n >= 3,
		5_000,
		'first delivery failed',
	);
	failUntil = 0;
	await waitFor(
		() => c.processed().length,
		(n) => n >= 6,
		10_000,
		'processed after reclaim',
	);
	const success = c.runs.find((r) => r.ok)!;
	// 10 ms for Redis's clock against ours (both this machine's, read at different moments).
	expect(success.startedAt - beforeRead).toBeGreaterThanOrEqual(800 - 10);
	expect(c.consumer.snapshot().reclaimed).toBe(6);
	await waitFor(
		() => pendingCount(admin, c.keys.stream, c.settings.group),
		(n) => n === 0,
		5_000,
		'acknowledged',
	);
	expect(ids).toHaveLength(6);
});

it('entries of a consumer that died mid-run are taken over by another one after Reclaim after, not before', async () => {
	const dead = consumer({ hang: true, consumerName: 'dead-process' });
	await fill(admin, dead.keys.stream, range(1, 20));
	// The entries' idle time starts when the dead consumer reads them, never before this moment: the
	// lower bound of the take-over (a moment after it, e.g. once the consumer closed, is no bound at all
	// on a loaded machine, where reading and closing may be far apart).
	const beforeRead = Date.now();
	dead.consumer.start();
	await waitFor(
		() => dead.consumer.snapshot().inFlightEntries,
		(n) => n === 20,
		5_000,
		'in flight',
	);
	await dead.consumer.close(0);

	const alive = consumer({ settings: { reclaimAfterMs: 1_500 } });
	alive.consumer.start();
	await waitFor(
		() => alive.processed().length,
		(n) => n >= 20,
		10_000,
		'taken over',
	);
	expect(alive.runs[0].startedAt - beforeRead).toBeGreaterThanOrEqual(1_490);
	const pel = (await admin.xpending(alive.keys.stream, alive.settings.group)) as [
		number,
		...unknown[],
	];
	expect(Number(pel[0])).toBe(0);
});

it('one poison entry among 40: halved until it stands alone, dead-lettered alone after Max deliveries; all 39 neighbours processed', async () => {
	const POISON = 23;
	const c = consumer({
		settings: { reclaimAfterMs: 300, maxDeliveries: 3, batchSize: 500 },
		poison: new Set([POISON]),
	});
	const ids = await fill(admin, c.keys.stream, range(1, 40));
	c.consumer.start();
	await waitFor(
		() => admin.xlen(c.keys.dlq),
		(n) => n >= 1,
		20_000,
		'dead letter',
	);
	// Nothing else may follow it: a valid marker entry after it runs, and then nothing but the marker has.
	const MARKER = 1_000;
	await fill(admin, c.keys.stream, [MARKER]);
	await waitFor(
		() => c.processed().includes(MARKER),
		(v) => v,
		10_000,
		'the marker processed',
	);
	expect(c.runs.filter((r) => r.items.includes(MARKER))).toEqual([
		expect.objectContaining({ items: [MARKER], ok: true }),
	]);

	const processed = c
		.processed()
		.filter((n) => n !== MARKER)
		.sort((a, b) => a - b);
	expect(processed).toEqual(range(1, 40).filter((n) => n !== POISON));
	const letters = await deadLetters(admin, c.keys.dlq);
	expect(letters).toHaveLength(1);
	const [letter] = letters;
	expect(letter).toMatchObject({
		kind: 'inbox',
		entryId: ids[POISON - 1],
		stream: c.keys.stream,
		group: 'inbox-trigger',
		deliveries: '4',
		platform: 'shopify',
	});
	expect(letter.reason).toMatch(
		/^no successful run after 3 deliveries; last error: poison in batch of 1$/,
	);
	expect(JSON.parse(letter.body)).toMatchObject({ inventory_item_id: POISON });
	expect(JSON.parse(letter.headers)['x-shopify-topic']).toBe('inventory_levels/update');
	expect(Date.parse(letter.receivedAt)).toBeGreaterThan(0);
	expect(await pendingCount(admin, c.keys.stream, c.settings.group)).toBe(0);
	// Runs with the poison entry: every one failed, and the last three held it alone (one per delivery).
	const withPoison = c.runs.filter((r) => r.items.includes(POISON));
	expect(withPoison.every((r) => !r.ok)).toBe(true);
	expect(withPoison.slice(-3).map((r) => r.items)).toEqual([[POISON], [POISON], [POISON]]);
	expect(c.consumer.snapshot().deadLettered).toBe(1);
});

it('two poison entries in different halves: the batch waits one Reclaim after, then each is isolated and dead-lettered alone', async () => {
	const poison = new Set([5, 40]);
	const c = consumer({
		settings: { reclaimAfterMs: 300, maxDeliveries: 3, batchSize: 64 },
		poison,
	});
	await fill(admin, c.keys.stream, range(1, 64));
	c.consumer.start();
	await waitFor(
		() => admin.xlen(c.keys.dlq),
		(n) => n >= 2,
		20_000,
		'two dead letters',
	);
	const MARKER = 1_000;
	await fill(admin, c.keys.stream, [MARKER]);
	await waitFor(
		() => c.processed().includes(MARKER),
		(v) => v,
		10_000,
		'the marker processed',
	);
	expect(c.runs.filter((r) => r.items.includes(MARKER))).toEqual([
		expect.objectContaining({ items: [MARKER], ok: true }),
	]);
	expect(
		c
			.processed()
			.filter((n) => n !== MARKER)
			.sort((a, b) => a - b),
	).toEqual(range(1, 64).filter((n) => !poison.has(n)));
	const letters = await deadLetters(admin, c.keys.dlq);
	expect(
		letters.map((l) => JSON.parse(l.body).inventory_item_id).sort((a: number, b: number) => a - b),
	).toEqual([5, 40]);
	expect(await pendingCount(admin, c.keys.stream, c.settings.group)).toBe(0);
});

it('a run longer than Reclaim after is kept alive: no consumer takes its entries over while it runs', async () => {
	const a = consumer({ settings: { reclaimAfterMs: 300 }, runMs: 1_500, consumerName: 'a' });
	const b = consumer({ settings: { reclaimAfterMs: 300 }, runMs: 1_500, consumerName: 'b' });
	a.consumer.start();
	b.consumer.start();
	await waitFor(
		() => isReading(admin, a.keys.stream, a.settings.group, 2),
		(v) => v,
		5_000,
		'both reading',
	);
	await fill(admin, a.keys.stream, range(1, 5));
	await waitFor(
		() => a.processed().length + b.processed().length,
		(n) => n >= 5,
		10_000,
		'processed',
	);
	// A marker after them: once its run (as slow as theirs) has ended, a second run of theirs would have too.
	const MARKER = 1_000;
	await fill(admin, a.keys.stream, [MARKER]);
	await waitFor(
		() => [...a.processed(), ...b.processed()].includes(MARKER),
		(v) => v,
		10_000,
		'the marker processed',
	);
	expect(
		[...a.processed(), ...b.processed()].filter((n) => n !== MARKER).sort((x, y) => x - y),
	).toEqual(range(1, 5)); // once each
	expect(a.consumer.snapshot().reclaimed + b.consumer.snapshot().reclaimed).toBe(0);
	await waitFor(
		() => pendingCount(admin, a.keys.stream, a.settings.group),
		(n) => n === 0,
		5_000,
		'acknowledged',
	);
});

it('a run that never ends is given up after the run timeout: its entries are reclaimed; a late success still acknowledges', async () => {
	let slow = true;
	const c = consumer({ settings: { reclaimAfterMs: 300, runTimeoutMs: 600 } });
	// Wrap the test run: the first run takes 1.5 s (past the run timeout), later ones are quick.
	const original = (c.consumer as unknown as { options: { run: (i: unknown) => Promise<unknown> } })
		.options;
	const quickRun = original.run;
	original.run = async (items) => {
		if (slow) {
			slow = false;
			await sleep(1_500);
		}
		return await quickRun(items);
	};
	await fill(admin, c.keys.stream, range(1, 4));
	c.consumer.start();
	await waitFor(
		() => c.processed().length,
		(n) => n >= 8,
		10_000,
		'processed twice: the reclaimed copy and the late original',
	);
	expect(c.runs[0].startedAt).toBeLessThan(c.runs[1].startedAt);
	expect(c.consumer.snapshot()).toMatchObject({ abandonedRuns: 1, reclaimed: 4 });
	expect(c.logs.some((l) => /did not end within 600 ms/.test(l))).toBe(true);
	await waitFor(
		() => pendingCount(admin, c.keys.stream, c.settings.group),
		(n) => n === 0,
		5_000,
		'acknowledged',
	);
});

it('a run whose end never comes (n8n lost it) stops holding its slot after Reclaim after; its entries wait for the run timeout, then come back', async () => {
	let first = true;
	const c = consumer({
		settings: { reclaimAfterMs: 300, runTimeoutMs: 2_000, parallelBatches: 1 },
	});
	const original = (c.consumer as unknown as { options: { run: (i: unknown) => Promise<unknown> } })
		.options;
	const quickRun = original.run;
	original.run = async (items) => {
		if (first) {
			first = false;
			return await new Promise(() => undefined); // the donePromise that never settles
		}
		return await quickRun(items);
	};
	await fill(admin, c.keys.stream, range(1, 3));
	c.consumer.start();
	await waitFor(
		() => c.consumer.snapshot().runs,
		(n) => n >= 1,
		5_000,
		'the first run started',
	);
	await fill(admin, c.keys.stream, range(10, 3));
	// With one slot, the next batch could only start because the stuck run gave its slot up.
	await waitFor(
		() => c.processed(),
		(p) => p.length >= 3,
		5_000,
		'next batch processed',
	);
	expect(c.processed()).toEqual(range(10, 3));
	expect(c.consumer.snapshot().slowRuns).toBe(1);
	// Kept alive until the run timeout: not reclaimed before it.
	expect(c.consumer.snapshot().reclaimed).toBe(0);
	await waitFor(
		() => c.processed().length,
		(n) => n >= 6,
		10_000,
		'the stuck entries come back after the run timeout',
	);
	expect(
		c
			.processed()
			.slice(3)
			.sort((a, b) => a - b),
	).toEqual(range(1, 3));
	expect(c.consumer.snapshot()).toMatchObject({ abandonedRuns: 1, reclaimed: 3 });
	expect(
		c.runs.find((r) => r.items.includes(1))!.startedAt - c.runs[0].startedAt,
	).toBeGreaterThanOrEqual(1_500);
});
