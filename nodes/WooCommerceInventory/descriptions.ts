import type { INodeProperties, INodePropertyOptions } from 'n8n-workflow';
import * as getStock from './actions/getStock.operation';
import * as pollOrders from './actions/pollOrders.operation';
import * as publish from './actions/publish.operation';
import * as resolveIds from './actions/resolveIds.operation';
import * as rereadOrders from './actions/rereadOrders.operation';
import * as subscriptions from './actions/subscriptions.operation';

/**
 * The WooCommerce Inventory node's parameters (the node file only wires them). A parameter of one operation
 * only is that operation's `description` (actions/<op>.operation.ts); Channel, Operation and Options are
 * shared.
 */

export const WOO_OPERATIONS = [
	'publish',
	'getStock',
	'resolveIds',
	'pollOrders',
	'rereadOrders',
	'subscriptions',
] as const;
export type WooOperation = (typeof WOO_OPERATIONS)[number];

export const WOO_OPERATION_OPTIONS: INodePropertyOptions[] = [
	{
		name: 'Get Stock',
		value: 'getStock',
		description:
			"Read every product and variation's stock into the ledger (first sync, nightly check), with their SKUs",
		action: 'Get stock',
	},
	{
		name: 'Poll Orders',
		value: 'pollOrders',
		description:
			'Catch up on orders changed since the last poll and count them: recovers sales whose webhooks never arrived',
		action: 'Poll changed orders',
	},
	{
		name: 'Publish',
		value: 'publish',
		description:
			'Set on WooCommerce the stock each SKU may sell now, for every SKU that changed since the last Publish',
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
		name: 'Resolve IDs',
		value: 'resolveIds',
		description:
			'Learn which SKU each WooCommerce product and variation is, so its webhooks can be counted',
		action: 'Resolve product IDs to SKUs',
	},
	{
		name: 'Subscriptions',
		value: 'subscriptions',
		description:
			'Keep the webhooks the sync needs active: re-activate disabled ones, create missing ones',
		action: 'Ensure webhooks',
	},
];

export const wooCommerceInventoryProperties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		options: WOO_OPERATION_OPTIONS,
		default: 'publish',
	},
	{
		displayName: 'Channel',
		name: 'channel',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'woocommerce-main',
		description:
			"The channel's name in the ledger profile (its breaker, cursor, lease and dead letters are per channel)",
	},
	...publish.description,
	...getStock.description,
	...resolveIds.description,
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
					"How long the channel's Publish lease lives without being extended; it is extended while the run works",
			},
			{
				displayName: 'Max Requests per Second',
				name: 'maxRequestsPerSecond',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 0,
				description:
					"Spread this store's API calls to at most this many per second, shared by every run and worker (0: no limit). Hosts often limit requests (about 10 per second is common) and answer 429; a store's Retry-After is honoured by every run either way.",
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
