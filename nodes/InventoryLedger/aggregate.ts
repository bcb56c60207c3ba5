import { applyBuffer, effectiveRule, type EffectiveRule } from './buffers';
import type { Profile } from './profile';
import { rateAt, type SalesRate } from './salesRate';

/**
 * Multi-location aggregation (design.md "Channels"), pure: per channel place, Σ of the effective stock of the
 * ledger locations it shows, then the channel's buffer rule. A location's stock is its level − the pending
 * forwards at it; a location whose stock is below zero and that names a shortfall cover (profile
 * `coverShortfallFrom`) passes the deficit on to the cover and counts 0 itself (chains followed: the goods ship
 * from there). A place showing both keeps its sum; a place showing only the cover shows less by the deficit.
 * Negative stock without a cover (an oversell happened) stays in the ledger and is published as 0.
 */

export interface LedgerState {
	sku: string;
	/** Units per location (absent: 0). */
	quantities: Record<string, number>;
	/** Units forwarded to a location's owner and not yet confirmed, per location (absent: 0). */
	pending: Record<string, number>;
	frozen: boolean;
	/** The SKU's stored sales rate (ledger hash `sr` / `st`), for the buffer's sales-rate reserve; absent: none. */
	salesRate?: SalesRate;
}

export interface PlaceAvailability {
	channel: string;
	place: string;
	shows: string[];
	/** Σ of the shown locations' levels. */
	shown: number;
	/** Σ of the pending forwards at the shown locations. */
	pending: number;
	/**
	 * Shortfall cover moved into this place's sum (stock − (shown − pending)): negative when a location not shown
	 * here passed its deficit to a shown one, positive when a shown location passed its deficit outside. 0 when
	 * no shortfall crosses the place's edge.
	 */
	covered: number;
	/** Σ of the shown locations' effective stock (shown − pending + covered): what the buffer applies to. */
	stock: number;
	available: number;
	withheld: number;
	/** The SKU's sales rate at the time asked for, units per second over all channels (salesRate.ts). */
	salesRate: number;
	/** Units the sales-rate reserve asked for (rule.buffer.salesRateSeconds; 0 when off). */
	reserve: number;
	/** How much lower `available` is because of the reserve (cap and threshold applied). */
	reserved: number;
	/** Milliseconds until the reserve is 0 if the SKU sells nothing more (0: no reserve). */
	reserveEndsInMs: number;
	rule: EffectiveRule;
	/** A frozen SKU is never published: `available` is what would be, for the user's eyes. */
	frozen: boolean;
}

/**
 * The profile's covered locations, each before its cover (a location's deficit is final once every location
 * covered by it has passed its own on), with its cover; computed once per profile object.
 */
const COVER_ORDER = new WeakMap<Profile, Array<[string, string]>>();
function coverOrder(profile: Profile): Array<[string, string]> {
	let order = COVER_ORDER.get(profile);
	if (!order) {
		const coverOf = new Map<string, string>();
		for (const l of profile.locations)
			if (l.coverShortfallFrom) coverOf.set(l.id, l.coverShortfallFrom);
		// Depth = links to the end of the chain; a location is deeper than its cover, so deepest first.
		const depth = (id: string): number => {
			let d = 0;
			for (let at = coverOf.get(id); at !== undefined && d <= coverOf.size; at = coverOf.get(at))
				d++;
			return d;
		};
		order = [...coverOf]
			.map(([id, cover]) => ({ id, cover, d: depth(id) }))
			.sort((a, b) => b.d - a.d)
			.map(({ id, cover }): [string, string] => [id, cover]);
		COVER_ORDER.set(profile, order);
	}
	return order;
}

/**
 * Effective stock per location of the profile: level − pending, then every deficit of a covered location moved
 * to its cover (that location then counts 0). A deficit at a location without a cover stays there.
 */
export function effectiveStock(profile: Profile, state: LedgerState): Map<string, number> {
	const stock = new Map<string, number>();
	for (const l of profile.locations)
		stock.set(l.id, (state.quantities[l.id] ?? 0) - (state.pending[l.id] ?? 0));
	for (const [id, cover] of coverOrder(profile)) {
		const own = stock.get(id)!;
		if (own < 0) {
			stock.set(cover, stock.get(cover)! + own);
			stock.set(id, 0);
		}
	}
	return stock;
}

/**
 * Every place of the profile (or of `channelName`) for a SKU. `now` (ms, the clock of the rate's `at`: Redis's)
 * decays the SKU's sales rate for the reserve; absent, the rate counts as of its own time (not decayed).
 */
export function placeAvailability(
	profile: Profile,
	state: LedgerState,
	channelName?: string,
	now?: number,
): PlaceAvailability[] {
	const out: PlaceAvailability[] = [];
	const salesRate = state.salesRate ? rateAt(state.salesRate, now ?? state.salesRate.at) : 0;
	const frozen = state.frozen || profile.frozen.includes(state.sku);
	const effective = coverOrder(profile).length ? effectiveStock(profile, state) : undefined;
	for (const channel of profile.channels) {
		if (channelName && channel.name !== channelName) continue;
		const rule = effectiveRule(channel, state.sku);
		for (const place of channel.places) {
			let shown = 0;
			let pending = 0;
			let stock = 0;
			for (const loc of place.shows) {
				const level = state.quantities[loc] ?? 0;
				const owed = state.pending[loc] ?? 0;
				shown += level;
				pending += owed;
				stock += effective?.get(loc) ?? level - owed;
			}
			const result = applyBuffer(stock, rule, salesRate);
			out.push({
				channel: channel.name,
				place: place.id,
				shows: place.shows,
				shown,
				pending,
				covered: stock - (shown - pending),
				stock,
				available: result.available,
				withheld: result.withheld,
				salesRate,
				reserve: result.reserveUnits,
				reserved: result.reserved,
				reserveEndsInMs: result.reserveEndsInMs,
				rule,
				frozen,
			});
		}
	}
	return out;
}
