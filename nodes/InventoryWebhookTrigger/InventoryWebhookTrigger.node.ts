import {
	NodeConnectionTypes,
	type IHookFunctions,
	type INodeType,
	type INodeTypeDescription,
	type IWebhookFunctions,
	type IWebhookResponseData,
} from 'n8n-workflow';
import { inventoryRedisCredentialTest } from '../shared/redis';
import { SHOPIFY_TOPICS, WOOCOMMERCE_TOPICS } from './normalize';
import { receiveWebhook } from './receive';
import { checkExists, create, remove } from './subscriptions';

export class InventoryWebhookTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Inventory Webhook Trigger',
		name: 'inventoryWebhookTrigger',
		icon: { light: 'file:inventoryWebhookTrigger.svg', dark: 'file:inventoryWebhookTrigger.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{$parameter["platform"] === "shopify" ? "Shopify" : "WooCommerce"}}',
		description:
			'Receives signed Shopify and WooCommerce webhooks (orders, refunds, stock levels, products) as one canonical inventory event per order line or level change',
		defaults: { name: 'Inventory Webhook Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Events', 'Invalid'],
		credentials: [
			{
				name: 'shopifyInventoryApi',
				required: true,
				displayOptions: { show: { platform: ['shopify'] } },
			},
			{
				name: 'wooCommerceInventoryApi',
				required: true,
				displayOptions: { show: { platform: ['woocommerce'] } },
			},
			{
				name: 'inventoryRedisApi',
				required: true,
				testedBy: 'inventoryRedisApiTest',
				displayOptions: { show: { delivery: ['inbox'] } },
			},
		],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				// We write every answer ourselves, before any run starts: 'onReceived' only tells n8n not to wait.
				responseMode: 'onReceived',
				path: 'webhook',
			},
		],
		properties: [
			{
				displayName: 'Platform',
				name: 'platform',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Shopify', value: 'shopify' },
					{ name: 'WooCommerce', value: 'woocommerce' },
				],
				default: 'shopify',
			},
			{
				displayName: 'Topics',
				name: 'shopifyTopics',
				type: 'multiOptions',
				displayOptions: { show: { platform: ['shopify'] } },
				options: [
					{ name: 'Inventory Item Updated (SKU Mapping)', value: 'inventory_items/update' },
					{ name: 'Inventory Level Updated', value: 'inventory_levels/update' },
					{ name: 'Order Cancelled', value: 'orders/cancelled' },
					{ name: 'Order Created', value: 'orders/create' },
					{ name: 'Order Updated', value: 'orders/updated' },
					{ name: 'Product Updated (SKU Mapping)', value: 'products/update' },
					{ name: 'Refund Created', value: 'refunds/create' },
				],
				default: [...SHOPIFY_TOPICS],
				description:
					'Topics to subscribe to on activation. Deliveries of any supported topic are processed.',
			},
			{
				displayName: 'Topics',
				name: 'wooTopics',
				type: 'multiOptions',
				displayOptions: { show: { platform: ['woocommerce'] } },
				options: [
					{ name: 'Order Created', value: 'order.created' },
					{ name: 'Order Updated', value: 'order.updated' },
					{ name: 'Product Updated (Stock Observation, SKU Mapping)', value: 'product.updated' },
				],
				default: [...WOOCOMMERCE_TOPICS],
				description:
					'Topics to subscribe to on activation. Deliveries of any supported topic are processed.',
			},
			{
				displayName: 'Delivery',
				name: 'delivery',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Start a Run per Request',
						value: 'run',
						description: 'One workflow run per webhook: simplest to debug, fine for a small shop',
					},
					{
						name: 'Queue to the Inbox',
						value: 'inbox',
						description:
							'Store each verified delivery in a Redis stream and start no run; an Inventory Inbox Trigger processes them in batches',
					},
				],
				default: 'run',
			},
			{
				displayName: 'Inbox Stream',
				name: 'inboxStream',
				type: 'string',
				default: 'inbox',
				displayOptions: { show: { delivery: ['inbox'] } },
				description:
					'Name of the Redis stream (after the credential\'s key prefix) the Inventory Inbox Trigger reads',
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add option',
				default: {},
				options: [
					{
						displayName: 'Manage Subscriptions',
						name: 'manageSubscriptions',
						type: 'boolean',
						default: true,
						description:
							'Whether to create the platform webhooks on activation and delete them on deactivation. Off: register the URL yourself.',
					},
					{
						displayName: 'Re-Read Refunded Orders',
						name: 'rereadRefundedOrders',
						type: 'boolean',
						default: true,
						displayOptions: { show: { '/platform': ['shopify'] } },
						description:
							'Whether a Shopify refund re-reads its whole order through the API (the refund payload alone cannot say what each line draws now)',
					},
				],
			},
		],
	};

	methods = {
		credentialTest: inventoryRedisCredentialTest,
	};

	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				return checkExists.call(this);
			},
			async create(this: IHookFunctions): Promise<boolean> {
				return create.call(this);
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				return remove.call(this);
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		return receiveWebhook(this);
	}
}
