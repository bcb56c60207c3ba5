import type Redis from 'ioredis';
import { ledgerKeys } from '../../shared/keys';
import { chunk, execAll } from '../../shared/redisBatch';
import { toCode } from '../codes';
import { NoProfileError, loadProfile } from './profileStore';
import { MAX_ITEMS_PER_SCRIPT, keyTable, ref, withLedgerScripts } from './scripts';

/** Freeze / Unfreeze / Resync (lua/markSkus.lua). */

export type MarkAction = 'freeze' | 'unfreeze' | 'resync';

export async function markSkus(
	redis: Redis,
	prefix: string,
	skus: readonly string[],
	action: MarkAction,
	source: string,
): Promise<Array<{ sku: string; rev: number; wasFrozen: boolean; frozenByProfile: boolean }>> {
	withLedgerScripts(redis);
	const loaded = await loadProfile(redis, prefix, true);
	if (!loaded) throw new NoProfileError();
	const channels = loaded.index.profile.channels.map((c) => c.name);
	const out: Array<{ sku: string; rev: number; wasFrozen: boolean; frozenByProfile: boolean }> = [];
	const calls = chunk(skus, MAX_ITEMS_PER_SCRIPT).map((part) => {
		const table = keyTable([]);
		const args: Array<string | number> = [loaded.index.profile.auditMaxEntries, part.length];
		for (const sku of part) {
			args.push(
				ref(table, ledgerKeys.ledger(prefix, sku)),
				ref(table, ledgerKeys.audit(prefix, sku)),
				action === 'freeze'
					? ''
					: channels.map((c) => ref(table, ledgerKeys.dirty(prefix, c))).join(','),
				sku,
				action,
				source,
			);
		}
		return { part, keys: table.keys, args };
	});
	const pipeline = redis.pipeline();
	for (const c of calls) pipeline.ledgerMarkSkus(c.keys.length, ...c.keys, ...c.args);
	const replies = (await execAll(pipeline)) as unknown[][];
	calls.forEach((call, n) =>
		call.part.forEach((sku, j) => {
			toCode('markSkus', replies[n][j * 3]);
			out.push({
				sku,
				rev: Number(replies[n][j * 3 + 1] || 0),
				wasFrozen: replies[n][j * 3 + 2] === '1',
				frozenByProfile: loaded.index.frozen.has(sku),
			});
		}),
	);
	return out;
}
