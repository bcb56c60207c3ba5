import { join } from 'node:path';
import type { ChainableCommander, Result } from 'ioredis';
import type Redis from 'ioredis';
import { loadScripts } from '../shared/scripts';
import { LedgerCode, SKIP_REASON, UnexpectedReplyError, toCode, type InvalidReason } from './codes';
import { ledgerKeys } from './ledgerKeys';
import { planEvent, type MapRef, type Plan } from './orderLines';
import {
	LEDGER_OWNER,
	ProfileError,
	affectedChannels,
	indexProfile,
	parseProfile,
	profileText,
	resolveLocation,
	type Profile,
	type ProfileIndex,
} from './profile';

/**
 * The Ledger's Redis steps. Apply, Set and Freeze/Unfreeze/Resync are one Lua script call per chunk of items,
 * all chunks in one pipeline: one round trip per batch. The profile is cached per client and prefix and
 * checked by version inside the script (a changed profile makes the script do nothing and the wrapper plans
 * again with the new one), so the steady state costs no extra read.
 */

const LUA_DIR = join(__dirname, 'lua');
/** Items per script call: bounds the time Redis is busy with one call (~a few ms). */
export const MAX_ITEMS_PER_SCRIPT = 500;
const MAX_RETRIES = 3;

declare module 'ioredis' {
	interface RedisCommander<Context> {
		ledgerApplyEvents(numberOfKeys: number, ...keysAndArgs: Array<string | number>): Result<unknown[], Context>;
		ledgerSetCounts(numberOfKeys: number, ...keysAndArgs: Array<string | number>): Result<unknown[], Context>;
		ledgerMarkSkus(numberOfKeys: number, ...keysAndArgs: Array<string | number>): Result<unknown[], Context>;
		ledgerSaveProfile(profileKey: string, json: string, expected: string, updatedAt: string): Result<unknown[], Context>;
	}
}

export function withLedgerScripts(redis: Redis): Redis {
	return loadScripts(redis, LUA_DIR, 'ledger');
}

async function execAll(pipeline: ChainableCommander): Promise<unknown[]> {
	const results = await pipeline.exec();
	if (!results) throw new Error('Redis discarded the pipeline');
	return results.map(([error, reply]) => {
		if (error) throw error;
		return reply;
	});
}

function chunk<T>(items: readonly T[], size: number): T[][] {
	const out: T[][] = [];
	for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
	return out;
}

// ---------------------------------------------------------------------------------------------------------
// Profile

export interface LoadedProfile {
	version: string;
	index: ProfileIndex;
	updatedAt?: string;
}

export class NoProfileError extends Error {
	constructor() {
		super('No sync profile is saved yet: run the Inventory Ledger node with the Profile operation (Save) first');
	}
}

const profiles = new WeakMap<Redis, Map<string, LoadedProfile>>();

/** The stored profile (cached per client and prefix unless `fresh`); undefined when none is saved. */
export async function loadProfile(redis: Redis, prefix: string, fresh = false): Promise<LoadedProfile | undefined> {
	let byPrefix = profiles.get(redis);
	if (!byPrefix) {
		byPrefix = new Map();
		profiles.set(redis, byPrefix);
	}
	const cached = byPrefix.get(prefix);
	if (cached && !fresh) return cached;
	const [version, json, updatedAt] = await redis.hmget(ledgerKeys.profile(prefix), 'version', 'json', 'updatedAt');
	if (!version || !json) {
		byPrefix.delete(prefix);
		return undefined;
	}
	if (cached && cached.version === version) return cached;
	let profile: Profile | undefined;
	let problem: ProfileError | undefined;
	try {
		profile = parseProfile(json);
	} catch (error) {
		problem = error instanceof ProfileError ? error : new ProfileError([String(error)]);
	}
	if (!profile) throw new ProfileError([`the stored profile (version ${version}) is not valid any more`, ...(problem?.problems ?? [])]);
	const loaded: LoadedProfile = { version, index: indexProfile(profile), updatedAt: updatedAt ?? undefined };
	byPrefix.set(prefix, loaded);
	return loaded;
}

export interface SaveProfileResult {
	saved: boolean;
	version: number;
	/** Channels re-marked dirty (their published figures may change). */
	affectedChannels: string[];
	/** SKUs marked dirty per affected channel. */
	markedSkus: number;
	conflict?: boolean;
}

/**
 * Validates and stores a profile (a new version when it differs from the stored one), then marks every SKU
 * the ledger knows dirty for the channels the change affects. `expectedVersion`: compare-and-set.
 */
