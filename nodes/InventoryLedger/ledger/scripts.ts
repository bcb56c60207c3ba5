import { join } from 'node:path';
import type { Result } from 'ioredis';
import type Redis from 'ioredis';
import { loadScripts } from '../../shared/scripts';

/**
 * The Ledger's Redis steps (this folder), one file per operation: Apply, Set and Freeze/Unfreeze/Resync are one
 * Lua script call per chunk of items, all chunks in one pipeline: one round trip per batch. The profile is
 * cached per client and prefix and checked by version inside the script (a changed profile makes the script
 * do nothing and the wrapper plans again with the new one), so the steady state costs no extra read.
 *
 * Here: the scripts (../lua, loaded once per client) and the KEYS table the variable-key scripts share.
 */

const LUA_DIR = join(__dirname, '..', 'lua');
/** Items per script call: bounds the time Redis is busy with one call (~a few ms). */
export const MAX_ITEMS_PER_SCRIPT = 500;
export const MAX_RETRIES = 3;

declare module 'ioredis' {
	interface RedisCommander<Context> {
		ledgerApplyEvents(
			numberOfKeys: number,
			...keysAndArgs: Array<string | number>
		): Result<unknown[], Context>;
		ledgerSetCounts(
			numberOfKeys: number,
			...keysAndArgs: Array<string | number>
		): Result<unknown[], Context>;
		ledgerMarkSkus(
			numberOfKeys: number,
			...keysAndArgs: Array<string | number>
		): Result<unknown[], Context>;
		ledgerSaveProfile(
			profileKey: string,
			json: string,
			expected: string,
			updatedAt: string,
		): Result<unknown[], Context>;
	}
}

export function withLedgerScripts(redis: Redis): Redis {
	return loadScripts(redis, LUA_DIR, 'ledger');
}

/** A script call's KEYS, each once; items name them by their 1-based index. */
export interface KeyTable {
	keys: string[];
	index: Map<string, number>;
}

export function keyTable(fixed: string[]): KeyTable {
	return { keys: [...fixed], index: new Map(fixed.map((k, i) => [k, i + 1])) };
}

export function ref(table: KeyTable, key: string): number {
	let i = table.index.get(key);
	if (i === undefined) {
		table.keys.push(key);
		i = table.keys.length;
		table.index.set(key, i);
	}
	return i;
}
/** A reply entry that may be '' (none) → null, else a number. */
export const num = (v: unknown): number | null =>
	v === '' || v === null || v === undefined ? null : Number(v);
