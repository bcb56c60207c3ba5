/**
 * The sync profile (design.md "The sync profile"): locations and their owners, channels (where their sales
 * draw from, which ledger locations each display place shows, buffers), frozen SKUs and the dry-run switch.
 * Pure: parse, validate (every problem at once, with its path), normalise, compare. Stored in Redis by
 * redisLedger.ts (`<prefix>:profile`, versioned).
 */

export type ProfilePlatform = 'shopify' | 'woocommerce' | 'manual';

export interface BufferRule {
	type: 'fixed' | 'percent';
	/** Units (fixed) or percent of the shown stock, rounded up (percent, 0–100). */
	value: number;
	/**
	 * Sales-rate reserve (salesRate.ts): also hold back what the SKU sells in this many seconds at its recent
	 * rate over all channels, Math.round(rate × seconds). 0–3600; absent or 0: off. Set it to the channel's sync
	 * lag p99 (the Health operation). Absent from a channel's stored buffer when 0 (older profiles keep their
	 * text); in an override's buffer, absent means the channel's value and 0 turns the reserve off for those SKUs.
	 */
	salesRateSeconds?: number;
}

/** The longest sales-rate reserve window, seconds (an hour: far beyond any sync lag worth covering). */
export const MAX_SALES_RATE_SECONDS = 3600;

export interface SkuOverride {
	/** An exact SKU, or a glob: `*` any run of characters, `?` one character. */
	sku: string;
	buffer?: BufferRule;
	/** Replaces the channel's cap (null: no cap). */
	cap?: number | null;
	outOfStockThreshold?: number;
}

export interface Place {
	/** Where the channel displays stock, e.g. 'shopify:x.myshopify.com:123' or 'woocommerce:shop.example:default'. */
	id: string;
	/** Ledger locations summed for this place (each at most once). */
	shows: string[];
}

export interface Channel {
	name: string;
	platform: ProfilePlatform;
	/** Lower-case host, as the trigger writes it in `source.shop`; empty: any shop of this platform. */
	shop: string;
	/** n8n credential name the channel nodes use (informational for the Ledger). */
	credential?: string;
	/** The location this channel's sales draw from (a web order carries no location). */
	salesLocation: string;
	places: Place[];
	buffer: BufferRule;
	/** Show at most this many (null: no cap). */
	cap: number | null;
	/** Publish 0 when available ≤ this. */
	outOfStockThreshold: number;
	overrides: SkuOverride[];
}

export interface LocationDef {
	/** '<platform>:<shop>:<platformLocationId>' or 'ledger:<name>'. */
	id: string;
	/** 'ledger' or the name of the channel whose number for this location is the truth. */
	owner: string;
	/**
	 * Platform location ids that name the same stock ('<platform>:<shop>:<platformLocationId>'), e.g. the
	 * Shopify location that lists a ledger-owned warehouse. Order lines, restocks and levels naming an alias
	 * apply to this location. Absent when there are none (so older stored profiles keep their text).
	 */
	aliases?: string[];
	/**
	 * Shortfall cover: the location that ships what this one sells beyond its stock. When this location's stock
	 * (level − pending forwards) is below zero, the deficit is owed by that location: availability counts it
	 * there (aggregate.ts). Chains are allowed (A → B → C), cycles are not. Absent when none.
	 */
	coverShortfallFrom?: string;
}

export interface Profile {
	/** Everything is computed, audited and reported; channel nodes write nothing while true. */
	dryRun: boolean;
	locations: LocationDef[];
	channels: Channel[];
	/** SKUs never published (exact texts). */
	frozen: string[];
	/** Order-line state is kept this long after the order's last change. */
	orderLineRetentionDays: number;
	/** Entries kept per SKU audit stream (approximate trim, never fewer). */
	auditMaxEntries: number;
}

export const DEFAULT_RETENTION_DAYS = 180;
export const DEFAULT_AUDIT_MAX = 10_000;
export const LEDGER_OWNER = 'ledger';

export class ProfileError extends Error {
	constructor(readonly problems: string[]) {
		super(
			`The sync profile is not valid: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}`,
		);
	}
}