export async function saveProfile(
	redis: Redis,
	prefix: string,
	input: unknown,
	options: { expectedVersion?: number; now?: () => Date } = {},
): Promise<SaveProfileResult & { profile: Profile }> {
	withLedgerScripts(redis);
	const profile = parseProfile(input);
	const reply = (await redis.ledgerSaveProfile(
		ledgerKeys.profile(prefix),
		profileText(profile),
		options.expectedVersion === undefined ? '' : String(options.expectedVersion),
		(options.now?.() ?? new Date()).toISOString(),
	)) as [number, number | string, string];
	const code = Number(reply[0]);
	const version = Number(reply[1]);
	if (code === -10) return { saved: false, conflict: true, version, affectedChannels: [], markedSkus: 0, profile };
	if (code === LedgerCode.Unchanged) return { saved: false, version, affectedChannels: [], markedSkus: 0, profile };
	let before: Profile | undefined;
	try {
		before = reply[2] ? parseProfile(reply[2]) : undefined;
	} catch {
		before = undefined;
	}
	const channels = affectedChannels(before, profile);
	const markedSkus = await markAllDirty(redis, prefix, channels);
	return { saved: true, version, affectedChannels: channels, markedSkus, profile };
}

/** Marks every known SKU dirty (score = its rev) for these channels; SSCAN in pages, one pipeline per page. */
export async function markAllDirty(redis: Redis, prefix: string, channels: string[]): Promise<number> {
	if (channels.length === 0) return 0;
	let cursor = '0';
	let count = 0;
	do {
		const [next, skus] = await redis.sscan(ledgerKeys.skus(prefix), cursor, 'COUNT', 1000);
		cursor = next;
		if (skus.length === 0) continue;
		const revs = await execAll(
			skus.reduce((p, sku) => p.hget(ledgerKeys.ledger(prefix, sku), 'rev'), redis.pipeline()),
		);
		const pipeline = redis.pipeline();
		for (const channel of channels) {
			const args: Array<string | number> = [];
			skus.forEach((sku, i) => args.push(Number(revs[i] ?? 0), sku));
			pipeline.zadd(ledgerKeys.dirty(prefix, channel), ...args);
		}
		await execAll(pipeline);
		count += skus.length;
	} while (cursor !== '0');
	return count;
}

// ---------------------------------------------------------------------------------------------------------
// Apply

export type Outcome = 'applied' | 'skipped' | 'invalid';

export interface ApplyResult {
	index: number;
	outcome: Outcome;
	/** Skipped: stale | unchanged | tie | frozen | observed | untracked | emptyOrder; Invalid: an InvalidReason. */
	reason?: string;
	message?: string;
	/** What happened: level, ledger (a sale at a ledger location), owner (audited only), forward, mapped, observed. */
	effect?: string;
	sku?: string;
	location?: string;
	previous?: number | string | null;
	new?: number | string | null;
	/** Stock change at the location (order lines: −(new − old) drawn units). */
	delta?: number;
	/** The version the ledger held before this item. */
	heldVersion?: number | null;
	rev?: number;
	/** The owner whose outbox got the forward. */
	forwardedTo?: string;
	/** Tie: re-read the order or level and apply the answer with `reread: true`. */
	reread?: boolean;
	/**
	 * Order lines this item removed: stored lines of its order missing from its `lineIds` (a newer order
	 * version), each set to draw 0 here, reversed where and how it drew. Only lines that drew units.
	 */
	removed?: RemovedLine[];
}

export interface RemovedLine {
	/** The removed line's business identity ('<platform>:<shop>:order:<orderId>:line:<lineKey>'). */
	id: string;
	lineKey: string;
	sku: string;
	location: string;
	/** Units the line drew before (negative for a restock item). */
	previous: number;
	/** Stock change at the location: +previous. */
	delta: number;
	/** ledger | owner (audited only) | forward. */
	effect: string;
	forwardedTo?: string;
	rev: number;
	/** The SKU is frozen: recorded, not marked dirty. */
	frozen?: boolean;
}

/** Per client: platform id → SKU lookups (verified by the script, so a stale entry costs a retry, never a wrong SKU). */
const mapCaches = new WeakMap<Redis, Map<string, string>>();
const MAP_CACHE_LIMIT = 100_000;

function mapCache(redis: Redis): Map<string, string> {
	let cache = mapCaches.get(redis);
	if (!cache) {
		cache = new Map();
		mapCaches.set(redis, cache);
	}
	if (cache.size > MAP_CACHE_LIMIT) cache.clear();
	return cache;
}

