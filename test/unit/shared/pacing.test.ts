import fc from 'fast-check';
import {
	MAX_RETRY_AFTER_MS,
	QueryCostError,
	ShopifyBucket,
	pageSizeFor,
	parseQueryCost,
	retryAfterMs,
	shopifyWaitMs,
	type ThrottleStatus,
} from '../../../nodes/shared/pacing';

/**
 * Shopify's side of the rate limit, as platform-facts.md describes it: a leaky bucket of `max` points
 * refilling at `rate` per second; a query is refused (THROTTLED, nothing applied) when the bucket holds less
 * than its requested cost, else the actual cost is taken and the status after it reported.
 */
class SimulatedBucket {
	private level: number;
	private at: number;

	constructor(
		private readonly max: number,
		private readonly rate: number,
		at: number,
		level = max,
	) {
		this.level = level;
		this.at = at;
	}

	request(at: number, requested: number, actual: number) {
		this.level = Math.min(this.max, this.level + (this.rate * (at - this.at)) / 1000);
		this.at = at;
		const throttled = this.level < requested;
		if (!throttled) this.level -= actual;
		const throttleStatus: ThrottleStatus = {
			maximumAvailable: this.max,
			currentlyAvailable: this.level,
			restoreRate: this.rate,
		};
		return {
			throttled,
			cost: { requestedQueryCost: requested, actualQueryCost: actual, throttleStatus },
		};
	}
}

interface Request {
	requested: number;
	actualShare: number;
	gapMs: number;
	upMs: number;
	downMs: number;
}

const request: fc.Arbitrary<Request> = fc.record({
	requested: fc.integer({ min: 10, max: 400 }),
	actualShare: fc.double({ min: 0.1, max: 1, noNaN: true }),
	gapMs: fc.integer({ min: 0, max: 3_000 }),
	upMs: fc.integer({ min: 0, max: 300 }),
	downMs: fc.integer({ min: 0, max: 300 }),
});

/** Sends the stream one request at a time from t = 0; `pace` decides whether the bucket is asked first. */
function run(stream: Array<Request>, pace: boolean) {
	let t = 0;
	const bucket = new ShopifyBucket(() => t);
	const shopify = new SimulatedBucket(1_000, 100, 0);
	let throttled = 0;
	for (const r of stream) {
		t += r.gapMs;
		if (pace) t += bucket.waitMs(r.requested);
		const arrivesAt = t + r.upMs;
		const answer = shopify.request(arrivesAt, r.requested, Math.ceil(r.requested * r.actualShare));
		t = arrivesAt + r.downMs;
		if (answer.throttled) {
			throttled++;
			bucket.throttled(answer.cost);
		} else bucket.update(answer.cost);
	}
	return throttled;
}

describe('Shopify pacing', () => {
	it('shopifyWaitMs: the refill time of the missing points at restoreRate, counting the time since the status', () => {
		const status = { maximumAvailable: 1_000, currentlyAvailable: 200, restoreRate: 100 };
		expect(shopifyWaitMs(status, 150, 0)).toBe(0);
		expect(shopifyWaitMs(status, 400, 0)).toBe(2_001);
		expect(shopifyWaitMs(status, 400, 1_000)).toBe(1_001);
		expect(shopifyWaitMs(status, 400, 2_000)).toBe(0);
		expect(shopifyWaitMs(status, 1_000, 60_000)).toBe(0);
		// A clock that stepped back counts as no refill.
		expect(shopifyWaitMs(status, 400, -5_000)).toBe(2_001);
		expect(shopifyWaitMs({ ...status, restoreRate: 0 }, 400, 10_000)).toBe(Infinity);
	});

	it('shopifyWaitMs: a cost above maximumAvailable is an error the caller must split, not a wait', () => {
		const status = { maximumAvailable: 500, currentlyAvailable: 500, restoreRate: 50 };
		expect(() => shopifyWaitMs(status, 501, 0)).toThrow(QueryCostError);
		expect(() => shopifyWaitMs(status, Number.NaN, 0)).toThrow(QueryCostError);
	});

	it('the paced stream never sends a request the simulated bucket cannot pay: 0 throttled (1,000 max, 100/s, costs 10–400)', () => {
		fc.assert(
			fc.property(fc.array(request, { minLength: 1, maxLength: 150 }), (stream) => {
				expect(run(stream, true)).toBe(0);
			}),
			{ numRuns: 300 },
		);
	});

	it('the same streams unpaced are throttled (the simulation bites)', () => {
		const burst = Array.from({ length: 20 }, () => ({
			requested: 400,
			actualShare: 1,
			gapMs: 0,
			upMs: 10,
			downMs: 10,
		}));
		expect(run(burst, false)).toBeGreaterThan(0);
		expect(run(burst, true)).toBe(0);
	});

	it('after THROTTLED the bucket is taken as empty, so the retry waits for the whole cost to refill', () => {
		let t = 1_000;
		const bucket = new ShopifyBucket(() => t);
		expect(bucket.waitMs(400)).toBe(0);
		expect(
			bucket.update({
				requestedQueryCost: 100,
				actualQueryCost: 80,
				throttleStatus: { maximumAvailable: 2_000, currentlyAvailable: 1_500, restoreRate: 200 },
			}),
		).toBe(true);
		expect(bucket.waitMs(400)).toBe(0);
		bucket.throttled({
			requestedQueryCost: 400,
			throttleStatus: { maximumAvailable: 2_000, currentlyAvailable: 350, restoreRate: 200 },
		});
		expect(bucket.lastStatus).toEqual({
			status: { maximumAvailable: 2_000, currentlyAvailable: 0, restoreRate: 200 },
			at: 1_000,
		});
		expect(bucket.waitMs(400)).toBe(2_001);
		t += 1_000;
		expect(bucket.waitMs(400)).toBe(1_001);
		expect(() => bucket.waitMs(2_001)).toThrow(QueryCostError);
	});

	it('THROTTLED before any status: the Standard plan (1,000 points, 100/s) is assumed', () => {
		const bucket = new ShopifyBucket(() => 0);
		bucket.throttled(undefined);
		expect(bucket.waitMs(100)).toBe(1_001);
	});

	it('update ignores a response without a usable throttleStatus', () => {
		const bucket = new ShopifyBucket(() => 0);
		expect(bucket.update(undefined)).toBe(false);
		expect(bucket.update({ requestedQueryCost: 10 })).toBe(false);
		expect(
			bucket.update({
				throttleStatus: { maximumAvailable: 0, currentlyAvailable: 0, restoreRate: 100 },
			}),
		).toBe(false);
		expect(bucket.lastStatus).toBeUndefined();
		expect(parseQueryCost({ requestedQueryCost: 12, actualQueryCost: 'x' })).toEqual({
			requestedQueryCost: 12,
			actualQueryCost: undefined,
			throttleStatus: undefined,
		});
	});
});

