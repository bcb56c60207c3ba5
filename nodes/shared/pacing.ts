/**
 * Pacing of the channel calls (design.md "Failure path"; platform-facts.md "Rate limit"): wait until the
 * platform will accept a request instead of sending it and being refused.
 * - Shopify's Admin GraphQL API charges each query its calculated cost from a leaky bucket per app × store;
 *   every response reports `extensions.cost.throttleStatus { maximumAvailable, currentlyAvailable,
 *   restoreRate }`. A request the bucket cannot pay comes back as HTTP 200 with a THROTTLED error and is not
 *   applied, so we compute the wait from the last status instead of finding out.
 * - WooCommerce has no limit of its own; hosts answer 429 (or 503 from a cache) with `Retry-After`.
 * Everything here is pure except ShopifyBucket, which keeps the last status it was told about (one per
 * channel, in process: other workers spend from the same bucket, so a THROTTLED can still happen and the
 * retry policy in retry.ts handles it). Batches are split with `chunk` from redisBatch.ts.
 */

export interface ThrottleStatus {
	/** The bucket's size in points. Not hard-coded: Shopify may lower it temporarily. */
	readonly maximumAvailable: number;
	/** Points in the bucket when the status was reported. */
	readonly currentlyAvailable: number;
	/** Points restored per second (100 on Standard plans, more on others). */
	readonly restoreRate: number;
}

/** `extensions.cost` of a Shopify GraphQL response, the parts of it we use. */
export interface QueryCost {
	readonly requestedQueryCost?: number;
	readonly actualQueryCost?: number;
	readonly throttleStatus?: ThrottleStatus;
}

/** A single Shopify query may cost at most this many points, whatever the bucket's size. */
export const SHOPIFY_MAX_QUERY_COST = 1_000;

/** Shopify's largest `first:` of a connection. */
export const SHOPIFY_MAX_PAGE_SIZE = 250;

/**
 * What ShopifyBucket assumes when THROTTLED comes before any status: the Standard plan's numbers, the
 * slowest restore rate Shopify has, so the assumed wait is never shorter than the real one.
 */
const STANDARD_PLAN: ThrottleStatus = {
	maximumAvailable: 1_000,
	currentlyAvailable: 0,
	restoreRate: 100,
};

/** Default bound of a server-given wait (Retry-After), ms: a host asking for more is not worth waiting for. */
export const MAX_RETRY_AFTER_MS = 5 * 60_000;

/**
 * One extra millisecond on a computed wait: the refill `available + rate·ms/1000` is a float sum, and a wait
 * rounded up to the exact millisecond can still land a hair (1e-13 points) short of the cost.
 */
const FLOAT_MARGIN_MS = 1;

/** A query the bucket can never pay (cost above its size) or a page of which not even one item fits. */
export class QueryCostError extends Error {
	constructor(
		readonly cost: number,
		readonly limit: number,
		message: string,
	) {
		super(message);
		this.name = 'QueryCostError';
	}
}

