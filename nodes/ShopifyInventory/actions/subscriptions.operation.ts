import {
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';
import { SHOPIFY_TOPICS } from '../../shared/events';
import {
	CREATE_WEBHOOK_SUBSCRIPTION,
	LIST_WEBHOOK_SUBSCRIPTIONS,
	SHOPIFY_TOPIC_ENUM,
} from '../../shared/shopifyQueries';
import { MUTATION_COST } from '../reading/queries';
import { PLACEHOLDER_URL_HELP, isTemplatePlaceholderUrl } from '../../shared/placeholderUrl';
import { callShopify, openShopifyChannel, valueOrThrow, type ShopifyChannel } from './common';

/**
 * Subscriptions: list the shop's webhook subscriptions for a delivery URL and (Ensure) re-create the trigger's
 * topics that are missing — Shopify deletes a subscription after repeated failed deliveries, and nothing
 * else tells. The same queries as the Webhook Trigger's own subscription handling (shared/shopifyQueries).
 */

const show = { show: { operation: ['subscriptions'] } };

export const description: INodeProperties[] = [
	{
		displayName: 'Action',
		name: 'subscriptionAction',
		type: 'options',
		options: [
			{
				name: 'Ensure',
				value: 'ensure',
				description: 'Create the topics that have no subscription for the delivery URL',
			},
			{ name: 'List', value: 'list', description: 'Only list what exists' },
		],
		default: 'ensure',
		displayOptions: show,
	},
	{
		displayName: 'Delivery URL',
		name: 'deliveryUrl',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'https://n8n.example.com/webhook/inventory',
		description:
			"The address the subscriptions deliver to: the Webhook Trigger's production URL or the Inventory Receiver's public URL",
		displayOptions: show,
	},
	{
		displayName: 'Topics',
		name: 'topics',
		type: 'multiOptions',
		options: SHOPIFY_TOPICS.map((topic) => ({ name: topic, value: topic })),
		default: [...SHOPIFY_TOPICS],
		description: 'The topics that must have a subscription (default: all the trigger handles)',
		displayOptions: show,
	},
];

interface Subscription {
	id: string;
	topic: string;
	uri: string;
}

/** listWebhookSubscriptions page: connection 2 + 100 × 1 + pageInfo 1. */
const LIST_PAGE = 100;
const LIST_COST = 2 + LIST_PAGE + 1;

async function listFor(ch: ShopifyChannel, uri: string): Promise<Subscription[]> {
	const found: Subscription[] = [];
	let after: string | null = null;
	for (let page = 0; page < 50; page++) {
		const data: {
			webhookSubscriptions: {
				edges: Array<{ node: Subscription }>;
				pageInfo: { hasNextPage: boolean; endCursor: string | null };
			};
		} = valueOrThrow(
			ch.ctx,
			'Shopify webhook subscriptions',
			await callShopify<{
				webhookSubscriptions: {
					edges: Array<{ node: Subscription }>;
					pageInfo: { hasNextPage: boolean; endCursor: string | null };
				};
			}>(ch, LIST_WEBHOOK_SUBSCRIPTIONS, { first: LIST_PAGE, after, uri }, LIST_COST),
		).data;
		found.push(...data.webhookSubscriptions.edges.map((e) => e.node).filter((n) => n.uri === uri));
		if (!data.webhookSubscriptions.pageInfo.hasNextPage) break;
		after = data.webhookSubscriptions.pageInfo.endCursor;
	}
	return found;
}

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const action = this.getNodeParameter('subscriptionAction', 0, 'ensure') as 'ensure' | 'list';
	const uri = String(this.getNodeParameter('deliveryUrl', 0, '') ?? '').trim();
	if (!/^https?:\/\/\S+$/i.test(uri))
		throw new NodeOperationError(this.getNode(), 'Delivery URL must be an http(s) address', {
			description:
				"Use the Webhook Trigger's production URL or the Inventory Receiver's public URL",
		});
	if (isTemplatePlaceholderUrl(uri))
		throw new NodeOperationError(
			this.getNode(),
			"Delivery URL is still the template's example address",
			{
				description: PLACEHOLDER_URL_HELP,
			},
		);
	const topics = (this.getNodeParameter('topics', 0, [...SHOPIFY_TOPICS]) as string[]).filter(
		(t) => SHOPIFY_TOPIC_ENUM[t],
	);
	const ch = await openShopifyChannel(this);
	const existing = await listFor(ch, uri);
	const rows: IDataObject[] = [];
	for (const topic of topics) {
		const match = existing.find((s) => s.topic === SHOPIFY_TOPIC_ENUM[topic]);
		if (match) {
			rows.push({ topic, status: 'found', id: match.id, uri });
			continue;
		}
		if (action === 'list') {
			rows.push({ topic, status: 'missing', uri });
			continue;
		}
		const result = await callShopify<{
			webhookSubscriptionCreate: {
				webhookSubscription: Subscription | null;
				userErrors: Array<{ message: string }>;
			};
		}>(ch, CREATE_WEBHOOK_SUBSCRIPTION, { topic: SHOPIFY_TOPIC_ENUM[topic], uri }, MUTATION_COST);
		if (!result.ok) {
			rows.push({ topic, status: 'failed', uri, message: result.failure.message });
			continue;
		}
		const created = result.value.data.webhookSubscriptionCreate;
		if (created.webhookSubscription && !created.userErrors.length)
			rows.push({ topic, status: 'created', id: created.webhookSubscription.id, uri });
		else
			rows.push({
				topic,
				status: 'failed',
				uri,
				message: created.userErrors.map((e) => e.message).join('; ') || 'no subscription returned',
			});
	}
	const count = (status: string) => rows.filter((r) => r.status === status).length;
	const summary: IDataObject = {
		operation: 'subscriptions',
		channel: ch.channel,
		action,
		uri,
		found: count('found'),
		created: count('created'),
		missing: count('missing'),
		failed: count('failed'),
	};
	return [[{ json: { summary } }, ...rows.map((json) => ({ json }))]];
}
