import fc from 'fast-check';
import {
	QueryCostError,
	refilled,
	reserveFromBucket,
	reserveSlot,
	settleBucket,
	slotIntervalMs,
	type BucketEstimate,
} from '../../../nodes/shared/pacing';

/**
 * The arithmetic of the shared pacing (channel/sharedPace.ts and its Lua scripts) on a fake clock: callers
 * reserve from one estimate, so concurrent callers never spend the same points or the same request slot.
 */

const full = (at = 0): BucketEstimate => ({
	available: 1_000,
	at,
	maximumAvailable: 1_000,
	restoreRate: 100,
});

describe('reserveFromBucket', () => {
	it('sends at once while the bucket can pay, and takes the points', () => {
		const { estimate, waitMs } = reserveFromBucket(full(), 10, 0);
		expect(waitMs).toBe(0);
		expect(estimate.available).toBe(990);
	});

	it('makes the second of two callers on a nearly empty bucket wait for its own share of the refill', () => {
		const nearlyEmpty: BucketEstimate = { ...full(), available: 15 };
		const first = reserveFromBucket(nearlyEmpty, 10, 0);
		expect(first.waitMs).toBe(0);
		const second = reserveFromBucket(first.estimate, 10, 0);
		// 5 points left, 10 needed: 5 points at 100/s = 50 ms (+1 ms float margin).
		expect(second.waitMs).toBe(51);
		const third = reserveFromBucket(second.estimate, 10, 0);
		expect(third.waitMs).toBe(151);
	});

	it('refills with time, never above the size', () => {
		const empty: BucketEstimate = { ...full(), available: 0 };
		expect(refilled(empty, 2_000)).toBe(200);
		expect(refilled(empty, 60_000)).toBe(1_000);
		// A clock stepped back refills nothing.
		expect(refilled({ ...empty, at: 5_000 }, 1_000)).toBe(0);
	});

	it('starts from an empty Standard bucket when nothing is known (the cautious reading)', () => {
		const { estimate, waitMs } = reserveFromBucket(undefined, 1, 1_000);
		expect(estimate).toMatchObject({ maximumAvailable: 1_000, restoreRate: 100, at: 1_000 });
		expect(waitMs).toBe(11);
	});

	it('refuses a cost above the size, and says Infinity for a bucket that does not refill', () => {
		expect(() => reserveFromBucket(full(), 1_001, 0)).toThrow(QueryCostError);
		const stuck: BucketEstimate = { ...full(), available: 5, restoreRate: 0 };
		const { estimate, waitMs } = reserveFromBucket(stuck, 10, 0);
		expect(waitMs).toBe(Infinity);
		expect(estimate).toBe(stuck);
	});

	it('never lets callers spend more than the bucket holds plus its refill (any interleaving)', () => {
		fc.assert(
			fc.property(
				fc.integer({ min: 0, max: 1_000 }),
				fc.array(fc.record({ cost: fc.integer({ min: 1, max: 300 }), gap: fc.nat(300) }), {
					maxLength: 40,
				}),
				(start, calls) => {
					let estimate: BucketEstimate = { ...full(), available: start };
					let now = 0;
					// When each reserved call is sent, and what it costs; then replay them against the real bucket.
					const sends: Array<{ at: number; cost: number }> = [];
					for (const c of calls) {
						now += c.gap;
						const r = reserveFromBucket(estimate, c.cost, now);
						estimate = r.estimate;
						sends.push({ at: now + r.waitMs, cost: c.cost });
					}
					sends.sort((a, b) => a.at - b.at);
					let level = start;
					let at = 0;
					for (const s of sends) {
						level = Math.min(1_000, level + ((s.at - at) * 100) / 1000);
						at = s.at;
						if (level + 1e-9 < s.cost) return false;
						level -= s.cost;
					}
					return true;
				},
			),
		);
	});
});

