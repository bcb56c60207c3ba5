import type { BufferRule, Channel, SkuOverride } from './profile';
import { reserveEndsInMs, reserveUnits } from './salesRate';

/**
 * Safety buffers (design.md "Buffers"), pure. Order of steps, for a channel place:
 *   stock = Σ shown locations − pending forwards
 *   buffer = fixed units, or percent of stock rounded up
 *   reserve = Math.round(the SKU's sales rate now (units/s, all channels) × buffer.salesRateSeconds) (salesRate.ts)
 *   available = stock − buffer − reserve, floored at 0, then capped, then 0 when ≤ the out-of-stock threshold.
 * A per-SKU override replaces the channel's rule for the fields it sets. Which override applies: an exact SKU
 * (no wildcard) beats any glob; among globs the one with the most literal characters wins; a tie goes to the
 * earlier rule in the profile. An override's buffer without `salesRateSeconds` keeps the channel's (the reserve
 * covers the channel's sync lag, whatever the SKU's fixed or percent part); `salesRateSeconds: 0` turns it off.
 */

export interface EffectiveRule {
	buffer: BufferRule;
	cap: number | null;
	outOfStockThreshold: number;
	/** The override pattern that applied, if any. */
	override?: string;
}

export interface BufferResult {
	/** What to publish. */
	available: number;
	/** Units held back: stock − available (stock floored at 0). */
	withheld: number;
	/** Buffer units the rule asked for (before floor, cap and threshold), the sales-rate reserve not included. */
	bufferUnits: number;
	/** Units the sales-rate reserve asked for (Math.round(rate × salesRateSeconds)). */
	reserveUnits: number;
	/** How much lower `available` is because of the reserve (after floor, cap and threshold): 0 … reserveUnits. */
	reserved: number;
	/** Milliseconds until the reserve is 0 if the SKU sells nothing more (0: no reserve). */
	reserveEndsInMs: number;
}

const WILDCARD = /[*?]/;

export function isGlob(pattern: string): boolean {
	return WILDCARD.test(pattern);
}

/** Literal (non-wildcard) characters of a pattern: a glob's specificity. */
export function literalChars(pattern: string): number {
	return Array.from(pattern).filter((ch) => ch !== '*' && ch !== '?').length;
}

/** Glob match over the whole text (unicode code points): `*` any run (also empty), `?` exactly one. */
export function globMatch(pattern: string, text: string): boolean {
	const p = Array.from(pattern);
	const t = Array.from(text);
	let pi = 0;
	let ti = 0;
	let star = -1;
	let mark = 0;
	while (ti < t.length) {
		if (pi < p.length && (p[pi] === '?' || (p[pi] !== '*' && p[pi] === t[ti]))) {
			pi++;
			ti++;
		} else if (pi < p.length && p[pi] === '*') {
			star = pi++;
			mark = ti;
		} else if (star >= 0) {
			pi = star + 1;
			ti = ++mark;
		} else return false;
	}
	while (pi < p.length && p[pi] === '*') pi++;
	return pi === p.length;
}

/** The override that applies to `sku` (see the module comment), or undefined. */
export function pickOverride(
	overrides: readonly SkuOverride[],
	sku: string,
): SkuOverride | undefined {
	let best: SkuOverride | undefined;
	let bestRank = -1;
	for (const o of overrides) {
		const exact = !isGlob(o.sku);
		if (exact ? o.sku !== sku : !globMatch(o.sku, sku)) continue;
		// Exact SKUs rank above every glob; strictly greater keeps the earlier rule on a tie.
		const rank = exact ? Number.MAX_SAFE_INTEGER : literalChars(o.sku);
		if (rank > bestRank) {
			best = o;
			bestRank = rank;
		}
	}
	return best;
}

export function effectiveRule(
	channel: Pick<Channel, 'buffer' | 'cap' | 'outOfStockThreshold' | 'overrides'>,
	sku: string,
): EffectiveRule {
	const o = pickOverride(channel.overrides, sku);
	let buffer = o?.buffer ?? channel.buffer;
	if (
		o?.buffer &&
		o.buffer.salesRateSeconds === undefined &&
		channel.buffer.salesRateSeconds !== undefined
	)
		buffer = { ...o.buffer, salesRateSeconds: channel.buffer.salesRateSeconds };
	const rule: EffectiveRule = {
		buffer,
		cap: o && o.cap !== undefined ? o.cap : channel.cap,
		outOfStockThreshold: o?.outOfStockThreshold ?? channel.outOfStockThreshold,
	};
	if (o) rule.override = o.sku;
	return rule;
}

/** Buffer units for a stock figure: fixed, or percent rounded up (nothing is held back from no stock). */
export function bufferUnits(stock: number, buffer: BufferRule): number {
	if (buffer.type === 'fixed') return buffer.value;
	if (stock <= 0) return 0;
	// Integer arithmetic where possible, so 10% of 30 is exactly 3 (not 3.0000000000000004 → 4).
	const scaled = stock * buffer.value;
	const rounded = Math.round(scaled);
	return Math.abs(scaled - rounded) < 1e-9 ? Math.ceil(rounded / 100) : Math.ceil(scaled / 100);
}

/**
 * Applies a rule to a stock figure (Σ shown − pending; may be negative after an oversell). `salesRate`: the SKU's
 * sales rate now, units per second (salesRate.ts rateAt); it matters only with `buffer.salesRateSeconds` > 0.
 */
export function applyBuffer(stock: number, rule: EffectiveRule, salesRate = 0): BufferResult {
	const units = bufferUnits(stock, rule.buffer);
	const seconds = rule.buffer.salesRateSeconds ?? 0;
	const reserve = reserveUnits(salesRate, seconds);
	const shown = (held: number) => {
		let available = Math.max(0, stock - held);
		if (rule.cap !== null) available = Math.min(available, rule.cap);
		return available <= rule.outOfStockThreshold ? 0 : available;
	};
	const available = shown(units + reserve);
	const reserved = reserve > 0 ? shown(units) - available : 0;
	return {
		available,
		withheld: Math.max(0, stock) - available,
		bufferUnits: units,
		reserveUnits: reserve,
		reserved,
		reserveEndsInMs: reserve > 0 ? reserveEndsInMs(salesRate, seconds) : 0,
	};
}
