/**
 * The delivery URL the templates ship with (workflows/nightly-reconciliation.json) until the user puts in their
 * n8n's address. Subscriptions refuse it: creating webhooks that deliver to a name that can never answer would
 * only make the shops count failed deliveries (Shopify then deletes the subscription, WooCommerce disables it).
 */
export const TEMPLATE_PLACEHOLDER_HOST = 'your-n8n.example.com';

export function isTemplatePlaceholderUrl(url: string): boolean {
	try {
		return new URL(url).hostname.toLowerCase() === TEMPLATE_PLACEHOLDER_HOST;
	} catch {
		return false;
	}
}

export const PLACEHOLDER_URL_HELP =
	"Replace it with the production URL of the real-time template's Webhook Trigger for this shop (https://<your n8n>/webhook/invsync-shopify/webhook or …/invsync-woocommerce/webhook)";