const PLATFORMS = new Set<ProfilePlatform>(['shopify', 'woocommerce', 'manual']);
/** Location ids and channel names: no whitespace (they are audit and hash field texts), at most 200 chars. */
const ID_SHAPE = /^[^\s]{1,200}$/;
/**
 * An alias is a platform location id as the trigger writes it: '<platform>:<shop>:<platformLocationId>', the
 * shop a lower-case host (a port allowed, for simulators and proxies), the platform's id without ':'.
 */
const ALIAS_SHAPE = /^(?:shopify|woocommerce):[a-z0-9.-]+(?::[0-9]{1,5})?:[^\s:]+$/;
const NAME_SHAPE = /^[A-Za-z0-9._-]{1,64}$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function nonNegInt(v: unknown): boolean {
	return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 1e9;
}

/**
 * A buffer rule. `keepZero`: a `salesRateSeconds` of 0 is kept (an override's, which turns off the channel's);
 * a channel's 0 is left out, as absent.
 */
function readBuffer(
	v: unknown,
	path: string,
	problems: string[],
	keepZero = false,
): BufferRule | undefined {
	if (v === undefined || v === null) return undefined;
	if (typeof v === 'number') v = { type: 'fixed', value: v };
	if (!isObj(v)) {
		problems.push(`${path}: must be { type: 'fixed' | 'percent', value }`);
		return undefined;
	}
	const type = v.type ?? 'fixed';
	const value = v.value;
	if (type !== 'fixed' && type !== 'percent') {
		problems.push(`${path}.type: must be 'fixed' or 'percent'`);
		return undefined;
	}
	if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
		problems.push(`${path}.value: a buffer cannot be negative (got ${JSON.stringify(value)})`);
		return undefined;
	}
	if (type === 'fixed' && !Number.isInteger(value)) {
		problems.push(`${path}.value: a fixed buffer is a whole number of units`);
		return undefined;
	}
	if (type === 'percent' && value > 100) {
		problems.push(`${path}.value: a percent buffer is at most 100`);
		return undefined;
	}
	const seconds = v.salesRateSeconds;
	if (seconds === undefined || seconds === null) return { type, value };
	if (
		typeof seconds !== 'number' ||
		!Number.isFinite(seconds) ||
		seconds < 0 ||
		seconds > MAX_SALES_RATE_SECONDS
	) {
		problems.push(
			`${path}.salesRateSeconds: a number of seconds from 0 to ${MAX_SALES_RATE_SECONDS} (got ${JSON.stringify(seconds)})`,
		);
		return undefined;
	}
	return seconds > 0 || keepZero ? { type, value, salesRateSeconds: seconds } : { type, value };
}

function readCap(v: unknown, path: string, problems: string[]): number | null | undefined {
	if (v === undefined) return undefined;
	if (v === null || v === '') return null;
	if (!nonNegInt(v)) {
		problems.push(`${path}: must be a whole number ≥ 0 or null`);
		return undefined;
	}
	return v as number;
}

function readThreshold(v: unknown, path: string, problems: string[]): number | undefined {
	if (v === undefined || v === null || v === '') return undefined;
	if (!nonNegInt(v)) {
		problems.push(`${path}: must be a whole number ≥ 0`);
		return undefined;
	}
	return v as number;
}

/**
 * Validates any value as a profile and returns it normalised (defaults filled in). Throws ProfileError with
 * every problem found. A profile without `dryRun` starts in dry run.
 */
