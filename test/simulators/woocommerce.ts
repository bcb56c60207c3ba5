import http from 'node:http';
import { createHmac, randomBytes } from 'node:crypto';
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
import { idString, toJson, toPhpJson } from './json';
import {
	type Id,
	type JsonObject,
	WOO_DEFAULT_UTC_OFFSET_MINUTES,
	type WooOrderStatus,
	wooOrder,
	wooProduct,
	wooTime,
	wooVariation,
} from './payloads';

/**
 * A local WooCommerce (REST API v3 and webhooks) on 127.0.0.1. It follows /work/shared/platform-facts.md
 * ("WooCommerce") and WooCommerce's own source (class-wc-webhook.php, class-wc-rest-webhooks-v1/v2
 * controllers, class-wc-rest-authentication.php) — nothing friendlier:
 *
 * - Auth: consumer key/secret as `consumer_key`/`consumer_secret` query parameters (checked first) or HTTP
 *   Basic. WooCommerce accepts these only over HTTPS (plain HTTP needs OAuth 1.0a signing); the simulator
 *   accepts them over plain HTTP because it only listens on loopback (design.md "Simulators and credentials").
 *   No credentials or an unknown key: the endpoint's permission error, HTTP 401 (`woocommerce_rest_cannot_view`
 *   "Sorry, you cannot list resources." for a list, and so on). A known key with a wrong secret: 401
 *   `woocommerce_rest_authentication_error` "Consumer secret is invalid.". A read-only key writing: 401.
 * - Products: `GET /products` (`per_page` 1..100, else 400 `rest_invalid_param`; `page`; `sku` — comma list,
 *   which also searches variations, as WooCommerce does; totals in `X-WP-Total`/`X-WP-TotalPages`),
 *   `GET|PUT /products/{id}` (variations too: webhook payloads are built from that endpoint),
 *   `GET /products/{id}/variations`, and the batch endpoints (≤ 100 objects per call, else 413; per-item errors
 *   inside an HTTP 200). Writes move `date_modified`.
 * - Webhooks: `GET|POST /webhooks`, `GET|PUT|DELETE /webhooks/{id}` (DELETE without `force=true` → 501
 *   `woocommerce_rest_trash_not_supported`; an unknown id → 400 "ID is invalid." on GET/PUT and 404 on DELETE,
 *   as the controller does). The secret is never echoed (it is `context: edit` in the schema but absent from
 *   the response data). REST creation ignores a `status` in the body (always `active`). After creating, the
 *   ping: POST `webhook_id=<id>` (form-encoded, no signature headers); WooCommerce requires exactly 200
 *   (`200 !== $response_code`). See `pingFailureDisables` for what happens otherwise.
 * - Deliveries (`deliver`): to every `active` webhook of the topic; headers X-WC-Webhook-Source (site URL with
 *   trailing slash), -Topic, -Resource, -Event, -Signature (base64 HMAC-SHA256 of the raw body with the
 *   webhook's secret, HTML entities decoded as `wp_specialchars_decode` does), -ID, -Delivery-ID
 *   (`wp_hash(id . time())`: neither unique nor stable); body as PHP `json_encode` writes it (`\/`, `\uXXXX`);
 *   timeout 60 s, no redirects, **no retries**. A 2xx, 300, 301 or 302 answer is a success and resets the
 *   failure count; anything else (or no answer) is a failure: `failed_delivery()` disables the webhook when the
 *   stored count is already above `maxDeliveryFailures`, else increments it — so with the default 5 the
 *   7th consecutive failure disables it (the count reaches 6 first). A re-activated webhook keeps its count.
 *
 * - Event deliveries (`product.updated`, `order.created`, `order.updated`) are queued and sent after the change
 *   (`deliveryDelayMs`, default 0: the next timer turn), each payload built **when it is sent** (the resource's
 *   current state), several changes of one resource before the send coalesced into one delivery. A stock write
 *   (REST item or batch, or a sale) sets `date_modified(_gmt)` and queues `product.updated` of the product or
 *   variation whose stock moved. Deliveries can be **dropped** (`dropDeliveryFraction`, `dropDelivery`,
 *   `dropNextDeliveries`): a dropped delivery is never sent and never retried — lost, as in WooCommerce.
 * - Orders: `GET /orders` (`modified_after`/`modified_before`/`after`/`before`, read in GMT with
 *   `dates_are_gmt=true` and in the site's zone otherwise, exclusive as WP_Date_Query's `after`; `orderby`
 *   date|modified|id, `order`, `status`, paging headers), `GET|PUT /orders/{id}` (status changes). Stock follows
 *   `wc-stock-functions.php`: reaching processing/on-hold/completed reduces every line of a stock-managed product
 *   that has no `_reduced_stock` yet and sets that meta; reaching cancelled/pending restores what each line's
 *   `_reduced_stock` says and deletes it; any other status changes nothing. `placeOrder` is a customer checkout:
 *   it sells only what the store shows (more than `stock_quantity` of a managed product without backorders is
 *   refused with WooCommerce's cart message).
 * - Host limits and faults (in front of WordPress, as hosts/caches/WAFs answer): `requestsPerSecond` → 429 with
 *   `Retry-After` (`retryAfterSeconds`), `failNext` (5xx), `unavailableFor` (503 for N ms), `latencyMs`,
 *   `dropNextConnections` (socket closed without an answer). Every request is in `log` (op `rest`, with `fault`
 *   when one answered it); `countCalls` counts them.
 *
 * Not simulated: delivery is immediate (real WooCommerce sends via Action Scheduler, often seconds later);
 * `wp_safe_remote_*` would refuse private/loopback addresses and ports other than 80, 443 and 8080 unless they
 * are the site's own host and port — the simulator delivers to any loopback port.
 */

export interface WooCommerceSimulatorOptions {
	consumerKey: string;
	consumerSecret: string;
	/** `woocommerce_max_webhook_delivery_failures` (default 5). */
	maxDeliveryFailures?: number;
	/** Permissions of the key (default read_write). */
	keyPermissions?: 'read' | 'write' | 'read_write';
	/**
	 * What a failed creation ping does. true (default, platform-facts): the webhook is saved `disabled`.
	 * false: WooCommerce's REST controller as written — `create_item` ignores `deliver_ping()`'s result, the
	 * webhook stays `active` with its pending-delivery flag set.
	 */
	pingFailureDisables?: boolean;
	/** Site time zone offset (default +120 minutes, so local dates differ from GMT ones). */
	utcOffsetMinutes?: number;
	/**
	 * After a stock/product write (REST or a sale), deliver `product.updated` to subscribed webhooks, as
	 * WooCommerce does. Default true.
	 */
	echoProductUpdates?: boolean;
	/** Delay before queued event deliveries are sent (default 0 ms). */
	deliveryDelayMs?: number;
	/** Fraction (0..1) of event deliveries dropped (never sent, never retried). Default 0. */
	dropDeliveryFraction?: number;
	/** Chosen deliveries to drop: true → dropped. Checked before the fraction. */
	dropDelivery?: (d: WooQueuedDelivery) => boolean;
	/** Random source of the drop fraction (default Math.random). */
	random?: () => number;
	/** Host rate limit: at most this many requests in any 1 s window; above it → 429. Default none. */
	requestsPerSecond?: number;
	/** `Retry-After` seconds of a 429 (default 1); null: header omitted. */
	retryAfterSeconds?: number | null;
	/** Added to every REST request before it is answered (default 0). */
	latencyMs?: number;
	wcVersion?: string;
	wpVersion?: string;
	now?: () => number;
}

export interface WooLogEntry extends SimLogEntry {
	op: 'rest' | 'webhook' | 'ping' | 'dropped';
}

/** An event delivery waiting to be sent (its payload is built when it is). */
export interface WooQueuedDelivery {
	topic: string;
	resource: 'product' | 'order';
	id: string;
}

export interface WooOrderLineInput {
	/** The product or variation by SKU, or by id. */
	sku?: string;
	productId?: Id;
	quantity: number;
}

