import { parseJsonExact } from '../json';
import { ShapeError, hostOf, optionalTime, requireRecord } from './common';
import {
	shopifyInventoryItemMapping,
	shopifyLevel,
	shopifyOrderFromGraphql,
	shopifyOrderFromWebhook,
	shopifyOrderLines,
	shopifyProductMappings,
	shopifyRefundOrderId,
	type ShopifyContext,
} from './shopify';
import { wooOrderLines, wooProductEvents, type WooContext } from './woocommerce';
import type { Delivery, InvalidEvent, InventoryEvent, NormalizeResult } from './types';

export * from './types';

/**
 * One entry point from a verified delivery to canonical events. It never throws: whatever is wrong with a
 * signed body (not JSON, wrong shape, absurd numbers, an unknown topic) comes back as an Invalid item with the
 * reason and the raw body. Used unchanged by the webhook trigger (per-request runs) and the inbox trigger.
 */

export const SHOPIFY_TOPICS = [
	'inventory_levels/update',
	'orders/create',
	'orders/updated',
	'orders/cancelled',
	'refunds/create',
	'inventory_items/update',
	'products/update',
] as const;

export const WOOCOMMERCE_TOPICS = ['order.created', 'order.updated', 'product.updated'] as const;

/** Header names we keep with a delivery (lower-case, as Node gives them). Never the signature: it's not needed after verification. */
export const SHOPIFY_HEADERS = [
	'x-shopify-topic',
	'x-shopify-shop-domain',
	'x-shopify-api-version',
	'x-shopify-webhook-id',
	'x-shopify-event-id',
	'x-shopify-triggered-at',
] as const;
export const WOOCOMMERCE_HEADERS = [
	'x-wc-webhook-source',
	'x-wc-webhook-topic',
	'x-wc-webhook-resource',
	'x-wc-webhook-event',
	'x-wc-webhook-id',
	'x-wc-webhook-delivery-id',
] as const;

export const SIGNATURE_HEADER = {
	shopify: 'x-shopify-hmac-sha256',
	woocommerce: 'x-wc-webhook-signature',
} as const;

/**
 * WooCommerce's ping on webhook creation: a form body `webhook_id=<id>` and no signature. It must get exactly
 * 200 (WooCommerce checks `200 !==`) and is not an event.
 */
export function isWooCommercePing(
	headers: Record<string, string | undefined>,
	rawBody: string,
): boolean {
	return !headers[SIGNATURE_HEADER.woocommerce] && /^webhook_id=[0-9]+$/.test(rawBody.trim());
}

/** The topic header, lower-case; '' when missing or not text (an inbox entry can hold anything). */
export function topicOf(delivery: Pick<Delivery, 'platform' | 'headers'>): string {
	const name = delivery.platform === 'shopify' ? 'x-shopify-topic' : 'x-wc-webhook-topic';
	const value: unknown = delivery.headers?.[name];
	return typeof value === 'string' ? value.trim().toLowerCase() : '';
}

export function shopOf(delivery: Pick<Delivery, 'platform' | 'headers'>): string | null {
	return delivery.platform === 'shopify'
		? hostOf(delivery.headers?.['x-shopify-shop-domain'])
		: hostOf(delivery.headers?.['x-wc-webhook-source']);
}

export function correlationIdOf(
	delivery: Pick<Delivery, 'platform' | 'headers'>,
): string | undefined {
	const h = delivery.headers ?? {};
	const id: unknown =
		delivery.platform === 'shopify'
			? (h['x-shopify-event-id'] ?? h['x-shopify-webhook-id'])
			: h['x-wc-webhook-delivery-id'];
	return typeof id === 'string' ? id : undefined;
}

function invalid(
	delivery: Delivery,
	reason: string,
	topic: string,
	shop: string | null,
): InvalidEvent {
	return {
		reason,
		platform: delivery.platform,
		topic,
		shop,
		correlationId: correlationIdOf(delivery),
		receivedAt: delivery.receivedAt,
		rawBody: delivery.rawBody,
	};
}

