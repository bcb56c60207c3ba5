import type { INodeProperties } from 'n8n-workflow';
import { leaseFromOptions } from '../../shared/channel/runOptions';
import { drainPublish } from '../../shared/channel/publish';
import { markDrifting } from '../../shared/driftCheck';
import { WooStockWriter } from '../stock/writer';
import { emit, type WooChannel } from './common';

/**
 * Publish: the channel's dirty SKUs, once per execution, to WooCommerce (stock/writer.ts over the shared drain,
 * nodes/shared/channel/publish.ts): batches of up to 100 per endpoint, failed calls dead-lettered. One
 * summary item (the PublishReport and the look-up figures).
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
					"Whether to compare every mapped SKU with what WooCommerce last reported or was sent, and mark the ones that differ dirty before publishing (the nightly reconciliation; run the order poll before it, so a mirror's lower report is never raised before the poll has explained it)",
			},
			{
				displayName: 'Detail Limit',
				name: 'detailLimit',
				type: 'number',
				typeOptions: { minValue: 0, numberPrecision: 0 },
				default: 0,
				description:
					'Per SKU, list up to this many decisions (written, held, unchanged, unmapped) in the output; 0 for counts only',
			},
			{
				displayName: 'Force',
				name: 'force',
				type: 'boolean',
				default: false,
				description:
					'Whether to write even where WooCommerce is thought to show the value already (a resync)',
			},
		],
	},
];

export async function execute(ch: WooChannel): Promise<void> {
	const extra = (ch.ctx.getNodeParameter('publishOptions', 0, {}) ?? {}) as {
		detailLimit?: number;
		force?: boolean;
		checkAllSkus?: boolean;
	};
	const reconciliation = extra.checkAllSkus
		? await markDrifting(ch.redis, ch.prefix, ch.channel)
		: undefined;
	const writer = new WooStockWriter({
		redis: ch.redis,
		prefix: ch.prefix,
		shop: ch.shop,
		client: ch.client,
		secrets: ch.secrets,
		now: ch.run.now,
	});
	const report = await drainPublish(ch.redis, ch.prefix, {
		run: ch.run,
		writer,
		force: extra.force === true,
		detailLimit: Math.max(0, Math.floor(extra.detailLimit ?? 0)),
		secrets: ch.secrets,
		lease: leaseFromOptions(ch.options),
	});
	emit(ch, {
		operation: 'publish',
		...report,
		details: report.details.map((d) => ({ ...d })),
		lookupCalls: writer.stats.lookupCalls,
		mapped: writer.stats.mapped,
		lookupDeadLettered: writer.stats.lookupDeadLettered,
		lookupDeadLetterIds: writer.stats.lookupDeadLetterIds,
		...(reconciliation
			? {
					reconciliation: {
						...reconciliation,
						examples: reconciliation.examples.map((e) => ({ ...e })),
					},
				}
			: {}),
	});
}
