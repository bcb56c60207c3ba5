import { placeAvailability } from '../../InventoryLedger/aggregate';
import type { Profile } from '../../InventoryLedger/profile';
import type { SalesRate } from '../../InventoryLedger/salesRate';

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
 *   observations (webhooks, reads) and by Publish for compare-and-set answers (Shopify STALE);
 * - `hq` / `hv` a hold: the mirror showed `hq` units, less than we had published, at version `hv` — sales we
 *   have not heard of. It stays (also across our own later writes, which cannot explain the gap) until a poll
 *   that started after `hv` has finished; '' when none.
 */

export const PUB_FIELD = {
	published: 'pq',
	publishedRev: 'pr',
	publishedAt: 'pt',
	observed: 'obs',
	observedVersion: 'obsv',
	holdQuantity: 'hq',
	holdVersion: 'hv',
} as const;

export function pubField(kind: keyof typeof PUB_FIELD, channel: string, place: string): string {
	return `${PUB_FIELD[kind]}:${channel}:${place}`;
}

/** The field names of one channel place, built once per place (read for every SKU of a pass). */
const FIELD_NAMES = new Map<string, Record<keyof typeof PUB_FIELD, string>>();
export function pubFieldNames(
	channel: string,
	place: string,
): Readonly<Record<keyof typeof PUB_FIELD, string>> {
	return fieldNames(channel, place);
}
function fieldNames(channel: string, place: string): Record<keyof typeof PUB_FIELD, string> {
	const id = `${channel}\u0000${place}`;
	let names = FIELD_NAMES.get(id);
	if (!names) {
		if (FIELD_NAMES.size > 10_000) FIELD_NAMES.clear();
		names = Object.fromEntries(
			(Object.keys(PUB_FIELD) as Array<keyof typeof PUB_FIELD>).map((k) => [
				k,
				pubField(k, channel, place),
			]),
		) as Record<keyof typeof PUB_FIELD, string>;
		FIELD_NAMES.set(id, names);
	}
	return names;
}

/** What is known about one channel place of one SKU. */
export interface PlaceRecord {
	published: number | null;
	publishedAt: number | null;
	observed: number | null;
	observedVersion: number | null;
	holdQuantity: number | null;
	holdVersion: number | null;
}

export function placeRecord(
	pub: Record<string, string>,
	channel: string,
	place: string,
): PlaceRecord {
	const names = fieldNames(channel, place);
	const num = (kind: keyof typeof PUB_FIELD) => {
		const raw = pub[names[kind]];
		if (raw === undefined || raw === '') return null;
		const n = Number(raw);
		return Number.isFinite(n) ? n : null;
	};
	return {
		published: num('published'),
		publishedAt: num('publishedAt'),
		observed: num('observed'),
		observedVersion: num('observedVersion'),
		holdQuantity: num('holdQuantity'),
		holdVersion: num('holdVersion'),
	};
}

/**
 * The value the mirror shows as far as we know: its own report when that is newer than our last confirmed
 * write, else what we wrote; null when we know neither.
 */
export function knownShown(record: PlaceRecord): number | null {
	if (record.observed === null) return record.published;
	if (record.published === null || record.publishedAt === null) return record.observed;
	const order = reportOrder(
		record.observedVersion ?? 0,
		record.publishedAt,
		record.observed !== record.published,
	);
	// A tie is settled by writing again (design: never guess): unknown, so the value goes out.
	return order === 'after' ? record.observed : order === 'tie' ? null : record.published;
}

/**
 * How a mirror's report at `version` (ms) stands to our write confirmed at `publishedAt` (ms). WooCommerce
 * times have whole seconds: a report in the same second as our write that differs from what we wrote cannot
 * be ordered by time ('tie': it may be the state just before our write, or a sale or restock just after).
 * An echo of our own write says what we wrote: never a tie.
 */
export function reportOrder(
	version: number,
	publishedAt: number,
	differs: boolean,
): 'after' | 'before' | 'tie' {
	if (version > publishedAt) return 'after';
	if (differs && version % 1000 === 0 && Math.floor(publishedAt / 1000) * 1000 === version)
		return 'tie';
	return 'before';
}

/**
 * The hold on a mirror (design.md "Mirror safety, precisely"), or null: a report below what we last published,
 * made after we published it, means sales there we have not heard of; the mirror is not raised above the lowest
 * such report until a catch-up poll that started after it has finished (`pollFinishedFrom`: the start, ms, of
 * the channel's last finished poll). An earlier hold stays until then too.
 */
export function holdOf(
	record: PlaceRecord,
	pollFinishedFrom: number | null,
): { quantity: number; version: number } | null {
	const released = (version: number) => pollFinishedFrom !== null && pollFinishedFrom >= version;
	let hold =
		record.holdQuantity !== null && record.holdVersion !== null && !released(record.holdVersion)
			? { quantity: record.holdQuantity, version: record.holdVersion }
			: null;
	const o = record.observed;
	const v = record.observedVersion ?? 0;
	const fresh =
		o !== null &&
		record.published !== null &&
		o < record.published &&
		(record.publishedAt === null || reportOrder(v, record.publishedAt, true) !== 'before') &&
		!released(v);
	if (fresh && (hold === null || o < hold.quantity))
		hold = { quantity: o, version: Math.max(v, hold?.version ?? 0) };
	return hold;
}

