import type { IDataObject } from 'n8n-workflow';
import { normalizeShopifyGraphqlOrder, type Delivery, type NormalizeResult } from './events';
import { shopifyGraphql, type ApiContext } from './platformApi';
import { ORDER_FOR_STOCK, ORDER_FOR_STOCK_REFUNDS } from './shopifyQueries';

/** Why an order read back is not used: deleted since ('gone'), or more lines or refunds than one page ('tooLarge'). */
export type OrderNotRead = 'gone' | 'tooLarge';

export type WholeOrderRead<F> =
	| { readonly order: unknown }
	| { readonly notRead: OrderNotRead }
	| { readonly failure: F };

/** Sends the query through the caller's transport: the answer's `order`, or why Shopify could not be asked. */
export type AskShopifyOrder<F> = (
	query: string,
	variables: IDataObject,
) => Promise<
	{ readonly ok: true; readonly order: unknown } | { readonly ok: false; readonly failure: F }
>;

/**
 * The one Shopify order re-read (ORDER_FOR_STOCK, `order(id:)`): the refund re-read of both receipt paths,
 * Shopify Re-Read Orders, and Poll Orders for an order its page did not hold whole. The transport is the
 * caller's (a plain call in the triggers, the channel policy with cost pacing in the channel node), and so is
 * what a failure means. `orderId`: a numeric id (webhooks, the Ledger's refs) or a gid.
 */
export async function readWholeShopifyOrder<F>(
	orderId: string,
	ask: AskShopifyOrder<F>,
): Promise<WholeOrderRead<F>> {
	const id = orderId.startsWith('gid://') ? orderId : `gid://shopify/Order/${orderId}`;
	const answer = await ask(ORDER_FOR_STOCK, { id });
	if (!answer.ok) return { failure: answer.failure };
	if (answer.order === null || answer.order === undefined) return { notRead: 'gone' };
	if (orderCutShort(answer.order, ORDER_FOR_STOCK_REFUNDS)) return { notRead: 'tooLarge' };
	return { order: answer.order };
}

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
	const read = await readWholeShopifyOrder(orderId, async (query, variables) => {
		try {
			const data = await shopifyGraphql<{ order: unknown }>(ctx, query, variables);
			return { ok: true, order: data.order };
		} catch {
			return { ok: false, failure: 'unavailable' as const };
		}
	});
	if ('failure' in read) return read.failure;
	return 'order' in read ? normalizeShopifyGraphqlOrder(read.order, delivery) : null;
}

/**
 * True when an `order(…)` answer may lack part of the order: more lines or refund lines than their page, or as
 * many refunds as asked for (`refunds(first:)` is a plain list: no pageInfo says whether more exist).
 */
export function orderCutShort(order: unknown, refundsAsked: number): boolean {
	const o = order as {
		lineItems?: { pageInfo?: { hasNextPage?: boolean } };
		refunds?: Array<{ refundLineItems?: { pageInfo?: { hasNextPage?: boolean } } }>;
	};
	if (o?.lineItems?.pageInfo?.hasNextPage) return true;
	if ((o?.refunds?.length ?? 0) >= refundsAsked) return true;
	return (o?.refunds ?? []).some((r) => r?.refundLineItems?.pageInfo?.hasNextPage);
}
