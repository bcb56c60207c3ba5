import { lockRetryDelay, nextLockWait } from '../../../../nodes/shared/locks/backoff';

const settings = { baseMs: 50, capMs: 1_000 };

describe('lockRetryDelay', () => {
	it('grows exponentially to the cap, with equal jitter', () => {
		expect(lockRetryDelay(0, settings, () => 0)).toBe(25);
		expect(lockRetryDelay(0, settings, () => 0.999999)).toBe(50);
		expect(lockRetryDelay(1, settings, () => 0)).toBe(50);
		expect(lockRetryDelay(3, settings, () => 0.5)).toBe(300);
		expect(lockRetryDelay(10, settings, () => 0.999999)).toBe(1_000);
		expect(lockRetryDelay(1_000, settings, () => 0)).toBe(500);
	});

	it('stays within [ceiling/2, ceiling] for any random value, never 0', () => {
		for (let attempt = 0; attempt < 40; attempt++) {
			const ceiling = Math.min(settings.capMs, settings.baseMs * 2 ** attempt);
			for (const r of [0, 0.1, 0.5, 0.9, 0.999999, -3, 7]) {
				const d = lockRetryDelay(attempt, settings, () => r);
				expect(d).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
				expect(d).toBeLessThanOrEqual(ceiling);
				expect(d).toBeGreaterThan(0);
			}
		}
		expect(lockRetryDelay(0, { baseMs: 1, capMs: 1 }, () => 0)).toBe(1);
	});

	it('spreads contenders: different random draws give different delays', () => {
		const delays = new Set(
			[0.05, 0.25, 0.45, 0.65, 0.85].map((r) => lockRetryDelay(4, settings, () => r)),
		);
		expect(delays.size).toBe(5);
	});
});

describe('nextLockWait', () => {
	const base = { attempt: 2, settings, random: () => 0.5 };

	it('stops when the budget is spent', () => {
		expect(nextLockWait({ ...base, elapsedMs: 5_000, maxWaitMs: 5_000 })).toBeNull();
		expect(nextLockWait({ ...base, elapsedMs: 0, maxWaitMs: 0 })).toBeNull();
	});

	it('never sleeps past the deadline', () => {
		expect(nextLockWait({ ...base, elapsedMs: 4_990, maxWaitMs: 5_000 })).toBe(10);
	});

	it("wakes when the holder's lock expires, if that is sooner", () => {
		expect(nextLockWait({ ...base, elapsedMs: 0, maxWaitMs: 5_000 })).toBe(150);
		expect(nextLockWait({ ...base, elapsedMs: 0, maxWaitMs: 5_000, holderTtlMs: 20 })).toBe(21);
		expect(nextLockWait({ ...base, elapsedMs: 0, maxWaitMs: 5_000, holderTtlMs: 0 })).toBe(1);
		// -1: a key without TTL (not ours to reason about): the regular delay.
		expect(nextLockWait({ ...base, elapsedMs: 0, maxWaitMs: 5_000, holderTtlMs: -1 })).toBe(150);
	});
});
