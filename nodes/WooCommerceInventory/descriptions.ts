import type { INodeProperties } from 'n8n-workflow';
import * as getStock from './actions/getStock.operation';
import * as pollOrders from './actions/pollOrders.operation';
import * as publish from './actions/publish.operation';
import * as resolveIds from './actions/resolveIds.operation';
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
	'subscriptions',
] as const;
export type WooOperation = (typeof WOO_OPERATIONS)[number];

export const wooCommerceInventoryProperties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'Get Stock',
				value: 'getStock',
				description:
					'Read every product and variation: mapping and stock observation items for the ledger',
				action: 'Get stock',
			},
			{
				name: 'Poll Orders',
				value: 'pollOrders',
				description:
					'Catch up on orders changed since the last poll and apply them to the ledger (recovers lost webhooks)',
				action: 'Poll changed orders',
			},
			{
				name: 'Publish',
				value: 'publish',
				description:
					"Write the channel's changed availability to WooCommerce in batches of up to 100, once per run",
				action: 'Publish stock',
			},
			{
				name: 'Resolve IDs',
				value: 'resolveIds',
				description: "Map product and variation IDs to SKUs in the ledger's SKU map",
				action: 'Resolve product i ds and sk us',
			},
			{
				name: 'Subscriptions',
				value: 'subscriptions',
				description:
					'Keep the webhooks to a delivery URL active: re-activate disabled ones, create missing ones',
				action: 'Ensure webhooks',
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
		placeholder: 'woocommerce-main',
		description:
			"The channel's name in the ledger profile (its breaker, cursor, lease and dead letters are per channel)",
	},
	...publish.description,
	...getStock.description,
	...resolveIds.description,
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
					"How long the channel's Publish lease lives without being extended; it is extended while the run works",
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
