/**
 * JSON parsing that keeps 64-bit ids exact. Shopify and WooCommerce ids are integers that can exceed 2^53,
 * which `JSON.parse` silently rounds (271878346596884015 → 271878346596884000).
 *
 * Fast path: a text without any run of 16 or more digits cannot hold an unsafe integer (every integer of at
 * most 15 digits is below 2^53), so the native parser is exact for it — most payloads today.
 * Otherwise one linear scan finds the integer literals outside strings that are not safe integers and
 * quotes them, and the native parser does the rest: such numbers arrive as their exact decimal strings,
 * every other value exactly as JSON.parse gives it. This is 4–5× faster than a JavaScript JSON parser
 * (lossless-json, which the tests use as the oracle) on a 20-line order, and receipt cost matters (README
 * "Sizing").
 *
 * Quoting must not turn a text JSON.parse refuses into one it accepts, so a run is quoted only where it is a
 * JSON number token in a value position: no leading zero (`01234567890123456789` stays, and JSON.parse
 * refuses it), and not followed by ':' (`{12345678901234567890:1}` stays a number key, refused). Then the
 * quoted text is valid exactly when the original is: the run is outside strings by the same quote/backslash
 * rule JSON uses, it is a whole number token (the scan stops only at a character that cannot continue it,
 * and an integer run holds only digits after an optional '-'), and a number and a string token may stand in
 * the same value positions. Everything else — grammar, escapes, whitespace, duplicate keys — is JSON.parse's.
 */
const LONG_DIGIT_RUN = /[0-9]{16,}/;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
const DOT = 0x2e;
const LOWER_E = 0x65;
const UPPER_E = 0x45;
const PLUS = 0x2b;
const COLON = 0x3a;
const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;

/** End (exclusive) of the string literal whose opening quote is at `start`. */
function stringEnd(text: string, start: number): number {
	let i = start;
	for (;;) {
		i = text.indexOf('"', i + 1);
		if (i < 0) return text.length; // unterminated: JSON.parse reports it
		let backslashes = 0;
		for (let j = i - 1; text.charCodeAt(j) === BACKSLASH; j--) backslashes++;
		if (backslashes % 2 === 0) return i + 1;
	}
}

/** Whether the next character after JSON whitespace (space, tab, LF, CR only) at `from` is ':'. */
function followedByColon(text: string, from: number): boolean {
	let i = from;
	for (;;) {
		const c = text.charCodeAt(i);
		if (c === SPACE || c === TAB || c === LF || c === CR) i++;
		else return c === COLON;
	}
}

function quoteUnsafeIntegers(text: string): string {
	const parts: string[] = [];
	let copied = 0;
	const n = text.length;
	let i = 0;
	while (i < n) {
		const c = text.charCodeAt(i);
		if (c === QUOTE) {
			i = stringEnd(text, i);
			continue;
		}
		if (c === MINUS || (c >= ZERO && c <= NINE)) {
			const start = i;
			i++;
			let integer = true;
			while (i < n) {
				const d = text.charCodeAt(i);
				if (d >= ZERO && d <= NINE) i++;
				else if (d === DOT || d === LOWER_E || d === UPPER_E || d === PLUS || d === MINUS) {
					integer = false;
					i++;
				} else break;
			}
			const first = c === MINUS ? start + 1 : start;
			if (
				integer &&
				i - first >= 16 &&
				text.charCodeAt(first) !== ZERO &&
				!Number.isSafeInteger(Number(text.slice(start, i))) &&
				!followedByColon(text, i)
			) {
				parts.push(text.slice(copied, start), '"', text.slice(start, i), '"');
				copied = i;
			}
			continue;
		}
		i++;
	}
	if (copied === 0) return text;
	parts.push(text.slice(copied));
	return parts.join('');
}

export function parseJsonExact(text: string): unknown {
	if (!LONG_DIGIT_RUN.test(text)) return JSON.parse(text);
	return JSON.parse(quoteUnsafeIntegers(text));
}
