import { idString } from './json';
import {
	type Id,
	type JsonObject,
	nextId,
	shopifyOrder,
	shopifyRefund,
	shopifyTime,
} from './payloads';
import { type ShopifyInventory, numericId } from './shopifyInventory';

/**
 * Sales on the simulated shop ("sells only what it shows", issue 17): `placeOrder` is a checkout that refuses
 * a line asking for more than the `available` quantity shown at the location it draws from (counted in
 * `refused`, so oversell is measurable), else creates the order (REST/webhook shape, `updated_at` now, served
 * by `order(id:)` and `orders(query:)`), lowers the levels (each change sends the signed
 * `inventory_levels/update`, as any stock change on the simulator does) and sends `orders/create`.
 * `cancelOrder` (restock or not: a restocking cancellation is refund lines with `restock_type: cancel`, as
 * Shopify records it) and `refundOrder` (`return` or `no_restock`) move stock back where the units came from
 * and send `orders/cancelled` + `orders/updated` (+ `refunds/create` when there are refund lines) and
 * `refunds/create` + `orders/updated`. Not simulated: Shopify's orders/updated that usually follows an
 * orders/create (payment capture), fulfilment, order edits.
 */

export interface ShopifyOrderLineInput {
	/** The inventory item by SKU, or by id (numeric or GID). */
	sku?: string;
	inventoryItemId?: Id;
	quantity: number;
	/** Location the units are drawn from; default the order's, then the simulator's sales location. */
	locationId?: Id;
}

export interface PlaceOrderSpec {
	id?: Id;
	lines: ShopifyOrderLineInput[];
	/** Location every line draws from unless it names its own. */
	locationId?: Id;
	/** A POS order: the order carries `location_id` (web orders carry null). */
	pos?: boolean;
}

/** A checkout refused because the shop does not show enough stock. */
export class ShopifyOutOfStockError extends Error {
	constructor(
		message: string,
		readonly inventoryItemId: string,
		readonly locationId: string,
		readonly available: number,
		readonly requested: number,
	) {
		super(message);
		this.name = 'ShopifyOutOfStockError';
	}
}

export interface RefusedOrder {
	at: string;
	inventoryItemId: string;
	locationId: string;
	available: number;
	requested: number;
}

export interface OrdersHooks {
	nowMs(): number;
	inventory: ShopifyInventory;
	/** Stores an order (REST shape) for the GraphQL reads. */
	putOrder(order: JsonObject): string;
	getOrder(id: string): JsonObject | undefined;
	/** Set a level and announce it (inventory_levels/update). */
	setLevel(itemId: string, locationId: string, available: number): void;
	/** Deliver an event to the topic's subscriptions (tracked by webhooksIdle). */
	deliver(topic: string, payload: JsonObject): void;
	log(entry: { op: 'order'; name: string; [k: string]: unknown }): void;
	/** The default location of sales (the `salesLocationId` option). */
	salesLocationId(): string | undefined;
}

interface PlacedLine {
	itemId: string;
	locationId: string;
	tracked: boolean;
}

export class ShopifyOrders {
	/** Refused checkouts (oversell attempts the shop did not allow). */
	readonly refused: RefusedOrder[] = [];
	/** Per variant: the inventory item; per item: its variant and product ids. */
	private readonly variants = new Map<string, { variantId: bigint; productId: bigint }>();
	/** Per order id: per line id, where its units came from. */
	private readonly placed = new Map<string, Map<string, PlacedLine>>();

	constructor(private readonly hooks: OrdersHooks) {}

	/** Variant and product ids of an inventory item (made up once, then stable). */
	variantOf(itemId: Id): { variantId: bigint; productId: bigint } {
		const key = numericId(idString(itemId), 'InventoryItem');
		let v = this.variants.get(key);
		if (!v) {
			v = { variantId: nextId('variant'), productId: nextId('product') };
			this.variants.set(key, v);
		}
		return v;
	}

	private itemFor(line: ShopifyOrderLineInput) {
		const inv = this.hooks.inventory;
		if (line.inventoryItemId !== undefined) {
			const item = inv.items.get(numericId(String(line.inventoryItemId), 'InventoryItem'));
			if (!item) throw new Error(`no inventory item ${String(line.inventoryItemId)}`);
			return item;
		}
		const item = [...inv.items.values()].find((i) => i.sku !== null && i.sku === line.sku);
		if (!item) throw new Error(`no inventory item with SKU ${line.sku}`);
		return item;
	}

