import fc from 'fast-check';
import { parseJsonExact } from '../../../nodes/shared/json';

describe('parseJsonExact', () => {
	it('keeps integers above 2^53 exact, as strings', () => {
		const parsed = parseJsonExact('{"id":271878346596884015,"small":42,"price":"9.99","f":1.5}') as Record<string, unknown>;
		expect(parsed.id).toBe('271878346596884015');
		expect(parsed.small).toBe(42);
		expect(parsed.f).toBe(1.5);
	});

	it('uses plain numbers for every safe integer, also on the slow path', () => {
		const parsed = parseJsonExact('{"a":9007199254740991,"b":9007199254740993,"c":[1,2]}') as Record<string, unknown>;
		expect(parsed.a).toBe(9007199254740991);
		expect(parsed.b).toBe('9007199254740993');
		expect(parsed.c).toEqual([1, 2]);
	});

	it('throws on text that is not JSON', () => {
		expect(() => parseJsonExact('{"a":')).toThrow();
		expect(() => parseJsonExact('webhook_id=1')).toThrow();
	});

	it('property: agrees with JSON.parse on JSON without unsafe numbers', () => {
		fc.assert(
			fc.property(fc.json(), (text) => {
				const native = JSON.parse(text);
				if (/[0-9]{16,}/.test(text)) return true;
				expect(parseJsonExact(text)).toEqual(native);
				return true;
			}),
			{ numRuns: 300 },
		);
	});
});
