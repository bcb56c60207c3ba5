import type { INodeProperties, INodePropertyOptions } from 'n8n-workflow';
import { DEFAULT_DEDUPE_KEY } from './guard';
import * as commit from './actions/commit.operation';
import * as deduplicate from './actions/deduplicate.operation';
import * as extend from './actions/extend.operation';
import * as lock from './actions/lock.operation';
import * as release from './actions/release.operation';
import * as unlock from './actions/unlock.operation';

/**
 * The Inventory Guard's parameters (the node file only wires them). Times are in seconds, fractions allowed.
 * A parameter shown for one operation only is that operation's `description` (actions/<op>.operation.ts);
 * the ones several operations share are here. The order below is the order the editor shows.
 */

const DEDUPE = ['deduplicate', 'claim', 'commit', 'release'];
const LOCKS = ['lock', 'unlock', 'extend'];

export const GUARD_OPERATION_OPTIONS: INodePropertyOptions[] = [
	{
		name: 'Commit',
		value: 'commit',
		description:
			'After the events were counted: mark them done, so the same webhook arriving again is a duplicate',
		action: 'Commit processed keys',
	},
	{
		name: 'Deduplicate',
		value: 'deduplicate',
		description:
			'Let each event through once: the first sight goes to New; a copy being processed or already done goes to Duplicate. An inbox entry delivered again gets its own claims back.',
		action: 'Deduplicate items by key',
	},
	{
		name: 'Extend',
		value: 'extend',
		description: 'Keep a lock you hold for longer; a lock already lost goes to Lost',
		action: 'Extend a lock',
	},
	{
		name: 'Lock',
		value: 'lock',
		description:
			'Make runs take turns on a key (e.g. a SKU): waits a bounded time, a key still held goes to Busy',
		action: 'Lock a key',
	},
	{
		name: 'Release',
		value: 'release',
		description: 'After a failure: give the events back, so they can be processed again at once',
		action: 'Release claimed keys',
	},
	{
		name: 'Unlock',
		value: 'unlock',
		description: 'Let go of a lock you hold',
		action: 'Unlock a key',
	},
];

export const guardProperties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		options: GUARD_OPERATION_OPTIONS,
		default: 'deduplicate',
	},
	{
		displayName: 'Key',
		name: 'key',
		type: 'string',
		required: true,
		// The quantity is part of the default: platform times have whole seconds, so two changes of one order (or
		// level) in one second share id and version. Without it the second would be dropped as a Duplicate and
		// never reach the Ledger, which takes an equal version with another quantity as a tie and has it re-read.
		default: DEFAULT_DEDUPE_KEY,
		displayOptions: { show: { operation: DEDUPE } },
		description:
			'What makes an event the same event. The default is an order line at an order version with its units: the same line at a newer version, or changed again within the same second, is new. Any text: it is escaped before it becomes a Redis key.',
	},
	{
		displayName: 'Lock Key',
		name: 'lockKey',
		type: 'string',
		required: true,
		default: '={{ $json.sku }}',
		displayOptions: { show: { operation: LOCKS } },
		description: 'What to lock, e.g. a SKU. Items with the same key in one run share one lock.',
	},
	{
		// Named `holder`: the lock token is not a secret (it proves which run holds a lock) and must stay visible,
		// but the lint rule masks every parameter whose name contains "token".
		displayName: 'Token',
		name: 'holder',
		type: 'string',
		required: true,
		default: '={{ $json.lock.token }}',
		displayOptions: { show: { operation: ['unlock', 'extend'] } },
		description:
			'The token the Lock operation put on the item; only its holder can unlock or extend',
	},
	...deduplicate.description,
	...commit.description,
	{
		displayName: 'Lock TTL (Seconds)',
		name: 'lockTtl',
		type: 'number',
		// No numberPrecision: fractions are allowed, and a fixed precision shows 300 as "300.000".
		typeOptions: { minValue: 0.001 },
		default: 30,
		displayOptions: { show: { operation: ['lock', 'extend'] } },
		description:
			'How long the lock holds unless unlocked or extended. Extend sets it to this much from now.',
	},
	...lock.description,
	...release.description,
	...unlock.description,
	...extend.description,
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		options: [
			{
				displayName: "Release Any Run's Claim",
				name: 'releaseAnyClaim',
				type: 'boolean',
				default: false,
				displayOptions: { show: { '/operation': ['release'] } },
				description:
					"Whether to release a claim made by another execution too (e.g. from an error workflow). Off: only this execution's claims.",
			},
			{
				displayName: 'Result Field',
				name: 'resultField',
				type: 'string',
				default: '',
				placeholder: 'guard',
				description:
					'Field the outcome is written to on each item. Empty: "guard" for Deduplicate, Commit and Release; "lock" for the lock operations.',
			},
			{
				// eslint-disable-next-line n8n-nodes-base/node-param-display-name-miscased -- n8n writes milliseconds as "(ms)" (HTTP Request: Batch Interval (ms))
				displayName: 'Retry Interval (ms)',
				name: 'retryInterval',
				type: 'number',
				typeOptions: { minValue: 1, numberPrecision: 0 },
				default: 50,
				displayOptions: { show: { '/operation': ['lock'] } },
				description:
					'First wait before trying a busy key again; it doubles each attempt (up to 1 s) and is jittered',
			},
			{
				displayName: 'Scope',
				name: 'scope',
				type: 'string',
				default: '',
				description:
					'Keeps these keys apart from other guards that see the same keys (e.g. one per workflow). Empty: shared.',
			},
		],
	},
];
