import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { drainAdjust } from '../stock/adjust';
import { channelShop, credentialSecrets, leaseFromOptions } from '../stock/nodeSupport';
import { openShopifyChannel } from './common';

/**
 * Adjust: the owner outbox of this channel (sales on other channels drawing on a location Shopify owns), once
 * per execution, as inventoryAdjustQuantities batches (stock/adjust.ts). One summary item.
 */

export const description: INodeProperties[] = [];

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const ch = await openShopifyChannel(this);
	const report = await drainAdjust(ch.redis, ch.prefix, {
		run: ch.run,
		client: ch.client,
		shop: await channelShop(ch),
		secrets: await credentialSecrets(this),
		lease: leaseFromOptions(ch.options),
	});
	return [[{ json: { operation: 'adjust', ...report }, pairedItem: { item: 0 } }]];
}
