import Redis from 'ioredis';
import { InboxStream } from '../../nodes/InventoryInboxTrigger/stream';
import {
	DEAD_LETTER_FIELDS,
	deadLetterFields,
	deadLetterReason,
	readDeadLetter,
} from '../../nodes/shared/deadLetters';
import { OwnRedis, uniquePrefix } from '../support';

// The Inbox Trigger's scripts themselves (no TypeScript twin): where trimAcknowledged-1.lua trims, the exact
// record deadLetterEntries-2.lua writes (shared/deadLetters.ts), and both surviving SCRIPT FLUSH on the same
// client. On a redis-server of this file's own, so the flushes disturb no other test's round trips.
jest.setTimeout(60_000);

let server: OwnRedis;
let redis: Redis;
let admin: Redis;
let prefix: string;
let keys: { stream: string; dlq: string };
let stream: InboxStream;

beforeAll(async () => {
	server = await OwnRedis.start();
	redis = new Redis({ port: server.port });
	admin = new Redis({ port: server.port });
});
beforeEach(() => {
	prefix = uniquePrefix('inbox-scripts');
	keys = { stream: `${prefix}:inbox`, dlq: `${prefix}:dlq` };
	stream = new InboxStream({ keys, group: 'g', consumer: 'c1', blockingTimeoutMs: 5_000 });
});
afterAll(async () => {
	await redis.quit();
	await admin.quit();
	await server.stop();
});

/** Entries with these explicit ids (ms-seq), fields as the Webhook Trigger writes them. */
async function entries(ids: string[]): Promise<void> {
	for (const id of ids)
		await redis.xadd(
			keys.stream,
			id,
			'platform',
			'shopify',
			'headers',
			'{}',
			'body',
			`{"n":"${id}"}`,
			'receivedAt',
			'now',
		);
}
const left = async () => (await redis.xrange(keys.stream, '-', '+')).map(([id]) => id);

describe('trimAcknowledged-1.lua: below the oldest id any group still needs, and nothing else', () => {
	it('no group: nothing', async () => {
		await entries(['10-1', '20-3']);
		expect(await stream.trimAcknowledged(redis)).toBe(0);
	});

	it('one group: its oldest pending entry; with nothing pending, the entry after its last-delivered id', async () => {
		await entries(['10-1', '20-3', '50-0', '50-1', '60-0']);
		await redis.xgroup('CREATE', keys.stream, 'g', '0');
		await redis.xreadgroup('GROUP', 'g', 'c', 'COUNT', 3, 'STREAMS', keys.stream, '>'); // 10-1, 20-3, 50-0
		await redis.xack(keys.stream, 'g', '10-1');
		expect(await stream.trimAcknowledged(redis)).toBe(1); // oldest pending 20-3
		expect(await left()).toEqual(['20-3', '50-0', '50-1', '60-0']);
		await redis.xack(keys.stream, 'g', '20-3', '50-0');
		expect(await stream.trimAcknowledged(redis)).toBe(2); // last delivered 50-0: 50-1 is needed
		expect(await left()).toEqual(['50-1', '60-0']);
	});

	it('several groups: the slowest one decides (last delivered 10-2 → keeps 10-3 on)', async () => {
		await entries(['10-1', '10-2', '10-3', '20-0', '30-0', '50-0', '70-0']);
		await redis.xgroup('CREATE', keys.stream, 'a', '50-0'); // needs 50-1
		await redis.xgroup('CREATE', keys.stream, 'b', '10-2'); // needs 10-3
		await redis.xgroup('CREATE', keys.stream, 'c', '0');
		await redis.xreadgroup('GROUP', 'c', 'x', 'STREAMS', keys.stream, '>');
		await redis.xack(keys.stream, 'c', '10-1', '10-2', '10-3', '20-0'); // c: oldest pending 30-0
		expect(await stream.trimAcknowledged(redis)).toBe(2);
		expect(await left()).toEqual(['10-3', '20-0', '30-0', '50-0', '70-0']);
	});

	it('a group created at 0-0 that has read nothing keeps everything', async () => {
		await entries(['0-1', '0-2']);
		await redis.xgroup('CREATE', keys.stream, 'g', '0');
		expect(await stream.trimAcknowledged(redis)).toBe(0);
		expect(await left()).toEqual(['0-1', '0-2']);
	});
});

