import { hostOf } from './events/common';
import { shopifyGraphql, type ApiContext } from './platformApi';
import { shopifyBaseUrl } from './urls';

/**
 * The shop a platform credential belongs to, as the event ids name it (`<platform>:<shop>:…`): the receipt
 * takes it from here and never from the request's unsigned shop header (shared/receipt.ts).
 *
 * - WooCommerce: the Site URL's lower-case host (with its port), as WooRestClient.shop names it.
 * - Shopify, a shop domain or shop name (the normal case): its myshopify.com host, no I/O.
 * - Shopify, a full http(s) URL (a local simulator or a proxy): the URL's host is an address, not the shop,
 *   so the shop is asked once — `shop { myshopifyDomain }` with the same credential — and kept for the
 *   process (a shop's myshopify domain never changes). A failed ask is not kept: the caller answers 503 and
 *   Shopify retries the delivery.
 */

const SHOP_DOMAIN_QUERY = 'query InvSyncShopDomain { shop { myshopifyDomain } }';

/** Asked shops per base URL (the URL only: no secret is part of the key). */
const asked = new Map<string, Promise<string>>();

export function wooCredentialShop(siteUrl: unknown): string | null {
	return hostOf(typeof siteUrl === 'string' ? siteUrl : '');
}

/** The Shopify shop when the credential names it; `{ ask }` (the base URL) when it is a full URL. */
export function shopifyCredentialShop(shopDomain: unknown): string | null | { ask: string } {
	const text = typeof shopDomain === 'string' ? shopDomain.trim() : '';
	if (!text) return null;
	const base = shopifyBaseUrl(text);
	if (/^https?:\/\//i.test(text)) return { ask: base };
	return hostOf(base);
}

/**
 * The Shopify credential's shop, asking the shop itself for a full-URL credential (cached per base URL).
 * Throws when the shop could not be asked or gave no usable domain.
 */
export async function resolveShopifyShop(
	ctx: ApiContext,
	shopDomain: unknown,
): Promise<string | null> {
	const named = shopifyCredentialShop(shopDomain);
	if (named === null || typeof named === 'string') return named;
	let pending = asked.get(named.ask);
	if (!pending) {
		pending = shopifyGraphql<{ shop?: { myshopifyDomain?: unknown } }>(ctx, SHOP_DOMAIN_QUERY).then(
			(data) => {
				const shop = hostOf(data?.shop?.myshopifyDomain);
				if (!shop) throw new Error('the shop answered no myshopifyDomain');
				return shop;
			},
		);
		asked.set(named.ask, pending);
		const mine = pending;
		mine.catch(() => {
			if (asked.get(named.ask) === mine) asked.delete(named.ask);
		});
	}
	return await pending;
}