function finite(value: unknown): number | undefined {
	return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** A `throttleStatus` as Shopify reports it, or undefined for anything that is not one. */
export function parseThrottleStatus(value: unknown): ThrottleStatus | undefined {
	if (typeof value !== 'object' || value === null) return undefined;
	const v = value as Record<string, unknown>;
	const maximumAvailable = finite(v.maximumAvailable);
	const currentlyAvailable = finite(v.currentlyAvailable);
	const restoreRate = finite(v.restoreRate);
	if (
		maximumAvailable === undefined ||
		currentlyAvailable === undefined ||
		restoreRate === undefined
	)
		return undefined;
	if (maximumAvailable <= 0 || restoreRate < 0) return undefined;
	return {
		maximumAvailable,
		currentlyAvailable: Math.max(0, Math.min(currentlyAvailable, maximumAvailable)),
		restoreRate,
	};
}

/** A response's `extensions.cost`, or undefined when it carries none of the numbers. */
export function parseQueryCost(value: unknown): QueryCost | undefined {
	if (typeof value !== 'object' || value === null) return undefined;
	const v = value as Record<string, unknown>;
	const cost: QueryCost = {
		requestedQueryCost: finite(v.requestedQueryCost),
		actualQueryCost: finite(v.actualQueryCost),
		throttleStatus: parseThrottleStatus(v.throttleStatus),
	};
	const known =
		cost.requestedQueryCost !== undefined ||
		cost.actualQueryCost !== undefined ||
		cost.throttleStatus !== undefined;
	return known ? cost : undefined;
}

/**
 * How long to wait, in ms, before a query of `cost` points can be paid, given the bucket's `status` as
 * reported `sinceMs` ago (it has refilled at `restoreRate` per second since, up to its size). 0: send now.
 * Infinity: the bucket does not refill (restoreRate 0) and is short. Throws QueryCostError when `cost` is
 * above `maximumAvailable`: no wait helps, the caller must split the request.
 */
export function shopifyWaitMs(status: ThrottleStatus, cost: number, sinceMs: number): number {
	if (!Number.isFinite(cost) || cost < 0)
		throw new QueryCostError(cost, status.maximumAvailable, `invalid query cost: ${cost}`);
	if (cost > status.maximumAvailable)
		throw new QueryCostError(
			cost,
			status.maximumAvailable,
			`a query costing ${cost} points can never be paid by a bucket of ${status.maximumAvailable}: split it`,
		);
	// A negative or NaN age (clock stepped back) counts as no refill, the cautious reading.
	const elapsedMs = sinceMs > 0 ? sinceMs : 0;
	const available = Math.min(
		status.maximumAvailable,
		status.currentlyAvailable + (status.restoreRate * elapsedMs) / 1000,
	);
	if (available >= cost) return 0;
	if (!(status.restoreRate > 0)) return Infinity;
	return Math.ceil(((cost - available) / status.restoreRate) * 1000) + FLOAT_MARGIN_MS;
}

export interface PageLimits {
	/** Largest page the API allows (Shopify: 250). */
	readonly maxPageSize?: number;
	/**
	 * Points of the query that do not grow with the page (Shopify: 2 per connection, 1 per object outside
	 * it). Reserved because one reported cost cannot tell the fixed part from the per-item part.
	 */
	readonly fixedCost?: number;
}

/**
 * The page size for the next query of the same shape, so that its requested cost stays ≤ `maxCost`, from
 * the `requestedQueryCost` Shopify reported for a page of `pageSize` items (nested connections multiply the
 * cost: 250 items with their levels exceed 1,000 points).
 *
 * The cost is modelled as `fixed + perItem · size` (Shopify's connection cost). From one report,
 * `requestedQueryCost / pageSize` bounds perItem from above, and `fixedCost` bounds the fixed part, so
 * `(maxCost − fixedCost) · pageSize / requestedQueryCost` items always fit. A page that already fitted keeps
 * at least its size. Throws QueryCostError when not even one item fits (the query must be reshaped, e.g.
 * fewer nested items per item).
 */
export function pageSizeFor(
	requestedQueryCost: number,
	pageSize: number,
	maxCost: number = SHOPIFY_MAX_QUERY_COST,
	limits: PageLimits = {},
): number {
	const maxPageSize = limits.maxPageSize ?? SHOPIFY_MAX_PAGE_SIZE;
	const fixedCost = limits.fixedCost ?? 10;
	if (!Number.isInteger(pageSize) || pageSize < 1)
		throw new RangeError('pageSize must be a positive integer');
	if (!Number.isFinite(requestedQueryCost) || requestedQueryCost < 0)
		throw new RangeError('requestedQueryCost must be a finite non-negative number');
	if (requestedQueryCost === 0) return maxPageSize;
	const scaled = Math.floor(((maxCost - fixedCost) * pageSize) / requestedQueryCost);
	// The reported page is known to fit, whatever the split between fixed and per-item cost.
	const size = Math.min(
		maxPageSize,
		requestedQueryCost <= maxCost ? Math.max(scaled, pageSize) : scaled,
	);
	if (size < 1)
		throw new QueryCostError(
			requestedQueryCost / pageSize,
			maxCost,
			`one item costs about ${Math.ceil(requestedQueryCost / pageSize)} points, more than a query may cost (${maxCost}): reshape the query`,
		);
	return size;
}

/**
 * The bucket of one Shopify channel as this process last heard of it. Feed it every response's
 * `extensions.cost` (`update`), tell it about a THROTTLED answer (`throttled`), and ask `waitMs(cost)` before
 * each request. Knowing nothing yet, it answers 0: the first response tells.
 */
export class ShopifyBucket {
	private last: { status: ThrottleStatus; at: number } | undefined;

	constructor(private readonly now: () => number = Date.now) {}

	/** The last status, as reported (or as assumed after THROTTLED), and when (ms since epoch). */
	get lastStatus(): { readonly status: ThrottleStatus; readonly at: number } | undefined {
		return this.last;
	}

	/** Remembers the throttleStatus of a response's `extensions.cost`; false when it carried none. */
	update(cost: unknown): boolean {
		const status = parseQueryCost(cost)?.throttleStatus;
		if (!status) return false;
		this.last = { status, at: this.now() };
		return true;
	}

	/**
	 * After THROTTLED: the bucket is taken as empty now (other clients of the same app and store spend from
	 * it too, so what it reported may already be gone). Size and restore rate come from the status the
	 * THROTTLED response carried, else the last one, else the Standard plan's.
	 */
	throttled(cost?: unknown): void {
		const reported = parseQueryCost(cost)?.throttleStatus ?? this.last?.status ?? STANDARD_PLAN;
		this.last = { status: { ...reported, currentlyAvailable: 0 }, at: this.now() };
	}

	/** The wait, in ms, before a query of `cost` points can be sent (shopifyWaitMs; it throws likewise). */
	waitMs(cost: number): number {
		if (!this.last) return 0;
		return shopifyWaitMs(this.last.status, cost, this.now() - this.last.at);
	}
}

/** delta-seconds (RFC 9110 §10.2.3), a decimal tolerated: hosts send "1.5" too. */
const DELTA_SECONDS = /^\d+(?:\.\d+)?$/;
/** An HTTP-date has a month name and a time of day; Date.parse alone accepts far too much ("5", "2s"). */
const HTTP_DATE = /[A-Za-z]{3}.*\d{1,2}:\d{2}:\d{2}/;

/**
 * The wait a `Retry-After` header asks for, in ms from `now`: delta-seconds or an HTTP-date, bounded to
 * [0, capMs]. Undefined when there is no usable value. A date in the past means "now" (0).
 */
export function retryAfterMs(
	headerValue: unknown,
	now: number,
	capMs: number = MAX_RETRY_AFTER_MS,
): number | undefined {
	const raw = Array.isArray(headerValue) ? (headerValue as unknown[])[0] : headerValue;
	let ms: number;
	if (typeof raw === 'number') {
		if (!Number.isFinite(raw) || raw < 0) return undefined;
		ms = raw * 1000;
	} else if (typeof raw === 'string') {
		const value = raw.trim();
		if (DELTA_SECONDS.test(value)) ms = Number(value) * 1000;
		else if (HTTP_DATE.test(value)) {
			// asctime dates carry no zone and Date.parse would read them as local time; HTTP-dates are GMT.
			const at = Date.parse(/GMT|UTC|[+-]\d{4}\b/.test(value) ? value : `${value} GMT`);
			if (Number.isNaN(at)) return undefined;
			ms = at - now;
		} else return undefined;
	} else return undefined;
	return Math.min(Math.max(0, Math.ceil(ms)), capMs);
}

// ---------------------------------------------------------------------------------------------------------
// Shared pacing: one picture of the limit for every worker and every concurrent execution
// (channel/sharedPace.ts keeps it in Redis; the Lua scripts in channel/paceLua do this same arithmetic on
// Redis's clock, atomically). A per-process picture is not enough: Publish, Adjust and the re-reads of
// overlapping runs each paced from the last status they had seen, so two of them paid from the same points.

/**
 * A bucket estimate that callers reserve from before sending. `available` may be negative: points already
 * promised to callers still waiting for the refill (their debt is what makes the next caller wait longer).
 */
export interface BucketEstimate {
	/** Points at `at` (may be negative: reserved ahead of the refill). */
	readonly available: number;
	/** When `available` was computed, ms. */
	readonly at: number;
	readonly maximumAvailable: number;
	readonly restoreRate: number;
}

/** The estimate refilled up to `now` (never above the bucket's size; a clock stepped back refills nothing). */
export function refilled(estimate: BucketEstimate, now: number): number {
	const elapsed = Math.max(0, now - estimate.at);
	return Math.min(
		estimate.maximumAvailable,
		estimate.available + (estimate.restoreRate * elapsed) / 1000,
	);
}

/** Throws QueryCostError for a cost that is no number of points, or above the bucket's size. */
function assertPayable(cost: number, size: number): void {
	if (!Number.isFinite(cost) || cost < 0)
		throw new QueryCostError(cost, size, `invalid query cost: ${cost}`);
	if (cost > size)
		throw new QueryCostError(
			cost,
			size,
			`a query costing ${cost} points can never be paid by a bucket of ${size}: split it`,
		);
}

/**
 * Reserves `cost` points at `now`: the new estimate (the points are taken, possibly into debt) and the wait
 * after which the bucket can pay them — every caller that reserved before is paid first, so concurrent
 * callers never spend the same points. No estimate yet: the bucket is taken as empty at the Standard plan's
 * size and rate (the cautious reading; the first answer tells the truth). Throws QueryCostError for a cost
 * above the bucket's size. A bucket that does not refill and is short: Infinity, nothing reserved.
 */
export function reserveFromBucket(
	estimate: BucketEstimate | undefined,
	cost: number,
	now: number,
): { estimate: BucketEstimate; waitMs: number } {
	const current: BucketEstimate = estimate ?? {
		available: 0,
		at: now,
		maximumAvailable: STANDARD_PLAN.maximumAvailable,
		restoreRate: STANDARD_PLAN.restoreRate,
	};
	assertPayable(cost, current.maximumAvailable);
	const after = refilled(current, now) - cost;
	if (after < 0 && !(current.restoreRate > 0)) return { estimate: current, waitMs: Infinity };
	return {
		estimate: { ...current, available: after, at: now },
		waitMs: after >= 0 ? 0 : Math.ceil((-after / current.restoreRate) * 1000) + FLOAT_MARGIN_MS,
	};
}

/**
 * What an answer teaches the estimate at `now`. `refund`: points reserved for this call that the platform did
 * not charge (reserved − actual cost; all of them for a THROTTLED answer; negative when the call spent more
 * than was reserved). The reported status is the bucket after this call, but before the calls reserved and
 * not yet answered: the estimate never rises above it (other apps spend from the bucket too) and otherwise
 * keeps its own lower figure. THROTTLED without a status: nothing is left now.
 */
export function settleBucket(
	estimate: BucketEstimate | undefined,
	answer: { refund: number; status?: ThrottleStatus; throttled?: boolean },
	now: number,
): BucketEstimate | undefined {
	const { status } = answer;
	if (!estimate) {
		if (!status) return undefined;
		return {
			available: status.currentlyAvailable,
			at: now,
			maximumAvailable: status.maximumAvailable,
			restoreRate: status.restoreRate,
		};
	}
	let available = Math.min(estimate.maximumAvailable, refilled(estimate, now) + answer.refund);
	if (status) available = Math.min(available, status.currentlyAvailable);
	else if (answer.throttled) available = Math.min(available, 0);
	return {
		available,
		at: now,
		maximumAvailable: status?.maximumAvailable ?? estimate.maximumAvailable,
		restoreRate: status?.restoreRate ?? estimate.restoreRate,
	};
}

/**
 * Spacing of a request rate, ms: `perSecond` requests a second with a tenth of headroom, so a host counting
 * arrivals in any 1 s window still sees at most `perSecond` when requests are delayed unevenly on the way.
 * 0 (or less): no rate.
 */
export function slotIntervalMs(perSecond: number): number {
	return perSecond > 0 ? Math.ceil(1100 / perSecond) : 0;
}

/**
 * The next request slot of a rate limit kept as the time the next slot is free (`nextFree`) and a time before
 * which nobody may send (`notBefore`, from a Retry-After): the wait before this request, and the new
 * `nextFree`. With no rate (`intervalMs` 0) only `notBefore` holds requests back.
 */
export function reserveSlot(
	state: { nextFree?: number; notBefore?: number },
	intervalMs: number,
	now: number,
): { waitMs: number; nextFree: number | undefined } {
	const startAt = Math.max(now, state.notBefore ?? 0, intervalMs > 0 ? (state.nextFree ?? 0) : 0);
	return {
		waitMs: startAt - now,
		nextFree: intervalMs > 0 ? startAt + intervalMs : state.nextFree,
	};
}

// ---------------------------------------------------------------------------------------------------------
// Priority: background reads (Poll Orders, Get Levels / Get Stock, Resolve SKUs / IDs) yield to foreground
// stock writes (Publish, Adjust). Measured: a catch-up poll reading a flash sale's thousands of orders drained
// the shared bucket and slots, and the real-time Publish waited behind it (lag p50 0.45 s → 8 s). A background
// caller never reserves ahead of the refill or the queue: when the limit has no room to spare it takes
// nothing and asks again later, so a foreground caller is paced as if it were not there, but for at most
// one background request already under way.

/** Whose call it is: a stock write that keeps shops from overselling, or a read that can come later. */
export type PacePriority = 'foreground' | 'background';

/**
 * The share of the Shopify bucket a background caller leaves for foreground ones: it spends only while the
 * estimate stays at or above half the bucket's size once its query is settled. Half a Standard bucket (500
 * points) pays a Publish batch or an Adjust many times over at once, so a write does not wait for points a read
 * took, while a read still gets the other half and all of the refill a quiet shop does not use. A read costing
 * more than half (a full Get Levels page may) goes only from a full bucket: a write then waits for at most that
 * one read. Poll Orders keeps each call under half (a listing page 253 points, a read by id 399).
 */
export const BACKGROUND_FLOOR_SHARE = 0.5;

/**
 * The share a background caller leaves while its query is in flight. Shopify takes the requested cost when a
 * query starts and refunds the difference to the actual cost when it ends: a read by id of three orders asks
 * for 399 points and costs about 18. Holding the requested cost to the settled floor kept such reads waiting
 * for a bucket 90 % full, each then paced by the refill of its own 18 points (Poll Orders: 24 reads in 3.9 s of
 * the nightly run); during the read's few hundred milliseconds a quarter of the bucket (250 points: 25 Publish
 * batches) is what a foreground write can need.
 */
export const BACKGROUND_IN_FLIGHT_SHARE = 0.25;

/** A background caller's answer: the place taken (send after `waitMs`), or nothing taken, ask again later. */
export type BackgroundPace =
	| { readonly taken: true; readonly waitMs: number }
	| { readonly taken: false; readonly retryInMs: number };

/**
 * reserveFromBucket for a background caller: the points are taken only when the estimate stays at or above
 * the floors — BACKGROUND_IN_FLIGHT_SHARE of the size less the requested `cost` while the query runs, and
 * BACKGROUND_FLOOR_SHARE less `settledCost` (what the query is expected to cost in the end; default `cost`)
 * once it is settled; neither above size − cost, so a costly query still goes from a full bucket. Otherwise
 * nothing is taken (no debt for a foreground caller to wait behind) and `retryInMs` says when the refill
 * reaches both floors. Infinity: the bucket does not refill. No estimate: reserved as reserveFromBucket does
 * (nobody has called the shop lately, so no foreground caller waits on it; a caller that only waited would
 * never start the estimate's clock).
 */
export function reserveFromBucketInBackground(
	estimate: BucketEstimate | undefined,
	cost: number,
	now: number,
	settledCost: number = cost,
): { estimate: BucketEstimate; pace: BackgroundPace } {
	if (!estimate) {
		const first = reserveFromBucket(estimate, cost, now);
		return { estimate: first.estimate, pace: { taken: true, waitMs: first.waitMs } };
	}
	const size = estimate.maximumAvailable;
	const rate = estimate.restoreRate;
	const available = refilled(estimate, now);
	assertPayable(cost, size);
	const settled = Math.min(cost, Math.max(0, settledCost));
	const short = Math.max(
		Math.min(size * BACKGROUND_IN_FLIGHT_SHARE, size - cost) - (available - cost),
		Math.min(size * BACKGROUND_FLOOR_SHARE, size - cost) - (available - settled),
	);
	if (short > 0) {
		const retryInMs =
			rate > 0 ? Math.max(1, Math.ceil((short / rate) * 1000)) + FLOAT_MARGIN_MS : Infinity;
		return { estimate, pace: { taken: false, retryInMs } };
	}
	const taken = reserveFromBucket(estimate, cost, now);
	return { estimate: taken.estimate, pace: { taken: true, waitMs: taken.waitMs } };
}

/**
 * reserveSlot for a background caller: it takes a slot only when one is free now, never one ahead in the
 * queue. A foreground request arriving after it then waits for at most that one background request (the
 * interval), however many background callers are asking. Nothing free now: nothing taken, ask again when the
 * next slot is free.
 */
export function reserveSlotInBackground(
	state: { nextFree?: number; notBefore?: number },
	intervalMs: number,
	now: number,
): { pace: BackgroundPace; nextFree: number | undefined } {
	const slot = reserveSlot(state, intervalMs, now);
	if (intervalMs > 0 && slot.waitMs > 0)
		return { pace: { taken: false, retryInMs: slot.waitMs }, nextFree: state.nextFree };
	return { pace: { taken: true, waitMs: slot.waitMs }, nextFree: slot.nextFree };
}
