import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { escapeKeyPart, keyTextBytes } from '../../../nodes/shared/keys';

// Issue 15, item 6: 'S\ud800', 'S\udfff' and 'S\ufffd' shared one key (Buffer.from(…, 'utf8') turns a lone
// surrogate into U+FFFD). The escape must be injective on every JavaScript string and unchanged for every
// well-formed one (existing keys in users' Redis).

/** The escape as it was before the fix: the reference for well-formed texts. */
function escapeBefore(text: string): string {
	const escaped = /^[A-Za-z0-9._-]*$/.test(text)
		? text
		: Array.from(Buffer.from(text, 'utf8'))
				.map((byte) => {
					const ch = String.fromCharCode(byte);
					return byte < 0x80 && /[A-Za-z0-9._-]/.test(ch)
						? ch
						: `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
				})
				.join('');
	if (escaped.length <= 200) return escaped;
	return `h~${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}

/** Inverse of the short form: %XX and safe characters → bytes → code points (surrogates allowed) → text. */
function unescapeKeyPart(part: string): string {
	const bytes: number[] = [];
	for (let i = 0; i < part.length; ) {
		if (part[i] === '%') {
			bytes.push(parseInt(part.slice(i + 1, i + 3), 16));
			i += 3;
		} else {
			bytes.push(part.charCodeAt(i));
			i += 1;
		}
	}
	let text = '';
	for (let i = 0; i < bytes.length; ) {
		const b = bytes[i];
		const size = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
		let cp = size === 1 ? b : b & (0x3f >> (size - 1));
		for (let k = 1; k < size; k++) cp = (cp << 6) | (bytes[i + k] & 0x3f);
		text += cp > 0xffff ? String.fromCodePoint(cp) : String.fromCharCode(cp);
		i += size;
	}
	return text;
}

const HALVES = ['\ud800', '\udbff', '\udc00', '\udfff', '\ud83d', '\ude00', '\ufffd'];
/** Any UTF-16 code unit, lone surrogate halves included. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u));
/** Mostly surrogate halves, U+FFFD and escape-like ASCII, so that collisions are likely when they exist. */
const collisionProneUnit = fc.oneof(
	fc.constantFrom(...HALVES),
	fc.constantFrom('S', '%', 'E', 'D', 'F', 'B', '8', '0', '~', 'h'),
	codeUnit,
);
const texts16 = fc.string({ unit: codeUnit, maxLength: 80 });
const textsProne = fc.string({ unit: collisionProneUnit, maxLength: 12 });
const textsBinary = fc.string({ unit: 'binary', maxLength: 80 });
/** Over 200 escaped characters: the digest form. */
const LONG = 'x'.repeat(200);

describe('escapeKeyPart with lone surrogates (issue 15, item 6)', () => {
	it('gives S\\ud800, S\\udfff and S\\ufffd three keys', () => {
		const keys = ['S\ud800', 'S\udfff', 'S\ufffd'].map(escapeKeyPart);
		expect(new Set(keys).size).toBe(3);
		expect(keys).toEqual(['S%ED%A0%80', 'S%ED%BF%BF', 'S%EF%BF%BD']);
	});

	it('gives long texts that differ only in a lone surrogate three digests', () => {
		const keys = [`${LONG}\ud800`, `${LONG}\udfff`, `${LONG}\ufffd`].map(escapeKeyPart);
		expect(keys.every((k) => /^h~[0-9a-f]{64}$/.test(k))).toBe(true);
		expect(new Set(keys).size).toBe(3);
		const middle = [`a\ud800${LONG}`, `a\udc00${LONG}`, `a\ufffd${LONG}`].map(escapeKeyPart);
		expect(new Set(middle).size).toBe(3);
	});

	it('tells a pair from its halves in the other order, and keeps pairs as UTF-8', () => {
		expect(escapeKeyPart('\ud83d\ude00')).toBe('%F0%9F%98%80');
		expect(escapeKeyPart('\ude00\ud83d')).toBe('%ED%B8%80%ED%A0%BD');
		expect(escapeKeyPart('\ud83d\ud83d\ude00')).toBe('%ED%A0%BD%F0%9F%98%80');
	});

	it('hashes the same bytes it escapes', () => {
		const text = `${LONG}\ud800`;
		expect(keyTextBytes(text).toString('hex')).toBe(`${'78'.repeat(200)}eda080`);
		expect(escapeKeyPart(text)).toBe(
			`h~${createHash('sha256').update(keyTextBytes(text)).digest('hex')}`,
		);
	});

	it('property: the short form decodes back to the text (so it is injective), any code units', () => {
		fc.assert(
			fc.property(fc.oneof(texts16, textsProne, textsBinary), (text) => {
				const part = escapeKeyPart(text);
				expect(/^(?:[A-Za-z0-9._-]|%[0-9A-F]{2})*$|^h~[0-9a-f]{64}$/.test(part)).toBe(true);
				if (!part.startsWith('h~')) expect(unescapeKeyPart(part)).toBe(text);
				return true;
			}),
			{ numRuns: 3000 },
		);
	});

	it('property: different texts give different parts, short and digest forms', () => {
		const pair = (texts: fc.Arbitrary<string>) =>
			fc
				.tuple(fc.boolean(), texts, texts)
				.map(([long, a, b]) => (long ? [LONG + a, LONG + b] : [a, b]));
		fc.assert(
			fc.property(fc.oneof(pair(texts16), pair(textsProne), pair(textsBinary)), ([a, b]) => {
				const ka = escapeKeyPart(a);
				const kb = escapeKeyPart(b);
				expect(ka.includes(':')).toBe(false);
				if (a !== b) expect(ka).not.toBe(kb);
				else expect(ka).toBe(kb);
				return true;
			}),
			{ numRuns: 5000 },
		);
	});

	it('property: well-formed texts keep the parts they had before the fix', () => {
		const wellFormed = fc.oneof(
			textsBinary,
			fc.string({ unit: 'grapheme', maxLength: 60 }),
			textsBinary.map((t) => LONG + t),
			fc.string({ unit: 'grapheme-ascii', maxLength: 260 }),
		);
		fc.assert(
			fc.property(wellFormed, (text) => {
				expect(escapeKeyPart(text)).toBe(escapeBefore(text));
				expect(keyTextBytes(text).equals(Buffer.from(text, 'utf8'))).toBe(true);
				return true;
			}),
			{ numRuns: 3000 },
		);
	});
});