/** A checkout refused because the store does not show enough stock ("sells only what it shows"). */
export class WooOutOfStockError extends Error {
	constructor(
		message: string,
		readonly productId: string,
		readonly available: number,
	) {
		super(message);
		this.name = 'WooOutOfStockError';
	}
}

/** Statuses at which WooCommerce reduces stock (`wc_maybe_reduce_stock_levels`). */
const REDUCING_STATUSES = ['processing', 'on-hold', 'completed'];
/** Statuses at which it restores stock (`wc_maybe_increase_stock_levels`). */
const RESTORING_STATUSES = ['cancelled', 'pending'];

export type WooWebhookStatus = 'active' | 'paused' | 'disabled';

export interface WooWebhookRecord {
	id: number;
	name: string;
	status: WooWebhookStatus;
	topic: string;
	resource: string;
	event: string;
	hooks: string[];
	deliveryUrl: string;
	secret: string;
	failureCount: number;
	pendingDelivery: boolean;
	dateCreatedMs: number;
	dateModifiedMs: number;
}

export interface WooSendOptions {
	/** Signing secret; default that of webhook `webhookId` when it exists. */
	secret?: string;
	omitSignature?: boolean;
	/** Change one byte of the body after signing. */
	tamper?: boolean;
	webhookId?: number | string;
	deliveryId?: string;
	/** Body encoding for object payloads: 'php' (default, WooCommerce's wire format) or 'plain' (JSON.stringify-like). */
	encoding?: 'php' | 'plain';
	headers?: Record<string, string>;
	timeoutMs?: number;
}

export interface WooSendResult extends PostResult {
	rawBody: string;
	requestHeaders: Record<string, string>;
	deliveryId: string;
}

export interface WooDeliveryResult extends WooSendResult {
	webhookId: number;
	url: string;
	/** Counted as a success by WooCommerce (2xx, 300, 301, 302). */
	success: boolean;
	failureCount: number;
	/** The webhook's status after this delivery. */
	webhookStatus: WooWebhookStatus;
}

/** `WC_Webhook::get_default_topic_hooks()` (WooCommerce 10.x). */
const TOPIC_HOOKS: Record<string, string[]> = {
	'coupon.created': ['woocommerce_process_shop_coupon_meta', 'woocommerce_new_coupon'],
	'coupon.updated': ['woocommerce_process_shop_coupon_meta', 'woocommerce_update_coupon'],
	'coupon.deleted': ['wp_trash_post'],
	'coupon.restored': ['untrashed_post'],
	'customer.created': ['user_register', 'woocommerce_created_customer', 'woocommerce_new_customer'],
	'customer.updated': ['profile_update', 'woocommerce_update_customer'],
	'customer.deleted': ['delete_user'],
	'order.created': ['woocommerce_new_order'],
	'order.updated': [
		'woocommerce_update_order',
		'woocommerce_order_refunded',
		'woocommerce_delete_order_refund',
	],
	'order.deleted': ['wp_trash_post', 'woocommerce_trash_order'],
	'order.restored': ['untrashed_post', 'woocommerce_untrash_order'],
	'product.created': [
		'woocommerce_process_product_meta',
		'woocommerce_new_product',
		'woocommerce_new_product_variation',
	],
	'product.updated': [
		'woocommerce_process_product_meta',
		'woocommerce_update_product',
		'woocommerce_update_product_variation',
	],
	'product.deleted': ['wp_trash_post'],
	'product.restored': ['untrashed_post'],
};

const STATUSES: WooWebhookStatus[] = ['active', 'paused', 'disabled'];

function isValidTopic(topic: string): boolean {
	if (topic.startsWith('action.') && topic.length > 'action.'.length) return true;
	return topic in TOPIC_HOOKS;
}

function splitTopic(topic: string): { resource: string; event: string } {
	const i = topic.indexOf('.');
	return { resource: topic.slice(0, i), event: topic.slice(i + 1) };
}

