import type { INodeProperties } from 'n8n-workflow';
import { SHOPIFY_TOPICS, WOOCOMMERCE_TOPICS } from '../shared/events';

/** The Inventory Webhook Trigger's parameters (the node file only wires them). */
export const webhookTriggerProperties: INodeProperties[] = [
	{
		displayName: 'Platform',
		name: 'platform',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'Shopify',
				value: 'shopify',
				description: 'Webhooks of a Shopify shop, signed with the app secret',
			},
			{
				name: 'WooCommerce',
				value: 'woocommerce',
				description: 'Webhooks of a WooCommerce store, signed with the webhook secret',
			},
		],
		default: 'shopify',
		description:
			'The shop this trigger receives webhooks from. The credential and the topics below follow this choice: one trigger per shop.',
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
			"Name of the Redis stream (after the credential's key prefix) the Inventory Inbox Trigger reads",
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
				displayName: 'Subscription URL',
				name: 'subscriptionUrl',
				type: 'string',
				default: '',
				placeholder: 'https://receiver.example.com/shopify/demo-shop',
				description:
					"The address the platform webhooks are registered with. Empty: this node's own webhook URL. Set: that address instead, e.g. the Inventory Receiver's public URL for this shop (the platform then delivers there, not to n8n). Used only while Manage Subscriptions is on.",
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
];