export function parseProfile(input: unknown): Profile {
	let raw = input;
	if (typeof raw === 'string') {
		let parseError: string | undefined;
		try {
			raw = JSON.parse(raw) as unknown;
		} catch (error) {
			parseError = (error as Error).message;
		}
		if (parseError !== undefined) throw new ProfileError([`not JSON (${parseError})`]);
	}
	const problems: string[] = [];
	if (!isObj(raw)) throw new ProfileError(['the profile must be a JSON object']);

	const dryRun = raw.dryRun === undefined ? true : raw.dryRun;
	if (typeof dryRun !== 'boolean') problems.push('dryRun: must be true or false');

	// Locations: one owner each.
	const locations: LocationDef[] = [];
	const ownerOf = new Map<string, string>();
	const rawAliases: Array<{ path: string; id: string; value: unknown }> = [];
	const rawCovers: Array<{ path: string; id: string; value: unknown }> = [];
	if (!Array.isArray(raw.locations) || raw.locations.length === 0)
		problems.push('locations: at least one location is needed');
	(Array.isArray(raw.locations) ? raw.locations : []).forEach((l: unknown, i) => {
		const path = `locations[${i}]`;
		if (!isObj(l) || typeof l.id !== 'string' || !ID_SHAPE.test(l.id)) {
			problems.push(`${path}.id: a non-empty text without spaces is needed`);
			return;
		}
		const owner = typeof l.owner === 'string' && l.owner.trim() ? l.owner.trim() : LEDGER_OWNER;
		const before = ownerOf.get(l.id);
		if (before !== undefined) {
			problems.push(
				before === owner
					? `${path}: location '${l.id}' is listed twice`
					: `${path}: location '${l.id}' has two owners ('${before}' and '${owner}')`,
			);
			return;
		}
		ownerOf.set(l.id, owner);
		locations.push({ id: l.id, owner });
		rawAliases.push({ path, id: l.id, value: l.aliases });
		rawCovers.push({ path, id: l.id, value: l.coverShortfallFrom });
	});

	// Aliases: platform ids of the same stock. Checked once every location id is known.
	const aliasOf = new Map<string, string>();
	for (const { path, id, value } of rawAliases) {
		if (value === undefined || value === null) continue;
		if (!Array.isArray(value)) {
			problems.push(`${path}.aliases: must be a list of platform location ids`);
			continue;
		}
		const kept: string[] = [];
		value.forEach((a: unknown, k) => {
			const apath = `${path}.aliases[${k}]`;
			if (typeof a !== 'string' || a.length > 200 || !ALIAS_SHAPE.test(a)) {
				problems.push(
					`${apath}: '${String(a).slice(0, 80)}' is not a platform location id ('shopify:<shop>:<locationId>' or 'woocommerce:<site>:<id>', lower-case host)`,
				);
				return;
			}
			if (ownerOf.has(a)) {
				problems.push(
					`${apath}: '${a}' is the id of a location: an alias names a location's stock by another id`,
				);
				return;
			}
			const other = aliasOf.get(a);
			if (other !== undefined) {
				problems.push(
					other === id
						? `${apath}: '${a}' is listed twice`
						: `${apath}: '${a}' is already an alias of '${other}' (one platform id, one location)`,
				);
				return;
			}
			aliasOf.set(a, id);
			kept.push(a);
		});
		if (kept.length) locations.find((l) => l.id === id)!.aliases = kept;
	}
	/** A location id, or an alias of one → the location id; undefined when the profile has no such location. */
	const canonical = (ref: string): string | undefined =>
		ownerOf.has(ref) ? ref : aliasOf.get(ref);

	// Shortfall covers: another known location (an alias names it), never itself, no cycle.
	const coverOf = new Map<string, string>();
	for (const { path, id, value } of rawCovers) {
		if (value === undefined || value === null || value === '') continue;
		const cover = typeof value === 'string' ? canonical(value.trim()) : undefined;
		if (cover === undefined)
			problems.push(`${path}.coverShortfallFrom: unknown location '${String(value).slice(0, 80)}'`);
		else if (cover === id)
			problems.push(`${path}.coverShortfallFrom: a location cannot cover its own shortfall`);
		else coverOf.set(id, cover);
	}
	const inCycle = new Set<string>();
	for (const start of coverOf.keys()) {
		const seen = [start];
		for (let at = coverOf.get(start); at !== undefined; at = coverOf.get(at)) {
			if (at === start) {
				if (!seen.some((l) => inCycle.has(l)))
					problems.push(
						`locations: coverShortfallFrom goes round in a circle (${[...seen, start].map((l) => `'${l}'`).join(' → ')}): a shortfall must end at a location that covers none`,
					);
				for (const l of seen) inCycle.add(l);
				break;
			}
			if (seen.includes(at)) break; // A cycle further on, reported from its own start.
			seen.push(at);
		}
	}
	for (const [id, cover] of coverOf) locations.find((l) => l.id === id)!.coverShortfallFrom = cover;

	// Channels.
	const channels: Channel[] = [];
	const names = new Set<string>();
	(Array.isArray(raw.channels) ? raw.channels : []).forEach((c: unknown, i) => {
		const path = `channels[${i}]`;
		if (!isObj(c)) {
			problems.push(`${path}: must be an object`);
			return;
		}
		const name = typeof c.name === 'string' ? c.name.trim() : '';
		if (!NAME_SHAPE.test(name))
			problems.push(`${path}.name: letters, digits, '.', '_', '-' only (1–64)`);
		else if (name === LEDGER_OWNER) problems.push(`${path}.name: 'ledger' is reserved`);
		else if (names.has(name)) problems.push(`${path}.name: channel '${name}' is defined twice`);
		names.add(name);
		const platform = c.platform as ProfilePlatform;
		if (!PLATFORMS.has(platform))
			problems.push(`${path}.platform: must be 'shopify', 'woocommerce' or 'manual'`);
		const shop = typeof c.shop === 'string' ? c.shop.trim().toLowerCase() : '';
		const salesText = typeof c.salesLocation === 'string' ? c.salesLocation : '';
		const salesLocation = canonical(salesText) ?? salesText;
		if (!salesLocation) problems.push(`${path}.salesLocation: needed`);
		else if (!ownerOf.has(salesLocation))
			problems.push(`${path}.salesLocation: unknown location '${salesLocation}'`);
		const places: Place[] = [];
		if (!Array.isArray(c.places) || c.places.length === 0)
			problems.push(`${path}.places: at least one place (where the channel shows stock) is needed`);
		(Array.isArray(c.places) ? c.places : []).forEach((p: unknown, j) => {
			const ppath = `${path}.places[${j}]`;
			if (!isObj(p) || typeof p.id !== 'string' || !ID_SHAPE.test(p.id)) {
				problems.push(`${ppath}.id: a non-empty text without spaces is needed`);
				return;
			}
			if (places.some((q) => q.id === p.id))
				problems.push(`${ppath}: place '${p.id}' is listed twice`);
			else {
				// A place named by a platform id is the location that id names: two names of one place is one place twice.
				const same = places.find(
					(q) => canonical(q.id) !== undefined && canonical(q.id) === canonical(p.id as string),
				);
				if (same)
					problems.push(
						`${ppath}: place '${p.id}' and place '${same.id}' name the same location '${canonical(same.id)}'`,
					);
			}
			const shows = Array.isArray(p.shows) ? p.shows : [];
			if (shows.length === 0) problems.push(`${ppath}.shows: at least one location`);
			const seen = new Set<string>();
			for (const shown of shows) {
				const s = typeof shown === 'string' ? canonical(shown) : undefined;
				if (s === undefined) {
					problems.push(`${ppath}.shows: unknown location '${String(shown)}'`);
					continue;
				}
				if (seen.has(s))
					problems.push(
						`${ppath}.shows: location '${s}' is shown twice in one sum${shown !== s ? ` ('${String(shown)}' is its alias)` : ''}`,
					);
				seen.add(s);
			}
			places.push({ id: p.id, shows: [...seen] });
		});
		if (salesLocation && !places.some((p) => p.shows.includes(salesLocation)))
			problems.push(
				`${path}.salesLocation: '${salesLocation}' must be one of the locations the channel shows`,
			);
		const buffer = readBuffer(c.buffer, `${path}.buffer`, problems) ?? { type: 'fixed', value: 0 };
		const cap = readCap(c.cap, `${path}.cap`, problems) ?? null;
		const outOfStockThreshold =
			readThreshold(c.outOfStockThreshold, `${path}.outOfStockThreshold`, problems) ?? 0;
		const overrides: SkuOverride[] = [];
		(Array.isArray(c.overrides) ? c.overrides : []).forEach((o: unknown, k) => {
			const opath = `${path}.overrides[${k}]`;
			if (!isObj(o) || typeof o.sku !== 'string' || o.sku === '') {
				problems.push(`${opath}.sku: an exact SKU or a glob is needed`);
				return;
			}
			const override: SkuOverride = { sku: o.sku };
			const b = readBuffer(o.buffer, `${opath}.buffer`, problems, true);
			if (b) override.buffer = b;
			const oc = readCap(o.cap, `${opath}.cap`, problems);
			if (oc !== undefined) override.cap = oc;
			const ot = readThreshold(o.outOfStockThreshold, `${opath}.outOfStockThreshold`, problems);
			if (ot !== undefined) override.outOfStockThreshold = ot;
			overrides.push(override);
		});
		if (c.overrides !== undefined && !Array.isArray(c.overrides))
			problems.push(`${path}.overrides: must be a list`);
		channels.push({
			name,
			platform,
			shop,
			...(typeof c.credential === 'string' && c.credential ? { credential: c.credential } : {}),
			salesLocation,
			places,
			buffer,
			cap,
			outOfStockThreshold,
			overrides,
		});
	});
	if (raw.channels !== undefined && !Array.isArray(raw.channels))
		problems.push('channels: must be a list');

	// Owners must be 'ledger' or a channel.
	for (const l of locations) {
		if (l.owner !== LEDGER_OWNER && !names.has(l.owner))
			problems.push(`location '${l.id}': owner '${l.owner}' is neither 'ledger' nor a channel`);
	}
	// Two channels must not claim the same sales source (platform + shop) ambiguously.
	const sources = new Map<string, string>();
	for (const c of channels) {
		const id = `${c.platform}\u0000${c.shop}`;
		const other = sources.get(id);
		if (other !== undefined)
			problems.push(
				`channels '${other}' and '${c.name}': same platform and shop (which one sold?)`,
			);
		sources.set(id, c.name);
	}

	const frozen: string[] = [];
	if (raw.frozen !== undefined && !Array.isArray(raw.frozen))
		problems.push('frozen: must be a list of SKUs');
	for (const s of Array.isArray(raw.frozen) ? raw.frozen : []) {
		if (typeof s !== 'string' || s.trim() === '')
			problems.push(`frozen: '${String(s)}' is not a SKU`);
		else if (!frozen.includes(s)) frozen.push(s);
	}
	const retention = raw.orderLineRetentionDays ?? DEFAULT_RETENTION_DAYS;
	if (typeof retention !== 'number' || !(retention > 0) || retention > 3650)
		problems.push('orderLineRetentionDays: a number of days in (0, 3650]');
	const auditMax = raw.auditMaxEntries ?? DEFAULT_AUDIT_MAX;
	if (typeof auditMax !== 'number' || !Number.isInteger(auditMax) || auditMax < 100)
		problems.push('auditMaxEntries: a whole number ≥ 100');

	if (problems.length) throw new ProfileError(problems);
	return {
		dryRun: dryRun as boolean,
		locations,
		channels,
		frozen,
		orderLineRetentionDays: retention as number,
		auditMaxEntries: auditMax as number,
	};
}

