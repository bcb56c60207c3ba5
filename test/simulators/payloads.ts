import { toJson, toPhpJson, parseJsonBig, rawNumber, RawJsonNumber, idString } from './json';

/**
 * Realistic webhook payloads for tests and benchmarks, following the published examples: Shopify's webhook
 * reference (shopify.dev/docs/api/webhooks, REST/webhook resource shapes: orders, refunds, inventory levels and
 * items, products) and WooCommerce's REST API v3 resource shapes, which are exactly what WooCommerce webhooks
 * carry (`WC_Webhook::build_payload` returns the `/wc/v3/{resource}s/{id}` endpoint's data, `_links` included).
 * Field names, nesting and the usual extra fields are kept so body sizes are realistic.
 *
 * Ids: by default every id is a `BigInt` above 2^53 (64-bit range), so a receiver that parses with plain
 * `JSON.parse` loses them; serialise with `toJson` (bare exact integers). Pass your own ids (number, BigInt or
 * decimal string) to get realistic small ones. Ids come from per-kind counters: `resetIds()` makes a run
 * reproducible.
 *
 * Times: Shopify REST timestamps are shop-local with offset and one-second resolution
 * ("2026-11-26T01:02:03-05:00"); WooCommerce gives `date_*` in the site's time zone without offset and
 * `date_*_gmt` in UTC, both "YYYY-MM-DDTHH:MM:SS".
 */

export { toJson, toPhpJson, parseJsonBig, rawNumber, RawJsonNumber };

export type Id = bigint | number | string;
export type JsonObject = Record<string, unknown>;

const TWO_53 = 9007199254740992n;
const ID_BASES: Record<string, bigint> = {
	order: TWO_53 + 1n,
	lineItem: TWO_53 + 100_000_000_001n,
	variant: TWO_53 + 200_000_000_001n,
	product: TWO_53 + 300_000_000_001n,
	inventoryItem: TWO_53 + 400_000_000_001n,
	refund: TWO_53 + 500_000_000_001n,
	refundLineItem: TWO_53 + 600_000_000_001n,
	location: TWO_53 + 700_000_000_001n,
	customer: TWO_53 + 800_000_000_001n,
	transaction: TWO_53 + 900_000_000_001n,
	wooOrder: TWO_53 + 1_000_000_000_001n,
	wooLineItem: TWO_53 + 1_100_000_000_001n,
	wooProduct: TWO_53 + 1_200_000_000_001n,
	wooMeta: 10_001n,
};
const counters = new Map<string, bigint>();

/** Next id of a kind (BigInt above 2^53 for platform ids). */
export function nextId(kind: keyof typeof ID_BASES | string): bigint {
	const base = ID_BASES[kind] ?? TWO_53 + 5_000_000_000_001n;
	const n = counters.get(kind) ?? 0n;
	counters.set(kind, n + 1n);
	return base + n;
}

export function resetIds(): void {
	counters.clear();
}

/** An id as given: BigInt stays BigInt, a decimal string is written as a bare integer, a number as is. */
function idValue(v: Id): bigint | number | RawJsonNumber {
	if (typeof v === 'string') return rawNumber(idString(v));
	return v;
}

function gid(type: string, id: Id): string {
	return `gid://shopify/${type}/${idString(id)}`;
}

function pad(n: number, w = 2): string {
	return String(n).padStart(w, '0');
}

