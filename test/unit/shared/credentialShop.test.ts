import { shopifyCredentialShop, wooCredentialShop } from '../../../nodes/shared/credentialShop';

// The shop a credential names: what the receipt writes into every event id instead of the shop header.
describe('the shop of a credential', () => {
	it('Shopify: a shop name or domain is its myshopify.com host, lower-case, with no I/O', () => {
		expect(shopifyCredentialShop('my-shop')).toBe('my-shop.myshopify.com');
		expect(shopifyCredentialShop(' My-Shop.myshopify.com ')).toBe('my-shop.myshopify.com');
		expect(shopifyCredentialShop('')).toBeNull();
		expect(shopifyCredentialShop(undefined)).toBeNull();
	});

	it('Shopify: a full URL (a simulator, a proxy) is an address, not a shop: it is asked', () => {
		expect(shopifyCredentialShop('http://127.0.0.1:8081/')).toEqual({
			ask: 'http://127.0.0.1:8081',
		});
	});

	it('WooCommerce: the Site URL’s host with its port', () => {
		expect(wooCredentialShop('https://Shop.Example.com/')).toBe('shop.example.com');
		expect(wooCredentialShop('http://127.0.0.1:8082')).toBe('127.0.0.1:8082');
		expect(wooCredentialShop('')).toBeNull();
	});
});