/** A stable text of a normalised profile (key order fixed by construction), for change detection. */
export function profileText(profile: Profile): string {
	return JSON.stringify(profile);
}

/**
 * The locations that owe `location`'s shortfall, nearest first (its cover, that one's cover, …); [] when it has
 * none. The profile is validated: no cycles.
 */
export function coverChain(profile: Profile, location: string): string[] {
	const coverOf = new Map(
		profile.locations.flatMap((l) =>
			l.coverShortfallFrom ? [[l.id, l.coverShortfallFrom] as const] : [],
		),
	);
	const chain: string[] = [];
	for (
		let at = coverOf.get(location);
		at !== undefined && !chain.includes(at);
		at = coverOf.get(at)
	)
		chain.push(at);
	return chain;
}

/**
 * What a shown location's figure depends on beyond its own level: where its shortfall goes, and whose
 * shortfalls reach it. Equal texts → the shortfall cover gives the same figures.
 */
function coverShape(profile: Profile, location: string): string {
	const from = profile.locations
		.filter((l) => coverChain(profile, l.id).includes(location))
		.map((l) => l.id)
		.sort();
	return JSON.stringify([coverChain(profile, location), from]);
}

/**
 * Channels whose published figures may change with the new profile: new, changed, or showing a location
 * whose owner or shortfall cover changed. The whole ledger is re-marked dirty for them (design: a new buffer reaches the
 * channels at once). Removed channels are not marked (nobody drains them).
 */
