import fc from 'fast-check';
import {
	BACKGROUND_FLOOR_SHARE,
	BACKGROUND_IN_FLIGHT_SHARE,
	QueryCostError,
	reserveFromBucket,
	reserveFromBucketInBackground,
	reserveSlot,
	reserveSlotInBackground,
	type BucketEstimate,
} from '../../../nodes/shared/pacing';

/**
 * Priority of the shared pacing (pacing.ts "Priority") on a fake clock: background callers (catch-up and
 * nightly reads) never reserve into debt or ahead in the queue, so foreground callers (Publish, Adjust) are
 * paced as if they were not there.
 */

const full = (at = 0): BucketEstimate => ({
	available: 1_000,
	at,
	maximumAvailable: 1_000,
	restoreRate: 100,
});

describe('reserveFromBucketInBackground', () => {
	it('spends while the estimate stays at or above half the bucket, then takes nothing', () => {
		expect(BACKGROUND_FLOOR_SHARE).toBe(0.5);
		const first = reserveFromBucketInBackground(full(), 200, 0);
		expect(first.pace).toEqual({ taken: true, waitMs: 0 });
		const second = reserveFromBucketInBackground(first.estimate, 300, 0);
		expect(second.pace).toEqual({ taken: true, waitMs: 0 });
		expect(second.estimate?.available).toBe(500);
		// 500 − 200 = 300 is below the floor of 500: nothing taken (no debt), asked back when 200 points are in.
		const third = reserveFromBucketInBackground(second.estimate, 200, 0);
		expect(third.pace).toEqual({ taken: false, retryInMs: 2_001 });
		expect(third.estimate).toBe(second.estimate);
		// Asking again then, it gets through.
		expect(reserveFromBucketInBackground(third.estimate, 200, 2_001).pace.taken).toBe(true);
	});

	it('with the settled cost known: a quarter of the bucket stays while the query runs, half once it is settled', () => {
		expect(BACKGROUND_IN_FLIGHT_SHARE).toBe(0.25);
		// A read by id of three orders: 399 points asked, about 18 charged. From 640 points the dip while it runs
		// (241) is below a quarter: asked back when 9 points are in.
		expect(reserveFromBucketInBackground({ ...full(), available: 640 }, 399, 0, 36).pace).toEqual({
			taken: false,
			retryInMs: 91,
		});
		const read = reserveFromBucketInBackground({ ...full(), available: 650 }, 399, 0, 36);
		expect(read.pace).toEqual({ taken: true, waitMs: 0 });
		expect(read.estimate.available).toBe(251);
		// Without the settled cost the same read waits for 899 points (half the bucket after 399).
		expect(reserveFromBucketInBackground({ ...full(), available: 650 }, 399, 0).pace).toEqual({
			taken: false,
			retryInMs: 2_491,
		});
		// The settled floor still holds: 530 − 40 is below half.
		expect(reserveFromBucketInBackground({ ...full(), available: 530 }, 100, 0, 40).pace).toEqual({
			taken: false,
			retryInMs: 101,
		});
		// A settled cost above the asked one counts as the asked one.
		expect(
			reserveFromBucketInBackground({ ...full(), available: 899 }, 399, 0, 5_000).pace,
		).toEqual(reserveFromBucketInBackground({ ...full(), available: 899 }, 399, 0).pace);
	});

	it('lets a query costing more than half the bucket go from a full bucket', () => {
		const costly = reserveFromBucketInBackground(full(), 700, 0);
		expect(costly.pace.taken).toBe(true);
		expect(costly.estimate?.available).toBe(300);
		const notFull = reserveFromBucketInBackground({ ...full(), available: 990 }, 700, 0);
		expect(notFull.pace).toEqual({ taken: false, retryInMs: 101 });
	});

	it('takes nothing from a bucket in debt to foreground callers; reserves from an unknown one as they do', () => {
		const indebted = reserveFromBucket({ ...full(), available: 20 }, 100, 0).estimate;
		expect(reserveFromBucketInBackground(indebted, 10, 0).pace).toEqual({
			taken: false,
			retryInMs: 5_901,
		});
		// Unknown (nobody called the shop lately): taken as empty, reserved as a foreground caller would.
		expect(reserveFromBucketInBackground(undefined, 10, 0)).toEqual({
			estimate: reserveFromBucket(undefined, 10, 0).estimate,
			pace: { taken: true, waitMs: 101 },
		});
	});

	it('says Infinity when the bucket does not refill, and refuses what no bucket can pay', () => {
		const stuck: BucketEstimate = { ...full(), available: 400, restoreRate: 0 };
		expect(reserveFromBucketInBackground(stuck, 10, 0).pace).toEqual({
			taken: false,
			retryInMs: Infinity,
		});
		expect(() => reserveFromBucketInBackground(full(), 1_001, 0)).toThrow(QueryCostError);
		expect(() => reserveFromBucketInBackground(full(), -1, 0)).toThrow(QueryCostError);
	});

	it('paces foreground callers as if busy background callers were not there, for bursts within the floor (any interleaving)', () => {
		// The background never takes the foreground's half of the bucket: a burst of stock writes up to 500 points
		// (Publish batches cost about 10 each) is paid exactly as it would be with no background caller at all.
		fc.assert(
			fc.property(
				fc
					.array(
						fc.record({
							background: fc.boolean(),
							cost: fc.integer({ min: 1, max: 100 }),
							gap: fc.nat(400),
						}),
						{ maxLength: 60 },
					)
					.filter((calls) => calls.reduce((sum, c) => sum + (c.background ? 0 : c.cost), 0) <= 500),
				(calls) => {
					let shared: BucketEstimate = full();
					let alone: BucketEstimate = full();
					let now = 0;
					for (const c of calls) {
						now += c.gap;
						if (c.background) {
							// A busy background caller: as costly as a page of orders, asking every time it is let.
							shared = reserveFromBucketInBackground(shared, 300, now).estimate;
							continue;
						}
						const withBackground = reserveFromBucket(shared, c.cost, now);
						const withoutBackground = reserveFromBucket(alone, c.cost, now);
						shared = withBackground.estimate;
						alone = withoutBackground.estimate;
						if (withBackground.waitMs !== withoutBackground.waitMs) return false;
					}
					return true;
				},
			),
		);
	});
});

