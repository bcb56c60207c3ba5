import http from 'node:http';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import {
	GraphQLError,
	execute,
	getOperationAST,
	getVariableValues,
	parse,
	validate,
	type DocumentNode,
	type ExecutionResult,
	type GraphQLObjectType,
	type GraphQLSchema,
	type OperationDefinitionNode,
	getArgumentValues,
} from 'graphql';
import { parse as parseLossless, isInteger, isSafeNumber } from 'lossless-json';
import {
	type PostResult,
	type SimLogEntry,
	closeServer,
	listenLoopback,
	postRaw,
	readBody,
	send,
	tamperBody,
} from './common';
import { idString, toJson } from './json';
import {
	type CostBucket,
	type ThrottleStatus,
	UnmeteredCostBucket,
	queryCost,
} from './shopifyCost';
import {
	DEFAULT_IDEMPOTENCY_TTL_MS,
	INVENTORY_SDL,
	numericId,
	ShopifyInventory,
	type InventoryChangeRecord,
	type InventoryLevelRecord,
	type InventoryLogEntry,
	type ShopifyRequestContext,
} from './shopifyInventory';
import { type Id, shopifyInventoryLevel, shopifyTime } from './payloads';
import { type PlaceOrderSpec, type RefusedOrder, ShopifyOrders } from './shopifyOrders';

export {
	ShopifyOutOfStockError,
	type PlaceOrderSpec,
	type RefusedOrder,
	type ShopifyOrderLineInput,
} from './shopifyOrders';
export { type BulkOperationRecord, type BulkStatus } from './shopifyBulk';
import { BULK_SDL, ShopifyBulk, type BulkOperationRecord } from './shopifyBulk';
import {
	type ShopifyStore,
	type WebhookSubscriptionRecord,
	TOPIC_ENUM_TO_REST,
	TOPIC_REST_TO_ENUM,
	createShopifyGraphql,
} from './shopifyGraphql';

/**
 * A local Shopify: Admin GraphQL API, client-credentials token endpoint and webhook sender, on 127.0.0.1.
 * It implements the contracts of /work/shared/platform-facts.md ("Shopify") and nothing friendlier:
 *
 * - Authentication (platform-facts "Authentication"): `X-Shopify-Access-Token` must be the legacy `shpat_…`
 *   token (permanent) or a token issued by `POST /admin/oauth/access_token` with
 *   `grant_type=client_credentials` (form or JSON body), which expires after 24 h (`expires_in: 86399`) or when a
 *   test calls `expireTokens()`. Anything else: HTTP 401 `{"errors":"[API] Invalid API key or access token
 *   (unrecognized login or wrong password)"}`. A wrong client id/secret gets HTTP 400 `invalid_client`.
 * - GraphQL (platform-facts "Admin GraphQL API"): `POST /admin/api/{version}/graphql.json`; answers HTTP 200
 *   with `data`/`errors` and, on every answer, `extensions.cost { requestedQueryCost, actualQueryCost,
 *   throttleStatus { maximumAvailable, currentlyAvailable, restoreRate } }` computed by Shopify's cost rules
 *   (shopifyCost.ts). A query whose requested cost exceeds 1,000 points is refused (MAX_COST_EXCEEDED) and
 *   nothing runs; a bucket that cannot pay answers `Throttled` (THROTTLED). The default bucket never throttles
 *   (`UnmeteredCostBucket`); pass `costBucket: new LeakyCostBucket()` for real pacing.
 * - Webhooks (platform-facts "Webhook delivery"): every delivery carries X-Shopify-Topic, -Hmac-Sha256
 *   (base64 HMAC-SHA256 of the raw body with the app's client secret), -Shop-Domain, -API-Version, -Webhook-Id
 *   (one per delivery), -Event-Id (one per event: the same for every subscription an event goes to and for a
 *   re-delivery) and -Triggered-At (nanosecond ISO time), `Content-Type: application/json`; Shopify gives up
 *   after 5 s (1 s to connect) and counts the delivery as failed. Bodies keep 64-bit ids exact (BigInt → bare
 *   integer). Retries (8 over 4 h) are not simulated: a test re-sends with the same `eventId` to model one, and
 *   `removeSubscription()` models Shopify dropping a failing subscription.
 * - Inventory (shopifyInventory.ts): items with levels per location (`putInventoryItem`, `setLevel`, `level`),
 *   `inventorySetQuantities` / `inventoryAdjustQuantities` with `@idempotent`, each call logged as
 *   `{ op: 'mutation', name, count, applied, userErrors, idempotencyKey, replayed }`. After every stock change
 *   the simulator sends `inventory_levels/update` to the subscriptions of that topic, signed, as Shopify does
 *   (`inventoryWebhooks: false` turns it off); `webhooksIdle()` waits for those deliveries.
 * - Every array input is capped at 250 elements: a longer one is refused before anything runs
 *   (MAX_INPUT_SIZE_EXCEEDED, nothing charged, nothing applied).
 * - Reads: `inventoryItems(first/after/last/before, reverse, query:)` (search syntax of shopifySearch.ts:
 *   `sku:` terms joined by ` OR `, quoted values, `updated_at:>…`/`>=`), `InventoryItem.inventoryLevels`,
 *   `InventoryLevel { id location item updatedAt quantities(names:) }`, `node(id:)` / `nodes(ids:)` (inventory
 *   items and levels, locations, orders, subscriptions, bulk operations; unknown → null; ≤ 250 ids),
 *   `orders(query:, sortKey:, reverse:)`; cursors are keyset (`last_id`/`last_value`) as Shopify's are.
 * - Bulk query operations (shopifyBulk.ts): `bulkOperationRunQuery`, `currentBulkOperation`,
 *   `bulkOperationCancel`; status on timers (`bulkStepMs`, default 10 ms per step; `bulkRunningSteps`, default
 *   2); `maxConcurrentBulkQueries` (default 1: OPERATION_IN_PROGRESS); the JSONL (nested connection nodes with
 *   `__parentId`) served at `GET /bulk-operations/<id>/result.jsonl?…` without auth; `bulk.failNext(code)`;
 *   `bulk_operations/finish` sent to its subscribers.
 * - Sales (shopifyOrders.ts): `placeOrder` sells only what the shop shows (`ShopifyOutOfStockError`,
 *   `refusedOrders`), else creates the order, lowers the levels (inventory_levels/update) and sends
 *   orders/create; `cancelOrder`, `refundOrder`; lines draw from their `locationId`, the order's, then
 *   `salesLocationId`, then the item's first location. Logged as op 'order' (placed/refused/cancelled/refunded).
 * - Faults on the GraphQL endpoint (answered before authentication, as an edge would): `failNext(count,
 *   status = 500, match?)` (match = operation name, string or RegExp), `unavailableFor(ms, retryAfter?)` (503,
 *   on the simulator's clock), `latencyMs` (option and property), `dropNextConnections(count, match?)`,
 *   `clearFaults()`. Every GraphQL call is logged (op 'graphql', name = operation name, else first root field;
 *   `fault` when one answered it); `countCalls(name?, status?)` counts them, as the WooCommerce simulator's.
 */

