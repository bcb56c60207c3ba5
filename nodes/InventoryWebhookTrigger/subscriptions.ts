import { NodeOperationError, type IDataObject, type IHookFunctions } from 'n8n-workflow';
import { shopifyGraphql, wooRequest } from '../shared/platformApi';
import {
	CREATE_WEBHOOK_SUBSCRIPTION,
	DELETE_WEBHOOK_SUBSCRIPTION,
	LIST_WEBHOOK_SUBSCRIPTIONS,
	SHOPIFY_TOPIC_ENUM,
} from '../shared/shopifyQueries';

/**
 * The platform subscriptions behind the trigger's URL — or the Subscription URL option's, e.g. the Inventory
 * Receiver's (webhookMethods.default): found instead of duplicated,
 * created on activation, deleted on deactivation. Ids are kept in the node's static data.
 */

type SubscriptionIds = Record<string, string>;

interface StaticData extends IDataObject {
	subscriptionIds?: SubscriptionIds;
}

function staticData(ctx: IHookFunctions): StaticData {
	return ctx.getWorkflowStaticData('node') as StaticData;
}

export function wantedTopics(ctx: IHookFunctions): string[] {
	const platform = ctx.getNodeParameter('platform') as string;
	return (
		(ctx.getNodeParameter(
			platform === 'shopify' ? 'shopifyTopics' : 'wooTopics',
			[],
		) as string[]) ?? []
	);
}

function manages(ctx: IHookFunctions): boolean {
	return (ctx.getNodeParameter('options.manageSubscriptions', true) as boolean) !== false;
}

// ---- Shopify ----

interface ShopifySubscriptionNode {
	id: string;
	topic: string;
	uri: string;
}

async function listShopify(ctx: IHookFunctions, uri: string): Promise<ShopifySubscriptionNode[]> {
	const found: ShopifySubscriptionNode[] = [];
	let after: string | null = null;
	for (let page = 0; page < 50; page++) {
		const data: {
			webhookSubscriptions: {
				edges: Array<{ node: ShopifySubscriptionNode }>;
				pageInfo: { hasNextPage: boolean; endCursor: string | null };
			};
		} = await shopifyGraphql(ctx, LIST_WEBHOOK_SUBSCRIPTIONS, { first: 100, after, uri });
		found.push(...data.webhookSubscriptions.edges.map((e) => e.node).filter((n) => n.uri === uri));
		if (!data.webhookSubscriptions.pageInfo.hasNextPage) break;
		after = data.webhookSubscriptions.pageInfo.endCursor;
	}
	return found;
}

async function shopifyCheckExists(ctx: IHookFunctions, uri: string): Promise<boolean> {
	const existing = await listShopify(ctx, uri);
	const ids: SubscriptionIds = {};
	for (const topic of wantedTopics(ctx)) {
		const match = existing.find((s) => s.topic === SHOPIFY_TOPIC_ENUM[topic]);
		if (match) ids[topic] = match.id;
	}
	staticData(ctx).subscriptionIds = ids;
	return wantedTopics(ctx).every((t) => ids[t]);
}

async function shopifyCreate(ctx: IHookFunctions, uri: string): Promise<boolean> {
	const data = staticData(ctx);
	const ids: SubscriptionIds = { ...(data.subscriptionIds ?? {}) };
	for (const topic of wantedTopics(ctx)) {
		if (ids[topic]) continue;
		const result: {
			webhookSubscriptionCreate: {
				webhookSubscription: ShopifySubscriptionNode | null;
				userErrors: Array<{ field?: string[]; message: string }>;
			};
		} = await shopifyGraphql(ctx, CREATE_WEBHOOK_SUBSCRIPTION, {
			topic: SHOPIFY_TOPIC_ENUM[topic],
			uri,
		});
		const created = result.webhookSubscriptionCreate;
		if (!created.webhookSubscription || created.userErrors.length) {
			data.subscriptionIds = ids;
			throw new NodeOperationError(
				ctx.getNode(),
				`Shopify refused the webhook subscription for ${topic}: ${created.userErrors.map((e) => e.message).join('; ') || 'no subscription returned'}`,
				{ description: `Webhook URL: ${uri}. It must be reachable by Shopify over HTTPS.` },
			);
		}
		ids[topic] = created.webhookSubscription.id;
	}
	data.subscriptionIds = ids;
	return true;
}

async function shopifyDelete(ctx: IHookFunctions): Promise<boolean> {
	const data = staticData(ctx);
	for (const id of Object.values(data.subscriptionIds ?? {})) {
		try {
			await shopifyGraphql(ctx, DELETE_WEBHOOK_SUBSCRIPTION, { id });
		} catch {
			// Already gone (deleted by hand or by Shopify after failures): nothing left to remove.
		}
	}
	delete data.subscriptionIds;
	return true;
}

// ---- WooCommerce ----

