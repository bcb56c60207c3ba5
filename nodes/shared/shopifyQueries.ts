/**
 * GraphQL documents the trigger sends to the Shopify Admin API (subscriptions, the refund re-read).
 * Kept in one place so the simulator's tests and the node speak exactly the same queries.
 */

export const SHOP_NAME_QUERY = 'query ShopName { shop { name } }';

export const LIST_WEBHOOK_SUBSCRIPTIONS = `query ListWebhookSubscriptions($first: Int!, $after: String, $uri: String) {
  webhookSubscriptions(first: $first, after: $after, uri: $uri) {
    edges { node { id topic uri } }
    pageInfo { hasNextPage endCursor }
  }
}`;

export const CREATE_WEBHOOK_SUBSCRIPTION = `mutation CreateWebhookSubscription($topic: WebhookSubscriptionTopic!, $uri: String!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: { uri: $uri, format: JSON }) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}`;

export const DELETE_WEBHOOK_SUBSCRIPTION = `mutation DeleteWebhookSubscription($id: ID!) {
  webhookSubscriptionDelete(id: $id) {
    deletedWebhookSubscriptionId
    userErrors { field message }
  }
}`;

/** Refunds ORDER_FOR_STOCK asks for: an order with this many may have more (orderCutShort). */
export const ORDER_FOR_STOCK_REFUNDS = 10;

/**
 * The whole order, as refunds/create lacks it: lines, refunds with their restock type and location.
 * Page sizes keep the requested cost under Shopify's 1,000-point ceiling for one query (100 lines ×
 * (variant + product) dominate: about 934 points). An order with more lines or refunds than one page holds
 * is not re-read: the orders/updated Shopify sends after every refund carries it whole.
 */
export const ORDER_FOR_STOCK = `query OrderForStock($id: ID!) {
  order(id: $id) {
    id
    updatedAt
    createdAt
    cancelledAt
    retailLocation { id }
    lineItems(first: 100) {
      pageInfo { hasNextPage }
      edges { node { id sku quantity currentQuantity variant { id } product { id } } }
    }
    refunds(first: ${ORDER_FOR_STOCK_REFUNDS}) {
      id
      createdAt
      refundLineItems(first: 20) {
        pageInfo { hasNextPage }
        edges { node { quantity restockType location { id } lineItem { id } } }
      }
    }
  }
}`;

/** Webhook topic (REST spelling, as in X-Shopify-Topic) → GraphQL enum. */
export const SHOPIFY_TOPIC_ENUM: Record<string, string> = {
	'inventory_levels/update': 'INVENTORY_LEVELS_UPDATE',
	'orders/create': 'ORDERS_CREATE',
	'orders/updated': 'ORDERS_UPDATED',
	'orders/cancelled': 'ORDERS_CANCELLED',
	'refunds/create': 'REFUNDS_CREATE',
	'inventory_items/update': 'INVENTORY_ITEMS_UPDATE',
	'products/update': 'PRODUCTS_UPDATE',
};
