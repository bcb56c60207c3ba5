import { NodeOperationError, type INodeExecutionData } from 'n8n-workflow';
import {
	NodeOutputs,
	asNodeError,
	connectRedis,
	redisStepError,
	resultField,
	type RedisConnection,
} from '../../shared/nodeKit';
import {
	claimOwnerOf,
	configuredOutputs,
	isGuardOperation,
	ownerOf,
	type GuardOperation,
	type GuardSettings,
} from '../guard';
import * as commit from './commit.operation';
import {
	DEFAULT_FIELD,
	prepare,
	readSettings,
	type GuardContext,
	type GuardRun,
	type GuardRuntime,
	type Prepared,
} from './common';
import * as deduplicate from './deduplicate.operation';
import * as extend from './extend.operation';
import * as lock from './lock.operation';
import * as release from './release.operation';
import * as unlock from './unlock.operation';

export type { GuardContext, GuardRuntime } from './common';

/**
 * The Inventory Guard's execute(): read the parameters of every item, make one Redis call for the batch
 * (claim / commit / release: one round trip; lock: one per attempt), and route each item to its output.
 * Per-item problems (an empty key, a missing token) fail that item; a Redis problem fails the batch. With
 * Continue On Fail, failed items carry the error (on the first output, and on the error output when the
 * node is set to "Continue (using error output)").
 */

const OPERATIONS: Record<
	GuardOperation,
	{ execute: (run: GuardRun, prepared: Prepared[]) => Promise<void> }
> = { deduplicate, commit, release, lock, unlock, extend };

export async function executeGuard(
	ctx: GuardContext,
	runtime: GuardRuntime = {},
): Promise<INodeExecutionData[][]> {
	const node = ctx.getNode();
	const items = ctx.getInputData();
	const chosen = ctx.getNodeParameter('operation', 0) as string;
	// 'claim' was Deduplicate's value before 0.2: workflows saved with it keep working.
	const operation = chosen === 'claim' ? 'deduplicate' : chosen;
	if (!isGuardOperation(operation))
		throw new NodeOperationError(node, `Unknown operation '${operation}'`);
	const out = new NodeOutputs(node, configuredOutputs({ operation }).length, ctx.continueOnFail());
	if (items.length === 0) return out.outputs;

	let field: string;
	let settings: GuardSettings;
	let connection: RedisConnection;
	try {
		field = resultField(ctx, DEFAULT_FIELD[operation]);
		settings = readSettings(ctx, operation);
		connection = await connectRedis(ctx);
	} catch (error) {
		out.failAll(
			items.map((_, i) => i),
			asNodeError(node, error),
		);
		return out.outputs;
	}
	const prepared = prepare(ctx, items, operation, connection.prefix, out);
	if (prepared.length === 0) return out.outputs;
	const runOwner = ownerOf(ctx.getInstanceId(), ctx.getExecutionId());
	const run: GuardRun = {
		ctx,
		items,
		redis: connection.redis,
		settings,
		field,
		// Per key: the item's inbox entry when it has one, else this run (guard.ts claimOwnerOf).
		owners: prepared.map((p) => claimOwnerOf(items[p.index].json, runOwner)),
		runtime,
		now: runtime.now ?? Date.now,
		put: (output, p, value) => out.put(output, items[p.index], p.index, field, value),
	};
	try {
		await OPERATIONS[operation].execute(run, prepared);
	} catch (error) {
		out.failAll(
			prepared.map((p) => p.index),
			redisStepError(node, error, connection, operation),
		);
	}
	return out.sorted();
}
