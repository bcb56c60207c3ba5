import type {
	IDataObject,
	INodeExecutionData,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { cachedCredentials } from '../shared/credentialCache';
import { resolveShopifyShop, wooCredentialShop } from '../shared/credentialShop';
import { appendToInbox } from '../shared/inbox';
import { inboxKey } from '../shared/keys';
import {
	credentialFromData,
	describeRedisError,
	getRedis,
	keyPrefixOf,
	replicaWaitOf,
	type InventoryRedisCredential,
} from '../shared/redis';
import { normalizeDelivery, type Delivery, type NormalizeResult } from '../shared/events';
import { receiveSigned, type SigningCredential } from '../shared/receipt';
import { rereadShopifyOrder } from '../shared/shopifyOrder';

/**
 * The receipt path of the Inventory Webhook Trigger: verify, acknowledge, and either start one run with the
 * canonical items (direct) or store the delivery in the Redis inbox and start nothing (inbox).
 * Every answer is written here, before any run starts, so the platform never waits on n8n's execution.
 */

type Platform = 'shopify' | 'woocommerce';

function reply(ctx: IWebhookFunctions, status: number, body: IDataObject): IWebhookResponseData {
	ctx.getResponseObject().status(status).json(body);
	return { noWebhookResponse: true };
}

// Credentials on the receipt path come through a short cache: n8n builds an expression isolate per
// getCredentials() in a webhook (shared/credentialCache.ts). The shop comes with the secrets: the event ids
// name the credential's shop, never the request's shop header (shared/receipt.ts). Null: a full-URL Shopify
// credential whose shop could not be asked (shared/credentialShop.ts) — answered 503, Shopify retries.
async function signingCredential(
	ctx: IWebhookFunctions,
	platform: Platform,
): Promise<SigningCredential | null> {
	if (platform === 'shopify') {
		const c = await cachedCredentials(ctx, 'shopifyInventoryApi');
		const current = String(
			c.webhookSecret || (c.authentication === 'clientCredentials' ? c.clientSecret : '') || '',
		);
		let shop: string | null;
		try {
			shop = await resolveShopifyShop(ctx, c.shopDomain);
		} catch {
			return null;
		}
		return { current, previous: String(c.previousWebhookSecret ?? ''), shop };
	}
	const c = await cachedCredentials(ctx, 'wooCommerceInventoryApi');
	return {
		current: String(c.webhookSecret ?? ''),
		previous: String(c.previousWebhookSecret ?? ''),
		shop: wooCredentialShop(c.siteUrl),
	};
}

async function canReadShopifyOrders(ctx: IWebhookFunctions): Promise<boolean> {
	const c = await ctx.getCredentials('shopifyInventoryApi');
	return c.authentication === 'accessToken'
		? Boolean(c.accessToken)
		: Boolean(c.clientId && c.clientSecret);
}

function toItems(records: object[]): INodeExecutionData[] {
	return records.map((json) => ({ json: json as IDataObject }));
}

export async function receiveWebhook(ctx: IWebhookFunctions): Promise<IWebhookResponseData> {
	const req = ctx.getRequestObject();
	const platform = ctx.getNodeParameter('platform') as Platform;
	const raw: Buffer = Buffer.isBuffer(req.rawBody) ? req.rawBody : Buffer.from('');
	const credential = await signingCredential(ctx, platform);
	if (!credential) return reply(ctx, 503, { error: 'could not ask the shop its domain; retry' });
	const receipt = receiveSigned(platform, req.headers, raw, credential);
	if (receipt.kind === 'ping') {
		// Exactly 200, or WooCommerce does not save the webhook as active. Not an event: no run.
		ctx.getResponseObject().status(200).end();
		return { noWebhookResponse: true };
	}
	if (receipt.kind === 'refused') return reply(ctx, receipt.status, receipt.body);
	const { delivery } = receipt;
	if (delivery.shopHeaderIgnored !== undefined) {
		// A signed body under another shop's header: a replay or a misrouted webhook. Logged, never obeyed.
		ctx.logger.warn(
			`Inventory Webhook Trigger: shop header '${delivery.shopHeaderIgnored.slice(0, 200)}' ignored; the credential's shop '${delivery.headers[platform === 'shopify' ? 'x-shopify-shop-domain' : 'x-wc-webhook-source']}' names the events`,
		);
	}

	if (ctx.getNodeParameter('delivery', 'run') === 'inbox') return queueToInbox(ctx, delivery, raw);

	let result: NormalizeResult = normalizeDelivery(delivery);
	if (result.rereadOrder) {
		const reread = await rereadRefundedOrder(ctx, delivery, result.rereadOrder.orderId);
		if (reread === 'unavailable')
			return reply(ctx, 503, { error: 'could not re-read the refunded order; retry' });
		if (reread) result = reread;
	}
	if (result.events.length === 0 && result.invalid.length === 0) {
		return reply(ctx, 200, { received: 0 });
	}
	reply(ctx, 200, { received: result.events.length + result.invalid.length });
	return {
		noWebhookResponse: true,
		workflowData: [toItems(result.events), toItems(result.invalid)],
	};
}

/** refunds/create: the order read back when the option is on and the credential can (shared/shopifyOrder.ts). */
async function rereadRefundedOrder(
	ctx: IWebhookFunctions,
	delivery: Delivery,
	orderId: string,
): Promise<NormalizeResult | 'unavailable' | null> {
	const wanted = ctx.getNodeParameter('options.rereadRefundedOrders', true) as boolean;
	if (!wanted || !(await canReadShopifyOrders(ctx))) return null;
	return await rereadShopifyOrder(ctx, delivery, orderId);
}

async function queueToInbox(
	ctx: IWebhookFunctions,
	delivery: Delivery,
	raw: Buffer,
): Promise<IWebhookResponseData> {
	let cred: InventoryRedisCredential;
	try {
		cred = credentialFromData(await cachedCredentials(ctx, 'inventoryRedisApi'));
	} catch {
		return reply(ctx, 503, { error: 'the Inventory Redis credential is missing' });
	}
	try {
		const redis = await getRedis(cred);
		const stream = inboxKey(
			keyPrefixOf(cred),
			String(ctx.getNodeParameter('inboxStream', 'inbox') || 'inbox'),
		);
		await appendToInbox(redis, stream, delivery, raw, replicaWaitOf(cred));
	} catch (error) {
		// Never 200 for an event that is not stored: Shopify retries a 503; WooCommerce's catch-up poll covers it.
		ctx.logger.warn(`Inventory inbox unavailable: ${describeRedisError(error, cred)}`);
		return reply(ctx, 503, { error: 'inbox unavailable, retry later' });
	}
	return reply(ctx, 200, { queued: true });
}
