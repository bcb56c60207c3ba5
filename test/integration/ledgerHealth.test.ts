import type Redis from 'ioredis';
import type { IDataObject } from 'n8n-workflow';
import { executeLedger, type LedgerContext } from '../../nodes/InventoryLedger/actions/router';
import { countDeadLetters, readHealth } from '../../nodes/InventoryLedger/ledger/health';
import { InboxStream } from '../../nodes/InventoryInboxTrigger/stream';
import { breakerRecord } from '../../nodes/shared/breaker';
import { channelDeadLetterFields } from '../../nodes/shared/deadLetters';
import { writeChannelDeadLetter } from '../../nodes/shared/dlq';
import { recordLagSamples } from '../../nodes/shared/health/lagStream';
import { appendToInbox } from '../../nodes/shared/inbox';
import { channelKeys, inboxKey, ledgerKeys } from '../../nodes/shared/keys';
import { closeAllRedis } from '../../nodes/shared/redis';
import { credential, guardContext, type Param } from './guardHarness';
import { PROFILE } from './ledgerHarness';
import { deleteByPrefix, testClient, uniquePrefix } from '../support';

// The Ledger's Health operation on seeded figures in the test Redis: lag percentiles from the lag stream
// (window by entry time), dirty and outbox backlogs, breaker state after real failures, dead letters by kind
// and channel, the inbox's backlog and consumer group, Redis's checks, and the problems they add up to.
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

async function redisNow(): Promise<number> {
	const [s, us] = await redis.time();
	return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}

function deadLetter(channel: string, operation = 'publish') {
	return writeChannelDeadLetter(redis, prefix, {
		reason: 'breakerOpen',
		channel,
		operation,
		items: [{ sku: 'H-1', quantity: 1 }],
		payload: null,
		errorClass: 'BreakerOpenError',
		errorMessage: 'open',
		attempts: 0,
		firstFailureAt: TIME,
		lastFailureAt: TIME,
		deadAt: TIME,
	});
}

/** An inbox with a group: `pending` entries delivered and not acknowledged, `undelivered` more, one dead letter. */
async function seedInbox(pending: number, undelivered: number): Promise<void> {
	const stream = inboxKey(prefix, 'orders');
	const inbox = new InboxStream({
		keys: { stream, dlq: channelKeys.dlq(prefix) },
		group: 'workers',
		consumer: 'c1',
		blockingTimeoutMs: 5_000,
	});
	await inbox.ensureGroup(redis);
	const add = () =>
		appendToInbox(
			redis,
			stream,
			{ platform: 'woocommerce', headers: {}, rawBody: '{}', receivedAt: TIME },
			Buffer.from('{}'),
		);
	const dead = await add();
	for (let i = 0; i < pending; i++) await add();
	await inbox.readNew(redis, pending + 1, 0);
	await inbox.deadLetter(redis, [{ id: dead, deliveries: 6, lastError: 'x' }], TIME);
	for (let i = 0; i < undelivered; i++) await add();
}

beforeAll(() => {
	redis = testClient();
});
beforeEach(async () => {
	prefix = uniquePrefix('ledger-health');
});
afterEach(async () => {
	await deleteByPrefix(redis, prefix);
});
afterAll(async () => {
	await closeAllRedis();
	await redis.quit();
});

it('reports every figure from seeded data, and the problems they add up to', async () => {
	await run([], {
		operation: 'profile',
		profileAction: 'save',
		profileMode: 'json',
		profileJson: JSON.stringify(PROFILE),
	});
	// Lag: 3 samples older than the 15-minute window (written first: stream ids only grow), then 1 … 100 ms.
	const now = await redisNow();
	const lagKey = channelKeys.lag(prefix, 'shopify');
	for (const [k, ms] of [99_999, 88_888, 77_777].entries()) {
		await redis.xadd(lagKey, `${now - 20 * 60_000 + k}-0`, 'ms', ms, 'sku', 'OLD', 'op', 'publish');
	}
	await recordLagSamples(
		redis,
		prefix,
		'shopify',
		Array.from({ length: 100 }, (_, i) => ({ sku: `S${i}`, op: 'publish' as const, ms: i + 1 })),
	);
	// Backlogs, cursor, breaker, dead letters.
	await redis.zadd(ledgerKeys.dirty(prefix, 'woo'), 1, 'A', 2, 'B', 3, 'C');
	await redis.set(channelKeys.cursor(prefix, 'woo'), '2026-11-28T09:00:00Z');
	await redis.xadd(ledgerKeys.outbox(prefix, 'shopify'), '*', 'sku', 'A', 'delta', '-1', 'id', 'x');
	await redis.xadd(ledgerKeys.outbox(prefix, 'shopify'), '*', 'sku', 'B', 'delta', '-1', 'id', 'y');
	for (let i = 0; i < 5; i++) await breakerRecord(redis, prefix, 'woo2', 'failure');
	await deadLetter('shopify');
	await deadLetter('shopify', 'adjust');
	await deadLetter('gone');
	await seedInbox(2, 3);

	const report = await readHealth(redis, prefix, {
		inboxStream: 'orders',
		inboxGroup: 'workers',
		thresholds: { dirtyBacklog: 2 },
	});
	expect(report.channels.shopify).toEqual({
		lagMs: { p50: 50, p95: 95, p99: 99, samples: 100, window: 15 * 60_000 },
		dirtyBacklog: 0,
		breaker: { state: 'closed', failures: 0, openedAt: null },
		deadLetters: 2,
		cursor: null,
	});
	expect(report.channels.woo).toMatchObject({
		lagMs: { p50: null, p95: null, p99: null, samples: 0 },
		dirtyBacklog: 3,
		cursor: '2026-11-28T09:00:00Z',
		deadLetters: 0,
	});
	expect(report.channels.woo2.breaker).toMatchObject({ state: 'open', failures: 5 });
	expect(Date.parse(report.channels.woo2.breaker.openedAt ?? '')).toBeGreaterThanOrEqual(
		now - 60_000,
	);
	expect(report.outboxes).toEqual({ shopify: 2 });
	expect(report.deadLetters).toEqual({
		inbox: 1,
		channel: 3,
		total: 4,
		byChannel: { shopify: 2, gone: 1 },
		unreadable: 0,
		complete: true,
	});
	expect(report.inbox).toMatchObject({
		stream: inboxKey(prefix, 'orders'),
		group: 'workers',
		length: 6,
		pending: 2,
		lag: 3,
		backlog: 5,
		consumers: 1,
		groupExists: true,
	});
	expect(report.redis.maxmemoryPolicyOk).toBe(true);
	expect(report.ok).toBe(false);
	expect(report.problems).toEqual([
		expect.stringMatching(
			/^Channel 'woo2': circuit breaker open since .* after 5 consecutive failures/,
		),
		expect.stringMatching(/^3 channel dead letters \(gone: 1, shopify: 2\)/),
		expect.stringMatching(/^1 inbox dead letter/),
		expect.stringMatching(/not in the profile: gone/),
		expect.stringMatching(/^Channel 'woo': 3 SKUs waiting to be published \(threshold 2\)/),
	]);
});