export function affectedChannels(before: Profile | undefined, after: Profile): string[] {
	if (!before) return after.channels.map((c) => c.name);
	const owners = (p: Profile) => new Map(p.locations.map((l) => [l.id, l.owner]));
	const ob = owners(before);
	const oa = owners(after);
	const frozenChanged =
		JSON.stringify([...before.frozen].sort()) !== JSON.stringify([...after.frozen].sort());
	const out: string[] = [];
	for (const c of after.channels) {
		const old = before.channels.find((x) => x.name === c.name);
		const shown = c.places.flatMap((p) => p.shows);
		if (
			!old ||
			JSON.stringify(old) !== JSON.stringify(c) ||
			shown.some((l) => ob.get(l) !== oa.get(l)) ||
			shown.some((l) => coverShape(before, l) !== coverShape(after, l)) ||
			frozenChanged
		)
			out.push(c.name);
	}
	return out;
}

/** What Apply needs from the profile, precomputed once per profile version. */
export interface ProfileIndex {
	profile: Profile;
	ownerOf: Map<string, string>;
	/** Every location id and alias → the location id (design.md "Location names"). */
	locationOf: Map<string, string>;
	/** Channels that display each location (for dirty marks), excluding the location's owner. */
	mirrorsOf: Map<string, string[]>;
	/**
	 * Channels (a location's owner too) that display a location of its shortfall cover chain (coverChain) and
	 * not the location itself: their figures move only when the location's deficit (min(0, level − pending))
	 * moves. Marked by the scripts under that condition (dirtyRefs).
	 */
	coverMirrorsOf: Map<string, string[]>;
	/** Channel by `<platform>\0<shop>`, and by `<platform>\0` for a channel without a shop. */
	channelBySource: Map<string, Channel>;
	frozen: Set<string>;
}

