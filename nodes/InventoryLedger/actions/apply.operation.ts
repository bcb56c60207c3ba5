import type { INodeProperties } from 'n8n-workflow';
import { nodeOptions } from '../../shared/nodeKit';
import { applyEvents, loadProfile } from '../ledger';
import { OUTPUT_OF, describeResult, type LedgerRun } from './common';

/**
 * Apply: inventory events (order lines, levels, observations, mappings) applied exactly once, one round trip
 * per batch, routed to Applied / Skipped / Invalid. Its option (Event Field) lives in the shared Options
 * collection (descriptions.ts).
 */

export const description: INodeProperties[] = [];

export async function execute(run: LedgerRun): Promise<void> {
	const { items, redis, prefix } = run;
	const eventField = String(nodeOptions(run.ctx).eventField ?? '').trim();
	const events = items.map((item) => (eventField ? item.json[eventField] : item.json));
	const results = await applyEvents(redis, prefix, events);
	const dryRun = (await loadProfile(redis, prefix))?.index.profile.dryRun;
	for (const r of results)
		run.out.put(
			OUTPUT_OF[r.outcome],
			items[r.index],
			r.index,
			run.field,
			describeResult(r, dryRun),
		);
}
