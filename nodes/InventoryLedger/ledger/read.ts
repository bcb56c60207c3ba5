import type Redis from 'ioredis';
import { ledgerKeys } from '../../shared/keys';
import { execAll } from '../../shared/redisBatch';
import type { ProfileIndex } from '../profile';
import { SALES_RATE_FIELD, parseSalesRate, redisTimeMs, type SalesRate } from '../salesRate';
import { loadProfile, type LoadedProfile } from './profileStore';

/** Get / Audit: plain reads, no script. */

export interface SkuState {
	sku: string;
	rev: number;
	frozen: boolean;
	frozenByProfile: boolean;
	/** The profile's locations (with their aliases, when they have some), then any other location the hash holds. */
	locations: Array<{
		id: string;
		owner: string | null;
		aliases?: string[];
		quantity: number | null;
		version: number | null;
		pending: number;
	}>;
	/** Per channel: last published quantity / rev, last observed quantity, as the channel nodes record them. */
	channels: Record<string, Record<string, string>>;
	quantities: Record<string, number>;
	pending: Record<string, number>;
	/**
	 * The SKU's sales rate as the ledger stored it at its last sale (units per second over all channels as of `at`,
	 * ms, Redis's clock; it decays from there, salesRate.ts); absent when it never sold.
	 */
	salesRate?: SalesRate;
}

export function parseLedgerHash(
	sku: string,
	hash: Record<string, string>,
	pub: Record<string, string>,
	index?: ProfileIndex,
): SkuState {
	const quantities: Record<string, number> = {};
	const versions: Record<string, number> = {};
	const pending: Record<string, number> = {};
	for (const [field, value] of Object.entries(hash)) {
		if (field.startsWith('q:')) quantities[field.slice(2)] = Number(value);
		else if (field.startsWith('v:')) versions[field.slice(2)] = Number(value);
		else if (field.startsWith('p:')) pending[field.slice(2)] = Number(value);
	}
	const ids = new Set([
		...(index?.profile.locations.map((l) => l.id) ?? []),
		...Object.keys(quantities),
		...Object.keys(pending),
	]);
	const aliasesOf = new Map(
		(index?.profile.locations ?? []).filter((l) => l.aliases).map((l) => [l.id, l.aliases!]),
	);
	const channels: Record<string, Record<string, string>> = {};
	for (const [field, value] of Object.entries(pub)) {
		const at = field.indexOf(':');
		const kind = at > 0 ? field.slice(0, at) : field;
		const rest = at > 0 ? field.slice(at + 1) : '';
		const channel = rest.split(':')[0] || '_';
		(channels[channel] ??= {})[
			rest.includes(':') ? `${kind}:${rest.slice(channel.length + 1)}` : kind
		] = value;
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
		...salesRateOf(hash),
	};
}

function salesRateOf(hash: Record<string, string>): { salesRate?: SalesRate } {
	const salesRate = parseSalesRate(hash[SALES_RATE_FIELD.rate], hash[SALES_RATE_FIELD.at]);
	return salesRate ? { salesRate } : {};
}

/**
 * Ledger and publish state of SKUs: one pipeline (one round trip) for all, with Redis's clock (`clock`, ms: the
 * clock the sales rates were stamped with, for availability's reserve).
 */
export async function getSkus(
	redis: Redis,
	prefix: string,
	skus: readonly string[],
): Promise<{ states: SkuState[]; profile?: LoadedProfile; clock: number }> {
	const profile = await loadProfile(redis, prefix, true);
	const pipeline = redis.pipeline();
	for (const sku of skus)
		pipeline.hgetall(ledgerKeys.ledger(prefix, sku)).hgetall(ledgerKeys.pub(prefix, sku));
	pipeline.time();
	const replies = await execAll(pipeline);
	const clock = redisTimeMs(replies.pop() as [string, string]);
	return {
		profile,
		clock,
		states: skus.map((sku, i) =>
			parseLedgerHash(
				sku,
				replies[2 * i] as Record<string, string>,
				replies[2 * i + 1] as Record<string, string>,
				profile?.index,
			),
		),
	};
}

export interface AuditEntry {
	entryId: string;
	recordedAt: string;
	[field: string]: string;
}

/** A SKU's audit history, newest first. */
export async function auditOf(
	redis: Redis,
	prefix: string,
	sku: string,
	limit: number,
): Promise<AuditEntry[]> {
	const raw = await redis.xrevrange(
		ledgerKeys.audit(prefix, sku),
		'+',
		'-',
		'COUNT',
		Math.max(1, limit),
	);
	return raw.map(([entryId, fields]) => {
		const entry: AuditEntry = {
			entryId,
			recordedAt: new Date(Number(entryId.split('-')[0])).toISOString(),
		};
		for (let i = 0; i < fields.length; i += 2) entry[fields[i]] = fields[i + 1];
		return entry;
	});
}

/**
 * Whether the Ledger holds an order at version `at` (ms) or a newer one, given the version it holds
 * (heldOrderVersions; null: none). Applying that order state again would change nothing. A time that could
 * not be read (not finite, or 0) is never held: the order is read and applied, where its problem is reported.
 */
export function heldAtOrAfter(held: number | null | undefined, at: number): boolean {
	return typeof held === 'number' && Number.isFinite(at) && at > 0 && held >= at;
}

/**
 * The order version the Ledger holds for each order (ms; null when it holds none): the version part of the
 * order-line hash's '' entry (lua/applyEvents.lua, "Order-line hash"), which moves with every newer version
 * applied. One round trip for the list. Poll Orders reads whole only the orders listed at a newer version.
 */
export async function heldOrderVersions(
	redis: Redis,
	prefix: string,
	platform: string,
	shop: string,
	orderIds: readonly string[],
): Promise<Array<number | null>> {
	if (orderIds.length === 0) return [];
	const pipeline = redis.pipeline();
	for (const id of orderIds) pipeline.hget(ledgerKeys.orderLines(prefix, platform, shop, id), '');
	const replies = await execAll(pipeline);
	return replies.map((reply) => {
		if (typeof reply !== 'string') return null;
		const version = Number(reply.split(' ', 1)[0]);
		return Number.isFinite(version) ? version : null;
	});
}
