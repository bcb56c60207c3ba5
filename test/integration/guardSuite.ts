import Redis from 'ioredis';
import type { ICredentialDataDecryptedObject, IDataObject, INodeExecutionData } from 'n8n-workflow';
import { GuardCode } from '../../nodes/InventoryGuard/codes';
import { executeGuard } from '../../nodes/InventoryGuard/actions/router';
import { fenceKey, guardKey, lockKey } from '../../nodes/shared/keys';
import { claimKeys } from '../../nodes/InventoryGuard/redisGuard';
import { acquireLocks, extendLocks, releaseLocks } from '../../nodes/shared/locks';
import { credentialFromData, redisOptions } from '../../nodes/shared/redis';
import { guardContext, routeOf, shuffle } from './guardHarness';
import { sleep, waitFor } from '../support';

/**
 * The Guard's correctness checks, written once and run against the test Redis (guardClaim / guardLock) and
 * again against a TLS + ACL Redis of the test's own (guardTls). Every check uses real connections.
 */

/** A separate connection made exactly as the node makes its shared one (TLS, ACL user, db) from a credential. */
export async function connectionFor(cred: ICredentialDataDecryptedObject): Promise<Redis> {
	const redis = new Redis({ ...redisOptions(credentialFromData(cred)), commandTimeout: 20_000 });
	redis.on('error', () => undefined);
	await redis.connect();
	return redis;
}

const LOCK_RETRY = { baseMs: 5, capMs: 50 };

/**
 * `connections` separate connections claim the same `keys` keys at once (each in its own random order, in
 * batches): returns how many connections got New for each key.
 */
export async function concurrentClaims(options: {
	cred: ICredentialDataDecryptedObject;
	prefix: string;
	connections: number;
	keys: number;
	batch: number;
}): Promise<{ newPerKey: number[]; duplicates: number }> {
	const texts = Array.from(
		{ length: options.keys },
		(_, i) => `order-${i}:line-1@1700000000${i % 7}`,
	);
	const clients = await Promise.all(
		Array.from({ length: options.connections }, () => connectionFor(options.cred)),
	);
	const newPerKey = texts.map(() => 0);
	let duplicates = 0;
	try {
		let go!: () => void;
		const start = new Promise<void>((resolve) => (go = resolve));
		const runs = clients.map(async (redis, c) => {
			await start;
			const order = shuffle(texts.map((_, i) => i));
			for (let at = 0; at < order.length; at += options.batch) {
				const part = order.slice(at, at + options.batch);
				const replies = await claimKeys(
					redis,
					part.map((i) => guardKey(options.prefix, texts[i])),
					60_000,
					`test/connection-${c}`,
				);
				replies.forEach((r, n) => {
					if (r.code === GuardCode.Ok) newPerKey[part[n]]++;
					else duplicates++;
				});
			}
		});
		go();
		await Promise.all(runs);
	} finally {
		await Promise.all(clients.map((r) => r.quit().catch(() => r.disconnect())));
	}
	return { newPerKey, duplicates };
}

/**
 * `contenders` connections increment one counter `total` times in all, by GET then SET with a pause between
 * (a read-modify-write that loses updates without the lock), each increment under the Guard lock.
 */
export async function lockedCounter(options: {
	cred: ICredentialDataDecryptedObject;
	prefix: string;
	contenders: number;
	total: number;
	useLock?: boolean;
}): Promise<{ value: number; fences: number[]; releaseCodes: GuardCode[] }> {
	const counter = `${options.prefix}:counter`;
	const lk = lockKey(options.prefix, 'counter-sku');
	const fk = fenceKey(options.prefix, 'counter-sku');
	const clients = await Promise.all(
		Array.from({ length: options.contenders }, () => connectionFor(options.cred)),
	);
	const fences: number[] = [];
	const releaseCodes: GuardCode[] = [];
	let started = 0;
	try {
		await clients[0].set(counter, '0');
		await Promise.all(
			clients.map(async (redis) => {
				while (started < options.total) {
					started++;
					let token: string | undefined;
					if (options.useLock !== false) {
						const [outcome] = await acquireLocks(redis, [{ lockKey: lk, fenceKey: fk }], {
							ttlMs: 10_000,
							maxWaitMs: 60_000,
							retry: LOCK_RETRY,
						});
						if (!outcome.acquired) throw new Error('lock not acquired within 60 s');
						token = outcome.token;
						fences.push(outcome.fence);
					}
					const value = Number(await redis.get(counter));
					await sleep(Math.random() < 0.5 ? 0 : 1);
					await redis.set(counter, String(value + 1));
					if (token)
						releaseCodes.push(
							...((await releaseLocks(redis, [{ lockKey: lk, token }])) as number[] as GuardCode[]),
						);
				}
			}),
		);
		return { value: Number(await clients[0].get(counter)), fences, releaseCodes };
	} finally {
		await Promise.all(clients.map((r) => r.quit().catch(() => r.disconnect())));
	}
}

