import type { IDataObject, INodeProperties } from 'n8n-workflow';
import { auditOf } from '../ledger';
import { skuParam, type LedgerRun } from './common';

/** Audit: a SKU's history, newest first (one XREVRANGE per item). */

export const description: INodeProperties[] = [
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		typeOptions: { minValue: 1, numberPrecision: 0 },
		default: 50,
		displayOptions: { show: { operation: ['audit'] } },
		description: 'Max number of results to return',
	},
];

export async function execute(run: LedgerRun): Promise<void> {
	const { ctx } = run;
	const wanted = run.out.perItem(run.items.length, (index) => ({
		sku: skuParam(ctx, index),
		limit: Math.max(1, Math.min(10_000, Number(ctx.getNodeParameter('limit', index, 50)) || 50)),
	}));
	for (const { index, value } of wanted) {
		const entries = await auditOf(run.redis, run.prefix, value.sku, value.limit);
		run.out.put(0, run.items[index], index, run.field, {
			sku: value.sku,
			entries: entries as unknown as IDataObject[],
		});
	}
}