export interface ShopifySimulatorOptions {
	/** Shop domain (X-Shopify-Shop-Domain). Default 'demo-shop.myshopify.com'. */
	shop?: string;
	/** The app's client secret: webhooks are signed with it. */
	webhookSecret: string;
	/** Legacy permanent Admin API token; null: none accepted. Default 'shpat_test'. */
	accessToken?: string | null;
	/** Dev Dashboard app credentials for the client credentials grant. */
	clientId?: string;
	clientSecret?: string;
	/** API version of webhook deliveries and of new subscriptions. Default '2026-10'. */
	apiVersion?: string;
	/** Scopes reported by the token endpoint. */
	scope?: string;
	/** Where throttling plugs in (default: never throttles). */
	costBucket?: CostBucket;
	/** Single-query cost ceiling; default 1000 (Shopify's). */
	maxQueryCost?: number;
	/** Accept http:// subscription addresses on loopback (default true: tests receive on http://127.0.0.1). */
	allowHttpLoopbackWebhooks?: boolean;
	shopName?: string;
	/** Clock (ms since epoch) for token expiry and timestamps. */
	now?: () => number;
	/** Send inventory_levels/update after every stock change (default true). */
	inventoryWebhooks?: boolean;
	/** How long `@idempotent` keys are kept, on the simulator's clock (default 24 h). */
	idempotencyTtlMs?: number;
	/** Bulk operations: ms per status step (CREATED → RUNNING → … → COMPLETED). Default 10. */
	bulkStepMs?: number;
	/** Bulk operations: steps spent RUNNING (objectCount grows each step). Default 2. */
	bulkRunningSteps?: number;
	/** Bulk query operations allowed at once per shop (default 1; the bulk guide says 5 from 2026-01). */
	maxConcurrentBulkQueries?: number;
	/** Added to every GraphQL request before it is answered (default 0). */
	latencyMs?: number;
	/** Location sales draw from when a `placeOrder` line names none (default: the item's first location). */
	salesLocationId?: string | number | bigint;
}

export interface ShopifyLogEntry extends SimLogEntry {
	op: 'graphql' | 'webhook' | 'token' | 'mutation' | 'bulk' | 'download' | 'order';
}

export interface SendWebhookOptions {
	/** Signing secret; default the simulator's webhookSecret. */
	secret?: string;
	/** Send without X-Shopify-Hmac-Sha256. */
	omitHmac?: boolean;
	/** Change one byte of the body after signing (the signature no longer matches). */
	tamper?: boolean;
	eventId?: string;
	webhookId?: string;
	triggeredAt?: string;
	apiVersion?: string;
	shopDomain?: string;
	/** Extra or replacement headers (sent as given). */
	headers?: Record<string, string>;
	/** Whole-request budget (default 5000 ms, Shopify's). */
	timeoutMs?: number;
}

export interface WebhookSendResult extends PostResult {
	/** The exact bytes sent (after tampering, if any). */
	rawBody: string;
	requestHeaders: Record<string, string>;
	eventId: string;
	webhookId: string;
}

export interface DeliveryResult extends WebhookSendResult {
	subscriptionId: string;
	uri: string;
}

const INVALID_TOKEN =
	'{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}';
const TOKEN_LIFETIME_S = 86399;
const API_VERSION = /^(\d{4}-(01|04|07|10)|unstable)$/;
/** Every array input of the Admin API is capped at 250 elements. */
const MAX_INPUT_ARRAY = 250;

interface IssuedToken {
	expiresAt: number;
	issuedAt: number;
}

/** Nanosecond-resolution ISO time, as Shopify writes X-Shopify-Triggered-At. */
function triggeredAtNow(nowMs: number): string {
	const base = new Date(nowMs).toISOString(); // …sss Z
	const extra = String(process.hrtime.bigint() % 1_000_000n).padStart(6, '0');
	return base.replace('Z', `${extra}Z`);
}

