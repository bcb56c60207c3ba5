/**
 * Base URLs from what users type into credentials. A full http(s) URL is taken as is (the local simulators,
 * a proxy); a bare Shopify shop name gets '.myshopify.com'.
 */

export function shopifyBaseUrl(shopDomain: string): string {
	const text = (shopDomain ?? '').trim().replace(/\/+$/, '');
	if (/^https?:\/\//i.test(text)) return text;
	const host = text.includes('.') ? text : `${text}.myshopify.com`;
	return `https://${host.toLowerCase()}`;
}

export function wooBaseUrl(siteUrl: string): string {
	return (siteUrl ?? '').trim().replace(/\/+$/, '');
}

export const DEFAULT_SHOPIFY_API_VERSION = '2026-10';
