import { EMPTY_ORDER_NOTE, type InventoryEvent } from './types';
import {
	ShapeError,
	eventBase,
	type ReceiptContext,
	isRecord,
	optionalId,
	optionalTime,
	requireArray,
	requireId,
	requireQuantity,
	requireRecord,
	requireTime,
	skuOf,
} from './common';

/**
 * Shopify payloads → canonical events (platform-facts "Shopify", design "Edge cases, decided").
 * Pure: the caller supplies the receipt context; no clock, no I/O.
 */

export interface ShopifyContext extends ReceiptContext {
	/** X-Shopify-Triggered-At in ms, when the delivery carried a valid one (sub-second precision). */
	triggeredAtMs?: number;
}

/** Refund line restock types that put units back into stock; `no_restock` returns nothing. */
const RESTOCKING = new Set(['cancel', 'return', 'legacy_restock']);

function base(ctx: ShopifyContext, version: number) {
	return eventBase('shopify', ctx, version);
}

function locationKey(ctx: ShopifyContext, locationId: string): string {
	return `shopify:${ctx.shop}:${locationId}`;
}

/**
 * The version of a signed body time refined by an unsigned header time. X-Shopify-Triggered-At is not covered
 * by the HMAC: anyone holding one captured delivery can resend it with any header. So the header may only add
 * the sub-second digits the body's one-second `updated_at` lacks — it is used when it falls within that same
 * second, and ignored otherwise (a forged 2099 or "now" would otherwise outrank every later genuine level).
 */
export function refineWithinSecond(bodyMs: number, headerMs: number | undefined): number {
	if (headerMs === undefined || !Number.isFinite(headerMs)) return bodyMs;
	const second = Math.floor(bodyMs / 1000) * 1000;
	return headerMs >= second && headerMs < second + 1000 && headerMs >= bodyMs ? headerMs : bodyMs;
}

/**
 * inventory_levels/update → one `level` item. The version is the most precise time Shopify gives:
 * the body's one-second `updated_at`, refined to the millisecond by X-Shopify-Triggered-At only within that second.
 */
export function shopifyLevel(body: unknown, ctx: ShopifyContext): InventoryEvent[] {
	const level = requireRecord(body, 'body');
	const itemId = requireId(level.inventory_item_id, 'inventory_item_id');
	const locationId = requireId(level.location_id, 'location_id');
	if (level.available === null || level.available === undefined) {
		throw new ShapeError('available is missing (is the item tracked?)');
	}
	const available = requireQuantity(level.available, 'available', { allowNegative: true });
	const updatedAt = requireTime(level.updated_at, 'updated_at');
	const version = refineWithinSecond(updatedAt, ctx.triggeredAtMs);
	return [
		{
			kind: 'level',
			id: `shopify:${ctx.shop}:level:${itemId}:${locationId}`,
			...base(ctx, version),
			sku: null,
			note: 'SKU resolved from the inventory item id by the Ledger',
			refs: { inventoryItemId: itemId },
			locationId: locationKey(ctx, locationId),
			quantity: available,
		},
	];
}

/** The order shape both the webhook payload and the GraphQL re-read are reduced to. */
export interface ShopifyOrderState {
	orderId: string;
	updatedAtMs: number;
	/** When the order was created, the moment Shopify committed its stock; undefined when not given. */
	createdAtMs?: number;
	/** POS orders carry the location they sold from; web orders have none (the channel's sales location). */
	locationId: string | null;
	lines: Array<{
		lineId: string;
		sku: string | null;
		quantity: number;
		variantId: string | null;
		productId: string | null;
	}>;
	restocks: Array<{ lineId: string; quantity: number; locationId: string | null }>;
}

/**
 * One `orderLine` item per line, drawing `quantity` − its restocked refund lines (cancel, return,
 * legacy_restock). Cancellation itself returns nothing: a restocking cancellation is recorded as refund lines
 * with restock_type `cancel`, so counting those is counting it once. Order edits that remove units with
 * restock show up the same way (refund lines), so the rule covers them too; units added by an edit raise
 * `quantity` or add a line.
 *
 * A restock that names a location other than the line's own returns its units there: it becomes a separate
 * item `…:line:<lineId>:restock:<locationId>` drawing a negative amount at that location, so the sum over
 * both items is exactly `quantity` − restocked, wherever the units went.
 *
 * An order without any line gives one item for the order (`lineIds: []`, types.ts): the lines it had draw 0.
 */
