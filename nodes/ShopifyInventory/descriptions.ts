import type { INodeProperties } from 'n8n-workflow';
import * as adjust from './actions/adjust.operation';
import * as getLevels from './actions/getLevels.operation';
import * as pollOrders from './actions/pollOrders.operation';
import * as publish from './actions/publish.operation';
import * as resolveSkus from './actions/resolveSkus.operation';
import * as subscriptions from './actions/subscriptions.operation';

/**
 * The Shopify Inventory node's parameters (the node file only wires them). A parameter of one operation only
 * is that operation's `description` (actions/<op>.operation.ts); Channel, Operation and Options are shared.
 */

export const SHOPIFY_OPERATIONS = [
	'publish',
	'adjust',
	'getLevels',
	'resolveSkus',
	'pollOrders',
	'subscriptions',
] as const;
export type ShopifyOperation = (typeof SHOPIFY_OPERATIONS)[number];

export const shopifyInventoryProperties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'Adjust',
				value: 'adjust',
				description:
					"Send the owner outbox's pending changes to Shopify as inventory adjustments, in batches of up to 250",
				action: 'Adjust stock',
			},
			{
				name: 'Get Levels',
				value: 'getLevels',
				description:
					"Read Shopify's inventory levels: the whole shop by bulk operation, or given SKUs",
				action: 'Get inventory levels',
			},
			{
				name: 'Poll Orders',
				value: 'pollOrders',
				description:
					'Catch up on orders changed since the last poll (recovers webhooks Shopify never delivered)',
				action: 'Poll changed orders',
			},
			{
				name: 'Publish',
				value: 'publish',
				description: "Write the channel's changed availability to Shopify, once per run",
				action: 'Publish stock',
			},
			{
				name: 'Resolve SKUs',
				value: 'resolveSkus',
				description: "Map inventory item IDs to SKUs in the ledger's SKU map",
				action: 'Resolve inventory item codes',
			},
			{
				name: 'Subscriptions',
				value: 'subscriptions',
				description: "List the shop's webhook subscriptions and re-create missing ones",
				action: 'Ensure webhook subscriptions',
			},
		],
		default: 'publish',
	},
	{
		displayName: 'Channel',
		name: 'channel',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'shopify-main',
		description:
			"The channel's name in the ledger profile (its breaker, cursor, lease and dead letters are per channel)",
	},
	...publish.description,
	...adjust.description,
	...getLevels.description,
	...resolveSkus.description,
	...pollOrders.description,
	...subscriptions.description,
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		options: [
			{
				displayName: 'Breaker Cool-Down (S)',
				name: 'breakerCoolDown',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 30,
				description:
					'How long an open circuit breaker refuses calls before it lets one probe through',
			},
			{
				displayName: 'Breaker Failure Threshold',
				name: 'breakerFailureThreshold',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 5,
				description: "Consecutive failed calls that open the channel's circuit breaker",
			},
			{
				displayName: 'Lease TTL (S)',
				name: 'leaseTtl',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 30,
				description:
					"How long the channel's lease lives without being extended (Publish, Adjust); it is extended while the run works",
			},
			{
				displayName: 'Time Budget (S)',
				name: 'timeBudget',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 30,
				description:
					'Time for all calls, retries and waits of one run; what is left when it is spent goes to the dead letters',
			},
		],
	},
];