/** Wrong-token release and extend change nothing; the right token releases once. */
export async function wrongTokenChecks(redis: Redis, prefix: string): Promise<void> {
	const lk = lockKey(prefix, 'wrong-token-sku');
	const fk = fenceKey(prefix, 'wrong-token-sku');
	const [held] = await acquireLocks(redis, [{ lockKey: lk, fenceKey: fk }], {
		ttlMs: 5_000,
		maxWaitMs: 0,
		retry: LOCK_RETRY,
	});
	if (!held.acquired) throw new Error('expected to acquire');
	const wrong = 'f'.repeat(32);
	expect(await releaseLocks(redis, [{ lockKey: lk, token: wrong }])).toEqual([
		GuardCode.LockNotHeld,
	]);
	expect(await extendLocks(redis, [{ lockKey: lk, token: wrong }], 600_000)).toEqual([
		GuardCode.LockNotHeld,
	]);
	expect(await redis.get(lk)).toBe(held.token);
	expect(await redis.pttl(lk)).toBeLessThanOrEqual(5_000);
	// A contender is still busy: the lock was neither released nor handed over.
	const [other] = await acquireLocks(redis, [{ lockKey: lk, fenceKey: fk }], {
		ttlMs: 5_000,
		maxWaitMs: 0,
		retry: LOCK_RETRY,
	});
	expect(other.acquired).toBe(false);
	expect(await extendLocks(redis, [{ lockKey: lk, token: held.token }], 8_000)).toEqual([
		GuardCode.Ok,
	]);
	expect(await redis.pttl(lk)).toBeGreaterThan(5_000);
	expect(await releaseLocks(redis, [{ lockKey: lk, token: held.token }])).toEqual([GuardCode.Ok]);
	expect(await redis.exists(lk)).toBe(0);
	expect(await releaseLocks(redis, [{ lockKey: lk, token: held.token }])).toEqual([
		GuardCode.LockMissing,
	]);
	expect(await extendLocks(redis, [{ lockKey: lk, token: held.token }], 5_000)).toEqual([
		GuardCode.LockMissing,
	]);
}

/** An expired lock's next holder gets a higher fencing number; the old holder can neither release nor extend. */
export async function fencingAfterExpiry(redis: Redis, prefix: string): Promise<void> {
	const lk = lockKey(prefix, 'fence-sku');
	const fk = fenceKey(prefix, 'fence-sku');
	const opts = { maxWaitMs: 0, retry: LOCK_RETRY };
	const [first] = await acquireLocks(redis, [{ lockKey: lk, fenceKey: fk }], {
		...opts,
		ttlMs: 150,
	});
	if (!first.acquired) throw new Error('expected to acquire');
	// Until Redis has expired the first holder's lock (its TTL is the subject, not a clock).
	await waitFor(
		async () => await redis.exists(lk),
		(n) => n === 0,
		5_000,
		'the lock expired',
	);
	const [second] = await acquireLocks(redis, [{ lockKey: lk, fenceKey: fk }], {
		...opts,
		ttlMs: 10_000,
	});
	if (!second.acquired) throw new Error('expected the expired lock to be free');
	expect(second.fence).toBeGreaterThan(first.fence);
	expect(second.token).not.toBe(first.token);
	expect(await releaseLocks(redis, [{ lockKey: lk, token: first.token }])).toEqual([
		GuardCode.LockNotHeld,
	]);
	expect(await extendLocks(redis, [{ lockKey: lk, token: first.token }], 60_000)).toEqual([
		GuardCode.LockNotHeld,
	]);
	expect(await redis.get(lk)).toBe(second.token);
	expect(await releaseLocks(redis, [{ lockKey: lk, token: second.token }])).toEqual([GuardCode.Ok]);
	expect(await releaseLocks(redis, [{ lockKey: lk, token: first.token }])).toEqual([
		GuardCode.LockMissing,
	]);
	expect(await extendLocks(redis, [{ lockKey: lk, token: first.token }], 60_000)).toEqual([
		GuardCode.LockMissing,
	]);
	// The fence never goes back, even with the lock gone.
	const [third] = await acquireLocks(redis, [{ lockKey: lk, fenceKey: fk }], {
		...opts,
		ttlMs: 1_000,
	});
	if (!third.acquired) throw new Error('expected to acquire');
	expect(third.fence).toBe(second.fence + 1);
	await releaseLocks(redis, [{ lockKey: lk, token: third.token }]);
}

