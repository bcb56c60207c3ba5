import { createHash } from 'node:crypto';

/**
 * Redis key names (design.md "Redis layout"). Every key is built here, whole: text from items (SKUs, ids,
 * user keys) is escaped so that no `{`, `}`, `:`, space, newline or unicode can make two different texts
 * share a key or reach into another key's namespace.
 */

export const DEFAULT_PREFIX = 'invsync';

const PREFIX_SHAPE = /^[A-Za-z0-9._-]{1,64}(?::[A-Za-z0-9._-]{1,64})*$/;
const SAFE = /^[A-Za-z0-9._-]*$/;
/** Escaped parts longer than this are replaced by a digest, so a 10 KB key text stays a short key. */
const MAX_PART = 200;

export function validatePrefix(prefix: string | undefined): string {
	const value = (prefix ?? '').trim() || DEFAULT_PREFIX;
	if (!PREFIX_SHAPE.test(value)) {
		throw new Error(
			`Key prefix '${value.slice(0, 40)}' may contain only letters, digits, '.', '_', '-' and ':' between parts`,
		);
	}
	return value;
}

/**
 * Escapes one key part: bytes outside [A-Za-z0-9._-] become %XX (UTF-8), so the mapping is injective and
 * the result never contains ':' or braces. Long parts become 'h~' + SHA-256 hex (no escaped part can start
 * with '~', so a digest never equals an escaped text).
 */
export function escapeKeyPart(text: string): string {
	const escaped = SAFE.test(text)
		? text
		: Array.from(Buffer.from(text, 'utf8'))
				.map((byte) => {
					const ch = String.fromCharCode(byte);
					return byte < 0x80 && /[A-Za-z0-9._-]/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
				})
				.join('');
	if (escaped.length <= MAX_PART) return escaped;
	return `h~${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}

export function key(prefix: string, ...parts: string[]): string {
	return [prefix, ...parts].join(':');
}

/** The default inbox stream of design.md; a workflow may name its own (same prefix). */
export function inboxKey(prefix: string, name = 'inbox'): string {
	return key(prefix, escapeKeyPart(name));
}
