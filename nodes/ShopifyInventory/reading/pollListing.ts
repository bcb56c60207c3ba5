import { heldAtOrAfter } from '../../InventoryLedger/ledger/read';
import { optionalId } from '../../shared/events/common';

/** One order of Poll Orders' listing (reading/queries.ts ORDERS_SINCE_QUERY). */
export interface ListedOrder {
	id: string;
	updatedAt: string;
}

/** The listed order's id as the Ledger keys it (the GID's number); null when it is not an order id. */
export function listedOrderId(order: ListedOrder): string | null {
	try {
		return optionalId(order.id, 'order.id');
	} catch {
		return null;
	}
}

/**
 * The listed orders to read whole: every one the Ledger does not hold at its listed version or a newer one.
 * An order at the version held is the same order state (Shopify's updatedAt moves with every change it
 * makes to an order); one whose id or time cannot be read is read whole, where its problem is reported.
 * `held` is the Ledger's version per listed order, in the listing's order (ledger/read.ts heldOrderVersions).
 */
export function ordersToReadWhole(
	listed: readonly ListedOrder[],
	held: ReadonlyArray<number | null>,
): ListedOrder[] {
	return listed.filter((order, i) => !heldAtOrAfter(held[i], Date.parse(order.updatedAt)));
}
