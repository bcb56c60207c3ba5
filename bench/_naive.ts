/**
 * The flash sale's `naive` subject: what a user wires today from n8n's built-in nodes only, one workflow per
 * shop — Webhook (raw body kept) → Code node checking the HMAC and listing the order's lines → HTTP Request
 * finding the SKU on the other shop → HTTP Request changing its stock there, Retry On Fail on (n8n's defaults:
 * 3 tries, 1 s apart). Shopify orders lower WooCommerce's stock (read it, write it less the quantity);
 * WooCommerce orders are forwarded to Shopify's store location as an adjustment. No buffer, no batching.
 *
 * Its subscriptions are made through the simulators' own APIs, as the user's setup would make them.
 */
import type { ShopifySimulator } from '../test/simulators';
import type { Workflow } from '../test/e2e/templateSupport';

export const NAIVE_IDS = { shopify: 'naiveShopToWoo1', woocommerce: 'naiveWooToShop1' } as const;
export const NAIVE_PATHS = { shopify: 'naive-shopify', woocommerce: 'naive-woocommerce' } as const;

const retry = { retryOnFail: true, maxTries: 3, waitBetweenTries: 1000 };

function webhookNode(path: string): Record<string, unknown> {
	return {
		id: `${path}-webhook`,
		name: 'Webhook',
		type: 'n8n-nodes-base.webhook',
		typeVersion: 2,
		position: [0, 0],
		webhookId: path,
		parameters: {
			httpMethod: 'POST',
			path,
			responseMode: 'onReceived',
			options: { rawBody: true },
		},
	};
}

/** The Code node: HMAC-SHA256 (base64) of the raw body with the secret, then one item per order line. */
function verifyNode(
	secret: string,
	signatureHeader: string,
	orderId: string,
): Record<string, unknown> {
	const jsCode = [
		"const crypto = require('crypto');",
		`const SECRET = ${JSON.stringify(secret)};`,
		'const out = [];',
		'const items = $input.all();',
		'for (let i = 0; i < items.length; i++) {',
		'  const item = items[i];',
		"  const raw = await this.helpers.getBinaryDataBuffer(i, 'data');",
		`  const given = item.json.headers[${JSON.stringify(signatureHeader)}];`,
		"  const mine = crypto.createHmac('sha256', SECRET).update(raw).digest('base64');",
		'  if (!given || given !== mine) continue;',
		'  for (const line of item.json.body.line_items || [])',
		`    out.push({ json: { orderId: String(${orderId}), sku: line.sku, quantity: line.quantity }, pairedItem: { item: i } });`,
		'}',
		'return out;',
	].join('\n');
	return {
		id: 'verify-hmac',
		name: 'Verify HMAC',
		type: 'n8n-nodes-base.code',
		typeVersion: 2,
		position: [220, 0],
		parameters: { jsCode },
	};
}

function httpNode(
	name: string,
	x: number,
	parameters: Record<string, unknown>,
): Record<string, unknown> {
	return {
		id: name.toLowerCase().replace(/\W+/g, '-'),
		name,
		type: 'n8n-nodes-base.httpRequest',
		typeVersion: 4.2,
		position: [x, 0],
		...retry,
		parameters: { options: {}, ...parameters },
	};
}

const chain = (...names: string[]) =>
	Object.fromEntries(
		names
			.slice(0, -1)
			.map((n, i) => [n, { main: [[{ node: names[i + 1], type: 'main', index: 0 }]] }]),
	);