	placeOrder(spec: PlaceOrderSpec): JsonObject {
		const at = new Date(this.hooks.nowMs()).toISOString();
		const resolved = spec.lines.map((l) => {
			const item = this.itemFor(l);
			const loc =
				l.locationId ??
				spec.locationId ??
				this.hooks.salesLocationId() ??
				[...item.levels.keys()].sort()[0];
			if (loc === undefined) throw new Error(`inventory item ${item.id} is stocked nowhere`);
			return { item, locationId: numericId(String(loc), 'Location'), quantity: l.quantity };
		});
		// Sum what the order asks per level, then compare with what the shop shows.
		const wanted = new Map<string, { itemId: string; locationId: string; qty: number }>();
		for (const r of resolved) {
			if (!r.item.tracked) continue;
			const k = `${r.item.id}|${r.locationId}`;
			const w = wanted.get(k) ?? { itemId: r.item.id, locationId: r.locationId, qty: 0 };
			w.qty += r.quantity;
			wanted.set(k, w);
		}
		for (const w of wanted.values()) {
			const level = this.hooks.inventory.level(w.itemId, w.locationId);
			const available = level?.available ?? 0;
			if (w.qty > available) {
				const sku = this.hooks.inventory.items.get(w.itemId)?.sku ?? w.itemId;
				this.refused.push({
					at,
					inventoryItemId: w.itemId,
					locationId: w.locationId,
					available,
					requested: w.qty,
				});
				this.hooks.log({
					op: 'order',
					name: 'refused',
					at,
					inventoryItemId: w.itemId,
					locationId: w.locationId,
					available,
					requested: w.qty,
				});
				throw new ShopifyOutOfStockError(
					level
						? `Not enough inventory: ${sku} shows ${available} available at location ${w.locationId}, ${w.qty} requested.`
						: `${sku} is not stocked at location ${w.locationId}.`,
					w.itemId,
					w.locationId,
					available,
					w.qty,
				);
			}
		}
		const now = new Date(Math.floor(this.hooks.nowMs() / 1000) * 1000);
		const orderLocation = spec.pos ? (resolved[0]?.locationId ?? null) : null;
		const lineIds = resolved.map(() => nextId('lineItem'));
		const order = shopifyOrder({
			id: spec.id ?? nextId('order'),
			lines: resolved.map((r, i) => {
				const v = this.variantOf(r.item.id);
				return {
					id: lineIds[i],
					sku: r.item.sku,
					variantId: v.variantId,
					productId: v.productId,
					quantity: r.quantity,
				};
			}),
			locationId: orderLocation,
			createdAt: now,
			updatedAt: now,
		});
		const id = this.hooks.putOrder(order);
		const lines = new Map<string, PlacedLine>();
		resolved.forEach((r, i) =>
			lines.set(idString(lineIds[i]), {
				itemId: r.item.id,
				locationId: r.locationId,
				tracked: r.item.tracked,
			}),
		);
		this.placed.set(id, lines);
		for (const w of wanted.values()) {
			const before = this.hooks.inventory.level(w.itemId, w.locationId)?.available ?? 0;
			this.hooks.setLevel(w.itemId, w.locationId, before - w.qty);
		}
		this.hooks.deliver('orders/create', order);
		this.hooks.log({ op: 'order', name: 'placed', at, orderId: id, lines: resolved.length });
		return order;
	}

