import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { drainPublish } from '../../shared/channel/publish';
import { markDrifting } from '../../shared/driftCheck';
import { ShopifyStockWriter } from '../stock/writer';
import { channelShop, credentialSecrets, leaseFromOptions } from '../stock/nodeSupport';
import { openShopifyChannel } from './common';

/**
 * Publish: the channel's dirty SKUs, once per execution, to Shopify (stock/writer.ts over the shared drain,
 * nodes/shared/channel/publish.ts). One summary item; with "Detail" the per-place decisions too (a dry run's
 * diff).
 */

export const description: INodeProperties[] = [
	{
		displayName: 'Publish Options',
		name: 'publishOptions',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		displayOptions: { show: { operation: ['publish'] } },
		options: [
			{
				displayName: 'Check Every SKU First',
				name: 'checkAllSkus',
				type: 'boolean',
				default: false,
				description:
					"Whether to compare every mapped SKU with what Shopify last reported or was sent, and mark the ones that differ dirty before publishing (the nightly reconciliation; run the order poll before it, so a mirror's lower report is never raised before the poll has explained it)",
			},
			{
				displayName: 'Detail Limit',
				name: 'detailLimit',
				type: 'number',
				typeOptions: { minValue: 0, numberPrecision: 0 },
				default: 0,
				description:
					'Per SKU and place, list up to this many decisions (what was written, held, unchanged) in the output; 0 for counts only',
			},
			{
				displayName: 'Force',
				name: 'force',
				type: 'boolean',
				default: false,
				description:
					'Whether to write even where Shopify is thought to show the value already (a resync)',
			},
		],
	},
];

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const ch = await openShopifyChannel(this);
	const extra = this.getNodeParameter('publishOptions', 0, {}) as {
		detailLimit?: number;
		force?: boolean;
		checkAllSkus?: boolean;
	};
	const shop = await channelShop(ch);
	const reconciliation = extra.checkAllSkus
		? await markDrifting(ch.redis, ch.prefix, ch.channel)
		: undefined;
	const writer = new ShopifyStockWriter(ch.client, ch.redis, ch.prefix, shop);
	const report = await drainPublish(ch.redis, ch.prefix, {
		run: ch.run,
		writer,
		force: extra.force === true,
		detailLimit: Math.max(0, Math.floor(extra.detailLimit ?? 0)),
		secrets: await credentialSecrets(this),
		lease: leaseFromOptions(ch.options),
	});
	return [
		[
			{
				json: {
					operation: 'publish',
					...report,
					...(reconciliation ? { reconciliation: { ...reconciliation } } : {}),
				},
				pairedItem: { item: 0 },
			},
		],
	];
}
