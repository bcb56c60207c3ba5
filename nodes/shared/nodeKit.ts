import type Redis from 'ioredis';
import {
	NodeOperationError,
	type ICredentialDataDecryptedObject,
	type IDataObject,
	type IExecuteFunctions,
	type INode,
	type INodeExecutionData,
	type IPairedItemData,
} from 'n8n-workflow';
import {
	credentialFromData,
	describeRedisError,
	describeTarget,
	getRedis,
	keyPrefixOf,
	logRedisWarningsOnce,
	type InventoryRedisCredential,
} from './redis';

/**
 * What every node of ours that runs items against the Inventory Redis credential does the same way (the Guard,
 * the Ledger, later the channel nodes): connect, read the Result Field option, build result items, honour
 * Continue On Fail per item and per batch, and return each output in input order. The nodes' routers keep
 * only what is theirs (which output an item goes to, which errors are a batch's).
 */

export const REDIS_CREDENTIAL = 'inventoryRedisApi';

/** What the kit uses of n8n's context: small enough for tests to provide a real one. */
export type NodeContext = Pick<
	IExecuteFunctions,
	| 'getInputData'
	| 'getNodeParameter'
	| 'getCredentials'
	| 'continueOnFail'
	| 'getNode'
	| 'getExecutionId'
>;

export interface RedisConnection {
	cred: InventoryRedisCredential;
	redis: Redis;
	prefix: string;
}

/** The shared client of the node's Inventory Redis credential, and its key prefix; clear node errors otherwise. */
export async function connectRedis(ctx: NodeContext): Promise<RedisConnection> {
	const node = ctx.getNode();
	const cred = credentialFromData(
		await ctx.getCredentials<ICredentialDataDecryptedObject>(REDIS_CREDENTIAL),
	);
	let prefix: string;
	try {
		prefix = keyPrefixOf(cred);
	} catch (error) {
		throw new NodeOperationError(node, (error as Error).message, {
			description: 'Fix the Key Prefix in the Inventory Redis credential',
		});
	}
	try {
		const redis = await getRedis(cred);
		logRedisWarningsOnce((ctx as Partial<Pick<IExecuteFunctions, 'logger'>>).logger, redis);
		return { cred, redis, prefix };
	} catch (error) {
		throw new NodeOperationError(node, describeRedisError(error, cred), {
			description: `Check that Redis at ${describeTarget(cred)} is running and that the credential's host, port, TLS, user and password are right. The next run connects again.`,
		});
	}
}

/** A Redis call of the batch failed (connection lost, timeout, a script error): said as Redis's problem. */
export function redisStepError(
	node: INode,
	error: unknown,
	{ cred, redis }: RedisConnection,
	step: string,
): NodeOperationError {
	return new NodeOperationError(node, describeRedisError(error, cred, redis), {
		description: `The ${step} step did not complete. Check that Redis at ${describeTarget(cred)} is running; the node reconnects by itself.`,
	});
}

/** The node's Options collection (read once, from the first item). */
export function nodeOptions(ctx: Pick<NodeContext, 'getNodeParameter'>): IDataObject {
	return (ctx.getNodeParameter('options', 0, {}) as IDataObject) ?? {};
}

/** The Result Field option, trimmed; `fallback` when empty. 'error' is refused: n8n uses it for failed items. */
export function resultField(
	ctx: Pick<NodeContext, 'getNodeParameter' | 'getNode'>,
	fallback: string,
): string {
	const raw = nodeOptions(ctx).resultField;
	const field = typeof raw === 'string' && raw.trim() ? raw.trim() : fallback;
	if (field === 'error')
		throw new NodeOperationError(
			ctx.getNode(),
			"Result field cannot be 'error' (n8n uses it for failed items)",
		);
	return field;
}

/** The input item with the result under `field`; its binary data kept, paired with its input. */
export function resultItem(
	item: INodeExecutionData,
	index: number,
	field: string,
	value: IDataObject,
): INodeExecutionData {
	const out: INodeExecutionData = {
		json: { ...item.json, [field]: value },
		pairedItem: { item: index },
	};
	if (item.binary) out.binary = item.binary;
	return out;
}

/** A failed item as n8n stores it anyway (WorkflowExecute replaces an errored item's JSON with `{ error }`). */
export function errorItem(index: number, error: NodeOperationError): INodeExecutionData {
	return { json: { error: error.message }, error, pairedItem: { item: index } };
}

/** Any error as a node error (kept as is when it already is one). */
export function asNodeError(node: INode, error: unknown, itemIndex?: number): NodeOperationError {
	if (error instanceof NodeOperationError) return error;
	const message = error instanceof Error ? error.message : String(error);
	return itemIndex === undefined
		? new NodeOperationError(node, message)
		: new NodeOperationError(node, message, { itemIndex });
}

/**
 * A run's outputs. Failed items go to the first output as error items when Continue On Fail is on; otherwise
 * the error is thrown (the run fails). `sorted()` returns every output in input order (pairedItem).
 */
export class NodeOutputs {
	readonly outputs: INodeExecutionData[][];
	private readonly failed = new Set<number>();

	constructor(
		private readonly node: INode,
		outputCount: number,
		private readonly continueOnFail: boolean,
	) {
		this.outputs = Array.from({ length: outputCount }, () => []);
	}

	/** The item, with `value` under `field`, on output `output`. */
	put(
		output: number,
		item: INodeExecutionData,
		index: number,
		field: string,
		value: IDataObject,
	): void {
		this.outputs[output].push(resultItem(item, index, field, value));
	}

	/** One item failed (its parameters): thrown, or carried by that item alone with Continue On Fail. */
	failItem(index: number, error: unknown): void {
		const nodeError = asNodeError(this.node, error, index);
		if (!this.continueOnFail) throw nodeError;
		this.failed.add(index);
		this.outputs[0].push(errorItem(index, nodeError));
	}

	/**
	 * The batch failed (settings, connection, Redis): thrown, or carried by every item concerned that has not
	 * already failed on its own.
	 */
	failAll(indexes: readonly number[], error: NodeOperationError): void {
		if (!this.continueOnFail) throw error;
		for (const index of indexes) {
			if (this.failed.has(index)) continue;
			this.failed.add(index);
			this.outputs[0].push(errorItem(index, error));
		}
	}

	/** Drops the results gathered so far (a batch that failed half way), keeping the failed items. */
	dropResults(): void {
		for (const output of this.outputs) {
			const kept = output.filter((item) => item.error !== undefined);
			output.length = 0;
			output.push(...kept);
		}
	}

	/** Reads something per item; an item whose read throws fails alone (failItem) and is left out. */
	perItem<T>(count: number, read: (index: number) => T): Array<{ index: number; value: T }> {
		const out: Array<{ index: number; value: T }> = [];
		for (let index = 0; index < count; index++) {
			try {
				out.push({ index, value: read(index) });
			} catch (error) {
				this.failItem(index, error);
			}
		}
		return out;
	}

	/** Every output in input order (failed items are collected first). */
	sorted(): INodeExecutionData[][] {
		for (const output of this.outputs) {
			output.sort(
				(a, b) => (a.pairedItem as IPairedItemData).item - (b.pairedItem as IPairedItemData).item,
			);
		}
		return this.outputs;
	}
}
