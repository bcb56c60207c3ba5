import {
	CHANNEL_DEAD_LETTER_FIELDS,
	DeadLetterRecordError,
	REDACTED,
	channelDeadLetterFields,
	channelErrorFields,
	cleanPayload,
	deadLetterFields,
	readAnyDeadLetter,
	readChannelDeadLetter,
	scrubSecrets,
	type ChannelDeadLetterRecord,
} from '../../../nodes/shared/deadLetters';

const record: ChannelDeadLetterRecord = {
	reason: 'breakerOpen',
	channel: 'woo-eu',
	operation: 'adjust',
	items: [
		{ sku: 'Ünïcødé-😀', delta: -3, locationId: 'woocommerce:shop.example:default' },
		{ sku: 'BIG', quantity: Number.MAX_SAFE_INTEGER },
	],
	payload: { update: [{ id: '271878346596884015', stock_quantity: 4 }] },
	errorClass: 'BreakerOpenError',
	errorMessage: 'breaker open for woo-eu',
	attempts: 0,
	firstFailureAt: '2026-11-28T10:00:00.000Z',
	lastFailureAt: '2026-11-28T10:00:00.000Z',
	deadAt: '2026-11-28T10:00:00.001+01:00',
};

const bad = (overrides: object) => () =>
	channelDeadLetterFields({ ...record, ...overrides } as ChannelDeadLetterRecord);

describe('channel dead-letter record', () => {
	it('fields in the documented order, kind and reason first like the inbox record, JSON for items and payload', () => {
		const fields = channelDeadLetterFields(record);
		expect(fields.filter((_, i) => i % 2 === 0)).toEqual([...CHANNEL_DEAD_LETTER_FIELDS]);
		expect(fields.slice(0, 4)).toEqual(['kind', 'channel', 'reason', 'breakerOpen']);
		expect(JSON.parse(fields[9])).toEqual(record.items);
		expect(fields[11]).toBe('{"update":[{"id":"271878346596884015","stock_quantity":4}]}');
		expect(fields[17]).toBe('0');
		expect(fields[25]).toBe('');
	});

	it('reads back exactly, from text or bytes; replayOf only when set', () => {
		const text = readChannelDeadLetter('5-0', channelDeadLetterFields(record));
		expect(text).toEqual({ id: '5-0', kind: 'channel', ...record });
		expect('replayOf' in text).toBe(false);
		const replayed = { ...record, replayOf: '1-7' };
		const bytes = channelDeadLetterFields(replayed).map((f) => Buffer.from(f));
		expect(readAnyDeadLetter('6-0', bytes)).toEqual({ id: '6-0', kind: 'channel', ...replayed });
	});

	it('item fields are written in one order, whatever order they came in', () => {
		const fields = channelDeadLetterFields({
			...record,
			items: [{ locationId: 'L', delta: 1, quantity: 2, sku: 'S' }],
		});
		expect(fields[9]).toBe('[{"sku":"S","quantity":2,"delta":1,"locationId":"L"}]');
	});

	it.each([
		['an empty channel', { channel: '' }],
		['an operation that is not a word', { operation: 'pub lish' }],
		['a negative attempt count', { attempts: -1 }],
		['a fractional attempt count', { attempts: 1.5 }],
		['a time that is not ISO 8601', { firstFailureAt: '28/11/2026' }],
		['an impossible date', { lastFailureAt: '2026-13-45T99:00:00Z' }],
		['a replayOf that is no stream id', { replayOf: 'abc' }],
		['items that are no list', { items: { sku: 'A' } }],
		['an item without a SKU', { items: [{ quantity: 1 }] }],
		['an unsafe quantity', { items: [{ sku: 'A', quantity: 2 ** 53 }] }],
		['a fractional delta', { items: [{ sku: 'A', delta: 0.5 }] }],
		['an unknown item field', { items: [{ sku: 'A', qty: 1 }] }],
		['a payload with NaN', { payload: { n: Number.NaN } }],
		['a payload with undefined', { payload: { n: undefined } }],
		['a payload with a Date', { payload: { at: new Date(0) } }],
		['a payload with a bigint', { payload: { n: BigInt(1) } }],
	])('refuses %s', (_what, overrides) => {
		expect(bad(overrides)).toThrow(DeadLetterRecordError);
	});

	it('refuses a payload that refers to itself, but not one that repeats a value', () => {
		const shared = { a: 1 };
		expect(cleanPayload({ x: shared, y: shared })).toEqual({ x: { a: 1 }, y: { a: 1 } });
		const loop: Record<string, unknown> = {};
		loop.self = loop;
		expect(() => cleanPayload(loop)).toThrow(/refers to itself/);
	});

	it('an entry that is not a channel record is refused, saying why', () => {
		const fields = channelDeadLetterFields(record);
		expect(() => readChannelDeadLetter('1-0', fields.slice(0, 10))).toThrow(/5 fields/);
		const renamed = [...fields];
		renamed[4] = 'chanel';
		expect(() => readChannelDeadLetter('1-0', renamed)).toThrow(/field 'channel' missing/);
		const broken = [...fields];
		broken[11] = '{not json';
		expect(() => readChannelDeadLetter('1-0', broken)).toThrow(/payload is not JSON/);
		const count = [...fields];
		count[17] = '-1';
		expect(() => readChannelDeadLetter('1-0', count)).toThrow(/attempts '-1' is not a count/);
		expect(() => readAnyDeadLetter('1-0', [Buffer.from('kind'), Buffer.from('x')])).toThrow(
			/unknown kind 'x'/,
		);
	});

	it('the inbox record is read as before through readAnyDeadLetter', () => {
		const fields = deadLetterFields(
			{
				kind: 'inbox',
				reason: 'r',
				entryId: '1-0',
				stream: 's',
				group: 'g',
				deliveries: 2,
				deadAt: 'now',
				consumer: 'c',
			},
			['body', '{}'],
		).map((f) => Buffer.from(f));
		const letter = readAnyDeadLetter('2-0', fields);
		expect(letter.kind).toBe('inbox');
		if (letter.kind === 'inbox') expect(letter.entry.body.toString()).toBe('{}');
	});
});

