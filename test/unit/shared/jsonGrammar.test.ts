import fc from 'fast-check';
import { isSafeNumber, parse as parseLossless } from 'lossless-json';
import { parseJsonExact } from '../../../nodes/shared/json';

// Issue 15, item 7: the exact parser must accept exactly what JSON.parse accepts, and where it accepts give
// the same value, except that integers beyond 2^53 arrive as their exact decimal strings.

type Outcome = { ok: true; value: unknown } | { ok: false };

function attempt(parse: (text: string) => unknown, text: string): Outcome {
	try {
		return { ok: true, value: parse(text) };
	} catch {
		return { ok: false };
	}
}

const UNSAFE_INTEGER = /^-?[1-9][0-9]{15,}$/;

/**
 * `exact` (ours) against `native` (JSON.parse of the same text): the same shape, keys in the same order,
 * Object.is on every leaf, except an unsafe integer, which must be its exact digits where JSON.parse has the
 * rounded number.
 */
function expectSameValue(exact: unknown, native: unknown, path = '$'): void {
	if (typeof native === 'number' && typeof exact === 'string') {
		if (!UNSAFE_INTEGER.test(exact) || Number.isSafeInteger(Number(exact))) {
			throw new Error(`${path}: string ${JSON.stringify(exact)} where JSON.parse gives ${native}`);
		}
		expect(Number(exact)).toBe(native);
		return;
	}
	if (native === null || typeof native !== 'object') {
		if (!Object.is(exact, native)) {
			throw new Error(`${path}: ${String(exact)} where JSON.parse gives ${String(native)}`);
		}
		return;
	}
	expect(Array.isArray(exact)).toBe(Array.isArray(native));
	expect(exact !== null && typeof exact === 'object').toBe(true);
	const e = exact as Record<string, unknown>;
	const n = native as Record<string, unknown>;
	expect(Object.keys(e)).toEqual(Object.keys(n));
	for (const k of Object.keys(n)) expectSameValue(e[k], n[k], `${path}.${k}`);
}

/** lossless-json, mapped to our convention; it refuses some texts JSON.parse accepts (duplicate keys). */
function lossless(text: string): Outcome {
	return attempt(
		(t) =>
			parseLossless(t, undefined, (s: string) =>
				isSafeNumber(s) ? Number(s) : /^-?[0-9]+$/.test(s) ? s : Number(s),
			),
		text,
	);
}

/** Same decision as JSON.parse; on acceptance the same value, and lossless-json's exact digits. */
function expectLikeJsonParse(text: string): void {
	const native = attempt(JSON.parse, text);
	const exact = attempt(parseJsonExact, text);
	if (exact.ok !== native.ok) {
		throw new Error(
			`${JSON.stringify(text)}: JSON.parse ${native.ok ? 'accepts' : 'refuses'}, parseJsonExact ${exact.ok ? 'accepts' : 'refuses'}`,
		);
	}
	if (!exact.ok || !native.ok) return;
	expectSameValue(exact.value, native.value);
	const oracle = lossless(text);
	if (oracle.ok) expect(exact.value).toEqual(oracle.value);
}

const BIG = '12345678901234567890';

