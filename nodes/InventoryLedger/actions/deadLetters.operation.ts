import type { IDataObject, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { isStreamId } from '../../shared/deadLetters';
import { letterView, skusOf, type DeadLetterFilter } from '../deadLetterReplay';
import {
	discardByIds,
	replayByIds,
	replayContext,
	replayDeadLetters,
	scanDeadLetters,
	type DeadLetterOrder,
} from '../ledger/deadLetters';
import type { LedgerRun } from './common';

/**
 * Dead Letters: list, replay or discard the records of the dead-letter stream (both kinds: the Inbox Trigger's
 * and the channel nodes'). Replay re-queues the work into the path that does it (deadLetterReplay.ts): no
 * channel is called here, so the Ledger needs no channel credential. Each record is replayed once
 * (lua/replayDeadLetter.lua); a second replay says `alreadyReplayed` and does nothing.
 *
 * Output: one item per record, the record (List) or its outcome (Replay, Discard) as the item's JSON.
 */

const show = (extra: Record<string, string[]> = {}) => ({
	show: { operation: ['deadLetters'], ...extra },
});

/**
 * The filter's parameters, shown for List and for Replay / Discard of "All Matching the Filter" (n8n's
 * displayOptions cannot say "or": the same parameters are declared once per case).
 */
function filterParameters(displayOptions: INodeProperties['displayOptions']): INodeProperties[] {
	return [
		{
			displayName: 'Kind',
			name: 'deadLetterKind',
			type: 'options',
			options: [
				{ name: 'Any', value: 'any' },
				{ name: 'Channel', value: 'channel', description: 'Work a channel node gave up on' },
				{
					name: 'Inbox',
					value: 'inbox',
					description: 'Webhook deliveries the Inbox Trigger gave up on',
				},
			],
			default: 'any',
			displayOptions,
		},
		{
			displayName: 'Channel',
			name: 'deadLetterChannel',
			type: 'string',
			default: '',
			placeholder: 'shopify',
			displayOptions,
			description: 'Only records of this channel (its name in the profile; empty: every channel)',
		},
		{
			displayName: 'Channel Operation',
			name: 'deadLetterOperation',
			type: 'string',
			default: '',
			placeholder: 'publish',
			displayOptions,
			description:
				"Only records of this channel operation, e.g. 'publish' or 'adjust' (empty: any)",
		},
		{
			displayName: 'Max Records',
			name: 'deadLetterLimit',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 100000, numberPrecision: 0 },
			default: 100,
			displayOptions,
			description: 'Records listed, replayed or discarded at most in one run',
		},
	];
}

export const description: INodeProperties[] = [
	{
		displayName: 'Action',
		name: 'deadLetterAction',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'List',
				value: 'list',
				description: 'One item per dead letter, with why it failed (no secrets)',
			},
			{
				name: 'Replay',
				value: 'replay',
				description:
					'Put the work back where it is done (dirty SKUs, the owner outbox, the inbox), once per record',
			},
			{ name: 'Discard', value: 'discard', description: 'Delete dead letters' },
		],
		default: 'list',
		displayOptions: show(),
	},
	{
		displayName: 'Records',
		name: 'deadLetterSelect',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'By ID', value: 'ids', description: 'The IDs given per input item' },
			{
				name: 'All Matching the Filter',
				value: 'filter',
				description: 'Every record that passes Kind, Channel and Channel Operation (oldest first)',
			},
		],
		default: 'ids',
		displayOptions: show({ deadLetterAction: ['replay', 'discard'] }),
	},
	{
		displayName: 'Dead Letter IDs',
		name: 'deadLetterIds',
		type: 'string',
		default: '={{ $json.id }}',
		required: true,
		displayOptions: show({ deadLetterAction: ['replay', 'discard'], deadLetterSelect: ['ids'] }),
		description:
			"The record's ID in the dead-letter stream, as List gives it (e.g. 1764300000000-0); several separated by commas",
	},
	...filterParameters(show({ deadLetterAction: ['list'] })),
	...filterParameters(
		show({ deadLetterAction: ['replay', 'discard'], deadLetterSelect: ['filter'] }),
	),
	{
		displayName: 'Order',
		name: 'deadLetterOrder',
		type: 'options',
		options: [
			{ name: 'Newest First', value: 'newest' },
			{ name: 'Oldest First', value: 'oldest' },
		],
		default: 'newest',
		displayOptions: show({ deadLetterAction: ['list'] }),
	},
];

