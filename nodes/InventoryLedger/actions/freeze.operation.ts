import type { INodeProperties } from 'n8n-workflow';
import { markItems, type LedgerRun } from './common';

/** Freeze: never publish these SKUs (the ledger still records everything). Its SKU parameter is shared (descriptions.ts). */

export const description: INodeProperties[] = [];

export async function execute(run: LedgerRun): Promise<void> {
	await markItems(run, 'freeze');
}
