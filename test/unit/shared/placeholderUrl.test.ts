import { isTemplatePlaceholderUrl } from '../../../nodes/shared/placeholderUrl';

describe('isTemplatePlaceholderUrl (the templates example Delivery URL, refused by Subscriptions)', () => {
	it.each([
		['https://your-n8n.example.com/webhook/invsync-shopify/webhook', true],
		['HTTPS://YOUR-N8N.EXAMPLE.COM/webhook/invsync-woocommerce/webhook', true],
		['http://your-n8n.example.com:5678/webhook/x', true],
		['https://hooks.example.com/webhook/inventory', false],
		['https://n8n.shop.test/webhook/invsync-shopify/webhook', false],
		['http://127.0.0.1:5678/webhook/invsync-shopify/webhook', false],
		['not a url', false],
	])('%s → %s', (url, placeholder) => {
		expect(isTemplatePlaceholderUrl(url)).toBe(placeholder);
	});
});
