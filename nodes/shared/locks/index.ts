import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Result } from 'ioredis';
import type Redis from 'ioredis';
import { sleep as n8nSleep } from 'n8n-workflow';
import { UnexpectedReplyError, codeMapper, execAll } from '../redisBatch';
import { loadScripts } from '../scripts';
import { nextLockWait, type BackoffSettings, type RandomSource } from './backoff';

/**
 * Per-key locks with a token and a fencing number (style.md "node-redlock"; platform-facts "Redis"): the
 * Inventory Guard's Lock / Unlock / Extend, and the channel drainers' lease (./lease.ts). Each step is a Lua
 * script of ./lua, loaded once per client; a lost or busy lock is a result code, not a crash. Costs: one
 * pipeline per attempt for all keys of a call (a busy lock is retried with jittered backoff until the wait
 * ends).
 */

const LUA_DIR = join(__dirname, 'lua');

declare module 'ioredis' {
	interface RedisCommander<Context> {
		lockAcquireLock(
			lockKey: string,
			fenceKey: string,
			token: string,
			ttlMs: number,
		): Result<[number, number], Context>;
		lockReleaseLock(lockKey: string, token: string): Result<number, Context>;
		lockExtendLock(lockKey: string, token: string, ttlMs: number): Result<number, Context>;
	}
}

/** The codes of ./lua/*.lua (their headers), with the Inventory Guard's numbers (GuardCode mirrors them). */
export enum LockCode {
	/** acquired / released / extended. */
	Ok = 1,
	/** acquire: held by another token. */
	Busy = -5,
	/** release / extend: another token holds the lock. */
	NotHeld = -6,
	/** release / extend: the lock expired or was never taken. */
	Missing = -7,
}

const toLockCode = codeMapper<LockCode>(LockCode);

/** Registers the lock scripts on a client (once per client) and returns it. */
export function withLockScripts(redis: Redis): Redis {
	return loadScripts(redis, LUA_DIR, 'lock');
}

/** Lock token: 16 random bytes, hex (node-redlock). */
export function newToken(random: (size: number) => Buffer = randomBytes): string {
	return random(16).toString('hex');
}

export type { BackoffSettings, RandomSource };

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
	withLockScripts(redis);
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
				pipeline.lockAcquireLock(
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
				const code = toLockCode('acquireLock', reply[0]);
				if (code === LockCode.Ok) {
					outcomes[i] = {
						acquired: true,
						token: tokens[i],
						fence: Number(reply[1]),
						ttlMs: options.ttlMs,
						waitedMs,
						attempts: attempt + 1,
					};
				} else if (code === LockCode.Busy) {
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
export async function releaseLocks(redis: Redis, locks: readonly HeldLock[]): Promise<LockCode[]> {
	withLockScripts(redis);
	if (locks.length === 0) return [];
	const pipeline = redis.pipeline();
	for (const lock of locks) pipeline.lockReleaseLock(lock.lockKey, lock.token);
	return (await execAll(pipeline)).map((v) => toLockCode('releaseLock', v));
}

/** Sets each lock's TTL to `ttlMs` from now if its token still holds it (Ok). One pipeline. */
export async function extendLocks(
	redis: Redis,
	locks: readonly HeldLock[],
	ttlMs: number,
): Promise<LockCode[]> {
	withLockScripts(redis);
	if (locks.length === 0) return [];
	const pipeline = redis.pipeline();
	for (const lock of locks) pipeline.lockExtendLock(lock.lockKey, lock.token, ttlMs);
	return (await execAll(pipeline)).map((v) => toLockCode('extendLock', v));
}
