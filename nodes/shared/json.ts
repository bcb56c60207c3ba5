import { parse as parseLossless, isSafeNumber } from 'lossless-json';

/**
 * JSON parsing that keeps 64-bit ids exact. Shopify and WooCommerce ids are integers that can exceed 2^53,
 * which `JSON.parse` silently rounds (271878346596884015 → 271878346596884000).
 *
 * Fast path: a JSON text without any run of 16 or more digits cannot hold an unsafe integer (every integer
 * of at most 15 digits is below 2^53), so the native parser is exact for it. Otherwise the text goes through
 * lossless-json, and every number that would lose precision is kept as its exact decimal string.
 */
const LONG_DIGIT_RUN = /[0-9]{16,}/;

function parseNumberExactly(text: string): number | string {
	return isSafeNumber(text) ? Number(text) : text;
}

export function parseJsonExact(text: string): unknown {
	if (!LONG_DIGIT_RUN.test(text)) return JSON.parse(text);
	return parseLossless(text, undefined, parseNumberExactly);
}