/** Shopify REST time: shop-local with offset, seconds ("2026-11-26T01:02:03-05:00"). */
export function shopifyTime(t: Date | string | number, offsetMinutes = -300): string {
	if (typeof t === 'string' && /[+-]\d\d:\d\d$/.test(t) && !t.endsWith('Z')) return t;
	const ms = new Date(t).getTime();
	const local = new Date(ms + offsetMinutes * 60_000);
	const sign = offsetMinutes < 0 ? '-' : '+';
	const abs = Math.abs(offsetMinutes);
	return (
		`${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}` +
		`T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}` +
		`${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
	);
}

/** WooCommerce REST time ("YYYY-MM-DDTHH:MM:SS", no offset), shifted by `offsetMinutes` from UTC. */
export function wooTime(t: Date | string | number, offsetMinutes = 0): string {
	const ms = new Date(
		typeof t === 'string' && !/[zZ]|[+-]\d\d:\d\d$/.test(t) ? t + 'Z' : t,
	).getTime();
	return new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 19);
}

function money(amount: string, currency = 'USD'): JsonObject {
	return {
		shop_money: { amount, currency_code: currency },
		presentment_money: { amount, currency_code: currency },
	};
}

function cents(n: number): string {
	return n.toFixed(2);
}

/** A money float as Shopify's Ruby JSON writes it: at least one decimal ("199.0", "195.67"). */
function rubyFloat(n: number): RawJsonNumber {
	const t = n.toFixed(2).replace(/0$/, '');
	return rawNumber(t.endsWith('.') ? t + '0' : t);
}

/* ------------------------------------------------------------------------------------------------------------
 * Shopify
 * ---------------------------------------------------------------------------------------------------------- */

export interface ShopifyLineSpec {
	id?: Id;
	/** null: a custom item (no variant, no product). */
	variantId?: Id | null;
	productId?: Id | null;
	/** null: no SKU (custom items). Default `SKU-<n>`. */
	sku?: string | null;
	quantity?: number;
	/** Quantity after edits and refunds; default quantity − units refunded on this line. */
	currentQuantity?: number;
	fulfillableQuantity?: number;
	price?: string;
	title?: string;
	variantTitle?: string | null;
	vendor?: string;
	grams?: number;
}

export type ShopifyRestockType = 'cancel' | 'return' | 'legacy_restock' | 'no_restock';

export interface ShopifyRefundLineSpec {
	lineItemId: Id;
	quantity: number;
	restockType: ShopifyRestockType;
	/** Where restocked units go; default the order's location (or the shop's default location). */
	locationId?: Id | null;
	/** Lines with the same refundId form one refund; each line is its own refund otherwise. */
	refundId?: Id;
	createdAt?: Date | string;
}

export interface ShopifyOrderSpec {
	id?: Id;
	/** A count of generated lines, or line specs. Default 2 lines. */
	lines?: number | ShopifyLineSpec[];
	/** true: cancelled without restock; 'restock': cancelled with restock (refund lines `restock_type: cancel`). */
	cancelled?: boolean | 'restock';
	cancelReason?: 'customer' | 'declined' | 'fraud' | 'inventory' | 'other' | 'staff';
	refunds?: ShopifyRefundLineSpec[];
	updatedAt?: Date | string;
	createdAt?: Date | string;
	/** POS orders carry their location; web orders null (the default). */
	locationId?: Id | null;
	/** Location restocked units go to when a refund line names none. */
	defaultLocationId?: Id;
	orderNumber?: number;
	email?: string;
	currency?: string;
	sourceName?: string;
	shopDomain?: string;
	/** Offset of the shop's time zone in minutes (default −300, America/New_York in winter). */
	utcOffsetMinutes?: number;
}

interface ResolvedLine {
	id: Id;
	spec: ShopifyLineSpec;
	json: JsonObject;
}

function shopifyLine(
	spec: ShopifyLineSpec,
	n: number,
	currency: string,
	cancelled: boolean,
	refunded: number,
): ResolvedLine {
	const id = spec.id ?? nextId('lineItem');
	const custom = spec.sku === null && spec.variantId === undefined ? true : spec.variantId === null;
	const variantId = custom ? null : (spec.variantId ?? nextId('variant'));
	const productId = custom
		? null
		: spec.productId === undefined
			? nextId('product')
			: spec.productId;
	const quantity = spec.quantity ?? 1;
	const current = spec.currentQuantity ?? Math.max(0, quantity - refunded);
	const price = spec.price ?? cents(19 + n * 10 + 0.99);
	const title = spec.title ?? (custom ? 'Custom engraving' : `Product ${n}`);
	const variantTitle =
		spec.variantTitle === undefined ? (custom ? null : 'Default Title') : spec.variantTitle;
	const sku = spec.sku === undefined ? (custom ? null : `SKU-${n}`) : spec.sku;
	const taxRate = 0.06;
	const tax = cents(Number(price) * quantity * taxRate);
	const json: JsonObject = {
		id: idValue(id),
		admin_graphql_api_id: gid('LineItem', id),
		attributed_staffs: [],
		current_quantity: current,
		fulfillable_quantity: spec.fulfillableQuantity ?? (cancelled ? 0 : current),
		fulfillment_service: 'manual',
		fulfillment_status: null,
		gift_card: false,
		grams: spec.grams ?? (custom ? 0 : 200),
		name: variantTitle && variantTitle !== 'Default Title' ? `${title} - ${variantTitle}` : title,
		price,
		price_set: money(price, currency),
		product_exists: !custom,
		product_id: productId === null ? null : idValue(productId),
		properties: [],
		quantity,
		requires_shipping: !custom,
		sku,
		taxable: true,
		title,
		total_discount: '0.00',
		total_discount_set: money('0.00', currency),
		variant_id: variantId === null ? null : idValue(variantId),
		variant_inventory_management: custom ? null : 'shopify',
		variant_title: variantTitle,
		vendor: spec.vendor ?? (custom ? null : 'Acme Apparel'),
		tax_lines: [
			{
				channel_liable: false,
				price: tax,
				price_set: money(tax, currency),
				rate: taxRate,
				title: 'NY State Tax',
			},
		],
		duties: [],
		discount_allocations: [],
	};
	return { id, spec, json };
}

function refundJson(
	orderId: Id,
	refundId: Id,
	createdAt: string,
	lines: Array<{
		spec: ShopifyRefundLineSpec;
		line: JsonObject | undefined;
		locationId: Id | null;
	}>,
	currency: string,
): JsonObject {
	let subtotal = 0;
	const refundLineItems = lines.map(({ spec, line, locationId }) => {
		const id = nextId('refundLineItem');
		const price = line ? Number(line.price) : 0;
		const sub = price * spec.quantity;
		subtotal += sub;
		const tax = sub * 0.06;
		return {
			id: idValue(id),
			line_item_id: idValue(spec.lineItemId),
			location_id: locationId === null ? null : idValue(locationId),
			quantity: spec.quantity,
			restock_type: spec.restockType,
			subtotal: rubyFloat(sub),
			subtotal_set: money(cents(sub), currency),
			total_tax: rubyFloat(tax),
			total_tax_set: money(cents(tax), currency),
			line_item: line ?? null,
		};
	});
	const restock = lines.some((l) => l.spec.restockType !== 'no_restock');
	const transactionId = nextId('transaction');
	return {
		id: idValue(refundId),
		admin_graphql_api_id: gid('Refund', refundId),
		created_at: createdAt,
		note: null,
		order_id: idValue(orderId),
		processed_at: createdAt,
		restock,
		total_duties_set: money('0.00', currency),
		user_id: null,
		order_adjustments: [],
		transactions: [
			{
				id: idValue(transactionId),
				admin_graphql_api_id: gid('OrderTransaction', transactionId),
				amount: cents(subtotal * 1.06),
				authorization: null,
				created_at: createdAt,
				currency,
				device_id: null,
				error_code: null,
				gateway: 'bogus',
				kind: 'refund',
				location_id: null,
				message: 'Bogus Gateway: Forced success',
				order_id: idValue(orderId),
				parent_id: null,
				payment_id: `#${idString(orderId).slice(-4)}.2`,
				processed_at: createdAt,
				receipt: { paid_amount: cents(subtotal * 1.06) },
				source_name: 'web',
				status: 'success',
				test: true,
				user_id: null,
			},
		],
		refund_line_items: refundLineItems,
		duties: [],
		additional_fees: [],
		total_additional_fees_set: money('0.00', currency),
		return: null,
		refund_shipping_lines: [],
	};
}