export function indexProfile(profile: Profile): ProfileIndex {
	const ownerOf = new Map(profile.locations.map((l) => [l.id, l.owner]));
	const locationOf = new Map<string, string>();
	for (const l of profile.locations) {
		locationOf.set(l.id, l.id);
		for (const a of l.aliases ?? []) locationOf.set(a, l.id);
	}
	const mirrorsOf = new Map<string, string[]>();
	const coverMirrorsOf = new Map<string, string[]>();
	for (const l of profile.locations) {
		mirrorsOf.set(l.id, []);
		coverMirrorsOf.set(l.id, []);
	}
	for (const c of profile.channels) {
		const shown = new Set(c.places.flatMap((p) => p.shows));
		for (const l of profile.locations) {
			if (shown.has(l.id)) {
				if (ownerOf.get(l.id) !== c.name) mirrorsOf.get(l.id)!.push(c.name);
			} else if (coverChain(profile, l.id).some((cover) => shown.has(cover)))
				coverMirrorsOf.get(l.id)!.push(c.name);
		}
	}
	const channelBySource = new Map<string, Channel>();
	for (const c of profile.channels) channelBySource.set(`${c.platform}\u0000${c.shop}`, c);
	return {
		profile,
		ownerOf,
		locationOf,
		mirrorsOf,
		coverMirrorsOf,
		channelBySource,
		frozen: new Set(profile.frozen),
	};
}

/**
 * The dirty zsets a change at `location` marks, as the ledger scripts take them: comma-separated KEYS indexes
 * of its mirrors, then, after '|', those of the channels showing its shortfall cover, which a script marks only
 * when the location's deficit (min(0, level − pending)) moved. '' when none. A script reading only the digits
 * marks both (more than needed, never less).
 */
export function dirtyRefs(
	index: ProfileIndex,
	location: string,
	refOf: (channel: string) => number,
): string {
	const always = (index.mirrorsOf.get(location) ?? []).map(refOf).join(',');
	const cover = (index.coverMirrorsOf.get(location) ?? []).map(refOf).join(',');
	return cover ? `${always}|${cover}` : always;
}

