import { normalizeShopifyGraphqlOrder, type Delivery, type NormalizeResult } from './events';
import { shopifyGraphql, type ApiContext } from './platformApi';
import { ORDER_FOR_STOCK } from './shopifyQueries';

/**
 * The Shopify refund re-read, one implementation for both receipt paths (the Webhook Trigger in per-request
 * mode and the Inbox Trigger): refunds/create carries no whole order, so the order is read back and its lines
 * are emitted like an orders/updated.
 *
 * Returns the normalised order; null for "no re-read" (the order is gone, or larger than one page: the
 * orders/updated Shopify sends after a refund carries the change); 'unavailable' when Shopify could not be
 * asked — the caller keeps the delivery (503 to Shopify, or pending in the inbox) rather than lose the refund.
 */
export async function rereadShopifyOrder(
	ctx: ApiContext,
	delivery: Delivery,
	orderId: string,
): Promise<NormalizeResult | 'unavailable' | null> {
	let order: unknown;
	try {
		const data = await shopifyGraphql<{ order: unknown }>(ctx, ORDER_FOR_STOCK, {
			id: `gid://shopify/Order/${orderId}`,
		});
		order = data.order;
	} catch {
		return 'unavailable';
	}
	if (order === null || order === undefined || orderExceedsOnePage(order)) return null;
	return normalizeShopifyGraphqlOrder(order, delivery);
}

/** True when the re-read could not hold the whole order (more lines or refund lines than one page). */
export function orderExceedsOnePage(order: unknown): boolean {
	const o = order as {
		lineItems?: { pageInfo?: { hasNextPage?: boolean } };
		refunds?: Array<{ refundLineItems?: { pageInfo?: { hasNextPage?: boolean } } }>;
	};
	if (o?.lineItems?.pageInfo?.hasNextPage) return true;
	if ((o?.refunds?.length ?? 0) >= 10) return true;
	return (o?.refunds ?? []).some((r) => r?.refundLineItems?.pageInfo?.hasNextPage);
}