/** A Shopify order in the REST/webhook shape (orders/create, orders/updated, orders/cancelled). */
export function shopifyOrder(spec: ShopifyOrderSpec = {}): JsonObject {
	const id = spec.id ?? nextId('order');
	const currency = spec.currency ?? 'USD';
	const offset = spec.utcOffsetMinutes ?? -300;
	const updatedAt = shopifyTime(
		spec.updatedAt ?? new Date(Math.floor(Date.now() / 1000) * 1000),
		offset,
	);
	const createdAt = spec.createdAt ? shopifyTime(spec.createdAt, offset) : updatedAt;
	const cancelled = spec.cancelled === true || spec.cancelled === 'restock';
	const locationId = spec.locationId ?? null;
	const restockLocation = spec.defaultLocationId ?? locationId ?? nextId('location');
	const lineSpecs: ShopifyLineSpec[] =
		typeof spec.lines === 'number' || spec.lines === undefined
			? Array.from({ length: typeof spec.lines === 'number' ? spec.lines : 2 }, (_, i) => ({
					quantity: 1 + (i % 3),
				}))
			: spec.lines;

	// Pre-assign line ids so refund specs can name them.
	const withIds = lineSpecs.map((l) => ({ ...l, id: l.id ?? nextId('lineItem') }));
	const refundSpecs: ShopifyRefundLineSpec[] = [...(spec.refunds ?? [])];
	if (spec.cancelled === 'restock') {
		for (const l of withIds) {
			const already = refundSpecs
				.filter((r) => idString(r.lineItemId) === idString(l.id))
				.reduce((s, r) => s + r.quantity, 0);
			const remaining = (l.quantity ?? 1) - already;
			if (remaining > 0) {
				refundSpecs.push({
					lineItemId: l.id,
					quantity: remaining,
					restockType: 'cancel',
					refundId: 'cancel',
				});
			}
		}
	}
	const refundedByLine = new Map<string, number>();
	for (const r of refundSpecs) {
		const k = idString(r.lineItemId);
		refundedByLine.set(k, (refundedByLine.get(k) ?? 0) + r.quantity);
	}
	const lines = withIds.map((l, i) =>
		shopifyLine(l, i + 1, currency, cancelled, refundedByLine.get(idString(l.id)) ?? 0),
	);
	const lineById = new Map(lines.map((l) => [idString(l.id), l.json]));

	// Group refund lines into refunds.
	const groups = new Map<string, ShopifyRefundLineSpec[]>();
	refundSpecs.forEach((r, i) => {
		const key = r.refundId === undefined ? `#${i}` : String(r.refundId);
		groups.set(key, [...(groups.get(key) ?? []), r]);
	});
	const refunds: JsonObject[] = [];
	for (const [key, specs] of groups) {
		const refundId =
			key === 'cancel' || key.startsWith('#') ? nextId('refund') : (specs[0].refundId as Id);
		const at = specs[0].createdAt ? shopifyTime(specs[0].createdAt, offset) : updatedAt;
		refunds.push(
			refundJson(
				id,
				refundId,
				at,
				specs.map((s) => ({
					spec: s,
					line: lineById.get(idString(s.lineItemId)),
					locationId:
						s.restockType === 'no_restock'
							? (s.locationId ?? null)
							: s.locationId === undefined
								? restockLocation
								: s.locationId,
				})),
				currency,
			),
		);
	}

	const subtotal = lines.reduce(
		(s, l) => s + Number(l.json.price) * (l.json.quantity as number),
		0,
	);
	const current = lines.reduce(
		(s, l) => s + Number(l.json.price) * (l.json.current_quantity as number),
		0,
	);
	const tax = subtotal * 0.06;
	const currentTax = current * 0.06;
	const orderNumber = spec.orderNumber ?? 1000 + Number(BigInt(idString(id)) % 9000n);
	const email = spec.email ?? 'jon.doe@example.com';
	const refundedAny = refunds.length > 0;
	const financialStatus = !refundedAny
		? cancelled
			? 'voided'
			: 'paid'
		: current === 0
			? 'refunded'
			: 'partially_refunded';
	const customerId = nextId('customer');
	const address = {
		first_name: 'Jon',
		address1: '123 Main Street',
		phone: '555-555-5555',
		city: 'New York',
		zip: '10001',
		province: 'New York',
		country: 'United States',
		last_name: 'Doe',
		address2: 'Apt 4',
		company: null,
		latitude: 40.7506,
		longitude: -73.9971,
		name: 'Jon Doe',
		country_code: 'US',
		province_code: 'NY',
	};
	const shop = spec.shopDomain ?? 'demo-shop.myshopify.com';
	return {
		id: idValue(id),
		admin_graphql_api_id: gid('Order', id),
		app_id: 580111,
		browser_ip: '203.0.113.17',
		buyer_accepts_marketing: false,
		cancel_reason: cancelled ? (spec.cancelReason ?? 'customer') : null,
		cancelled_at: cancelled ? updatedAt : null,
		cart_token: null,
		checkout_id: idValue(nextId('checkout')),
		checkout_token: 'bd5a8aa1ecd019dd3520ff791ee3a24c',
		client_details: {
			accept_language: 'en-US,en;q=0.9',
			browser_height: 900,
			browser_ip: '203.0.113.17',
			browser_width: 1440,
			session_hash: null,
			user_agent:
				'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
		},
		closed_at: null,
		confirmation_number: 'HN7T2QKZA',
		confirmed: true,
		contact_email: email,
		created_at: createdAt,
		currency,
		current_subtotal_price: cents(current),
		current_subtotal_price_set: money(cents(current), currency),
		current_total_additional_fees_set: null,
		current_total_discounts: '0.00',
		current_total_discounts_set: money('0.00', currency),
		current_total_duties_set: null,
		current_total_price: cents(current + currentTax),
		current_total_price_set: money(cents(current + currentTax), currency),
		current_total_tax: cents(currentTax),
		current_total_tax_set: money(cents(currentTax), currency),
		customer_locale: 'en',
		device_id: null,
		discount_codes: [],
		duties_included: false,
		email,
		estimated_taxes: false,
		financial_status: financialStatus,
		fulfillment_status: null,
		landing_site: '/',
		landing_site_ref: null,
		location_id: locationId === null ? null : idValue(locationId),
		merchant_business_entity_id: 'MTY0NjQ5OTQ1OA',
		merchant_of_record_app_id: null,
		name: `#${orderNumber}`,
		note: null,
		note_attributes: [],
		number: orderNumber - 1000,
		order_number: orderNumber,
		order_status_url: `https://${shop}/64649945/orders/${'0123456789abcdef0123456789abcdef'}/authenticate?key=2c3e5b6f0f9e7b2b`,
		original_total_additional_fees_set: null,
		original_total_duties_set: null,
		payment_gateway_names: ['bogus'],
		phone: null,
		po_number: null,
		presentment_currency: currency,
		processed_at: createdAt,
		reference: null,
		referring_site: '',
		source_identifier: null,
		source_name: spec.sourceName ?? (locationId === null ? 'web' : 'pos'),
		source_url: null,
		subtotal_price: cents(subtotal),
		subtotal_price_set: money(cents(subtotal), currency),
		tags: '',
		tax_exempt: false,
		tax_lines: [
			{
				price: cents(tax),
				rate: 0.06,
				title: 'NY State Tax',
				price_set: money(cents(tax), currency),
				channel_liable: false,
			},
		],
		taxes_included: false,
		test: false,
		token: '123456abcd',
		total_cash_rounding_payment_adjustment_set: money('0.00', currency),
		total_cash_rounding_refund_adjustment_set: money('0.00', currency),
		total_discounts: '0.00',
		total_discounts_set: money('0.00', currency),
		total_line_items_price: cents(subtotal),
		total_line_items_price_set: money(cents(subtotal), currency),
		total_outstanding: '0.00',
		total_price: cents(subtotal + tax),
		total_price_set: money(cents(subtotal + tax), currency),
		total_shipping_price_set: money('0.00', currency),
		total_tax: cents(tax),
		total_tax_set: money(cents(tax), currency),
		total_tip_received: '0.00',
		total_weight: lines.reduce(
			(s, l) => s + (l.json.grams as number) * (l.json.quantity as number),
			0,
		),
		updated_at: updatedAt,
		user_id: null,
		billing_address: address,
		customer: {
			id: idValue(customerId),
			email,
			created_at: createdAt,
			updated_at: updatedAt,
			first_name: 'Jon',
			last_name: 'Doe',
			state: 'disabled',
			note: null,
			verified_email: true,
			multipass_identifier: null,
			tax_exempt: false,
			phone: null,
			currency,
			tax_exemptions: [],
			admin_graphql_api_id: gid('Customer', customerId),
			default_address: {
				id: idValue(nextId('address')),
				customer_id: idValue(customerId),
				...address,
				default: true,
			},
		},
		discount_applications: [],
		fulfillments: [],
		line_items: lines.map((l) => l.json),
		payment_terms: null,
		refunds,
		shipping_address: address,
		shipping_lines: [],
	};
}

