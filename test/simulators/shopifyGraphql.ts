import { GraphQLError, buildSchema, type GraphQLSchema } from 'graphql';
import { idString, parseJsonBig } from './json';
import { compareTerm, matchesSearch, parseSearchQuery, searchDateMs } from './shopifySearch';

/**
 * The slice of the Shopify Admin GraphQL API (shopify.dev/docs/api/admin-graphql, 2026-04+) the simulator
 * serves: `shop`, webhook subscriptions (list/create/update/delete, `uri` — the replacement of the deprecated
 * `callbackUrl`, shopify.dev/changelog/consolidate-webhook-graphql-surfaces), `order(id:)` with line items and
 * refunds (what `ORDER_FOR_STOCK` in nodes/shared/shopifyQueries.ts asks), `orders(query:, sortKey:)` (filters
 * `updated_at`, `created_at`, `processed_at`, `id`; sort keys UPDATED_AT, CREATED_AT, PROCESSED_AT — the
 * default, as Shopify's — and ID; the others sort by id) and `node`/`nodes`. Not simulated: the 60-day window
 * of orders without `read_all_orders`. Names, nullability
 * and enums follow the public schema; types and fields nobody here uses are left out.
 *
 * Platform rules kept:
 * - Connections require `first` or `last` ("you must provide one of first or last"); page sizes above 250 are
 *   cut to 250 (the documented maximum page size). Cursors are opaque base64 strings.
 * - Ids are GIDs (`gid://shopify/Order/<id>`); `legacyResourceId` is the numeric id as a string
 *   (UnsignedInt64). A string that is not a GID is refused with "Invalid global id".
 * - `webhookSubscriptionCreate` reports problems as `userErrors`, never as GraphQL errors: a topic+address pair
 *   that exists gives "Address for this topic has already been taken"; an unusable address "Address is invalid";
 *   plain `http://` "Address protocol http:// is not supported" — except for loopback hosts (127.0.0.1,
 *   localhost, ::1), which the simulator accepts so tests can receive deliveries (Shopify itself requires
 *   HTTPS, or a Pub/Sub or EventBridge address).
 * - DateTime values are UTC ISO-8601 with seconds ("2026-11-26T01:02:03Z").
 */

