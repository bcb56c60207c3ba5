import type Redis from 'ioredis';
import { ledgerKeys } from '../../shared/keys';
import { execAll } from '../../shared/redisBatch';
import type { MapRef, Plan } from '../orderLines';

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

const mapCacheKey = (prefix: string, m: MapRef) =>
	`${prefix}\u0000${m.platform}\u0000${m.shop}\u0000${m.field}`;

/**
 * What to do about a platform id without a SKU (Invalid `unmapped`): the map is filled by mapping items, from
 * the trigger (Shopify inventory_items/update and products/update, WooCommerce product.updated) or from any
 * source through Apply.
 */
export function unmappedMessage(plan: Plan): string {
	const map = plan.op === 'level' || plan.op === 'observation' ? plan.map : undefined;
	if (!map) return 'no SKU is mapped for this item';
	const topics =
		map.platform === 'shopify'
			? 'inventory_items/update or products/update'
			: map.platform === 'woocommerce'
				? 'product.updated'
				: 'mapping';
	// Shopify inventory item ids are kept for Resolve SKUs' "All Unmapped" mode (resolveSkus below records them).
	const resolve =
		map.platform === 'shopify' && map.field.startsWith('item:')
			? `run Shopify Inventory → Resolve SKUs with 'All Unmapped' (this id is kept for it), or `
			: '';
	return (
		`no SKU is mapped for ${map.field} (${map.platform} ${map.shop}): fill the map first — ${resolve}let the trigger receive the ${topics} ` +
		`webhook of that item (e.g. save the product once), or Apply a 'mapping' item (kind 'mapping', the SKU, refs with the ` +
		`same id, source platform '${map.platform}' and shop '${map.shop}') — then send this item again`
	);
}

/** Resolves SKUs of map-dependent plans: cache first, one pipeline of HGETs for the misses. */
export async function resolveSkus(
	redis: Redis,
	prefix: string,
	plans: Plan[],
	fresh: Set<number>,
): Promise<Set<number>> {
	const cache = mapCache(redis);
	const unmapped = new Set<number>();
	const misses: Array<{ plan: Plan & { map: MapRef } }> = [];
	// A mapping earlier in the same batch is applied first by the script: later items may rely on it.
	const inBatch = new Map<string, string>();
	for (const plan of plans) {
		if (plan.op === 'mapping') inBatch.set(mapCacheKey(prefix, plan.map), plan.sku);
		if ((plan.op !== 'level' && plan.op !== 'observation') || plan.sku !== null || !plan.map)
			continue;
		const id = mapCacheKey(prefix, plan.map);
		const hit = inBatch.get(id) ?? (fresh.has(plan.index) ? undefined : cache.get(id));
		if (hit !== undefined) plan.sku = hit;
		else misses.push({ plan: plan as Plan & { map: MapRef } });
	}
	if (misses.length) {
		const replies = await execAll(
			misses.reduce(
				(p, m) =>
					p.hget(ledgerKeys.map(prefix, m.plan.map.platform, m.plan.map.shop), m.plan.map.field),
				redis.pipeline(),
			),
		);
		const record = redis.pipeline();
		let recorded = 0;
		misses.forEach((m, i) => {
			const sku = replies[i];
			if (typeof sku === 'string' && sku !== '') {
				cache.set(mapCacheKey(prefix, m.plan.map), sku);
				(m.plan as { sku: string | null }).sku = sku;
			} else {
				cache.delete(mapCacheKey(prefix, m.plan.map));
				unmapped.add(m.plan.index);
				const { platform, shop, field } = m.plan.map;
				record.sadd(ledgerKeys.unmapped(prefix, platform, shop), field);
				recorded++;
			}
		});
		// The ids seen without a SKU are kept, so a Resolve run can map all of them at once (Shopify Resolve
		// SKUs, "All Unmapped"). One more round trip, only on this error path.
		if (recorded > 0) await execAll(record);
	}
	return unmapped;
}

/**
 * Drops from the unmapped set (see resolveSkus) the fields the map now holds; returns how many fields stay.
 * For a Resolve run that read a whole catalogue (WooCommerce Resolve IDs, All Products): what it mapped
 * leaves the set, what is still unmapped (no such record, a blank or shared SKU) stays listed.
 */
export async function settleUnmapped(
	redis: Redis,
	prefix: string,
	platform: string,
	shop: string,
): Promise<number> {
	const setKey = ledgerKeys.unmapped(prefix, platform, shop);
	const mapKey = ledgerKeys.map(prefix, platform, shop);
	let cursor = '0';
	do {
		const [next, fields] = await redis.sscan(setKey, cursor, 'COUNT', 1000);
		cursor = next;
		if (fields.length === 0) continue;
		const skus = await redis.hmget(mapKey, ...fields);
		const mapped = fields.filter((_, i) => typeof skus[i] === 'string' && skus[i] !== '');
		if (mapped.length) await redis.srem(setKey, ...mapped);
	} while (cursor !== '0');
	return await redis.scard(setKey);
}