export interface ShopifyRefundSpec {
	id?: Id;
	orderId: Id;
	lines: Array<ShopifyRefundLineSpec & { lineItem?: JsonObject }>;
	createdAt?: Date | string;
	currency?: string;
	utcOffsetMinutes?: number;
	defaultLocationId?: Id;
}

/** A refunds/create payload: the refund alone (no whole order: platform-facts "Cancellations and refunds"). */
export function shopifyRefund(spec: ShopifyRefundSpec): JsonObject {
	const id = spec.id ?? nextId('refund');
	const at = shopifyTime(
		spec.createdAt ?? new Date(Math.floor(Date.now() / 1000) * 1000),
		spec.utcOffsetMinutes ?? -300,
	);
	const loc = spec.defaultLocationId ?? nextId('location');
	return refundJson(
		spec.orderId,
		id,
		at,
		spec.lines.map((l) => ({
			spec: l,
			line:
				l.lineItem ??
				shopifyLine(
					{ id: l.lineItemId, quantity: l.quantity },
					1,
					spec.currency ?? 'USD',
					false,
					l.quantity,
				).json,
			locationId:
				l.restockType === 'no_restock'
					? (l.locationId ?? null)
					: l.locationId === undefined
						? loc
						: l.locationId,
		})),
		spec.currency ?? 'USD',
	);
}