const key = (json: Record<string, unknown>) => `${json.id}@${json.version}`;

/** Deduplicate → Commit → Release through the node's execute(), with the item routing it promises. */
export async function nodeDedupeFlow(cred: ICredentialDataDecryptedObject): Promise<void> {
	const items = [
		{ id: 'shopify:s:order:1:line:1', version: 1 },
		{ id: 'shopify:s:order:1:line:2', version: 1 },
		{ id: 'shopify:s:order:1:line:1', version: 1 }, // the same event twice in one batch
		{ id: 'shopify:s:order:1:line:1', version: 2 }, // the same line at a newer version: new
	];
	const run = async (
		operation: string,
		executionId: string,
		extra: Record<string, unknown> = {},
		list = items,
	) =>
		await executeGuard(
			guardContext({
				items: list,
				params: { operation, key, claimTtl: 60, commitTtl: 60, ...extra },
				credential: cred,
				executionId,
			}),
		);

	const first = await run('deduplicate', 'e1');
	expect(routeOf(first, ['New', 'Duplicate'])).toEqual({
		0: 'New',
		1: 'New',
		2: 'Duplicate',
		3: 'New',
	});
	expect(first[0].map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 3 }]);
	expect(first[1][0].json.guard).toMatchObject({
		key: 'shopify:s:order:1:line:1@1',
		status: 'inFlight',
	});
	expect(first[0][0].json).toMatchObject({
		id: 'shopify:s:order:1:line:1',
		version: 1,
		guard: { status: 'new', ttlMs: 60_000 },
	});

	// Another run sees them all in flight.
	const second = await run('deduplicate', 'e2');
	expect(second[0]).toHaveLength(0);
	expect(second[1].map((i) => (i.json.guard as { status: string }).status)).toEqual([
		'inFlight',
		'inFlight',
		'inFlight',
		'inFlight',
	]);

	// Another run cannot release e1's claims; e1 can.
	const foreign = await run('release', 'e2', {}, [items[1]]);
	expect(foreign[0][0].json.guard).toMatchObject({
		released: false,
		previous: 'claimedByOtherRun',
	});
	const released = await run('release', 'e1', {}, [items[1]]);
	expect(released[0][0].json.guard).toMatchObject({ released: true, previous: 'claimedByThisRun' });
	const again = await run('deduplicate', 'e3', {}, [items[1]]);
	expect(routeOf(again, ['New', 'Duplicate'])).toEqual({ 0: 'New' });
	// An error workflow may release any run's claim when told so.
	const forced = await run('release', 'e9', { options: { releaseAnyClaim: true } }, [items[1]]);
	expect(forced[0][0].json.guard).toMatchObject({ released: true, previous: 'claimedByOtherRun' });

	// Commit: duplicates now say "committed"; Release never undoes a commit.
	const committed = await run('commit', 'e1', {}, [items[0]]);
	expect(committed).toHaveLength(1);
	expect(committed[0][0].json.guard).toMatchObject({
		committed: true,
		previous: 'claimedByThisRun',
	});
	const recommit = await run('commit', 'e1', {}, [items[0]]);
	expect(recommit[0][0].json.guard).toMatchObject({ previous: 'committed' });
	const after = await run('deduplicate', 'e4', {}, [items[0]]);
	expect(after[1][0].json.guard).toMatchObject({ status: 'committed' });
	expect((after[1][0].json.guard as { ttlMs: number }).ttlMs).toBeGreaterThan(50_000);
	const undo = await run('release', 'e1', { options: { releaseAnyClaim: true } }, [items[0]]);
	expect(undo[0][0].json.guard).toMatchObject({ released: false, previous: 'committed' });
	// Commit without a live claim still marks the event done.
	const blind = await run('commit', 'e5', {}, [{ id: 'never-claimed', version: 1 }]);
	expect(blind[0][0].json.guard).toMatchObject({ committed: true, previous: 'none' });
}

