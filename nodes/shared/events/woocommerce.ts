import { EMPTY_ORDER_NOTE, type InventoryEvent } from './types';
import {
	ShapeError,
	eventBase,
	type ReceiptContext,
	isRecord,
	optionalId,
	requireArray,
	requireId,
	requireQuantity,
	requireRecord,
	requireTime,
	skuOf,
} from './common';

/**
 * WooCommerce payloads → canonical events (platform-facts "WooCommerce", design "Edge cases, decided").
 * Pure: the caller supplies the receipt context.
 */

export type WooContext = ReceiptContext;

/** Statuses at which WooCommerce has reduced stock (wc-stock-functions.php). */
const DRAWING_STATUSES = new Set(['processing', 'on-hold', 'completed']);
/** Statuses at which WooCommerce has restored it. Any other status leaves stock as it was. */
const RESTORED_STATUSES = new Set(['cancelled', 'pending']);

function base(ctx: WooContext, version: number) {
	return eventBase('woocommerce', ctx, version);
}

function metaValue(line: Record<string, unknown>, key: string): unknown {
	if (!Array.isArray(line.meta_data)) return undefined;
	for (const entry of line.meta_data) {
		if (isRecord(entry) && entry.key === key) return entry.value;
	}
	return undefined;
}

/** WooCommerce's timestamps: the `_gmt` field (UTC without a zone), else the site-local one as a last resort. */
function modifiedAt(record: Record<string, unknown>): number {
	if (record.date_modified_gmt !== undefined && record.date_modified_gmt !== null) {
		return requireTime(record.date_modified_gmt, 'date_modified_gmt', true);
	}
	if (record.date_created_gmt !== undefined && record.date_created_gmt !== null) {
		return requireTime(record.date_created_gmt, 'date_created_gmt', true);
	}
	throw new ShapeError('date_modified_gmt is missing');
}

/**
 * When the order took its stock: WooCommerce reduces it when the order first reaches processing / on-hold /
 * completed, between its creation and its payment. The payment time (`date_paid_gmt`) is the later bound: an
 * on-hold order paid after a count is drawn again (too little stock shown), never a pending order paid after
 * it left undrawn (overselling). Unpaid: `date_created_gmt`. undefined when the field is not a timestamp.
 */
function placedAtOf(order: Record<string, unknown>): string | undefined {
	for (const field of ['date_paid_gmt', 'date_created_gmt']) {
		const value = order[field];
		if (value === undefined || value === null || value === '') continue;
		try {
			return new Date(requireTime(value, field, true)).toISOString();
		} catch {
			return undefined;
		}
	}
	return undefined;
}

/**
 * order.created / order.updated → one `orderLine` per line with the units it draws now.
 *
 * WooCommerce keeps that number itself in the line meta `_reduced_stock` (set on reduction, lowered by a
 * restocked refund, deleted when stock is restored), so when any line of the order carries it, it is the
 * answer for every line (absent → 0). Only when no line carries it (old stores, plugins) do we fall back to
 * the status rule: processing / on-hold / completed → quantity − `_restock_refunded_items`; cancelled /
 * pending → 0; any other status → null, "unchanged": the Ledger keeps the line's stored units.
 *
 * An order without any line (edited down to nothing) gives one item for the order (`lineIds: []`, types.ts):
 * the lines it had draw 0, whatever the status.
 */
