import type { IDataObject, INodeProperties } from 'n8n-workflow';
import { placeAvailability } from '../aggregate';
import { NoProfileError, getSkus } from '../ledger';
import { skuParam, type LedgerRun } from './common';

/**
 * Availability: what each channel place would show for a SKU (Σ shown − pending − buffer − sales-rate reserve), as
 * Publish decides it: the reserve's rate decayed to Redis's clock of the same read.
 */

export const description: INodeProperties[] = [
	{
		displayName: 'Channel',
		name: 'channel',
		type: 'string',
		default: '',
		displayOptions: { show: { operation: ['availability'] } },
		description: 'Only this channel (empty: every channel of the profile)',
	},
];

export async function execute(run: LedgerRun): Promise<void> {
	const { ctx, out } = run;
	const wanted = out.perItem(run.items.length, (index) => ({
		sku: skuParam(ctx, index),
		channel: String(ctx.getNodeParameter('channel', index, '') ?? '').trim() || undefined,
	}));
	if (wanted.length === 0) return;
	const { states, profile, clock } = await getSkus(
		run.redis,
		run.prefix,
		wanted.map((w) => w.value.sku),
	);
	if (!profile) throw new NoProfileError();
	states.forEach((state, n) => {
		const { index, value } = wanted[n];
		const places = placeAvailability(profile.index.profile, state, value.channel, clock);
		out.put(0, run.items[index], index, run.field, {
			sku: state.sku,
			rev: state.rev,
			frozen: state.frozen || state.frozenByProfile,
			dryRun: profile.index.profile.dryRun,
			places: places as unknown as IDataObject[],
		});
	});
}
