import { NodeOperationError, type INodeExecutionData } from 'n8n-workflow';
import {
	NodeOutputs,
	connectRedis,
	redisStepError,
	resultField,
	type RedisConnection,
} from '../../shared/nodeKit';
import { classifyRedisError } from '../../shared/redis';
import { LEDGER_OPERATIONS, configuredOutputs, type LedgerOperation } from '../descriptions';
import { NoProfileError } from '../ledger';
import { ProfileError } from '../profile';
import * as apply from './apply.operation';
import * as audit from './audit.operation';
import * as availability from './availability.operation';
import { ledgerError, type LedgerContext, type LedgerRun } from './common';
import * as deadLetters from './deadLetters.operation';
import * as freeze from './freeze.operation';
import * as get from './get.operation';
import * as health from './health.operation';
import * as profile from './profile.operation';
import * as resync from './resync.operation';
import * as set from './set.operation';
import * as unfreeze from './unfreeze.operation';

export type { LedgerContext } from './common';

/**
 * The Inventory Ledger's execute(): one Redis round trip per batch for Apply, Set, Get, Availability and the
 * marks; results routed to Applied / Skipped / Invalid (Apply, Set) or Done. An item with a bad parameter (a
 * blank SKU) fails alone, as in the Guard; a Redis or profile problem fails the batch (or, with Continue On
 * Fail, every item carries the error on the first output).
 */

const OPERATIONS: Record<LedgerOperation, { execute: (run: LedgerRun) => Promise<void> }> = {
	apply,
	audit,
	availability,
	deadLetters,
	freeze,
	get,
	health,
	profile,
	resync,
	set,
	unfreeze,
};

/** Operations that run once per execution, also with no input item (a schedule, a manual run). */
const RUN_WITHOUT_INPUT: ReadonlySet<LedgerOperation> = new Set([
	'profile',
	'health',
	'deadLetters',
]);

export async function executeLedger(ctx: LedgerContext): Promise<INodeExecutionData[][]> {
	const node = ctx.getNode();
	const items = ctx.getInputData();
	const operation = ctx.getNodeParameter('operation', 0) as LedgerOperation;
	if (!(LEDGER_OPERATIONS as readonly string[]).includes(operation))
		throw new NodeOperationError(node, `Unknown operation '${operation}'`);
	const rereadOutput =
		operation === 'apply' && ctx.getNodeParameter('rereadOutput', 0, false) === true;
	const out = new NodeOutputs(
		node,
		configuredOutputs({ operation, rereadOutput }).length,
		ctx.continueOnFail(),
	);
	if (items.length === 0 && !RUN_WITHOUT_INPUT.has(operation)) return out.outputs;
	const field = resultField(ctx, 'ledger');
	// Profile, Health and Dead Letters run once even without input: their result (or error) is item 0.
	const all = items.length ? items.map((_, index) => index) : [0];

	let connection: RedisConnection;
	try {
		connection = await connectRedis(ctx);
	} catch (error) {
		out.failAll(all, ledgerError(node, error));
		return out.outputs;
	}
	const run: LedgerRun = {
		ctx,
		items,
		operation,
		redis: connection.redis,
		prefix: connection.prefix,
		field,
		source: `manual:n8n:${operation}:execution ${ctx.getExecutionId()}`,
		out,
	};
	try {
		await OPERATIONS[operation].execute(run);
	} catch (error) {
		const isOwn =
			error instanceof ProfileError ||
			error instanceof NoProfileError ||
			error instanceof NodeOperationError;
		// Said as what it is (shared/redis classifyRedisError): Redis's errors name the server, ours do not.
		const kind = classifyRedisError(error);
		const isRedis = !isOwn && (kind.fromRedis || kind.kind === 'timeout');
		out.dropResults();
		out.failAll(
			all,
			isRedis ? redisStepError(node, error, connection, operation) : ledgerError(node, error),
		);
	}
	return out.sorted();
}
