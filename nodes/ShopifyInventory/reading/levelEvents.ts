import {
	shopifyInventoryItemMapping,
	shopifyLevel,
	type ShopifyContext,
} from '../../shared/events/shopify';
import type { InventoryEvent } from '../../shared/events';
import { availableOf, type BulkItem, type BulkLevel } from './bulkJsonl';

/**
 * Read levels and items → the canonical events the trigger makes of inventory_levels/update and
 * inventory_items/update (same ids, so a read and a webhook of the same state are one state to the Ledger),
 * through the trigger's own normalisers: the GraphQL fields are handed over in the webhook's names. A read
 * knows the SKU, so the level carries it (the webhook's level leaves it to the Ledger's map).
 */

export interface ReadContext {
	readonly shop: string;
	/** ISO time the read started: receivedAt of every event it makes. */
	readonly receivedAt: string;
	/** Marks the events as the answer to a tie (applied at an equal version). */
	readonly reread?: boolean;
}

function context(read: ReadContext, topic: string): ShopifyContext {
	return { shop: read.shop, topic, via: 'reconciliation', receivedAt: read.receivedAt };
}

export type ReadEvent = InventoryEvent & { reread?: boolean };

/** One level event; null (with the reason) when the level cannot be one. */
export function levelEvent(
	item: BulkItem,
	level: BulkLevel,
	read: ReadContext,
): { event: ReadEvent } | { problem: string } {
	const available = availableOf(level);
	if (available === null) return { problem: 'no available quantity (is the item tracked?)' };
	try {
		const [event] = shopifyLevel(
			{
				inventory_item_id: item.id,
				location_id: level.location?.id,
				available,
				updated_at: level.updatedAt,
			},
			context(read, 'inventory_levels/update'),
		);
		const out: ReadEvent = { ...event, sku: item.sku };
		if (item.sku !== null) delete out.note;
		else out.note = 'inventory item has no SKU: cannot be mapped';
		if (read.reread) out.reread = true;
		return { event: out };
	} catch (error) {
		return { problem: error instanceof Error ? error.message : String(error) };
	}
}

/** The item's mapping event (inventory item id ↔ SKU); null when it has no updatedAt to version it. */
export function mappingEvent(item: BulkItem, read: ReadContext): ReadEvent | null {
	if (!item.updatedAt) return null;
	try {
		const [event] = shopifyInventoryItemMapping(
			{ id: item.id, sku: item.sku, updated_at: item.updatedAt },
			context(read, 'inventory_items/update'),
		);
		return event;
	} catch {
		return null;
	}
}