export interface ShopifyInventoryLevelSpec {
	inventoryItemId: Id;
	locationId: Id;
	available: number | null;
	updatedAt?: Date | string;
	utcOffsetMinutes?: number;
}

/** inventory_levels/update: no SKU, no variant id (platform-facts). */
export function shopifyInventoryLevel(spec: ShopifyInventoryLevelSpec): JsonObject {
	return {
		inventory_item_id: idValue(spec.inventoryItemId),
		location_id: idValue(spec.locationId),
		available: spec.available,
		updated_at: shopifyTime(
			spec.updatedAt ?? new Date(Math.floor(Date.now() / 1000) * 1000),
			spec.utcOffsetMinutes ?? -300,
		),
		admin_graphql_api_id: `gid://shopify/InventoryLevel/${idString(spec.locationId)}?inventory_item_id=${idString(spec.inventoryItemId)}`,
	};
}

export interface ShopifyInventoryItemSpec {
	id?: Id;
	sku: string | null;
	tracked?: boolean;
	cost?: string | null;
	updatedAt?: Date | string;
	createdAt?: Date | string;
	utcOffsetMinutes?: number;
}

/** inventory_items/update. */
export function shopifyInventoryItem(spec: ShopifyInventoryItemSpec): JsonObject {
	const id = spec.id ?? nextId('inventoryItem');
	const off = spec.utcOffsetMinutes ?? -300;
	const updated = shopifyTime(
		spec.updatedAt ?? new Date(Math.floor(Date.now() / 1000) * 1000),
		off,
	);
	return {
		id: idValue(id),
		sku: spec.sku,
		created_at: spec.createdAt ? shopifyTime(spec.createdAt, off) : updated,
		updated_at: updated,
		requires_shipping: true,
		cost: spec.cost ?? null,
		country_code_of_origin: null,
		province_code_of_origin: null,
		harmonized_system_code: null,
		tracked: spec.tracked ?? true,
		country_harmonized_system_codes: [],
		admin_graphql_api_id: gid('InventoryItem', id),
	};
}

export interface ShopifyVariantSpec {
	id?: Id;
	sku: string | null;
	inventoryItemId?: Id;
	inventoryQuantity?: number;
	price?: string;
	title?: string;
}

export interface ShopifyProductSpec {
	id?: Id;
	title?: string;
	variants?: number | ShopifyVariantSpec[];
	updatedAt?: Date | string;
	utcOffsetMinutes?: number;
	status?: 'active' | 'draft' | 'archived';
}

/** products/update (variants carry inventory_item_id). */
export function shopifyProduct(spec: ShopifyProductSpec = {}): JsonObject {
	const id = spec.id ?? nextId('product');
	const off = spec.utcOffsetMinutes ?? -300;
	const updated = shopifyTime(
		spec.updatedAt ?? new Date(Math.floor(Date.now() / 1000) * 1000),
		off,
	);
	const title = spec.title ?? 'Example T-Shirt';
	const handle = title
		.toLowerCase()
		.replace(/[^a-z0-9]+/g, '-')
		.replace(/^-|-$/g, '');
	const sizes = ['Small', 'Medium', 'Large', 'X-Large', 'XX-Large'];
	const vspecs: ShopifyVariantSpec[] =
		typeof spec.variants === 'number' || spec.variants === undefined
			? Array.from({ length: typeof spec.variants === 'number' ? spec.variants : 2 }, (_, i) => ({
					sku: `${handle}-${(sizes[i % sizes.length] ?? 'x').toLowerCase()}${i >= sizes.length ? `-${i}` : ''}`,
				}))
			: spec.variants;
	const variants = vspecs.map((v, i) => {
		const vid = v.id ?? nextId('variant');
		const qty = v.inventoryQuantity ?? 10 + i;
		return {
			admin_graphql_api_id: gid('ProductVariant', vid),
			barcode: null,
			compare_at_price: '24.99',
			created_at: updated,
			id: idValue(vid),
			inventory_policy: 'deny',
			position: i + 1,
			price: v.price ?? '19.99',
			product_id: idValue(id),
			sku: v.sku,
			taxable: true,
			title: v.title ?? sizes[i % sizes.length],
			updated_at: updated,
			option1: v.title ?? sizes[i % sizes.length],
			option2: null,
			option3: null,
			image_id: null,
			inventory_item_id: idValue(v.inventoryItemId ?? nextId('inventoryItem')),
			inventory_quantity: qty,
			old_inventory_quantity: qty,
		};
	});
	return {
		admin_graphql_api_id: gid('Product', id),
		body_html: `<p>${title}, 100% organic cotton.</p>`,
		created_at: updated,
		handle,
		id: idValue(id),
		product_type: 'Shirts',
		published_at: updated,
		template_suffix: null,
		title,
		updated_at: updated,
		vendor: 'Acme Apparel',
		status: spec.status ?? 'active',
		published_scope: 'global',
		tags: 'cotton, mens, t-shirt',
		variants,
		options: [
			{
				name: 'Size',
				id: idValue(nextId('productOption')),
				product_id: idValue(id),
				position: 1,
				values: variants.map((v) => v.option1),
			},
		],
		images: [],
		image: null,
		media: [],
		variant_gids: variants.map((v) => ({
			admin_graphql_api_id: v.admin_graphql_api_id,
			updated_at: new Date(new Date(shopifyToIso(updated)).getTime()).toISOString(),
		})),
		has_variants_that_requires_components: false,
		category: null,
	};
}

