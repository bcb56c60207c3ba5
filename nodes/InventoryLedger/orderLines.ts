/** Plans items in the canonical shape of nodes/shared/events/types.ts (InventoryEvent). */
import type { InvalidReason } from './codes';
import { LEDGER_OWNER, channelOf, placeOf, resolveLocation, type ProfileIndex } from './profile';

/**
 * Apply's planning step, pure: checks one canonical item against the profile and says what the Lua script
 * must do with it (or why it is Invalid / Skipped without touching Redis). The state-dependent decisions
 * (newer version? how much changed?) are the script's, atomically.
 *
 * Removed lines: an order-line item carries `lineIds`, every line key of its order at its version. A stored line
 * of that order missing from a newer version's keys draws 0 from then on; the script reverses it where and how
 * it drew (the route it stored with the line). An untracked line (no SKU) that carries the keys is planned as
 * `untrackedLine` so that the rule runs even when the only line left in an order is untracked. An order version
 * with no line at all comes as one item for the order (id '<platform>:<shop>:order:<orderId>', `lineIds: []`,
 * no SKU; InventoryEvent in types.ts): planned as an `untrackedLine` of no line of its own (`emptyOrder`), so
 * that every stored line of the order draws 0 from its version on.
 *
 * Location names (design.md "Location names"): an item may name a location by its id or by one of its aliases
 * (the platform's id of the same stock, e.g. the Shopify location that lists a ledger warehouse); it is
 * planned, applied, audited and stored under the location's id. The Lua script only ever sees location ids.
 *
 * Where an order line's change goes (design.md "Locations"):
 *   location owned by the ledger            → `ledger`: the ledger's level moves by −(new − old);
 *   owned by the channel that sold           → `owner`: only audited (the owner's own level event carries it);
 *   owned by another channel                 → `forward`: an adjustment into that owner's outbox, counted as
 *                                              pending against the mirrors until the owner confirms.
 */

/** Absurd quantities are rejected, not stored: a level beyond ±1e9, a line drawing more than 1e6 units. */
export const MAX_LEVEL = 1e9;
export const MAX_LINE = 1e6;
/** At most this many line keys in an item's `lineIds` (each a non-empty text of at most 1,000 characters). */
export const MAX_LINE_IDS = 10_000;

export type LineMode = 'ledger' | 'owner' | 'forward';

interface Common {
	index: number;
	id: string;
	version: number;
	/** '<platform>:<shop>:<topic>:<via>', for the audit. */
	source: string;
}

export interface LevelPlan extends Common {
	op: 'level';
	sku: string | null;
	location: string;
	quantity: number;
	/** Set when the SKU comes from the map (Shopify levels carry only the inventory item id). */
	map?: MapRef;
}

export interface ObservationPlan extends Common {
	op: 'observation';
	sku: string | null;
	/** '<channel>:<location or place>' whose own report this is. */
	observer: string;
	/** The profile's channel of that mirror (its dirty set is marked when the report is below what we published). */
	channel?: string;
	quantity: number;
	map?: MapRef;
}

export interface LinePlan extends Common {
	op: 'orderLine';
	sku: string;
	location: string;
	order: { platform: string; shop: string; orderId: string };
	lineKey: string;
	/** null: this status leaves stock as it was. */
	quantity: number | null;
	mode: LineMode;
	/** The location's owner (outbox target when forwarding). */
	owner: string;
	/** Every line key of the order at this version (this line's included); undefined when the item has none. */
	lineIds?: string[];
	/** When the order took its stock (ms, from the item's `placedAt`); undefined when unknown. */
	placedAt?: number;
}

/**
 * A line without a SKU that carries its order's line keys, or the item of an order version without lines:
 * only the removed-line rule runs for it.
 */
