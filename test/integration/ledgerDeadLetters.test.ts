import type Redis from 'ioredis';
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import { executeLedger, type LedgerContext } from '../../nodes/InventoryLedger/actions/router';
import {
	discardByIds,
	replayByIds,
	scanDeadLetters,
} from '../../nodes/InventoryLedger/ledger/deadLetters';
import { InboxStream } from '../../nodes/InventoryInboxTrigger/stream';
import type { ChannelDeadLetterRecord } from '../../nodes/shared/deadLetters';
import { claimDeadLetter, writeChannelDeadLetter } from '../../nodes/shared/dlq';
import { appendToInbox } from '../../nodes/shared/inbox';
import { channelKeys, inboxKey, ledgerKeys } from '../../nodes/shared/keys';
import { closeAllRedis } from '../../nodes/shared/redis';
import { credential, guardContext, type Param } from './guardHarness';
import { L0, L1, PROFILE, levelEvent } from './ledgerHarness';
import { deleteByPrefix, testClient, uniquePrefix } from '../support';

// The Ledger's Dead Letters operation on the test Redis: records written by the real writers (the channel
// nodes' writeChannelDeadLetter, the Inbox Trigger's dead-letter script), listed, replayed into the path that
// does the work (dirty marks at the current rev, the owner outbox, the inbox stream) exactly once, discarded.
jest.setTimeout(60_000);

const TIME = '2026-11-28T10:00:00.000Z';
let redis: Redis;
let prefix: string;

const run = (items: IDataObject[], params: Record<string, Param>) =>
	executeLedger(
		guardContext({
			items,
			params,
			credential: credential({ keyPrefix: prefix }),
		}) as unknown as LedgerContext,
	);
const jsonOf = (out: INodeExecutionData[][]) => out[0].map((i) => i.json);

function record(over: Partial<ChannelDeadLetterRecord> = {}): ChannelDeadLetterRecord {
	return {
		reason: 'budgetSpent',
		channel: 'shopify',
		operation: 'publish',
		items: [{ sku: 'DL-A', quantity: 1, locationId: L0 }],
		payload: { input: { name: 'available', quantities: [] } },
		errorClass: 'NodeApiError',
		errorMessage: 'Service Unavailable',
		attempts: 5,
		firstFailureAt: TIME,
		lastFailureAt: TIME,
		deadAt: TIME,
		...over,
	};
}

const adjustEntries = [
	{
		sku: 'DL-B',
		loc: L1,
		delta: '-2',
		id: 'shopify:s.test:order:9:line:1',
		ver: '1700',
		rev: '3',
		src: 'woo',
		owner: 'shopify',
	},
	{
		sku: 'DL-C',
		loc: L1,
		delta: '-1',
		id: 'shopify:s.test:order:9:line:2',
		ver: '1700',
		rev: '2',
		src: 'woo',
		owner: 'shopify',
	},
];

async function saveProfile(): Promise<void> {
	await run([], {
		operation: 'profile',
		profileAction: 'save',
		profileMode: 'json',
		profileJson: JSON.stringify(PROFILE),
	});
}

/**
 * A SKU with ledger history (a Shopify level at the Shopify-owned L1: rev ≥ 1) and no dirty mark left, as after a
 * Publish that dead-lettered it.
 */
async function seedSku(sku: string, quantity: number, version: number): Promise<number> {
	await run([levelEvent(sku, L1, quantity, version) as unknown as IDataObject], {
		operation: 'apply',
	});
	for (const channel of ['shopify', 'woo', 'woo2'])
		await redis.zrem(ledgerKeys.dirty(prefix, channel), sku);
	return Number(await redis.hget(ledgerKeys.ledger(prefix, sku), 'rev'));
}

/** An inbox entry delivered to the group and dead-lettered by the Inbox Trigger's own script. */
async function inboxDeadLetter(body: Buffer): Promise<{ stream: string }> {
	const stream = inboxKey(prefix, 'inbox');
	const inbox = new InboxStream({
		keys: { stream, dlq: channelKeys.dlq(prefix) },
		group: 'inbox-trigger',
		consumer: 'c1',
		blockingTimeoutMs: 5_000,
	});
	await inbox.ensureGroup(redis);
	const id = await appendToInbox(
		redis,
		stream,
		{
			platform: 'shopify',
			headers: { 'x-shopify-topic': 'orders/create', 'x-shopify-shop-domain': 's.test' },
			rawBody: body.toString('latin1'),
			receivedAt: TIME,
		},
		body,
	);
	await inbox.readNew(redis, 10, 0);
	expect(await inbox.deadLetter(redis, [{ id, deliveries: 6, lastError: 'boom' }], TIME)).toBe(1);
	return { stream };
}

