/**
 * The GraphQL documents of the reading operations (Get Levels, Resolve SKUs, Poll Orders) and their requested
 * cost, estimated before sending by Shopify's documented rules (shopify.dev "Cost calculation": scalar and
 * enum 0, object 1, connection 2 + page size × one node, a list sized by its input list, mutation 10), so the
 * bucket is asked for what the query will cost. Each estimate counts `pageInfo` as one object more than the
 * rule needs: a slightly high estimate only waits a little longer, a low one is answered THROTTLED.
 */

/** A mutation's root field. */
export const MUTATION_COST = 10;

/** Level fields read everywhere: the `available` quantity and the level's own updatedAt (its version). */
const LEVEL_FIELDS =
	'id updatedAt location { id } quantities(names: ["available"]) { name quantity }';
/** location (1) + quantities(names: ["available"]) (1 name × 1) + the level itself (1). */
const LEVEL_NODE_COST = 3;

/** The bulk operation's inner query: every inventory item with its levels (nested connection → JSONL children). */
export const BULK_LEVELS_INNER_QUERY = `{
  inventoryItems {
    edges {
      node {
        id
        sku
        updatedAt
        inventoryLevels {
          edges { node { ${LEVEL_FIELDS} } }
        }
      }
    }
  }
}`;

export const BULK_RUN_QUERY = `mutation RunInventoryLevelsBulk($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}`;

const BULK_FIELDS = 'id status errorCode objectCount url partialDataUrl query';

export const BULK_OPERATION_BY_ID = `query BulkOperationById($id: ID!) {
  node(id: $id) { ... on BulkOperation { ${BULK_FIELDS} } }
}`;

export const CURRENT_BULK_OPERATION = `query CurrentBulkOperation {
  currentBulkOperation(type: QUERY) { ${BULK_FIELDS} }
}`;

/** node(id:) / currentBulkOperation: one object. */
export const BULK_STATUS_COST = 1;

/** Targeted read: items whose SKU matches `query`, with up to `levels` levels each. */
export const TARGETED_LEVELS_QUERY = `query InventoryLevelsBySku($first: Int!, $after: String, $query: String!, $levels: Int!) {
  inventoryItems(first: $first, after: $after, query: $query) {
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        id
        sku
        updatedAt
        inventoryLevels(first: $levels) {
          pageInfo { hasNextPage }
          edges { node { ${LEVEL_FIELDS} } }
        }
      }
    }
  }
}`;

/** Requested cost of TARGETED_LEVELS_QUERY for `first` items × `levels` levels. */
export function targetedLevelsCost(first: number, levels: number): number {
	const levelsConnection = 2 + 1 + levels * LEVEL_NODE_COST;
	return 2 + 1 + first * (1 + levelsConnection);
}

/** Points of TARGETED_LEVELS_QUERY that do not grow with the page (pageSizeFor's fixedCost). */
export const TARGETED_FIXED_COST = 3;

/** The largest `first` whose targeted read costs at most `maxCost` (at least 1; 250 at most). */
export function targetedPageSize(levels: number, maxCost: number): number {
	const perItem = targetedLevelsCost(1, levels) - TARGETED_FIXED_COST;
	return Math.max(1, Math.min(250, Math.floor((maxCost - TARGETED_FIXED_COST) / perItem)));
}

/** Inventory items by id (Resolve SKUs): ≤ 250 ids per call. */
export const ITEMS_BY_ID_QUERY = `query InventoryItemsById($ids: [ID!]!) {
  nodes(ids: $ids) { ... on InventoryItem { id sku updatedAt } }
}`;

/** nodes(ids:) costs one object per id asked for. */
export function itemsByIdCost(ids: number): number {
	return ids;
}

export const MAX_IDS_PER_CALL = 250;

/** Lines and refunds per order on a Poll Orders page; an order with more is re-read whole (ORDER_FOR_STOCK). */
export const POLL_LINES = 10;
export const POLL_REFUNDS = 3;
export const POLL_REFUND_LINES = 10;

/**
 * What Poll Orders reads of one order, in the shape of shared/shopifyQueries ORDER_FOR_STOCK with smaller
 * nested pages: that query's 100 lines and 10 × 20 refund lines cost ~934 points per order, which would make
 * every read one order. Most orders fit these pages; the others are re-read one by one.
 */