const mapCacheKey = (prefix: string, m: MapRef) => `${prefix}\u0000${m.platform}\u0000${m.shop}\u0000${m.field}`;

/**
 * What to do about a platform id without a SKU (Invalid `unmapped`): the map is filled by mapping items, from
 * the trigger (Shopify inventory_items/update and products/update, WooCommerce product.updated) or from any
 * source through Apply.
 */
function unmappedMessage(plan: Plan): string {
	const map = plan.op === 'level' || plan.op === 'observation' ? plan.map : undefined;
	if (!map) return 'no SKU is mapped for this item';
	const topics = map.platform === 'shopify' ? 'inventory_items/update or products/update' : map.platform === 'woocommerce' ? 'product.updated' : 'mapping';
	return (
		`no SKU is mapped for ${map.field} (${map.platform} ${map.shop}): fill the map first — let the trigger receive the ${topics} ` +
		`webhook of that item (e.g. save the product once), or Apply a 'mapping' item (kind 'mapping', the SKU, refs with the ` +
		`same id, source platform '${map.platform}' and shop '${map.shop}') — then send this item again`
	);
}

/** Resolves SKUs of map-dependent plans: cache first, one pipeline of HGETs for the misses. */
async function resolveSkus(redis: Redis, prefix: string, plans: Plan[], fresh: Set<number>): Promise<Set<number>> {
	const cache = mapCache(redis);
	const unmapped = new Set<number>();
	const misses: Array<{ plan: Plan & { map: MapRef } }> = [];
	// A mapping earlier in the same batch is applied first by the script: later items may rely on it.
	const inBatch = new Map<string, string>();
	for (const plan of plans) {
		if (plan.op === 'mapping') inBatch.set(mapCacheKey(prefix, plan.map), plan.sku);
		if ((plan.op !== 'level' && plan.op !== 'observation') || plan.sku !== null || !plan.map) continue;
		const id = mapCacheKey(prefix, plan.map);
		const hit = inBatch.get(id) ?? (fresh.has(plan.index) ? undefined : cache.get(id));
		if (hit !== undefined) plan.sku = hit;
		else misses.push({ plan: plan as Plan & { map: MapRef } });
	}
	if (misses.length) {
		const replies = await execAll(
			misses.reduce(
				(p, m) => p.hget(ledgerKeys.map(prefix, m.plan.map.platform, m.plan.map.shop), m.plan.map.field),
				redis.pipeline(),
			),
		);
		misses.forEach((m, i) => {
			const sku = replies[i];
			if (typeof sku === 'string' && sku !== '') {
				cache.set(mapCacheKey(prefix, m.plan.map), sku);
				(m.plan as { sku: string | null }).sku = sku;
			} else {
				cache.delete(mapCacheKey(prefix, m.plan.map));
				unmapped.add(m.plan.index);
			}
		});
	}
	return unmapped;
}

interface KeyTable {
	keys: string[];
	index: Map<string, number>;
}

function keyTable(fixed: string[]): KeyTable {
	return { keys: [...fixed], index: new Map(fixed.map((k, i) => [k, i + 1])) };
}

function ref(table: KeyTable, key: string): number {
	let i = table.index.get(key);
	if (i === undefined) {
		table.keys.push(key);
		i = table.keys.length;
		table.index.set(key, i);
	}
	return i;
}

const OP_LETTER: Record<Plan['op'], string> = { level: 'L', orderLine: 'O', observation: 'B', mapping: 'M', untrackedLine: 'U' };
const APPLY_FIELDS = 19;
/** Reply entries per item. */
const APPLY_REPLY = 7;

export interface ApplyOptions {
	/**
	 * Items that are the re-read settling a tie (applied at an equal version), by input index. Default: the
	 * item carries `reread: true`.
	 */
	reread?: (index: number) => boolean;
}

