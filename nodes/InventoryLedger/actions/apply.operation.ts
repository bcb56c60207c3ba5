import type { INodeProperties } from 'n8n-workflow';
import { nodeOptions } from '../../shared/nodeKit';
import { applyEvents, loadProfile } from '../ledger';
import { OUTPUT_OF, REREAD_OUTPUT, describeResult, type LedgerRun } from './common';

/**
 * Apply: inventory events (order lines, levels, observations, mappings) applied exactly once, one round trip
 * per batch, routed to Applied / Skipped / Invalid, and with Re-Read Output the ties (skipped items the
 * Ledger wants read again, `reread: true`) to a fourth output. Its option (Event Field) lives in the shared
 * Options collection (descriptions.ts).
 */

export const description: INodeProperties[] = [
	{
		displayName: 'Re-Read Output',
		name: 'rereadOutput',
		type: 'boolean',
		default: false,
		displayOptions: { show: { operation: ['apply'] } },
		description:
			"Whether ties (an order or level at an equal version with other contents: the Ledger asks for a re-read, ledger.reread) leave by a fourth output, Re-Read, instead of Skipped. Routing them there costs nothing per item; an IF on Skipped evaluates an expression for every duplicate, which in n8n's expression engine took a quarter of a flash sale's CPU.",
	},
];

export async function execute(run: LedgerRun): Promise<void> {
	const { items, redis, prefix } = run;
	const eventField = String(nodeOptions(run.ctx).eventField ?? '').trim();
	const events = items.map((item) => (eventField ? item.json[eventField] : item.json));
	const results = await applyEvents(redis, prefix, events);
	const dryRun = (await loadProfile(redis, prefix))?.index.profile.dryRun;
	const rereadOutput = run.ctx.getNodeParameter('rereadOutput', 0, false) === true;
	for (const r of results)
		run.out.put(
			rereadOutput && r.outcome === 'skipped' && r.reread === true
				? REREAD_OUTPUT
				: OUTPUT_OF[r.outcome],
			items[r.index],
			r.index,
			run.field,
			describeResult(r, dryRun),
		);
}
