import type Redis from 'ioredis';
import IORedis from 'ioredis';
import {
	CHANNEL_DEAD_LETTER_FIELDS,
	DeadLetterRecordError,
	channelErrorFields,
	deadLetterFields,
	type ChannelDeadLetterRecord,
	type DeadLetterHeader,
} from '../../nodes/shared/deadLetters';
import {
	DEFAULT_DEAD_LETTER_CAP,
	claimDeadLetter,
	discardDeadLetters,
	readDeadLetters,
	readReplayMarker,
	writeChannelDeadLetter,
} from '../../nodes/shared/dlq';
import { channelKeys } from '../../nodes/shared/keys';
import { OwnRedis, deleteByPrefix, testClient, uniquePrefix, waitFor } from '../support';

// The channel nodes' dead letters (shared/deadLetters.ts record, shared/dlq.ts verbs, lua/claimDeadLetter-2)
// on the test Redis: exact round trips, nothing secret stored, both kinds read from the one stream, the cap,
// discard, and replay-once under concurrency; claimDeadLetter through SCRIPT FLUSH on a redis-server of this
// file's own.
jest.setTimeout(60_000);

let redis: Redis;
let prefix: string;

beforeAll(() => {
	redis = testClient();
});
beforeEach(() => {
	prefix = uniquePrefix('dlq');
});
afterEach(async () => {
	await deleteByPrefix(redis, prefix);
});
afterAll(async () => {
	await redis.quit();
});

function record(overrides: Partial<ChannelDeadLetterRecord> = {}): ChannelDeadLetterRecord {
	return {
		reason: 'budgetSpent',
		channel: 'shopify-main',
		operation: 'publish',
		items: [
			{ sku: 'TS-1', quantity: 12, locationId: 'shopify:x.myshopify.com:1' },
			{ sku: 'Jäger ☕ 📦 {a}:b c\n', quantity: Number.MAX_SAFE_INTEGER },
			{ sku: 'lone-\ud800-half', delta: -Number.MAX_SAFE_INTEGER },
			{ sku: '0', delta: 0 },
		],
		payload: {
			input: {
				name: 'available',
				reason: 'correction',
				quantities: [
					{ inventoryItemId: 'gid://shopify/InventoryItem/271878346596884015', quantity: 12 },
				],
			},
			note: 'Jäger ☕ 📦',
			big: 1e21,
			nested: [[null, true, false, -0.5, '']],
		},
		errorClass: 'NodeApiError',
		errorMessage: 'Shopify API error (HTTP 503): the request failed',
		attempts: 7,
		firstFailureAt: '2026-11-28T10:00:00.000Z',
		lastFailureAt: '2026-11-28T10:00:29.500Z',
		deadAt: '2026-11-28T10:00:30.000Z',
		...overrides,
	};
}

const inboxHeader: DeadLetterHeader = {
	kind: 'inbox',
	reason: 'no successful run after 5 deliveries; last error: boom',
	entryId: '1764122400000-3',
	stream: 'invsync:inbox',
	group: 'inbox-trigger',
	deliveries: 6,
	deadAt: '2026-11-26T15:00:00.000Z',
	consumer: 'host-1-abc',
};
const NOT_UTF8 = Buffer.from([0x7b, 0xff, 0xfe, 0x00, 0x7d]);

async function writeInboxLetter(): Promise<string> {
	const fields = deadLetterFields<Buffer>(inboxHeader, [
		Buffer.from('platform'),
		Buffer.from('shopify'),
		Buffer.from('body'),
		NOT_UTF8,
	]);
	return (await redis.xadd(channelKeys.dlq(prefix), '*', ...fields)) as string;
}