/** `wp_specialchars_decode($secret, ENT_QUOTES)`: the secret is stored HTML-escaped, signed decoded. */
function specialcharsDecode(s: string): string {
	return s
		.replace(/&lt;/g, '<')
		.replace(/&gt;/g, '>')
		.replace(/&quot;/g, '"')
		.replace(/&#0*39;/g, "'")
		.replace(/&#x0*27;/gi, "'")
		.replace(/&amp;/g, '&');
}

/** `wp_generate_password(50, true, true)`. */
function generatePassword(length = 50): string {
	const chars =
		'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@#$%^&*()-_ []{}<>~`+=,.;:/?|';
	const bytes = randomBytes(length);
	let out = '';
	for (let i = 0; i < length; i++) out += chars[bytes[i] % chars.length];
	return out;
}

function errorJson(
	code: string,
	message: string,
	status: number,
	extra: Record<string, unknown> = {},
): string {
	return JSON.stringify({ code, message, data: { status, ...extra } });
}

function truthy(v: unknown): boolean {
	return v === true || v === 'true' || v === '1' || v === 1;
}

interface Route {
	kind: 'collection' | 'item' | 'batch';
	resource: 'products' | 'variations' | 'webhooks' | 'orders';
	id?: string;
	parentId?: string;
}

export class WooCommerceSimulator {
	readonly consumerKey: string;
	readonly consumerSecret: string;
	readonly maxDeliveryFailures: number;
	readonly log: WooLogEntry[] = [];
	/** Products and variations by id (REST v3 product shape). */
	readonly products = new Map<string, JsonObject>();
	readonly webhooks = new Map<number, WooWebhookRecord>();
	/** Orders by id (REST v3 order shape, line `meta_data` kept current). */
	readonly orders = new Map<string, JsonObject>();
	/** Event deliveries dropped (never sent). */
	readonly droppedDeliveries: Array<WooQueuedDelivery & { at: string }> = [];
	/** Fraction (0..1) of event deliveries dropped; may be changed at any time. */
	dropDeliveryFraction: number;
	/** Host rate limit (requests per 1 s window); undefined: none. May be changed at any time. */
	requestsPerSecond?: number;
	retryAfterSeconds: number | null;
	latencyMs: number;

	private readonly keyPermissions: 'read' | 'write' | 'read_write';
	private readonly pingFailureDisables: boolean;
	private readonly utcOffsetMinutes: number;
	private readonly echoProductUpdates: boolean;
	private readonly userAgent: string;
	private readonly salt = randomBytes(32).toString('hex');
	private readonly now: () => number;
	private server?: http.Server;
	private port?: number;
	private webhookSeq = 0;
	private productSeq = 0;
	private readonly pendingEchoes = new Set<Promise<unknown>>();
	private readonly deliveryDelayMs: number;
	private readonly dropDelivery?: (d: WooQueuedDelivery) => boolean;
	private readonly random: () => number;
	private readonly queue = new Map<string, WooQueuedDelivery>();
	private flushScheduled = false;
	private dropNext: Array<{ count: number; topic?: string }> = [];
	private orderSeq = 0;
	private metaSeq = 0;
	private readonly stockReduced = new Set<string>();
	private readonly requestTimes: number[] = [];
	private faults: Array<{
		kind: 'status' | 'drop';
		count: number;
		status: number;
		match?: string | RegExp;
	}> = [];
	private unavailableUntil = 0;
	private unavailableRetryAfter?: number;

	constructor(options: WooCommerceSimulatorOptions) {
		this.consumerKey = options.consumerKey;
		this.consumerSecret = options.consumerSecret;
		this.maxDeliveryFailures = options.maxDeliveryFailures ?? 5;
		this.keyPermissions = options.keyPermissions ?? 'read_write';
		this.pingFailureDisables = options.pingFailureDisables ?? true;
		this.utcOffsetMinutes = options.utcOffsetMinutes ?? WOO_DEFAULT_UTC_OFFSET_MINUTES;
		this.echoProductUpdates = options.echoProductUpdates ?? true;
		this.deliveryDelayMs = options.deliveryDelayMs ?? 0;
		this.dropDeliveryFraction = options.dropDeliveryFraction ?? 0;
		this.dropDelivery = options.dropDelivery;
		this.random = options.random ?? Math.random;
		this.requestsPerSecond = options.requestsPerSecond;
		this.retryAfterSeconds =
			options.retryAfterSeconds === undefined ? 1 : options.retryAfterSeconds;
		this.latencyMs = options.latencyMs ?? 0;
		this.userAgent = `WooCommerce/${options.wcVersion ?? '10.3.5'} Hookshot (WordPress/${options.wpVersion ?? '6.8.3'})`;
		this.now = options.now ?? Date.now;
	}

	/* ------------------------------------------------------------------------------------- lifecycle ---- */

	/** Site URL (= base URL, no trailing slash). */
	get baseUrl(): string {
		if (this.port === undefined) throw new Error('WooCommerceSimulator is not started');
		return `http://127.0.0.1:${this.port}`;
	}

	get restBase(): string {
		return `${this.baseUrl}/wp-json/wc/v3`;
	}

	async start(): Promise<string> {
		if (this.server) return this.baseUrl;
		this.server = http.createServer((req, res) => {
			this.handle(req, res).catch((e: unknown) => {
				if (!res.headersSent) send(res, 500, errorJson('internal_server_error', String(e), 500));
				else res.destroy();
			});
		});
		this.port = await listenLoopback(this.server);
		return this.baseUrl;
	}

	async stop(): Promise<void> {
		await this.flushDeliveries();
		const server = this.server;
		this.server = undefined;
		if (server) await closeServer(server);
	}

	/* ------------------------------------------------------------------------------------- products ---- */

	/**
	 * Store a product or variation: a full REST object (wooProduct / wooVariation) or the fields that matter
	 * (`id`, `sku`, `stock_quantity`, `manage_stock`, `parent_id`, `type`), completed with realistic defaults.
	 * A variation is listed in its parent's `variations`. Returns the stored object.
	 */
	putProduct(p: JsonObject & { id?: Id }): JsonObject {
		const id = p.id === undefined ? String(1000 + ++this.productSeq) : idString(p.id);
		const parentId =
			p.parent_id === undefined || p.parent_id === null ? '0' : idString(p.parent_id);
		const isVariation = p.type === 'variation' || parentId !== '0';
		const site = this.port === undefined ? undefined : this.baseUrl;
		const complete = 'date_modified_gmt' in p && 'stock_status' in p;
		const base: JsonObject = complete
			? {}
			: isVariation
				? wooVariation({
						id: BigInt(id),
						parentId: BigInt(parentId),
						sku: String(p.sku ?? ''),
						stockQuantity: (p.stock_quantity as number | null | undefined) ?? 0,
						manageStock: (p.manage_stock as boolean | 'parent' | undefined) ?? true,
						utcOffsetMinutes: this.utcOffsetMinutes,
						dateModifiedGmt: new Date(this.now()),
						siteUrl: site,
					})
				: wooProduct({
						id: BigInt(id),
						sku: String(p.sku ?? ''),
						stockQuantity: (p.stock_quantity as number | null | undefined) ?? 0,
						manageStock: p.manage_stock as boolean | undefined,
						type: (p.type as 'simple' | 'variable' | undefined) ?? 'simple',
						utcOffsetMinutes: this.utcOffsetMinutes,
						dateModifiedGmt: new Date(this.now()),
						siteUrl: site,
					});
		const rec: JsonObject = { ...base, ...p, id: BigInt(id) };
		if (isVariation) rec.parent_id = BigInt(parentId);
		if (!complete && rec.manage_stock === true) {
			rec.stock_status = Number(rec.stock_quantity ?? 0) > 0 ? 'instock' : 'outofstock';
		}
		this.products.set(id, rec);
		if (isVariation) {
			const parent = this.products.get(parentId);
			if (parent) {
				const vars = ((parent.variations as unknown[]) ?? []).map((v) => idString(v));
				if (!vars.includes(id)) parent.variations = [...vars, id].map((v) => BigInt(v));
			}
		}
		return rec;
	}

	getProduct(id: Id): JsonObject | undefined {
		return this.products.get(idString(id));
	}

	/* ------------------------------------------------------------------------------ event deliveries ---- */

	/**
	 * Queue an event delivery; sent after `deliveryDelayMs` with the resource's state at that moment. A second
	 * change of the same resource and topic before the send is coalesced into the queued one.
	 */
	enqueue(d: WooQueuedDelivery): void {
		const key = `${d.topic}:${d.id}`;
		if (!this.queue.has(key)) this.queue.set(key, d);
		if (this.flushScheduled) return;
		this.flushScheduled = true;
		const pr = new Promise<void>((resolve) => setTimeout(resolve, this.deliveryDelayMs)).then(() =>
			this.sendQueued(),
		);
		this.pendingEchoes.add(pr);
		void pr.finally(() => this.pendingEchoes.delete(pr));
	}

	/** Drop the next `count` event deliveries (of `topic`, or of any topic) that have a subscriber. */
	dropNextDeliveries(count: number, topic?: string): void {
		this.dropNext.push({ count, topic });
	}

	/** Resolve when every queued event delivery has been sent (or dropped). */
	async flushDeliveries(): Promise<void> {
		while (this.pendingEchoes.size > 0) await Promise.allSettled([...this.pendingEchoes]);
	}

	private shouldDrop(d: WooQueuedDelivery): boolean {
		if (this.dropDelivery?.(d)) return true;
		const rule = this.dropNext.find((r) => r.count > 0 && (!r.topic || r.topic === d.topic));
		if (rule) {
			rule.count--;
			return true;
		}
		return this.dropDeliveryFraction > 0 && this.random() < this.dropDeliveryFraction;
	}

	private async sendQueued(): Promise<void> {
		this.flushScheduled = false;
		const items = [...this.queue.values()];
		this.queue.clear();
		await Promise.all(
			items.map(async (d) => {
				const subscribed = [...this.webhooks.values()].some(
					(w) => w.status === 'active' && w.topic === d.topic,
				);
				if (!subscribed) return;
				const payload = d.resource === 'order' ? this.orders.get(d.id) : this.products.get(d.id);
				if (!payload) return;
				if (this.shouldDrop(d)) {
					const at = new Date(this.now()).toISOString();
					this.droppedDeliveries.push({ ...d, at });
					this.log.push({ op: 'dropped', name: d.topic, at, resourceId: d.id });
					return;
				}
				await this.deliver(d.topic, payload);
			}),
		);
	}

	/* ------------------------------------------------------------------------------------- orders ---- */

	/**
	 * A customer checkout: creates the order with `status` (default processing), refusing it when a line of a
	 * stock-managed product without backorders asks for more than the shown `stock_quantity`
	 * (`WooOutOfStockError`, WooCommerce's cart message). Stock moves by the status rules; `order.created` and
	 * the `product.updated` of every product whose stock moved are queued.
	 */
	placeOrder(spec: { id?: Id; status?: WooOrderStatus; lines: WooOrderLineInput[] }): JsonObject {
		const status = spec.status ?? 'processing';
		const resolved = spec.lines.map((l) => {
			const p =
				l.productId !== undefined
					? this.products.get(idString(l.productId))
					: [...this.products.values()].find((x) => x.sku === l.sku);
			if (!p) throw new Error(`no product ${l.sku ?? String(l.productId)}`);
			return { p, quantity: l.quantity };
		});
		const wanted = new Map<string, { stock: JsonObject; qty: number; name: string }>();
		for (const { p, quantity } of resolved) {
			const stock = this.stockHolder(p);
			if (!stock || (stock.backorders && stock.backorders !== 'no')) continue;
			const key = idString(stock.id);
			const w = wanted.get(key) ?? { stock, qty: 0, name: String(p.name ?? p.sku) };
			w.qty += quantity;
			wanted.set(key, w);
		}
		for (const [id, w] of wanted) {
			const available = Number(w.stock.stock_quantity ?? 0);
			if (w.qty > available) {
				throw new WooOutOfStockError(
					available > 0
						? `Sorry, we do not have enough "${w.name}" in stock to fulfill your order (${available} available). We apologize for any inconvenience caused.`
						: `Sorry, "${w.name}" is not in stock. Please edit your cart and try again. We apologize for any inconvenience caused.`,
					id,
					available,
				);
			}
		}
		const id = spec.id === undefined ? String(5000 + ++this.orderSeq) : idString(spec.id);
		const now = new Date(Math.floor(this.now() / 1000) * 1000);
		const order = wooOrder({
			id: BigInt(id),
			status,
			lines: resolved.map(({ p, quantity }) => {
				const isVar = p.type === 'variation';
				return {
					productId: isVar ? BigInt(idString(p.parent_id)) : BigInt(idString(p.id)),
					variationId: isVar ? BigInt(idString(p.id)) : undefined,
					sku: String(p.sku ?? ''),
					quantity,
					name: String(p.name ?? p.sku),
				};
			}),
			dateCreatedGmt: now,
			dateModifiedGmt: now,
			utcOffsetMinutes: this.utcOffsetMinutes,
			siteUrl: this.port === undefined ? undefined : this.baseUrl,
		});
		this.orders.set(id, order);
		this.applyStockRules(order, status);
		this.enqueue({ topic: 'order.created', resource: 'order', id });
		return order;
	}

	/** Change an order's status (as the admin or a gateway does): stock rules, dates, `order.updated`. */
	setOrderStatus(id: Id, status: WooOrderStatus): JsonObject {
		const order = this.orders.get(idString(id));
		if (!order) throw new Error(`no order ${idString(id)}`);
		this.updateOrderStatus(order, status);
		return order;
	}

	getOrder(id: Id): JsonObject | undefined {
		return this.orders.get(idString(id));
	}

	private updateOrderStatus(order: JsonObject, status: WooOrderStatus): void {
		const id = idString(order.id);
		const previous = String(order.status);
		order.status = status;
		const now = this.now();
		order.date_modified = wooTime(now, this.utcOffsetMinutes);
		order.date_modified_gmt = wooTime(now);
		if (status === 'completed' && previous !== 'completed') {
			order.date_completed = wooTime(now, this.utcOffsetMinutes);
			order.date_completed_gmt = wooTime(now);
		}
		this.applyStockRules(order, status);
		this.enqueue({ topic: 'order.updated', resource: 'order', id });
	}

	/** The product whose stock a line draws: the item itself, or its parent when it says `parent`. */
	private stockHolder(p: JsonObject): JsonObject | undefined {
		if (p.manage_stock === true) return p;
		if (p.manage_stock === 'parent' && p.parent_id !== undefined) {
			const parent = this.products.get(idString(p.parent_id));
			return parent && parent.manage_stock === true ? parent : undefined;
		}
		return undefined;
	}

	private lineProduct(line: JsonObject): JsonObject | undefined {
		const vid = idString((line.variation_id as Id | undefined) ?? 0);
		return this.products.get(vid !== '0' ? vid : idString(line.product_id as Id));
	}

	/** `wc_maybe_reduce_stock_levels` / `wc_maybe_increase_stock_levels` for the order's new status. */
	private applyStockRules(order: JsonObject, status: string): void {
		const id = idString(order.id);
		const lines = order.line_items as JsonObject[];
		if (REDUCING_STATUSES.includes(status)) {
			if (this.stockReduced.has(id)) return;
			for (const line of lines) {
				const meta = line.meta_data as JsonObject[];
				if (meta.some((m) => m.key === '_reduced_stock')) continue;
				const p = this.lineProduct(line);
				const holder = p && this.stockHolder(p);
				if (!holder) continue;
				const qty = Number(line.quantity);
				this.changeStock(holder, -qty);
				meta.push(this.lineMeta('_reduced_stock', qty));
			}
			this.stockReduced.add(id);
		} else if (RESTORING_STATUSES.includes(status)) {
			if (!this.stockReduced.has(id)) return;
			for (const line of lines) {
				const meta = line.meta_data as JsonObject[];
				const i = meta.findIndex((m) => m.key === '_reduced_stock');
				if (i < 0) continue;
				const reduced = Number(meta[i].value);
				const p = this.lineProduct(line);
				const holder = p && this.stockHolder(p);
				if (!reduced || !holder) continue;
				this.changeStock(holder, reduced);
				meta.splice(i, 1);
			}
			this.stockReduced.delete(id);
		}
	}

	/** `wc_update_product_stock`: moves the quantity, saves the product (date_modified), product.updated. */
	private changeStock(p: JsonObject, delta: number): void {
		this.applyProductUpdate(p, { stock_quantity: Number(p.stock_quantity ?? 0) + delta });
		this.echo(p);
	}

	private lineMeta(key: string, value: number): JsonObject {
		// Read back from the database, meta values are strings.
		return {
			id: 90_000 + ++this.metaSeq,
			key,
			value: String(value),
			display_key: key,
			display_value: String(value),
		};
	}

	/* ------------------------------------------------------------------------ host limits and faults ---- */

	/** The next `count` REST requests (matching `match`, a path like `/products/batch` or a RegExp) answer `status`. */
	failNext(count: number, status = 500, match?: string | RegExp): void {
		this.faults.push({ kind: 'status', count, status, match });
	}

	/** The next `count` REST requests (matching `match`) get their connection closed without an answer. */
	dropNextConnections(count: number, match?: string | RegExp): void {
		this.faults.push({ kind: 'drop', count, status: 0, match });
	}

	/** Answer 503 to every REST request for `ms` milliseconds (a cache/WAF outage); `retryAfter` seconds optional. */
	unavailableFor(ms: number, retryAfter?: number): void {
		this.unavailableUntil = Date.now() + ms;
		this.unavailableRetryAfter = retryAfter;
	}

	/** Clear injected faults, the outage window and the rate-limit window. */
	clearFaults(): void {
		this.faults = [];
		this.unavailableUntil = 0;
		this.requestTimes.length = 0;
	}

	/**
	 * REST calls in the log, optionally only those whose name (`METHOD /path`, e.g. `POST /products/batch`)
	 * equals `name` or matches it, and only those of `status`.
	 */
	countCalls(name?: string | RegExp, status?: number): number {
		return this.log.filter(
			(e) =>
				e.op === 'rest' &&
				(name === undefined || (typeof name === 'string' ? e.name === name : name.test(e.name))) &&
				(status === undefined || e.status === status),
		).length;
	}

	private static matches(match: string | RegExp | undefined, path: string): boolean {
		if (match === undefined) return true;
		return typeof match === 'string' ? path === match : match.test(path);
	}

	/** A fault answering this request, or null. Order: dropped connection, 429, 503 window, injected 5xx. */
	private faultFor(
		path: string,
	):
		| { kind: 'drop' }
		| { kind: 'status'; status: number; fault: string; headers: Record<string, string | number> }
		| null {
		const f = this.faults.find((x) => x.count > 0 && WooCommerceSimulator.matches(x.match, path));
		if (f && f.kind === 'drop') {
			f.count--;
			return { kind: 'drop' };
		}
		const t = Date.now();
		if (this.requestsPerSecond !== undefined) {
			while (this.requestTimes.length && this.requestTimes[0] <= t - 1000)
				this.requestTimes.shift();
			if (this.requestTimes.length >= this.requestsPerSecond) {
				const headers: Record<string, string | number> = {};
				if (this.retryAfterSeconds !== null) headers['Retry-After'] = this.retryAfterSeconds;
				return { kind: 'status', status: 429, fault: 'rate-limit', headers };
			}
			this.requestTimes.push(t);
		}
		if (t < this.unavailableUntil) {
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

	/* ------------------------------------------------------------------------------------- webhooks ---- */

	/** base64 HMAC-SHA256 of the raw body with the (HTML-entity-decoded) secret, as `generate_signature`. */
	signBody(raw: string | Buffer, secret: string): string {
		return createHmac('sha256', specialcharsDecode(secret)).update(raw).digest('base64');
	}

	/** `wp_hash($id . time())`: HMAC-MD5 with the site's salt of the webhook id and the current second. */
	deliveryIdFor(webhookId: number | string, nowMs = this.now()): string {
		return createHmac('md5', this.salt)
			.update(`${webhookId}${Math.floor(nowMs / 1000)}`)
			.digest('hex');
	}

	serialize(payload: object | string | Buffer, encoding: 'php' | 'plain' = 'php'): Buffer {
		if (Buffer.isBuffer(payload)) return payload;
		if (typeof payload === 'string') return Buffer.from(payload, 'utf8');
		return Buffer.from((encoding === 'php' ? toPhpJson(payload) : toJson(payload)).trim(), 'utf8');
	}

	async sendWebhook(
		url: string,
		topic: string,
		payload: object | string | Buffer,
		opts: WooSendOptions = {},
	): Promise<WooSendResult> {
		const webhookId = opts.webhookId ?? 0;
		const known = this.webhooks.get(Number(webhookId));
		const secret = opts.secret ?? known?.secret;
		if (secret === undefined && !opts.omitSignature) {
			throw new Error('sendWebhook: no secret (pass opts.secret or the id of an existing webhook)');
		}
		const body = this.serialize(payload, opts.encoding);
		const { resource, event } = splitTopic(topic);
		const deliveryId = opts.deliveryId ?? this.deliveryIdFor(webhookId);
		const headers: Record<string, string> = {
			'User-Agent': this.userAgent,
			'Content-Type': 'application/json',
			'X-WC-Webhook-Source': `${this.baseUrl}/`,
			'X-WC-Webhook-Topic': topic,
			'X-WC-Webhook-Resource': resource,
			'X-WC-Webhook-Event': event,
			'X-WC-Webhook-Signature': secret === undefined ? '' : this.signBody(body, secret),
			'X-WC-Webhook-ID': String(webhookId),
			'X-WC-Webhook-Delivery-ID': deliveryId,
		};
		if (opts.omitSignature) delete headers['X-WC-Webhook-Signature'];
		Object.assign(headers, opts.headers ?? {});
		const sent = opts.tamper ? tamperBody(body) : body;
		// WC_Webhook::deliver: 'timeout' => MINUTE_IN_SECONDS, 'redirection' => 0.
		const result = await postRaw(url, sent, headers, { timeoutMs: opts.timeoutMs ?? 60_000 });
		this.log.push({
			op: 'webhook',
			name: topic,
			at: new Date(this.now()).toISOString(),
			url,
			status: result.status,
			error: result.error,
			webhookId: String(webhookId),
			deliveryId,
		});
		return { ...result, rawBody: sent.toString('utf8'), requestHeaders: headers, deliveryId };
	}

	/** The creation ping (`WC_Webhook::deliver_ping`): form body `webhook_id=<id>`, no signature headers, 5 s. */
	async sendPing(url: string, webhookId: number | string): Promise<PostResult> {
		const result = await postRaw(
			url,
			Buffer.from(`webhook_id=${webhookId}`),
			{
				'User-Agent': this.userAgent,
				'Content-Type': 'application/x-www-form-urlencoded',
				Accept: '*/*',
			},
			{ timeoutMs: 5000 },
		);
		this.log.push({
			op: 'ping',
			name: `webhook_id=${webhookId}`,
			at: new Date(this.now()).toISOString(),
			url,
			status: result.status,
			error: result.error,
		});
		return result;
	}

	/**
	 * Deliver an event to every active webhook of `topic`, each signed with its own secret. No retries; the
	 * failure count and auto-disable follow `WC_Webhook::log_delivery` / `failed_delivery`.
	 */
	async deliver(
		topic: string,
		payload: object | string | Buffer,
		opts: Pick<WooSendOptions, 'encoding' | 'timeoutMs'> = {},
	): Promise<WooDeliveryResult[]> {
		const targets = [...this.webhooks.values()].filter(
			(w) => w.status === 'active' && w.topic === topic,
		);
		return Promise.all(
			targets.map(async (w) => {
				const r = await this.sendWebhook(w.deliveryUrl, topic, payload, {
					webhookId: w.id,
					secret: w.secret,
					encoding: opts.encoding,
					timeoutMs: opts.timeoutMs,
				});
				const success = r.status >= 200 && r.status < 303;
				if (success) w.failureCount = 0;
				else if (w.failureCount > this.maxDeliveryFailures) w.status = 'disabled';
				else w.failureCount++;
				return {
					...r,
					webhookId: w.id,
					url: w.deliveryUrl,
					success,
					failureCount: w.failureCount,
					webhookStatus: w.status,
				};
			}),
		);
	}

	/** Deliver a stored product's current state (the payload is built at delivery time, as WooCommerce does). */
	async deliverProduct(id: Id, topic = 'product.updated'): Promise<WooDeliveryResult[]> {
		const p = this.getProduct(id);
		if (!p) throw new Error(`no product ${idString(id)}`);
		return this.deliver(topic, p);
	}

	/** Create a webhook as `POST /webhooks` does (ping included). */
	async createWebhook(input: {
		name?: string;
		topic: string;
		delivery_url: string;
		secret?: string;
	}): Promise<WooWebhookRecord> {
		const now = this.now();
		const { resource, event } = splitTopic(input.topic);
		const d = new Date(now);
		const rec: WooWebhookRecord = {
			id: ++this.webhookSeq,
			name:
				input.name ||
				`Webhook created on ${d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' })} ${String(d.getUTCDate()).padStart(2, '0')}, ${d.getUTCFullYear()} @ ${d.toLocaleString('en-US', { hour: '2-digit', minute: '2-digit', hour12: true, timeZone: 'UTC' })}`,
			status: 'active',
			topic: input.topic,
			resource,
			event,
			hooks: resource === 'action' ? [event] : (TOPIC_HOOKS[input.topic] ?? []),
			deliveryUrl: input.delivery_url,
			secret: input.secret || generatePassword(),
			failureCount: 0,
			pendingDelivery: true,
			dateCreatedMs: now,
			dateModifiedMs: now,
		};
		this.webhooks.set(rec.id, rec);
		const ping = await this.sendPing(rec.deliveryUrl, rec.id);
		if (ping.status === 200) {
			rec.pendingDelivery = false;
		} else if (this.pingFailureDisables) {
			rec.status = 'disabled';
		}
		return rec;
	}

	webhookJson(w: WooWebhookRecord): JsonObject {
		const base = this.port === undefined ? '' : this.restBase;
		return {
			id: w.id,
			name: w.name,
			status: w.status,
			topic: w.topic,
			resource: w.resource,
			event: w.event,
			hooks: w.hooks,
			delivery_url: w.deliveryUrl,
			date_created: wooTime(w.dateCreatedMs, this.utcOffsetMinutes),
			date_created_gmt: wooTime(w.dateCreatedMs),
			date_modified: wooTime(w.dateModifiedMs, this.utcOffsetMinutes),
			date_modified_gmt: wooTime(w.dateModifiedMs),
			_links: {
				self: [{ href: `${base}/webhooks/${w.id}` }],
				collection: [{ href: `${base}/webhooks` }],
			},
		};
	}

	/* ------------------------------------------------------------------------------------- HTTP ---- */

	private route(path: string): Route | null {
		const m = /^\/wp-json\/wc\/v3(\/.*)$/.exec(path.replace(/\/+$/, ''));
		if (!m) return null;
		const p = m[1];
		let r: RegExpExecArray | null;
		if (p === '/products') return { kind: 'collection', resource: 'products' };
		if (p === '/products/batch') return { kind: 'batch', resource: 'products' };
		if ((r = /^\/products\/(\d+)$/.exec(p)))
			return { kind: 'item', resource: 'products', id: r[1] };
		if ((r = /^\/products\/(\d+)\/variations$/.exec(p)))
			return { kind: 'collection', resource: 'variations', parentId: r[1] };
		if ((r = /^\/products\/(\d+)\/variations\/batch$/.exec(p)))
			return { kind: 'batch', resource: 'variations', parentId: r[1] };
		if ((r = /^\/products\/(\d+)\/variations\/(\d+)$/.exec(p)))
			return { kind: 'item', resource: 'variations', parentId: r[1], id: r[2] };
		if (p === '/orders') return { kind: 'collection', resource: 'orders' };
		if ((r = /^\/orders\/(\d+)$/.exec(p))) return { kind: 'item', resource: 'orders', id: r[1] };
		if (p === '/webhooks') return { kind: 'collection', resource: 'webhooks' };
		if ((r = /^\/webhooks\/(\d+)$/.exec(p)))
			return { kind: 'item', resource: 'webhooks', id: r[1] };
		return null;
	}

	/** The endpoint's permission error when the request is not authenticated (WooCommerce controller texts). */
	private permissionError(route: Route, method: string): [string, string] {
		if (route.kind === 'batch')
			return [
				'woocommerce_rest_cannot_batch',
				'Sorry, you are not allowed to batch manipulate this resource.',
			];
		if (method === 'GET') {
			return route.kind === 'collection'
				? ['woocommerce_rest_cannot_view', 'Sorry, you cannot list resources.']
				: ['woocommerce_rest_cannot_view', 'Sorry, you cannot view this resource.'];
		}
		if (method === 'DELETE')
			return [
				'woocommerce_rest_cannot_delete',
				'Sorry, you are not allowed to delete this resource.',
			];
		if (route.kind === 'collection')
			return ['woocommerce_rest_cannot_create', 'Sorry, you are not allowed to create resources.'];
		return ['woocommerce_rest_cannot_edit', 'Sorry, you are not allowed to edit this resource.'];
	}

	/** null when authenticated; else [status, body]. */
	private authenticate(
		req: http.IncomingMessage,
		query: URLSearchParams,
		route: Route,
		method: string,
	): [number, string] | null {
		let key: string | undefined;
		let secret: string | undefined;
		if (query.get('consumer_key') && query.get('consumer_secret')) {
			key = query.get('consumer_key') ?? undefined;
			secret = query.get('consumer_secret') ?? undefined;
		} else {
			const auth = req.headers.authorization;
			if (auth && /^basic /i.test(auth)) {
				const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
				const i = decoded.indexOf(':');
				if (i > 0) {
					key = decoded.slice(0, i);
					secret = decoded.slice(i + 1);
				}
			}
		}
		const denied = (): [number, string] => {
			const [code, message] = this.permissionError(route, method);
			return [401, errorJson(code, message, 401)];
		};
		if (!key || !secret) return denied();
		if (key !== this.consumerKey) return denied();
		if (secret !== this.consumerSecret) {
			return [
				401,
				errorJson('woocommerce_rest_authentication_error', 'Consumer secret is invalid.', 401),
			];
		}
		const write = method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
		if (write && this.keyPermissions === 'read') {
			return [
				401,
				errorJson(
					'woocommerce_rest_authentication_error',
					'The API key provided does not have write permissions.',
					401,
				),
			];
		}
		if (!write && this.keyPermissions === 'write') {
			return [
				401,
				errorJson(
					'woocommerce_rest_authentication_error',
					'The API key provided does not have read permissions.',
					401,
				),
			];
		}
		return null;
	}

	private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		const url = new URL(req.url ?? '/', 'http://127.0.0.1');
		const method = (req.method ?? 'GET').toUpperCase();
		const raw = await readBody(req);
		const at = new Date(this.now()).toISOString();
		const path = url.pathname.replace(/^\/wp-json\/wc\/v3/, '').replace(/\/+$/, '');
		const reply = (status: number, body: string, headers: Record<string, string | number> = {}) => {
			this.log.push({ op: 'rest', name: `${method} ${path}`, at, status });
			send(res, status, body, headers);
		};
		if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
		const fault = this.faultFor(path);
		if (fault && fault.kind === 'drop') {
			this.log.push({ op: 'rest', name: `${method} ${path}`, at, status: 0, fault: 'dropped' });
			req.socket.destroy();
			return;
		}
		if (fault) {
			// Hosts, caches and WAFs answer in front of WordPress, with their own page.
			const text = `${fault.status} ${http.STATUS_CODES[fault.status] ?? 'Error'}`;
			const body = `<html>\r\n<head><title>${text}</title></head>\r\n<body>\r\n<center><h1>${text}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
			this.log.push({
				op: 'rest',
				name: `${method} ${path}`,
				at,
				status: fault.status,
				fault: fault.fault,
			});
			res.writeHead(fault.status, {
				'Content-Type': 'text/html',
				'Content-Length': Buffer.byteLength(body),
				...fault.headers,
			});
			res.end(body);
			return;
		}
		const route = this.route(url.pathname);
		if (!route) {
			return reply(
				404,
				errorJson('rest_no_route', 'No route was found matching the URL and request method.', 404),
			);
		}
		const authError = this.authenticate(req, url.searchParams, route, method);
		if (authError) return reply(authError[0], authError[1]);

		let body: Record<string, unknown> = {};
		if (raw.length > 0) {
			const type = String(req.headers['content-type'] ?? '');
			try {
				body = type.includes('application/x-www-form-urlencoded')
					? Object.fromEntries(new URLSearchParams(raw.toString('utf8')))
					: (JSON.parse(raw.toString('utf8')) as Record<string, unknown>);
			} catch {
				return reply(400, errorJson('rest_invalid_json', 'Invalid JSON body passed.', 400));
			}
		}
		const params: Record<string, unknown> = { ...Object.fromEntries(url.searchParams), ...body };

		if (route.resource === 'webhooks') return this.handleWebhooks(route, method, params, reply);
		if (route.resource === 'orders') return this.handleOrders(route, method, params, reply);
		return this.handleProducts(route, method, params, reply);
	}

	private pageParams(params: Record<string, unknown>): { perPage: number; page: number } | string {
		const invalid = (name: string, msg: string) =>
			JSON.stringify({
				code: 'rest_invalid_param',
				message: `Invalid parameter(s): ${name}`,
				data: {
					status: 400,
					params: { [name]: msg },
					details: { [name]: { code: 'rest_out_of_bounds', message: msg, data: null } },
				},
			});
		const perPageRaw = params.per_page ?? 10;
		const perPage = Number(perPageRaw);
		if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100) {
			return invalid('per_page', 'per_page must be between 1 (inclusive) and 100 (inclusive)');
		}
		const page = Number(params.page ?? 1);
		if (!Number.isInteger(page) || page < 1)
			return invalid('page', 'page must be greater than or equal to 1');
		return { perPage, page };
	}

	private collection<T>(
		items: T[],
		params: Record<string, unknown>,
		path: string,
		reply: (status: number, body: string, headers?: Record<string, string | number>) => void,
		toJsonItem: (t: T) => unknown,
	): void {
		const pp = this.pageParams(params);
		if (typeof pp === 'string') return reply(400, pp);
		const total = items.length;
		const totalPages = Math.ceil(total / pp.perPage);
		const page = items.slice((pp.page - 1) * pp.perPage, pp.page * pp.perPage);
		const links: string[] = [];
		const base = `${this.restBase}${path}`;
		const q = (n: number) => {
			const s = new URLSearchParams(
				Object.entries(params).map(([k, v]) => [k, String(v)] as [string, string]),
			);
			s.delete('consumer_key');
			s.delete('consumer_secret');
			s.set('page', String(n));
			return `${base}?${s.toString()}`;
		};
		if (pp.page > 1)
			links.push(`<${q(Math.min(pp.page - 1, Math.max(totalPages, 1)))}>; rel="prev"`);
		if (totalPages > pp.page) links.push(`<${q(pp.page + 1)}>; rel="next"`);
		const headers: Record<string, string | number> = {
			'X-WP-Total': total,
			'X-WP-TotalPages': totalPages,
		};
		if (links.length) headers.Link = links.join(', ');
		reply(200, toJson(page.map(toJsonItem)), headers);
	}

	private sortProducts(list: JsonObject[], params: Record<string, unknown>): JsonObject[] {
		const orderby = String(params.orderby ?? 'date');
		const asc = String(params.order ?? 'desc') === 'asc';
		const key = (p: JsonObject): [string, bigint] => [
			orderby === 'id'
				? ''
				: orderby === 'title'
					? String(p.name)
					: String(p.date_created_gmt ?? ''),
			BigInt(idString(p.id)),
		];
		return [...list].sort((a, b) => {
			const [ka, ia] = key(a);
			const [kb, ib] = key(b);
			const c = ka < kb ? -1 : ka > kb ? 1 : ia < ib ? -1 : ia > ib ? 1 : 0;
			return asc ? c : -c;
		});
	}

	private applyProductUpdate(p: JsonObject, u: Record<string, unknown>): string | null {
		if ('stock_quantity' in u && u.stock_quantity !== null) {
			const q = Number(u.stock_quantity);
			if (!Number.isInteger(q)) return 'stock_quantity';
			p.stock_quantity = q;
		}
		if ('manage_stock' in u)
			p.manage_stock = u.manage_stock === 'parent' ? 'parent' : truthy(u.manage_stock);
		for (const f of [
			'sku',
			'name',
			'regular_price',
			'sale_price',
			'status',
			'stock_status',
			'backorders',
		]) {
			if (f in u) p[f] = u[f];
		}
		if (p.manage_stock === true && !('stock_status' in u)) {
			p.stock_status =
				Number(p.stock_quantity ?? 0) > 0
					? 'instock'
					: p.backorders === 'no' || !p.backorders
						? 'outofstock'
						: 'onbackorder';
		}
		const now = this.now();
		p.date_modified = wooTime(now, this.utcOffsetMinutes);
		p.date_modified_gmt = wooTime(now);
		return null;
	}

	private echo(p: JsonObject): void {
		if (!this.echoProductUpdates) return;
		this.enqueue({ topic: 'product.updated', resource: 'product', id: idString(p.id) });
	}

	private handleProducts(
		route: Route,
		method: string,
		params: Record<string, unknown>,
		reply: (status: number, body: string, headers?: Record<string, string | number>) => void,
	): void {
		const notFound = (code = 'woocommerce_rest_product_invalid_id') =>
			reply(404, errorJson(code, 'Invalid ID.', 404));
		if (route.kind === 'collection') {
			if (method !== 'GET')
				return reply(
					404,
					errorJson(
						'rest_no_route',
						'No route was found matching the URL and request method.',
						404,
					),
				);
			let list = [...this.products.values()];
			if (route.resource === 'variations') {
				if (!this.products.has(route.parentId!)) return notFound();
				list = list.filter(
					(p) => p.type === 'variation' && idString(p.parent_id) === route.parentId,
				);
			} else if (typeof params.sku === 'string' && params.sku !== '') {
				// prepare_objects_query: a SKU search covers products and variations (post_type both).
				const skus = new Set(params.sku.split(','));
				skus.add(params.sku);
				list = list.filter((p) => skus.has(String(p.sku)));
			} else {
				list = list.filter((p) => p.type !== 'variation');
			}
			if (typeof params.type === 'string') list = list.filter((p) => p.type === params.type);
			if (typeof params.stock_status === 'string')
				list = list.filter((p) => p.stock_status === params.stock_status);
			if (typeof params.include === 'string' && params.include) {
				const inc = new Set(params.include.split(','));
				list = list.filter((p) => inc.has(idString(p.id)));
			}
			if (typeof params.parent === 'string' && params.parent) {
				const par = new Set(params.parent.split(','));
				list = list.filter((p) => par.has(idString(p.parent_id ?? 0)));
			}
			const path =
				route.resource === 'variations' ? `/products/${route.parentId}/variations` : '/products';
			return this.collection(this.sortProducts(list, params), params, path, reply, (p) => p);
		}

		if (route.kind === 'item') {
			const p = this.products.get(route.id!);
			const inScope =
				p &&
				(route.resource === 'products' ||
					(p.type === 'variation' && idString(p.parent_id) === route.parentId));
			const code =
				route.resource === 'variations'
					? 'woocommerce_rest_product_variation_invalid_id'
					: 'woocommerce_rest_product_invalid_id';
			if (method === 'GET') {
				if (!p || !inScope) return notFound(code);
				return reply(200, toJson(p));
			}
			if (method === 'PUT' || method === 'POST' || method === 'PATCH') {
				if (!p || !inScope) return reply(400, errorJson(code, 'Invalid ID.', 400));
				const bad = this.applyProductUpdate(p, params);
				if (bad)
					return reply(
						400,
						JSON.stringify({
							code: 'rest_invalid_param',
							message: `Invalid parameter(s): ${bad}`,
							data: { status: 400, params: { [bad]: `${bad} is not of type integer.` } },
						}),
					);
				this.echo(p);
				return reply(200, toJson(p));
			}
			if (method === 'DELETE') {
				if (!p || !inScope) return notFound(code);
				if (!truthy(params.force)) {
					// Products, unlike webhooks, support trashing.
					p.status = 'trash';
					return reply(200, toJson(p));
				}
				this.products.delete(route.id!);
				return reply(200, toJson(p));
			}
			return reply(
				404,
				errorJson('rest_no_route', 'No route was found matching the URL and request method.', 404),
			);
		}

		// batch
		if (method !== 'POST' && method !== 'PUT' && method !== 'PATCH') {
			return reply(
				404,
				errorJson('rest_no_route', 'No route was found matching the URL and request method.', 404),
			);
		}
		const create = (params.create as JsonObject[] | undefined) ?? [];
		const update = (params.update as JsonObject[] | undefined) ?? [];
		const del = (params.delete as unknown[] | undefined) ?? [];
		if (create.length + update.length + del.length > 100) {
			return reply(
				413,
				errorJson(
					'woocommerce_rest_request_entity_too_large',
					'Unable to accept more than 100 items for this request.',
					413,
				),
			);
		}
		const code =
			route.resource === 'variations'
				? 'woocommerce_rest_product_variation_invalid_id'
				: 'woocommerce_rest_product_invalid_id';
		const itemError = (id: unknown, c: string, message: string, status: number) => ({
			id: id ?? 0,
			error: { code: c, message, data: { status } },
		});
		const out: Record<string, unknown[]> = {};
		if ('create' in params) {
			out.create = create.map((c) => {
				const rec = this.putProduct({
					...c,
					...(route.resource === 'variations'
						? { parent_id: route.parentId, type: 'variation' }
						: {}),
				});
				this.echo(rec);
				return rec;
			});
		}
		if ('update' in params) {
			out.update = update.map((u) => {
				if (u.id === undefined || u.id === null) return itemError(0, code, 'Invalid ID.', 400);
				let id: string;
				try {
					id = idString(u.id);
				} catch {
					return itemError(u.id, code, 'Invalid ID.', 400);
				}
				const p = this.products.get(id);
				const inScope =
					p &&
					(route.resource === 'products' ||
						(p.type === 'variation' && idString(p.parent_id) === route.parentId));
				if (!p || !inScope) return itemError(u.id, code, 'Invalid ID.', 400);
				const bad = this.applyProductUpdate(p, u);
				if (bad) return itemError(u.id, 'rest_invalid_param', `Invalid parameter(s): ${bad}`, 400);
				this.echo(p);
				return p;
			});
		}
		if ('delete' in params) {
			out.delete = del.map((d) => {
				const id = String(d);
				const p = this.products.get(id);
				if (!p) return itemError(d, code, 'Invalid ID.', 404);
				this.products.delete(id);
				return p;
			});
		}
		return reply(200, toJson(out));
	}

	/** A `date-time` query parameter as a column value ("YYYY-MM-DDTHH:MM:SS") in GMT or the site's zone. */
	private dateParam(v: unknown, gmt: boolean): string | null {
		const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:?\d\d)?$/i.exec(String(v));
		if (!m) return null;
		if (!m[3]) return m[1];
		const ms = Date.parse(`${m[1]}${m[3].toUpperCase()}`);
		if (Number.isNaN(ms)) return null;
		return wooTime(ms, gmt ? 0 : this.utcOffsetMinutes);
	}

	private handleOrders(
		route: Route,
		method: string,
		params: Record<string, unknown>,
		reply: (status: number, body: string, headers?: Record<string, string | number>) => void,
	): void {
		const noRoute = () =>
			reply(
				404,
				errorJson('rest_no_route', 'No route was found matching the URL and request method.', 404),
			);
		if (route.kind === 'collection') {
			if (method !== 'GET') return noRoute();
			const gmt = truthy(params.dates_are_gmt);
			const suffix = gmt ? '_gmt' : '';
			let list = [...this.orders.values()];
			const bounds: Array<[string, string, 'created' | 'modified', 1 | -1]> = [
				['after', 'date_created', 'created', 1],
				['before', 'date_created', 'created', -1],
				['modified_after', 'date_modified', 'modified', 1],
				['modified_before', 'date_modified', 'modified', -1],
			];
			for (const [name, column, , dir] of bounds) {
				if (params[name] === undefined || params[name] === '') continue;
				const v = this.dateParam(params[name], gmt);
				if (v === null) {
					return reply(
						400,
						JSON.stringify({
							code: 'rest_invalid_param',
							message: `Invalid parameter(s): ${name}`,
							data: {
								status: 400,
								params: { [name]: 'Invalid date.' },
								details: {
									[name]: { code: 'rest_invalid_date', message: 'Invalid date.', data: null },
								},
							},
						}),
					);
				}
				// WP_Date_Query: 'after' and 'before' are exclusive.
				list = list.filter((o) => {
					const c = String(o[`${column}${suffix}`]);
					return dir === 1 ? c > v : c < v;
				});
			}
			// `include`: only these order ids (Re-Read Orders).
			if (typeof params.include === 'string' && params.include) {
				const inc = new Set(params.include.split(','));
				list = list.filter((o) => inc.has(String(o.id)));
			}
			if (typeof params.status === 'string' && params.status && params.status !== 'any') {
				const st = new Set(params.status.split(','));
				list = list.filter((o) => st.has(String(o.status)));
			}
			const orderby = String(params.orderby ?? 'date');
			const asc = String(params.order ?? 'desc') === 'asc';
			const key = (o: JsonObject) =>
				orderby === 'id'
					? ''
					: String(orderby === 'modified' ? o.date_modified_gmt : o.date_created_gmt);
			list.sort((a, b) => {
				const ka = key(a);
				const kb = key(b);
				const ia = BigInt(idString(a.id as Id));
				const ib = BigInt(idString(b.id as Id));
				const c = ka < kb ? -1 : ka > kb ? 1 : ia < ib ? -1 : ia > ib ? 1 : 0;
				return asc ? c : -c;
			});
			return this.collection(list, params, '/orders', reply, (o) => o);
		}
		const order = this.orders.get(route.id!);
		const invalid = (status: number) =>
			reply(status, errorJson('woocommerce_rest_shop_order_invalid_id', 'Invalid ID.', status));
		if (method === 'GET') return order ? reply(200, toJson(order)) : invalid(404);
		if (method === 'PUT' || method === 'POST' || method === 'PATCH') {
			if (!order) return invalid(400);
			// Any save moves date_modified and fires order.updated; a new status also moves stock.
			this.updateOrderStatus(
				order,
				typeof params.status === 'string' && params.status ? params.status : String(order.status),
			);
			return reply(200, toJson(order));
		}
		return noRoute();
	}

	private async handleWebhooks(
		route: Route,
		method: string,
		params: Record<string, unknown>,
		reply: (status: number, body: string, headers?: Record<string, string | number>) => void,
	): Promise<void> {
		if (route.kind === 'collection') {
			if (method === 'GET') {
				const status = String(params.status ?? 'all');
				if (status !== 'all' && !STATUSES.includes(status as WooWebhookStatus)) {
					return reply(
						400,
						JSON.stringify({
							code: 'rest_invalid_param',
							message: 'Invalid parameter(s): status',
							data: {
								status: 400,
								params: { status: 'status is not one of all, active, paused, and disabled.' },
							},
						}),
					);
				}
				const asc = String(params.order ?? 'desc') === 'asc';
				const list = [...this.webhooks.values()]
					.filter((w) => status === 'all' || w.status === status)
					.sort((a, b) => (asc ? 1 : -1) * (a.dateCreatedMs - b.dateCreatedMs || a.id - b.id));
				return this.collection(list, params, '/webhooks', reply, (w) => this.webhookJson(w));
			}
			if (method === 'POST') {
				if (params.id) {
					return reply(
						400,
						errorJson(
							'woocommerce_rest_shop_webhook_exists',
							'Cannot create existing shop_webhook.',
							400,
						),
					);
				}
				const topic = typeof params.topic === 'string' ? params.topic.toLowerCase() : '';
				if (!topic || !isValidTopic(topic)) {
					return reply(
						400,
						errorJson(
							'woocommerce_rest_shop_webhook_invalid_topic',
							'Webhook topic is required and must be valid.',
							400,
						),
					);
				}
				const deliveryUrl = typeof params.delivery_url === 'string' ? params.delivery_url : '';
				if (!/^https?:\/\/[^\s/$.?#].[^\s]*$/i.test(deliveryUrl)) {
					return reply(
						400,
						errorJson(
							'woocommerce_rest_shop_webhook_invalid_delivery_url',
							'Webhook delivery URL must be a valid URL starting with http:// or https://.',
							400,
						),
					);
				}
				const rec = await this.createWebhook({
					name: typeof params.name === 'string' ? params.name : undefined,
					topic,
					delivery_url: deliveryUrl,
					secret: typeof params.secret === 'string' ? params.secret : undefined,
				});
				return reply(201, toJson(this.webhookJson(rec)), {
					Location: `${this.restBase}/webhooks/${rec.id}`,
				});
			}
			return reply(
				404,
				errorJson('rest_no_route', 'No route was found matching the URL and request method.', 404),
			);
		}

		const id = Number(route.id);
		const w = this.webhooks.get(id);
		if (method === 'GET') {
			if (!id)
				return reply(
					404,
					errorJson('woocommerce_rest_shop_webhook_invalid_id', 'Invalid ID.', 404),
				);
			if (!w)
				return reply(
					400,
					errorJson('woocommerce_rest_shop_webhook_invalid_id', 'ID is invalid.', 400),
				);
			return reply(200, toJson(this.webhookJson(w)));
		}
		if (method === 'PUT' || method === 'POST' || method === 'PATCH') {
			if (!w)
				return reply(
					400,
					errorJson('woocommerce_rest_shop_webhook_invalid_id', 'ID is invalid.', 400),
				);
			if (typeof params.topic === 'string' && params.topic) {
				const topic = params.topic.toLowerCase();
				if (!isValidTopic(topic))
					return reply(
						400,
						errorJson(
							'woocommerce_rest_shop_webhook_invalid_topic',
							'Webhook topic must be valid.',
							400,
						),
					);
				const { resource, event } = splitTopic(topic);
				Object.assign(w, {
					topic,
					resource,
					event,
					hooks: resource === 'action' ? [event] : TOPIC_HOOKS[topic],
				});
			}
			if (typeof params.delivery_url === 'string' && params.delivery_url) {
				if (!/^https?:\/\/[^\s/$.?#].[^\s]*$/i.test(params.delivery_url)) {
					return reply(
						400,
						errorJson(
							'woocommerce_rest_shop_webhook_invalid_delivery_url',
							'Webhook delivery URL must be a valid URL starting with http:// or https://.',
							400,
						),
					);
				}
				w.deliveryUrl = params.delivery_url;
			}
			if (typeof params.secret === 'string' && params.secret) w.secret = params.secret;
			if (typeof params.status === 'string' && params.status) {
				const s = params.status.toLowerCase();
				if (!STATUSES.includes(s as WooWebhookStatus)) {
					return reply(
						400,
						errorJson(
							'woocommerce_rest_shop_webhook_invalid_status',
							'Webhook status must be valid.',
							400,
						),
					);
				}
				w.status = s as WooWebhookStatus;
			}
			if (typeof params.name === 'string' && params.name) w.name = params.name;
			w.dateModifiedMs = this.now();
			return reply(200, toJson(this.webhookJson(w)));
		}
		if (method === 'DELETE') {
			if (!truthy(params.force)) {
				return reply(
					501,
					errorJson(
						'woocommerce_rest_trash_not_supported',
						'Webhooks do not support trashing.',
						501,
					),
				);
			}
			if (!w)
				return reply(
					404,
					errorJson('woocommerce_rest_shop_webhook_invalid_id', 'Invalid ID.', 404),
				);
			const json = this.webhookJson(w);
			this.webhooks.delete(id);
			return reply(200, toJson(json));
		}
		return reply(
			404,
			errorJson('rest_no_route', 'No route was found matching the URL and request method.', 404),
		);
	}
}