function shopifyToIso(t: string): string {
	return new Date(t).toISOString();
}

/* ------------------------------------------------------------------------------------------------------------
 * WooCommerce
 * ---------------------------------------------------------------------------------------------------------- */

/** Default site time zone of the WooCommerce builders and simulator: UTC+2 (so `date_*` ≠ `date_*_gmt`). */
export const WOO_DEFAULT_UTC_OFFSET_MINUTES = 120;
export const WOO_DEFAULT_SITE = 'http://127.0.0.1';

export interface WooLineSpec {
	id?: Id;
	productId: Id;
	variationId?: Id;
	sku: string;
	quantity: number;
	/** `_reduced_stock` meta: what the line draws now. null/undefined: no meta. Numbers are written as strings, as read back from the DB. */
	reducedStock?: number | string | null;
	/** `_restock_refunded_items` meta. */
	restockRefunded?: number | string;
	name?: string;
	price?: number;
}

export type WooOrderStatus =
	| 'pending'
	| 'processing'
	| 'on-hold'
	| 'completed'
	| 'cancelled'
	| 'refunded'
	| 'failed'
	| 'checkout-draft'
	| string;

export interface WooOrderSpec {
	id?: Id;
	status: WooOrderStatus;
	lines: WooLineSpec[];
	dateModifiedGmt?: Date | string;
	dateCreatedGmt?: Date | string;
	currency?: string;
	utcOffsetMinutes?: number;
	siteUrl?: string;
	refunds?: Array<{ id: Id; total: string; reason?: string }>;
}

function meta(key: string, value: unknown): JsonObject {
	return { id: Number(nextId('wooMeta')), key, value, display_key: key, display_value: value };
}

/** A WooCommerce order as the REST API v3 gives it (order.created / order.updated webhook body). */
export function wooOrder(spec: WooOrderSpec): JsonObject {
	const id = spec.id ?? nextId('wooOrder');
	const off = spec.utcOffsetMinutes ?? WOO_DEFAULT_UTC_OFFSET_MINUTES;
	const site = (spec.siteUrl ?? WOO_DEFAULT_SITE).replace(/\/$/, '');
	const modified = spec.dateModifiedGmt ?? new Date(Math.floor(Date.now() / 1000) * 1000);
	const created = spec.dateCreatedGmt ?? modified;
	const currency = spec.currency ?? 'USD';
	const paidStatuses = ['processing', 'completed', 'on-hold', 'refunded'];
	const lines = spec.lines.map((l, i) => {
		const price = l.price ?? 18 + i * 3;
		const total = cents(price * l.quantity);
		const tax = cents(price * l.quantity * 0.1);
		const metaData: JsonObject[] = [];
		if (l.reducedStock !== undefined && l.reducedStock !== null)
			metaData.push(meta('_reduced_stock', String(l.reducedStock)));
		if (l.restockRefunded !== undefined)
			metaData.push(meta('_restock_refunded_items', String(l.restockRefunded)));
		const isVariation = l.variationId !== undefined && idString(l.variationId) !== '0';
		if (isVariation)
			metaData.unshift({ ...meta('pa_size', 'm'), display_key: 'Size', display_value: 'M' });
		return {
			id: idValue(l.id ?? nextId('wooLineItem')),
			name: l.name ?? (isVariation ? `Hoodie - M` : `Product ${i + 1}`),
			product_id: idValue(l.productId),
			variation_id: idValue(l.variationId ?? 0),
			quantity: l.quantity,
			tax_class: '',
			subtotal: total,
			subtotal_tax: tax,
			total,
			total_tax: tax,
			taxes: [{ id: 1, total: tax, subtotal: tax }],
			meta_data: metaData,
			sku: l.sku,
			global_unique_id: '',
			price,
			image: { id: '', src: '' },
			parent_name: isVariation ? 'Hoodie' : null,
		};
	});
	const itemsTotal = lines.reduce((s, l) => s + Number(l.total), 0);
	const taxTotal = lines.reduce((s, l) => s + Number(l.total_tax), 0);
	const paid = paidStatuses.includes(spec.status);
	const billing = {
		first_name: 'John',
		last_name: 'Doe',
		company: '',
		address_1: '969 Market',
		address_2: '',
		city: 'San Francisco',
		state: 'CA',
		postcode: '94103',
		country: 'US',
		email: 'john.doe@example.com',
		phone: '(555) 555-5555',
	};
	const { email: _e, phone: _p, ...shippingBase } = billing;
	void _e;
	void _p;
	return {
		id: idValue(id),
		parent_id: 0,
		status: spec.status,
		currency,
		version: '10.3.5',
		prices_include_tax: false,
		date_created: wooTime(created, off),
		date_modified: wooTime(modified, off),
		discount_total: '0.00',
		discount_tax: '0.00',
		shipping_total: '10.00',
		shipping_tax: '0.00',
		cart_tax: cents(taxTotal),
		total: cents(itemsTotal + taxTotal + 10),
		total_tax: cents(taxTotal),
		customer_id: 0,
		order_key: 'wc_order_58d2d042d1d',
		billing,
		shipping: { ...shippingBase, phone: '' },
		payment_method: 'bacs',
		payment_method_title: 'Direct bank transfer',
		transaction_id: '',
		customer_ip_address: '203.0.113.9',
		customer_user_agent:
			'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
		created_via: 'checkout',
		customer_note: '',
		date_completed: spec.status === 'completed' ? wooTime(modified, off) : null,
		date_paid: paid ? wooTime(created, off) : null,
		cart_hash: '3b2b4cf1c4ae0a1f7bd2c1ab5fd6f8a4',
		number: idString(id),
		meta_data: [
			{ id: Number(nextId('wooMeta')), key: 'is_vat_exempt', value: 'no' },
			{ id: Number(nextId('wooMeta')), key: '_wc_order_attribution_source_type', value: 'typein' },
		],
		line_items: lines,
		tax_lines: [
			{
				id: Number(nextId('wooMeta')),
				rate_code: 'US-CA-STATE TAX',
				rate_id: 1,
				label: 'State Tax',
				compound: false,
				tax_total: cents(taxTotal),
				shipping_tax_total: '0.00',
				rate_percent: 10,
				meta_data: [],
			},
		],
		shipping_lines: [
			{
				id: Number(nextId('wooMeta')),
				method_title: 'Flat rate',
				method_id: 'flat_rate',
				instance_id: '1',
				total: '10.00',
				total_tax: '0.00',
				taxes: [],
				tax_status: 'taxable',
				meta_data: [
					{
						id: Number(nextId('wooMeta')),
						key: 'Items',
						value: lines.map((l) => `${l.name} &times; ${l.quantity}`).join(', '),
						display_key: 'Items',
						display_value: lines.map((l) => `${l.name} &times; ${l.quantity}`).join(', '),
					},
				],
			},
		],
		fee_lines: [],
		coupon_lines: [],
		refunds: (spec.refunds ?? []).map((r) => ({
			id: idValue(r.id),
			reason: r.reason ?? '',
			total: r.total,
		})),
		payment_url: `${site}/checkout/order-pay/${idString(id)}/?pay_for_order=true&key=wc_order_58d2d042d1d`,
		is_editable: spec.status === 'pending' || spec.status === 'on-hold' || spec.status === 'failed',
		needs_payment: spec.status === 'pending' || spec.status === 'failed',
		needs_processing: true,
		date_created_gmt: wooTime(created),
		date_modified_gmt: wooTime(modified),
		date_completed_gmt: spec.status === 'completed' ? wooTime(modified) : null,
		date_paid_gmt: paid ? wooTime(created) : null,
		currency_symbol: '$',
		_links: {
			self: [{ href: `${site}/wp-json/wc/v3/orders/${idString(id)}` }],
			collection: [{ href: `${site}/wp-json/wc/v3/orders` }],
		},
	};
}

