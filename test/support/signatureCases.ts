import type { PostResult, ShopifySimulator, WooCommerceSimulator } from '../simulators';
import { shopifyInventoryLevel, wooOrder } from '../simulators';

/**
 * The receipt cases every receipt path must pass the same way — the Inventory Webhook Trigger (inbox mode)
 * and the Inventory Receiver: signatures (current and previous secret, tampered, wrong secret, missing
 * header, header-name case, a re-serialised JSON body) and the WooCommerce ping. A path under test is
 * configured with these secrets and gives `send` its URL for the case's platform.
 */

export const CASE_SECRETS = Object.freeze({
	shopify: { current: 'shp-current-secret-7f3a', previous: 'shp-previous-secret-91c2' },
	woocommerce: { current: 'woo-current-secret-c0d4', previous: 'woo-previous-secret-e5b8' },
});

export interface CaseSenders {
	shopify: ShopifySimulator;
	woo: WooCommerceSimulator;
}

export interface CaseResult extends PostResult {
	/** The exact bytes sent, when the case expects them stored. */
	rawBody?: string;
}

export interface SignatureCase {
	readonly name: string;
	readonly platform: 'shopify' | 'woocommerce';
	readonly send: (senders: CaseSenders, url: string) => Promise<CaseResult>;
	/** The status and the exact answer body ('' for none); `stored`: one inbox entry with the sent bytes. */
	readonly expect: { status: number; body: string; stored: boolean };
}

const INVALID = JSON.stringify({ error: 'invalid signature' });
const MISSING = JSON.stringify({ error: 'missing signature header' });
const QUEUED = JSON.stringify({ queued: true });

const level = () =>
	shopifyInventoryLevel({
		inventoryItemId: 9007199254740993n,
		locationId: 655441491,
		available: 7,
	});
const order = () =>
	wooOrder({
		status: 'processing',
		lines: [{ productId: 93, sku: 'SIG-W', quantity: 1, reducedStock: 1 }],
	});
const S = CASE_SECRETS.shopify;
const W = CASE_SECRETS.woocommerce;

/** A body as a platform sends it (spaces, an id beyond 2^53) and the same JSON as a parser re-serialises it. */
const ORIGINAL =
	'{"inventory_item_id": 9007199254740993, "location_id": 655441491, "available": 7}';
const RESERIALISED = JSON.stringify(JSON.parse(ORIGINAL));

