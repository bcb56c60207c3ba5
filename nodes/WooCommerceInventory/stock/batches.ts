/**
 * Pure pieces of the WooCommerce Publish: where a SKU's stock is written (a simple product, or a variation
 * under its parent), how writes are grouped into batch calls (≤ 100 objects each: `products/batch` for
 * products, `products/<parent>/variations/batch` per parent), and what one batch answer says per write
 * (WooCommerce answers HTTP 200 with a per-item `error: { code, message, data: { status } }` for the items it
 * refused).
 */

/** WooCommerce's limit of objects per batch call (create + update + delete). */
export const WOO_BATCH_LIMIT = 100;

export type WooTarget =
	| { readonly kind: 'product'; readonly id: string }
	| { readonly kind: 'variation'; readonly id: string; readonly parentId: string };

/** The batch endpoint of a target (below /wp-json/wc/v3). */
export function batchPath(target: WooTarget): string {
	return target.kind === 'product'
		? '/products/batch'
		: `/products/${target.parentId}/variations/batch`;
}

/** The list endpoint a target is read from (below /wp-json/wc/v3), by `include=<ids>`. */
export function listPath(target: WooTarget): string {
	return target.kind === 'product' ? '/products' : `/products/${target.parentId}/variations`;
}

/**
 * What a list answer says each record shows: id → `stock_quantity`, for records whose stock WooCommerce manages
 * (`manage_stock: true`; a variation whose parent holds the stock says 'parent' and is not a count of its own).
 */
export function readStockAnswer(body: unknown): Map<string, number> {
	const shown = new Map<string, number>();
	if (!Array.isArray(body)) return shown;
	for (const record of body) {
		if (!isObj(record) || record.manage_stock !== true) continue;
		const id = idText(record.id);
		const quantity = record.stock_quantity;
		if (id !== undefined && typeof quantity === 'number' && Number.isSafeInteger(quantity))
			shown.set(id, quantity);
	}
	return shown;
}

/** A call's group: every target of one call shares it. */
export function groupKey(target: WooTarget): string {
	return target.kind === 'product' ? 'products' : `variations:${target.parentId}`;
}

/**
 * The calls to make: writes grouped by endpoint, in first-seen order, each group cut into chunks of at most
 * `limit`. The number of calls is the minimum: Σ per parent ceil(variations / limit) + ceil(products / limit).
 */
export function groupByEndpoint<W>(
	writes: readonly W[],
	targetOf: (write: W) => WooTarget,
	limit = WOO_BATCH_LIMIT,
): W[][] {
	const groups = new Map<string, W[]>();
	for (const write of writes) {
		const key = groupKey(targetOf(write));
		let list = groups.get(key);
		if (!list) groups.set(key, (list = []));
		list.push(write);
	}
	const calls: W[][] = [];
	for (const list of groups.values())
		for (let i = 0; i < list.length; i += limit) calls.push(list.slice(i, i + limit));
	return calls;
}

/** What a batch answer says about one of its writes. */
export type ItemOutcome =
	| { readonly ok: true }
	| {
			readonly ok: false;
			/** Whether sending it again may succeed (a server-side failure, a missing answer). */
			readonly retryable: boolean;
			readonly message: string;
	  };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function idText(value: unknown): string | undefined {
	if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
	if (typeof value === 'string' && /^[0-9]+$/.test(value)) return value.replace(/^0+(?=[0-9])/, '');
	return undefined;
}

const MAX_MESSAGE = 200;

/**
 * Per-item error codes that say "try again" rather than "this input is wrong": WordPress's own failures to
 * save (a database hiccup, a lock), and statuses a retry can fix.
 */
const RETRYABLE_CODES = new Set([
	'woocommerce_rest_cannot_update',
	'woocommerce_rest_product_not_saved',
	'db_update_error',
	'db_insert_error',
]);

function itemError(error: Obj): ItemOutcome {
	const code = typeof error.code === 'string' ? error.code : 'error';
	const raw = typeof error.message === 'string' ? error.message : 'the item was refused';
	const text = raw.replace(/\s+/g, ' ').trim().slice(0, MAX_MESSAGE);
	const data = isObj(error.data) ? error.data : {};
	const status = Number(data.status);
	const retryable =
		RETRYABLE_CODES.has(code) ||
		(Number.isInteger(status) &&
			(status >= 500 || status === 408 || status === 409 || status === 429));
	return {
		ok: false,
		retryable,
		message: `WooCommerce refused the item (${code}${Number.isInteger(status) ? `, ${status}` : ''}): ${text}`,
	};
}

/**
 * One outcome per sent id, in order, from a batch answer `{ update: [...] }`. WooCommerce answers the update
 * items in the order they were sent; an item is matched by position and checked by id (an answer that does
 * not match is treated as "not applied": the write is sent again, never assumed done).
 */
export function readBatchAnswer(body: unknown, sentIds: readonly string[]): ItemOutcome[] {
	const answers = isObj(body) && Array.isArray(body.update) ? body.update : [];
	return sentIds.map((id, i) => {
		const answer: unknown = answers[i];
		if (!isObj(answer))
			return {
				ok: false,
				retryable: true,
				message: 'WooCommerce did not answer for this item',
			};
		if (isObj(answer.error)) return itemError(answer.error);
		if (idText(answer.id) !== id)
			return {
				ok: false,
				retryable: true,
				message: `WooCommerce answered for id ${String(idText(answer.id) ?? '?')} where id ${id} was sent`,
			};
		return { ok: true };
	});
}
