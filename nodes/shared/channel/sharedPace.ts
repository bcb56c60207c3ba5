import { join } from 'node:path';
import type { Result } from 'ioredis';
import type Redis from 'ioredis';
import { channelKeys } from '../keys';
import {
	BACKGROUND_FLOOR_SHARE,
	BACKGROUND_IN_FLIGHT_SHARE,
	QueryCostError,
	parseQueryCost,
	slotIntervalMs,
	type BackgroundPace,
} from '../pacing';
import { loadScripts } from '../scripts';

/**
 * The channels' rate limits kept in Redis, so every worker and every overlapping execution paces on one
 * picture (platform-facts.md "Rate limit"). A picture per process was not enough: Publish, Adjust and the
 * re-reads of overlapping runs each paced from the last status they had seen and spent the same points, and
 * WooCommerce calls had no pacing at all, so a flash sale drew THROTTLED and 429 answers.
 * - Shopify (SharedShopifyBucket): a bucket estimate per shop that callers reserve points from before sending
 *   (into debt when short: each waits for its own share of the refill), corrected by every answer's
 *   throttleStatus. pacing.ts reserveFromBucket / settleBucket are the same arithmetic, tested on a fake clock.
 * - WooCommerce (WooRequestPacer): an optional request rate per store (the node's Max Requests per Second;
 *   hosts often allow about 10) as evenly spaced slots, and the store's Retry-After as a time before which no
 *   caller sends. pacing.ts reserveSlot is the arithmetic.
 * The scripts (channel/paceLua) run on Redis's clock, so workers with skewed clocks agree.
 * Background callers (catch-up and nightly reads: reserveInBackground) yield to foreground ones (stock writes:
 * reserve): they never reserve into debt or ahead in the queue, so a flash sale's catch-up poll slows down
 * instead of slowing Publish (pacing.ts "Priority").
 */

declare module 'ioredis' {
	interface RedisCommander<Context> {
		paceReserveBucket(
			key: string,
			cost: number,
			defaultMax: number,
			defaultRate: number,
			ttlMs: number,
			maxWaitMs: number,
			backgroundFloorShare: number,
			backgroundInFlightShare: number,
			settledCost: number,
		): Result<[number, number], Context>;
		paceSettleBucket(
			key: string,
			refund: number,
			reported: '0' | '1',
			currentlyAvailable: number,
			maximumAvailable: number,
			restoreRate: number,
			throttled: '0' | '1',
			ttlMs: number,
		): Result<number, Context>;
		paceReserveSlot(
			key: string,
			intervalMs: number,
			ttlMs: number,
			maxWaitMs: number,
			background: '0' | '1',
		): Result<number, Context>;
		paceDeferSlots(key: string, waitMs: number, ttlMs: number): Result<number, Context>;
	}
}

const LUA_DIR = join(__dirname, 'paceLua');

/** An estimate unused this long is dropped: by then the bucket is full again anyway. */
const PACE_TTL_MS = 60 * 60_000;

/** pacing.ts's one-millisecond margin on a computed refill wait (a float sum can land a hair short). */
const FLOAT_MARGIN_MS = 1;

/** A caller's longest affordable wait as the scripts take it (whole ms; "no limit" as a day). */
function affordable(maxWaitMs: number): number {
	// Less the float margin added to a wait: a reservation is made only when the wait returned fits.
	return Number.isFinite(maxWaitMs)
		? Math.max(0, Math.floor(maxWaitMs) - FLOAT_MARGIN_MS)
		: 86_400_000;
}

function withPaceScripts(redis: Redis): Redis {
	return loadScripts(redis, LUA_DIR, 'pace');
}

/** One Shopify shop's bucket as every worker sees it (per Redis prefix: the credential's Key Prefix). */
export class SharedShopifyBucket {
	private readonly key: string;

	constructor(
		private readonly redis: Redis,
		prefix: string,
		shop: string,
	) {
		withPaceScripts(redis);
		this.key = channelKeys.pace(prefix, 'shopify', shop.toLowerCase());
	}

	/**
	 * Reserves `cost` points and says how long to wait before sending (0: now). Throws QueryCostError for a
	 * cost the bucket can never pay; Infinity when the bucket does not refill and is short. A wait longer than
	 * `maxWaitMs` (what is left of the caller's budget) reserves nothing and is returned as it is: the caller
	 * gives up, and points it reserved would hold back every later caller for nothing.
	 */
	async reserve(cost: number, maxWaitMs = Infinity): Promise<number> {
		const [code, value] = await this.ask(cost, maxWaitMs, 0);
		if (code === -2) return Infinity;
		if (code === -3) return value + FLOAT_MARGIN_MS;
		return value > 0 ? value + FLOAT_MARGIN_MS : 0;
	}

