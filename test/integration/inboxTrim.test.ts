import { join } from 'node:path';
import type Redis from 'ioredis';
import { loadScripts } from '../../nodes/shared/scripts';
import { closeAllRedis } from '../../nodes/shared/redis';
import '../../nodes/InventoryInboxTrigger/consumer'; // the script's command typing
import {
	fill,
	groupInfo,
	makeConsumer,
	pendingCount,
	range,
	type TestConsumer,
} from './inboxHarness';
import { deleteByPrefix, sleep, testClient, uniquePrefix, waitFor } from '../support';

// Trimming the inbox (trimAcknowledged-1.lua): only what every consumer group acknowledged goes, never an
// entry that is pending or not yet read by some group.
jest.setTimeout(60_000);

const LUA_DIR = join(__dirname, '../../nodes/InventoryInboxTrigger/lua');
let admin: Redis;
let prefix: string;
let stream: string;
const started: TestConsumer[] = [];

beforeAll(() => {
	admin = testClient();
});
beforeEach(() => {
	prefix = uniquePrefix('trim');
	stream = `${prefix}:inbox`;
});
afterEach(async () => {
	await Promise.all(started.splice(0).map(async (c) => await c.consumer.close(0)));
	await deleteByPrefix(admin, prefix);
});
afterAll(async () => {
	await closeAllRedis();
	await admin.quit();
});

const trim = async () => await loadScripts(admin, LUA_DIR, 'inbox').inboxTrimAcknowledged(stream);
const ids = async () => (await admin.xrange(stream, '-', '+')).map(([id]) => id);

async function readAndAck(group: string, count: number, ackFirst: number): Promise<string[]> {
	const reply = (await admin.xreadgroup(
		'GROUP',
		group,
		'c1',
		'COUNT',
		count,
		'STREAMS',
		stream,
		'>',
	)) as Array<[string, Array<[string, string[]]>]>;
	const got = reply[0][1].map(([id]) => id);
	if (ackFirst > 0) await admin.xack(stream, group, ...got.slice(0, ackFirst));
	return got;
}

describe('trimAcknowledged-1.lua', () => {
	it('a missing stream, or a stream without groups: nothing is trimmed', async () => {
		expect(await trim()).toBe(0);
		await fill(admin, stream, range(1, 5));
		expect(await trim()).toBe(0);
		expect(await ids()).toHaveLength(5);
	});

	it('keeps everything from the oldest entry some group still needs: pending, or after its last read', async () => {
		const all = await fill(admin, stream, range(1, 20));
		await admin.xgroup('CREATE', stream, 'a', '0');
		await admin.xgroup('CREATE', stream, 'b', '0');
		await readAndAck('a', 10, 5); // a: 1-5 acknowledged, 6-10 pending, 11-20 unread
		await readAndAck('b', 3, 3); // b: 1-3 acknowledged, 4-20 unread
		expect(await trim()).toBe(3);
		expect(await ids()).toEqual(all.slice(3));

		await readAndAck('b', 17, 17); // b: everything acknowledged
		expect(await trim()).toBe(2); // a's oldest pending (entry 6) is now the limit
		expect(await ids()).toEqual(all.slice(5));

		// A pending entry in the middle holds back everything after the acknowledged ones before it.
		await admin.xack(stream, 'a', all[5], all[6], all[8], all[9]);
		expect(await trim()).toBe(2);
		expect((await ids())[0]).toBe(all[7]);

		await admin.xack(stream, 'a', all[7]);
		await readAndAck('a', 10, 10);
		expect(await trim()).toBe(13);
		expect(await ids()).toEqual([]);
		// The groups still know where they were: new entries are read as before.
		await fill(admin, stream, [21]);
		expect(await readAndAck('a', 10, 0)).toHaveLength(1);
	});

	it('a group created at 0 that has read nothing keeps the whole stream', async () => {
		await fill(admin, stream, range(1, 5));
		await admin.xgroup('CREATE', stream, 'fast', '0');
		await admin.xgroup('CREATE', stream, 'idle', '0');
		await readAndAck('fast', 5, 5);
		expect(await trim()).toBe(0);
		expect(await ids()).toHaveLength(5);
	});
});

describe('the consumer trims as it acknowledges', () => {
	it('while entries arrive and some runs fail: no pending or unread entry is ever removed; acknowledged ones go', async () => {
		const poison = new Set([17, 133]);
		const c = makeConsumer({
			prefix,
			settings: { batchSize: 25, reclaimAfterMs: 600_000 },
			poison,
		});
		started.push(c);
		// A second group that has read nothing: nothing it needs may be trimmed while the consumer runs.
		await fill(admin, c.keys.stream, [0]);
		await admin.xgroup('CREATE', c.keys.stream, 'slow-reader', '0');
		c.consumer.start();
		const written: string[] = [];
		for (let round = 0; round < 10; round++) {
			written.push(...(await fill(admin, c.keys.stream, range(1 + round * 20, 20))));
			await sleep(60);
			expect(await admin.xlen(c.keys.stream)).toBe(written.length + 1);
		}
		await waitFor(
			() => c.processed().length,
			(n) => n >= 201 - poison.size,
			15_000,
			'processed',
		);
		expect(await admin.xlen(c.keys.stream)).toBe(201);

		// The slow reader catches up and acknowledges: now only what the consumer left pending may stay.
		const reply = (await admin.xreadgroup(
			'GROUP',
			'slow-reader',
			'x',
			'COUNT',
			1_000,
			'STREAMS',
			c.keys.stream,
			'>',
		)) as Array<[string, Array<[string, string[]]>]>;
		await admin.xack(c.keys.stream, 'slow-reader', ...reply[0][1].map(([id]) => id));
		await fill(admin, c.keys.stream, [999]); // one more batch: its acknowledgement trims
		await waitFor(
			() => c.processed().includes(999),
			(v) => v,
			10_000,
			'last entry',
		);
		await sleep(1_100);
		await fill(admin, c.keys.stream, [1000]);
		await waitFor(
			() => c.processed().includes(1000),
			(v) => v,
			10_000,
			'trigger a trim',
		);
		await waitFor(
			async () => await admin.xlen(c.keys.stream),
			(n) => n < 201,
			5_000,
			'trimmed',
		);

		const left = (await admin.xrange(c.keys.stream, '-', '+')).map(([id]) => id);
		const pendingRows = (await admin.xpending(
			c.keys.stream,
			c.settings.group,
			'-',
			'+',
			100,
		)) as Array<[string, string, number, number]>;
		expect(pendingRows).toHaveLength(poison.size);
		for (const [id] of pendingRows) expect(left).toContain(id); // never dropped
		// Everything below the oldest pending entry is gone.
		expect(left[0]).toBe(pendingRows[0][0]);
		expect(await pendingCount(admin, c.keys.stream, c.settings.group)).toBe(poison.size);
		expect((await groupInfo(admin, c.keys.stream, c.settings.group))?.lag).toBe(0);
	});
});
