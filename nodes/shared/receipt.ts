import { isUtf8 } from 'node:buffer';
import { SIGNATURE_HEADER, isWooCommercePing, pickHeaders, type Delivery } from './events';
import { verifySignature } from './signature';

/**
 * What every receipt path does with a request before it stores or runs anything — the Inventory Webhook
 * Trigger and the Inventory Receiver alike, so they answer each case the same way
 * (test/support/signatureCases.ts runs the one table against both): the WooCommerce ping, the signature over
 * the raw bytes with the current and previous secret, and the delivery built from the headers we keep. Pure.
 */

export type Receipt =
	/** WooCommerce's creation ping: answer exactly 200 with no body; not an event. */
	| { kind: 'ping' }
	/** Answer 401 with `body`; nothing is stored or run. `reason` is for logs (never a secret). */
	| { kind: 'refused'; status: 401; body: { error: string }; reason: string }
	| { kind: 'accepted'; delivery: Delivery };

export function receiveSigned(
	platform: Delivery['platform'],
	headers: Record<string, string | string[] | undefined>,
	raw: Buffer,
	secrets: { current?: string; previous?: string },
	receivedAt: Date = new Date(),
): Receipt {
	const rawText = raw.toString('utf8');
	const value = headers[SIGNATURE_HEADER[platform]];
	const signature = Array.isArray(value) ? value[0] : value;
	if (
		platform === 'woocommerce' &&
		isWooCommercePing({ [SIGNATURE_HEADER.woocommerce]: signature }, rawText)
	) {
		return { kind: 'ping' };
	}
	const refuse = (error: string): Receipt => ({
		kind: 'refused',
		status: 401,
		body: { error },
		reason: error,
	});
	if (!secrets.current && !secrets.previous) {
		return refuse('no webhook secret is configured in the credential');
	}
	if (!signature) return refuse('missing signature header');
	if (!verifySignature(raw, signature, secrets)) return refuse('invalid signature');
	return {
		kind: 'accepted',
		delivery: {
			platform,
			headers: pickHeaders(platform, headers),
			rawBody: rawText,
			receivedAt: receivedAt.toISOString(),
			via: 'webhook',
			...(isUtf8(raw) ? {} : { bodyNotUtf8: true as const }),
		},
	};
}