/** Lock → Unlock / Extend through the node's execute(). */
export async function nodeLockFlow(cred: ICredentialDataDecryptedObject): Promise<void> {
	const run = async (
		operation: string,
		items: IDataObject[],
		extra: Record<string, unknown> = {},
	) =>
		await executeGuard(
			guardContext({
				items,
				params: {
					operation,
					lockKey: (j: Record<string, unknown>) => j.sku,
					holder: (j: Record<string, { token?: string }>) => j.lock?.token,
					lockTtl: 10,
					maxWait: 0.3,
					options: { retryInterval: 20 },
					...extra,
				},
				credential: cred,
			}),
		);
	const got = await run('lock', [{ sku: 'A' }, { sku: 'B' }, { sku: 'A' }]);
	expect(got[1]).toHaveLength(0);
	const [a1, b, a2] = got[0];
	expect(a1.json.lock).toMatchObject({ key: 'A', acquired: true, ttlMs: 10_000 });
	expect((a1.json.lock as { token: string }).token).toMatch(/^[0-9a-f]{32}$/);
	// Items naming one key share one acquisition.
	expect(a2.json.lock).toEqual(a1.json.lock);
	expect((b.json.lock as { token: string }).token).not.toBe(
		(a1.json.lock as { token: string }).token,
	);

	// Held: a second run waits its bounded time, then Busy.
	const t0 = Date.now();
	const busy = await run('lock', [{ sku: 'A' }]);
	const waited = Date.now() - t0;
	expect(busy[0]).toHaveLength(0);
	expect(busy[1][0].json.lock).toMatchObject({ key: 'A', acquired: false });
	expect(waited).toBeGreaterThanOrEqual(280);
	expect(waited).toBeLessThan(2_000);

	// Extend with the token: Extended; with a wrong token: Lost; the fence stays on the item.
	const ext = await run('extend', [a1.json, { sku: 'A', lock: { token: 'a'.repeat(32) } }], {
		lockTtl: 20,
	});
	expect(ext[0][0].json.lock).toMatchObject({
		key: 'A',
		extended: true,
		ttlMs: 20_000,
		fence: (a1.json.lock as { fence: number }).fence,
	});
	expect(ext[1][0].json.lock).toMatchObject({ key: 'A', extended: false, outcome: 'heldByOther' });

	// Unlock: the wrong token does nothing, the right one releases (items sharing it: one call).
	const wrong = await run('unlock', [{ sku: 'A', lock: { token: 'b'.repeat(32) } }]);
	expect(wrong[0][0].json.lock).toMatchObject({ released: false, outcome: 'heldByOther' });
	const un = await run('unlock', [a1.json, a2.json, b.json]);
	expect(un[0].map((i) => (i.json.lock as { released: boolean }).released)).toEqual([
		true,
		true,
		true,
	]);
	const gone = await run('unlock', [a1.json]);
	expect(gone[0][0].json.lock).toMatchObject({ released: false, outcome: 'expired' });

	// Free again: a new acquisition with a higher fence.
	const next = await run('lock', [{ sku: 'A' }]);
	expect((next[0][0].json.lock as { fence: number }).fence).toBeGreaterThan(
		(a1.json.lock as { fence: number }).fence,
	);
	await run('unlock', [next[0][0].json]);

	// A held lock released during the wait is taken within it.
	const held = await run('lock', [{ sku: 'C' }]);
	const waiter = run('lock', [{ sku: 'C' }], { maxWait: 3 });
	await sleep(150);
	await run('unlock', [held[0][0].json]);
	const later = await waiter;
	expect(later[0]).toHaveLength(1);
	expect((later[0][0].json.lock as { waitedMs: number }).waitedMs).toBeGreaterThanOrEqual(100);
	await run('unlock', [later[0][0].json]);
}

export function errorsOf(outputs: INodeExecutionData[][]): string[] {
	return outputs
		.flat()
		.filter((i) => i.error)
		.map((i) => String(i.json.error));
}