/** Builds one script call for a chunk of plans (all SKUs resolved). */
function applyCall(prefix: string, loaded: LoadedProfile, plans: Plan[], reread: (i: number) => boolean) {
	const { profile, mirrorsOf, frozen } = loaded.index;
	const table = keyTable([ledgerKeys.profile(prefix), ledgerKeys.skus(prefix)]);
	const args: Array<string | number> = [
		loaded.version,
		profile.auditMaxEntries,
		Math.round(profile.orderLineRetentionDays * 86_400_000),
		plans.length,
	];
	// Line-key lists, each once per call (every line of an order at one version carries the same list).
	const lists = new Map<string, { index: number; keys: string[] }>();
	const listOf = (keys: string[] | undefined): number => {
		if (!keys) return 0;
		const id = JSON.stringify(keys);
		let l = lists.get(id);
		if (!l) {
			l = { index: lists.size + 1, keys };
			lists.set(id, l);
		}
		return l.index;
	};
	for (const plan of plans) {
		const sku = plan.sku ?? '';
		let k2 = 0;
		let k3 = 0;
		let k4 = 0;
		let k5 = 0;
		let k6 = 0;
		let dirty = '';
		let where = '';
		let field = '';
		let qty = '';
		let mode = '';
		let owner = '';
		let lineList = 0;
		switch (plan.op) {
			case 'level':
				k2 = ref(table, ledgerKeys.ledger(prefix, sku));
				k3 = ref(table, ledgerKeys.audit(prefix, sku));
				dirty = (mirrorsOf.get(plan.location) ?? []).map((c) => ref(table, ledgerKeys.dirty(prefix, c))).join(',');
				where = plan.location;
				qty = String(plan.quantity);
				if (plan.map) {
					k6 = ref(table, ledgerKeys.map(prefix, plan.map.platform, plan.map.shop));
					field = plan.map.field;
				}
				break;
			case 'observation':
				k2 = ref(table, ledgerKeys.pub(prefix, sku));
				where = plan.observer;
				qty = String(plan.quantity);
				if (plan.map) {
					k6 = ref(table, ledgerKeys.map(prefix, plan.map.platform, plan.map.shop));
					field = plan.map.field;
				}
				break;
			case 'orderLine':
				k2 = ref(table, ledgerKeys.ledger(prefix, sku));
				k3 = ref(table, ledgerKeys.audit(prefix, sku));
				k4 = ref(table, ledgerKeys.orderLines(prefix, plan.order.platform, plan.order.shop, plan.order.orderId));
				if (plan.mode === 'forward') k5 = ref(table, ledgerKeys.outbox(prefix, plan.owner));
				if (plan.mode !== 'owner')
					dirty = (mirrorsOf.get(plan.location) ?? []).map((c) => ref(table, ledgerKeys.dirty(prefix, c))).join(',');
				where = plan.location;
				field = plan.lineKey;
				qty = plan.quantity === null ? '' : String(plan.quantity);
				mode = plan.mode;
				owner = plan.owner;
				lineList = listOf(plan.lineIds);
				break;
			case 'untrackedLine':
				k4 = ref(table, ledgerKeys.orderLines(prefix, plan.order.platform, plan.order.shop, plan.order.orderId));
				field = plan.lineKey;
				lineList = listOf(plan.lineIds);
				break;
			case 'mapping':
				k2 = ref(table, ledgerKeys.map(prefix, plan.map.platform, plan.map.shop));
				where = plan.map.field;
				break;
		}
		args.push(
			OP_LETTER[plan.op],
			k2,
			k3,
			k4,
			k5,
			k6,
			dirty,
			sku,
			where,
			field,
			qty,
			String(plan.version),
			// The script names removed lines '<id without its line key><their line key>'.
			plan.op === 'untrackedLine' ? plan.lineBase + plan.lineKey : plan.id,
			plan.source,
			mode,
			owner,
			frozen.has(sku) ? '1' : '0',
			reread(plan.index) ? '1' : '0',
			lineList,
		);
	}
	if (args.length !== 4 + plans.length * APPLY_FIELDS) throw new Error('applyEvents: argument layout');
	// After the items: the prefix (a removed line's keys are named from it and its stored route), the
	// line-key lists; for the removed-line rule, the dirty zsets of every location (current profile) and the
	// profile's frozen SKUs (only when some item carries a list).
	args.push(prefix, lists.size);
	for (const l of lists.values()) args.push(l.keys.length, ...l.keys);
	if (lists.size > 0) {
		const locations = profile.locations.map((l) => l.id);
		args.push(locations.length);
		for (const loc of locations)
			args.push(loc, (mirrorsOf.get(loc) ?? []).map((c) => ref(table, ledgerKeys.dirty(prefix, c))).join(','));
		args.push(frozen.size, ...frozen);
	} else args.push(0, 0);
	return { keys: table.keys, args };
}

const num = (v: unknown): number | null => (v === '' || v === null || v === undefined ? null : Number(v));

