import {
	DEAD_LETTER_FIELDS,
	deadLetterFields,
	deadLetterReason,
	readDeadLetter,
	type DeadLetterHeader,
} from '../../../nodes/shared/deadLetters';

const header: DeadLetterHeader = {
	kind: 'inbox',
	reason: 'no successful run after 5 deliveries; last error: boom',
	entryId: '1764122400000-3',
	stream: 'invsync:inbox',
	group: 'inbox-trigger',
	deliveries: 6,
	deadAt: '2026-11-26T15:00:00.000Z',
	consumer: 'host-1-abc',
};

describe('dead-letter records', () => {
	it('the reason says how many deliveries had no successful run, and the last error', () => {
		expect(deadLetterReason(5, 'boom')).toBe(
			'no successful run after 5 deliveries; last error: boom',
		);
		expect(deadLetterReason(1, undefined)).toBe('no successful run after 1 delivery');
		expect(deadLetterReason(2, 'x'.repeat(600))).toBe(
			`no successful run after 2 deliveries; last error: ${'x'.repeat(500)}`,
		);
	});

	it("header fields first, in the documented order, then the entry's own fields", () => {
		const fields = deadLetterFields(header, ['platform', 'shopify', 'body', '{}']);
		expect(fields.filter((_, i) => i % 2 === 0)).toEqual([
			...DEAD_LETTER_FIELDS,
			'platform',
			'body',
		]);
		expect(fields.slice(0, 4)).toEqual(['kind', 'inbox', 'reason', header.reason]);
		expect(fields[11]).toBe('6');
	});

	it('reads back what was written, text or bytes', () => {
		const text = readDeadLetter(
			'9-0',
			deadLetterFields(header, ['platform', 'shopify', 'body', '{}']),
		);
		expect(text).toEqual({ id: '9-0', ...header, entry: { platform: 'shopify', body: '{}' } });
		const body = Buffer.from([0xff, 0x00]);
		const bytes = readDeadLetter('9-1', [
			...deadLetterFields(header, []).map((f) => Buffer.from(f)),
			Buffer.from('body'),
			body,
		]);
		expect(bytes.deliveries).toBe(6);
		expect(bytes.entry.body.equals(body)).toBe(true);
	});

	it('an entry that is not a dead letter is refused, saying what is missing', () => {
		expect(() => readDeadLetter('1-0', ['kind', 'inbox', 'reason', 'test'])).toThrow(
			/field 'entryId' missing/,
		);
		const fields = deadLetterFields(header, []);
		fields[11] = 'many';
		expect(() => readDeadLetter('1-1', fields)).toThrow(/deliveries 'many' is not a count/);
	});
});