describe('parseJsonExact accepts exactly what JSON.parse accepts (issue 15, item 7)', () => {
	it('refuses the reported texts', () => {
		expect(() => parseJsonExact(`{"id":0${BIG.slice(1)}}`)).toThrow();
		expect(() => parseJsonExact('{"id":01234567890123456789}')).toThrow();
		expect(() => parseJsonExact(`{${BIG}:1}`)).toThrow();
	});

	it.each([
		// leading zeros
		`[0${BIG}]`,
		`[-0${BIG}]`,
		`[00]`,
		`[-01]`,
		`[0]`,
		`[-0]`,
		`-0`,
		`[0.${BIG}]`,
		// '-' alone, '1.', '.5', '1e', '+1' and their long forms
		'[-]',
		'-',
		'[1.]',
		`[${BIG}.]`,
		'[.5]',
		`[.${BIG}]`,
		'[1e]',
		`[${BIG}e]`,
		`[${BIG}e1]`,
		`[${BIG}E+1]`,
		`[1e${BIG}]`,
		`[1e+${BIG}]`,
		'[+1]',
		`[+${BIG}]`,
		`[--${BIG}]`,
		`[- ${BIG}]`,
		`[${BIG}-]`,
		`[${BIG}+]`,
		// unquoted and number keys
		`{${BIG}:1}`,
		`{-${BIG}:1}`,
		`{"a":1,${BIG}:2}`,
		`{ ${BIG} \n\t\r : 2}`,
		`[${BIG}:1]`,
		`{"a":${BIG}}`,
		`{"a" : ${BIG} , "b":-${BIG}}`,
		'{a:1}',
		'{1:1}',
		// trailing commas, missing separators
		`[${BIG},]`,
		`{"a":${BIG},}`,
		`[${BIG} ${BIG}]`,
		`[${BIG}"x"]`,
		`["x"${BIG}]`,
		`{"a"${BIG}}`,
		`[,${BIG}]`,
		// control characters inside strings, bad escapes, lone surrogate escapes
		`["\u0001",${BIG}]`,
		`["\t",${BIG}]`,
		`["\\x",${BIG}]`,
		`["\\u12",${BIG}]`,
		`["\\u12g4",${BIG}]`,
		`["\\ud800",${BIG}]`,
		`["\\udfff\\ud800",${BIG}]`,
		`{"\\ud800":${BIG},"\\udfff":${BIG}1}`,
		`["\\\\",${BIG}]`,
		`["\\\\\\"${BIG}"]`,
		`["\\"${BIG}]`,
		`["${BIG}`,
		// whitespace: only space, tab, LF, CR
		` \t\n\r${BIG} \t\n\r`,
		`\u00a0${BIG}`,
		`${BIG}\u00a0`,
		`\f${BIG}`,
		`[\v${BIG}]`,
		`\ufeff${BIG}`,
		`[${BIG}\u2028]`,
		// trailing garbage, empty input
		`${BIG} x`,
		`${BIG}x`,
		`${BIG} ${BIG}`,
		`{"a":${BIG}}}`,
		`[${BIG}]]`,
		'',
		' ',
		`${BIG}`,
		`-${BIG}`,
		`${BIG}${BIG}`,
		'9007199254740993',
		'9007199254740992',
		'1000000000000000',
		`"${BIG}"`,
		// nesting
		`${'['.repeat(200)}${BIG}${']'.repeat(200)}`,
		`${'['.repeat(200)}${BIG}${']'.repeat(199)}`,
		`{"a":{"b":[{"c":${BIG}}]}}`,
		`{"a":{"b":[{"c":${BIG}}}]}`,
		// duplicate keys: JSON.parse keeps the last
		`{"a":${BIG},"a":1}`,
		`{"a":1,"a":${BIG}}`,
		`{"__proto__":${BIG}}`,
		// literals
		`[true,${BIG}]`,
		`[tru,${BIG}]`,
		`[null${BIG}]`,
	])('decides %j like JSON.parse', (text) => {
		expectLikeJsonParse(text);
	});

	const bigInt = fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n });
	const value = fc.letrec((tie) => ({
		node: fc.oneof(
			{ depthSize: 'small' },
			bigInt,
			fc.integer(),
			fc.double({ noNaN: true, noDefaultInfinity: true }),
			fc.string({ unit: 'binary' }),
			fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)) }),
			fc.constantFrom(null, true, false, '\\', '"'),
			fc.array(tie('node'), { maxLength: 4 }),
			fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('a', BIG)), tie('node'), {
				maxKeys: 4,
			}),
		),
	})).node;
	const toText = (v: unknown, space: number | string): string =>
		JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `__BIG__${x}__` : x), space).replace(
			/"__BIG__(-?[0-9]+)__"/g,
			'$1',
		);
	/** Valid JSON texts, many with integers beyond 2^53 (the slow path). */
	const validText = fc.oneof(
		fc.json(),
		fc.jsonValue().map((v) => JSON.stringify(v)),
		fc.tuple(value, fc.constantFrom(0, 1, 2, '\t', ' \r\n')).map(([v, space]) => toText(v, space)),
	);

	it('property: on valid JSON it agrees with JSON.parse (exact strings beyond 2^53)', () => {
		fc.assert(
			fc.property(validText, (text) => {
				expect(attempt(JSON.parse, text).ok).toBe(true);
				expectLikeJsonParse(text);
				return true;
			}),
			{ numRuns: 2000 },
		);
	});

	const ALPHABET = '0123456789-+.eE{}[]:,"\\ \tn\r\nu';
	const insertion = fc.oneof(
		fc.constantFrom(...ALPHABET.split('')),
		fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)),
		fc.constantFrom(BIG, `0${BIG}`, `-${BIG}`, '\\u', '\\ud800', 'true', 'null', '\u00a0', '\f'),
	);
	const mutation = fc.record({
		kind: fc.constantFrom('insert', 'delete', 'replace'),
		at: fc.nat(),
		text: insertion,
	});
	function mutate(
		text: string,
		mutations: Array<{ kind: string; at: number; text: string }>,
	): string {
		let t = text;
		for (const m of mutations) {
			const at = t.length === 0 ? 0 : m.at % (t.length + 1);
			if (m.kind === 'insert') t = t.slice(0, at) + m.text + t.slice(at);
			else if (m.kind === 'delete') t = t.slice(0, at) + t.slice(at + 1);
			else t = t.slice(0, at) + m.text + t.slice(at + 1);
		}
		return t;
	}

	it('property: on mutated JSON it accepts exactly when JSON.parse accepts, with the same value', () => {
		let accepted = 0;
		let slow = 0;
		fc.assert(
			fc.property(
				validText,
				fc.array(mutation, { minLength: 1, maxLength: 3 }),
				(text, mutations) => {
					const mutated = mutate(text, mutations);
					if (attempt(JSON.parse, mutated).ok) accepted++;
					if (/[0-9]{16,}/.test(mutated)) slow++;
					expectLikeJsonParse(mutated);
					return true;
				},
			),
			{ numRuns: 20000 },
		);
		// The run must exercise both decisions and the quoting path, or it proves nothing.
		expect(accepted).toBeGreaterThan(1000);
		expect(slow).toBeGreaterThan(5000);
	});
});