/** Parse a JSON text keeping ids exact: integers beyond 2^53 become strings. */
function parseExact(text: string): unknown {
	return parseLossless(text, undefined, (n: string) =>
		isInteger(n) && !isSafeNumber(n) ? n : Number(n),
	);
}

export class ShopifySimulator {
	readonly shop: string;
	readonly webhookSecret: string;
	readonly apiVersion: string;
	readonly log: ShopifyLogEntry[] = [];
	/** Successful client-credentials grants. */
	tokenGrants = 0;
	readonly store: ShopifyStore;

	private readonly accessToken: string | null;
	private readonly clientId?: string;
	private readonly clientSecret?: string;
	private readonly scope: string;
	private readonly maxQueryCost: number;
	private readonly now: () => number;
	private readonly tokens = new Map<string, IssuedToken>();
	private readonly schema: GraphQLSchema;
	private readonly rootValue: Record<string, unknown>;
	private readonly documents = new Map<string, DocumentNode>();
	private bucket: CostBucket;
	private server?: http.Server;
	private port?: number;
	private subscriptionSeq = 0;
	readonly inventory: ShopifyInventory;
	readonly bulk: ShopifyBulk;
	readonly sales: ShopifyOrders;
	/** Added to every GraphQL request before it is answered; may be changed at any time. */
	latencyMs: number;
	private faults: Array<{
		kind: 'status' | 'drop';
		count: number;
		status: number;
		match?: string | RegExp;
	}> = [];
	private unavailableUntil = 0;
	private unavailableRetryAfter?: number;
	salesLocationId?: string;
	bulkStepMs: number;
	bulkRunningSteps: number;
	maxConcurrentBulkQueries: number;
	/** Send inventory_levels/update after every stock change. */
	inventoryWebhooks: boolean;
	idempotencyTtlMs: number;
	private readonly pendingDeliveries = new Set<Promise<unknown>>();

	constructor(options: ShopifySimulatorOptions) {
		this.shop = options.shop ?? 'demo-shop.myshopify.com';
		this.webhookSecret = options.webhookSecret;
		this.accessToken = options.accessToken === undefined ? 'shpat_test' : options.accessToken;
		this.clientId = options.clientId;
		this.clientSecret = options.clientSecret;
		this.apiVersion = options.apiVersion ?? '2026-10';
		this.scope =
			options.scope ?? 'read_inventory,write_inventory,read_locations,read_orders,read_products';
		this.maxQueryCost = options.maxQueryCost ?? 1000;
		this.bucket = options.costBucket ?? new UnmeteredCostBucket();
		this.now = options.now ?? Date.now;
		this.store = {
			shopName: options.shopName ?? 'Demo Shop',
			shopDomain: this.shop,
			apiVersion: this.apiVersion,
			subscriptions: new Map(),
			orders: new Map(),
			locationNames: new Map(),
			newSubscriptionId: () => String(1_358_800_000_000 + ++this.subscriptionSeq),
			nowMs: () => this.now(),
			allowHttpLoopback: options.allowHttpLoopbackWebhooks ?? true,
			resolveNode: (type, id, query) => this.resolveNode(type, id, query),
		};
		this.inventoryWebhooks = options.inventoryWebhooks ?? true;
		this.idempotencyTtlMs = options.idempotencyTtlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS;
		this.inventory = new ShopifyInventory({
			nowMs: () => this.now(),
			idempotencyTtlMs: () => this.idempotencyTtlMs,
			onChange: (c) => this.inventoryChanged(c),
			record: (e: InventoryLogEntry) =>
				this.log.push({ ...e, at: new Date(this.now()).toISOString() }),
			locationName: (id) => this.store.locationNames.get(id) ?? `Location ${id}`,
		});
		this.bulkStepMs = options.bulkStepMs ?? 10;
		this.bulkRunningSteps = options.bulkRunningSteps ?? 2;
		this.maxConcurrentBulkQueries = options.maxConcurrentBulkQueries ?? 1;
		this.bulk = new ShopifyBulk({
			nowMs: () => this.now(),
			baseUrl: () => this.baseUrl,
			stepMs: () => this.bulkStepMs,
			runningSteps: () => this.bulkRunningSteps,
			maxConcurrent: () => this.maxConcurrentBulkQueries,
			onFinish: (op) => this.bulkFinished(op),
		});
		this.latencyMs = options.latencyMs ?? 0;
		this.salesLocationId =
			options.salesLocationId === undefined
				? undefined
				: numericId(String(options.salesLocationId), 'Location');
		this.sales = new ShopifyOrders({
			nowMs: () => this.now(),
			inventory: this.inventory,
			putOrder: (o) => this.putOrder(o),
			getOrder: (id) => this.getOrder(id),
			setLevel: (item, loc, available) => {
				this.setLevel(item, loc, available, { webhook: true });
			},
			deliver: (topic, payload) => this.track(this.deliver(topic, payload)),
			log: (e) => this.log.push({ at: new Date(this.now()).toISOString(), ...e }),
			salesLocationId: () => this.salesLocationId,
		});
		const gql = createShopifyGraphql(this.store, {
			sdl: INVENTORY_SDL + BULK_SDL,
			rootValue: { ...this.inventory.resolvers(), ...this.bulk.resolvers() },
		});
		this.schema = gql.schema;
		this.rootValue = gql.rootValue;
		this.inventory.bind(this.schema);
		this.bulk.bind(this.schema, this.rootValue);
	}