/** The 7th reply entry of an order-line item: 9 entries per removed line. */
function removedOf(plan: Plan, raw: unknown): RemovedLine[] | undefined {
	if (!Array.isArray(raw) || raw.length === 0) return undefined;
	if (raw.length % 9 !== 0 || (plan.op !== 'orderLine' && plan.op !== 'untrackedLine')) throw new UnexpectedReplyError('applyEvents', raw);
	const base = plan.op === 'untrackedLine' ? plan.lineBase : plan.id.slice(0, plan.id.length - plan.lineKey.length);
	const out: RemovedLine[] = [];
	for (let k = 0; k < raw.length; k += 9) {
		const [lineKey, sku, location, previous, delta, rev, effect, owner, code] = raw.slice(k, k + 9) as unknown[];
		const line: RemovedLine = {
			id: base + String(lineKey),
			lineKey: String(lineKey),
			sku: String(sku),
			location: String(location),
			previous: Number(previous),
			delta: Number(delta),
			effect: String(effect),
			rev: Number(rev),
		};
		if (line.effect === 'forward') line.forwardedTo = String(owner);
		if (toCode('applyEvents', code) === LedgerCode.Frozen) line.frozen = true;
		out.push(line);
	}
	return out;
}

function resultOf(plan: Plan, reply: unknown[], at: number): ApplyResult {
	const code = toCode('applyEvents', reply[at]);
	const removed = removedOf(plan, reply[at + 6]);
	if (plan.op === 'untrackedLine') {
		// Its own outcome: no tracked line of its own (untracked, or an order version without any line).
		const reason = plan.emptyOrder ? 'emptyOrder' : 'untracked';
		const r: ApplyResult = { index: plan.index, outcome: 'skipped', reason, message: plan.message, heldVersion: num(reply[at + 5]) };
		if (code === LedgerCode.Tie) Object.assign(r, { reason: 'tie', reread: true, message: `${plan.message}; the order's line keys differ from another state at the same version: re-read the order` });
		else if (code !== LedgerCode.Unchanged) throw new UnexpectedReplyError('applyEvents', reply[at]);
		if (removed) r.removed = removed;
		return r;
	}
	const base: ApplyResult = {
		index: plan.index,
		outcome: 'applied',
		sku: plan.sku ?? undefined,
		rev: Number(reply[at + 1] || 0),
		previous: plan.op === 'mapping' ? (reply[at + 2] as string) || null : num(reply[at + 2]),
		new: plan.op === 'mapping' ? plan.sku : num(reply[at + 3]),
		heldVersion: plan.op === 'mapping' ? num(reply[at + 5]) : num(reply[at + 5]),
	};
	const delta = num(reply[at + 4]);
	if (delta !== null) base.delta = delta;
	if (plan.op === 'level' || plan.op === 'orderLine') base.location = plan.location;
	if (removed) base.removed = removed;
	if (plan.op === 'orderLine') {
		base.effect = plan.mode;
		if (plan.mode === 'forward') base.forwardedTo = plan.owner;
	} else if (plan.op === 'level') base.effect = 'level';
	else if (plan.op === 'mapping') base.effect = 'mapped';
	else base.effect = 'observed';
	switch (code) {
		case LedgerCode.Applied:
			return base;
		case LedgerCode.DuplicateSku:
			return {
				...base,
				outcome: 'invalid',
				reason: 'duplicateSku',
				message: `another ${plan.op === 'mapping' ? plan.map.platform : ''} id already maps to SKU '${plan.sku}': duplicate SKUs are reported, never guessed`,
			};
		case LedgerCode.Tie:
			return { ...base, outcome: 'skipped', reason: 'tie', reread: true };
		case LedgerCode.Stale:
		case LedgerCode.Unchanged:
		case LedgerCode.Frozen:
		case LedgerCode.Observed:
			return { ...base, outcome: 'skipped', reason: SKIP_REASON[code] };
		default:
			throw new UnexpectedReplyError('applyEvents', reply[at]);
	}
}

/**
 * Applies canonical events: plans each against the profile, resolves SKUs through the map, and runs the
 * script once per chunk (all chunks in one pipeline). Returns one result per input, in input order.
 */