export function shopifyOrderLines(order: ShopifyOrderState, ctx: ShopifyContext): InventoryEvent[] {
	const common = base(ctx, order.updatedAtMs);
	const placed =
		order.createdAtMs === undefined ? {} : { placedAt: new Date(order.createdAtMs).toISOString() };
	if (order.lines.length === 0) {
		return [
			{
				kind: 'orderLine',
				id: `shopify:${ctx.shop}:order:${order.orderId}`,
				...common,
				lineIds: [],
				sku: null,
				note: EMPTY_ORDER_NOTE,
				refs: { orderId: order.orderId },
				locationId: null,
				quantity: 0,
			},
		];
	}
	const knownLines = new Set(order.lines.map((l) => l.lineId));
	const restockedAtLine = new Map<string, number>();
	const restockedElsewhere = new Map<string, Map<string, number>>();
	for (const r of order.restocks) {
		if (!knownLines.has(r.lineId)) continue;
		if (r.locationId === null || r.locationId === order.locationId) {
			restockedAtLine.set(r.lineId, (restockedAtLine.get(r.lineId) ?? 0) + r.quantity);
		} else {
			const byLocation = restockedElsewhere.get(r.lineId) ?? new Map<string, number>();
			byLocation.set(r.locationId, (byLocation.get(r.locationId) ?? 0) + r.quantity);
			restockedElsewhere.set(r.lineId, byLocation);
		}
	}

	const items: InventoryEvent[] = [];
	const lineKeys: string[] = [];
	for (const line of order.lines) {
		const refs = {
			orderId: order.orderId,
			...(line.variantId ? { variantId: line.variantId } : {}),
			...(line.productId ? { productId: line.productId } : {}),
		};
		const note = line.sku === null ? 'line has no SKU (custom item): not tracked' : undefined;
		const drawnHere = Math.max(0, line.quantity - (restockedAtLine.get(line.lineId) ?? 0));
		lineKeys.push(line.lineId);
		items.push({
			kind: 'orderLine',
			id: `shopify:${ctx.shop}:order:${order.orderId}:line:${line.lineId}`,
			...common,
			...placed,
			sku: line.sku,
			...(note ? { note } : {}),
			refs,
			locationId: order.locationId === null ? null : locationKey(ctx, order.locationId),
			quantity: drawnHere,
		});
		// Never return more units than the line still draws: a refund can't restock what was not sold.
		let returnable = drawnHere;
		for (const [locationId, units] of restockedElsewhere.get(line.lineId) ?? []) {
			const returned = Math.min(units, Math.max(0, returnable));
			returnable -= returned;
			const key = `${line.lineId}:restock:${locationId}`;
			lineKeys.push(key);
			items.push({
				kind: 'orderLine',
				id: `shopify:${ctx.shop}:order:${order.orderId}:line:${key}`,
				...common,
				sku: line.sku,
				...(note ? { note } : {}),
				refs,
				locationId: locationKey(ctx, locationId),
				quantity: -returned,
			});
		}
	}
	for (const item of items) item.lineIds = lineKeys;
	return items;
}

/** orders/create, orders/updated, orders/cancelled (REST-shaped webhook payloads) → order state. */
export function shopifyOrderFromWebhook(body: unknown): ShopifyOrderState {
	const order = requireRecord(body, 'body');
	const orderId = requireId(order.id ?? order.admin_graphql_api_id, 'order id');
	const updatedAtMs = requireTime(order.updated_at, 'updated_at');
	const locationId = optionalId(order.location_id, 'location_id');
	const lines = requireArray(order.line_items, 'line_items').map((raw, i) => {
		const line = requireRecord(raw, `line_items[${i}]`);
		return {
			lineId: requireId(line.id ?? line.admin_graphql_api_id, `line_items[${i}].id`),
			sku: skuOf(line.sku),
			quantity: requireQuantity(line.quantity, `line_items[${i}].quantity`),
			variantId: optionalId(line.variant_id, `line_items[${i}].variant_id`),
			productId: optionalId(line.product_id, `line_items[${i}].product_id`),
		};
	});
	const createdAtMs = optionalTime(order.created_at);
	return {
		orderId,
		updatedAtMs,
		...(createdAtMs === undefined ? {} : { createdAtMs }),
		locationId,
		lines,
		restocks: restocksFromRefunds(order.refunds),
	};
}

function restocksFromRefunds(value: unknown): ShopifyOrderState['restocks'] {
	if (value === undefined || value === null) return [];
	const restocks: ShopifyOrderState['restocks'] = [];
	requireArray(value, 'refunds').forEach((rawRefund, i) => {
		const refund = requireRecord(rawRefund, `refunds[${i}]`);
		const lines = refund.refund_line_items ?? [];
		requireArray(lines, `refunds[${i}].refund_line_items`).forEach((rawLine, j) => {
			const what = `refunds[${i}].refund_line_items[${j}]`;
			const line = requireRecord(rawLine, what);
			const restockType =
				typeof line.restock_type === 'string' ? line.restock_type.toLowerCase() : '';
			if (!RESTOCKING.has(restockType)) return;
			const nested = isRecord(line.line_item) ? line.line_item.id : undefined;
			restocks.push({
				lineId: requireId(line.line_item_id ?? nested, `${what}.line_item_id`),
				quantity: requireQuantity(line.quantity, `${what}.quantity`),
				locationId: optionalId(line.location_id, `${what}.location_id`),
			});
		});
	});
	return restocks;
}

