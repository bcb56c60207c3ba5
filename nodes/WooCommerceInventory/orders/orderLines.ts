import { ShapeError } from '../../shared/events/common';
import type { InventoryEvent } from '../../shared/events/types';
import { wooOrderLines } from '../../shared/events/woocommerce';

/**
 * An order read by Poll Orders or Re-Read Orders → its order-line events, made by the trigger's own normaliser
 * as an order.updated (the same event ids as its webhooks': an order version the Ledger holds is Skipped), or
 * why the order could not be read.
 */
export function readOrderLines(
	order: unknown,
	shop: string,
	receivedAt: string,
): InventoryEvent[] | { problem: string } {
	try {
		return wooOrderLines(order, { shop, topic: 'order.updated', via: 'poll', receivedAt });
	} catch (error) {
		return { problem: error instanceof ShapeError ? error.message : 'unexpected order shape' };
	}
}