export const SIGNATURE_CASES: readonly SignatureCase[] = [
	{
		name: 'Shopify, signed with the current secret → 200 and stored',
		platform: 'shopify',
		send: async ({ shopify }, url) =>
			await shopify.sendWebhook(url, 'inventory_levels/update', level(), { secret: S.current }),
		expect: { status: 200, body: QUEUED, stored: true },
	},
	{
		name: 'Shopify, signed with the previous secret (rotation) → 200 and stored',
		platform: 'shopify',
		send: async ({ shopify }, url) =>
			await shopify.sendWebhook(url, 'inventory_levels/update', level(), { secret: S.previous }),
		expect: { status: 200, body: QUEUED, stored: true },
	},
	{
		name: 'Shopify, tampered body → 401 invalid signature',
		platform: 'shopify',
		send: async ({ shopify }, url) =>
			await shopify.sendWebhook(url, 'inventory_levels/update', level(), {
				secret: S.current,
				tamper: true,
			}),
		expect: { status: 401, body: INVALID, stored: false },
	},
	{
		name: 'Shopify, wrong secret → 401 invalid signature',
		platform: 'shopify',
		send: async ({ shopify }, url) =>
			await shopify.sendWebhook(url, 'inventory_levels/update', level(), {
				secret: 'not-the-secret',
			}),
		expect: { status: 401, body: INVALID, stored: false },
	},
	{
		name: 'Shopify, no signature header → 401 missing signature header',
		platform: 'shopify',
		send: async ({ shopify }, url) =>
			await shopify.sendWebhook(url, 'inventory_levels/update', level(), {
				secret: S.current,
				omitHmac: true,
			}),
		expect: { status: 401, body: MISSING, stored: false },
	},
	{
		name: 'Shopify, header names in upper and lower case → 200 and stored',
		platform: 'shopify',
		send: async ({ shopify }, url) => {
			const body = Buffer.from(ORIGINAL);
			return await shopify.sendWebhook(url, 'inventory_levels/update', body, {
				secret: S.current,
				omitHmac: true,
				headers: { 'X-SHOPIFY-HMAC-SHA256': shopify.signBody(body, S.current) },
			});
		},
		expect: { status: 200, body: QUEUED, stored: true },
	},
	{
		name: 'Shopify, the body re-serialised after signing (JSON.parse + stringify) → 401 invalid signature',
		platform: 'shopify',
		send: async ({ shopify }, url) =>
			await shopify.sendWebhook(url, 'inventory_levels/update', Buffer.from(RESERIALISED), {
				omitHmac: true,
				headers: { 'X-Shopify-Hmac-Sha256': shopify.signBody(ORIGINAL, S.current) },
			}),
		expect: { status: 401, body: INVALID, stored: false },
	},
	{
		name: 'WooCommerce, the creation ping → exactly 200, empty, nothing stored',
		platform: 'woocommerce',
		send: async ({ woo }, url) => await woo.sendPing(url, 42),
		expect: { status: 200, body: '', stored: false },
	},
	{
		name: 'WooCommerce, signed with the current secret → 200 and stored',
		platform: 'woocommerce',
		send: async ({ woo }, url) =>
			await woo.sendWebhook(url, 'order.updated', order(), { secret: W.current }),
		expect: { status: 200, body: QUEUED, stored: true },
	},
	{
		name: 'WooCommerce, signed with the previous secret (rotation) → 200 and stored',
		platform: 'woocommerce',
		send: async ({ woo }, url) =>
			await woo.sendWebhook(url, 'order.updated', order(), { secret: W.previous }),
		expect: { status: 200, body: QUEUED, stored: true },
	},
	{
		name: 'WooCommerce, tampered body → 401 invalid signature',
		platform: 'woocommerce',
		send: async ({ woo }, url) =>
			await woo.sendWebhook(url, 'order.updated', order(), { secret: W.current, tamper: true }),
		expect: { status: 401, body: INVALID, stored: false },
	},
	{
		name: 'WooCommerce, wrong secret → 401 invalid signature',
		platform: 'woocommerce',
		send: async ({ woo }, url) =>
			await woo.sendWebhook(url, 'order.updated', order(), { secret: 'not-the-secret' }),
		expect: { status: 401, body: INVALID, stored: false },
	},
	{
		name: 'WooCommerce, no signature header (not a ping body) → 401 missing signature header',
		platform: 'woocommerce',
		send: async ({ woo }, url) =>
			await woo.sendWebhook(url, 'order.updated', order(), { omitSignature: true }),
		expect: { status: 401, body: MISSING, stored: false },
	},
	{
		name: 'WooCommerce, a ping-shaped body that carries a signature header is not a ping → 401',
		platform: 'woocommerce',
		send: async ({ woo }, url) =>
			// Form-encoded, as the ping is: n8n itself would answer 422 to a non-JSON application/json body
			// before the trigger runs (README "Before our node runs"), and this case is about our check.
			await woo.sendWebhook(url, 'order.updated', 'webhook_id=42', {
				secret: 'not-the-secret',
				headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
			}),
		expect: { status: 401, body: INVALID, stored: false },
	},
	{
		name: 'WooCommerce, header names in lower case → 200 and stored',
		platform: 'woocommerce',
		send: async ({ woo }, url) => {
			const body = Buffer.from('{"id":5001,"status":"processing","line_items":[]}');
			return await woo.sendWebhook(url, 'order.updated', body, {
				omitSignature: true,
				headers: { 'x-wc-webhook-signature': woo.signBody(body, W.current) },
			});
		},
		expect: { status: 200, body: QUEUED, stored: true },
	},
];