export interface UntrackedLinePlan extends Common {
	op: 'untrackedLine';
	sku: null;
	order: { platform: string; shop: string; orderId: string };
	/** The line's key; '' for an empty order (no line of its own: '' is never a line key). */
	lineKey: string;
	/** Business identity of the order's lines without the line key: '<platform>:<shop>:order:<orderId>:line:'. */
	lineBase: string;
	lineIds: string[];
	/** The item of an order version without any line (`lineIds: []`). */
	emptyOrder?: true;
	/** Why the line is not tracked (for the Skipped output). */
	message: string;
}

export interface MappingPlan extends Common {
	op: 'mapping';
	sku: string;
	map: MapRef;
}

export interface MapRef {
	platform: string;
	shop: string;
	/** Hash field: 'item:<inventoryItemId>', 'variant:<id>' or 'product:<id>'. */
	field: string;
}

export type Plan = LevelPlan | ObservationPlan | LinePlan | MappingPlan | UntrackedLinePlan;

export type Planned =
	| { plan: Plan }
	| { invalid: InvalidReason; message: string }
	| { skipped: 'untracked'; message: string };

const KINDS = new Set(['level', 'orderLine', 'observation', 'mapping']);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined =>
	typeof v === 'string' && v !== '' ? v : undefined;

/** The line's key within its order, from the business identity '<platform>:<shop>:order:<orderId>:line:<lineKey>'. */
export function lineKeyOf(
	id: string,
	orderId: string | undefined,
): { orderId: string; lineKey: string } | undefined {
	if (orderId) {
		const marker = `:order:${orderId}:line:`;
		const at = id.indexOf(marker);
		if (at >= 0 && at + marker.length < id.length)
			return { orderId, lineKey: id.slice(at + marker.length) };
	}
	const match = /:order:([^:]+):line:(.+)$/.exec(id);
	return match ? { orderId: match[1], lineKey: match[2] } : undefined;
}

/** The order of an empty order item, from its identity '<platform>:<shop>:order:<orderId>' (no line part). */
export function emptyOrderOf(id: string, orderId: string | undefined): string | undefined {
	if (orderId && id.endsWith(`:order:${orderId}`)) return orderId;
	const match = /:order:([^:]+)$/.exec(id);
	return match ? match[1] : undefined;
}

function mapRefFor(platform: string, shop: string, refs: Obj): MapRef | undefined {
	const item = text(refs.inventoryItemId);
	const variant = text(refs.variantId);
	const product = text(refs.productId);
	if (platform === 'shopify') {
		if (item) return { platform, shop, field: `item:${item}` };
		if (variant) return { platform, shop, field: `variant:${variant}` };
		return undefined;
	}
	if (variant) return { platform, shop, field: `variant:${variant}` };
	if (product) return { platform, shop, field: `product:${product}` };
	return undefined;
}

/**
 * An item's `lineIds`: undefined when it has none (null / absent), 'bad' when malformed; otherwise the keys
 * with this item's own line added when missing (the item proves its line exists at its version).
 */
export function lineIdsOf(raw: unknown, own: string): string[] | undefined | 'bad' {
	if (raw === undefined || raw === null) return undefined;
	if (!Array.isArray(raw) || raw.length > MAX_LINE_IDS) return 'bad';
	for (const k of raw) if (typeof k !== 'string' || k === '' || k.length > 1000) return 'bad';
	const keys = raw as string[];
	return keys.includes(own) ? keys : [...keys, own];
}

function integerIn(v: unknown, max: number): v is number {
	return typeof v === 'number' && Number.isInteger(v) && Math.abs(v) <= max;
}