export async function applyEvents(
	redis: Redis,
	prefix: string,
	events: readonly unknown[],
	options: ApplyOptions = {},
): Promise<ApplyResult[]> {
	withLedgerScripts(redis);
	const results: ApplyResult[] = new Array(events.length);
	const reread =
		options.reread ??
		((i: number) => {
			const e = events[i];
			return typeof e === 'object' && e !== null && (e as { reread?: unknown }).reread === true;
		});
	let loaded = await loadProfile(redis, prefix);
	if (!loaded) throw new NoProfileError();
	let pending = events.map((_, i) => i);
	const freshMap = new Set<number>();
	for (let attempt = 0; pending.length > 0; attempt++) {
		if (attempt > MAX_RETRIES) {
			// The profile or the map kept changing under us: fail the stragglers clearly, apply nothing for them.
			throw new Error(`The profile or SKU map changed ${MAX_RETRIES} times during one Apply; run it again`);
		}
		const plans: Plan[] = [];
		for (const i of pending) {
			const planned = planEvent(i, events[i], loaded.index);
			if ('plan' in planned) plans.push(planned.plan);
			else if ('invalid' in planned)
				results[i] = { index: i, outcome: 'invalid', reason: planned.invalid, message: planned.message };
			else results[i] = { index: i, outcome: 'skipped', reason: planned.skipped, message: planned.message };
		}
		const unmapped = await resolveSkus(redis, prefix, plans, freshMap);
		const ready = plans.filter((p) => {
			if (!unmapped.has(p.index)) return true;
			results[p.index] = {
				index: p.index,
				outcome: 'invalid',
				reason: 'unmapped' satisfies InvalidReason,
				message: unmappedMessage(p),
			};
			return false;
		});
		if (ready.length === 0) break;
		const parts = chunk(ready, MAX_ITEMS_PER_SCRIPT);
		const calls = parts.map((part) => applyCall(prefix, loaded!, part, reread));
		let replies: unknown[][];
		if (calls.length === 1) {
			replies = [(await redis.ledgerApplyEvents(calls[0].keys.length, ...calls[0].keys, ...calls[0].args)) as unknown[]];
		} else {
			const pipeline = redis.pipeline();
			for (const c of calls) pipeline.ledgerApplyEvents(c.keys.length, ...c.keys, ...c.args);
			replies = (await execAll(pipeline)) as unknown[][];
		}
		const retry: number[] = [];
		let profileChanged = false;
		parts.forEach((part, n) => {
			const reply = replies[n];
			if (!Array.isArray(reply)) throw new UnexpectedReplyError('applyEvents', reply);
			if (Number(reply[0]) === LedgerCode.ProfileChanged && reply.length === 2) {
				profileChanged = true;
				retry.push(...part.map((p) => p.index));
				return;
			}
			if (reply.length !== part.length * APPLY_REPLY) throw new UnexpectedReplyError('applyEvents', reply);
			part.forEach((plan, j) => {
				if (Number(reply[j * APPLY_REPLY]) === LedgerCode.Remapped) {
					freshMap.add(plan.index);
					retry.push(plan.index);
					return;
				}
				results[plan.index] = resultOf(plan, reply, j * APPLY_REPLY);
			});
		});
		if (profileChanged) {
			loaded = await loadProfile(redis, prefix, true);
			if (!loaded) throw new NoProfileError();
		}
		pending = retry;
	}
	return results;
}

// ---------------------------------------------------------------------------------------------------------
// Set (as-of counts)

export interface CountInput {
	index: number;
	sku: string;
	location: string;
	quantity: number;
	asOf: number;
	id: string;
	source: string;
}