	/* ------------------------------------------------------------------------------------- lifecycle ---- */

	get baseUrl(): string {
		if (this.port === undefined) throw new Error('ShopifySimulator is not started');
		return `http://127.0.0.1:${this.port}`;
	}

	/** URL of the GraphQL endpoint for `version` (default the simulator's). */
	graphqlUrl(version = this.apiVersion): string {
		return `${this.baseUrl}/admin/api/${version}/graphql.json`;
	}

	async start(): Promise<string> {
		if (this.server) return this.baseUrl;
		this.server = http.createServer((req, res) => {
			this.handle(req, res).catch((e: unknown) => {
				if (!res.headersSent)
					send(res, 500, JSON.stringify({ errors: 'Internal Server Error', detail: String(e) }));
				else res.destroy();
			});
		});
		this.port = await listenLoopback(this.server);
		return this.baseUrl;
	}

	async stop(): Promise<void> {
		this.bulk.close();
		const server = this.server;
		this.server = undefined;
		if (server) await closeServer(server);
	}

	/** Replace the cost bucket (e.g. a `LeakyCostBucket` for a throttling test). */
	setCostBucket(bucket: CostBucket): void {
		this.bucket = bucket;
	}

	/* ------------------------------------------------------------------------------------- tokens ---- */

	/** Make every token issued so far expire now (the legacy token is permanent and stays valid). */
	expireTokens(): void {
		for (const t of this.tokens.values()) t.expiresAt = 0;
	}

	/** Tokens issued by the client credentials grant and still valid. */
	validIssuedTokens(): string[] {
		const now = this.now();
		return [...this.tokens.entries()].filter(([, t]) => t.expiresAt > now).map(([k]) => k);
	}

	isValidToken(token: string | undefined): boolean {
		if (!token) return false;
		if (this.accessToken !== null && token === this.accessToken) return true;
		const t = this.tokens.get(token);
		return t !== undefined && t.expiresAt > this.now();
	}

	/* ------------------------------------------------------------------------------------- store ---- */

	/**
	 * Store an order given in the REST/webhook shape (an orders/updated body, object or JSON text); `order(id:)`
	 * serves it in the GraphQL shape. Returns the order id. Ids are kept exact (BigInt, strings, JSON text).
	 */
	putOrder(restOrder: object | string): string {
		const o = (typeof restOrder === 'string' ? parseExact(restOrder) : restOrder) as Record<
			string,
			unknown
		>;
		const id = idString(o.id);
		this.store.orders.set(id, o);
		return id;
	}

	getOrder(id: string | number | bigint): Record<string, unknown> | undefined {
		return this.store.orders.get(String(id));
	}

	/**
	 * A customer checkout that sells only what the shop shows: throws `ShopifyOutOfStockError` (and counts the
	 * attempt in `refusedOrders`) when a line asks for more than the available level at its location; else
	 * creates the order, lowers the levels (inventory_levels/update each) and sends orders/create.
	 */
	placeOrder(spec: PlaceOrderSpec): Record<string, unknown> {
		return this.sales.placeOrder(spec);
	}

	/** Cancel an order; `restock` (default true) returns its units (refund lines `restock_type: cancel`). */
	cancelOrder(
		orderId: Id,
		opts: { restock?: boolean; reason?: string } = {},
	): Record<string, unknown> {
		return this.sales.cancelOrder(orderId, opts);
	}

	/** Refund units of an order's lines; `restock` (default true) returns them (`return`), else `no_restock`. */
	refundOrder(
		orderId: Id,
		lines: Array<{ lineItemId?: Id; sku?: string; quantity: number; restock?: boolean }>,
	): Record<string, unknown> {
		return this.sales.refundOrder(orderId, lines);
	}

	/** Checkouts refused because they asked for more than the shop showed. */
	get refusedOrders(): RefusedOrder[] {
		return this.sales.refused;
	}

	/** Name a location (Location.name in GraphQL answers). */
	putLocation(id: string | number | bigint, name: string): void {
		this.store.locationNames.set(String(id), name);
	}

	/** Current webhook subscriptions, with the topic in both spellings. */
	get subscriptions(): Array<WebhookSubscriptionRecord & { restTopic: string }> {
		return [...this.store.subscriptions.values()].map((s) => ({
			...s,
			restTopic: TOPIC_ENUM_TO_REST[s.topic] ?? s.topic,
		}));
	}

