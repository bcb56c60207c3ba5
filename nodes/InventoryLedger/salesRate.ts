/**
 * The sales-rate reserve of a buffer rule (profile `buffer.salesRateSeconds`), pure: what a SKU sells during the
 * sync lag is held back from every channel place, in addition to the fixed or percent buffer.
 *
 * The rate is an exponentially decayed count of the units the SKU's order lines newly drew, over all channels,
 * kept by the ledger's Apply script (lua/applyEvents.lua) in the SKU's ledger hash: `sr` units per second as of
 * `st` (ms, Redis's clock). At each sale of u units at time t:  r ← r·exp(−(t − st)/TAU) + u/TAU,  st ← t.
 * Between sales it decays: r(now) = r·exp(−(now − st)/TAU). A steady rate of λ units/s converges to λ; a burst of
 * u units adds u/TAU and fades with the time constant TAU. The same TAU is in applyEvents.lua.
 *
 * reserve = Math.round(r(now) × salesRateSeconds): 0 once r(now) × seconds < 0.5.
 */

/** Time constant of the rate, ms (applyEvents.lua SALES_RATE_TAU_MS: change both together). */
export const SALES_RATE_TAU_MS = 5_000;

/** The SKU's stored rate: units per second as of `at` (ms, the Redis clock of the sale that set it). */
export interface SalesRate {
	rate: number;
	at: number;
}

/** The ledger hash fields of the rate (applyEvents.lua writes them). */
export const SALES_RATE_FIELD = { rate: 'sr', at: 'st' } as const;

/** The stored rate from the ledger hash's texts, or undefined when absent or not a number. */
export function parseSalesRate(
	rate: string | null | undefined,
	at: string | null | undefined,
): SalesRate | undefined {
	if (rate === undefined || rate === null || at === undefined || at === null) return undefined;
	const r = Number(rate);
	const t = Number(at);
	return Number.isFinite(r) && Number.isFinite(t) && r > 0 ? { rate: r, at: t } : undefined;
}

/**
 * Units per second at `now` (ms). A `now` before the rate's own time (two clocks a little apart) counts as its
 * time: the rate never grows by looking at it.
 */
export function rateAt(stored: SalesRate | undefined, now: number): number {
	if (!stored || !(stored.rate > 0)) return 0;
	const elapsed = Math.max(0, now - stored.at);
	return stored.rate * Math.exp(-elapsed / SALES_RATE_TAU_MS);
}

/** Units the reserve holds back at a rate of `rate` units per second: Math.round(rate × seconds). */
export function reserveUnits(rate: number, seconds: number): number {
	if (!(rate > 0) || !(seconds > 0)) return 0;
	return Math.round(rate * seconds);
}

/**
 * Milliseconds from the moment the rate is `rate` until the reserve is 0, if nothing else sells:
 * rate·e^(−Δ/TAU)·seconds < 0.5 ⇔ Δ > TAU·ln(2·rate·seconds). Rounded up and 1 ms past the boundary (where
 * Math.round still gives 1). 0 when the reserve is 0 already.
 */
export function reserveEndsInMs(rate: number, seconds: number): number {
	if (reserveUnits(rate, seconds) === 0) return 0;
	return Math.ceil(SALES_RATE_TAU_MS * Math.log(2 * rate * seconds)) + 1;
}

/** Redis TIME's reply (seconds, microseconds) in ms: the clock the rate is stamped with. */
export function redisTimeMs(reply: ReadonlyArray<string | number>): number {
	return Number(reply[0]) * 1000 + Math.floor(Number(reply[1]) / 1000);
}
