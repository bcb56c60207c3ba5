/** Local Shopify and WooCommerce simulators and payload builders (see each module's header for the platform rules). */
export * from './shopify';
export * from './shopifyCost';
export {
	DEFAULT_IDEMPOTENCY_TTL_MS,
	INVENTORY_REASONS,
	type InventoryChangeRecord,
	type InventoryLevelRecord,
	type InventoryLogEntry,
} from './shopifyInventory';
export {
	TOPIC_ENUM_TO_REST,
	TOPIC_REST_TO_ENUM,
	type WebhookSubscriptionRecord,
} from './shopifyGraphql';
export * from './woocommerce';
export * from './payloads';
export { type PostResult, type SimLogEntry } from './common';
export { idString } from './json';
