import type Redis from 'ioredis';
import {
	LeaseLostError,
	LeaseSettingsError,
	leaseKeys,
	leaseSettings,
	withLease,
	type Lease,
} from '../../nodes/shared/locks/lease';
import { deleteByPrefix, sleep, testClient, uniquePrefix, waitFor } from '../support';

// The channel drainers' lease (nodes/shared/locks/lease.ts) on the test Redis: one holder, auto-extension
// while the routine runs, loss detected and signalled before the next write, release at the end.
jest.setTimeout(30_000);

let redis: Redis;
let other: Redis;
const prefix = uniquePrefix('lease');

beforeAll(() => {
	redis = testClient();
	other = testClient();
});
afterEach(async () => {
	await deleteByPrefix(redis, prefix);
});
afterAll(async () => {
	await redis.quit();
	await other.quit();
});

/** A routine that holds the lease until `release()` is called, and says when it started. */
function heldUntilReleased() {
	let release!: () => void;
	let started!: (lease: Lease) => void;
	const done = new Promise<void>((r) => (release = r));
	const running = new Promise<Lease>((r) => (started = r));
	const routine = async (lease: Lease) => {
		started(lease);
		await done;
		lease.assertHeld();
		return 'wrote';
	};
	return { routine, release, running };
}

it('one holder at a time: a second drainer gets "busy" at once, not an error', async () => {
	const first = heldUntilReleased();
	const holding = withLease(redis, prefix, 'shopify', { ttlMs: 5_000 }, first.routine);
	await first.running;
	const second = await withLease(other, prefix, 'shopify', { ttlMs: 5_000 }, async () => 'never');
	expect(second.acquired).toBe(false);
	first.release();
	expect(await holding).toMatchObject({ acquired: true, value: 'wrote', lost: null });
	// Released at the end: the next drainer takes it, with a higher fencing number.
	const third = await withLease(other, prefix, 'shopify', { ttlMs: 5_000 }, async (l) => l.fence);
	expect(third.acquired && third.value).toBeGreaterThan(0);
	expect(await redis.exists(leaseKeys(prefix, 'shopify').lockKey)).toBe(0);
});

it('extends itself while the routine runs far past the TTL', async () => {
	const { lockKey } = leaseKeys(prefix, 'woo');
	const outcome = await withLease(redis, prefix, 'woo', { ttlMs: 300 }, async (lease) => {
		// Four TTLs of work: the lock must still be ours all along.
		for (let i = 0; i < 12; i++) {
			await sleep(100);
			expect(await other.get(lockKey)).toBe(lease.token);
		}
		lease.assertHeld();
		return 'done';
	});
	expect(outcome).toMatchObject({ acquired: true, value: 'done', lost: null });
});

it('a lease taken by another token: the signal fires and assertHeld stops the next write', async () => {
	const { lockKey } = leaseKeys(prefix, 'stolen');
	let writes = 0;
	const outcome = await withLease(
		redis,
		prefix,
		'stolen',
		{ ttlMs: 600, extendEveryMs: 50 },
		async (lease) => {
			writes++;
			// Someone else holds it now (our lock expired during a pause and another drainer took it).
			await other.set(lockKey, 'f'.repeat(32), 'PX', 10_000);
			await waitFor(
				() => lease.signal.aborted,
				(a) => a,
				5_000,
				'the loss noticed',
			);
			expect(lease.signal.reason).toBeInstanceOf(LeaseLostError);
			expect(() => lease.assertHeld()).toThrow(LeaseLostError);
			return writes;
		},
	);
	expect(outcome).toMatchObject({ acquired: true, value: 1, lost: 'taken' });
	// Not ours to release: the other holder's lock is left as it was.
	expect(await other.get(lockKey)).toBe('f'.repeat(32));
});

it('a lease whose lock vanished (expired) is lost, and a routine that throws still releases it', async () => {
	const { lockKey } = leaseKeys(prefix, 'expired');
	const outcome = await withLease(
		redis,
		prefix,
		'expired',
		{ ttlMs: 600, extendEveryMs: 50 },
		async (lease) => {
			await other.del(lockKey);
			await waitFor(
				() => lease.signal.aborted,
				(a) => a,
				5_000,
				'the loss noticed',
			);
			return (lease.signal.reason as LeaseLostError).reason;
		},
	);
	expect(outcome).toMatchObject({ acquired: true, value: 'expired', lost: 'expired' });

	await expect(
		withLease(redis, prefix, 'throws', { ttlMs: 5_000 }, async () => {
			throw new Error('channel write failed');
		}),
	).rejects.toThrow('channel write failed');
	expect(await redis.exists(leaseKeys(prefix, 'throws').lockKey)).toBe(0);
});

it('settings are checked before any Redis call', () => {
	expect(leaseSettings({ ttlMs: 900 })).toEqual({ ttlMs: 900, maxWaitMs: 0, extendEveryMs: 300 });
	expect(() => leaseSettings({ ttlMs: 5 })).toThrow(LeaseSettingsError);
	expect(() => leaseSettings({ ttlMs: 1_000, extendEveryMs: 1_000 })).toThrow(/extendEveryMs/);
});
