import type Redis from 'ioredis';
import { applyEvents } from '../../InventoryLedger/ledger/apply';
import type { ApplyResult } from '../../InventoryLedger/ledger/results';
import type { ChannelRun } from '../../shared/channel/callPolicy';
import { wooProductEvents } from '../../shared/events/woocommerce';
import type { InventoryEvent } from '../../shared/events/types';
import { escapeKeyPart, key, ledgerKeys } from '../../shared/keys';
import type { ChannelFailure } from '../../shared/retry';
import { callChannel } from '../../shared/channel/callPolicy';
import { totalPagesOf, type WooRestClient } from '../transport/restClient';
import type { WooTarget } from './batches';

/**
 * SKU ↔ WooCommerce id, as Publish, Get Stock and Resolve IDs need it. The Ledger's map
 * `<prefix>:map:woocommerce:<shop>` (filled by product.updated webhooks and by our look-ups, through
 * applyEvents mapping events: one writer of that hash) says which product or variation a SKU is
 * (`sku:<sku>` → `product:<id>` | `variant:<id>`). A variation is written under its parent, which the map does
 * not keep: this node keeps `<prefix>:wooparent:<shop>` (variation id → parent id) from every record it reads.
 */

export const PLATFORM = 'woocommerce';

export const wooKeys = {
	/** `<prefix>:wooparent:<shop>`: hash variation id → parent product id. */
	parents: (prefix: string, shop: string) => key(prefix, 'wooparent', escapeKeyPart(shop)),
	/**
	 * `<prefix>:woomiss:<shop>`: hash SKU → ms of the last look-up that found no product with it, so a SKU the
	 * shop does not sell costs one look-up per MISS_TTL_MS, not one per change.
	 */
	misses: (prefix: string, shop: string) => key(prefix, 'woomiss', escapeKeyPart(shop)),
};

/** How long a "no product has this SKU" answer is trusted. */
export const MISS_TTL_MS = 10 * 60_000;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A product or variation record as the REST API returns it (only what we read). */
export interface WooRecord extends Obj {
	id: number | string;
	sku?: unknown;
	parent_id?: unknown;
	type?: unknown;
}

export function idOf(value: unknown): string | undefined {
	if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
	if (typeof value === 'string' && /^[0-9]{1,20}$/.test(value))
		return value.replace(/^0+(?=[0-9])/, '');
	return undefined;
}

/** The parent id of a variation record, undefined for a product. */
export function parentOf(record: Obj): string | undefined {
	const parent = idOf(record.parent_id);
	return parent && parent !== '0' ? parent : undefined;
}

export function targetOfRecord(record: Obj): WooTarget | undefined {
	const id = idOf(record.id);
	if (!id) return undefined;
	const parentId = parentOf(record);
	return parentId ? { kind: 'variation', id, parentId } : { kind: 'product', id };
}

/** Where the map says each SKU is; SKUs it does not know (or variations without a known parent) are misses. */
export async function readTargets(
	redis: Redis,
	prefix: string,
	shop: string,
	skus: readonly string[],
): Promise<{ found: Map<string, WooTarget>; misses: string[] }> {
	const found = new Map<string, WooTarget>();
	const misses: string[] = [];
	if (skus.length === 0) return { found, misses };
	const mapKey = ledgerKeys.map(prefix, PLATFORM, shop);
	// One HMGET: every SKU's id is a field of the one map hash.
	const fields = await redis.hmget(mapKey, ...skus.map((sku) => `sku:${sku}`));
	const variations: Array<{ sku: string; id: string }> = [];
	skus.forEach((sku, i) => {
		const field = fields[i];
		const product = field ? /^product:([0-9]+)$/.exec(field) : null;
		const variant = field ? /^variant:([0-9]+)$/.exec(field) : null;
		if (product) found.set(sku, { kind: 'product', id: product[1] });
		else if (variant) variations.push({ sku, id: variant[1] });
		else misses.push(sku);
	});
	if (variations.length > 0) {
		const parents = await redis.hmget(
			wooKeys.parents(prefix, shop),
			...variations.map((v) => v.id),
		);
		variations.forEach((v, i) => {
			const parentId = parents[i];
			if (parentId) found.set(v.sku, { kind: 'variation', id: v.id, parentId });
			else misses.push(v.sku); // a look-up by SKU also says the parent
		});
	}
	return { found, misses };
}

/** Remembers the parent of every variation among `records`. */
export async function rememberParents(
	redis: Redis,
	prefix: string,
	shop: string,
	records: readonly Obj[],
): Promise<void> {
	const pairs: string[] = [];
	for (const r of records) {
		const id = idOf(r.id);
		const parent = parentOf(r);
		if (id && parent) pairs.push(id, parent);
	}
	if (pairs.length > 0) await redis.hset(wooKeys.parents(prefix, shop), ...pairs);
}

