import { join } from 'node:path';
import type { Result } from 'ioredis';
import type Redis from 'ioredis';
import { UnexpectedReplyError, callPerChunk } from '../shared/redisBatch';
import { loadScripts } from '../shared/scripts';
import { GuardCode, toCode } from './codes';
import { MAX_KEYS_PER_SCRIPT } from './guard';

/**
 * The Guard's dedupe steps, each a Lua script from ./lua (loaded once per client). Wrappers build keys and
 * args, call once, and map the codes (codes.ts). Claim / commit / release of N keys: one round trip (one
 * script call per 1,000 keys, in one pipeline). The lock steps (Lock / Unlock / Extend, and the channel
 * drainers' lease) are in nodes/shared/locks/, which other nodes share.
 */

const LUA_DIR = join(__dirname, 'lua');

declare module 'ioredis' {
	interface RedisCommander<Context> {
		guardClaimKeys(
			numberOfKeys: number,
			...keysAndArgs: Array<string | number>
		): Result<number[], Context>;
		guardCommitKeys(
			numberOfKeys: number,
			...keysAndArgs: Array<string | number>
		): Result<number[], Context>;
		guardReleaseKeys(
			numberOfKeys: number,
			...keysAndArgs: Array<string | number>
		): Result<number[], Context>;
	}
}

/** Registers the Guard's scripts on a client (once per client) and returns it. */
export function withGuardScripts(redis: Redis): Redis {
	return loadScripts(redis, LUA_DIR, 'guard');
}

function flatReply(script: string, replies: unknown[][], expected: number): unknown[] {
	const flat = replies.flat();
	if (flat.length !== expected) throw new UnexpectedReplyError(script, replies);
	return flat;
}

/**
 * Who owns each key's claim: one owner for all, or one per key. An item from the Inventory Inbox Trigger is
 * owned by its inbox entry ('inbox:<entry id>', see claimOwnerOf), so the entry's redelivery finds its own claim.
 */
export type Owners = string | readonly string[];

function ownersFor(owners: Owners, count: number): readonly string[] {
	if (typeof owners === 'string') return new Array<string>(count).fill(owners);
	if (owners.length !== count) throw new RangeError(`${owners.length} owners for ${count} keys`);
	return owners;
}

// ---------------------------------------------------------------------------------------------------------
// Deduplicate / Commit / Release

export interface ClaimReply {
	/** Ok or Reclaimed = new, InFlight or Committed = duplicate. */
	code: GuardCode.Ok | GuardCode.Reclaimed | GuardCode.InFlight | GuardCode.Committed;
	/** Milliseconds the key's state still lasts. */
	ttlMs: number;
}

/**
 * Claims each key (first sight wins). A key already in flight under the same owner is taken again
 * (Reclaimed: the redelivery of an inbox entry whose run failed). A key repeated in `keys` is new only at its
 * first occurrence: it is sent once, and its later occurrences are answered InFlight here.
 */
export async function claimKeys(
	redis: Redis,
	keys: readonly string[],
	ttlMs: number,
	owners: Owners,
): Promise<ClaimReply[]> {
	withGuardScripts(redis);
	const ownerOfKey = ownersFor(owners, keys.length);
	const firstAt = new Map<string, number>();
	const unique: string[] = [];
	const uniqueOwners: string[] = [];
	keys.forEach((k, i) => {
		if (firstAt.has(k)) return;
		firstAt.set(k, unique.length);
		unique.push(k);
		uniqueOwners.push(ownerOfKey[i]);
	});
	const replies = await callPerChunk(redis, unique, MAX_KEYS_PER_SCRIPT, (target, part, start) =>
		target.guardClaimKeys(
			part.length,
			...part,
			ttlMs,
			...uniqueOwners.slice(start, start + part.length),
		),
	);
	const flat = flatReply('claimKeys', replies, unique.length * 2);
	const answers: ClaimReply[] = [];
	for (let i = 0; i < unique.length; i++) {
		const code = toCode('claimKeys', flat[2 * i]);
		if (
			code !== GuardCode.Ok &&
			code !== GuardCode.Reclaimed &&
			code !== GuardCode.InFlight &&
			code !== GuardCode.Committed
		) {
			throw new UnexpectedReplyError('claimKeys', flat[2 * i]);
		}
		answers.push({ code, ttlMs: Number(flat[2 * i + 1]) });
	}
	const seen = new Set<string>();
	return keys.map((k) => {
		const answer = answers[firstAt.get(k)!];
		if (!seen.has(k)) {
			seen.add(k);
			return answer;
		}
		// A later occurrence: in flight under this batch's first one, or whatever duplicate the first found.
		const claimedHere = answer.code === GuardCode.Ok || answer.code === GuardCode.Reclaimed;
		return claimedHere ? { code: GuardCode.InFlight, ttlMs: answer.ttlMs } : answer;
	});
}

/** Marks keys done for `ttlMs`; returns what each held before (Ok = its owner's claim). */
export async function commitKeys(
	redis: Redis,
	keys: readonly string[],
	ttlMs: number,
	owners: Owners,
): Promise<GuardCode[]> {
	withGuardScripts(redis);
	const ownerOfKey = ownersFor(owners, keys.length);
	const replies = await callPerChunk(redis, keys, MAX_KEYS_PER_SCRIPT, (target, part, start) =>
		target.guardCommitKeys(
			part.length,
			...part,
			ttlMs,
			...ownerOfKey.slice(start, start + part.length),
		),
	);
	return flatReply('commitKeys', replies, keys.length).map((v) => toCode('commitKeys', v));
}

/** Gives claims back (never a commit). Only the given owners' claims unless `anyOwner`. */
export async function releaseKeys(
	redis: Redis,
	keys: readonly string[],
	owners: Owners,
	anyOwner = false,
): Promise<GuardCode[]> {
	withGuardScripts(redis);
	const ownerOfKey = ownersFor(owners, keys.length);
	const replies = await callPerChunk(redis, keys, MAX_KEYS_PER_SCRIPT, (target, part, start) =>
		target.guardReleaseKeys(
			part.length,
			...part,
			anyOwner ? '1' : '0',
			...ownerOfKey.slice(start, start + part.length),
		),
	);
	return flatReply('releaseKeys', replies, keys.length).map((v) => toCode('releaseKeys', v));
}
