import { applyBuffer, effectiveRule, type EffectiveRule } from './buffers';
import type { Profile } from './profile';

/**
 * Multi-location aggregation (design.md "Channels"), pure: per channel place, Σ of the ledger locations it
 * shows − the pending forwards at those locations, then the channel's buffer rule. Negative ledger stock (an
 * oversell happened) stays in the ledger and is published as 0.
 */

export interface LedgerState {
	sku: string;
	/** Units per location (absent: 0). */
	quantities: Record<string, number>;
	/** Units forwarded to a location's owner and not yet confirmed, per location (absent: 0). */
	pending: Record<string, number>;
	frozen: boolean;
}

export interface PlaceAvailability {
	channel: string;
	place: string;
	shows: string[];
	/** Σ of the shown locations. */
	shown: number;
	pending: number;
	/** shown − pending. */
	stock: number;
	available: number;
	withheld: number;
	rule: EffectiveRule;
	/** A frozen SKU is never published: `available` is what would be, for the user's eyes. */
	frozen: boolean;
}

export function placeAvailability(
	profile: Profile,
	state: LedgerState,
	channelName?: string,
): PlaceAvailability[] {
	const out: PlaceAvailability[] = [];
	const frozen = state.frozen || profile.frozen.includes(state.sku);
	for (const channel of profile.channels) {
		if (channelName && channel.name !== channelName) continue;
		const rule = effectiveRule(channel, state.sku);
		for (const place of channel.places) {
			let shown = 0;
			let pending = 0;
			for (const loc of place.shows) {
				shown += state.quantities[loc] ?? 0;
				pending += state.pending[loc] ?? 0;
			}
			const stock = shown - pending;
			const result = applyBuffer(stock, rule);
			out.push({
				channel: channel.name,
				place: place.id,
				shows: place.shows,
				shown,
				pending,
				stock,
				available: result.available,
				withheld: result.withheld,
				rule,
				frozen,
			});
		}
	}
	return out;
}