export const SDL = /* GraphQL */ `
	scalar DateTime
	scalar URL
	scalar UnsignedInt64

	interface Node {
		id: ID!
	}

	type PageInfo {
		hasNextPage: Boolean!
		hasPreviousPage: Boolean!
		startCursor: String
		endCursor: String
	}

	type UserError {
		field: [String!]
		message: String!
	}

	enum CurrencyCode {
		USD
		EUR
		GBP
		CAD
		AUD
	}

	type Shop implements Node {
		id: ID!
		name: String!
		email: String!
		myshopifyDomain: String!
		url: URL!
		currencyCode: CurrencyCode!
		ianaTimezone: String!
	}

	type ApiVersion {
		handle: String!
		displayName: String!
		supported: Boolean!
	}

	enum WebhookSubscriptionFormat {
		JSON
		XML
	}
	enum WebhookSubscriptionSortKeys {
		CREATED_AT
		ID
		RELEVANCE
	}

	enum WebhookSubscriptionTopic {
		APP_UNINSTALLED
		BULK_OPERATIONS_FINISH
		FULFILLMENTS_CREATE
		FULFILLMENTS_UPDATE
		INVENTORY_ITEMS_CREATE
		INVENTORY_ITEMS_DELETE
		INVENTORY_ITEMS_UPDATE
		INVENTORY_LEVELS_CONNECT
		INVENTORY_LEVELS_DISCONNECT
		INVENTORY_LEVELS_UPDATE
		LOCATIONS_ACTIVATE
		LOCATIONS_CREATE
		LOCATIONS_DEACTIVATE
		LOCATIONS_DELETE
		LOCATIONS_UPDATE
		ORDERS_CANCELLED
		ORDERS_CREATE
		ORDERS_DELETE
		ORDERS_EDITED
		ORDERS_FULFILLED
		ORDERS_PAID
		ORDERS_PARTIALLY_FULFILLED
		ORDERS_UPDATED
		ORDER_TRANSACTIONS_CREATE
		PRODUCTS_CREATE
		PRODUCTS_DELETE
		PRODUCTS_UPDATE
		REFUNDS_CREATE
		SHOP_UPDATE
	}

	type WebhookSubscription implements Node {
		id: ID!
		legacyResourceId: UnsignedInt64!
		topic: WebhookSubscriptionTopic!
		uri: String!
		callbackUrl: URL! @deprecated(reason: "Use uri instead.")
		format: WebhookSubscriptionFormat!
		includeFields: [String!]!
		metafieldNamespaces: [String!]!
		filter: String
		apiVersion: ApiVersion!
		createdAt: DateTime!
		updatedAt: DateTime!
	}

	type WebhookSubscriptionEdge {
		cursor: String!
		node: WebhookSubscription!
	}
	type WebhookSubscriptionConnection {
		edges: [WebhookSubscriptionEdge!]!
		nodes: [WebhookSubscription!]!
		pageInfo: PageInfo!
	}

	input WebhookSubscriptionInput {
		uri: String
		callbackUrl: URL
		format: WebhookSubscriptionFormat
		includeFields: [String!]
		metafieldNamespaces: [String!]
		filter: String
	}

	type WebhookSubscriptionCreatePayload {
		webhookSubscription: WebhookSubscription
		userErrors: [UserError!]!
	}
	type WebhookSubscriptionUpdatePayload {
		webhookSubscription: WebhookSubscription
		userErrors: [UserError!]!
	}
	type WebhookSubscriptionDeletePayload {
		deletedWebhookSubscriptionId: ID
		userErrors: [UserError!]!
	}

	type Location implements Node {
		id: ID!
		legacyResourceId: UnsignedInt64!
		name: String!
	}

	type Product implements Node {
		id: ID!
		legacyResourceId: UnsignedInt64!
		title: String!
	}

	type ProductVariant implements Node {
		id: ID!
		legacyResourceId: UnsignedInt64!
		sku: String
		title: String!
	}

	type LineItem implements Node {
		id: ID!
		name: String!
		title: String!
		sku: String
		quantity: Int!
		currentQuantity: Int!
		unfulfilledQuantity: Int!
		refundableQuantity: Int!
		restockable: Boolean!
		vendor: String
		variantTitle: String
		variant: ProductVariant
		product: Product
	}
	type LineItemEdge {
		cursor: String!
		node: LineItem!
	}
	type LineItemConnection {
		edges: [LineItemEdge!]!
		nodes: [LineItem!]!
		pageInfo: PageInfo!
	}

	enum RefundLineItemRestockType {
		CANCEL
		LEGACY_RESTOCK
		NO_RESTOCK
		RETURN
	}

	type RefundLineItem {
		id: ID
		quantity: Int!
		restockType: RefundLineItemRestockType!
		restocked: Boolean!
		location: Location
		lineItem: LineItem!
	}
	type RefundLineItemEdge {
		cursor: String!
		node: RefundLineItem!
	}
	type RefundLineItemConnection {
		edges: [RefundLineItemEdge!]!
		nodes: [RefundLineItem!]!
		pageInfo: PageInfo!
	}

	type Refund implements Node {
		id: ID!
		legacyResourceId: UnsignedInt64!
		createdAt: DateTime
		updatedAt: DateTime!
		note: String
		refundLineItems(
			first: Int
			after: String
			last: Int
			before: String
			reverse: Boolean = false
		): RefundLineItemConnection!
	}

	enum OrderCancelReason {
		CUSTOMER
		DECLINED
		FRAUD
		INVENTORY
		OTHER
		STAFF
	}

	type Order implements Node {
		id: ID!
		legacyResourceId: UnsignedInt64!
		name: String!
		email: String
		test: Boolean!
		sourceName: String
		createdAt: DateTime!
		updatedAt: DateTime!
		processedAt: DateTime!
		cancelledAt: DateTime
		cancelReason: OrderCancelReason
		closed: Boolean!
		closedAt: DateTime
		retailLocation: Location
		lineItems(
			first: Int
			after: String
			last: Int
			before: String
			reverse: Boolean = false
		): LineItemConnection!
		refunds(first: Int): [Refund!]!
	}

	enum OrderSortKeys {
		CREATED_AT
		CUSTOMER_NAME
		DESTINATION
		FINANCIAL_STATUS
		FULFILLMENT_STATUS
		ID
		ORDER_NUMBER
		PO_NUMBER
		PROCESSED_AT
		RELEVANCE
		TOTAL_ITEMS_QUANTITY
		TOTAL_PRICE
		UPDATED_AT
	}

	type OrderEdge {
		cursor: String!
		node: Order!
	}
	type OrderConnection {
		edges: [OrderEdge!]!
		nodes: [Order!]!
		pageInfo: PageInfo!
	}

	type Query {
		shop: Shop!
		orders(
			first: Int
			after: String
			last: Int
			before: String
			reverse: Boolean = false
			sortKey: OrderSortKeys = PROCESSED_AT
			query: String
			savedSearchId: ID
		): OrderConnection!
		node(id: ID!): Node
		nodes(ids: [ID!]!): [Node]!
		order(id: ID!): Order
		webhookSubscription(id: ID!): WebhookSubscription
		webhookSubscriptions(
			first: Int
			after: String
			last: Int
			before: String
			reverse: Boolean = false
			sortKey: WebhookSubscriptionSortKeys = CREATED_AT
			topics: [WebhookSubscriptionTopic!]
			uri: String
			callbackUrl: URL @deprecated(reason: "Use uri instead.")
			format: WebhookSubscriptionFormat
			query: String
		): WebhookSubscriptionConnection!
	}

	type Mutation {
		webhookSubscriptionCreate(
			topic: WebhookSubscriptionTopic!
			webhookSubscription: WebhookSubscriptionInput!
		): WebhookSubscriptionCreatePayload
		webhookSubscriptionUpdate(
			id: ID!
			webhookSubscription: WebhookSubscriptionInput!
		): WebhookSubscriptionUpdatePayload
		webhookSubscriptionDelete(id: ID!): WebhookSubscriptionDeletePayload
	}
`;