describe('settleBucket', () => {
	const status = { maximumAvailable: 1_000, currentlyAvailable: 400, restoreRate: 100 };

	it('takes the first answer as the estimate', () => {
		expect(settleBucket(undefined, { refund: 0, status }, 7)).toEqual({
			available: 400,
			at: 7,
			maximumAvailable: 1_000,
			restoreRate: 100,
		});
		expect(settleBucket(undefined, { refund: 0 }, 7)).toBeUndefined();
	});

	it('never rises above the report, and keeps its own lower figure (calls reserved, not yet answered)', () => {
		const estimate: BucketEstimate = { ...full(), available: 500 };
		expect(settleBucket(estimate, { refund: 0, status }, 0)?.available).toBe(400);
		const indebted: BucketEstimate = { ...full(), available: -50 };
		expect(settleBucket(indebted, { refund: 0, status }, 0)?.available).toBe(-50);
	});

	it('gives back what was reserved and not charged', () => {
		const estimate: BucketEstimate = { ...full(), available: 100 };
		expect(settleBucket(estimate, { refund: 30 }, 0)?.available).toBe(130);
		// A call that spent more than it reserved owes the difference.
		expect(settleBucket(estimate, { refund: -20 }, 0)?.available).toBe(80);
	});

	it('after THROTTLED without a status: nothing is left now (debts stay)', () => {
		expect(settleBucket(full(), { refund: 10, throttled: true }, 0)?.available).toBe(0);
		const indebted: BucketEstimate = { ...full(), available: -40 };
		expect(settleBucket(indebted, { refund: 10, throttled: true }, 0)?.available).toBe(-30);
	});

	it('takes a lowered size or rate from the report', () => {
		const lowered = { maximumAvailable: 500, currentlyAvailable: 450, restoreRate: 50 };
		expect(settleBucket(full(), { refund: 0, status: lowered }, 0)).toMatchObject({
			available: 450,
			maximumAvailable: 500,
			restoreRate: 50,
		});
	});
});

describe('reserveSlot', () => {
	it('spaces requests by the rate with a tenth of headroom', () => {
		expect(slotIntervalMs(10)).toBe(110);
		expect(slotIntervalMs(0)).toBe(0);
		let state: { nextFree?: number; notBefore?: number } = {};
		const waits: number[] = [];
		for (let i = 0; i < 4; i++) {
			const r = reserveSlot(state, 110, 1_000);
			state = { ...state, nextFree: r.nextFree };
			waits.push(r.waitMs);
		}
		expect(waits).toEqual([0, 110, 220, 330]);
		// Idle time is not saved up into a burst.
		expect(reserveSlot(state, 110, 10_000)).toEqual({ waitMs: 0, nextFree: 10_110 });
	});

	it('holds every request until a Retry-After ends, with or without a rate', () => {
		expect(reserveSlot({ notBefore: 2_000 }, 0, 1_000)).toEqual({
			waitMs: 1_000,
			nextFree: undefined,
		});
		expect(reserveSlot({ notBefore: 2_000, nextFree: 1_500 }, 110, 1_000)).toEqual({
			waitMs: 1_000,
			nextFree: 2_110,
		});
	});

	it('never lets more than the rate reach a host in any 1 s window (a host counting arrivals)', () => {
		fc.assert(
			fc.property(
				fc.integer({ min: 1, max: 50 }),
				fc.array(fc.nat(400), { minLength: 1, maxLength: 80 }),
				(rate, gaps) => {
					const interval = slotIntervalMs(rate);
					let state: { nextFree?: number } = {};
					let now = 0;
					const sent: number[] = [];
					for (const gap of gaps) {
						now += gap;
						const r = reserveSlot(state, interval, now);
						state = { nextFree: r.nextFree };
						sent.push(now + r.waitMs);
					}
					sent.sort((a, b) => a - b);
					for (let i = 0; i < sent.length; i++) {
						const inWindow = sent.filter((t) => t > sent[i] - 1000 && t <= sent[i]).length;
						if (inWindow > rate) return false;
					}
					return true;
				},
			),
		);
	});
});