/** The location an id names: itself, or the location it is an alias of; undefined when not in the profile. */
export function resolveLocation(index: ProfileIndex, ref: string): string | undefined {
	return index.locationOf.get(ref);
}

/**
 * The channel's display place a report at `ref` is about: the place named `ref`, else the place whose id
 * names the same location (a place named by its platform id resolves through the alias, and a report naming
 * the location finds a place named by its alias); undefined when the channel shows no such place.
 */
export function placeOf(index: ProfileIndex, channel: Channel, ref: string): Place | undefined {
	const exact = channel.places.find((p) => p.id === ref);
	if (exact) return exact;
	const location = index.locationOf.get(ref);
	return location === undefined
		? undefined
		: channel.places.find((p) => index.locationOf.get(p.id) === location);
}

/** The channel an event came from: exact platform + shop, else the platform's channel without a shop. */
export function channelOf(
	index: ProfileIndex,
	platform: string,
	shop: string,
): Channel | undefined {
	return (
		index.channelBySource.get(`${platform}\u0000${shop.toLowerCase()}`) ??
		index.channelBySource.get(`${platform}\u0000`)
	);
}

// ---------------------------------------------------------------------------------------------------------
// The node's form (the common case): flat fields → a profile object for parseProfile.

export interface FormLocation {
	id?: string;
	owner?: string;
	/** Comma-separated platform location ids naming the same stock. */
	aliases?: string;
	/** The location that ships this one's shortfall (empty: none). */
	coverShortfallFrom?: string;
}
export interface FormChannel {
	name?: string;
	platform?: string;
	shop?: string;
	credential?: string;
	salesLocation?: string;
	/** One place: its id and the locations it shows (comma-separated). */
	placeId?: string;
	shows?: string;
	bufferType?: string;
	bufferValue?: number;
	/** Sales-rate reserve window, seconds (0 or empty: off). */
	salesRateSeconds?: number;
	cap?: number;
	outOfStockThreshold?: number;
}

const splitList = (text: string | undefined) =>
	(text ?? '')
		.split(',')
		.map((s) => s.trim())
		.filter(Boolean);

/** Builds the profile object from the form (each channel shows one place; overrides need JSON). */
export function profileFromForm(form: {
	dryRun?: boolean;
	locations?: FormLocation[];
	channels?: FormChannel[];
	frozen?: string;
	orderLineRetentionDays?: number;
	auditMaxEntries?: number;
}): unknown {
	return {
		dryRun: form.dryRun ?? true,
		locations: (form.locations ?? []).map((l) => {
			const aliases = splitList(l.aliases);
			const cover = (l.coverShortfallFrom ?? '').trim();
			return {
				id: (l.id ?? '').trim(),
				owner: (l.owner ?? '').trim() || LEDGER_OWNER,
				...(aliases.length ? { aliases } : {}),
				...(cover ? { coverShortfallFrom: cover } : {}),
			};
		}),
		channels: (form.channels ?? []).map((c) => ({
			name: (c.name ?? '').trim(),
			platform: c.platform,
			shop: c.shop ?? '',
			...(c.credential ? { credential: c.credential } : {}),
			salesLocation: (c.salesLocation ?? '').trim(),
			places: [
				{
					id: (c.placeId ?? '').trim() || (c.salesLocation ?? '').trim(),
					shows: splitList(c.shows),
				},
			],
			buffer: {
				type: c.bufferType ?? 'fixed',
				value: c.bufferValue ?? 0,
				...(c.salesRateSeconds ? { salesRateSeconds: c.salesRateSeconds } : {}),
			},
			cap:
				c.cap === undefined || c.cap === null || (c.cap as unknown) === '' || c.cap < 0
					? null
					: c.cap,
			outOfStockThreshold: c.outOfStockThreshold ?? 0,
		})),
		frozen: splitList(form.frozen),
		...(form.orderLineRetentionDays ? { orderLineRetentionDays: form.orderLineRetentionDays } : {}),
		...(form.auditMaxEntries ? { auditMaxEntries: form.auditMaxEntries } : {}),
	};
}
