import type Redis from 'ioredis';
import {
	NodeOperationError,
	type ICredentialDataDecryptedObject,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type IPairedItemData,
} from 'n8n-workflow';
import {
	credentialFromData,
	describeRedisError,
	describeTarget,
	getRedis,
	keyPrefixOf,
	type InventoryRedisCredential,
} from '../shared/redis';
import { CLAIM_STATUS, GuardCode, LOCK_OUTCOME, PREVIOUS_STATE } from './codes';
import {
	GuardInputError,
	configuredOutputs,
	fenceKey,
	groupBy,
	guardKey,
	guardSettings,
	isGuardOperation,
	keyText,
	claimOwnerOf,
	lockKey,
	ownerOf,
	secondsParam,
	tokenText,
	type GuardOperation,
	type GuardSettings,
} from './guard';
import type { RandomSource } from './lockBackoff';
import {
	acquireLocks,
	claimKeys,
	commitKeys,
	extendLocks,
	releaseKeys,
	releaseLocks,
	type LockOutcome,
} from './redisGuard';

/**
 * The Inventory Guard's execute(): read the parameters of every item, make one Redis call for the batch
 * (claim / commit / release: one round trip; lock: one per attempt), and route each item to its output.
 * Per-item problems (an empty key, a missing token) fail that item; a Redis problem fails the batch. With
 * Continue On Fail, failed items carry the error (on the first output, and on the error output when the
 * node is set to "Continue (using error output)").
 */

/** What execute() uses of n8n's context: small enough for tests to provide a real one. */
export type GuardContext = Pick<
	IExecuteFunctions,
	| 'getInputData'
	| 'getNodeParameter'
	| 'getCredentials'
	| 'continueOnFail'
	| 'getNode'
	| 'getExecutionId'
	| 'getInstanceId'
>;

/** Injectable sources of time and randomness (tests); defaults are the real ones. */
export interface GuardRuntime {
	random?: RandomSource;
	sleep?: (ms: number) => Promise<void>;
	now?: () => number;
	token?: () => string;
}

export const CREDENTIAL = 'inventoryRedisApi';

const DEFAULT_FIELD: Record<GuardOperation, string> = {
	deduplicate: 'guard',
	commit: 'guard',
	release: 'guard',
	lock: 'lock',
	unlock: 'lock',
	extend: 'lock',
};

interface Prepared {
	index: number;
	text: string;
	redisKey: string;
	fence?: string;
	token?: string;
}

function options(ctx: GuardContext): IDataObject {
	return (ctx.getNodeParameter('options', 0, {}) as IDataObject) ?? {};
}

function readSettings(ctx: GuardContext, operation: GuardOperation): GuardSettings {
	const opts = options(ctx);
	// '' (unset) when a parameter is missing: n8n throws for a missing parameter without a fallback.
	const get = (name: string) => ctx.getNodeParameter(name, 0, '') as unknown;
	return guardSettings({
		claimTtlMs: operation === 'deduplicate' ? secondsParam(get('claimTtl'), 'Claim TTL') : undefined,
		commitTtlMs: operation === 'commit' ? secondsParam(get('commitTtl'), 'Commit TTL') : undefined,
		lockTtlMs:
			operation === 'lock' || operation === 'extend'
				? secondsParam(get('lockTtl'), 'Lock TTL')
				: undefined,
		maxWaitMs: operation === 'lock' ? secondsParam(get('maxWait'), 'Max Wait') : undefined,
		retryBaseMs:
			operation === 'lock' && opts.retryInterval !== undefined
				? Number(opts.retryInterval)
				: undefined,
	});
}

function resultField(ctx: GuardContext, operation: GuardOperation): string {
	const raw = options(ctx).resultField;
	const field = typeof raw === 'string' && raw.trim() ? raw.trim() : DEFAULT_FIELD[operation];
	if (field === 'error')
		throw new GuardInputError("Result field cannot be 'error' (n8n uses it for failed items)");
	return field;
}

