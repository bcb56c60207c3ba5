import type { INodeProperties } from 'n8n-workflow';
import { markItems, type LedgerRun } from './common';

/** Unfreeze: publish these SKUs again (marks them dirty). Its SKU parameter is shared (descriptions.ts). */

export const description: INodeProperties[] = [];

export async function execute(run: LedgerRun): Promise<void> {
	await markItems(run, 'unfreeze');
}