interface WooWebhook {
	id: number | string;
	topic: string;
	delivery_url: string;
	status: string;
}

async function listWoo(ctx: IHookFunctions, uri: string): Promise<WooWebhook[]> {
	const found: WooWebhook[] = [];
	for (let page = 1; page <= 50; page++) {
		const batch = await wooRequest<WooWebhook[]>(ctx, 'GET', '/webhooks', undefined, {
			per_page: 100,
			page,
		});
		found.push(...batch.filter((w) => w.delivery_url === uri));
		if (batch.length < 100) break;
	}
	return found;
}

async function wooCheckExists(ctx: IHookFunctions, uri: string): Promise<boolean> {
	const existing = await listWoo(ctx, uri);
	const ids: SubscriptionIds = {};
	for (const topic of wantedTopics(ctx)) {
		const match = existing.find((w) => w.topic === topic && w.status === 'active');
		if (match) ids[topic] = String(match.id);
	}
	staticData(ctx).subscriptionIds = ids;
	return wantedTopics(ctx).every((t) => ids[t]);
}

async function wooCreate(ctx: IHookFunctions, uri: string): Promise<boolean> {
	const credentials = await ctx.getCredentials('wooCommerceInventoryApi');
	const secret = String(credentials.webhookSecret ?? '');
	if (!secret) {
		throw new NodeOperationError(
			ctx.getNode(),
			'Set a Webhook Secret in the WooCommerce Inventory API credential',
			{
				description:
					'WooCommerce signs deliveries with the secret given when the webhook is created.',
			},
		);
	}
	const data = staticData(ctx);
	const ids: SubscriptionIds = { ...(data.subscriptionIds ?? {}) };
	for (const topic of wantedTopics(ctx)) {
		if (ids[topic]) continue;
		const created = await wooRequest<WooWebhook>(ctx, 'POST', '/webhooks', {
			name: `n8n inventory sync: ${topic}`,
			topic,
			delivery_url: uri,
			secret,
			status: 'active',
		});
		if (created.status !== 'active') {
			// WooCommerce pinged the URL on creation and did not get exactly 200: it saved the webhook disabled.
			await wooRequest(ctx, 'DELETE', `/webhooks/${created.id}`, undefined, { force: true }).catch(
				() => undefined,
			);
			data.subscriptionIds = ids;
			throw new NodeOperationError(
				ctx.getNode(),
				`WooCommerce saved the ${topic} webhook as '${created.status}': its ping to the webhook URL did not get HTTP 200`,
				{ description: `Webhook URL: ${uri}. It must be reachable from the WordPress server.` },
			);
		}
		ids[topic] = String(created.id);
	}
	data.subscriptionIds = ids;
	return true;
}

async function wooDelete(ctx: IHookFunctions): Promise<boolean> {
	const data = staticData(ctx);
	for (const id of Object.values(data.subscriptionIds ?? {})) {
		await wooRequest(ctx, 'DELETE', `/webhooks/${id}`, undefined, { force: true }).catch(
			() => undefined,
		);
	}
	delete data.subscriptionIds;
	return true;
}

// ---- webhookMethods.default ----

/**
 * The address registered with the platform: the option Subscription URL when set (e.g. the Inventory
 * Receiver's public URL for this shop), else n8n's own production URL of this node.
 */
export function subscriptionUri(ctx: IHookFunctions): string {
	const custom = String(ctx.getNodeParameter('options.subscriptionUrl', '') ?? '').trim();
	if (!custom) return ctx.getNodeWebhookUrl('default') as string;
	let parsed: URL | undefined;
	try {
		parsed = new URL(custom);
	} catch {
		parsed = undefined;
	}
	if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
		throw new NodeOperationError(
			ctx.getNode(),
			`Subscription URL '${custom}' is not an http(s) URL`,
			{
				description:
					"Give the full public address the platform should deliver to (e.g. https://receiver.example.com/shopify/my-shop), or leave it empty for this node's own webhook URL.",
			},
		);
	}
	return custom;
}

function platformOf(ctx: IHookFunctions): 'shopify' | 'woocommerce' {
	return ctx.getNodeParameter('platform') as 'shopify' | 'woocommerce';
}

export async function checkExists(this: IHookFunctions): Promise<boolean> {
	if (!manages(this)) return true;
	const uri = subscriptionUri(this);
	return platformOf(this) === 'shopify' ? shopifyCheckExists(this, uri) : wooCheckExists(this, uri);
}

export async function create(this: IHookFunctions): Promise<boolean> {
	if (!manages(this)) return true;
	const uri = subscriptionUri(this);
	return platformOf(this) === 'shopify' ? shopifyCreate(this, uri) : wooCreate(this, uri);
}

export async function remove(this: IHookFunctions): Promise<boolean> {
	if (!manages(this)) return true;
	return platformOf(this) === 'shopify' ? shopifyDelete(this) : wooDelete(this);
}