export function wooOrderLines(body: unknown, ctx: WooContext): InventoryEvent[] {
	const order = requireRecord(body, 'body');
	const orderId = requireId(order.id, 'id');
	const status = typeof order.status === 'string' ? order.status.toLowerCase() : null;
	if (status === null) throw new ShapeError('status is missing');
	const version = modifiedAt(order);
	const lines = requireArray(order.line_items, 'line_items').map((raw, i) =>
		requireRecord(raw, `line_items[${i}]`),
	);
	const hasTally = lines.some((line) => metaValue(line, '_reduced_stock') !== undefined);
	const placedAt = placedAtOf(order);

	const lineIds = lines.map((line, i) => requireId(line.id, `line_items[${i}].id`));
	if (lines.length === 0) {
		return [
			{
				kind: 'orderLine',
				id: `woocommerce:${ctx.shop}:order:${orderId}`,
				...base(ctx, version),
				lineIds: [],
				sku: null,
				note: EMPTY_ORDER_NOTE,
				refs: { orderId },
				locationId: null,
				quantity: 0,
			},
		];
	}
	return lines.map((line, i) => {
		const what = `line_items[${i}]`;
		const quantity = requireQuantity(line.quantity, `${what}.quantity`);
		let drawn: number | null;
		if (hasTally) {
			const tally = metaValue(line, '_reduced_stock');
			drawn =
				tally === undefined || tally === '' ? 0 : requireQuantity(tally, `${what}._reduced_stock`);
		} else if (DRAWING_STATUSES.has(status)) {
			const refunded = metaValue(line, '_restock_refunded_items');
			const restocked =
				refunded === undefined || refunded === ''
					? 0
					: requireQuantity(refunded, `${what}._restock_refunded_items`);
			drawn = Math.max(0, quantity - restocked);
		} else if (RESTORED_STATUSES.has(status)) {
			drawn = 0;
		} else {
			drawn = null;
		}
		const productId = optionalId(line.product_id, `${what}.product_id`);
		const variationId = optionalId(line.variation_id, `${what}.variation_id`);
		const sku = skuOf(line.sku);
		return {
			kind: 'orderLine' as const,
			id: `woocommerce:${ctx.shop}:order:${orderId}:line:${lineIds[i]}`,
			...base(ctx, version),
			...(placedAt === undefined ? {} : { placedAt }),
			lineIds,
			sku,
			...(sku === null ? { note: 'line has no SKU: not tracked' } : {}),
			refs: {
				orderId,
				...(productId && productId !== '0' ? { productId } : {}),
				...(variationId && variationId !== '0' ? { variantId: variationId } : {}),
			},
			locationId: null,
			quantity: drawn,
		};
	});
}

/**
 * product.updated (products and, on current versions, variations with `parent_id` set) → a `mapping` item
 * (product/variation id ↔ SKU) and, when WooCommerce manages its stock, an `observation` of the mirror's
 * own count at the one stock pool ('…:default'). An observation never sets the ledger (mirror safety).
 */
export function wooProductEvents(body: unknown, ctx: WooContext): InventoryEvent[] {
	const product = requireRecord(body, 'body');
	const id = requireId(product.id, 'id');
	const parentId = optionalId(product.parent_id, 'parent_id');
	const isVariation = parentId !== null && parentId !== '0';
	const version = modifiedAt(product);
	const sku = skuOf(product.sku);
	const refs = isVariation ? { productId: parentId, variantId: id } : { productId: id };
	const events: InventoryEvent[] = [
		{
			kind: 'mapping',
			id: `woocommerce:${ctx.shop}:mapping:${id}`,
			...base(ctx, version),
			sku,
			...(sku === null ? { note: 'product has no SKU: cannot be mapped' } : {}),
			refs,
			locationId: null,
			quantity: null,
		},
	];
	// manage_stock is true, false, or 'parent' on a variation whose parent holds the stock: only `true`
	// means this record's stock_quantity is a count we sync (manage_stock=false is out of scope).
	if (product.manage_stock === true) {
		events.push({
			kind: 'observation',
			id: `woocommerce:${ctx.shop}:observation:${id}`,
			...base(ctx, version),
			sku,
			...(sku === null ? { note: 'product has no SKU' } : {}),
			refs,
			locationId: `woocommerce:${ctx.shop}:default`,
			quantity: requireQuantity(product.stock_quantity, 'stock_quantity', { allowNegative: true }),
		});
	}
	return events;
}
