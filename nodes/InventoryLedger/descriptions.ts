import type { INodeProperties } from 'n8n-workflow';
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
 * Apply and Set → Applied, Skipped, Invalid; everything else → one output.
 */
export function configuredOutputs(parameters: {
	operation?: string;
}): Array<{ type: string; displayName: string }> {
	const operation = parameters.operation ?? 'apply';
	if (operation === 'apply' || operation === 'set') {
		return [
			{ type: 'main', displayName: 'Applied' },
			{ type: 'main', displayName: 'Skipped' },
			{ type: 'main', displayName: 'Invalid' },
		];
	}
	return [{ type: 'main', displayName: 'Done' }];
}

const SKU_OPS = ['get', 'audit', 'freeze', 'unfreeze', 'resync', 'availability', 'set'];

export const ledgerProperties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'Apply',
				value: 'apply',
				description: 'Apply inventory events (order lines, levels) to the ledger, exactly once',
				action: 'Apply inventory events',
			},
			{
				name: 'Audit',
				value: 'audit',
				description: "A SKU's history, newest first",
				action: 'Read a SKU audit history',
			},
			{
				name: 'Availability',
				value: 'availability',
				description: 'What each channel place would show for a SKU: Σ shown − pending − buffer',
				action: 'Compute availability',
			},
			{
				name: 'Dead Letters',
				value: 'deadLetters',
				description:
					'List, replay (once, through the normal publish, adjust and inbox paths) or discard the work channels and the inbox gave up on',
				action: 'Manage dead letters',
			},
			{
				name: 'Freeze',
				value: 'freeze',
				description: 'Never publish this SKU (the ledger still records everything)',
				action: 'Freeze a SKU',
			},
			{
				name: 'Get',
				value: 'get',
				description:
					"A SKU's ledger state: locations, versions, rev, pending forwards, publish state",
				action: 'Get a SKU state',
			},
			{
				name: 'Health',
				value: 'health',
				description:
					'Lag p50/p95/p99 per channel, backlogs, breakers, dead letters, inbox and Redis checks, with the problems found',
				action: 'Check sync health',
			},
			{
				name: 'Profile',
				value: 'profile',
				description: 'Read or save the sync profile (locations, channels, buffers, dry run)',
				action: 'Read or save the sync profile',
			},
			{
				name: 'Resync',
				value: 'resync',
				description: 'Mark a SKU dirty for every channel now',
				action: 'Resync a SKU',
			},
			{
				name: 'Set',
				value: 'set',
				description: 'An ERP or manual count as of a time: replaces the level, keeps later sales',
				action: 'Set a counted level',
			},
			{
				name: 'Unfreeze',
				value: 'unfreeze',
				description: 'Publish this SKU again (marks it dirty)',
				action: 'Unfreeze a SKU',
			},
		],
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