describe('reserveSlotInBackground', () => {
	it('takes a slot only when one is free now, never one ahead in the queue', () => {
		const free = reserveSlotInBackground({}, 100, 1_000);
		expect(free).toEqual({ pace: { taken: true, waitMs: 0 }, nextFree: 1_100 });
		const queued = reserveSlotInBackground({ nextFree: 1_100 }, 100, 1_040);
		expect(queued).toEqual({ pace: { taken: false, retryInMs: 60 }, nextFree: 1_100 });
		// A Retry-After holds it back too.
		expect(reserveSlotInBackground({ notBefore: 2_000 }, 100, 1_000).pace).toEqual({
			taken: false,
			retryInMs: 1_000,
		});
		// Without a rate only a Retry-After holds requests back: the wait is taken as a foreground caller's.
		expect(reserveSlotInBackground({ notBefore: 2_000 }, 0, 1_000).pace).toEqual({
			taken: true,
			waitMs: 1_000,
		});
	});

	it('delays a foreground request by at most one interval, however many background callers ask (any interleaving)', () => {
		fc.assert(
			fc.property(
				fc.array(fc.record({ background: fc.integer({ min: 0, max: 4 }), gap: fc.nat(150) }), {
					minLength: 1,
					maxLength: 80,
				}),
				(calls) => {
					const interval = 100;
					let shared: { nextFree?: number } = {};
					let alone: { nextFree?: number } = {};
					let now = 0;
					for (const c of calls) {
						now += c.gap;
						// c.background callers ask first, then one foreground caller arrives.
						for (let i = 0; i < c.background; i++)
							shared = { nextFree: reserveSlotInBackground(shared, interval, now).nextFree };
						const withBackground = reserveSlot(shared, interval, now);
						const withoutBackground = reserveSlot(alone, interval, now);
						shared = { nextFree: withBackground.nextFree };
						alone = { nextFree: withoutBackground.nextFree };
						if (withBackground.waitMs > withoutBackground.waitMs + interval) return false;
					}
					return true;
				},
			),
		);
	});
});