function itemWith(
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
function errorItem(index: number, error: NodeOperationError): INodeExecutionData {
	return { json: { error: error.message }, error, pairedItem: { item: index } };
}

async function connect(
	ctx: GuardContext,
): Promise<{ cred: InventoryRedisCredential; redis: Redis; prefix: string }> {
	const node = ctx.getNode();
	const cred = credentialFromData(
		await ctx.getCredentials<ICredentialDataDecryptedObject>(CREDENTIAL),
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
		return { cred, redis: await getRedis(cred), prefix };
	} catch (error) {
		throw new NodeOperationError(node, describeRedisError(error, cred), {
			description: `Check that Redis at ${describeTarget(cred)} is running and that the credential's host, port, TLS, user and password are right. The next run connects again.`,
		});
	}
}

/** Resolves every item's key text (and token); items that fail are reported through `fail`. */
function prepare(
	ctx: GuardContext,
	items: INodeExecutionData[],
	operation: GuardOperation,
	prefix: string,
	fail: (index: number, error: unknown) => void,
): Prepared[] {
	const lockOp = operation === 'lock' || operation === 'unlock' || operation === 'extend';
	const out: Prepared[] = [];
	for (let index = 0; index < items.length; index++) {
		try {
			const text = keyText(
				ctx.getNodeParameter(lockOp ? 'lockKey' : 'key', index),
				lockOp ? 'Lock key' : 'Key',
			);
			const scopeRaw = ctx.getNodeParameter('options.scope', index, '') as unknown;
			const scope = scopeRaw === undefined || scopeRaw === null ? '' : String(scopeRaw);
			const prepared: Prepared = {
				index,
				text,
				redisKey: lockOp ? lockKey(prefix, text, scope) : guardKey(prefix, text, scope),
			};
			if (operation === 'lock') prepared.fence = fenceKey(prefix, text, scope);
			if (operation === 'unlock' || operation === 'extend') {
				prepared.token = tokenText(ctx.getNodeParameter('holder', index));
			}
			out.push(prepared);
		} catch (error) {
			fail(index, error);
		}
	}
	return out;
}

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
	const outputs: INodeExecutionData[][] = configuredOutputs({ operation }).map(() => []);
	const continueOnFail = ctx.continueOnFail();

	/** One item failed (its key or token): thrown, or carried by the item with Continue On Fail. */
	const fail = (index: number, error: unknown) => {
		const nodeError =
			error instanceof NodeOperationError
				? error
				: new NodeOperationError(node, error instanceof Error ? error.message : String(error), {
						itemIndex: index,
					});
		if (!continueOnFail) throw nodeError;
		outputs[0].push(errorItem(index, nodeError));
	};
	/** The batch failed (settings, connection, Redis): thrown, or carried by every item concerned. */
	const failAll = (indexes: number[], error: NodeOperationError) => {
		if (!continueOnFail) throw error;
		for (const index of indexes) outputs[0].push(errorItem(index, error));
	};
	const asNodeError = (error: unknown) =>
		error instanceof NodeOperationError
			? error
			: new NodeOperationError(node, error instanceof Error ? error.message : String(error));
	if (items.length === 0) return outputs;

	let field: string;
	let settings: GuardSettings;
	let connection: Awaited<ReturnType<typeof connect>>;
	try {
		field = resultField(ctx, operation);
		settings = readSettings(ctx, operation);
		connection = await connect(ctx);
	} catch (error) {
		failAll(
			items.map((_, i) => i),
			asNodeError(error),
		);
		return outputs;
	}
	const { redis, cred, prefix } = connection;
	const prepared = prepare(ctx, items, operation, prefix, fail);
	if (prepared.length === 0) return outputs;
	const runOwner = ownerOf(ctx.getInstanceId(), ctx.getExecutionId());
	// Per key: the item's inbox entry when it has one, else this run (guard.ts claimOwnerOf).
	const owners = prepared.map((p) => claimOwnerOf(items[p.index].json, runOwner));
	const put = (output: number, p: Prepared, value: IDataObject) => {
		outputs[output].push(itemWith(items[p.index], p.index, field, value));
	};
	const now = runtime.now ?? Date.now;

	try {
		switch (operation) {
			case 'deduplicate': {
				const replies = await claimKeys(
					redis,
					prepared.map((p) => p.redisKey),
					settings.claimTtlMs,
					owners,
				);
				prepared.forEach((p, n) => {
					const { code, ttlMs } = replies[n];
					const isNew = code === GuardCode.Ok || code === GuardCode.Reclaimed;
					put(isNew ? 0 : 1, p, {
						key: p.text,
						status: CLAIM_STATUS[code],
						ttlMs,
						redisKey: p.redisKey,
					});
				});
				break;
			}
			case 'commit': {
				const codes = await commitKeys(
					redis,
					prepared.map((p) => p.redisKey),
					settings.commitTtlMs,
					owners,
				);
				prepared.forEach((p, n) => {
					put(0, p, {
						key: p.text,
						committed: true,
						previous: PREVIOUS_STATE[codes[n]],
						ttlMs: settings.commitTtlMs,
						redisKey: p.redisKey,
					});
				});
				break;
			}
			case 'release': {
				const any = options(ctx).releaseAnyClaim === true;
				const codes = await releaseKeys(
					redis,
					prepared.map((p) => p.redisKey),
					owners,
					any,
				);
				prepared.forEach((p, n) => {
					put(0, p, {
						key: p.text,
						released: codes[n] > 0,
						previous: PREVIOUS_STATE[codes[n]],
						redisKey: p.redisKey,
					});
				});
				break;
			}
			case 'lock': {
				// Items naming the same key share one acquisition (one token, one fencing number).
				const groups = groupBy(prepared, (p) => p.redisKey);
				const outcomes = await acquireLocks(
					redis,
					groups.map((g) => ({
						lockKey: prepared[g.indexes[0]].redisKey,
						fenceKey: prepared[g.indexes[0]].fence!,
					})),
					{
						ttlMs: settings.lockTtlMs,
						maxWaitMs: settings.maxWaitMs,
						retry: { baseMs: settings.retryBaseMs, capMs: settings.retryCapMs },
						random: runtime.random,
						sleep: runtime.sleep,
						now: runtime.now,
						token: runtime.token,
					},
				);
				const stamp = now();
				const outcomeOf: LockOutcome[] = [];
				groups.forEach((g, n) => g.indexes.forEach((i) => (outcomeOf[i] = outcomes[n])));
				prepared.forEach((p, i) => {
					const o = outcomeOf[i];
					if (o.acquired) {
						put(0, p, {
							key: p.text,
							acquired: true,
							token: o.token,
							fence: o.fence,
							ttlMs: o.ttlMs,
							expiresAt: new Date(stamp + o.ttlMs).toISOString(),
							waitedMs: o.waitedMs,
						});
					} else {
						put(1, p, {
							key: p.text,
							acquired: false,
							holderTtlMs: o.holderTtlMs,
							waitedMs: o.waitedMs,
						});
					}
				});
				break;
			}
			case 'unlock':
			case 'extend': {
				// Items carrying the same lock (key and token) share one call: the second would find it gone.
				const groups = groupBy(prepared, (p) => `${p.redisKey}\u0000${p.token}`);
				const locks = groups.map((g) => ({
					lockKey: prepared[g.indexes[0]].redisKey,
					token: prepared[g.indexes[0]].token!,
				}));
				const codes =
					operation === 'unlock'
						? await releaseLocks(redis, locks)
						: await extendLocks(redis, locks, settings.lockTtlMs);
				const stamp = now();
				const codeOf: GuardCode[] = [];
				groups.forEach((g, n) => g.indexes.forEach((i) => (codeOf[i] = codes[n])));
				prepared.forEach((p, i) => {
					const code = codeOf[i];
					const ok = code === GuardCode.Ok;
					const previous = items[p.index].json[field];
					const base: IDataObject =
						previous && typeof previous === 'object' && !Array.isArray(previous)
							? { ...(previous as IDataObject) }
							: {};
					if (operation === 'unlock') {
						put(0, p, {
							...base,
							key: p.text,
							released: ok,
							outcome: ok ? 'released' : LOCK_OUTCOME[code],
						});
					} else if (ok) {
						put(0, p, {
							...base,
							key: p.text,
							token: p.token,
							extended: true,
							ttlMs: settings.lockTtlMs,
							expiresAt: new Date(stamp + settings.lockTtlMs).toISOString(),
						});
					} else {
						put(1, p, { ...base, key: p.text, extended: false, outcome: LOCK_OUTCOME[code] });
					}
				});
				break;
			}
		}
	} catch (error) {
		failAll(
			prepared.map((p) => p.index),
			new NodeOperationError(node, describeRedisError(error, cred, redis), {
				description: `The ${operation} step did not complete. Check that Redis at ${describeTarget(cred)} is running; the node reconnects by itself.`,
			}),
		);
	}
	// Input order within each output (failed items were collected first).
	for (const output of outputs) {
		output.sort(
			(a, b) => (a.pairedItem as IPairedItemData).item - (b.pairedItem as IPairedItemData).item,
		);
	}
	return outputs;
}
