import type { BufferRule, Channel, SkuOverride } from './profile';

/**
 * Safety buffers (design.md "Buffers"), pure. Order of steps, for a channel place:
 *   stock = Σ shown locations − pending forwards
 *   buffer = fixed units, or percent of stock rounded up
 *   available = stock − buffer, floored at 0, then capped, then 0 when ≤ the out-of-stock threshold.
 * A per-SKU override replaces the channel's rule for the fields it sets. Which override applies: an exact SKU
 * (no wildcard) beats any glob; among globs the one with the most literal characters wins; a tie goes to the
 * earlier rule in the profile.
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
	/** Buffer units the rule asked for (before floor, cap and threshold). */
	bufferUnits: number;
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
	const rule: EffectiveRule = {
		buffer: o?.buffer ?? channel.buffer,
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

/** Applies a rule to a stock figure (Σ shown − pending; may be negative after an oversell). */
export function applyBuffer(stock: number, rule: EffectiveRule): BufferResult {
	const units = bufferUnits(stock, rule.buffer);
	let available = Math.max(0, stock - units);
	if (rule.cap !== null) available = Math.min(available, rule.cap);
	if (available <= rule.outOfStockThreshold) available = 0;
	return { available, withheld: Math.max(0, stock) - available, bufferUnits: units };
}