/** SKUs looked up recently without a match (within MISS_TTL_MS of `nowMs`). */
export async function recentMisses(
	redis: Redis,
	prefix: string,
	shop: string,
	skus: readonly string[],
	nowMs: number,
): Promise<Set<string>> {
	if (skus.length === 0) return new Set();
	const at = await redis.hmget(wooKeys.misses(prefix, shop), ...skus);
	return new Set(skus.filter((_, i) => at[i] !== null && nowMs - Number(at[i]) < MISS_TTL_MS));
}

export async function recordMisses(
	redis: Redis,
	prefix: string,
	shop: string,
	skus: readonly string[],
	nowMs: number,
): Promise<void> {
	if (skus.length === 0) return;
	await redis.hset(wooKeys.misses(prefix, shop), ...skus.flatMap((s) => [s, String(nowMs)]));
}

/** URL length a look-up's SKU list is kept under (proxies refuse long URLs; 100 records per page at most). */
const MAX_SKU_PARAM = 1500;
const MAX_SKUS_PER_LOOKUP = 50;

/**
 * The look-up calls for `skus`: comma lists (`?sku=a,b,c`: WooCommerce searches products and variations for
 * each), each a few KB at most. A SKU holding a comma cannot be part of a list: it goes alone (WooCommerce
 * also matches the whole parameter as one SKU).
 */
export function lookupChunks(skus: readonly string[]): string[][] {
	const chunks: string[][] = [];
	let current: string[] = [];
	let length = 0;
	for (const sku of skus) {
		if (sku.includes(',')) {
			chunks.push([sku]);
			continue;
		}
		const cost = encodeURIComponent(sku).length + 3;
		if (
			current.length > 0 &&
			(current.length >= MAX_SKUS_PER_LOOKUP || length + cost > MAX_SKU_PARAM)
		) {
			chunks.push(current);
			current = [];
			length = 0;
		}
		current.push(sku);
		length += cost;
	}
	if (current.length > 0) chunks.push(current);
	return chunks;
}

export interface LookupResult {
	/** Records found per SKU (more than one: a duplicate SKU at WooCommerce). */
	records: Map<string, WooRecord[]>;
	/** SKUs whose look-up call failed, with the failure. */
	failed: Array<{ skus: string[]; failure: ChannelFailure }>;
	calls: number;
}

/** Looks `skus` up at WooCommerce (`GET /products?sku=…`), under the channel policy. Never throws for a call. */
export async function lookupSkus(
	run: ChannelRun,
	client: WooRestClient,
	skus: readonly string[],
): Promise<LookupResult> {
	const result: LookupResult = { records: new Map(), failed: [], calls: 0 };
	const wanted = new Set(skus);
	for (const chunk of lookupChunks(skus)) {
		for (let page = 1; ; page++) {
			result.calls++;
			const answer = await callChannel(run, async (context) =>
				client.request<unknown>({
					method: 'GET',
					path: '/products',
					qs: { sku: chunk.join(','), per_page: 100, page },
					signal: context.signal,
				}),
			);
			if (!answer.ok) {
				result.failed.push({ skus: chunk, failure: answer.failure });
				break;
			}
			const body = answer.value.body;
			for (const record of Array.isArray(body) ? body : []) {
				if (!isObj(record) || typeof record.sku !== 'string' || !wanted.has(record.sku)) continue;
				if (!chunk.includes(record.sku)) continue;
				const list = result.records.get(record.sku) ?? [];
				list.push(record as WooRecord);
				result.records.set(record.sku, list);
			}
			const pages = totalPagesOf(answer.value.headers) ?? 1;
			if (page >= pages) break;
		}
	}
	return result;
}

/** What mapping a read record gives, through the trigger's own normaliser (same ids and shape). */
export function mappingEventOf(
	record: Obj,
	shop: string,
	receivedAt: string,
): InventoryEvent | undefined {
	try {
		return wooProductEvents(record, {
			shop,
			topic: 'product.read',
			via: 'reconciliation',
			receivedAt,
		}).find((e) => e.kind === 'mapping');
	} catch {
		return undefined;
	}
}

/**
 * Writes the mappings of `records` into the Ledger's map (applyEvents, one call) and their variations'
 * parents; returns one apply result per record (undefined where the record could not be read as a mapping).
 */
export async function recordMappings(
	redis: Redis,
	prefix: string,
	shop: string,
	records: readonly Obj[],
	receivedAt: string,
): Promise<Array<ApplyResult | undefined>> {
	await rememberParents(redis, prefix, shop, records);
	const events: InventoryEvent[] = [];
	const slot: number[] = [];
	records.forEach((record, i) => {
		const event = mappingEventOf(record, shop, receivedAt);
		if (event && event.sku !== null) {
			slot[i] = events.length;
			events.push(event);
		}
	});
	const results = events.length ? await applyEvents(redis, prefix, events) : [];
	return records.map((_, i) => (slot[i] === undefined ? undefined : results[slot[i]]));
}
