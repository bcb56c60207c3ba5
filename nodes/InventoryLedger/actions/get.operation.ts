import type { IDataObject, INodeProperties } from 'n8n-workflow';
import { getSkus } from '../ledger';
import { skusOf, type LedgerRun } from './common';

/** Get: each SKU's ledger and publish state, one pipeline for all. Its SKU parameter is shared (descriptions.ts). */

export const description: INodeProperties[] = [];

export async function execute(run: LedgerRun): Promise<void> {
	const skus = skusOf(run);
	if (skus.length === 0) return;
	const { states } = await getSkus(
		run.redis,
		run.prefix,
		skus.map((s) => s.value),
	);
	states.forEach((state, n) => {
		const { index } = skus[n];
		run.out.put(0, run.items[index], index, run.field, state as unknown as IDataObject);
	});
}
