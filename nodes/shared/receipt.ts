import { isUtf8 } from 'node:buffer';
import { SIGNATURE_HEADER, isWooCommercePing, pickHeaders, type Delivery } from './events';
import { hostOf } from './events/common';
import { verifySignature } from './signature';

/**
 * What every receipt path does with a request before it stores or runs anything — the Inventory Webhook
 * Trigger and the Inventory Receiver alike, so they answer each case the same way
 * (test/support/signatureCases.ts runs the one table against both): the WooCommerce ping, the signature over
 * the raw bytes with the current and previous secret, and the delivery built from the headers we keep. Pure.
 *
 * The shop of every event id (`<platform>:<shop>:…`) is the one of the credential whose secret verified the
 * signature, never the request's unsigned shop header (X-Shopify-Shop-Domain, X-WC-Webhook-Source): a captured
 * signed delivery resent with another shop header would otherwise become new ids — its order lines counted a
 * second time. The accepted delivery carries the credential's shop in that header's place; a header that named
 * another shop is kept aside in `shopHeaderIgnored` for the caller's log, and decides nothing.
 */

/** What the receipt knows of the credential: its signing secrets and its shop (lower-case host). */
export interface SigningCredential {
	current?: string;
	previous?: string;
	/**
	 * The credential's shop as the event ids name it: Shopify's shop domain, the WooCommerce site's host (see
	 * the callers); null when the credential names none (the delivery is then refused, never guessed).
	 */
	shop: string | null;
}

/** The header that claims the shop, per platform (lower-case, as pickHeaders keeps it). */
export const SHOP_HEADER = {
	shopify: 'x-shopify-shop-domain',
	woocommerce: 'x-wc-webhook-source',
} as const;

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
	secrets: SigningCredential,
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
	const shop = hostOf(secrets.shop);
	if (!shop) return refuse('the credential names no shop (Shop Domain or Site URL)');
	const kept = pickHeaders(platform, headers);
	const claimed = kept[SHOP_HEADER[platform]];
	const ignored = claimed !== undefined && hostOf(claimed) !== shop;
	return {
		kind: 'accepted',
		delivery: {
			platform,
			headers: { ...kept, [SHOP_HEADER[platform]]: shop },
			rawBody: rawText,
			receivedAt: receivedAt.toISOString(),
			via: 'webhook',
			...(isUtf8(raw) ? {} : { bodyNotUtf8: true as const }),
			...(ignored ? { shopHeaderIgnored: claimed } : {}),
		},
	};
}