/** Shopify orders/create → WooCommerce: GET the product by SKU, PUT its stock less the quantity. */
export function naiveShopifyToWoo(opts: {
	shopifySecret: string;
	wooRestBase: string;
	consumerKey: string;
	consumerSecret: string;
}): Workflow {
	const auth = [
		{ name: 'consumer_key', value: opts.consumerKey },
		{ name: 'consumer_secret', value: opts.consumerSecret },
	];
	return {
		id: NAIVE_IDS.shopify,
		name: 'Naive: Shopify orders to WooCommerce',
		active: true,
		settings: { executionOrder: 'v1' },
		nodes: [
			webhookNode(NAIVE_PATHS.shopify),
			verifyNode(opts.shopifySecret, 'x-shopify-hmac-sha256', 'item.json.body.id'),
			httpNode('Find WooCommerce Product', 440, {
				method: 'GET',
				url: `${opts.wooRestBase}/products`,
				sendQuery: true,
				queryParameters: { parameters: [...auth, { name: 'sku', value: '={{ $json.sku }}' }] },
			}),
			httpNode('Lower WooCommerce Stock', 660, {
				method: 'PUT',
				url: `=${opts.wooRestBase}/products/{{ $json.id }}`,
				sendQuery: true,
				queryParameters: { parameters: auth },
				sendBody: true,
				specifyBody: 'json',
				jsonBody:
					"={{ JSON.stringify({ stock_quantity: $json.stock_quantity - $('Verify HMAC').item.json.quantity }) }}",
			}),
		],
		connections: chain(
			'Webhook',
			'Verify HMAC',
			'Find WooCommerce Product',
			'Lower WooCommerce Stock',
		),
	};
}

/** WooCommerce order.created → Shopify: find the inventory item by SKU, adjust the store location. */
export function naiveWooToShopify(opts: {
	wooSecret: string;
	graphqlUrl: string;
	accessToken: string;
	storeLocation: string;
}): Workflow {
	const headers = {
		sendHeaders: true,
		headerParameters: { parameters: [{ name: 'X-Shopify-Access-Token', value: opts.accessToken }] },
		sendBody: true,
		specifyBody: 'json',
	};
	const find =
		"={{ JSON.stringify({ query: 'query($q: String!) { inventoryItems(first: 1, query: $q) { nodes { id } } }', variables: { q: 'sku:' + $json.sku } }) }}";
	const adjust =
		"={{ JSON.stringify({ query: 'mutation($input: InventoryAdjustQuantitiesInput!, $key: String!) { inventoryAdjustQuantities(input: $input) @idempotent(key: $key) { userErrors { field message } } }', " +
		"variables: { key: 'woo-' + $('Verify HMAC').item.json.orderId + '-' + $('Verify HMAC').item.json.sku, input: { name: 'available', reason: 'correction', changes: [{ inventoryItemId: $json.data.inventoryItems.nodes[0].id, " +
		`locationId: 'gid://shopify/Location/${opts.storeLocation}', delta: -$('Verify HMAC').item.json.quantity }] } } }) }}`;
	return {
		id: NAIVE_IDS.woocommerce,
		name: 'Naive: WooCommerce orders to Shopify',
		active: true,
		settings: { executionOrder: 'v1' },
		nodes: [
			webhookNode(NAIVE_PATHS.woocommerce),
			verifyNode(opts.wooSecret, 'x-wc-webhook-signature', 'item.json.body.id'),
			httpNode('Find Shopify Item', 440, {
				method: 'POST',
				url: opts.graphqlUrl,
				...headers,
				jsonBody: find,
			}),
			httpNode('Adjust Shopify Store', 660, {
				method: 'POST',
				url: opts.graphqlUrl,
				...headers,
				jsonBody: adjust,
			}),
		],
		connections: chain('Webhook', 'Verify HMAC', 'Find Shopify Item', 'Adjust Shopify Store'),
	};
}

/** A Shopify webhook subscription through the simulator's Admin GraphQL API. */
export async function subscribeShopify(
	shopify: ShopifySimulator,
	accessToken: string,
	topicEnum: string,
	uri: string,
): Promise<void> {
	const r = await fetch(shopify.graphqlUrl(), {
		method: 'POST',
		headers: { 'Content-Type': 'application/json', 'X-Shopify-Access-Token': accessToken },
		body: JSON.stringify({
			query:
				'mutation($topic: WebhookSubscriptionTopic!, $s: WebhookSubscriptionInput!) { webhookSubscriptionCreate(topic: $topic, webhookSubscription: $s) { userErrors { message } } }',
			variables: { topic: topicEnum, s: { uri } },
		}),
	});
	const body = (await r.json()) as {
		errors?: unknown;
		data?: { webhookSubscriptionCreate?: { userErrors: unknown[] } };
	};
	if (body.errors || body.data?.webhookSubscriptionCreate?.userErrors.length)
		throw new Error(`subscription ${topicEnum} → ${uri}: ${JSON.stringify(body)}`);
}
