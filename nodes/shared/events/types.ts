/**
 * The canonical event: one item per order line or level change, whatever the platform and topic
 * (design.md "Canonical item"). Every node after the trigger reads only this shape.
 *
 * An order version with no line at all gives one item for the order (an "empty order" item), so that the lines
 * it had before stop drawing: kind 'orderLine', id '<platform>:<shop>:order:<orderId>' (no ':line:' part),
 * `lineIds: []`, `sku: null`, `refs.orderId`, `locationId: null`, `quantity: 0`. See EMPTY_ORDER_NOTE.
 */

/** The note of an empty order item (an order version without any line). */
export const EMPTY_ORDER_NOTE = 'the order has no line at this version: every line it had draws 0';

export type Platform = 'shopify' | 'woocommerce' | 'manual';
export type EventKind = 'orderLine' | 'level' | 'observation' | 'mapping';
export type EventVia = 'webhook' | 'poll' | 'reconciliation' | 'manual';

export interface InventoryEvent {
	kind: EventKind;
	/**
	 * Business identity, e.g. 'shopify:x.myshopify.com:order:<orderId>:line:<lineId>' ('…:order:<orderId>' for
	 * the item of an order version without lines). Ids are exact strings.
	 */
	id: string;
	/** Milliseconds since the epoch of the platform's time for this state (order / level / product). */
	version: number;
	source: { platform: Platform; shop: string; topic: string; via: EventVia };
	/**
	 * orderLine only: every line key of the order at this version (a stored line missing from it draws 0);
	 * `[]` on the item of an order version without lines.
	 */
	lineIds?: string[];
	sku: string | null;
	refs: { inventoryItemId?: string; variantId?: string; productId?: string; orderId?: string };
	/** '<platform>:<shop>:<platformLocationId>'; null on an orderLine = the channel's sales location. */
	locationId: string | null;
	/**
	 * level / observation: units available. orderLine: units this line draws from stock now (0 if none;
	 * negative on a restock item, which returns units to a named location). null on an orderLine: the status
	 * leaves stock as it was (keep the stored units). null on a mapping.
	 */
	quantity: number | null;
	/**
	 * orderLine only, when known: when the order took its stock (ISO), which can be long before `version` (a
	 * fulfilment or edit moves that). The Ledger records without drawing a line first seen after a count of its
	 * location taken at or after this time: the count already has the sale. Absent on restock items (they
	 * return units when refunded, not when placed) and when the platform does not say.
	 */
	placedAt?: string;
	/** Why a field is empty (e.g. 'line has no SKU'), for the user; never a secret. */
	note?: string;
	correlationId?: string;
	/**
	 * The Redis stream entry this event was read from, set by the Inventory Inbox Trigger only. The entry is
	 * delivered again (same id) until a run that processed it succeeds: the Guard's Deduplicate owns its claim
	 * by this id, so a redelivery is never mistaken for a duplicate.
	 */
	inboxEntryId?: string;
	occurredAt: string;
	receivedAt: string;
}

/** A signed body we could not turn into events: kept whole, with the reason, so nothing is silently lost. */
export interface InvalidEvent {
	reason: string;
	platform: Platform;
	topic: string;
	shop: string | null;
	correlationId?: string;
	/** Set by the Inventory Inbox Trigger: the stream entry the body was read from. */
	inboxEntryId?: string;
	receivedAt: string;
	rawBody: string;
}

/** What a receipt carries into normalisation: the raw bytes and the few headers we use (lower-case names). */
export interface Delivery {
	platform: 'shopify' | 'woocommerce';
	headers: Record<string, string | undefined>;
	rawBody: string;
	receivedAt: string;
	via?: EventVia;
	/**
	 * Set when the received bytes were not valid UTF-8 (`rawBody` is then a lossy decoding): the platforms send
	 * UTF-8, and a lossy decoding would merge different SKUs (raw `S\xff` and `S\xfe` both become `S\ufffd`).
	 */
	bodyNotUtf8?: true;
	/**
	 * Set by the receipt (shared/receipt.ts) when the request's shop header named another shop than the
	 * credential that verified the signature: the header as sent, for a log line. It decides nothing — the
	 * shop header above already holds the credential's shop. Not stored in the inbox.
	 */
	shopHeaderIgnored?: string;
}

export interface NormalizeResult {
	events: InventoryEvent[];
	invalid: InvalidEvent[];
	/**
	 * Shopify refunds/create carries no whole order: the caller re-reads the order (when its credential allows)
	 * and normalises the answer with normalizeShopifyGraphqlOrder.
	 */
	rereadOrder?: { shop: string; orderId: string };
	/** Deliveries that are not events (the WooCommerce ping): acknowledge, start nothing. */
	ignored?: string;
}