	/**
	 * A background caller's reservation: the points are taken only while the estimate stays at or above
	 * BACKGROUND_IN_FLIGHT_SHARE of the bucket less `cost` and BACKGROUND_FLOOR_SHARE less `settledCost` (what
	 * the query is expected to cost once Shopify refunds the rest; default `cost`) (pacing.ts
	 * reserveFromBucketInBackground); else nothing is taken and the answer says when the refill reaches the
	 * floors (callPolicy.ts paceBehindForeground asks again then).
	 */
	async reserveInBackground(
		cost: number,
		maxWaitMs = Infinity,
		settledCost = cost,
	): Promise<BackgroundPace> {
		const [code, value] = await this.ask(cost, maxWaitMs, BACKGROUND_FLOOR_SHARE, settledCost);
		if (code === -2) return { taken: false, retryInMs: Infinity };
		if (code === -3 || code === -4) return { taken: false, retryInMs: value + FLOAT_MARGIN_MS };
		return { taken: true, waitMs: value > 0 ? value + FLOAT_MARGIN_MS : 0 };
	}

	private async ask(
		cost: number,
		maxWaitMs: number,
		floorShare: number,
		settledCost = cost,
	): Promise<[number, number]> {
		if (!Number.isFinite(cost) || cost < 0)
			throw new QueryCostError(cost, 1_000, `invalid query cost: ${cost}`);
		const [code, value] = await this.redis.paceReserveBucket(
			this.key,
			cost,
			1_000,
			100,
			PACE_TTL_MS,
			affordable(maxWaitMs),
			floorShare,
			BACKGROUND_IN_FLIGHT_SHARE,
			Number.isFinite(settledCost) ? Math.max(0, settledCost) : cost,
		);
		if (code === -1)
			throw new QueryCostError(
				cost,
				value,
				`a query costing ${cost} points can never be paid by a bucket of ${value}: split it`,
			);
		return [code, value];
	}

	/** Gives back `reserved` points of a call that got no answer (nothing says it was charged). */
	async release(reserved: number): Promise<void> {
		if (!(reserved > 0)) return;
		await this.redis.paceSettleBucket(this.key, reserved, '0', 0, 0, 0, '0', PACE_TTL_MS);
	}

	/**
	 * An answer's `extensions.cost` (raw), `reserved` points having been reserved for the call (0 when it was
	 * sent without a reservation: then it owes its whole actual cost).
	 */
	async settle(rawCost: unknown, reserved: number, throttled = false): Promise<void> {
		const cost = parseQueryCost(rawCost);
		const status = cost?.throttleStatus;
		const charged = throttled ? 0 : (cost?.actualQueryCost ?? cost?.requestedQueryCost ?? reserved);
		await this.redis.paceSettleBucket(
			this.key,
			reserved - charged,
			status ? '1' : '0',
			status?.currentlyAvailable ?? 0,
			status?.maximumAvailable ?? 0,
			status?.restoreRate ?? 0,
			throttled ? '1' : '0',
			PACE_TTL_MS,
		);
	}
}

/** One WooCommerce store's request rate and Retry-After as every worker sees them. */
export class WooRequestPacer {
	private readonly key: string;
	private readonly intervalMs: number;

	/** `maxPerSecond`: the node's Max Requests per Second (0: no rate, only Retry-After is shared). */
	constructor(
		private readonly redis: Redis,
		prefix: string,
		shop: string,
		maxPerSecond: number,
	) {
		withPaceScripts(redis);
		this.key = channelKeys.pace(prefix, 'woocommerce', shop.toLowerCase());
		this.intervalMs = slotIntervalMs(Number.isFinite(maxPerSecond) ? maxPerSecond : 0);
	}

	/**
	 * Takes the next slot: the wait before sending, ms. A wait longer than `maxWaitMs` takes no slot (the
	 * caller gives up; a slot it took would push every later caller further out).
	 */
	async reserve(maxWaitMs = Infinity): Promise<number> {
		return Math.max(
			0,
			await this.redis.paceReserveSlot(
				this.key,
				this.intervalMs,
				PACE_TTL_MS,
				affordable(maxWaitMs),
				'0',
			),
		);
	}

	/**
	 * A background caller's slot: taken only when one is free now, never one ahead in the queue, so a
	 * foreground request waits for at most one background request (pacing.ts reserveSlotInBackground). None
	 * free: nothing taken, and the wait until the next one is.
	 */
	async reserveInBackground(maxWaitMs = Infinity): Promise<BackgroundPace> {
		const wait = await this.redis.paceReserveSlot(
			this.key,
			this.intervalMs,
			PACE_TTL_MS,
			affordable(maxWaitMs),
			'1',
		);
		return wait < 0 ? { taken: false, retryInMs: -wait } : { taken: true, waitMs: wait };
	}

	/** The store asked for `waitMs` (Retry-After): no caller sends before then. */
	async defer(waitMs: number): Promise<void> {
		if (!(waitMs > 0)) return;
		await this.redis.paceDeferSlots(this.key, Math.ceil(waitMs), PACE_TTL_MS);
	}
}