	private mustGet(orderId: Id): { id: string; order: JsonObject; lines: Map<string, PlacedLine> } {
		const id = idString(orderId).replace(/^gid:\/\/shopify\/Order\//, '');
		const order = this.hooks.getOrder(id);
		if (!order) throw new Error(`no order ${id}`);
		return { id, order, lines: this.placed.get(id) ?? new Map() };
	}

	/** Add refund lines to an order, move restocked units back, stamp `updated_at`. Returns the refund. */
	private addRefund(
		id: string,
		order: JsonObject,
		lines: Map<string, PlacedLine>,
		refundLines: Array<{
			lineItemId: string;
			quantity: number;
			restockType: 'cancel' | 'return' | 'no_restock';
		}>,
	): JsonObject {
		const nowMs = this.hooks.nowMs();
		const byId = new Map(
			((order.line_items as JsonObject[]) ?? []).map((l) => [idString(l.id), l] as const),
		);
		const refund = shopifyRefund({
			orderId: BigInt(id),
			createdAt: new Date(Math.floor(nowMs / 1000) * 1000),
			lines: refundLines.map((r) => ({
				lineItemId: BigInt(r.lineItemId),
				quantity: r.quantity,
				restockType: r.restockType,
				locationId:
					r.restockType === 'no_restock'
						? null
						: BigInt(lines.get(r.lineItemId)?.locationId ?? '0'),
				lineItem: byId.get(r.lineItemId),
			})),
		});
		order.refunds = [...((order.refunds as JsonObject[] | undefined) ?? []), refund];
		for (const r of refundLines) {
			const line = byId.get(r.lineItemId);
			if (line) {
				line.current_quantity = Math.max(
					0,
					Number(line.current_quantity ?? line.quantity) - r.quantity,
				);
				line.fulfillable_quantity = Math.max(
					0,
					Number(line.fulfillable_quantity ?? 0) - r.quantity,
				);
			}
			const placed = lines.get(r.lineItemId);
			if (r.restockType !== 'no_restock' && placed?.tracked) {
				const before = this.hooks.inventory.level(placed.itemId, placed.locationId)?.available ?? 0;
				this.hooks.setLevel(placed.itemId, placed.locationId, before + r.quantity);
			}
		}
		order.updated_at = shopifyTime(new Date(Math.floor(nowMs / 1000) * 1000));
		return refund;
	}

	/**
	 * Cancel an order (final on Shopify). `restock` (default true) returns every unit still on the order to
	 * where it came from, recorded as refund lines `restock_type: cancel`.
	 */
	cancelOrder(orderId: Id, opts: { restock?: boolean; reason?: string } = {}): JsonObject {
		const { id, order, lines } = this.mustGet(orderId);
		if (order.cancelled_at) throw new Error(`order ${id} is already cancelled`);
		const restock = opts.restock ?? true;
		const refundLines = ((order.line_items as JsonObject[]) ?? [])
			.map((l) => ({
				lineItemId: idString(l.id),
				quantity: Number(l.current_quantity ?? l.quantity),
				restockType: 'cancel' as const,
			}))
			.filter((l) => l.quantity > 0);
		const refund =
			restock && refundLines.length > 0 ? this.addRefund(id, order, lines, refundLines) : null;
		const nowMs = this.hooks.nowMs();
		order.cancelled_at = shopifyTime(new Date(Math.floor(nowMs / 1000) * 1000));
		order.cancel_reason = opts.reason ?? 'customer';
		order.updated_at = order.cancelled_at;
		for (const l of (order.line_items as JsonObject[]) ?? []) l.fulfillable_quantity = 0;
		this.hooks.putOrder(order);
		this.hooks.deliver('orders/cancelled', order);
		this.hooks.deliver('orders/updated', order);
		if (refund) this.hooks.deliver('refunds/create', refund);
		this.hooks.log({
			op: 'order',
			name: 'cancelled',
			at: new Date(nowMs).toISOString(),
			orderId: id,
			restock,
		});
		return order;
	}

	/** Refund units of lines (by line id or SKU); `restock` → `return` (units back), else `no_restock`. */
	refundOrder(
		orderId: Id,
		refundLines: Array<{ lineItemId?: Id; sku?: string; quantity: number; restock?: boolean }>,
	): JsonObject {
		const { id, order, lines } = this.mustGet(orderId);
		const all = (order.line_items as JsonObject[]) ?? [];
		const spec = refundLines.map((r) => {
			const line =
				r.lineItemId !== undefined
					? all.find((l) => idString(l.id) === idString(r.lineItemId as Id))
					: all.find((l) => l.sku === r.sku);
			if (!line) throw new Error(`order ${id} has no line ${String(r.lineItemId ?? r.sku)}`);
			const left = Number(line.current_quantity ?? line.quantity);
			if (r.quantity > left)
				throw new Error(`line ${idString(line.id)} has only ${left} left to refund`);
			return {
				lineItemId: idString(line.id),
				quantity: r.quantity,
				restockType: (r.restock ?? true) ? ('return' as const) : ('no_restock' as const),
			};
		});
		const refund = this.addRefund(id, order, lines, spec);
		this.hooks.putOrder(order);
		this.hooks.deliver('refunds/create', refund);
		this.hooks.deliver('orders/updated', order);
		this.hooks.log({
			op: 'order',
			name: 'refunded',
			at: new Date(this.hooks.nowMs()).toISOString(),
			orderId: id,
		});
		return refund;
	}
}
