import type { INodeProperties } from 'n8n-workflow';
import { markItems, type LedgerRun } from './common';

/** Resync: mark these SKUs dirty for every channel now. Its SKU parameter is shared (descriptions.ts). */

export const description: INodeProperties[] = [];

export async function execute(run: LedgerRun): Promise<void> {
	await markItems(run, 'resync');
}