describe('writeChannelDeadLetter / readDeadLetters', () => {
	it('a record round-trips exactly: unicode and lone-surrogate SKUs, the largest safe quantities, nested payload', async () => {
		const written = record();
		const id = await writeChannelDeadLetter(redis, prefix, written);
		const page = await readDeadLetters(redis, prefix);
		expect(page).toEqual({
			letters: [{ id, kind: 'channel', ...written }],
			unreadable: [],
			last: id,
			more: false,
		});
		const [letter] = page.letters;
		if (letter.kind !== 'channel') throw new Error('expected a channel dead letter');
		expect(letter.items[1].quantity).toBe(9007199254740991);
		expect(letter.items[2].sku).toBe('lone-\ud800-half');
		expect(letter.replayOf).toBeUndefined();
	});

	it('stores the documented fields in order, text only', async () => {
		await writeChannelDeadLetter(redis, prefix, record({ replayOf: '1764122400000-0' }));
		const [[, fields]] = await redis.xrange(channelKeys.dlq(prefix), '-', '+');
		expect(fields.filter((_, i) => i % 2 === 0)).toEqual([...CHANNEL_DEAD_LETTER_FIELDS]);
		expect(fields.slice(0, 4)).toEqual(['kind', 'channel', 'reason', 'budgetSpent']);
		expect(fields[fields.length - 1]).toBe('1764122400000-0');
	});

	it('no field carries a secret planted in the error, its request or the payload', async () => {
		const token = 'shpat_0123456789abcdef0123456789abcdef';
		const wooKey = 'ck_4f2a1b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a';
		const wooSecret = 'cs_9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b';
		const password = 'hunter2-correct-horse';
		const credentialValue = 'plain-credential-value-42';
		const error = new Error(
			`POST https://user:${password}@x.myshopify.com/admin/api/2025-10/graphql.json failed; ` +
				`headers {"X-Shopify-Access-Token":"${token}","authorization":"Bearer ${credentialValue}"} ` +
				`retry via https://shop.example/wp-json/wc/v3/products?consumer_key=${wooKey}&consumer_secret=${wooSecret} ` +
				`basic: Basic ${Buffer.from(`${wooKey}:${wooSecret}`).toString('base64')} and ${credentialValue}`,
		);
		Object.assign(error, {
			name: 'AxiosError',
			config: { headers: { Authorization: `Bearer ${token}` }, auth: { password } },
			cause: new Error(`cause ${token}`),
		});
		const { errorClass, errorMessage } = channelErrorFields(error, [credentialValue]);
		expect(errorClass).toBe('AxiosError');
		const id = await writeChannelDeadLetter(
			redis,
			prefix,
			record({
				errorClass,
				errorMessage,
				payload: {
					headers: { Authorization: `Bearer ${token}`, 'X-Shopify-Access-Token': token },
					password,
					note: `key ${wooKey} secret ${wooSecret} ${credentialValue}`,
					variables: { consumer_secret: wooSecret },
				},
			}),
			{ secrets: [credentialValue] },
		);
		const [[, raw]] = (await redis.xrangeBuffer(channelKeys.dlq(prefix), '-', '+')) as Array<
			[Buffer, Buffer[]]
		>;
		const stored = Buffer.concat(raw).toString('latin1');
		for (const secret of [
			token,
			wooKey,
			wooSecret,
			password,
			credentialValue,
			Buffer.from(`${wooKey}:${wooSecret}`).toString('base64'),
		]) {
			expect(stored).not.toContain(secret);
		}
		const { letters } = await readDeadLetters(redis, prefix, { kind: 'channel' });
		expect(letters[0].id).toBe(id);
		if (letters[0].kind !== 'channel') throw new Error('expected a channel dead letter');
		expect(letters[0].errorMessage).toContain('[redacted]');
		expect(letters[0].errorMessage).toContain('x.myshopify.com/admin/api/2025-10/graphql.json');
		expect(letters[0].payload).toEqual({
			headers: { Authorization: '[redacted]', 'X-Shopify-Access-Token': '[redacted]' },
			password: '[redacted]',
			note: 'key [redacted] secret [redacted] [redacted]',
			variables: { consumer_secret: '[redacted]' },
		});
	});

	it('both kinds from the one stream, in order, typed; the inbox body keeps its bytes; kind filter and paging', async () => {
		const a = await writeChannelDeadLetter(redis, prefix, record({ channel: 'a' }));
		const b = await writeInboxLetter();
		const c = await writeChannelDeadLetter(
			redis,
			prefix,
			record({ channel: 'c', operation: 'adjust' }),
		);
		const foreign = (await redis.xadd(
			channelKeys.dlq(prefix),
			'*',
			'kind',
			'martian',
			'x',
			'1',
		)) as string;
		const d = await writeInboxLetter();

		const all = await readDeadLetters(redis, prefix);
		expect(all.letters.map((l) => [l.id, l.kind])).toEqual([
			[a, 'channel'],
			[b, 'inbox'],
			[c, 'channel'],
			[d, 'inbox'],
		]);
		expect(all.unreadable).toEqual([
			{ id: foreign, reason: expect.stringMatching(/unknown kind 'martian'/) },
		]);
		expect(all.more).toBe(false);
		const inbox = all.letters[1];
		if (inbox.kind !== 'inbox') throw new Error('expected an inbox dead letter');
		expect(inbox).toMatchObject({ ...inboxHeader, id: b });
		expect(Object.keys(inbox.entry)).toEqual(['platform', 'body']);
		expect(inbox.entry.body.equals(NOT_UTF8)).toBe(true);

		const channels = await readDeadLetters(redis, prefix, { kind: 'channel' });
		expect(channels.letters.map((l) => l.id)).toEqual([a, c]);
		const inboxes = await readDeadLetters(redis, prefix, { kind: 'inbox', count: 1 });
		expect(inboxes.letters.map((l) => l.id)).toEqual([b]);
		expect(inboxes.more).toBe(true);
		const rest = await readDeadLetters(redis, prefix, { kind: 'inbox', after: inboxes.last });
		expect(rest.letters.map((l) => l.id)).toEqual([d]);

		const first = await readDeadLetters(redis, prefix, { count: 2 });
		expect(first.letters.map((l) => l.id)).toEqual([a, b]);
		expect(first).toMatchObject({ last: b, more: true });
		const second = await readDeadLetters(redis, prefix, { count: 2, after: first.last });
		expect(second.letters.map((l) => l.id)).toEqual([c, d]);
		expect(second.unreadable.map((u) => u.id)).toEqual([foreign]);
		const end = await readDeadLetters(redis, prefix, { after: d });
		expect(end).toEqual({ letters: [], unreadable: [], last: undefined, more: false });
	});

	it('a record that is not one is refused before anything is written', async () => {
		await expect(
			writeChannelDeadLetter(redis, prefix, record({ items: [{ sku: 'A', quantity: 2 ** 53 }] })),
		).rejects.toBeInstanceOf(DeadLetterRecordError);
		await expect(
			writeChannelDeadLetter(redis, prefix, record({ deadAt: 'yesterday' })),
		).rejects.toBeInstanceOf(DeadLetterRecordError);
		expect(await redis.exists(channelKeys.dlq(prefix))).toBe(0);
	});

	it(`the stream is capped (MAXLEN ~, default ${DEFAULT_DEAD_LETTER_CAP}): the oldest go first`, async () => {
		expect(DEFAULT_DEAD_LETTER_CAP).toBe(100_000);
		const ids: string[] = [];
		for (let i = 0; i < 600; i++)
			ids.push(
				await writeChannelDeadLetter(redis, prefix, record({ channel: `c${i}` }), { maxLen: 100 }),
			);
		const length = await redis.xlen(channelKeys.dlq(prefix));
		expect(length).toBeGreaterThanOrEqual(100);
		expect(length).toBeLessThan(600);
		const left = (await redis.xrange(channelKeys.dlq(prefix), '-', '+')).map(([id]) => id);
		expect(left).toEqual(ids.slice(ids.length - length));
	});
});