/** GraphQL topic enum → webhook topic as in `X-Shopify-Topic`. */
export const TOPIC_ENUM_TO_REST: Record<string, string> = {
	APP_UNINSTALLED: 'app/uninstalled',
	BULK_OPERATIONS_FINISH: 'bulk_operations/finish',
	FULFILLMENTS_CREATE: 'fulfillments/create',
	FULFILLMENTS_UPDATE: 'fulfillments/update',
	INVENTORY_ITEMS_CREATE: 'inventory_items/create',
	INVENTORY_ITEMS_DELETE: 'inventory_items/delete',
	INVENTORY_ITEMS_UPDATE: 'inventory_items/update',
	INVENTORY_LEVELS_CONNECT: 'inventory_levels/connect',
	INVENTORY_LEVELS_DISCONNECT: 'inventory_levels/disconnect',
	INVENTORY_LEVELS_UPDATE: 'inventory_levels/update',
	LOCATIONS_ACTIVATE: 'locations/activate',
	LOCATIONS_CREATE: 'locations/create',
	LOCATIONS_DEACTIVATE: 'locations/deactivate',
	LOCATIONS_DELETE: 'locations/delete',
	LOCATIONS_UPDATE: 'locations/update',
	ORDERS_CANCELLED: 'orders/cancelled',
	ORDERS_CREATE: 'orders/create',
	ORDERS_DELETE: 'orders/delete',
	ORDERS_EDITED: 'orders/edited',
	ORDERS_FULFILLED: 'orders/fulfilled',
	ORDERS_PAID: 'orders/paid',
	ORDERS_PARTIALLY_FULFILLED: 'orders/partially_fulfilled',
	ORDERS_UPDATED: 'orders/updated',
	ORDER_TRANSACTIONS_CREATE: 'order_transactions/create',
	PRODUCTS_CREATE: 'products/create',
	PRODUCTS_DELETE: 'products/delete',
	PRODUCTS_UPDATE: 'products/update',
	REFUNDS_CREATE: 'refunds/create',
	SHOP_UPDATE: 'shop/update',
};

export const TOPIC_REST_TO_ENUM: Record<string, string> = Object.fromEntries(
	Object.entries(TOPIC_ENUM_TO_REST).map(([k, v]) => [v, k]),
);

export interface WebhookSubscriptionRecord {
	/** Numeric id (string). */
	id: string;
	/** GraphQL enum spelling, e.g. ORDERS_CREATE. */
	topic: string;
	uri: string;
	format: 'JSON' | 'XML';
	includeFields: string[];
	metafieldNamespaces: string[];
	filter: string | null;
	apiVersion: string;
	createdAt: string;
	updatedAt: string;
}

/** What the resolvers read and change; the simulator owns it. */
export interface ShopifyStore {
	shopName: string;
	shopDomain: string;
	apiVersion: string;
	subscriptions: Map<string, WebhookSubscriptionRecord>;
	orders: Map<string, Record<string, unknown>>;
	locationNames: Map<string, string>;
	newSubscriptionId(): string;
	nowMs(): number;
	/** Accept http:// webhook addresses on loopback hosts (test deliveries). */
	allowHttpLoopback: boolean;
	/**
	 * Resolve a GID (type, numeric id, the part after `?`) to a served object with `__typename`, for `node` and
	 * `nodes`; undefined: not one of its types (the built-in ones — Order, WebhookSubscription — are tried).
	 */
	resolveNode?(type: string, id: string, query: string): Record<string, unknown> | null | undefined;
}

const MAX_PAGE_SIZE = 250;

/** The order filters the simulator implements (Shopify has many more; others are ignored with a warning). */
const ORDER_SEARCH_FIELDS = ['updated_at', 'created_at', 'processed_at', 'id'] as const;