describe('pageSizeFor', () => {
	it('keeps the requested cost ≤ 1,000 for any query of cost fixed + perItem·size', () => {
		fc.assert(
			fc.property(
				fc.integer({ min: 0, max: 10 }),
				fc.double({ min: 0.5, max: 1_200, noNaN: true }),
				fc.integer({ min: 1, max: 250 }),
				(fixed, perItem, pageSize) => {
					const reported = fixed + perItem * pageSize;
					let next: number;
					try {
						next = pageSizeFor(reported, pageSize);
					} catch (error) {
						expect(error).toBeInstanceOf(QueryCostError);
						expect(reported / pageSize).toBeGreaterThan(990);
						return;
					}
					expect(Number.isInteger(next)).toBe(true);
					expect(next).toBeGreaterThanOrEqual(1);
					expect(next).toBeLessThanOrEqual(250);
					expect(fixed + perItem * next).toBeLessThanOrEqual(1_000);
				},
			),
			{ numRuns: 2_000 },
		);
	});

	it('shrinks a page that cost too much, grows a cheap one up to 250, keeps one that fitted', () => {
		expect(pageSizeFor(1_100, 250)).toBe(225);
		expect(pageSizeFor(4_000, 250)).toBe(61);
		expect(pageSizeFor(500, 100)).toBe(198);
		expect(pageSizeFor(52, 50)).toBe(250);
		expect(pageSizeFor(995, 100)).toBe(100);
		expect(pageSizeFor(0, 10)).toBe(250);
		expect(pageSizeFor(2_000, 10, 1_000, { maxPageSize: 100, fixedCost: 0 })).toBe(5);
		expect(() => pageSizeFor(1_500, 1)).toThrow(QueryCostError);
		expect(() => pageSizeFor(10, 0)).toThrow(RangeError);
	});
});

describe('retryAfterMs', () => {
	const now = Date.parse('2026-11-28T12:00:00Z');

	it('reads delta-seconds (a decimal tolerated) and HTTP-dates in all three formats', () => {
		expect(retryAfterMs('120', now)).toBe(120_000);
		expect(retryAfterMs(' 0 ', now)).toBe(0);
		expect(retryAfterMs('1.5', now)).toBe(1_500);
		expect(retryAfterMs(['3', '9'], now)).toBe(3_000);
		expect(retryAfterMs(2, now)).toBe(2_000);
		expect(retryAfterMs('Sat, 28 Nov 2026 12:00:30 GMT', now)).toBe(30_000);
		expect(retryAfterMs('Saturday, 28-Nov-26 12:00:30 GMT', now)).toBe(30_000);
		expect(retryAfterMs('Sat Nov 28 12:00:30 2026', now)).toBe(30_000);
	});

	it('bounds the wait to [0, cap]: a past date is 0, a long one the cap (5 min unless given)', () => {
		expect(retryAfterMs('Sat, 28 Nov 2026 11:00:00 GMT', now)).toBe(0);
		expect(retryAfterMs('99999', now)).toBe(MAX_RETRY_AFTER_MS);
		expect(MAX_RETRY_AFTER_MS).toBe(300_000);
		expect(retryAfterMs('90', now, 60_000)).toBe(60_000);
	});

	it('anything else is no value', () => {
		for (const value of [undefined, null, '', 'soon', '5s', '-5', -1, Number.NaN, {}, '5 seconds'])
			expect(retryAfterMs(value, now)).toBeUndefined();
	});

	it('any delta-seconds value gives a wait in [0, cap]', () => {
		fc.assert(
			fc.property(fc.nat(), fc.nat({ max: 600_000 }), (seconds, cap) => {
				const ms = retryAfterMs(String(seconds), now, cap);
				expect(ms).toBe(Math.min(seconds * 1000, cap));
			}),
		);
	});
});