export function normalizeDelivery(delivery: Delivery): NormalizeResult {
	const topic = topicOf(delivery);
	const shop = shopOf(delivery);
	try {
		if (delivery.bodyNotUtf8)
			throw new ShapeError('the body is not valid UTF-8 (the platforms send UTF-8)');
		if (
			delivery.platform === 'woocommerce' &&
			isWooCommercePing(delivery.headers, delivery.rawBody)
		) {
			return { events: [], invalid: [], ignored: 'WooCommerce ping' };
		}
		if (!topic) throw new ShapeError('the topic header is missing');
		if (!shop) {
			throw new ShapeError(
				delivery.platform === 'shopify'
					? 'the X-Shopify-Shop-Domain header is missing'
					: 'the X-WC-Webhook-Source header is missing',
			);
		}
		const body = parseBody(delivery.rawBody);
		const via = delivery.via ?? 'webhook';
		const correlationId = correlationIdOf(delivery);
		if (delivery.platform === 'shopify') {
			const ctx: ShopifyContext = {
				shop,
				topic,
				via,
				receivedAt: delivery.receivedAt,
				correlationId,
				triggeredAtMs: optionalTime(delivery.headers['x-shopify-triggered-at']),
			};
			return { events: normalizeShopify(body, ctx), invalid: [], ...rereadOf(body, ctx) };
		}
		const ctx: WooContext = { shop, topic, via, receivedAt: delivery.receivedAt, correlationId };
		return { events: normalizeWooCommerce(body, ctx), invalid: [] };
	} catch (error) {
		const reason =
			error instanceof ShapeError
				? error.message
				: `unexpected payload (${error instanceof Error ? error.message : String(error)})`;
		return { events: [], invalid: [invalid(delivery, reason, topic, shop)] };
	}
}

const NOT_JSON = Symbol('not JSON');

function parseBody(rawBody: string): unknown {
	let body: unknown = NOT_JSON;
	try {
		body = parseJsonExact(rawBody);
	} catch {
		// reported below, as a shape error with the raw body kept
	}
	if (body === NOT_JSON) throw new ShapeError('the body is not valid JSON');
	return body;
}

function normalizeShopify(body: unknown, ctx: ShopifyContext): InventoryEvent[] {
	switch (ctx.topic) {
		case 'inventory_levels/update':
			return shopifyLevel(body, ctx);
		case 'orders/create':
		case 'orders/updated':
		case 'orders/cancelled':
			return shopifyOrderLines(shopifyOrderFromWebhook(body), ctx);
		case 'refunds/create':
			// The refund alone is not the order: the caller re-reads it (rereadOrder) or waits for the
			// orders/updated Shopify sends after a refund.
			shopifyRefundOrderId(body);
			return [];
		case 'inventory_items/update':
			return shopifyInventoryItemMapping(body, ctx);
		case 'products/update':
			return shopifyProductMappings(body, ctx);
		default:
			throw new ShapeError(`unsupported Shopify topic '${ctx.topic}'`);
	}
}

function rereadOf(body: unknown, ctx: ShopifyContext): Pick<NormalizeResult, 'rereadOrder'> {
	if (ctx.topic !== 'refunds/create') return {};
	return {
		rereadOrder: { shop: ctx.shop, orderId: shopifyRefundOrderId(requireRecord(body, 'body')) },
	};
}

function normalizeWooCommerce(body: unknown, ctx: WooContext): InventoryEvent[] {
	switch (ctx.topic) {
		case 'order.created':
		case 'order.updated':
			return wooOrderLines(body, ctx);
		case 'product.updated':
			return wooProductEvents(body, ctx);
		default:
			throw new ShapeError(`unsupported WooCommerce topic '${ctx.topic}'`);
	}
}

/**
 * The GraphQL re-read of an order (after refunds/create) → its lines, stamped with the delivery that asked.
 * Never throws: a wrong answer becomes an Invalid item.
 */
export function normalizeShopifyGraphqlOrder(order: unknown, delivery: Delivery): NormalizeResult {
	const topic = topicOf(delivery);
	const shop = shopOf(delivery) ?? '';
	try {
		const ctx: ShopifyContext = {
			shop,
			topic,
			via: delivery.via ?? 'webhook',
			receivedAt: delivery.receivedAt,
			correlationId: correlationIdOf(delivery),
		};
		return { events: shopifyOrderLines(shopifyOrderFromGraphql(order), ctx), invalid: [] };
	} catch (error) {
		const reason =
			error instanceof ShapeError ? `order re-read: ${error.message}` : 'order re-read failed';
		return { events: [], invalid: [invalid(delivery, reason, topic, shop)] };
	}
}

/** Keeps only the headers we use, lower-cased, first value of repeated headers. */
export function pickHeaders(
	platform: Delivery['platform'],
	headers: Record<string, string | string[] | undefined>,
): Record<string, string | undefined> {
	const names = platform === 'shopify' ? SHOPIFY_HEADERS : WOOCOMMERCE_HEADERS;
	const picked: Record<string, string | undefined> = {};
	for (const name of names) {
		const value = headers[name];
		picked[name] = Array.isArray(value) ? value[0] : value;
	}
	return picked;
}