beforeAll(() => {
	redis = testClient();
});
beforeEach(async () => {
	prefix = uniquePrefix('ledger-dlq');
	await saveProfile();
});
afterEach(async () => {
	await deleteByPrefix(redis, prefix);
});
afterAll(async () => {
	await closeAllRedis();
	await redis.quit();
});

describe('replay', () => {
	it('publish: the SKUs marked dirty again at their CURRENT rev (not the stale quantity); a second replay does nothing', async () => {
		const rev = await seedSku('DL-A', 7, 1);
		const id = await writeChannelDeadLetter(redis, prefix, record());
		// The ledger moves on after the failure: the replay must mark the newest rev.
		await run([levelEvent('DL-A', L1, 9, 2) as unknown as IDataObject], { operation: 'apply' });
		for (const channel of ['shopify', 'woo'])
			await redis.zrem(ledgerKeys.dirty(prefix, channel), 'DL-A');
		const now = Number(await redis.hget(ledgerKeys.ledger(prefix, 'DL-A'), 'rev'));
		expect(now).toBeGreaterThan(rev);

		const [first] = await replayByIds(redis, prefix, [id]);
		expect(first).toMatchObject({
			id,
			kind: 'channel',
			channel: 'shopify',
			operation: 'publish',
			outcome: 'requeued',
			skus: ['DL-A'],
		});
		expect(await redis.zscore(ledgerKeys.dirty(prefix, 'shopify'), 'DL-A')).toBe(String(now));
		expect(await redis.zcard(ledgerKeys.dirty(prefix, 'woo'))).toBe(0);
		expect(await redis.xlen(channelKeys.dlq(prefix))).toBe(0);

		// The channel node publishes and clears the mark; replaying again must not mark it again.
		await redis.zrem(ledgerKeys.dirty(prefix, 'shopify'), 'DL-A');
		const [second] = await replayByIds(redis, prefix, [id]);
		expect(second).toMatchObject({ id, outcome: 'alreadyReplayed' });
		expect(await redis.zcard(ledgerKeys.dirty(prefix, 'shopify'))).toBe(0);
	});

	it('publish: a SKU frozen since is not marked, and a SKU the ledger never saw is marked at rev 0', async () => {
		await seedSku('DL-A', 7, 1);
		await run([{ sku: 'DL-A' }], { operation: 'freeze', sku: (j: IDataObject) => j.sku });
		await redis.zrem(ledgerKeys.dirty(prefix, 'shopify'), 'DL-A');
		const id = await writeChannelDeadLetter(
			redis,
			prefix,
			record({
				items: [
					{ sku: 'DL-A', quantity: 1 },
					{ sku: 'NEW', quantity: 2 },
				],
			}),
		);
		const [r] = await replayByIds(redis, prefix, [id]);
		expect(r).toMatchObject({
			outcome: 'requeued',
			skus: ['NEW'],
			detail: expect.stringMatching(/frozen, not marked: DL-A/),
		});
		expect(await redis.zrange(ledgerKeys.dirty(prefix, 'shopify'), 0, -1, 'WITHSCORES')).toEqual([
			'NEW',
			'0',
		]);
	});

	it('adjust: the outbox entries go back to the owner outbox field for field; a second replay adds nothing', async () => {
		const id = await writeChannelDeadLetter(
			redis,
			prefix,
			record({
				operation: 'adjust',
				items: [
					{ sku: 'DL-B', delta: -2, locationId: L1 },
					{ sku: 'DL-C', delta: -1, locationId: L1 },
				],
				payload: { owner: 'shopify', entries: adjustEntries },
			}),
		);
		const [first] = await replayByIds(redis, prefix, [id]);
		expect(first).toMatchObject({
			outcome: 'requeued',
			operation: 'adjust',
			skus: ['DL-B', 'DL-C'],
		});
		const outbox = await redis.xrange(ledgerKeys.outbox(prefix, 'shopify'), '-', '+');
		expect(outbox.map(([, fields]) => fields)).toEqual(
			adjustEntries.map((e) => Object.entries(e).flat()),
		);

		expect((await replayByIds(redis, prefix, [id]))[0].outcome).toBe('alreadyReplayed');
		expect(await redis.xlen(ledgerKeys.outbox(prefix, 'shopify'))).toBe(2);
	});

	it('inbox: the entry goes back into its stream byte for byte, as the Webhook Trigger wrote it', async () => {
		const body = Buffer.from([0x7b, 0xff, 0xfe, 0x00, 0x7d]); // not UTF-8: bytes must survive
		const { stream } = await inboxDeadLetter(body);
		const [letter] = (await scanDeadLetters(redis, prefix, { limit: 10 })).letters;
		const original = await redis.xrangeBuffer(stream, '-', '+');
		expect(original).toHaveLength(1);

		const [r] = await replayByIds(redis, prefix, [letter.id]);
		expect(r).toMatchObject({ kind: 'inbox', channel: null, outcome: 'requeued' });
		const entries = await redis.xrangeBuffer(stream, '-', '+');
		expect(entries).toHaveLength(2);
		expect(entries[1][1]).toEqual(original[0][1]);
		expect(entries[1][1][5].equals(body)).toBe(true);
		// The Inbox Trigger's group gets it as a new entry.
		const groups = (await redis.xinfo('GROUPS', stream)) as unknown[][];
		expect(groups[0][groups[0].indexOf('lag') + 1]).toBe(1);

		expect((await replayByIds(redis, prefix, [letter.id]))[0].outcome).toBe('alreadyReplayed');
		expect(await redis.xlen(stream)).toBe(2);
	});

	it('unknown ids are notFound; a channel no longer in the profile fails and its record stays', async () => {
		const gone = await writeChannelDeadLetter(redis, prefix, record({ channel: 'gone' }));
		const results = await replayByIds(redis, prefix, ['1-1', gone]);
		expect(results).toEqual([
			expect.objectContaining({ id: '1-1', outcome: 'notFound' }),
			expect.objectContaining({
				id: gone,
				outcome: 'failed',
				detail: expect.stringMatching(/not in the sync profile/),
			}),
		]);
		expect(await redis.xlen(channelKeys.dlq(prefix))).toBe(1);
		await expect(replayByIds(redis, prefix, ['nope'])).rejects.toThrow(RangeError);
	});

	it('a record another replayer claimed (shared/dlq claimDeadLetter) is alreadyReplayed here', async () => {
		const id = await writeChannelDeadLetter(redis, prefix, record());
		expect((await claimDeadLetter(redis, prefix, id)).status).toBe('claimed');
		expect((await replayByIds(redis, prefix, [id]))[0].outcome).toBe('alreadyReplayed');
	});

	it('two replayers at once: exactly one re-queues', async () => {
		await seedSku('DL-A', 7, 1);
		const id = await writeChannelDeadLetter(redis, prefix, record());
		const other = testClient();
		try {
			const outcomes = await Promise.all([
				replayByIds(redis, prefix, [id]),
				replayByIds(other, prefix, [id]),
				replayByIds(redis, prefix, [id]),
			]);
			const flat = outcomes.flat().map((r) => r.outcome);
			expect(flat.filter((o) => o === 'requeued')).toHaveLength(1);
			expect(flat.filter((o) => o === 'alreadyReplayed')).toHaveLength(2);
		} finally {
			await other.quit();
		}
	});

	it('a re-queue Redis refuses leaves the record in the stream and unclaimed (claim and re-queue are one step)', async () => {
		const id = await writeChannelDeadLetter(redis, prefix, record());
		await redis.set(ledgerKeys.dirty(prefix, 'shopify'), 'not a zset');
		const [r] = await replayByIds(redis, prefix, [id]);
		expect(r).toMatchObject({ outcome: 'failed', detail: expect.stringMatching(/WRONGTYPE/) });
		expect(await redis.xlen(channelKeys.dlq(prefix))).toBe(1);
		expect(await redis.exists(channelKeys.dlqReplayed(prefix, id))).toBe(0);
		await redis.del(ledgerKeys.dirty(prefix, 'shopify'));
		expect((await replayByIds(redis, prefix, [id]))[0].outcome).toBe('requeued');
	});

	it('survives SCRIPT FLUSH', async () => {
		const a = await writeChannelDeadLetter(redis, prefix, record());
		const b = await writeChannelDeadLetter(redis, prefix, record());
		expect((await replayByIds(redis, prefix, [a]))[0].outcome).toBe('requeued');
		await redis.script('FLUSH');
		expect((await replayByIds(redis, prefix, [b]))[0].outcome).toBe('requeued');
	});
});

