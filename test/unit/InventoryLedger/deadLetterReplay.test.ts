import {
	MAX_BODY_SHOWN,
	letterView,
	matchesFilter,
	peekDeadLetter,
	planReplay,
	type ReplayContext,
} from '../../../nodes/InventoryLedger/deadLetterReplay';
import {
	channelDeadLetterFields,
	deadLetterFields,
	readAnyDeadLetter,
	type AnyDeadLetter,
	type ChannelDeadLetterRecord,
} from '../../../nodes/shared/deadLetters';

const PREFIX = 'invsync';
const TIME = '2026-11-28T10:00:00.000Z';

function channelLetter(over: Partial<ChannelDeadLetterRecord> = {}, id = '1-0'): AnyDeadLetter {
	const record: ChannelDeadLetterRecord = {
		reason: 'budgetSpent',
		channel: 'shopify',
		operation: 'publish',
		items: [
			{ sku: 'A', quantity: 3, locationId: 'shopify:s.test:1' },
			{ sku: 'B', quantity: 0, locationId: 'shopify:s.test:1' },
			{ sku: 'A', quantity: 3, locationId: 'shopify:s.test:2' },
		],
		payload: { input: { quantities: [] } },
		errorClass: 'NodeApiError',
		errorMessage: '503',
		attempts: 4,
		firstFailureAt: TIME,
		lastFailureAt: TIME,
		deadAt: TIME,
		...over,
	};
	return readAnyDeadLetter(
		id,
		channelDeadLetterFields(record).map((f) => Buffer.from(f)),
	);
}

function inboxLetter(
	stream = `${PREFIX}:inbox`,
	body: Buffer = Buffer.from('{"id":1}'),
): AnyDeadLetter {
	const fields = deadLetterFields<Buffer>(
		{
			kind: 'inbox',
			reason: 'no successful run after 5 deliveries',
			entryId: '5-0',
			stream,
			group: 'inbox-trigger',
			deliveries: 5,
			deadAt: TIME,
			consumer: 'c1',
		},
		[
			Buffer.from('platform'),
			Buffer.from('shopify'),
			Buffer.from('headers'),
			Buffer.from(
				JSON.stringify({ 'x-shopify-topic': 'orders/create', authorization: 'Bearer x' }),
			),
			Buffer.from('body'),
			body,
			Buffer.from('receivedAt'),
			Buffer.from(TIME),
		],
	).map((f) => (Buffer.isBuffer(f) ? f : Buffer.from(f)));
	return readAnyDeadLetter('2-0', fields);
}

const context = (over: Partial<ReplayContext> = {}): ReplayContext => ({
	prefix: PREFIX,
	channels: new Set(['shopify', 'woo']),
	frozen: new Set(),
	...over,
});

describe('matchesFilter', () => {
	const publish = channelLetter();
	const inbox = inboxLetter();
	it('passes everything without a filter', () => {
		expect(matchesFilter(publish, {})).toBe(true);
		expect(matchesFilter(inbox, {})).toBe(true);
	});
	it('filters by kind, channel and operation; inbox records never match a channel filter', () => {
		expect(matchesFilter(publish, { kind: 'inbox' })).toBe(false);
		expect(matchesFilter(inbox, { kind: 'inbox' })).toBe(true);
		expect(matchesFilter(publish, { channel: 'shopify', operation: 'publish' })).toBe(true);
		expect(matchesFilter(publish, { channel: 'woo' })).toBe(false);
		expect(matchesFilter(publish, { operation: 'adjust' })).toBe(false);
		expect(matchesFilter(inbox, { channel: 'shopify' })).toBe(false);
	});
});

describe('peekDeadLetter', () => {
	it('reads kind and channel from the header fields alone', () => {
		const record = channelDeadLetterFields({
			reason: 'r',
			channel: 'woo',
			operation: 'adjust',
			items: [],
			payload: null,
			errorClass: 'E',
			errorMessage: '',
			attempts: 0,
			firstFailureAt: TIME,
			lastFailureAt: TIME,
			deadAt: TIME,
		});
		expect(peekDeadLetter(record)).toEqual({ kind: 'channel', channel: 'woo' });
		expect(peekDeadLetter(['kind', 'inbox', 'reason', 'x'])).toEqual({ kind: 'inbox' });
		expect(peekDeadLetter(['kind', 'other'])).toBeUndefined();
		expect(peekDeadLetter(['sku', 'A'])).toBeUndefined();
	});
});