it('a shorter lag window leaves older samples out', async () => {
	await run([], {
		operation: 'profile',
		profileAction: 'save',
		profileMode: 'json',
		profileJson: JSON.stringify(PROFILE),
	});
	const now = await redisNow();
	const lagKey = channelKeys.lag(prefix, 'woo');
	await redis.xadd(lagKey, `${now - 5 * 60_000}-0`, 'ms', 5_000, 'sku', 'A', 'op', 'adjust');
	await redis.xadd(lagKey, `${now - 1_000}-0`, 'ms', 7, 'sku', 'B', 'op', 'publish');
	const wide = await readHealth(redis, prefix, { lagWindowMs: 10 * 60_000 });
	expect(wide.channels.woo.lagMs).toMatchObject({ p50: 7, p99: 5_000, samples: 2 });
	const narrow = await readHealth(redis, prefix, { lagWindowMs: 60_000 });
	expect(narrow.channels.woo.lagMs).toMatchObject({ p50: 7, p99: 7, samples: 1 });
});

it('counts the dead-letter stream in pages, and says when it stopped at its bound', async () => {
	for (let i = 0; i < 5; i++) await deadLetter(i % 2 ? 'a' : 'b');
	await redis.xadd(channelKeys.dlq(prefix), '*', 'not', 'a record');
	expect(await countDeadLetters(redis, prefix, 100)).toEqual({
		inbox: 0,
		channel: 5,
		total: 6,
		byChannel: { a: 2, b: 3 },
		unreadable: 1,
		complete: true,
	});
	expect(await countDeadLetters(redis, prefix, 4)).toMatchObject({ channel: 4, complete: false });
	expect(await countDeadLetters(redis, prefix, 6)).toMatchObject({ total: 6, complete: true });
});

it('counts past one page (1,000 records per XRANGE)', async () => {
	const fields = channelDeadLetterFields({
		reason: 'r',
		channel: 'bulk',
		operation: 'publish',
		items: [],
		payload: null,
		errorClass: 'E',
		errorMessage: '',
		attempts: 1,
		firstFailureAt: TIME,
		lastFailureAt: TIME,
		deadAt: TIME,
	});
	const pipeline = redis.pipeline();
	for (let i = 0; i < 2_500; i++) pipeline.xadd(channelKeys.dlq(prefix), '*', ...fields);
	await pipeline.exec();
	expect(await countDeadLetters(redis, prefix)).toMatchObject({
		channel: 2_500,
		byChannel: { bulk: 2_500 },
		complete: true,
	});
	expect(await countDeadLetters(redis, prefix, 2_000)).toMatchObject({
		channel: 2_000,
		complete: false,
	});
});

it('the node: one item, also without input and without a profile', async () => {
	const out = await run([], { operation: 'health' });
	expect(out[0]).toHaveLength(1);
	const report = out[0][0].json;
	expect(report).toMatchObject({
		profileVersion: null,
		channels: {},
		outboxes: {},
		ok: false,
		inbox: {
			stream: inboxKey(prefix, 'inbox'),
			group: 'inbox-trigger',
			length: 0,
			groupExists: false,
		},
	});
	expect(report.problems).toEqual([expect.stringMatching(/No sync profile/)]);
	expect(out[0][0].pairedItem).toEqual({ item: 0 });
});
