import type { IDataObject, INodeProperties } from 'n8n-workflow';
import {
	DEFAULT_INITIAL_LOOKBACK_MIN,
	DEFAULT_MAX_PAGES,
	DEFAULT_OVERLAP_S,
	pollOrders,
} from '../orders/poll';
import { channelKeys } from '../../shared/keys';
import { ledgerResultItems } from '../../shared/ledgerResultItems';
import { emit, numberOption, type WooChannel } from './common';

/**
 * Poll Orders: the catch-up poll (orders/poll.ts). Output: one summary item, then one item per applied event
 * with its Ledger result (outcome, reason, delta), in the order they were applied.
 */

export const description: INodeProperties[] = [
	{
		displayName: 'Poll Options',
		name: 'pollOptions',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		displayOptions: { show: { operation: ['pollOrders'] } },
		options: [
			{
				displayName: 'Initial Look-Back (Minutes)',
				name: 'initialLookback',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: DEFAULT_INITIAL_LOOKBACK_MIN,
				description:
					"The first poll (no cursor yet) reads orders changed this long ago; older ones are assumed counted in the ledger's levels",
			},
			{
				displayName: 'Max Pages',
				name: 'maxPages',
				type: 'number',
				typeOptions: { minValue: 1, numberPrecision: 0 },
				default: DEFAULT_MAX_PAGES,
				description:
					'Pages of 100 orders read per run at most; the rest is read by the next run (the cursor keeps the place)',
			},
			{
				displayName: 'Overlap (Seconds)',
				name: 'overlap',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: DEFAULT_OVERLAP_S,
				description:
					'Read this much before the cursor again (orders saved late in the same second, clocks); reading an order twice is harmless',
			},
			{
				displayName: 'Skip Orders Already Applied',
				name: 'skipHeldOrders',
				type: 'boolean',
				default: true,
				description:
					'Whether orders the Ledger already holds at the date_modified_gmt read are left out (applying them again changes nothing). Off: each is applied again and one held at the same second with other lines comes out as a tie (result.reread) for Re-Read Orders.',
			},
		],
	},
];

export async function execute(ch: WooChannel): Promise<void> {
	const extra = (ch.ctx.getNodeParameter('pollOptions', 0, {}) ?? {}) as IDataObject;
	const { summary, events, results } = await pollOrders(ch.redis, ch.prefix, ch.run, ch.client, {
		shop: ch.shop,
		overlapMs: numberOption(extra, 'overlap', DEFAULT_OVERLAP_S) * 1000,
		initialLookbackMs:
			numberOption(extra, 'initialLookback', DEFAULT_INITIAL_LOOKBACK_MIN) * 60_000,
		maxPages: Math.max(1, Math.floor(numberOption(extra, 'maxPages', DEFAULT_MAX_PAGES))),
		skipHeld: extra.skipHeldOrders !== false,
	});
	// A first poll that read everything and found no order still fixes where the next one starts: without a
	// cursor every poll would look back from its own time again, and with a short Initial Look-Back an order
	// changed between two polls would never be read. NX: a cursor written meanwhile is newer.
	if (summary.startedFrom === 'initial' && summary.cursorAfter === null && !summary.more) {
		await ch.redis.set(channelKeys.cursor(ch.prefix, ch.channel), summary.modifiedAfter, 'NX');
		summary.cursorAfter = summary.modifiedAfter;
	}
	emit(ch, { operation: 'pollOrders', summary: summary as unknown as IDataObject });
	for (const item of ledgerResultItems(events, results, 'idWithResult')) emit(ch, item);
}