describe('deadLetterEntries-2.lua', () => {
	it('writes exactly the shared record (header fields in order, then the entry bytes) and acknowledges', async () => {
		const body = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]); // not UTF-8: kept byte for byte
		await redis.xadd(
			keys.stream,
			'5-0',
			'platform',
			'shopify',
			'headers',
			'{"x-shopify-topic":"orders/create"}',
			'body',
			body,
			'receivedAt',
			'at',
		);
		await redis.xgroup('CREATE', keys.stream, 'g', '0');
		await redis.xreadgroup('GROUP', 'g', 'c1', 'STREAMS', keys.stream, '>');
		const deadAt = '2026-11-26T15:00:00.000Z';
		expect(
			await stream.deadLetter(redis, [{ id: '5-0', deliveries: 6, lastError: 'boom' }], deadAt),
		).toBe(1);
		expect(Number(((await redis.xpending(keys.stream, 'g')) as [number])[0])).toBe(0);

		const [[id, fields]] = (await redis.xrangeBuffer(keys.dlq, '-', '+')) as Array<
			[Buffer, Buffer[]]
		>;
		const header = {
			kind: 'inbox',
			reason: deadLetterReason(5, 'boom'),
			entryId: '5-0',
			stream: keys.stream,
			group: 'g',
			deliveries: 6,
			deadAt,
			consumer: 'c1',
		};
		const expected = deadLetterFields(header, [
			Buffer.from('platform'),
			Buffer.from('shopify'),
			Buffer.from('headers'),
			Buffer.from('{"x-shopify-topic":"orders/create"}'),
			Buffer.from('body'),
			body,
			Buffer.from('receivedAt'),
			Buffer.from('at'),
		]);
		expect(fields.map((f) => f.toString('hex'))).toEqual(
			expected.map((f) => Buffer.from(f).toString('hex')),
		);
		const letter = readDeadLetter(id.toString(), fields);
		expect(letter).toMatchObject({ ...header, id: id.toString() });
		expect(Object.keys(letter.entry)).toEqual(['platform', 'headers', 'body', 'receivedAt']);
		expect(letter.entry.body.equals(body)).toBe(true);
		expect(
			fields
				.slice(0, 2 * DEAD_LETTER_FIELDS.length)
				.filter((_, i) => i % 2 === 0)
				.map(String),
		).toEqual([...DEAD_LETTER_FIELDS]);
	});
});

describe('SCRIPT FLUSH', () => {
	it('both scripts give the same result again after SCRIPT FLUSH, on the same client', async () => {
		await entries(['1-0', '2-0', '3-0', '4-0']);
		await redis.xgroup('CREATE', keys.stream, 'g', '0');
		await redis.xreadgroup('GROUP', 'g', 'c1', 'STREAMS', keys.stream, '>');
		await redis.xack(keys.stream, 'g', '1-0');
		const letter = (id: string) => [{ id, deliveries: 3, lastError: 'x' }];

		expect(await stream.deadLetter(redis, letter('2-0'), 'then')).toBe(1);
		expect(await stream.trimAcknowledged(redis)).toBe(2); // 1-0 and 2-0
		await admin.script('FLUSH');
		expect(await stream.deadLetter(redis, letter('3-0'), 'then')).toBe(1);
		expect(await stream.trimAcknowledged(redis)).toBe(1); // 3-0
		await admin.script('FLUSH');
		expect(await stream.trimAcknowledged(redis)).toBe(0);
		expect(await left()).toEqual(['4-0']);
		const letters = await redis.xrange(keys.dlq, '-', '+');
		expect(letters.map(([id, f]) => readDeadLetter(id, f).entryId)).toEqual(['2-0', '3-0']);
	});
});
