import type Redis from 'ioredis';
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { nodeOptions, type NodeContext, type NodeOutputs } from '../../shared/nodeKit';
import type { GuardCode } from '../codes';
import { fenceKey, guardKey, lockKey } from '../../shared/keys';
import {
	DEFAULT_DEDUPE_KEY,
	defaultKeyOf,
	groupBy,
	guardSettings,
	keyText,
	secondsParam,
	tokenText,
	type GuardOperation,
	type GuardSettings,
} from '../guard';
import type { HeldLock, LockCode, RandomSource } from '../../shared/locks';

/** What the Guard's operations share: the run, each item's key (and token), and the settings they read. */

/** What execute() uses of n8n's context: small enough for tests to provide a real one. */
export type GuardContext = NodeContext & Pick<IExecuteFunctions, 'getInstanceId'>;

/** Injectable sources of time and randomness (tests); defaults are the real ones. */
export interface GuardRuntime {
	random?: RandomSource;
	sleep?: (ms: number) => Promise<void>;
	now?: () => number;
	token?: () => string;
}

export const DEFAULT_FIELD: Record<GuardOperation, string> = {
	deduplicate: 'guard',
	commit: 'guard',
	release: 'guard',
	lock: 'lock',
	unlock: 'lock',
	extend: 'lock',
};

/** An item whose key (and token) resolved. */
export interface Prepared {
	index: number;
	text: string;
	redisKey: string;
	fence?: string;
	token?: string;
}

/** One batch of the Guard, as an operation's execute() gets it (items already prepared). */
export interface GuardRun {
	ctx: GuardContext;
	items: INodeExecutionData[];
	redis: Redis;
	settings: GuardSettings;
	/** Field the outcome is written to. */
	field: string;
	/** Per prepared item, in the same order: who owns its claim (guard.ts claimOwnerOf). */
	owners: string[];
	runtime: GuardRuntime;
	now: () => number;
	/** The item of `p`, with `value` under the result field, on output `output`. */
	put: (output: number, p: Prepared, value: IDataObject) => void;
}

export function readSettings(ctx: GuardContext, operation: GuardOperation): GuardSettings {
	const opts = nodeOptions(ctx);
	// '' (unset) when a parameter is missing: n8n throws for a missing parameter without a fallback.
	const get = (name: string) => ctx.getNodeParameter(name, 0, '') as unknown;
	return guardSettings({
		claimTtlMs:
			operation === 'deduplicate' ? secondsParam(get('claimTtl'), 'Claim TTL') : undefined,
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

/** Resolves every item's key text (and token); items that fail fail alone (NodeOutputs.perItem). */
export function prepare(
	ctx: GuardContext,
	items: INodeExecutionData[],
	operation: GuardOperation,
	prefix: string,
	out: NodeOutputs,
): Prepared[] {
	const lockOp = operation === 'lock' || operation === 'unlock' || operation === 'extend';
	// The Key left at its default is rendered here (guard.ts defaultKeyOf), not by n8n's expression engine.
	const rawKey = lockOp ? undefined : ctx.getNode().parameters.key;
	const defaultKey = !lockOp && (rawKey === undefined || rawKey === DEFAULT_DEDUPE_KEY);
	return out
		.perItem(items.length, (index) => {
			const text = keyText(
				(defaultKey ? defaultKeyOf(items[index].json) : undefined) ??
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
			return prepared;
		})
		.map(({ value }) => value);
}

/**
 * Unlock and Extend: items carrying the same lock (key and token) share one call, since the second would find
 * it gone. Returns each prepared item's code.
 */
export async function perHeldLock(
	prepared: Prepared[],
	call: (locks: HeldLock[]) => Promise<LockCode[]>,
): Promise<GuardCode[]> {
	const groups = groupBy(prepared, (p) => `${p.redisKey}\u0000${p.token}`);
	const codes = await call(
		groups.map((g) => ({
			lockKey: prepared[g.indexes[0]].redisKey,
			token: prepared[g.indexes[0]].token!,
		})),
	);
	const codeOf: GuardCode[] = [];
	// LockCode's numbers are GuardCode's (codes.ts mirrors them).
	groups.forEach((g, n) => g.indexes.forEach((i) => (codeOf[i] = codes[n] as number as GuardCode)));
	return codeOf;
}

/** The result an earlier Lock put on the item, to build on (Unlock, Extend). */
export function previousResult(run: GuardRun, p: Prepared): IDataObject {
	const previous = run.items[p.index].json[run.field];
	return previous && typeof previous === 'object' && !Array.isArray(previous)
		? { ...(previous as IDataObject) }
		: {};
}