const POLL_ORDER_FIELDS = `id
        updatedAt
        createdAt
        cancelledAt
        retailLocation { id }
        lineItems(first: ${POLL_LINES}) {
          pageInfo { hasNextPage }
          edges { node { id sku quantity currentQuantity variant { id } product { id } } }
        }
        refunds(first: ${POLL_REFUNDS}) {
          id
          createdAt
          refundLineItems(first: ${POLL_REFUND_LINES}) {
            pageInfo { hasNextPage }
            edges { node { quantity restockType location { id } lineItem { id } } }
          }
        }`;

/**
 * The orders changed since a time (Poll Orders' listing): ids and updatedAt only, 250 a page for 253 points.
 * The orders the Ledger does not hold at that version are then read whole by id (ORDERS_BY_ID_QUERY): during
 * a sale the webhooks have brought nearly all of them, and reading each whole again would cost 137 points an
 * order (seen in the flash-sale bench: the poll's pages of 7 took the bucket the real-time Publish needed).
 */
export const ORDERS_SINCE_QUERY = `query OrdersUpdatedSince($first: Int!, $after: String, $query: String!) {
  orders(first: $first, after: $after, sortKey: UPDATED_AT, query: $query) {
    pageInfo { hasNextPage endCursor }
    edges { node { id updatedAt } }
  }
}`;

/** Orders per listing page: the most one connection page gives. */
export const ORDERS_LISTED_PER_PAGE = 250;

/** Orders by id, read whole for Poll Orders (the fields of POLL_ORDER_FIELDS). */
export const ORDERS_BY_ID_QUERY = `query OrdersById($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on Order {
        ${POLL_ORDER_FIELDS}
    }
  }
}`;

/** One line item: itself, variant, product. */
const LINE_COST = 3;
/** One refund line: itself, location, lineItem. */
const REFUND_LINE_COST = 3;

/** Requested cost of one order of ORDERS_BY_ID_QUERY (POLL_ORDER_FIELDS). */
export const POLL_ORDER_COST =
	1 +
	1 +
	(2 + 1 + POLL_LINES * LINE_COST) +
	POLL_REFUNDS * (1 + 2 + 1 + POLL_REFUND_LINES * REFUND_LINE_COST);

/** Requested cost of ORDERS_SINCE_QUERY for `first` orders: the connection, pageInfo, one object per order. */
export function ordersSinceCost(first: number): number {
	return 2 + 1 + first;
}

/** Requested cost of ORDERS_BY_ID_QUERY for `ids` orders (nodes(ids:) is sized by the ids asked for). */
export function ordersByIdCost(ids: number): number {
	return ids * POLL_ORDER_COST;
}

/** The most orders one ORDERS_BY_ID_QUERY reads for at most `maxCost` (1 to 250). */
export function ordersByIdPageSize(maxCost: number): number {
	return Math.max(1, Math.min(250, Math.floor(maxCost / POLL_ORDER_COST)));
}

/** ORDER_FOR_STOCK (shared/shopifyQueries): 100 lines × 3, 10 refunds × (20 refund lines × 3 + 4), + order. */
export const ORDER_FOR_STOCK_COST =
	1 + 1 + (2 + 1 + 100 * LINE_COST) + 10 * (1 + 2 + 1 + 20 * REFUND_LINE_COST);

/**
 * A Shopify search query for these SKUs: `sku:"A" OR sku:"B"`. Values are quoted (a SKU may hold spaces,
 * colons or dashes Shopify's parser reads as syntax) with `"` and `\` escaped.
 */
export function skuSearchQuery(skus: readonly string[]): string {
	return skus.map((sku) => `sku:"${sku.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(' OR ');
}

/**
 * The overlap-adjusted search of Poll Orders: orders updated in or after `sinceMs`'s second (ISO, Shopify's
 * syntax). Order times have whole seconds, so `>` the cursor would skip an order written later in the
 * cursor's own second; `>=` its second re-reads the orders already applied there, which the Ledger skips
 * (same order version).
 */
export function updatedSinceQuery(sinceMs: number): string {
	return `updated_at:>='${new Date(Math.floor(sinceMs / 1000) * 1000).toISOString()}'`;
}
