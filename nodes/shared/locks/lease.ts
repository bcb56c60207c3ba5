import type Redis from 'ioredis';
import { fenceKey, lockKey } from '../keys';
import { LockCode, acquireLocks, extendLocks, releaseLocks, type HeldLock } from './index';

/**
 * A lease: one holder at a time for a named piece of work (design "Data flow": a channel's drainer holds
 * `lease:<channel>` while it publishes), on the package's lock (token, TTL, fencing number). Like
 * node-redlock's `using()`, the lease extends itself while the routine runs and hands the routine an
 * AbortSignal that fires the moment the lease can no longer be trusted: the lock was taken by another token,
 * it expired, or extending it failed for longer than the TTL. A drainer checks `lease.assertHeld()` (or the
 * signal) before every write, so a holder that lost its lease writes nothing more. Never sleeps on the lock
 * beyond `maxWaitMs`: a busy lease is an answer (someone else is draining), not an error.
 */

export interface LeaseSettings {
	/** Lock TTL; the lease is extended to this much from now every `extendEveryMs`. */
	readonly ttlMs: number;
	/** How long to wait for a busy lease; 0: try once. */
	readonly maxWaitMs: number;
	/** How often the lease is extended while the routine runs (default a third of the TTL). */
	readonly extendEveryMs: number;
}

export const DEFAULT_LEASE_SETTINGS: LeaseSettings = Object.freeze({
	ttlMs: 30_000,
	maxWaitMs: 0,
	extendEveryMs: 10_000,
});

export class LeaseSettingsError extends Error {}

/** Thrown by `assertHeld()` once the lease is lost: the holder must stop before its next write. */
export class LeaseLostError extends Error {
	constructor(
		readonly leaseName: string,
		readonly reason: LeaseLossReason,
	) {
		super(`the lease '${leaseName}' was lost (${reason}): stopping before the next write`);
	}
}

export type LeaseLossReason = 'taken' | 'expired' | 'unreachable';

export interface Lease {
	readonly name: string;
	readonly token: string;
	/** Fencing number of this acquisition: higher than every earlier holder's. */
	readonly fence: number;
	/** Aborted when the lease is lost; `signal.reason` is a LeaseLostError. */
	readonly signal: AbortSignal;
	/** Throws LeaseLostError when the lease is lost (check before each write). */
	assertHeld(): void;
}

export type LeaseOutcome<T> =
	| { acquired: true; value: T; fence: number; lost: LeaseLossReason | null }
	| { acquired: false; holderTtlMs: number };

export function leaseSettings(partial: Partial<LeaseSettings> = {}): LeaseSettings {
	const ttlMs = partial.ttlMs ?? DEFAULT_LEASE_SETTINGS.ttlMs;
	const maxWaitMs = partial.maxWaitMs ?? DEFAULT_LEASE_SETTINGS.maxWaitMs;
	const extendEveryMs = partial.extendEveryMs ?? Math.max(1, Math.floor(ttlMs / 3));
	const check = (name: string, value: number, min: number, max: number) => {
		if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
			throw new LeaseSettingsError(
				`${name} must be between ${min} and ${max} ms, got ${String(value)}`,
			);
		}
	};
	check('ttlMs', ttlMs, 10, 3_600_000);
	check('maxWaitMs', maxWaitMs, 0, 600_000);
	check('extendEveryMs', extendEveryMs, 1, ttlMs - 1);
	return Object.freeze({ ttlMs, maxWaitMs, extendEveryMs });
}

/** The lock and fence keys of a lease: the Guard's lock `lease:<name>` (design.md "Redis layout"). */
export function leaseKeys(prefix: string, name: string): { lockKey: string; fenceKey: string } {
	return { lockKey: lockKey(prefix, `lease:${name}`), fenceKey: fenceKey(prefix, `lease:${name}`) };
}

/**
 * Runs `routine` while holding the lease `name`, extending it as it runs, and releases it after (also when
 * the routine throws: the error propagates). Resolves `{ acquired: false }` when someone else holds it.
 */
export async function withLease<T>(
	redis: Redis,
	prefix: string,
	name: string,
	settings: Partial<LeaseSettings>,
	routine: (lease: Lease) => Promise<T>,
	clock: { now?: () => number } = {},
): Promise<LeaseOutcome<T>> {
	const s = leaseSettings(settings);
	const now = clock.now ?? Date.now;
	const keys = leaseKeys(prefix, name);
	const [outcome] = await acquireLocks(redis, [keys], {
		ttlMs: s.ttlMs,
		maxWaitMs: s.maxWaitMs,
		retry: { baseMs: 50, capMs: 1_000 },
	});
	if (!outcome.acquired) return { acquired: false, holderTtlMs: outcome.holderTtlMs };

	const held: HeldLock = { lockKey: keys.lockKey, token: outcome.token };
	const controller = new AbortController();
	let lost: LeaseLossReason | null = null;
	// Until when the lock surely holds by our own clock: acquisition (or the last confirmed extension) started
	// at or after this instant, so the TTL counted from it is a safe lower bound.
	let validUntil = now() + s.ttlMs;
	const lose = (why: LeaseLossReason) => {
		if (lost) return;
		lost = why;
		controller.abort(new LeaseLostError(name, why));
	};
	let extending = false;
	const timer = setInterval(() => {
		if (now() >= validUntil) lose('expired');
		if (lost || extending) return;
		extending = true;
		const startedAt = now();
		extendLocks(redis, [held], s.ttlMs)
			.then(([code]) => {
				if (code === LockCode.Ok) validUntil = startedAt + s.ttlMs;
				else lose(code === LockCode.NotHeld ? 'taken' : 'expired');
			})
			// Redis unreachable: the lock may still hold until validUntil; the next tick tries again.
			.catch(() => (now() >= validUntil ? lose('unreachable') : undefined))
			.finally(() => (extending = false));
	}, s.extendEveryMs);
	const lease: Lease = {
		name,
		token: outcome.token,
		fence: outcome.fence,
		signal: controller.signal,
		assertHeld() {
			if (!lost && now() >= validUntil) lose('expired');
			if (lost) throw new LeaseLostError(name, lost);
		},
	};
	try {
		const value = await routine(lease);
		return { acquired: true, value, fence: outcome.fence, lost };
	} finally {
		clearInterval(timer);
		// Best effort: a lease we could not give back frees itself after its TTL.
		await releaseLocks(redis, [held]).catch(() => undefined);
	}
}
