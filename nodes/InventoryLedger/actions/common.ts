import type Redis from 'ioredis';
import {
	NodeOperationError,
	type IDataObject,
	type INode,
	type INodeExecutionData,
} from 'n8n-workflow';
import type { NodeContext, NodeOutputs } from '../../shared/nodeKit';
import type { LedgerOperation } from '../descriptions';
import { NoProfileError, markSkus, type ApplyResult, type MarkAction } from '../ledger';
import { ProfileError } from '../profile';

/** What the Ledger's operations share: the run, per-item parameters, result shapes, the errors said as ours. */

export type LedgerContext = NodeContext;

/** One batch of the Ledger, as an operation's execute() gets it. */
export interface LedgerRun {
	ctx: LedgerContext;
	items: INodeExecutionData[];
	operation: LedgerOperation;
	redis: Redis;
	prefix: string;
	/** Field the outcome is written to. */
	field: string;
	/** The audit's source of a manual step: 'manual:n8n:<operation>:execution <id>'. */
	source: string;
	out: NodeOutputs;
}

/** A profile problem or a missing profile, said with what to do; anything else as a node error. */
export function ledgerError(node: INode, error: unknown): NodeOperationError {
	if (error instanceof NodeOperationError) return error;
	if (error instanceof ProfileError)
		return new NodeOperationError(node, error.message, { description: error.problems.join('\n') });
	if (error instanceof NoProfileError)
		return new NodeOperationError(node, error.message, {
			description:
				'Add an Inventory Ledger node with Operation = Profile, Action = Save, and run it once.',
		});
	return new NodeOperationError(node, error instanceof Error ? error.message : String(error));
}

export function skuParam(ctx: LedgerContext, index: number): string {
	const raw = ctx.getNodeParameter('sku', index, '') as unknown;
	if (typeof raw === 'number') return String(raw);
	if (typeof raw !== 'string' || raw.trim() === '') throw new Error('SKU is empty');
	return raw;
}

/** Every item's SKU; an item without one fails alone (NodeOutputs.perItem). */
export function skusOf(run: LedgerRun): Array<{ index: number; value: string }> {
	return run.out.perItem(run.items.length, (index) => skuParam(run.ctx, index));
}

export function asOfParam(raw: unknown): number {
	if (typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0) return raw;
	if (typeof raw === 'string' && /^\d{1,16}$/.test(raw.trim())) return Number(raw.trim());
	const parsed =
		typeof raw === 'string' || raw instanceof Date
			? Date.parse(String(raw instanceof Date ? raw.toISOString() : raw))
			: NaN;
	if (!Number.isFinite(parsed) || parsed < 0)
		throw new Error(
			`As Of must be an ISO time or milliseconds since the epoch (got ${JSON.stringify(raw)?.slice(0, 40)})`,
		);
	return parsed;
}

export const DRY_RUN_NOTE =
	"Dry run: recorded in the ledger only. The channel nodes compute what they would write and write nothing to the shops until the profile's Dry Run is switched off.";

export function describeResult(r: ApplyResult, dryRun: boolean | undefined): IDataObject {
	const out: IDataObject = {};
	for (const [k, v] of Object.entries(r))
		if (k !== 'index' && v !== undefined) out[k] = v as IDataObject[string];
	if (dryRun !== undefined) out.dryRun = dryRun;
	// "applied" in a dry run reads like a shop was written: say what it means.
	if (dryRun === true && r.outcome === 'applied') out.dryRunNote = DRY_RUN_NOTE;
	return out;
}

/** Apply and Set: Applied, Skipped, Invalid. */
export const OUTPUT_OF: Record<ApplyResult['outcome'], number> = {
	applied: 0,
	skipped: 1,
	invalid: 2,
};

/** Apply with Re-Read Output: the ties' output. */
export const REREAD_OUTPUT = 3;

/** Freeze, Unfreeze, Resync: one script call per chunk of SKUs (ledger/marks.ts), every item to Done. */
export async function markItems(run: LedgerRun, action: MarkAction): Promise<void> {
	const skus = skusOf(run);
	if (skus.length === 0) return;
	const marks = await markSkus(
		run.redis,
		run.prefix,
		skus.map((s) => s.value),
		action,
		run.source,
	);
	marks.forEach((m, n) =>
		run.out.put(0, run.items[skus[n].index], skus[n].index, run.field, { ...m, action }),
	);
}
