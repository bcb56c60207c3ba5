import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures of Shopify (`X-Shopify-Hmac-Sha256`) and WooCommerce (`X-WC-Webhook-Signature`):
 * base64 of HMAC-SHA256 over the raw request body bytes. Pure: no I/O, no clock.
 */

/** A SHA-256 digest is 32 bytes, so its base64 text is exactly 44 characters ending in one '='. */
const BASE64_SHA256 = /^[A-Za-z0-9+/]{43}=$/;

export type SignatureMatch = 'current' | 'previous';

export function computeSignature(rawBody: Buffer | string, secret: string): string {
	return createHmac('sha256', secret).update(rawBody).digest('base64');
}

/**
 * Which secret signed `rawBody`: the current one, the previous one (during a rotation), or none (null).
 * The compare is constant-time (`timingSafeEqual`, after the length check it requires); a header that is not
 * a well-formed base64 SHA-256 digest never matches. Empty secrets are never tried: an unset secret must not
 * turn into "anyone who signs with the empty key".
 */
export function verifySignature(
	rawBody: Buffer | string,
	signatureHeader: string | undefined,
	secrets: { current?: string; previous?: string },
): SignatureMatch | null {
	if (typeof signatureHeader !== 'string') return null;
	const header = signatureHeader.trim();
	if (!BASE64_SHA256.test(header)) return null;
	const provided = Buffer.from(header, 'base64');
	const candidates: Array<[SignatureMatch, string | undefined]> = [
		['current', secrets.current],
		['previous', secrets.previous],
	];
	let matched: SignatureMatch | null = null;
	for (const [name, secret] of candidates) {
		if (!secret) continue;
		const expected = createHmac('sha256', secret).update(rawBody).digest();
		// Both secrets are always tried, so the time taken does not tell which one matched.
		if (
			expected.length === provided.length &&
			timingSafeEqual(expected, provided) &&
			matched === null
		) {
			matched = name;
		}
	}
	return matched;
}