export async function setCounts(redis: Redis, prefix: string, counts: readonly CountInput[]): Promise<ApplyResult[]> {
	withLedgerScripts(redis);
	const results: ApplyResult[] = [];
	let loaded = await loadProfile(redis, prefix);
	for (let attempt = 0; ; attempt++) {
		if (!loaded) throw new NoProfileError();
		const { ownerOf, mirrorsOf, frozen, profile } = loaded.index;
		const valid: CountInput[] = [];
		results.length = 0;
		for (const counted of counts) {
			// A location may be named by an alias (its platform id): the count is the location's.
			const location = resolveLocation(loaded.index, counted.location);
			const c = location === undefined ? counted : { ...counted, location };
			const owner = location === undefined ? undefined : ownerOf.get(location);
			if (owner === undefined)
				results.push({
					index: c.index,
					outcome: 'invalid',
					reason: 'unknownLocation',
					message: `location '${c.location}' is not in the profile (neither a location id nor an alias of one)`,
					sku: c.sku,
				});
			else if (owner !== LEDGER_OWNER)
				results.push({
					index: c.index,
					outcome: 'invalid',
					reason: 'notLedgerOwned',
					message: `location '${c.location}' is owned by '${owner}': its own levels are the truth there, a count cannot replace them`,
					sku: c.sku,
				});
			else valid.push(c);
		}
		if (valid.length === 0) return results;
		const calls = chunk(valid, MAX_ITEMS_PER_SCRIPT).map((part) => {
			const table = keyTable([ledgerKeys.profile(prefix), ledgerKeys.skus(prefix)]);
			const args: Array<string | number> = [loaded!.version, profile.auditMaxEntries, part.length];
			for (const c of part) {
				args.push(
					ref(table, ledgerKeys.ledger(prefix, c.sku)),
					ref(table, ledgerKeys.audit(prefix, c.sku)),
					(mirrorsOf.get(c.location) ?? []).map((ch) => ref(table, ledgerKeys.dirty(prefix, ch))).join(','),
					c.sku,
					c.location,
					String(c.quantity),
					String(c.asOf),
					c.id,
					c.source,
					frozen.has(c.sku) ? '1' : '0',
				);
			}
			return { part, keys: table.keys, args };
		});
		const pipeline = redis.pipeline();
		for (const c of calls) pipeline.ledgerSetCounts(c.keys.length, ...c.keys, ...c.args);
		const replies = (await execAll(pipeline)) as unknown[][];
		if (replies.some((r) => Number(r[0]) === LedgerCode.ProfileChanged && r.length === 2)) {
			// Items of chunks that did run are not re-run: only whole-batch retries when every chunk refused.
			if (replies.every((r) => Number(r[0]) === LedgerCode.ProfileChanged && r.length === 2) && attempt < MAX_RETRIES) {
				loaded = await loadProfile(redis, prefix, true);
				continue;
			}
		}
		calls.forEach((call, n) => {
			const reply = replies[n];
			if (Number(reply[0]) === LedgerCode.ProfileChanged && reply.length === 2) {
				for (const c of call.part)
					results.push({ index: c.index, outcome: 'invalid', reason: 'profileChanged', message: 'the profile changed during Set: run it again', sku: c.sku });
				return;
			}
			call.part.forEach((c, j) => {
				const at = j * 6;
				const code = toCode('setCounts', reply[at]);
				const base: ApplyResult = {
					index: c.index,
					outcome: 'applied',
					effect: 'count',
					sku: c.sku,
					location: c.location,
					rev: Number(reply[at + 1] || 0),
					previous: num(reply[at + 2]),
					new: num(reply[at + 3]),
					delta: Number(reply[at + 4] || 0),
					heldVersion: num(reply[at + 5]),
				};
				if (code === LedgerCode.Applied) results.push(base);
				else if (code === LedgerCode.Frozen) results.push({ ...base, outcome: 'skipped', reason: 'frozen' });
				else if (code === LedgerCode.Stale) results.push({ ...base, outcome: 'skipped', reason: 'stale' });
				else if (code === LedgerCode.AsOfBeyondAudit)
					results.push({
						...base,
						outcome: 'invalid',
						reason: 'asOfBeyondAudit',
						message: 'the audit stream no longer holds every sale after this as-of time (raise auditMaxEntries, or count again)',
					});
				else throw new UnexpectedReplyError('setCounts', reply[at]);
			});
		});
		return results.sort((a, b) => a.index - b.index);
	}
}

// ---------------------------------------------------------------------------------------------------------
// Freeze / Unfreeze / Resync

export type MarkAction = 'freeze' | 'unfreeze' | 'resync';

export async function markSkus(
	redis: Redis,
	prefix: string,
	skus: readonly string[],
	action: MarkAction,
	source: string,
): Promise<Array<{ sku: string; rev: number; wasFrozen: boolean; frozenByProfile: boolean }>> {
	withLedgerScripts(redis);
	const loaded = await loadProfile(redis, prefix, true);
	if (!loaded) throw new NoProfileError();
	const channels = loaded.index.profile.channels.map((c) => c.name);
	const out: Array<{ sku: string; rev: number; wasFrozen: boolean; frozenByProfile: boolean }> = [];
	const calls = chunk(skus, MAX_ITEMS_PER_SCRIPT).map((part) => {
		const table = keyTable([]);
		const args: Array<string | number> = [loaded.index.profile.auditMaxEntries, part.length];
		for (const sku of part) {
			args.push(
				ref(table, ledgerKeys.ledger(prefix, sku)),
				ref(table, ledgerKeys.audit(prefix, sku)),
				action === 'freeze' ? '' : channels.map((c) => ref(table, ledgerKeys.dirty(prefix, c))).join(','),
				sku,
				action,
				source,
			);
		}
		return { part, keys: table.keys, args };
	});
	const pipeline = redis.pipeline();
	for (const c of calls) pipeline.ledgerMarkSkus(c.keys.length, ...c.keys, ...c.args);
	const replies = (await execAll(pipeline)) as unknown[][];
	calls.forEach((call, n) =>
		call.part.forEach((sku, j) => {
			toCode('markSkus', replies[n][j * 3]);
			out.push({
				sku,
				rev: Number(replies[n][j * 3 + 1] || 0),
				wasFrozen: replies[n][j * 3 + 2] === '1',
				frozenByProfile: loaded.index.frozen.has(sku),
			});
		}),
	);
	return out;
}