export function gid(type: string, id: string): string {
	return `gid://shopify/${type}/${id}`;
}

const GID = /^gid:\/\/shopify\/([A-Za-z]+)\/([0-9]+)(\?.*)?$/;

/** type, numeric id and query part of a GID; a GraphQL error for a string that is no GID. */
export function splitGid(value: string): { type: string; id: string; query: string } {
	const m = GID.exec(value);
	if (!m) {
		throw new GraphQLError(`Invalid global id '${value}'`, {
			extensions: { code: 'argumentLiteralsIncompatible', typeName: 'CoercionError' },
		});
	}
	return { type: m[1], id: m[2], query: (m[3] ?? '').replace(/^\?/, '') };
}

/** The numeric id of a GID of `type`; null for a GID of another type; an error for a string that is no GID. */
function parseGid(value: string, type: string): string | null {
	const m = GID.exec(value);
	if (!m) {
		throw new GraphQLError(`Invalid global id '${value}'`, {
			extensions: { code: 'argumentLiteralsIncompatible', typeName: 'CoercionError' },
		});
	}
	return m[1] === type ? m[2] : null;
}

export function shopifyDateTime(value: unknown): string | null {
	if (value === null || value === undefined || value === '') return null;
	const ms = typeof value === 'number' ? value : new Date(String(value)).getTime();
	if (Number.isNaN(ms)) return null;
	return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.000Z$/, 'Z');
}

function encodeCursor(id: string): string {
	return Buffer.from(`{"last_id":${id},"last_value":"${id}"}`).toString('base64');
}

