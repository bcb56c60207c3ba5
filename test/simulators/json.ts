import { parse as parseLossless, isSafeNumber, isInteger } from 'lossless-json';

/**
 * JSON text for the simulators and payload builders, exact for 64-bit ids.
 *
 * Platform rule (platform-facts, Shopify "Ids are 64-bit integers"): Shopify and WooCommerce write ids as bare
 * JSON integers that can exceed 2^53, which `JSON.parse`/`JSON.stringify` cannot carry exactly. Payload builders
 * therefore hold big ids as `BigInt`, and `toJson` writes a BigInt as a bare integer (`JSON.stringify` throws on
 * one). `rawNumber('123…')` marks a decimal string to be written bare as well (an id read exactly as a string).
 *
 * `php: true` writes what PHP's `json_encode($x)` with no flags writes — the encoder behind WordPress'
 * `wp_json_encode`, which builds every WooCommerce webhook body (`WC_Webhook::deliver`): `/` is escaped as `\/`
 * and every non-ASCII character as a lower-case `\uXXXX` (UTF-16, so astral characters become surrogate pairs).
 * The raw bytes then differ from `JSON.stringify` of the same value, so only a receiver that verifies the
 * signature over the raw body passes (platform-facts: "Any re-serialised JSON ... breaks it").
 */

/** A number written as-is into the JSON text (an exact decimal integer or decimal kept as a string). */
export class RawJsonNumber {
	constructor(readonly text: string) {
		if (!/^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/.test(text)) {
			throw new Error(`not a JSON number: ${text}`);
		}
	}
	toString(): string {
		return this.text;
	}
}

export function rawNumber(value: string | number | bigint): RawJsonNumber {
	return new RawJsonNumber(String(value));
}

export interface ToJsonOptions {
	/** Indentation, as JSON.stringify's third argument (fixtures); compact when omitted (wire format). */
	space?: number | string;
	/** PHP json_encode escaping (WooCommerce wire format). */
	php?: boolean;
}

function phpString(s: string): string {
	let out = '"';
	for (let i = 0; i < s.length; i++) {
		const c = s.charCodeAt(i);
		switch (c) {
			case 0x22:
				out += '\\"';
				break;
			case 0x5c:
				out += '\\\\';
				break;
			case 0x2f:
				out += '\\/';
				break;
			case 0x08:
				out += '\\b';
				break;
			case 0x0c:
				out += '\\f';
				break;
			case 0x0a:
				out += '\\n';
				break;
			case 0x0d:
				out += '\\r';
				break;
			case 0x09:
				out += '\\t';
				break;
			default:
				if (c < 0x20 || c > 0x7f) out += '\\u' + c.toString(16).padStart(4, '0');
				else out += s[i];
		}
	}
	return out + '"';
}

export function toJson(value: unknown, options: ToJsonOptions = {}): string {
	const indentUnit =
		typeof options.space === 'number'
			? ' '.repeat(Math.min(10, options.space))
			: (options.space ?? '').slice(0, 10);
	const str = options.php ? phpString : (s: string) => JSON.stringify(s);
	const seen = new Set<object>();

	const write = (v: unknown, indent: string, inArray: boolean): string | undefined => {
		if (
			v !== null &&
			typeof v === 'object' &&
			typeof (v as { toJSON?: unknown }).toJSON === 'function'
		) {
			v = (v as { toJSON: () => unknown }).toJSON();
		}
		if (v === null) return 'null';
		switch (typeof v) {
			case 'bigint':
				return v.toString();
			case 'number':
				return Number.isFinite(v) ? JSON.stringify(v) : 'null';
			case 'boolean':
				return v ? 'true' : 'false';
			case 'string':
				return str(v);
			case 'undefined':
			case 'function':
			case 'symbol':
				return inArray ? 'null' : undefined;
		}
		if (v instanceof RawJsonNumber) return v.text;
		const obj = v as object;
		if (seen.has(obj)) throw new TypeError('toJson: circular structure');
		seen.add(obj);
		const inner = indent + indentUnit;
		const nl = indentUnit ? '\n' : '';
		const colon = indentUnit ? ': ' : ':';
		let out: string;
		if (Array.isArray(obj)) {
			if (obj.length === 0) out = '[]';
			else {
				const parts = obj.map((x) => inner + write(x, inner, true));
				out = '[' + nl + parts.join(',' + nl) + nl + indent + ']';
			}
		} else {
			const parts: string[] = [];
			for (const key of Object.keys(obj)) {
				const w = write((obj as Record<string, unknown>)[key], inner, false);
				if (w !== undefined) parts.push(inner + str(key) + colon + w);
			}
			out = parts.length === 0 ? '{}' : '{' + nl + parts.join(',' + nl) + nl + indent + '}';
		}
		seen.delete(obj);
		return out;
	};
	return write(value, '', false) ?? 'null';
}

/** PHP json_encode wire format (WooCommerce webhook bodies). */
export function toPhpJson(value: unknown): string {
	return toJson(value, { php: true });
}

/**
 * Parse JSON text keeping every integer exact: integers beyond 2^53 become `BigInt`, everything else is what
 * `JSON.parse` gives. For reading fixtures and payloads in tests without losing ids.
 */
export function parseJsonBig(text: string): unknown {
	return parseLossless(text, undefined, (n: string) => {
		if (isInteger(n) && !isSafeNumber(n)) return BigInt(n);
		return Number(n);
	});
}

/** An id as an exact decimal string, whatever form it came in (BigInt, safe number, string, raw number). */
export function idString(v: unknown): string {
	if (typeof v === 'bigint') return v.toString();
	if (typeof v === 'number') {
		if (!Number.isSafeInteger(v)) throw new Error(`id ${v} is not an exact integer`);
		return String(v);
	}
	if (typeof v === 'string' && /^[0-9]+$/.test(v)) return v;
	if (v instanceof RawJsonNumber) return v.text;
	throw new Error(`not an id: ${String(v)}`);
}