export function planEvent(index: number, raw: unknown, profile: ProfileIndex): Planned {
	if (!isObj(raw))
		return { invalid: 'notAnEvent', message: 'the item is not an inventory event object' };
	const kind = raw.kind;
	if (typeof kind !== 'string' || !KINDS.has(kind))
		return {
			invalid: 'badKind',
			message: `kind must be level, orderLine, observation or mapping (got ${JSON.stringify(kind)?.slice(0, 40)})`,
		};
	const id = text(raw.id);
	if (!id || id.length > 1000)
		return { invalid: 'badId', message: 'id must be a non-empty text (at most 1,000 characters)' };
	const version = raw.version;
	if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0)
		return {
			invalid: 'badVersion',
			message: `version must be a whole number of milliseconds ≥ 0 (got ${JSON.stringify(version)?.slice(0, 40)})`,
		};
	const source = isObj(raw.source) ? raw.source : {};
	const platform = text(source.platform) ?? 'manual';
	const shop = (text(source.shop) ?? '').toLowerCase();
	const sourceText = `${platform}:${shop}:${text(source.topic) ?? ''}:${text(source.via) ?? ''}`;
	const refs = isObj(raw.refs) ? raw.refs : {};
	const skuRaw = raw.sku;
	if (skuRaw !== null && skuRaw !== undefined && typeof skuRaw !== 'string')
		return { invalid: 'blankSku', message: 'sku must be a text or null' };
	let sku: string | null = typeof skuRaw === 'string' ? skuRaw : null;
	let untracked = 'line has no SKU: not tracked';
	if (sku !== null && sku.trim() === '') {
		if (kind === 'mapping')
			return { invalid: 'blankSku', message: 'blank SKU: reported, never guessed' };
		sku = null;
		untracked = 'line has a blank SKU: not tracked';
	} else if (sku === null) untracked = text(raw.note) ?? untracked;
	if (sku !== null && sku.length > 1000)
		return { invalid: 'blankSku', message: 'SKU longer than 1,000 characters' };
	const common = { index, id, version, source: sourceText };
	const channel = channelOf(profile, platform, shop);

	switch (kind) {
		case 'mapping': {
			const map = mapRefFor(platform, shop, refs);
			if (!map)
				return {
					invalid: 'unmapped',
					message: 'a mapping needs refs.inventoryItemId, variantId or productId',
				};
			if (sku === null)
				return { invalid: 'blankSku', message: 'blank SKU: reported, never guessed' };
			return { plan: { op: 'mapping', ...common, sku, map } };
		}
		case 'level':
		case 'observation': {
			const quantity = raw.quantity;
			if (!integerIn(quantity, MAX_LEVEL))
				return {
					invalid: 'badQuantity',
					message: `quantity must be a whole number within ±${MAX_LEVEL} (got ${JSON.stringify(quantity)?.slice(0, 40)})`,
				};
			const named = text(raw.locationId);
			const location = named === undefined ? undefined : resolveLocation(profile, named);
			let map: MapRef | undefined;
			if (sku === null) {
				map = mapRefFor(platform, shop, refs);
				if (!map)
					return { invalid: 'unmapped', message: 'no SKU and no platform id to resolve it by' };
			}
			// A mirror's report is recorded under the channel's display place it is about (a place named by the
			// location's id or by an alias of it), else under the name it came with.
			const observer = (who: string) => {
				const place = channel && named !== undefined ? placeOf(profile, channel, named) : undefined;
				return `${who}:${place?.id ?? named ?? ''}`;
			};
			if (kind === 'observation' || location === undefined) {
				if (kind === 'level')
					return {
						invalid: 'unknownLocation',
						message: `location '${String(raw.locationId)}' is not in the profile (neither a location id nor an alias of one)`,
					};
				if (!channel)
					return {
						invalid: 'unknownChannel',
						message: `no channel in the profile for ${platform} ${shop}`,
					};
				return {
					plan: {
						op: 'observation',
						...common,
						sku,
						observer: observer(channel.name),
						channel: channel.name,
						quantity,
						map,
					},
				};
			}
			const owner = profile.ownerOf.get(location)!;
			// Only the owner's number sets the ledger: a channel's level at a location it owns, or a manual
			// feed (ERP, CSV) at a ledger-owned one. Anything else is a mirror reporting what it shows — also a
			// channel's level at its own platform id of a location the ledger owns (an alias): mirror safety.
			const fromOwner = owner === LEDGER_OWNER ? platform === 'manual' : channel?.name === owner;
			if (!fromOwner) {
				return {
					plan: {
						op: 'observation',
						...common,
						sku,
						observer: observer(channel?.name ?? platform),
						...(channel ? { channel: channel.name } : {}),
						quantity,
						map,
					},
				};
			}
			return { plan: { op: 'level', ...common, sku, location, quantity, map } };
		}
		case 'orderLine': {
			const line = lineKeyOf(id, text(refs.orderId));
			if (sku === null) {
				// An order version without any line: every stored line of the order draws 0 from this version on.
				const emptyOrder = line ? undefined : emptyOrderOf(id, text(refs.orderId));
				if (
					emptyOrder !== undefined &&
					channel &&
					Array.isArray(raw.lineIds) &&
					raw.lineIds.length === 0
				) {
					return {
						plan: {
							op: 'untrackedLine',
							...common,
							sku: null,
							order: { platform, shop, orderId: emptyOrder },
							lineKey: '',
							lineBase: `${id}:line:`,
							lineIds: [],
							emptyOrder: true,
							message: 'the order has no line at this version: every line it had draws 0',
						},
					};
				}
				// Untracked; still, its order's line keys may remove a stored (tracked) line of the order.
				const keys = line ? lineIdsOf(raw.lineIds, line.lineKey) : undefined;
				if (!line || !channel || keys === undefined || keys === 'bad')
					return { skipped: 'untracked', message: untracked };
				return {
					plan: {
						op: 'untrackedLine',
						...common,
						sku: null,
						order: { platform, shop, orderId: line.orderId },
						lineKey: line.lineKey,
						lineBase: id.slice(0, id.length - line.lineKey.length),
						lineIds: keys,
						message: untracked,
					},
				};
			}
			const quantity = raw.quantity;
			if (!line)
				return {
					invalid: 'badId',
					message:
						"an order line id must look like '<platform>:<shop>:order:<orderId>:line:<lineId>'",
				};
			const lineIds = lineIdsOf(raw.lineIds, line.lineKey);
			if (lineIds === 'bad')
				return {
					invalid: 'badLineIds',
					message: `lineIds must be a list of at most ${MAX_LINE_IDS} non-empty line keys (texts of at most 1,000 characters)`,
				};
			const restock = line.lineKey.includes(':restock:');
			if (quantity !== null && (!integerIn(quantity, MAX_LINE) || (quantity < 0 && !restock)))
				return {
					invalid: 'badQuantity',
					message: `drawn quantity must be a whole number within 0…${MAX_LINE} (negative only on a restock item; got ${JSON.stringify(quantity)?.slice(0, 40)})`,
				};
			if (!channel)
				return {
					invalid: 'unknownChannel',
					message: `no channel in the profile for ${platform} ${shop}`,
				};
			const named = text(raw.locationId) ?? channel.salesLocation;
			const location = resolveLocation(profile, named);
			if (location === undefined)
				return {
					invalid: 'unknownLocation',
					message: `location '${named}' is not in the profile (neither a location id nor an alias of one)`,
				};
			const owner = profile.ownerOf.get(location)!;
			// Unknown or unreadable: the line draws as any other (no count is assumed to hold it).
			const placedMs = typeof raw.placedAt === 'string' ? Date.parse(raw.placedAt) : NaN;
			const placedAt = Number.isSafeInteger(placedMs) && placedMs >= 0 ? placedMs : undefined;
			const mode: LineMode =
				owner === LEDGER_OWNER ? 'ledger' : owner === channel.name ? 'owner' : 'forward';
			return {
				plan: {
					op: 'orderLine',
					...common,
					sku,
					location,
					order: { platform, shop, orderId: line.orderId },
					lineKey: line.lineKey,
					quantity: quantity as number | null,
					mode,
					owner,
					...(lineIds ? { lineIds } : {}),
					...(placedAt === undefined ? {} : { placedAt }),
				},
			};
		}
	}
	return { invalid: 'badKind', message: 'unknown kind' };
}
