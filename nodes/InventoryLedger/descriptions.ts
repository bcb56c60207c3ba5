import type { INodeProperties, INodePropertyOptions } from 'n8n-workflow';
import * as apply from './actions/apply.operation';
import * as audit from './actions/audit.operation';
import * as availability from './actions/availability.operation';
import * as deadLetters from './actions/deadLetters.operation';
import * as freeze from './actions/freeze.operation';
import * as get from './actions/get.operation';
import * as health from './actions/health.operation';
import * as profile from './actions/profile.operation';
import * as resync from './actions/resync.operation';
import * as set from './actions/set.operation';
import * as unfreeze from './actions/unfreeze.operation';

/**
 * The Inventory Ledger's parameters (the node file only wires them). A parameter shown for one operation only
 * is that operation's `description` (actions/<op>.operation.ts); the ones several operations share are here.
 * The order below is the order the editor shows.
 */

export const LEDGER_OPERATIONS = [
	'apply',
	'availability',
	'audit',
	'deadLetters',
	'freeze',
	'get',
	'health',
	'profile',
	'resync',
	'set',
	'unfreeze',
] as const;
export type LedgerOperation = (typeof LEDGER_OPERATIONS)[number];

/**
 * Outputs per operation, as n8n's Switch node does (stringified into an expression, so self-contained):
 * Apply and Set → Applied, Skipped, Invalid; Apply with Re-Read Output also Re-Read; everything else → one
 * output.
 */
export function configuredOutputs(parameters: {
	operation?: string;
	rereadOutput?: boolean;
}): Array<{ type: string; displayName: string }> {
	const operation = parameters.operation ?? 'apply';
	if (operation === 'apply' || operation === 'set') {
		const outputs = [
			{ type: 'main', displayName: 'Applied' },
			{ type: 'main', displayName: 'Skipped' },
			{ type: 'main', displayName: 'Invalid' },
		];
		if (operation === 'apply' && parameters.rereadOutput === true)
			outputs.push({ type: 'main', displayName: 'Re-Read' });
		return outputs;
	}
	return [{ type: 'main', displayName: 'Done' }];
}

const SKU_OPS = ['get', 'audit', 'freeze', 'unfreeze', 'resync', 'availability', 'set'];

export const LEDGER_OPERATION_OPTIONS: INodePropertyOptions[] = [
	{
		name: 'Apply',
		value: 'apply',
		description:
			'Record orders, refunds, restocks and stock levels in the ledger, each exactly once (a repeated webhook changes nothing)',
		action: 'Apply inventory events',
	},
	{
		name: 'Audit',
		value: 'audit',
		description: "Show a SKU's history: every change to its stock and why, newest first",
		action: 'Read a SKU audit history',
	},
	{
		name: 'Availability',
		value: 'availability',
		description:
			'What each shop would show for a SKU now: the stock it may sell, less orders not yet confirmed and the safety buffer',
		action: 'Compute availability',
	},
	{
		name: 'Dead Letters',
		value: 'deadLetters',
		description:
			'List, replay or discard the stock updates a shop or the inbox gave up on; a replay sends each one once, the normal way',
		action: 'Manage dead letters',
	},
	{
		name: 'Freeze',
		value: 'freeze',
		description: 'Stop sending this SKU to the shops; its sales and counts are still recorded',
		action: 'Freeze a SKU',
	},
	{
		name: 'Get',
		value: 'get',
		description: "A SKU's stock per location and what is still waiting to reach the shops",
		action: 'Get a SKU state',
	},
	{
		name: 'Health',
		value: 'health',
		description:
			'Is the sync keeping up? Delay per shop, backlogs, outages, dead letters, inbox and Redis checks, with the problems found',
		action: 'Check sync health',
	},
	{
		name: 'Profile',
		value: 'profile',
		description:
			'Read or save the sync profile: your locations, your shops, safety buffers, dry run. Easiest in the First Sync template.',
		action: 'Read or save the sync profile',
	},
	{
		name: 'Resync',
		value: 'resync',
		description: 'Send this SKU to every shop again on their next Publish',
		action: 'Resync a SKU',
	},
	{
		name: 'Set',
		value: 'set',
		description:
			'Record a counted level (a stock take, an ERP figure) as of a time: it replaces the level and keeps the sales made since',
		action: 'Set a counted level',
	},
	{
		name: 'Unfreeze',
		value: 'unfreeze',
		description: 'Send this SKU to the shops again',
		action: 'Unfreeze a SKU',
	},
];

export const ledgerProperties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		options: LEDGER_OPERATION_OPTIONS,
		default: 'apply',
	},
	{
		displayName: 'SKU',
		name: 'sku',
		type: 'string',
		required: true,
		default: '={{ $json.sku }}',
		displayOptions: { show: { operation: SKU_OPS } },
		description: 'The SKU, exactly (any text: it is escaped before it becomes a Redis key)',
	},
	{
		displayName:
			"Dry run: while the sync profile's Dry Run is on, Apply still records every event in the ledger (items say applied, with dryRun: true); only the channel nodes hold back their writes to the shops.",
		name: 'applyDryRunNotice',
		type: 'notice',
		default: '',
		displayOptions: { show: { operation: ['apply'] } },
	},
	...set.description,
	...audit.description,
	...availability.description,
	...profile.description,
	...apply.description,
	...get.description,
	...freeze.description,
	...unfreeze.description,
	...resync.description,
	...deadLetters.description,
	...health.description,
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		options: [
			{
				displayName: 'Event Field',
				name: 'eventField',
				type: 'string',
				default: '',
				displayOptions: { show: { '/operation': ['apply'] } },
				description:
					'Field holding the event on each item (empty: the item itself, as the trigger emits it)',
			},
			{
				displayName: 'Result Field',
				name: 'resultField',
				type: 'string',
				default: 'ledger',
				displayOptions: { hide: { '/operation': ['deadLetters', 'health'] } },
				description: 'Field the outcome is written to on each item',
			},
		],
	},
];