function decodeCursor(cursor: string): string {
	const text = Buffer.from(cursor, 'base64').toString('utf8');
	const m = /^\{"last_id":([0-9]+),/.exec(text);
	if (!m)
		throw new GraphQLError('Invalid cursor for current pagination sort.', {
			extensions: { code: 'BAD_REQUEST' },
		});
	return m[1];
}

export interface PageArgs {
	first?: number | null;
	after?: string | null;
	last?: number | null;
	before?: string | null;
	reverse?: boolean | null;
}

export function paginate<T>(all: T[], args: PageArgs, idOf: (t: T) => string) {
	if (args.first == null && args.last == null) {
		throw new GraphQLError('you must provide one of first or last', {
			extensions: { code: 'BAD_REQUEST' },
		});
	}
	if ((args.first ?? 0) < 0 || (args.last ?? 0) < 0) {
		throw new GraphQLError('Page size must be positive', { extensions: { code: 'BAD_REQUEST' } });
	}
	const list = args.reverse ? [...all].reverse() : all;
	let start = 0;
	let end = list.length;
	if (args.after) {
		const id = decodeCursor(args.after);
		const i = list.findIndex((t) => idOf(t) === id);
		start = i < 0 ? list.length : i + 1;
	}
	if (args.before) {
		const id = decodeCursor(args.before);
		const i = list.findIndex((t) => idOf(t) === id);
		end = i < 0 ? end : i;
	}
	if (end < start) end = start;
	if (args.first != null) end = Math.min(end, start + Math.min(args.first, MAX_PAGE_SIZE));
	if (args.last != null) start = Math.max(start, end - Math.min(args.last, MAX_PAGE_SIZE));
	const page = list.slice(start, end);
	const edges = page.map((node) => ({ cursor: encodeCursor(idOf(node)), node }));
	return {
		edges,
		nodes: page,
		pageInfo: {
			hasNextPage: end < list.length,
			hasPreviousPage: start > 0,
			startCursor: edges[0]?.cursor ?? null,
			endCursor: edges[edges.length - 1]?.cursor ?? null,
		},
	};
}

/** A cursor naming the last item seen and its sort value, as Shopify's cursors do. */
export function encodeSortCursor(id: string, value: string): string {
	return Buffer.from(`{"last_id":${id},"last_value":${JSON.stringify(value)}}`).toString('base64');
}

/**
 * The cursor's position, its id exact: `last_id` is a bare 64-bit integer, which `JSON.parse` rounds to a
 * double above 2^53 (ids there are 2 apart or more) — a rounded-up id skips the orders between the two.
 */
function decodeSortCursor(cursor: string): { id: bigint; value: string } {
	try {
		const text = Buffer.from(cursor, 'base64').toString('utf8');
		const o = parseJsonBig(text) as Record<string, unknown>;
		const id = o.last_id;
		if (typeof id === 'bigint' || typeof id === 'number' || typeof id === 'string') {
			return { id: BigInt(id), value: String(o.last_value ?? id) };
		}
	} catch {
		// fall through
	}
	throw new GraphQLError('Invalid cursor for current pagination sort.', {
		extensions: { code: 'BAD_REQUEST' },
	});
}

/**
 * Keyset paging over `all` sorted by (sortValue, id) ascending (`reverse` descending): `after` continues past
 * the cursor's (value, id) position, so an item whose sort value moved meanwhile is met again where it now
 * sorts — as Shopify's cursors (`last_id`, `last_value`) behave, and unlike an offset. Ids are numeric strings;
 * sort values compare as numbers when both parse as numbers, else as strings.
 */
export function paginateSorted<T>(
	all: T[],
	args: PageArgs,
	idOf: (t: T) => string,
	sortValueOf: (t: T) => string = idOf,
) {
	if (args.first == null && args.last == null) {
		throw new GraphQLError('you must provide one of first or last', {
			extensions: { code: 'BAD_REQUEST' },
		});
	}
	if ((args.first ?? 0) < 0 || (args.last ?? 0) < 0) {
		throw new GraphQLError('Page size must be positive', { extensions: { code: 'BAD_REQUEST' } });
	}
	const cmpValue = (a: string, b: string): number => {
		const na = Number(a);
		const nb = Number(b);
		if (a !== '' && b !== '' && !Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
		return a < b ? -1 : a > b ? 1 : 0;
	};
	const cmp = (av: string, aid: bigint, bv: string, bid: bigint): number =>
		cmpValue(av, bv) || (aid < bid ? -1 : aid > bid ? 1 : 0);
	const keyed = all.map((t) => ({ t, v: sortValueOf(t), id: BigInt(idOf(t)) }));
	keyed.sort((a, b) => cmp(a.v, a.id, b.v, b.id));
	if (args.reverse) keyed.reverse();
	const dir = args.reverse ? -1 : 1;
	let start = 0;
	let end = keyed.length;
	if (args.after) {
		const c = decodeSortCursor(args.after);
		const i = keyed.findIndex((k) => dir * cmp(k.v, k.id, c.value, c.id) > 0);
		start = i < 0 ? keyed.length : i;
	}
	if (args.before) {
		const c = decodeSortCursor(args.before);
		const i = keyed.findIndex((k) => dir * cmp(k.v, k.id, c.value, c.id) >= 0);
		end = i < 0 ? end : i;
	}
	if (end < start) end = start;
	if (args.first != null) end = Math.min(end, start + Math.min(args.first, MAX_PAGE_SIZE));
	if (args.last != null) start = Math.max(start, end - Math.min(args.last, MAX_PAGE_SIZE));
	const page = keyed.slice(start, end);
	const edges = page.map((k) => ({ cursor: encodeSortCursor(String(k.id), k.v), node: k.t }));
	return {
		edges,
		nodes: page.map((k) => k.t),
		pageInfo: {
			hasNextPage: end < keyed.length,
			hasPreviousPage: start > 0,
			startCursor: edges[0]?.cursor ?? null,
			endCursor: edges[edges.length - 1]?.cursor ?? null,
		},
	};
}

function optId(v: unknown): string | null {
	if (v === null || v === undefined) return null;
	return idString(v);
}

/* ---------------------------------------------------------------- orders: REST/webhook shape → GraphQL ---- */

type Json = Record<string, unknown>;

function location(store: ShopifyStore, id: string | null) {
	if (id === null) return null;
	return {
		id: gid('Location', id),
		legacyResourceId: id,
		name: store.locationNames.get(id) ?? `Location ${id}`,
	};
}

function gqlLineItem(line: Json) {
	const id = idString(line.id);
	const quantity = Number(line.quantity ?? 0);
	const current = line.current_quantity === undefined ? quantity : Number(line.current_quantity);
	const variantId = optId(line.variant_id);
	const productId = optId(line.product_id);
	const sku = line.sku === undefined ? null : (line.sku as string | null);
	const title = String(line.title ?? line.name ?? '');
	return {
		id: gid('LineItem', id),
		name: String(line.name ?? title),
		title,
		sku,
		quantity,
		currentQuantity: current,
		unfulfilledQuantity: Number(line.fulfillable_quantity ?? current),
		refundableQuantity: current,
		restockable: variantId !== null,
		vendor: (line.vendor as string | null | undefined) ?? null,
		variantTitle: (line.variant_title as string | null | undefined) ?? null,
		variant:
			variantId === null
				? null
				: {
						id: gid('ProductVariant', variantId),
						legacyResourceId: variantId,
						sku,
						title: String(line.variant_title ?? 'Default Title'),
					},
		product:
			productId === null
				? null
				: { id: gid('Product', productId), legacyResourceId: productId, title },
	};
}

const RESTOCK_TYPES: Record<string, string> = {
	cancel: 'CANCEL',
	return: 'RETURN',
	legacy_restock: 'LEGACY_RESTOCK',
	no_restock: 'NO_RESTOCK',
};

export function gqlOrder(store: ShopifyStore, o: Json) {
	const id = idString(o.id);
	const lines = ((o.line_items as Json[] | undefined) ?? []).map((l) => ({
		raw: l,
		gql: gqlLineItem(l),
	}));
	const lineById = new Map(lines.map((l) => [idString(l.raw.id), l.gql]));
	const refunds = [...((o.refunds as Json[] | undefined) ?? [])].sort(
		(a, b) => new Date(String(a.created_at)).getTime() - new Date(String(b.created_at)).getTime(),
	);
	const updatedAt = shopifyDateTime(o.updated_at) ?? shopifyDateTime(store.nowMs()) ?? '';
	const createdAt = shopifyDateTime(o.created_at) ?? updatedAt;
	return {
		__typename: 'Order',
		id: gid('Order', id),
		legacyResourceId: id,
		name: String(o.name ?? `#${id}`),
		email: (o.email as string | null | undefined) ?? null,
		test: Boolean(o.test),
		sourceName: (o.source_name as string | null | undefined) ?? null,
		createdAt,
		updatedAt,
		processedAt: shopifyDateTime(o.processed_at) ?? createdAt,
		cancelledAt: shopifyDateTime(o.cancelled_at),
		cancelReason: typeof o.cancel_reason === 'string' ? o.cancel_reason.toUpperCase() : null,
		closed: Boolean(o.closed_at),
		closedAt: shopifyDateTime(o.closed_at),
		retailLocation: location(store, optId(o.location_id)),
		lineItems: (args: PageArgs) =>
			paginate(
				lines.map((l) => l.gql),
				args,
				(l) => l.id.slice(l.id.lastIndexOf('/') + 1),
			),
		refunds: (args: { first?: number | null }) => {
			const n = args.first == null ? refunds.length : Math.min(args.first, MAX_PAGE_SIZE);
			return refunds.slice(0, n).map((r) => {
				const rid = idString(r.id);
				const rlis = ((r.refund_line_items as Json[] | undefined) ?? []).map((rli, i) => {
					const lineId = optId(rli.line_item_id) ?? optId((rli.line_item as Json | undefined)?.id);
					const line =
						(lineId && lineById.get(lineId)) ??
						(rli.line_item ? gqlLineItem(rli.line_item as Json) : null);
					const restockType = RESTOCK_TYPES[String(rli.restock_type)] ?? 'NO_RESTOCK';
					const rliId = optId(rli.id) ?? `${rid}${i}`;
					return {
						id: gid('RefundLineItem', rliId),
						quantity: Number(rli.quantity ?? 0),
						restockType,
						restocked: restockType !== 'NO_RESTOCK',
						location: location(store, optId(rli.location_id)),
						lineItem: line,
					};
				});
				return {
					id: gid('Refund', rid),
					legacyResourceId: rid,
					createdAt: shopifyDateTime(r.created_at),
					updatedAt: shopifyDateTime(r.processed_at ?? r.created_at) ?? updatedAt,
					note: (r.note as string | null | undefined) ?? null,
					refundLineItems: (args: PageArgs) =>
						paginate(rlis, args, (x) => x.id.slice(x.id.lastIndexOf('/') + 1)),
				};
			});
		},
	};
}

/* ---------------------------------------------------------------- webhook subscriptions ---- */

function gqlSubscription(rec: WebhookSubscriptionRecord) {
	return {
		__typename: 'WebhookSubscription',
		id: gid('WebhookSubscription', rec.id),
		legacyResourceId: rec.id,
		topic: rec.topic,
		uri: rec.uri,
		callbackUrl: rec.uri,
		format: rec.format,
		includeFields: rec.includeFields,
		metafieldNamespaces: rec.metafieldNamespaces,
		filter: rec.filter,
		apiVersion: { handle: rec.apiVersion, displayName: rec.apiVersion, supported: true },
		createdAt: rec.createdAt,
		updatedAt: rec.updatedAt,
	};
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Why an address is refused (a userError message), or null when it is usable. */
export function checkAddress(uri: string, allowHttpLoopback: boolean): string | null {
	if (/^pubsub:\/\/[^:]+:.+$/.test(uri) || /^arn:aws:events:/.test(uri)) return null;
	let url: URL;
	try {
		url = new URL(uri);
	} catch {
		return 'Address is invalid';
	}
	if (url.protocol === 'https:') return url.hostname ? null : 'Address is invalid';
	if (url.protocol === 'http:') {
		if (allowHttpLoopback && LOOPBACK_HOSTS.has(url.hostname)) return null;
		return 'Address protocol http:// is not supported';
	}
	return 'Address is invalid';
}

interface SubscriptionInput {
	uri?: string | null;
	callbackUrl?: string | null;
	format?: 'JSON' | 'XML' | null;
	includeFields?: string[] | null;
	metafieldNamespaces?: string[] | null;
	filter?: string | null;
}

export function createShopifyGraphql(
	store: ShopifyStore,
	extension?: { sdl: string; rootValue: Record<string, unknown> },
): {
	schema: GraphQLSchema;
	rootValue: Record<string, unknown>;
} {
	const schema = buildSchema(extension ? SDL + extension.sdl : SDL);
	const nowIso = () => shopifyDateTime(store.nowMs()) as string;

	const sortedSubscriptions = (sortKey: string) =>
		[...store.subscriptions.values()].sort((a, b) =>
			sortKey === 'ID'
				? Number(BigInt(a.id) - BigInt(b.id))
				: a.createdAt.localeCompare(b.createdAt) || Number(BigInt(a.id) - BigInt(b.id)),
		);

	const addressOf = (input: SubscriptionInput): { address: string | null; field: string } => {
		if (input.uri != null) return { address: input.uri, field: 'uri' };
		return { address: input.callbackUrl ?? null, field: 'callbackUrl' };
	};

	const resolveParts = (p: { type: string; id: string; query: string }) => {
		const own = store.resolveNode?.(p.type, p.id, p.query);
		if (own !== undefined) return own;
		if (p.type === 'Order') {
			const o = store.orders.get(p.id);
			return o ? gqlOrder(store, o) : null;
		}
		if (p.type === 'WebhookSubscription') {
			const rec = store.subscriptions.get(p.id);
			return rec ? gqlSubscription(rec) : null;
		}
		return null;
	};
	const resolveNode = (value: string) => resolveParts(splitGid(value));

	const rootValue: Record<string, unknown> = {
		shop: () => ({
			id: gid('Shop', '64649945'),
			name: store.shopName,
			email: `owner@${store.shopDomain}`,
			myshopifyDomain: store.shopDomain,
			url: `https://${store.shopDomain}`,
			currencyCode: 'USD',
			ianaTimezone: 'America/New_York',
		}),

		node: (args: { id: string }) => resolveNode(args.id),

		nodes: (args: { ids: string[] }) => {
			// Every id must be a GID (else the whole field fails, as Shopify's coercion does).
			const parts = args.ids.map(splitGid);
			return parts.map((p) => resolveParts(p));
		},

		orders: (args: PageArgs & { sortKey?: string; query?: string | null }) => {
			const q = parseSearchQuery(args.query, ORDER_SEARCH_FIELDS);
			const ms = (v: unknown): number => {
				const t = v == null || v === '' ? NaN : new Date(String(v)).getTime();
				return Number.isNaN(t) ? 0 : Math.floor(t / 1000) * 1000;
			};
			const times = (o: Json) => {
				const updated = ms(o.updated_at) || store.nowMs();
				const created = ms(o.created_at) || updated;
				return { updated, created, processed: ms(o.processed_at) || created };
			};
			const list = [...store.orders.values()].filter((o) =>
				matchesSearch(q, (t) => {
					const tm = times(o);
					switch (t.field) {
						case 'updated_at':
							return compareTerm(tm.updated, t, searchDateMs(t.value));
						case 'created_at':
							return compareTerm(tm.created, t, searchDateMs(t.value));
						case 'processed_at':
							return compareTerm(tm.processed, t, searchDateMs(t.value));
						case 'id':
							return (
								/^[0-9]+$/.test(t.value) && compareTerm(BigInt(idString(o.id)), t, BigInt(t.value))
							);
						default:
							return false;
					}
				}),
			);
			const sortKey = args.sortKey ?? 'PROCESSED_AT';
			const sortValue = (o: Json): string => {
				const tm = times(o);
				if (sortKey === 'UPDATED_AT') return String(tm.updated);
				if (sortKey === 'CREATED_AT') return String(tm.created);
				if (sortKey === 'PROCESSED_AT') return String(tm.processed);
				return idString(o.id);
			};
			const page = paginateSorted(list, args, (o) => idString(o.id), sortValue);
			const nodes = page.nodes.map((o) => gqlOrder(store, o));
			return {
				edges: page.edges.map((e, i) => ({ cursor: e.cursor, node: nodes[i] })),
				nodes,
				pageInfo: page.pageInfo,
			};
		},

		order: (args: { id: string }) => {
			const id = parseGid(args.id, 'Order');
			if (id === null) return null;
			const o = store.orders.get(id);
			return o ? gqlOrder(store, o) : null;
		},

		webhookSubscription: (args: { id: string }) => {
			const id = parseGid(args.id, 'WebhookSubscription');
			const rec = id === null ? undefined : store.subscriptions.get(id);
			return rec ? gqlSubscription(rec) : null;
		},

		webhookSubscriptions: (
			args: PageArgs & {
				topics?: string[] | null;
				uri?: string | null;
				callbackUrl?: string | null;
				format?: string | null;
				sortKey?: string;
			},
		) => {
			let list = sortedSubscriptions(args.sortKey ?? 'CREATED_AT');
			if (args.topics && args.topics.length > 0)
				list = list.filter((s) => args.topics!.includes(s.topic));
			const uri = args.uri ?? args.callbackUrl;
			if (uri != null) list = list.filter((s) => s.uri === uri);
			if (args.format) list = list.filter((s) => s.format === args.format);
			const page = paginate(list, args, (s) => s.id);
			return {
				edges: page.edges.map((e) => ({ cursor: e.cursor, node: gqlSubscription(e.node) })),
				nodes: page.nodes.map(gqlSubscription),
				pageInfo: page.pageInfo,
			};
		},

		webhookSubscriptionCreate: (args: {
			topic: string;
			webhookSubscription: SubscriptionInput;
		}) => {
			const input = args.webhookSubscription;
			const { address, field } = addressOf(input);
			const userError = (message: string) => ({
				webhookSubscription: null,
				userErrors: [{ field: ['webhookSubscription', field], message }],
			});
			if (!address) return userError("Address can't be blank");
			const problem = checkAddress(address, store.allowHttpLoopback);
			if (problem) return userError(problem);
			for (const s of store.subscriptions.values()) {
				if (s.topic === args.topic && s.uri === address && s.filter === (input.filter ?? null)) {
					return userError('Address for this topic has already been taken');
				}
			}
			const at = nowIso();
			const rec: WebhookSubscriptionRecord = {
				id: store.newSubscriptionId(),
				topic: args.topic,
				uri: address,
				format: input.format ?? 'JSON',
				includeFields: input.includeFields ?? [],
				metafieldNamespaces: input.metafieldNamespaces ?? [],
				filter: input.filter ?? null,
				apiVersion: store.apiVersion,
				createdAt: at,
				updatedAt: at,
			};
			store.subscriptions.set(rec.id, rec);
			return { webhookSubscription: gqlSubscription(rec), userErrors: [] };
		},

		webhookSubscriptionUpdate: (args: { id: string; webhookSubscription: SubscriptionInput }) => {
			const id = parseGid(args.id, 'WebhookSubscription');
			const rec = id === null ? undefined : store.subscriptions.get(id);
			if (!rec) {
				return {
					webhookSubscription: null,
					userErrors: [{ field: ['id'], message: 'Webhook subscription does not exist' }],
				};
			}
			const input = args.webhookSubscription;
			const { address, field } = addressOf(input);
			if (address != null) {
				const problem = checkAddress(address, store.allowHttpLoopback);
				if (problem)
					return {
						webhookSubscription: null,
						userErrors: [{ field: ['webhookSubscription', field], message: problem }],
					};
				for (const s of store.subscriptions.values()) {
					if (
						s !== rec &&
						s.topic === rec.topic &&
						s.uri === address &&
						s.filter === (input.filter ?? rec.filter)
					) {
						return {
							webhookSubscription: null,
							userErrors: [
								{
									field: ['webhookSubscription', field],
									message: 'Address for this topic has already been taken',
								},
							],
						};
					}
				}
				rec.uri = address;
			}
			if (input.format) rec.format = input.format;
			if (input.includeFields) rec.includeFields = input.includeFields;
			if (input.metafieldNamespaces) rec.metafieldNamespaces = input.metafieldNamespaces;
			if (input.filter !== undefined) rec.filter = input.filter ?? null;
			rec.updatedAt = nowIso();
			return { webhookSubscription: gqlSubscription(rec), userErrors: [] };
		},

		webhookSubscriptionDelete: (args: { id: string }) => {
			const id = parseGid(args.id, 'WebhookSubscription');
			if (id === null || !store.subscriptions.has(id)) {
				return {
					deletedWebhookSubscriptionId: null,
					userErrors: [{ field: ['id'], message: 'Webhook subscription does not exist' }],
				};
			}
			store.subscriptions.delete(id);
			return { deletedWebhookSubscriptionId: gid('WebhookSubscription', id), userErrors: [] };
		},
		...extension?.rootValue,
	};
	return { schema, rootValue };
}