describe('discardDeadLetters', () => {
	it('deletes the given ids (either kind) and counts those that were there', async () => {
		const a = await writeChannelDeadLetter(redis, prefix, record());
		const b = await writeInboxLetter();
		const c = await writeChannelDeadLetter(redis, prefix, record());
		expect(await discardDeadLetters(redis, prefix, [a, b, '1-1'])).toBe(2);
		expect((await readDeadLetters(redis, prefix)).letters.map((l) => l.id)).toEqual([c]);
		expect(await discardDeadLetters(redis, prefix, [])).toBe(0);
		await expect(discardDeadLetters(redis, prefix, [c, '*'])).rejects.toBeInstanceOf(RangeError);
		expect(await redis.xlen(channelKeys.dlq(prefix))).toBe(1);
		expect(await claimDeadLetter(redis, prefix, a)).toEqual({ status: 'notFound' });
	});
});

describe('claimDeadLetter: replay once', () => {
	it('10 clients replaying the same dead letter at once: one gets it, the others get no payload', async () => {
		const clients = Array.from({ length: 10 }, () => testClient());
		try {
			await Promise.all(clients.map(async (c) => await c.ping()));
			for (let round = 0; round < 5; round++) {
				const written = record({ channel: `round-${round}` });
				const id = await writeChannelDeadLetter(redis, prefix, written);
				const outcomes = await Promise.all(
					clients.map(async (c) => await claimDeadLetter(c, prefix, id)),
				);
				const claimed = outcomes.filter((o) => o.status === 'claimed');
				expect(claimed).toHaveLength(1);
				expect(claimed[0]).toMatchObject({ letter: { id, kind: 'channel', ...written } });
				const others = outcomes.filter((o) => o.status !== 'claimed');
				expect(others).toHaveLength(9);
				expect(others.every((o) => o.status === 'alreadyClaimed')).toBe(true);
				const at = (claimed[0] as { claimedAtMs: number }).claimedAtMs;
				expect(others.every((o) => (o as { claimedAtMs: number }).claimedAtMs === at)).toBe(true);
				expect((await readDeadLetters(redis, prefix)).letters).toEqual([]);
			}
		} finally {
			await Promise.all(clients.map(async (c) => await c.quit()));
		}
	});

	it('the marker keeps the claimed record for recovery, and once it expires a claim finds nothing', async () => {
		const id = await writeInboxLetter();
		const claim = await claimDeadLetter(redis, prefix, id, { markerTtlMs: 300 });
		expect(claim.status).toBe('claimed');
		if (claim.status !== 'claimed' || claim.letter.kind !== 'inbox')
			throw new Error('expected an inbox claim');
		expect(claim.letter.entry.body.equals(NOT_UTF8)).toBe(true);
		const [s] = await redis.time();
		expect(Math.abs(claim.claimedAtMs - Number(s) * 1000)).toBeLessThan(2_000);

		const marker = await readReplayMarker(redis, prefix, id);
		expect(marker).toEqual({ letter: claim.letter, claimedAtMs: claim.claimedAtMs });
		expect(await claimDeadLetter(redis, prefix, id)).toEqual({
			status: 'alreadyClaimed',
			claimedAtMs: claim.claimedAtMs,
		});
		await waitFor(
			async () => await redis.exists(channelKeys.dlqReplayed(prefix, id)),
			(n) => n === 0,
			5_000,
			'the marker to expire',
		);
		expect(await readReplayMarker(redis, prefix, id)).toBeUndefined();
		expect(await claimDeadLetter(redis, prefix, id)).toEqual({ status: 'notFound' });
	});

	it('a replay that fails again is a new dead letter naming the one it replayed', async () => {
		const original = await writeChannelDeadLetter(redis, prefix, record());
		const claim = await claimDeadLetter(redis, prefix, original);
		if (claim.status !== 'claimed' || claim.letter.kind !== 'channel')
			throw new Error('expected a claim');
		const { id: _old, kind: _kind, ...again } = claim.letter;
		const retry = await writeChannelDeadLetter(redis, prefix, {
			...again,
			attempts: again.attempts + 1,
			lastFailureAt: '2026-11-29T08:00:00.000Z',
			deadAt: '2026-11-29T08:00:01.000Z',
			replayOf: original,
		});
		const { letters } = await readDeadLetters(redis, prefix);
		expect(letters).toEqual([
			{
				...claim.letter,
				id: retry,
				attempts: 8,
				lastFailureAt: '2026-11-29T08:00:00.000Z',
				deadAt: '2026-11-29T08:00:01.000Z',
				replayOf: original,
			},
		]);
	});

	it('ids are checked before any call', async () => {
		await expect(claimDeadLetter(redis, prefix, '$')).rejects.toBeInstanceOf(RangeError);
		await expect(readReplayMarker(redis, prefix, '0')).rejects.toBeInstanceOf(RangeError);
		await expect(readDeadLetters(redis, prefix, { after: 'x' })).rejects.toBeInstanceOf(RangeError);
	});
});

describe('SCRIPT FLUSH', () => {
	let server: OwnRedis;
	let own: IORedis;
	let admin: IORedis;

	beforeAll(async () => {
		server = await OwnRedis.start();
		own = new IORedis({ port: server.port });
		admin = new IORedis({ port: server.port });
	});
	afterAll(async () => {
		await own.quit();
		await admin.quit();
		await server.stop();
	});

	it('claimDeadLetter runs again after the script cache is flushed', async () => {
		const p = uniquePrefix('dlq-flush');
		const first = await writeChannelDeadLetter(own, p, record());
		const second = await writeChannelDeadLetter(own, p, record());
		await admin.script('FLUSH');
		expect((await claimDeadLetter(own, p, first)).status).toBe('claimed');
		await admin.script('FLUSH');
		expect((await claimDeadLetter(own, p, first)).status).toBe('alreadyClaimed');
		await admin.script('FLUSH');
		expect((await claimDeadLetter(own, p, second)).status).toBe('claimed');
	});
});