describe('the node: List, Replay and Discard', () => {
	it('List: one item per record, newest or oldest first, filtered, limited', async () => {
		const p1 = await writeChannelDeadLetter(redis, prefix, record());
		const a1 = await writeChannelDeadLetter(
			redis,
			prefix,
			record({ channel: 'woo', operation: 'adjust', payload: { owner: 'woo', entries: [] } }),
		);
		await inboxDeadLetter(Buffer.from('{"id":1}'));
		const p2 = await writeChannelDeadLetter(
			redis,
			prefix,
			record({ items: [{ sku: 'DL-Z', quantity: 3 }] }),
		);

		const all = jsonOf(await run([], { operation: 'deadLetters', deadLetterAction: 'list' }));
		expect(all.map((j) => j.kind)).toEqual(['channel', 'inbox', 'channel', 'channel']);
		expect(all[0]).toMatchObject({
			id: p2,
			channel: 'shopify',
			operation: 'publish',
			skus: ['DL-Z'],
		});
		expect(all[1]).toMatchObject({ platform: 'shopify', body: '{"id":1}', receivedAt: TIME });

		const oldest = jsonOf(
			await run([], {
				operation: 'deadLetters',
				deadLetterAction: 'list',
				deadLetterOrder: 'oldest',
				deadLetterLimit: 2,
			}),
		);
		expect(oldest.map((j) => j.id)).toEqual([p1, a1]);

		const publishes = jsonOf(
			await run([], {
				operation: 'deadLetters',
				deadLetterAction: 'list',
				deadLetterKind: 'channel',
				deadLetterChannel: 'shopify',
				deadLetterOperation: 'publish',
			}),
		);
		expect(publishes.map((j) => j.id)).toEqual([p2, p1]);
		const inbox = jsonOf(
			await run([], {
				operation: 'deadLetters',
				deadLetterAction: 'list',
				deadLetterKind: 'inbox',
			}),
		);
		expect(inbox).toHaveLength(1);
	});

	it('Replay by the ids of the input items (List → Replay), each paired with its item; twice changes nothing', async () => {
		await seedSku('DL-A', 7, 1);
		const ids = [
			await writeChannelDeadLetter(redis, prefix, record()),
			await writeChannelDeadLetter(redis, prefix, record()),
		];
		const listed = jsonOf(
			await run([], {
				operation: 'deadLetters',
				deadLetterAction: 'list',
				deadLetterOrder: 'oldest',
			}),
		);
		const params = {
			operation: 'deadLetters',
			deadLetterAction: 'replay',
			deadLetterSelect: 'ids',
			deadLetterIds: (j: IDataObject) => j.id as string,
		};
		const out = await run(listed, params);
		expect(out[0].map((i) => [i.json.id, i.json.outcome, i.pairedItem])).toEqual([
			[ids[0], 'requeued', { item: 0 }],
			[ids[1], 'requeued', { item: 1 }],
		]);
		const dirty = await redis.zrange(ledgerKeys.dirty(prefix, 'shopify'), 0, -1);
		expect(dirty).toEqual(['DL-A']);
		const again = await run(listed, params);
		expect(again[0].map((i) => i.json.outcome)).toEqual(['alreadyReplayed', 'alreadyReplayed']);
	});

	it('Replay all matching the filter, oldest first, at most Max Records', async () => {
		await seedSku('DL-A', 7, 1);
		const a = await writeChannelDeadLetter(redis, prefix, record());
		const b = await writeChannelDeadLetter(redis, prefix, record({ channel: 'woo' }));
		const c = await writeChannelDeadLetter(redis, prefix, record());
		const out = jsonOf(
			await run([], {
				operation: 'deadLetters',
				deadLetterAction: 'replay',
				deadLetterSelect: 'filter',
				deadLetterChannel: 'shopify',
				deadLetterLimit: 1,
			}),
		);
		expect(out).toEqual([expect.objectContaining({ id: a, outcome: 'requeued' })]);
		const left = (await scanDeadLetters(redis, prefix, { limit: 10 })).letters.map((l) => l.id);
		expect(left).toEqual([b, c]);
	});

	it('Discard by id and by filter', async () => {
		const a = await writeChannelDeadLetter(redis, prefix, record());
		const b = await writeChannelDeadLetter(redis, prefix, record({ channel: 'woo' }));
		const c = await writeChannelDeadLetter(redis, prefix, record({ channel: 'woo' }));
		expect(await discardByIds(redis, prefix, [a, '1-1'])).toEqual([
			{ id: a, outcome: 'discarded' },
			{ id: '1-1', outcome: 'notFound' },
		]);
		const out = jsonOf(
			await run([], {
				operation: 'deadLetters',
				deadLetterAction: 'discard',
				deadLetterSelect: 'filter',
				deadLetterChannel: 'woo',
			}),
		);
		expect(out.map((j) => [j.id, j.channel, j.outcome])).toEqual([
			[b, 'woo', 'discarded'],
			[c, 'woo', 'discarded'],
		]);
		expect(await redis.xlen(channelKeys.dlq(prefix))).toBe(0);
	});

	it('an item with a bad id fails alone', async () => {
		const a = await writeChannelDeadLetter(redis, prefix, record());
		const out = await executeLedger(
			guardContext({
				items: [{ id: 'junk' }, { id: a }],
				params: {
					operation: 'deadLetters',
					deadLetterAction: 'discard',
					deadLetterSelect: 'ids',
					deadLetterIds: (j: IDataObject) => j.id as string,
				},
				credential: credential({ keyPrefix: prefix }),
				continueOnFail: true,
			}) as unknown as LedgerContext,
		);
		expect(out[0].map((i) => [i.pairedItem, i.json.outcome ?? i.json.error])).toEqual([
			[{ item: 0 }, expect.stringMatching(/not a dead-letter ID/)],
			[{ item: 1 }, 'discarded'],
		]);
	});
});
