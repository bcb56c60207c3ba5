import { placeAvailability } from '../../InventoryLedger/aggregate';
import type { Profile } from '../../InventoryLedger/profile';

/**
 * What Publish writes for one SKU at one channel place, pure (design.md "Mirror safety"): the availability the
 * profile computes from the latest ledger state (aggregate.ts, the Ledger's own code), lowered to what the
 * mirror shows while that mirror is known to have sold units we have not heard of, and skipped when the
 * mirror already shows it.
 *
 * What the channel node records per channel place, in the SKU's `pub` hash (`<kind>:<channel>:<place>`):
 * - `pq` last quantity we published (confirmed by the channel), `pr` the ledger rev it was computed from,
 *   `pt` when the channel confirmed it (ms, our clock);
 * - `obs` / `obsv` the mirror's last own report and its platform version (ms) — written by the Ledger for
 *   observations (webhooks, reads) and by Publish for compare-and-set answers (Shopify STALE).
 */

export const PUB_FIELD = {
	published: 'pq',
	publishedRev: 'pr',
	publishedAt: 'pt',
	observed: 'obs',
	observedVersion: 'obsv',
} as const;

export function pubField(kind: keyof typeof PUB_FIELD, channel: string, place: string): string {
	return `${PUB_FIELD[kind]}:${channel}:${place}`;
}

/** What is known about one channel place of one SKU. */
export interface PlaceRecord {
	published: number | null;
	publishedAt: number | null;
	observed: number | null;
	observedVersion: number | null;
}

export function placeRecord(
	pub: Record<string, string>,
	channel: string,
	place: string,
): PlaceRecord {
	const num = (kind: keyof typeof PUB_FIELD) => {
		const raw = pub[pubField(kind, channel, place)];
		if (raw === undefined || raw === '') return null;
		const n = Number(raw);
		return Number.isFinite(n) ? n : null;
	};
	return {
		published: num('published'),
		publishedAt: num('publishedAt'),
		observed: num('observed'),
		observedVersion: num('observedVersion'),
	};
}

/**
 * The value the mirror shows as far as we know: its own report when that is newer than our last confirmed
 * write, else what we wrote; null when we know neither.
 */
export function knownShown(record: PlaceRecord): number | null {
	const observationIsNewer =
		record.observed !== null &&
		(record.published === null ||
			record.publishedAt === null ||
			(record.observedVersion ?? 0) > record.publishedAt);
	if (observationIsNewer) return record.observed;
	return record.published;
}

/**
 * Whether the mirror must be held at what it shows: it reported less than we last published, after we
 * published it (so it sold units we have not heard of), and no catch-up poll that started after that report
 * has finished yet. `pollFinishedFrom`: the start time (ms) of the channel's last finished catch-up poll.
 */
export function isHeld(record: PlaceRecord, pollFinishedFrom: number | null): boolean {
	if (record.observed === null || record.published === null) return false;
	if (record.observed >= record.published) return false;
	const reportedAt = record.observedVersion ?? 0;
	if (record.publishedAt !== null && reportedAt <= record.publishedAt) return false;
	return pollFinishedFrom === null || pollFinishedFrom < reportedAt;
}

export interface PlaceDecision {
	sku: string;
	place: string;
	/** What the profile computes from the ledger. */
	desired: number;
	/** What to write: `desired`, or lower while the mirror is held. */
	quantity: number;
	/** The mirror's value as far as we know (changeFromQuantity), null if unknown. */
	expected: number | null;
	held: boolean;
	/** Nothing to write: the mirror already shows `quantity`. */
	unchanged: boolean;
}

export interface SkuLedgerView {
	sku: string;
	quantities: Record<string, number>;
	pending: Record<string, number>;
	frozen: boolean;
	/** The SKU's raw `pub` hash. */
	pub: Record<string, string>;
}

/**
 * One decision per place of `channel` for a SKU; [] when the SKU is frozen (never published). `force`
 * (resync, replay) writes even when the mirror is thought to show the value already.
 */
export function decidePlaces(
	profile: Profile,
	channel: string,
	state: SkuLedgerView,
	pollFinishedFrom: number | null,
	force = false,
): PlaceDecision[] {
	const places = placeAvailability(profile, state, channel);
	const out: PlaceDecision[] = [];
	for (const place of places) {
		if (place.frozen) continue;
		const record = placeRecord(state.pub, channel, place.place);
		const shown = knownShown(record);
		const held = isHeld(record, pollFinishedFrom);
		// Decreases go out at once; an increase above what a held mirror shows waits for the poll.
		const quantity = held ? Math.min(place.available, record.observed!) : place.available;
		out.push({
			sku: state.sku,
			place: place.place,
			desired: place.available,
			quantity,
			expected: shown,
			held: held && quantity < place.available,
			unchanged: !force && shown !== null && shown === quantity,
		});
	}
	return out;
}
