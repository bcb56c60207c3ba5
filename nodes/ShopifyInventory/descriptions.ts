import type { INodeProperties, INodePropertyOptions } from 'n8n-workflow';
import * as adjust from './actions/adjust.operation';
import * as getLevels from './actions/getLevels.operation';
import * as pollOrders from './actions/pollOrders.operation';
import * as publish from './actions/publish.operation';
import * as rereadOrders from './actions/rereadOrders.operation';
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
	'rereadOrders',
	'subscriptions',
] as const;
export type ShopifyOperation = (typeof SHOPIFY_OPERATIONS)[number];

export const SHOPIFY_OPERATION_OPTIONS: INodePropertyOptions[] = [
	{
		name: 'Adjust',
		value: 'adjust',
		description:
			"Tell Shopify about sales made elsewhere at locations Shopify counts itself (e.g. a WooCommerce sale from the Shopify store's stock), as inventory adjustments",
		action: 'Adjust stock',
	},
	{
		name: 'Get Levels',
		value: 'getLevels',
		description:
			"Read Shopify's stock levels into the ledger: the whole shop (first sync, nightly check) or given SKUs",
		action: 'Get inventory levels',
	},
	{
		name: 'Poll Orders',
		value: 'pollOrders',
		description:
			'Catch up on orders changed since the last poll: recovers the sales whose webhooks Shopify never delivered',
		action: 'Poll changed orders',
	},
	{
		name: 'Publish',
		value: 'publish',
		description:
			'Set on Shopify the stock each SKU may sell now, for every SKU that changed since the last Publish',
		action: 'Publish stock',
	},
	{
		name: 'Re-Read Orders',
		value: 'rereadOrders',
		description:
			"Read again the orders of the Inventory Ledger's tie items (two changes in one second) and count their current state",
		action: 'Re-read tied orders',
	},
	{
		name: 'Resolve SKUs',
		value: 'resolveSkus',
		description:
			"Learn which SKU each Shopify inventory item is, so Shopify's stock webhooks can be counted",
		action: 'Resolve inventory item codes',
	},
	{
		name: 'Subscriptions',
		value: 'subscriptions',
		description: "List the shop's webhooks and re-create the ones the sync needs that are missing",
		action: 'Ensure webhook subscriptions',
	},
];

export const shopifyInventoryProperties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		options: SHOPIFY_OPERATION_OPTIONS,
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
	...rereadOrders.description,
	...subscriptions.description,
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		options: [
			{
				displayName: 'Breaker Cool-Down (Seconds)',
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
				typeOptions: { minValue: 1, numberPrecision: 0 },
				default: 5,
				description: "Consecutive failed calls that open the channel's circuit breaker",
			},
			{
				displayName: 'Lease TTL (Seconds)',
				name: 'leaseTtl',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 30,
				description:
					"How long the channel's lease lives without being extended (Publish, Adjust); it is extended while the run works",
			},
			{
				displayName: 'Time Budget (Seconds)',
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
