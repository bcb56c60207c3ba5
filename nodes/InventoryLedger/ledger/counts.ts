import type Redis from 'ioredis';
import { ledgerKeys } from '../../shared/keys';
import { UnexpectedReplyError, chunk, execAll } from '../../shared/redisBatch';
import { LedgerCode, toCode } from '../codes';
import { LEDGER_OWNER, dirtyRefs, resolveLocation } from '../profile';
import { NoProfileError, loadProfile } from './profileStore';
import type { ApplyResult } from './results';
import {
	MAX_ITEMS_PER_SCRIPT,
	MAX_RETRIES,
	keyTable,
	num,
	ref,
	withLedgerScripts,
} from './scripts';

/** Set: as-of counts (lua/setCounts.lua). */

export interface CountInput {
	index: number;
	sku: string;
	location: string;
	quantity: number;
	asOf: number;
	id: string;
	source: string;
}

export async function setCounts(
	redis: Redis,
	prefix: string,
	counts: readonly CountInput[],
): Promise<ApplyResult[]> {
	withLedgerScripts(redis);
	const results: ApplyResult[] = [];
	let loaded = await loadProfile(redis, prefix);
	for (let attempt = 0; ; attempt++) {
		if (!loaded) throw new NoProfileError();
		const { ownerOf, frozen, profile } = loaded.index;
		const valid: CountInput[] = [];
		results.length = 0;
		for (const counted of counts) {
			// A location may be named by an alias (its platform id): the count is the location's.
			const location = resolveLocation(loaded.index, counted.location);
			const c = location === undefined ? counted : { ...counted, location };
			const owner = location === undefined ? undefined : ownerOf.get(location);
			if (owner === undefined)
				results.push({
					index: c.index,
					outcome: 'invalid',
					reason: 'unknownLocation',
					message: `location '${c.location}' is not in the profile (neither a location id nor an alias of one)`,
					sku: c.sku,
				});
			else if (owner !== LEDGER_OWNER)
				results.push({
					index: c.index,
					outcome: 'invalid',
					reason: 'notLedgerOwned',
					message: `location '${c.location}' is owned by '${owner}': its own levels are the truth there, a count cannot replace them`,
					sku: c.sku,
				});
			else valid.push(c);
		}
		if (valid.length === 0) return results;
		const calls = chunk(valid, MAX_ITEMS_PER_SCRIPT).map((part) => {
			const table = keyTable([ledgerKeys.profile(prefix), ledgerKeys.skus(prefix)]);
			const args: Array<string | number> = [loaded!.version, profile.auditMaxEntries, part.length];
			for (const c of part) {
				args.push(
					ref(table, ledgerKeys.ledger(prefix, c.sku)),
					ref(table, ledgerKeys.audit(prefix, c.sku)),
					dirtyRefs(loaded!.index, c.location, (ch) => ref(table, ledgerKeys.dirty(prefix, ch))),
					c.sku,
					c.location,
					String(c.quantity),
					String(c.asOf),
					c.id,
					c.source,
					frozen.has(c.sku) ? '1' : '0',
				);
			}
			return { part, keys: table.keys, args };
		});
		const pipeline = redis.pipeline();
		for (const c of calls) pipeline.ledgerSetCounts(c.keys.length, ...c.keys, ...c.args);
		const replies = (await execAll(pipeline)) as unknown[][];
		if (replies.some((r) => Number(r[0]) === LedgerCode.ProfileChanged && r.length === 2)) {
			// Items of chunks that did run are not re-run: only whole-batch retries when every chunk refused.
			if (
				replies.every((r) => Number(r[0]) === LedgerCode.ProfileChanged && r.length === 2) &&
				attempt < MAX_RETRIES
			) {
				loaded = await loadProfile(redis, prefix, true);
				continue;
			}
		}
		calls.forEach((call, n) => {
			const reply = replies[n];
			if (Number(reply[0]) === LedgerCode.ProfileChanged && reply.length === 2) {
				for (const c of call.part)
					results.push({
						index: c.index,
						outcome: 'invalid',
						reason: 'profileChanged',
						message: 'the profile changed during Set: run it again',
						sku: c.sku,
					});
				return;
			}
			call.part.forEach((c, j) => {
				const at = j * 6;
				const code = toCode('setCounts', reply[at]);
				const base: ApplyResult = {
					index: c.index,
					outcome: 'applied',
					effect: 'count',
					sku: c.sku,
					location: c.location,
					rev: Number(reply[at + 1] || 0),
					previous: num(reply[at + 2]),
					new: num(reply[at + 3]),
					delta: Number(reply[at + 4] || 0),
					heldVersion: num(reply[at + 5]),
				};
				if (code === LedgerCode.Applied) results.push(base);
				else if (code === LedgerCode.Frozen)
					results.push({ ...base, outcome: 'skipped', reason: 'frozen' });
				else if (code === LedgerCode.Stale)
					results.push({ ...base, outcome: 'skipped', reason: 'stale' });
				else if (code === LedgerCode.AsOfBeyondAudit)
					results.push({
						...base,
						outcome: 'invalid',
						reason: 'asOfBeyondAudit',
						message:
							'the audit stream no longer holds every sale after this as-of time (raise auditMaxEntries, or count again)',
					});
				else throw new UnexpectedReplyError('setCounts', reply[at]);
			});
		});
		return results.sort((a, b) => a.index - b.index);
	}
}