function edges(connection: unknown, what: string): Record<string, unknown>[] {
	if (connection === null || connection === undefined) return [];
	const conn = requireRecord(connection, what);
	return requireArray(conn.edges, `${what}.edges`).map((e, i) =>
		requireRecord(requireRecord(e, `${what}.edges[${i}]`).node, `${what}.edges[${i}].node`),
	);
}

function nodeId(value: unknown, what: string): string | null {
	if (!isRecord(value)) return null;
	return optionalId(value.id, what);
}

/** The GraphQL `order(id:)` answer (shopifyQueries ORDER_FOR_STOCK) → the same order state. */
export function shopifyOrderFromGraphql(data: unknown): ShopifyOrderState {
	const order = requireRecord(data, 'order');
	const lines = edges(order.lineItems, 'lineItems').map((line, i) => ({
		lineId: requireId(line.id, `lineItems[${i}].id`),
		sku: skuOf(line.sku),
		quantity: requireQuantity(line.quantity, `lineItems[${i}].quantity`),
		variantId: nodeId(line.variant, `lineItems[${i}].variant.id`),
		productId: nodeId(line.product, `lineItems[${i}].product.id`),
	}));
	const restocks: ShopifyOrderState['restocks'] = [];
	requireArray(order.refunds ?? [], 'refunds').forEach((rawRefund, i) => {
		const refund = requireRecord(rawRefund, `refunds[${i}]`);
		edges(refund.refundLineItems, `refunds[${i}].refundLineItems`).forEach((line, j) => {
			const what = `refunds[${i}].refundLineItems[${j}]`;
			const restockType =
				typeof line.restockType === 'string' ? line.restockType.toLowerCase() : '';
			if (!RESTOCKING.has(restockType)) return;
			const lineId = nodeId(line.lineItem, `${what}.lineItem.id`);
			if (lineId === null) throw new ShapeError(`${what}.lineItem is missing`);
			restocks.push({
				lineId,
				quantity: requireQuantity(line.quantity, `${what}.quantity`),
				locationId: nodeId(line.location, `${what}.location.id`),
			});
		});
	});
	const createdAtMs = optionalTime(order.createdAt);
	return {
		orderId: requireId(order.id, 'order.id'),
		updatedAtMs: requireTime(order.updatedAt, 'order.updatedAt'),
		...(createdAtMs === undefined ? {} : { createdAtMs }),
		locationId: nodeId(order.retailLocation, 'order.retailLocation.id'),
		lines,
		restocks,
	};
}

/** refunds/create: which order to re-read (the payload has no whole order). */
export function shopifyRefundOrderId(body: unknown): string {
	const refund = requireRecord(body, 'body');
	return requireId(refund.order_id, 'order_id');
}

/** inventory_items/update → one `mapping` item (inventory item id ↔ SKU). */
export function shopifyInventoryItemMapping(body: unknown, ctx: ShopifyContext): InventoryEvent[] {
	const item = requireRecord(body, 'body');
	const itemId = requireId(item.id ?? item.admin_graphql_api_id, 'id');
	const version = requireTime(item.updated_at, 'updated_at');
	const sku = skuOf(item.sku);
	return [
		{
			kind: 'mapping',
			id: `shopify:${ctx.shop}:mapping:${itemId}`,
			...base(ctx, version),
			sku,
			...(sku === null ? { note: 'inventory item has no SKU: cannot be mapped' } : {}),
			refs: { inventoryItemId: itemId },
			locationId: null,
			quantity: null,
		},
	];
}

/** products/update → one `mapping` item per variant (its inventory item id, variant id, product id ↔ SKU). */
export function shopifyProductMappings(body: unknown, ctx: ShopifyContext): InventoryEvent[] {
	const product = requireRecord(body, 'body');
	const productId = requireId(product.id ?? product.admin_graphql_api_id, 'id');
	const version = requireTime(product.updated_at, 'updated_at');
	return requireArray(product.variants ?? [], 'variants').map((raw, i) => {
		const variant = requireRecord(raw, `variants[${i}]`);
		const itemId = requireId(variant.inventory_item_id, `variants[${i}].inventory_item_id`);
		const variantId = requireId(variant.id ?? variant.admin_graphql_api_id, `variants[${i}].id`);
		const sku = skuOf(variant.sku);
		return {
			kind: 'mapping' as const,
			id: `shopify:${ctx.shop}:mapping:${itemId}`,
			...base(ctx, version),
			sku,
			...(sku === null ? { note: 'variant has no SKU: cannot be mapped' } : {}),
			refs: { inventoryItemId: itemId, variantId, productId },
			locationId: null,
			quantity: null,
		};
	});
}