	/** Drop a subscription the way Shopify does after repeated failed deliveries. Accepts a GID or a numeric id. */
	removeSubscription(id: string): boolean {
		const numeric = id.replace(/^gid:\/\/shopify\/WebhookSubscription\//, '');
		return this.store.subscriptions.delete(numeric);
	}

	/* ------------------------------------------------------------------------------------- inventory ---- */

	/** Create or update an inventory item (numeric id or GID). */
	putInventoryItem(id: string | number | bigint, sku: string | null, tracked = true): void {
		this.inventory.putItem(id, sku, tracked);
	}

	/**
	 * Set a level from a test (stocks the item at the location if it was not). No webhook unless
	 * `{ webhook: true }` (a merchant's own change in the admin, which Shopify does announce).
	 */
	setLevel(
		itemId: string | number | bigint,
		locationId: string | number | bigint,
		available: number,
		opts: { webhook?: boolean } = {},
	): InventoryLevelRecord {
		const before = this.inventory.level(itemId, locationId);
		const level = this.inventory.setLevel(itemId, locationId, available);
		if (opts.webhook) {
			this.inventoryChanged({
				inventoryItemId: String(itemId).replace(/^gid:\/\/shopify\/InventoryItem\//, ''),
				locationId: String(locationId).replace(/^gid:\/\/shopify\/Location\//, ''),
				available,
				delta: available - (before?.available ?? 0),
				updatedAt: level.updatedAt,
			});
		}
		return { ...level };
	}

	/** The level now (a copy), or undefined when the item is not stocked there. */
	level(
		itemId: string | number | bigint,
		locationId: string | number | bigint,
	): InventoryLevelRecord | undefined {
		return this.inventory.level(itemId, locationId);
	}

	/** `node`/`nodes` for the types this simulator keeps beyond orders and subscriptions. */
	private resolveNode(
		type: string,
		id: string,
		query: string,
	): Record<string, unknown> | null | undefined {
		if (type === 'InventoryItem' || type === 'InventoryLevel')
			return this.inventory.nodeById(type, id, query);
		if (type === 'BulkOperation') return this.bulk.nodeById(id);
		if (type === 'Location') {
			const known =
				this.store.locationNames.has(id) ||
				[...this.inventory.items.values()].some((i) => i.levels.has(id));
			return known
				? {
						__typename: 'Location',
						id: `gid://shopify/Location/${id}`,
						legacyResourceId: id,
						name: this.store.locationNames.get(id) ?? `Location ${id}`,
					}
				: null;
		}
		return undefined;
	}

	/** Inventory mutation calls logged so far (op 'mutation'), optionally of one mutation. */
	mutationCalls(name?: string): ShopifyLogEntry[] {
		return this.log.filter((e) => e.op === 'mutation' && (name === undefined || e.name === name));
	}

	/** A bulk operation reached COMPLETED, FAILED or CANCELED: log it and send bulk_operations/finish. */
	private bulkFinished(op: BulkOperationRecord): void {
		const at = new Date(this.now()).toISOString();
		this.log.push({
			op: 'bulk',
			name: op.status,
			at,
			id: op.id,
			objectCount: op.objectCount,
			errorCode: op.errorCode,
		});
		const body = {
			admin_graphql_api_id: `gid://shopify/BulkOperation/${op.id}`,
			completed_at: shopifyTime(new Date(op.completedAt ?? this.now())),
			created_at: shopifyTime(new Date(op.createdAt)),
			error_code: op.errorCode === null ? null : op.errorCode.toLowerCase(),
			status: op.status.toLowerCase(),
			type: op.type.toLowerCase(),
		};
		this.track(this.deliver('bulk_operations/finish', body));
	}

	/** Keep a delivery in `webhooksIdle()`'s set until it settles. */
	private track(delivery: Promise<unknown>): void {
		const p: Promise<unknown> = delivery
			.catch(() => undefined)
			.finally(() => this.pendingDeliveries.delete(p));
		this.pendingDeliveries.add(p);
	}

	/** Resolves when every webhook delivery started by a stock change has finished. */
	async webhooksIdle(): Promise<void> {
		while (this.pendingDeliveries.size > 0) await Promise.allSettled([...this.pendingDeliveries]);
	}

	private inventoryChanged(c: InventoryChangeRecord): void {
		if (!this.inventoryWebhooks) return;
		const body = shopifyInventoryLevel({
			inventoryItemId: c.inventoryItemId,
			locationId: c.locationId,
			available: c.available,
			updatedAt: new Date(c.updatedAt),
		});
		this.track(this.deliver('inventory_levels/update', body));
	}

	/* ------------------------------------------------------------------------------------- webhooks ---- */

	/** base64 HMAC-SHA256 of the raw bytes, keyed with `secret` (default the app's client secret). */
	signBody(raw: string | Buffer, secret: string = this.webhookSecret): string {
		return createHmac('sha256', secret).update(raw).digest('base64');
	}

	/** The exact body a payload is sent as: objects through the BigInt-aware serializer, text as is. */
	serialize(payload: object | string | Buffer): Buffer {
		if (Buffer.isBuffer(payload)) return payload;
		return Buffer.from(typeof payload === 'string' ? payload : toJson(payload), 'utf8');
	}

	async sendWebhook(
		url: string,
		topic: string,
		payload: object | string | Buffer,
		opts: SendWebhookOptions = {},
	): Promise<WebhookSendResult> {
		const restTopic = TOPIC_ENUM_TO_REST[topic] ?? topic;
		const body = this.serialize(payload);
		const hmac = this.signBody(body, opts.secret ?? this.webhookSecret);
		const sent = opts.tamper ? tamperBody(body) : body;
		const eventId = opts.eventId ?? randomUUID();
		const webhookId = opts.webhookId ?? randomUUID();
		const headers: Record<string, string> = {
			'Content-Type': 'application/json',
			'User-Agent': 'Shopify-Captain-Hook',
			Accept: '*/*',
			'X-Shopify-Topic': restTopic,
			'X-Shopify-Hmac-Sha256': hmac,
			'X-Shopify-Shop-Domain': opts.shopDomain ?? this.shop,
			'X-Shopify-API-Version': opts.apiVersion ?? this.apiVersion,
			'X-Shopify-Webhook-Id': webhookId,
			'X-Shopify-Event-Id': eventId,
			'X-Shopify-Triggered-At': opts.triggeredAt ?? triggeredAtNow(this.now()),
		};
		if (opts.omitHmac) delete headers['X-Shopify-Hmac-Sha256'];
		Object.assign(headers, opts.headers ?? {});
		const result = await postRaw(url, sent, headers, {
			timeoutMs: opts.timeoutMs ?? 5000,
			connectTimeoutMs: 1000,
		});
		this.log.push({
			op: 'webhook',
			name: restTopic,
			at: new Date(this.now()).toISOString(),
			url,
			status: result.status,
			error: result.error,
			eventId,
			webhookId,
			durationMs: result.durationMs,
		});
		return {
			...result,
			rawBody: sent.toString('utf8'),
			requestHeaders: headers,
			eventId,
			webhookId,
		};
	}

	/**
	 * Deliver one event to every subscription registered (webhookSubscriptionCreate) for `topic` (REST spelling
	 * or enum): one delivery per subscription, all with the same X-Shopify-Event-Id. Pub/Sub and EventBridge
	 * addresses are skipped.
	 */
	async deliver(
		topic: string,
		payload: object | string | Buffer,
		opts: Omit<SendWebhookOptions, 'webhookId'> = {},
	): Promise<DeliveryResult[]> {
		const topicEnum = TOPIC_REST_TO_ENUM[topic] ?? topic;
		const eventId = opts.eventId ?? randomUUID();
		const targets = [...this.store.subscriptions.values()].filter(
			(s) => s.topic === topicEnum && /^https?:\/\//.test(s.uri),
		);
		return Promise.all(
			targets.map(async (s) => {
				const r = await this.sendWebhook(s.uri, topicEnum, payload, {
					...opts,
					eventId,
					apiVersion: opts.apiVersion ?? s.apiVersion,
				});
				return { ...r, subscriptionId: s.id, uri: s.uri };
			}),
		);
	}

	/* ------------------------------------------------------------------------ faults and call counts ---- */

	/** The next `count` GraphQL requests (whose operation name equals or matches `match`) answer `status`. */
	failNext(count: number, status = 500, match?: string | RegExp): void {
		this.faults.push({ kind: 'status', count, status, match });
	}

	/** The next `count` GraphQL requests (matching `match`) get their connection closed without an answer. */
	dropNextConnections(count: number, match?: string | RegExp): void {
		this.faults.push({ kind: 'drop', count, status: 0, match });
	}

	/** Answer 503 to every GraphQL request for `ms` (simulator clock); `retryAfter` seconds optional. */
	unavailableFor(ms: number, retryAfter?: number): void {
		this.unavailableUntil = this.now() + ms;
		this.unavailableRetryAfter = retryAfter;
	}

	/** Clear injected faults and the outage window. */
	clearFaults(): void {
		this.faults = [];
		this.unavailableUntil = 0;
	}

	/**
	 * GraphQL calls in the log (faulted ones included), optionally only those whose operation name (the named
	 * operation, else its first root field; '(unauthorized)' etc. for refused ones) equals or matches `name`,
	 * and only those answered with `status` (0: dropped connection).
	 */
	countCalls(name?: string | RegExp, status?: number): number {
		return this.log.filter(
			(e) =>
				e.op === 'graphql' &&
				(name === undefined || (typeof name === 'string' ? e.name === name : name.test(e.name))) &&
				(status === undefined || e.status === status),
		).length;
	}

	private static matches(match: string | RegExp | undefined, name: string): boolean {
		if (match === undefined) return true;
		return typeof match === 'string' ? name === match : match.test(name);
	}

	/** The operation name of a request body, as the log names calls; '(unknown)' when it cannot be read. */
	private operationNameOf(body: Buffer): string {
		try {
			const parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
			if (typeof parsed.query !== 'string') return '(unknown)';
			const op = getOperationAST(
				this.parseDocument(parsed.query),
				typeof parsed.operationName === 'string' ? parsed.operationName : undefined,
			);
			const first = op?.selectionSet.selections[0];
			return op?.name?.value ?? (first?.kind === 'Field' ? first.name.value : '(anonymous)');
		} catch {
			return '(unknown)';
		}
	}

	/** A fault answering this request, or null. Order: dropped connection, 503 window, injected status. */
	private faultFor(
		name: string,
	):
		| { kind: 'drop' }
		| { kind: 'status'; status: number; fault: string; headers: Record<string, string | number> }
		| null {
		const f = this.faults.find((x) => x.count > 0 && ShopifySimulator.matches(x.match, name));
		if (f && f.kind === 'drop') {
			f.count--;
			return { kind: 'drop' };
		}
		if (this.now() < this.unavailableUntil) {
			const headers: Record<string, string | number> = {};
			if (this.unavailableRetryAfter !== undefined)
				headers['Retry-After'] = this.unavailableRetryAfter;
			return { kind: 'status', status: 503, fault: 'unavailable', headers };
		}
		if (f) {
			f.count--;
			return { kind: 'status', status: f.status, fault: 'injected', headers: {} };
		}
		return null;
	}

	/* ------------------------------------------------------------------------------------- HTTP ---- */

	private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		const url = new URL(req.url ?? '/', 'http://127.0.0.1');
		const body = await readBody(req);
		const file = /^\/bulk-operations\/([0-9]+)\/(result|partial)\.jsonl$/.exec(url.pathname);
		if (file) {
			if (req.method !== 'GET') return send(res, 405, '{"errors":"Method Not Allowed"}');
			const d = this.bulk.download(file[1], file[2] === 'partial');
			this.log.push({
				op: 'download',
				name: file[2],
				at: new Date(this.now()).toISOString(),
				status: d.status,
				bytes: d.body.length,
			});
			res.writeHead(d.status, {
				'Content-Type': d.status === 200 ? 'application/jsonl' : 'application/xml',
				'Content-Length': d.body.length,
			});
			// Sent in chunks, as a large file streams from storage.
			for (let i = 0; i < d.body.length; i += 64 * 1024)
				res.write(d.body.subarray(i, i + 64 * 1024));
			res.end();
			return;
		}
		if (url.pathname === '/admin/oauth/access_token') {
			if (req.method !== 'POST') return send(res, 405, '{"errors":"Method Not Allowed"}');
			return this.handleToken(req, body, res);
		}
		const m = /^\/admin\/api\/([^/]+)\/graphql\.json$/.exec(url.pathname);
		if (m) {
			if (!API_VERSION.test(m[1])) return send(res, 404, '{"errors":"Not Found"}');
			if (req.method !== 'POST') return send(res, 405, '{"errors":"Method Not Allowed"}');
			if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
			if (this.faults.length > 0 || this.unavailableUntil > 0) {
				const name = this.operationNameOf(body);
				const fault = this.faultFor(name);
				const at = new Date(this.now()).toISOString();
				if (fault && fault.kind === 'drop') {
					this.log.push({ op: 'graphql', name, at, status: 0, fault: 'dropped' });
					req.socket.destroy();
					return;
				}
				if (fault) {
					this.log.push({ op: 'graphql', name, at, status: fault.status, fault: fault.fault });
					const text = http.STATUS_CODES[fault.status] ?? 'Error';
					return send(res, fault.status, JSON.stringify({ errors: text }), {
						'X-Request-Id': randomUUID(),
						...fault.headers,
					});
				}
			}
			return this.handleGraphql(req, body, m[1], res);
		}
		send(res, 404, '{"errors":"Not Found"}');
	}

	private handleToken(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void {
		const type = String(req.headers['content-type'] ?? '');
		let params: Record<string, unknown> = {};
		try {
			if (type.includes('application/json'))
				params = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
			else params = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
		} catch {
			params = {};
		}
		const at = new Date(this.now()).toISOString();
		const fail = (status: number, error: string, description: string) => {
			this.log.push({ op: 'token', name: 'client_credentials', at, status, error });
			send(res, status, JSON.stringify({ error, error_description: description }));
		};
		if (params.grant_type !== 'client_credentials') {
			return fail(
				400,
				'unsupported_grant_type',
				'The authorization grant type is not supported by the authorization server.',
			);
		}
		if (
			!this.clientId ||
			!this.clientSecret ||
			params.client_id !== this.clientId ||
			typeof params.client_secret !== 'string' ||
			params.client_secret !== this.clientSecret
		) {
			return fail(
				400,
				'invalid_client',
				'Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.',
			);
		}
		const token = `shpat_${randomBytes(16).toString('hex')}`;
		const now = this.now();
		this.tokens.set(token, { issuedAt: now, expiresAt: now + TOKEN_LIFETIME_S * 1000 });
		this.tokenGrants++;
		this.log.push({ op: 'token', name: 'client_credentials', at, status: 200 });
		send(
			res,
			200,
			JSON.stringify({ access_token: token, scope: this.scope, expires_in: TOKEN_LIFETIME_S }),
		);
	}

	private costExtension(
		requested: number,
		actual: number | null,
	): { cost: Record<string, unknown> } {
		const throttleStatus: ThrottleStatus = this.bucket.status(this.now());
		return { cost: { requestedQueryCost: requested, actualQueryCost: actual, throttleStatus } };
	}

	/** The first array argument (at any depth) longer than 250, as Shopify's error; null when none. */
	private oversizedInput(
		operation: OperationDefinitionNode,
		variables: Record<string, unknown>,
	): Record<string, unknown> | null {
		const root = (
			operation.operation === 'mutation'
				? this.schema.getMutationType()
				: this.schema.getQueryType()
		) as GraphQLObjectType | null;
		if (!root) return null;
		const find = (v: unknown, path: string[]): string[] | null => {
			if (Array.isArray(v)) {
				if (v.length > MAX_INPUT_ARRAY) return path;
				for (let i = 0; i < v.length; i++) {
					const hit = find(v[i], path);
					if (hit) return hit;
				}
			} else if (v !== null && typeof v === 'object') {
				for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
					const hit = find(x, [...path, k]);
					if (hit) return hit;
				}
			}
			return null;
		};
		for (const sel of operation.selectionSet.selections) {
			if (sel.kind !== 'Field') continue;
			const def = root.getFields()[sel.name.value];
			if (!def) continue;
			const args = getArgumentValues(def, sel, variables);
			const path = find(args, [sel.alias?.value ?? sel.name.value]);
			if (path) {
				let size = 0;
				let v: unknown = args;
				for (const k of path.slice(1)) v = (v as Record<string, unknown>)[k];
				size = (v as unknown[]).length;
				return {
					message: `The input array size of ${size} is greater than the maximum allowed of ${MAX_INPUT_ARRAY}.`,
					locations: sel.loc
						? [{ line: sel.loc.startToken.line, column: sel.loc.startToken.column }]
						: [],
					path,
					extensions: { code: 'MAX_INPUT_SIZE_EXCEEDED' },
				};
			}
		}
		return null;
	}

	private parseDocument(query: string): DocumentNode {
		let doc = this.documents.get(query);
		if (!doc) {
			doc = parse(query);
			if (this.documents.size > 500) this.documents.clear();
			this.documents.set(query, doc);
		}
		return doc;
	}

	private async handleGraphql(
		req: http.IncomingMessage,
		body: Buffer,
		version: string,
		res: http.ServerResponse,
	): Promise<void> {
		const headers = { 'X-Shopify-API-Version': version, 'X-Request-Id': randomUUID() };
		const token = req.headers['x-shopify-access-token'];
		const at = new Date(this.now()).toISOString();
		if (!this.isValidToken(Array.isArray(token) ? token[0] : token)) {
			this.log.push({ op: 'graphql', name: '(unauthorized)', at, status: 401 });
			return send(res, 401, INVALID_TOKEN, headers);
		}
		let query: unknown;
		let variables: unknown;
		let operationName: unknown;
		const type = String(req.headers['content-type'] ?? '');
		if (type.includes('application/graphql')) {
			query = body.toString('utf8');
		} else {
			try {
				const parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
				query = parsed.query;
				variables = parsed.variables;
				operationName = parsed.operationName;
			} catch {
				this.log.push({ op: 'graphql', name: '(bad json)', at, status: 400 });
				return send(res, 400, JSON.stringify({ errors: 'Bad Request' }), headers);
			}
		}
		if (typeof query !== 'string' || query.trim() === '') {
			this.log.push({ op: 'graphql', name: '(no query)', at, status: 400 });
			return send(
				res,
				400,
				JSON.stringify({ errors: { query: 'Required parameter missing or invalid' } }),
				headers,
			);
		}
		const reply = (
			payload: ExecutionResult | Record<string, unknown>,
			name: string,
			extra: Record<string, unknown> = {},
		) => {
			this.log.push({ op: 'graphql', name, at, status: 200, ...extra });
			send(res, 200, toJson(payload), headers);
		};

		let document: DocumentNode;
		try {
			document = this.parseDocument(query);
		} catch (e) {
			const err = e instanceof GraphQLError ? e : new GraphQLError(String(e));
			return reply(
				{ errors: [err.toJSON()], extensions: this.costExtension(0, null) },
				'(syntax error)',
			);
		}
		const validationErrors = validate(this.schema, document);
		if (validationErrors.length > 0) {
			return reply(
				{
					errors: validationErrors.map((e) => e.toJSON()),
					extensions: this.costExtension(0, null),
				},
				'(invalid)',
			);
		}
		const operation = getOperationAST(
			document,
			typeof operationName === 'string' ? operationName : undefined,
		);
		if (!operation) {
			return reply(
				{
					errors: [{ message: 'An operation name is required' }],
					extensions: this.costExtension(0, null),
				},
				'(no operation)',
			);
		}
		const name =
			operation.name?.value ??
			(operation.selectionSet.selections[0]?.kind === 'Field'
				? operation.selectionSet.selections[0].name.value
				: '(anonymous)');
		const varsInput = (variables ?? {}) as Record<string, unknown>;
		const coerced = getVariableValues(this.schema, operation.variableDefinitions ?? [], varsInput);
		if ('errors' in coerced && coerced.errors) {
			return reply(
				{ errors: coerced.errors.map((e) => e.toJSON()), extensions: this.costExtension(0, null) },
				name,
			);
		}
		const oversized = this.oversizedInput(operation, coerced.coerced);
		if (oversized) {
			return reply({ errors: [oversized], extensions: this.costExtension(0, null) }, name, {
				rejected: 'MAX_INPUT_SIZE_EXCEEDED',
			});
		}
		const cost = queryCost(this.schema, document, operation, coerced.coerced);
		if (cost.requested > this.maxQueryCost) {
			return reply(
				{
					errors: [
						{
							message:
								`Query cost is ${cost.requested}, which exceeds the single query max cost limit (${this.maxQueryCost}).\n\n` +
								'See https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\n' +
								'cost of a query is calculated.\n\n' +
								'To query larger amounts of data with fewer limits, bulk operations should be used instead.\n' +
								'See https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n',
							extensions: {
								code: 'MAX_COST_EXCEEDED',
								cost: cost.requested,
								maxCost: this.maxQueryCost,
								documentation: 'https://shopify.dev/api/usage/rate-limits',
							},
						},
					],
					extensions: this.costExtension(cost.requested, null),
				},
				name,
				{ requestedQueryCost: cost.requested, rejected: 'MAX_COST_EXCEEDED' },
			);
		}
		if (!this.bucket.take(cost.requested, this.now())) {
			return reply(
				{
					errors: [
						{
							message: 'Throttled',
							extensions: {
								code: 'THROTTLED',
								documentation: 'https://shopify.dev/api/usage/rate-limits',
							},
						},
					],
					extensions: this.costExtension(cost.requested, null),
				},
				name,
				{ requestedQueryCost: cost.requested, rejected: 'THROTTLED' },
			);
		}
		const result = (await execute({
			schema: this.schema,
			document,
			rootValue: this.rootValue,
			contextValue: { apiVersion: version } satisfies ShopifyRequestContext,
			variableValues: varsInput,
			operationName: operation.name?.value,
		})) as ExecutionResult;
		const actual = cost.actual(result.data as Record<string, unknown> | null | undefined);
		this.bucket.refund(Math.max(0, cost.requested - actual), this.now());
		const out: Record<string, unknown> = {};
		if (result.errors && result.errors.length > 0)
			out.errors = result.errors.map((e) => e.toJSON());
		out.data = result.data ?? null;
		out.extensions = this.costExtension(cost.requested, actual);
		reply(out, name, {
			requestedQueryCost: cost.requested,
			actualQueryCost: actual,
			variables: varsInput,
		});
	}
}