/** Whether the mirror is held (see holdOf). */
export function isHeld(record: PlaceRecord, pollFinishedFrom: number | null): boolean {
	return holdOf(record, pollFinishedFrom) !== null;
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
	/** The active hold's version (ms), when the mirror is held. */
	holdVersion?: number;
	/** The hold to record ('' fields: none) when it differs from the one stored. */
	hold?: { quantity: number | ''; version: number | '' };
	/** The mirror's last report cannot be ordered against our last write (a tie): `expected` is unknown. */
	tie?: true;
	/**
	 * Units the buffer's sales-rate reserve lowered `desired` by (present only when > 0): the SKU sells fast. The
	 * place must be decided again once the reserve has decayed (Publish records the SKU in the held zset).
	 */
	reserved?: number;
	/** With `reserved`: ms until the reserve is 0 if the SKU sells nothing more. */
	reserveEndsInMs?: number;
	/** With `reserved`: the SKU's sales rate, units per second, that asked for it. */
	salesRate?: number;
}

/**
 * Whether Publish reads back what the mirror shows before acting on this decision, on a channel whose reports
 * cannot always be ordered against our writes (no compare-and-set and whole-second times: WooCommerce). There
 * a skip is never taken on belief alone: the mirror moves its own stock for its own orders, and a report in
 * the same second as an earlier one (ours, or another order's) carries the same version, so it can be lost
 * on the way (the Guard's `id@version` key) or taken for the older one. A tie is settled by what the mirror
 * shows too, rather than by writing blind and holding the place at a report that may predate our write.
 */
export function needsReadBack(decision: PlaceDecision): boolean {
	return decision.unchanged || decision.tie === true;
}

/**
 * The pub hash with what a read-back found recorded as the mirror's report at `at` (ms, our clock: the read
 * was sent after our last write, so it is ordered after it). As the observation script does, an existing report
 * with a later version wins.
 */
export function withReadBack(
	pub: Record<string, string>,
	channel: string,
	place: string,
	quantity: number,
	at: number,
): Record<string, string> {
	const names = fieldNames(channel, place);
	const current = pub[names.observedVersion];
	if (current !== undefined && current !== '' && Number(current) > at) return pub;
	return { ...pub, [names.observed]: String(quantity), [names.observedVersion]: String(at) };
}

export interface SkuLedgerView {
	sku: string;
	quantities: Record<string, number>;
	pending: Record<string, number>;
	frozen: boolean;
	/** The SKU's stored sales rate (ledger hash `sr` / `st`), absent when it has none. */
	salesRate?: SalesRate;
	/** The SKU's raw `pub` hash. */
	pub: Record<string, string>;
}

/**
 * One decision per place of `channel` for a SKU; [] when the SKU is frozen (never published). `force`
 * (resync, replay) writes even when the mirror is thought to show the value already. `now` (ms, Redis's clock,
 * which stamped the SKU's sales rate) decays the rate for the buffer's sales-rate reserve (aggregate.ts); absent,
 * the rate counts as of its own time.
 */
export function decidePlaces(
	profile: Profile,
	channel: string,
	state: SkuLedgerView,
	pollFinishedFrom: number | null,
	force = false,
	now?: number,
): PlaceDecision[] {
	const places = placeAvailability(profile, state, channel, now);
	const out: PlaceDecision[] = [];
	for (const place of places) {
		if (place.frozen) continue;
		const record = placeRecord(state.pub, channel, place.place);
		const shown = knownShown(record);
		const tie = shown === null && record.published !== null && record.observed !== null;
		const hold = holdOf(record, pollFinishedFrom);
		// Decreases go out at once; an increase above what a held mirror showed waits for the poll.
		const quantity = hold ? Math.min(place.available, hold.quantity) : place.available;
		const stored =
			record.holdVersion !== null ? { q: record.holdQuantity, v: record.holdVersion } : null;
		const changed = hold
			? !stored || stored.q !== hold.quantity || stored.v !== hold.version
			: stored !== null;
		out.push({
			sku: state.sku,
			place: place.place,
			desired: place.available,
			quantity,
			expected: shown,
			held: hold !== null && quantity < place.available,
			unchanged: !force && shown !== null && shown === quantity,
			...(hold ? { holdVersion: hold.version } : {}),
			...(tie ? { tie: true as const } : {}),
			...(place.reserved > 0
				? {
						reserved: place.reserved,
						reserveEndsInMs: place.reserveEndsInMs,
						salesRate: place.salesRate,
					}
				: {}),
			...(changed
				? {
						hold: hold
							? { quantity: hold.quantity, version: hold.version }
							: { quantity: '', version: '' },
					}
				: {}),
		});
	}
	return out;
}