export interface WooProductSpec {
	id?: Id;
	sku: string;
	stockQuantity?: number | null;
	manageStock?: boolean;
	type?: 'simple' | 'variable' | 'grouped' | 'external';
	/** Variation ids of a variable product. */
	variations?: Id[];
	name?: string;
	price?: string;
	dateModifiedGmt?: Date | string;
	dateCreatedGmt?: Date | string;
	utcOffsetMinutes?: number;
	siteUrl?: string;
	stockStatus?: 'instock' | 'outofstock' | 'onbackorder';
}

function stockStatusOf(manage: boolean, qty: number | null | undefined): string {
	if (!manage) return 'instock';
	return (qty ?? 0) > 0 ? 'instock' : 'outofstock';
}

/** A WooCommerce product as REST v3 gives it (product.updated webhook body). */
export function wooProduct(spec: WooProductSpec): JsonObject {
	const id = spec.id ?? nextId('wooProduct');
	const off = spec.utcOffsetMinutes ?? WOO_DEFAULT_UTC_OFFSET_MINUTES;
	const site = (spec.siteUrl ?? WOO_DEFAULT_SITE).replace(/\/$/, '');
	const modified = spec.dateModifiedGmt ?? new Date(Math.floor(Date.now() / 1000) * 1000);
	const created = spec.dateCreatedGmt ?? modified;
	const type = spec.type ?? (spec.variations && spec.variations.length > 0 ? 'variable' : 'simple');
	const manage = spec.manageStock ?? type !== 'variable';
	const qty = manage ? (spec.stockQuantity ?? 0) : null;
	const name = spec.name ?? (type === 'variable' ? 'Hoodie' : 'Premium Quality T-Shirt');
	const slug = name
		.toLowerCase()
		.replace(/[^a-z0-9]+/g, '-')
		.replace(/^-|-$/g, '');
	const price = spec.price ?? '21.99';
	return {
		id: idValue(id),
		name,
		slug,
		permalink: `${site}/product/${slug}/`,
		date_created: wooTime(created, off),
		date_created_gmt: wooTime(created),
		date_modified: wooTime(modified, off),
		date_modified_gmt: wooTime(modified),
		type,
		status: 'publish',
		featured: false,
		catalog_visibility: 'visible',
		description:
			'<p>Pellentesque habitant morbi tristique senectus et netus et malesuada fames ac turpis egestas.</p>\n',
		short_description:
			'<p>Vestibulum tortor quam, feugiat vitae, ultricies eget, tempor sit amet, ante.</p>\n',
		sku: spec.sku,
		price,
		regular_price: type === 'variable' ? '' : price,
		sale_price: '',
		date_on_sale_from: null,
		date_on_sale_from_gmt: null,
		date_on_sale_to: null,
		date_on_sale_to_gmt: null,
		on_sale: false,
		purchasable: true,
		total_sales: 37,
		virtual: false,
		downloadable: false,
		downloads: [],
		download_limit: -1,
		download_expiry: -1,
		external_url: '',
		button_text: '',
		tax_status: 'taxable',
		tax_class: '',
		manage_stock: manage,
		stock_quantity: qty,
		backorders: 'no',
		backorders_allowed: false,
		backordered: false,
		low_stock_amount: null,
		sold_individually: false,
		weight: '0.3',
		dimensions: { length: '', width: '', height: '' },
		shipping_required: true,
		shipping_taxable: true,
		shipping_class: '',
		shipping_class_id: 0,
		reviews_allowed: true,
		average_rating: '0.00',
		rating_count: 0,
		upsell_ids: [],
		cross_sell_ids: [],
		parent_id: 0,
		purchase_note: '',
		categories: [{ id: 9, name: 'Clothing', slug: 'clothing' }],
		brands: [],
		tags: [],
		images: [
			{
				id: 792,
				date_created: wooTime(created, off),
				date_created_gmt: wooTime(created),
				date_modified: wooTime(created, off),
				date_modified_gmt: wooTime(created),
				src: `${site}/wp-content/uploads/2026/01/${slug}.jpg`,
				name: slug,
				alt: '',
			},
		],
		attributes:
			type === 'variable'
				? [
						{
							id: 1,
							name: 'Size',
							slug: 'pa_size',
							position: 0,
							visible: true,
							variation: true,
							options: ['S', 'M', 'L'],
						},
					]
				: [],
		default_attributes: [],
		variations: (spec.variations ?? []).map(idValue),
		grouped_products: [],
		menu_order: 0,
		price_html: `<span class="woocommerce-Price-amount amount"><bdi><span class="woocommerce-Price-currencySymbol">&#36;</span>${price}</bdi></span>`,
		related_ids: [31, 22, 369],
		meta_data: [],
		stock_status: spec.stockStatus ?? stockStatusOf(manage, qty),
		has_options: type === 'variable',
		post_password: '',
		global_unique_id: '',
		_links: {
			self: [{ href: `${site}/wp-json/wc/v3/products/${idString(id)}` }],
			collection: [{ href: `${site}/wp-json/wc/v3/products` }],
		},
	};
}