// ---------------------------------------------------------------------------------------------------------
// Get / Audit

export interface SkuState {
	sku: string;
	rev: number;
	frozen: boolean;
	frozenByProfile: boolean;
	/** The profile's locations (with their aliases, when they have some), then any other location the hash holds. */
	locations: Array<{ id: string; owner: string | null; aliases?: string[]; quantity: number | null; version: number | null; pending: number }>;
	/** Per channel: last published quantity / rev, last observed quantity, as the channel nodes record them. */
	channels: Record<string, Record<string, string>>;
	quantities: Record<string, number>;
	pending: Record<string, number>;
}

export function parseLedgerHash(sku: string, hash: Record<string, string>, pub: Record<string, string>, index?: ProfileIndex): SkuState {
	const quantities: Record<string, number> = {};
	const versions: Record<string, number> = {};
	const pending: Record<string, number> = {};
	for (const [field, value] of Object.entries(hash)) {
		if (field.startsWith('q:')) quantities[field.slice(2)] = Number(value);
		else if (field.startsWith('v:')) versions[field.slice(2)] = Number(value);
		else if (field.startsWith('p:')) pending[field.slice(2)] = Number(value);
	}
	const ids = new Set([...(index?.profile.locations.map((l) => l.id) ?? []), ...Object.keys(quantities), ...Object.keys(pending)]);
	const aliasesOf = new Map((index?.profile.locations ?? []).filter((l) => l.aliases).map((l) => [l.id, l.aliases!]));
	const channels: Record<string, Record<string, string>> = {};
	for (const [field, value] of Object.entries(pub)) {
		const at = field.indexOf(':');
		const kind = at > 0 ? field.slice(0, at) : field;
		const rest = at > 0 ? field.slice(at + 1) : '';
		const channel = rest.split(':')[0] || '_';
		(channels[channel] ??= {})[rest.includes(':') ? `${kind}:${rest.slice(channel.length + 1)}` : kind] = value;
	}
	return {
		sku,
		rev: Number(hash.rev ?? 0),
		frozen: hash.frozen === '1',
		frozenByProfile: index?.frozen.has(sku) ?? false,
		locations: [...ids].map((id) => ({
			id,
			owner: index?.ownerOf.get(id) ?? null,
			...(aliasesOf.has(id) ? { aliases: aliasesOf.get(id) } : {}),
			quantity: quantities[id] ?? null,
			version: versions[id] ?? null,
			pending: pending[id] ?? 0,
		})),
		channels,
		quantities,
		pending,
	};
}

/** Ledger and publish state of SKUs: one pipeline (one round trip) for all. */
export async function getSkus(redis: Redis, prefix: string, skus: readonly string[]): Promise<{ states: SkuState[]; profile?: LoadedProfile }> {
	const profile = await loadProfile(redis, prefix, true);
	const pipeline = redis.pipeline();
	for (const sku of skus) pipeline.hgetall(ledgerKeys.ledger(prefix, sku)).hgetall(ledgerKeys.pub(prefix, sku));
	const replies = skus.length ? await execAll(pipeline) : [];
	return {
		profile,
		states: skus.map((sku, i) =>
			parseLedgerHash(sku, replies[2 * i] as Record<string, string>, replies[2 * i + 1] as Record<string, string>, profile?.index),
		),
	};
}

export interface AuditEntry {
	entryId: string;
	recordedAt: string;
	[field: string]: string;
}

/** A SKU's audit history, newest first. */
export async function auditOf(redis: Redis, prefix: string, sku: string, limit: number): Promise<AuditEntry[]> {
	const raw = await redis.xrevrange(ledgerKeys.audit(prefix, sku), '+', '-', 'COUNT', Math.max(1, limit));
	return raw.map(([entryId, fields]) => {
		const entry: AuditEntry = { entryId, recordedAt: new Date(Number(entryId.split('-')[0])).toISOString() };
		for (let i = 0; i < fields.length; i += 2) entry[fields[i]] = fields[i + 1];
		return entry;
	});
}