describe('secrets', () => {
	it.each([
		['a Shopify Admin token', 'token shpat_abcdef0123456789 used', `token ${REDACTED} used`],
		['a Shopify shared secret', 'shpss_00ffEE11aa', REDACTED],
		['WooCommerce keys', 'ck_0123456789abcdef / cs_fedcba9876543210', `${REDACTED} / ${REDACTED}`],
		['a bearer token', 'Authorization: Bearer abc.def-ghi', `Authorization: ${REDACTED}`],
		['basic auth', 'sent Basic dXNlcjpwYXNz, refused', `sent Basic ${REDACTED}, refused`],
		[
			'query parameters',
			'/products?consumer_key=k1&consumer_secret=s2&page=1',
			`/products?consumer_key=${REDACTED}&consumer_secret=${REDACTED}&page=1`,
		],
		[
			'a JSON header dump',
			'{"X-Shopify-Access-Token":"tok123"}',
			`{"X-Shopify-Access-Token":"${REDACTED}"}`,
		],
		// The shared scrubber (shared/secrets.ts) drops URL user info, as retry.ts did: stricter than a marker.
		['URL user info', 'https://me:pw@shop.example/x', 'https://shop.example/x'],
		[
			'nothing secret',
			'HTTP 503 from shop.example (SKU A-1)',
			'HTTP 503 from shop.example (SKU A-1)',
		],
	])('scrubSecrets: %s', (_what, text, expected) => {
		expect(scrubSecrets(text)).toBe(expected);
	});

	it("scrubSecrets: the node's own credential values wherever they occur (not too-short ones)", () => {
		expect(scrubSecrets('a my-secret-value b my-secret-value', ['my-secret-value'])).toBe(
			`a ${REDACTED} b ${REDACTED}`,
		);
		expect(scrubSecrets('abc abc', ['abc', ''])).toBe('abc abc');
	});

	it('channelErrorFields reads only the class name and the message, scrubbed and capped', () => {
		class ChannelDownError extends Error {}
		const error = Object.assign(new ChannelDownError(`down: ${'x'.repeat(2_000)}`), {
			config: { headers: { Authorization: 'Bearer shpat_planted0000' } },
			cause: 'shpat_planted0000',
		});
		const fields = channelErrorFields(error);
		expect(fields.errorClass).toBe('ChannelDownError');
		expect(fields.errorMessage).toHaveLength(1_000);
		expect(JSON.stringify(fields)).not.toContain('planted');
		expect(channelErrorFields(Object.assign(new Error('m'), { name: 'NodeApiError' }))).toEqual({
			errorClass: 'NodeApiError',
			errorMessage: 'm',
		});
		expect(channelErrorFields('text failure shpat_abc12345')).toEqual({
			errorClass: 'Error',
			errorMessage: `text failure ${REDACTED}`,
		});
		expect(channelErrorFields({ token: 'shpat_abc12345' })).toEqual({
			errorClass: 'object',
			errorMessage: '',
		});
	});

	it('cleanPayload redacts credential-named values at any depth and scrubs strings; the rest is untouched', () => {
		expect(
			cleanPayload(
				{
					query: 'mutation { x }',
					headers: { authorization: 'Bearer z', 'Content-Type': 'application/json' },
					list: [{ access_token: 'a', consumer_secret: 'b', note: 'key ck_0123456789abcdef' }],
					numbers: [0, -1, 1.5, 1e21],
				},
				['zzz-secret'],
			),
		).toEqual({
			query: 'mutation { x }',
			headers: { authorization: REDACTED, 'Content-Type': 'application/json' },
			list: [{ access_token: REDACTED, consumer_secret: REDACTED, note: `key ${REDACTED}` }],
			numbers: [0, -1, 1.5, 1e21],
		});
	});

	it('a record scrubs its message and payload again with the given secrets', () => {
		const fields = channelDeadLetterFields(
			{
				...record,
				errorMessage: 'failed with plain-secret-123',
				payload: { note: 'plain-secret-123' },
			},
			['plain-secret-123'],
		);
		expect(fields.join('\n')).not.toContain('plain-secret-123');
	});
});