export interface WooVariationSpec {
	id?: Id;
	parentId: Id;
	sku: string;
	stockQuantity?: number | null;
	/** true, false, or 'parent' (stock managed at the parent product). */
	manageStock?: boolean | 'parent';
	attributes?: Array<{ id?: number; name: string; option: string }>;
	price?: string;
	parentName?: string;
	dateModifiedGmt?: Date | string;
	dateCreatedGmt?: Date | string;
	utcOffsetMinutes?: number;
	siteUrl?: string;
}

/**
 * A variation as a `product.updated` webhook carries it on current WooCommerce (the payload is the
 * `/wc/v3/products/<variation id>` data: product fields, `type: "variation"`, `parent_id` set).
 */
export function wooVariation(spec: WooVariationSpec): JsonObject {
	const attributes = spec.attributes ?? [{ id: 1, name: 'Size', option: 'M' }];
	const parentName = spec.parentName ?? 'Hoodie';
	const base = wooProduct({
		id: spec.id,
		sku: spec.sku,
		stockQuantity: spec.stockQuantity,
		manageStock: spec.manageStock === 'parent' ? false : (spec.manageStock ?? true),
		name: `${parentName} - ${attributes.map((a) => a.option).join(', ')}`,
		price: spec.price ?? '45.00',
		dateModifiedGmt: spec.dateModifiedGmt,
		dateCreatedGmt: spec.dateCreatedGmt,
		utcOffsetMinutes: spec.utcOffsetMinutes,
		siteUrl: spec.siteUrl,
		type: 'simple',
	});
	const site = (spec.siteUrl ?? WOO_DEFAULT_SITE).replace(/\/$/, '');
	const parentSlug = parentName.toLowerCase().replace(/[^a-z0-9]+/g, '-');
	return {
		...base,
		type: 'variation',
		slug: `${parentSlug}-${attributes.map((a) => a.option.toLowerCase()).join('-')}`,
		permalink: `${site}/product/${parentSlug}/?${attributes.map((a) => `attribute_pa_${a.name.toLowerCase()}=${a.option.toLowerCase()}`).join('&')}`,
		catalog_visibility: 'visible',
		short_description: '',
		description: '',
		manage_stock: spec.manageStock === undefined ? true : spec.manageStock,
		stock_quantity: spec.manageStock === false ? null : (spec.stockQuantity ?? 0),
		parent_id: idValue(spec.parentId),
		categories: [],
		attributes: attributes.map((a) => ({
			id: a.id ?? 1,
			name: a.name,
			slug: `pa_${a.name.toLowerCase()}`,
			option: a.option,
		})),
		variations: [],
		related_ids: [],
		has_options: false,
		_links: {
			self: [{ href: `${site}/wp-json/wc/v3/products/${idString(base.id)}` }],
			collection: [{ href: `${site}/wp-json/wc/v3/products` }],
			up: [{ href: `${site}/wp-json/wc/v3/products/${idString(spec.parentId)}` }],
		},
	};
}
