import { join } from 'node:path';
import type { Result } from 'ioredis';
import type Redis from 'ioredis';
import { sleep as n8nSleep } from 'n8n-workflow';
import { UnexpectedReplyError, callPerChunk, execAll } from '../shared/redisBatch';
import { loadScripts } from '../shared/scripts';
import { GuardCode, toCode } from './codes';
import { MAX_KEYS_PER_SCRIPT, newToken } from './guard';
import { nextLockWait, type BackoffSettings, type RandomSource } from './lockBackoff';

/**
 * The Guard's Redis steps, each a Lua script from ./lua (loaded once per client). These are the functions the
 * node calls, and what other nodes use (the channel drainers' lease is `acquireLocks` / `extendLocks`).
 * Wrappers build keys and args, call once, and map the codes (codes.ts). Costs:
 *   claim / commit / release of N keys: one round trip (one script call per 1,000 keys, in one pipeline);
 *   lock / unlock / extend of N keys: one pipeline per attempt (a busy lock is retried until the wait ends).
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
		guardAcquireLock(
			lockKey: string,
			fenceKey: string,
			token: string,
			ttlMs: number,
		): Result<[number, number], Context>;
		guardReleaseLock(lockKey: string, token: string): Result<number, Context>;
		guardExtendLock(lockKey: string, token: string, ttlMs: number): Result<number, Context>;
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

// ---------------------------------------------------------------------------------------------------------
// Lock / Unlock / Extend

export interface LockRequest {
	readonly lockKey: string;
	readonly fenceKey: string;
}

export type LockOutcome =
	| {
			acquired: true;
			token: string;
			fence: number;
			ttlMs: number;
			waitedMs: number;
			attempts: number;
	  }
	| { acquired: false; holderTtlMs: number; waitedMs: number; attempts: number };

export interface AcquireOptions {
	ttlMs: number;
	/** 0: one attempt. */
	maxWaitMs: number;
	retry: BackoffSettings;
	random?: RandomSource;
	sleep?: (ms: number) => Promise<void>;
	now?: () => number;
	token?: () => string;
}

/**
 * Acquires one lock per request (pass distinct lock keys: the caller groups items that share one). Every
 * attempt is one pipeline for all keys still busy; busy keys are retried with jittered backoff until
 * `maxWaitMs` has passed, then reported busy.
 */
export async function acquireLocks(
	redis: Redis,
	requests: readonly LockRequest[],
	options: AcquireOptions,
): Promise<LockOutcome[]> {
	withGuardScripts(redis);
	const now = options.now ?? Date.now;
	const sleep = options.sleep ?? n8nSleep;
	const tokens = requests.map(() => (options.token ?? newToken)());
	const outcomes: Array<LockOutcome | undefined> = requests.map(() => undefined);
	const holderTtl: number[] = requests.map(() => -1);
	let pending = requests.map((_, i) => i);
	const started = now();
	let completed = false;
	try {
		for (let attempt = 0; ; attempt++) {
			const pipeline = redis.pipeline();
			for (const i of pending) {
				pipeline.guardAcquireLock(
					requests[i].lockKey,
					requests[i].fenceKey,
					tokens[i],
					options.ttlMs,
				);
			}
			const replies = await execAll(pipeline);
			const waitedMs = now() - started;
			const busy: number[] = [];
			pending.forEach((i, n) => {
				const reply = replies[n];
				if (!Array.isArray(reply) || reply.length !== 2)
					throw new UnexpectedReplyError('acquireLock', reply);
				const code = toCode('acquireLock', reply[0]);
				if (code === GuardCode.Ok) {
					outcomes[i] = {
						acquired: true,
						token: tokens[i],
						fence: Number(reply[1]),
						ttlMs: options.ttlMs,
						waitedMs,
						attempts: attempt + 1,
					};
				} else if (code === GuardCode.LockBusy) {
					holderTtl[i] = Number(reply[1]);
					busy.push(i);
				} else {
					throw new UnexpectedReplyError('acquireLock', reply);
				}
			});
			pending = busy;
			if (pending.length === 0) break;
			const soonest = Math.min(
				...pending.map((i) => holderTtl[i]).filter((t) => t >= 0),
				Number.MAX_SAFE_INTEGER,
			);
			const wait = nextLockWait({
				attempt,
				elapsedMs: waitedMs,
				maxWaitMs: options.maxWaitMs,
				settings: options.retry,
				random: options.random,
				holderTtlMs: soonest === Number.MAX_SAFE_INTEGER ? undefined : soonest,
			});
			if (wait === null) {
				for (const i of pending) {
					outcomes[i] = {
						acquired: false,
						holderTtlMs: holderTtl[i],
						waitedMs,
						attempts: attempt + 1,
					};
				}
				break;
			}
			await sleep(wait);
		}
		completed = true;
	} finally {
		if (!completed) {
			// The batch fails: give back what this call took rather than leave it held for its TTL (best
			// effort: if Redis is gone, the TTL frees them). The original error propagates.
			const held = outcomes.flatMap((o, i) =>
				o?.acquired ? [{ lockKey: requests[i].lockKey, token: o.token }] : [],
			);
			await releaseLocks(redis, held).catch(() => undefined);
		}
	}
	return outcomes as LockOutcome[];
}

export interface HeldLock {
	readonly lockKey: string;
	readonly token: string;
}

/** Releases each lock if its token still holds it (Ok); LockNotHeld / LockMissing otherwise. One pipeline. */
export async function releaseLocks(redis: Redis, locks: readonly HeldLock[]): Promise<GuardCode[]> {
	withGuardScripts(redis);
	if (locks.length === 0) return [];
	const pipeline = redis.pipeline();
	for (const lock of locks) pipeline.guardReleaseLock(lock.lockKey, lock.token);
	return (await execAll(pipeline)).map((v) => toCode('releaseLock', v));
}

/** Sets each lock's TTL to `ttlMs` from now if its token still holds it (Ok). One pipeline. */
export async function extendLocks(
	redis: Redis,
	locks: readonly HeldLock[],
	ttlMs: number,
): Promise<GuardCode[]> {
	withGuardScripts(redis);
	if (locks.length === 0) return [];
	const pipeline = redis.pipeline();
	for (const lock of locks) pipeline.guardExtendLock(lock.lockKey, lock.token, ttlMs);
	return (await execAll(pipeline)).map((v) => toCode('extendLock', v));
}
