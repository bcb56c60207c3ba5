import type { INodeProperties } from 'n8n-workflow';
import { setCounts, type CountInput } from '../ledger';
import { OUTPUT_OF, asOfParam, describeResult, skuParam, type LedgerRun } from './common';

/**
 * Set: an ERP or manual count as of a time, replacing the level and keeping later sales (one script call per
 * chunk). An item with a bad parameter goes to Invalid (reason badInput), not to an error.
 */

export const description: INodeProperties[] = [
	{
		displayName: 'Location',
		name: 'location',
		type: 'string',
		required: true,
		default: '={{ $json.locationId }}',
		displayOptions: { show: { operation: ['set'] } },
		description: "A ledger-owned location of the profile, e.g. 'ledger:warehouse'",
	},
	{
		displayName: 'Counted Quantity',
		name: 'quantity',
		type: 'number',
		typeOptions: { numberPrecision: 0 },
		required: true,
		default: 0,
		displayOptions: { show: { operation: ['set'] } },
		description: 'Units counted at the location',
	},
	{
		displayName: 'As Of',
		name: 'asOf',
		type: 'string',
		required: true,
		default: '={{ $json.countedAt }}',
		displayOptions: { show: { operation: ['set'] } },
		description:
			'When the count was taken (ISO time or milliseconds since the epoch). Sales recorded after it are applied again on top.',
	},
];

export async function execute(run: LedgerRun): Promise<void> {
	const { ctx, items, out, field, source } = run;
	const counts: CountInput[] = [];
	items.forEach((item, index) => {
		try {
			const sku = skuParam(ctx, index);
			const location = String(ctx.getNodeParameter('location', index, '') ?? '').trim();
			if (!location) throw new Error('Location is empty');
			const quantity = Number(ctx.getNodeParameter('quantity', index));
			if (!Number.isInteger(quantity) || Math.abs(quantity) > 1e9)
				throw new Error('Counted Quantity must be a whole number within ±1e9');
			counts.push({
				index,
				sku,
				location,
				quantity,
				asOf: asOfParam(ctx.getNodeParameter('asOf', index)),
				id: `count:${location}`,
				source,
			});
		} catch (error) {
			out.put(2, item, index, field, {
				outcome: 'invalid',
				reason: 'badInput',
				message: (error as Error).message,
			});
		}
	});
	const results = await setCounts(run.redis, run.prefix, counts);
	for (const r of results)
		out.put(OUTPUT_OF[r.outcome], items[r.index], r.index, field, describeResult(r, undefined));
}