describe('planReplay', () => {
	it('publish: the SKUs once each, frozen ones left out and named', () => {
		expect(planReplay(channelLetter(), context({ frozen: new Set(['B']) }))).toEqual({
			mode: 'publish',
			channel: 'shopify',
			skus: ['A'],
			frozen: ['B'],
		});
	});

	it('refuses a channel that is not in the profile, but checks none when no profile is saved', () => {
		const letter = channelLetter({ channel: 'gone' });
		expect(planReplay(letter, context())).toMatchObject({ mode: 'refused' });
		expect(planReplay(letter, context({ channels: undefined }))).toMatchObject({ mode: 'publish' });
	});

	it('refuses a publish without SKUs and an operation that is not replayed', () => {
		expect(planReplay(channelLetter({ items: [] }), context())).toMatchObject({ mode: 'refused' });
		expect(planReplay(channelLetter({ operation: 'getLevels' }), context())).toMatchObject({
			mode: 'refused',
			detail: expect.stringMatching(/getLevels/),
		});
	});

	it('adjust: each outbox entry as its flat field list, in order; numbers as text', () => {
		const entries: Array<Record<string, string | number>> = [
			{
				sku: 'A',
				loc: 'L1',
				delta: '-2',
				id: 'o:1',
				ver: '5',
				rev: '7',
				src: 'x',
				owner: 'shopify',
			},
			{ sku: 'sku', loc: 'L1', delta: 3, id: 'o:2' },
		];
		const plan = planReplay(
			channelLetter({
				operation: 'adjust',
				items: [{ sku: 'A', delta: -2 }],
				payload: { owner: 'shopify', entries },
			}),
			context(),
		);
		expect(plan).toEqual({
			mode: 'adjust',
			owner: 'shopify',
			entries: [
				[
					'sku',
					'A',
					'loc',
					'L1',
					'delta',
					'-2',
					'id',
					'o:1',
					'ver',
					'5',
					'rev',
					'7',
					'src',
					'x',
					'owner',
					'shopify',
				],
				['sku', 'sku', 'loc', 'L1', 'delta', '3', 'id', 'o:2'],
			],
			skus: ['A', 'sku'],
		});
	});

	it('adjust: refuses a payload without owner or entries, or an entry without sku, delta or id', () => {
		const adjust = (payload: ChannelDeadLetterRecord['payload']) =>
			planReplay(channelLetter({ operation: 'adjust', payload }), context());
		expect(adjust(null)).toMatchObject({ mode: 'refused' });
		expect(adjust({ entries: [{ sku: 'A', delta: '1', id: 'x' }] })).toMatchObject({
			mode: 'refused',
			detail: expect.stringMatching(/owner/),
		});
		expect(adjust({ owner: 'shopify', entries: [] })).toMatchObject({ mode: 'refused' });
		expect(adjust({ owner: 'shopify', entries: [{ sku: 'A', delta: '1' }] })).toMatchObject({
			mode: 'refused',
			detail: expect.stringMatching(/'id'/),
		});
		expect(
			adjust({ owner: 'shopify', entries: [{ sku: 'A', delta: '1', id: 'x', extra: { a: 1 } }] }),
		).toMatchObject({ mode: 'refused', detail: expect.stringMatching(/extra/) });
	});

	it('inbox: back into its own stream, only under the prefix and never into a ledger key', () => {
		expect(planReplay(inboxLetter(), context())).toEqual({
			mode: 'inbox',
			stream: 'invsync:inbox',
		});
		expect(planReplay(inboxLetter('invsync:orders-eu'), context())).toMatchObject({
			mode: 'inbox',
		});
		for (const stream of [
			'other:inbox',
			'invsync:dlq',
			'invsync:profile',
			'invsync:a:b',
			'invsync:',
		]) {
			expect(planReplay(inboxLetter(stream), context())).toMatchObject({ mode: 'refused' });
		}
	});
});

describe('letterView', () => {
	it('a channel record: the common fields first, the SKUs once each', () => {
		expect(letterView(channelLetter())).toMatchObject({
			id: '1-0',
			kind: 'channel',
			channel: 'shopify',
			operation: 'publish',
			skus: ['A', 'B'],
			attempts: 4,
			replayOf: null,
		});
	});

	it('an inbox record: credential-named headers redacted, the body shown up to its limit', () => {
		const big = Buffer.from('x'.repeat(MAX_BODY_SHOWN + 5));
		const view = letterView(inboxLetter(undefined, big));
		expect(view).toMatchObject({
			kind: 'inbox',
			channel: null,
			platform: 'shopify',
			receivedAt: TIME,
			headers: { 'x-shopify-topic': 'orders/create', authorization: '[redacted]' },
			bodyBytes: MAX_BODY_SHOWN + 5,
			bodyTruncated: true,
		});
		expect(String(view.body)).toHaveLength(MAX_BODY_SHOWN);
	});
});