function filterOf(run: LedgerRun): DeadLetterFilter {
	const kind = run.ctx.getNodeParameter('deadLetterKind', 0, 'any') as string;
	const channel = String(run.ctx.getNodeParameter('deadLetterChannel', 0, '') ?? '').trim();
	const operation = String(run.ctx.getNodeParameter('deadLetterOperation', 0, '') ?? '').trim();
	return {
		...(kind === 'inbox' || kind === 'channel' ? { kind } : {}),
		...(channel ? { channel } : {}),
		...(operation ? { operation } : {}),
	};
}

function limitOf(run: LedgerRun): number {
	const raw = Number(run.ctx.getNodeParameter('deadLetterLimit', 0, 100));
	return Number.isFinite(raw) ? Math.max(1, Math.min(100_000, Math.floor(raw))) : 100;
}

/** The ids an item names ('<ms>-<seq>', comma-separated); an item without a valid one fails alone. */
function idsOfItem(run: LedgerRun, index: number): string[] {
	const raw = run.ctx.getNodeParameter('deadLetterIds', index, '') as unknown;
	const list = Array.isArray(raw) ? raw.map(String) : String(raw ?? '').split(',');
	const ids = list.map((s) => s.trim()).filter(Boolean);
	if (ids.length === 0) throw new Error('Dead Letter IDs is empty');
	const bad = ids.find((id): boolean => !isStreamId(id));
	if (bad !== undefined)
		throw new Error(`'${bad.slice(0, 40)}' is not a dead-letter ID (<ms>-<seq>, as List gives it)`);
	return ids;
}

/** Every id once, paired with the first item that named it. */
function idsOfItems(run: LedgerRun): Array<{ id: string; index: number }> {
	const named = run.out.perItem(run.items.length, (index) => idsOfItem(run, index));
	const first = new Map<string, number>();
	for (const { index, value } of named)
		for (const id of value) if (!first.has(id)) first.set(id, index);
	return [...first].map(([id, index]) => ({ id, index }));
}

function emit(run: LedgerRun, index: number, json: IDataObject): void {
	const item: INodeExecutionData = { json, pairedItem: { item: index } };
	run.out.outputs[0].push(item);
}

export async function execute(run: LedgerRun): Promise<void> {
	const { ctx, redis, prefix } = run;
	const action = ctx.getNodeParameter('deadLetterAction', 0, 'list') as string;
	if (action === 'list') {
		const order = ctx.getNodeParameter('deadLetterOrder', 0, 'newest') as DeadLetterOrder;
		const page = await scanDeadLetters(redis, prefix, {
			filter: filterOf(run),
			limit: limitOf(run),
			order,
		});
		for (const letter of page.letters) emit(run, 0, letterView(letter) as IDataObject);
		for (const { id, reason } of page.unreadable) {
			emit(run, 0, { id, kind: 'unreadable', channel: null, operation: null, skus: [], reason });
		}
		return;
	}
	if (action !== 'replay' && action !== 'discard') throw new Error(`Unknown action '${action}'`);
	const select = ctx.getNodeParameter('deadLetterSelect', 0, 'ids') as string;

	if (select === 'filter') {
		const page = await scanDeadLetters(redis, prefix, {
			filter: filterOf(run),
			limit: limitOf(run),
			order: 'oldest',
		});
		if (action === 'replay') {
			const context = await replayContext(redis, prefix);
			const results = await replayDeadLetters(redis, prefix, page.letters, context);
			for (const r of results) emit(run, 0, { ...r });
		} else {
			const outcomes = await discardByIds(
				redis,
				prefix,
				page.letters.map((l) => l.id),
			);
			page.letters.forEach((letter, k) => {
				emit(run, 0, {
					id: letter.id,
					kind: letter.kind,
					channel: letter.kind === 'channel' ? letter.channel : null,
					operation: letter.kind === 'channel' ? letter.operation : null,
					skus: skusOf(letter),
					outcome: outcomes[k].outcome,
				});
			});
		}
		return;
	}

	const wanted = idsOfItems(run);
	if (wanted.length === 0) return;
	const indexOf = new Map(wanted.map((w) => [w.id, w.index]));
	const ids = wanted.map((w) => w.id);
	if (action === 'replay') {
		for (const r of await replayByIds(redis, prefix, ids))
			emit(run, indexOf.get(r.id) ?? 0, { ...r });
	} else {
		for (const r of await discardByIds(redis, prefix, ids))
			emit(run, indexOf.get(r.id) ?? 0, { ...r });
	}
}
