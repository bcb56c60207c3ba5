/**
 * Small, total helpers shared by the platform normalisers. Each either returns a clean value or throws a
 * ShapeError with a reason meant for the user; the entry point turns a ShapeError into an Invalid item.
 */

import type { EventVia, InventoryEvent, Platform } from './types';

export class ShapeError extends Error {}

/** What every platform's receipt context carries into its events. */
export interface ReceiptContext {
	shop: string;
	topic: string;
	via: EventVia;
	receivedAt: string;
	correlationId?: string;
}

/** The fields every canonical event shares, stamped from the receipt and the platform time. */
export function eventBase(
	platform: Platform,
	ctx: ReceiptContext,
	version: number,
): Pick<InventoryEvent, 'version' | 'source' | 'correlationId' | 'occurredAt' | 'receivedAt'> {
	return {
		version,
		source: { platform, shop: ctx.shop, topic: ctx.topic, via: ctx.via },
		correlationId: ctx.correlationId,
		occurredAt: new Date(version).toISOString(),
		receivedAt: ctx.receivedAt,
	};
}

/** Stock numbers beyond this are not real stock: a bad payload or a unit mix-up. */
export const MAX_ABS_QUANTITY = 1_000_000_000;

const DIGITS = /^[0-9]{1,20}$/;
const GID_TAIL = /\/([0-9]{1,20})(?:\?.*)?$/;

export function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function requireRecord(value: unknown, what: string): Record<string, unknown> {
	if (!isRecord(value)) throw new ShapeError(`${what} is not a JSON object`);
	return value;
}

export function requireArray(value: unknown, what: string): unknown[] {
	if (!Array.isArray(value)) throw new ShapeError(`${what} is not an array`);
	return value;
}

/**
 * A platform id as an exact decimal string. Accepts a safe integer, a digit string (how the exact parser
 * keeps ids above 2^53) or a GraphQL gid ('gid://shopify/Order/123'). Anything else is a shape error.
 */
export function requireId(value: unknown, what: string): string {
	const id = optionalId(value, what);
	if (id === null) throw new ShapeError(`${what} is missing`);
	return id;
}

export function optionalId(value: unknown, what: string): string | null {
	if (value === null || value === undefined) return null;
	if (typeof value === 'number') {
		if (Number.isSafeInteger(value) && value >= 0) return String(value);
		throw new ShapeError(`${what} is not a whole positive id`);
	}
	if (typeof value === 'string') {
		if (DIGITS.test(value)) return value.replace(/^0+(?=[0-9])/, '');
		const gid = GID_TAIL.exec(value);
		if (value.startsWith('gid://') && gid) return gid[1];
	}
	throw new ShapeError(`${what} is not an id`);
}

/** A stock quantity: a whole number within MAX_ABS_QUANTITY (numeric strings are accepted, as WooCommerce meta is text). */
export function requireQuantity(
	value: unknown,
	what: string,
	{ allowNegative = false } = {},
): number {
	let n: number;
	if (typeof value === 'number') n = value;
	else if (typeof value === 'string' && /^-?[0-9]+$/.test(value.trim())) n = Number(value.trim());
	else throw new ShapeError(`${what} is not a whole number`);
	if (!Number.isInteger(n)) throw new ShapeError(`${what} is not a whole number`);
	if (Math.abs(n) > MAX_ABS_QUANTITY) throw new ShapeError(`${what} is out of range (${n})`);
	if (!allowNegative && n < 0) throw new ShapeError(`${what} is negative (${n})`);
	return n;
}

/**
 * Milliseconds since the epoch from a platform timestamp. `assumeUtc` is for WooCommerce's `*_gmt` fields,
 * which carry no zone designator ('2026-11-26T10:00:00').
 */
export function requireTime(value: unknown, what: string, assumeUtc = false): number {
	if (typeof value !== 'string' || value.length < 10 || value.length > 40) {
		throw new ShapeError(`${what} is not a timestamp`);
	}
	let text = value.trim();
	if (assumeUtc && !/(Z|[+-][0-9]{2}:?[0-9]{2})$/.test(text)) text += 'Z';
	const ms = Date.parse(text);
	if (!Number.isFinite(ms)) throw new ShapeError(`${what} is not a timestamp`);
	return ms;
}

/** Parses a time that may be absent or malformed (headers): undefined instead of an error. */
export function optionalTime(value: unknown): number | undefined {
	if (typeof value !== 'string' || value.length < 10 || value.length > 40) return undefined;
	const ms = Date.parse(value);
	return Number.isFinite(ms) ? ms : undefined;
}

/** A UTF-16 code unit of a surrogate pair standing alone (only a JSON `\\uD800`-style escape can make one). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * A SKU as the platform spells it; blank → null (the caller adds a note, never a guess). A SKU holding a lone
 * surrogate is refused: no platform can store one (they keep UTF-8), and as text it cannot be told apart from
 * U+FFFD once it reaches Redis (which stores UTF-8).
 */
export function skuOf(value: unknown): string | null {
	if (typeof value !== 'string') return null;
	const sku = value.trim();
	if (LONE_SURROGATE.test(sku))
		throw new ShapeError('sku is not valid Unicode (a lone surrogate escape)');
	return sku.length > 0 ? sku : null;
}

/** Lower-case host of a URL or a bare domain ('https://Shop.Example/' → 'shop.example'); anything else → null. */
export function hostOf(value: unknown): string | null {
	if (typeof value !== 'string' || !value) return null;
	const text = value.trim();
	if (!text) return null;
	try {
		const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`);
		return url.host.toLowerCase() || null;
	} catch {
		return null;
	}
}
