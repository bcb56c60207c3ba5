import fc from 'fast-check';
import { isSafeNumber, parse as parseLossless } from 'lossless-json';
import { parseJsonExact } from '../../../nodes/shared/json';

describe('parseJsonExact', () => {
	it('keeps integers above 2^53 exact, as strings', () => {
		const parsed = parseJsonExact(
			'{"id":271878346596884015,"small":42,"price":"9.99","f":1.5}',
		) as Record<string, unknown>;
		expect(parsed.id).toBe('271878346596884015');
		expect(parsed.small).toBe(42);
		expect(parsed.f).toBe(1.5);
	});

	it('uses plain numbers for every safe integer, also on the slow path', () => {
		const parsed = parseJsonExact(
			'{"a":9007199254740991,"b":9007199254740993,"c":[1,2]}',
		) as Record<string, unknown>;
		expect(parsed.a).toBe(9007199254740991);
		expect(parsed.b).toBe('9007199254740993');
		expect(parsed.c).toEqual([1, 2]);
	});

	it('never touches digits inside strings, also after escaped quotes', () => {
		const text =
			'{"note":"id 271878346596884015 \\" 9007199254740993","id":9007199254740993,"n":-9007199254740993,"f":90071992547409931.5}';
		const parsed = parseJsonExact(text) as Record<string, unknown>;
		expect(parsed.note).toBe('id 271878346596884015 " 9007199254740993');
		expect(parsed.id).toBe('9007199254740993');
		expect(parsed.n).toBe('-9007199254740993');
		expect(parsed.f).toBe(90071992547409931.5);
	});

	it('property: agrees with lossless-json (exact strings for unsafe integers) on JSON with 64-bit ids', () => {
		const bigInt = fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n });
		const value = fc.letrec((tie) => ({
			node: fc.oneof(
				{ depthSize: 'small' },
				bigInt,
				fc.integer(),
				fc.double({ noNaN: true, noDefaultInfinity: true }),
				fc.string({ unit: 'grapheme' }),
				fc.constantFrom('"\\"12345678901234567', 'x\\', null, true),
				fc.array(tie('node'), { maxLength: 4 }),
				fc.dictionary(fc.string(), tie('node'), { maxKeys: 4 }),
			),
		})).node;
		const toText = (v: unknown, space: number): string =>
			JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `__BIG__${x}__` : x), space).replace(
				/"__BIG__(-?[0-9]+)__"/g,
				'$1',
			);
		fc.assert(
			fc.property(value, fc.constantFrom(0, 2), (v, space) => {
				const text = toText(v, space);
				const oracle = parseLossless(text, undefined, (s: string) =>
					isSafeNumber(s) ? Number(s) : /^-?[0-9]+$/.test(s) ? s : Number(s),
				);
				expect(parseJsonExact(text)).toEqual(oracle);
				return true;
			}),
			{ numRuns: 500 },
		);
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
