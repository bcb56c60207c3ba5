/**
 * The catch-up poll's window, pure. WooCommerce's `modified_after` (with `dates_are_gmt=true`) is exclusive
 * and compares whole seconds against `date_modified_gmt` ('YYYY-MM-DDTHH:MM:SS', UTC, no zone). The cursor
 * stored in Redis is the newest `date_modified_gmt` a poll has applied; each poll reads from the cursor minus
 * a small overlap (orders saved in the same second as the cursor, clocks, commits landing late), and the
 * Ledger's order-line versions make reading an order twice harmless.
 */

const GMT_TEXT = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?(?:Z|[+-]00:?00)?$/i;

/** A WooCommerce GMT time text → ms; undefined when it is not one. */
export function parseGmt(text: unknown): number | undefined {
	if (typeof text !== 'string') return undefined;
	const m = GMT_TEXT.exec(text.trim());
	if (!m) return undefined;
	const ms = Date.parse(`${m[1]}Z`);
	return Number.isFinite(ms) ? ms : undefined;
}

/** ms → 'YYYY-MM-DDTHH:MM:SS' (UTC, whole seconds, rounded down): the form `modified_after` takes. */
export function formatGmt(ms: number): string {
	return new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19);
}

export interface WindowStart {
	/** The `modified_after` value of the first page. */
	modifiedAfter: string;
	/** Where it came from: the stored cursor, or the initial look-back when there is none. */
	from: 'cursor' | 'initial';
}

/**
 * Where a poll starts: the cursor minus `overlapMs`, or — the first time, with no cursor — `initialLookbackMs`
 * before now (orders older than the ledger's seeding must not be applied again on top of counted levels).
 */
export function windowStart(
	cursor: string | null,
	nowMs: number,
	overlapMs: number,
	initialLookbackMs: number,
): WindowStart {
	const at = parseGmt(cursor);
	if (at !== undefined) return { modifiedAfter: formatGmt(at - overlapMs), from: 'cursor' };
	return { modifiedAfter: formatGmt(nowMs - initialLookbackMs), from: 'initial' };
}

/**
 * The next page's query after a page of orders (sorted by modified time, ascending). Page numbers shift
 * while orders change (an order saved during the poll moves to the end, and an order at a page boundary
 * would be skipped), so a full page moves the window instead: `modified_after` = the page's newest time minus
 * one second (orders of that second are read again, never skipped), page 1. Only when the whole page shares
 * one second — the window cannot move — does it turn the page.
 */
export function nextPage(
	current: { modifiedAfter: string; page: number },
	pageTimes: readonly number[],
	perPage: number,
): { modifiedAfter: string; page: number } | null {
	if (pageTimes.length < perPage) return null;
	const newest = Math.max(...pageTimes);
	const moved = formatGmt(newest - 1000);
	const currentAt = parseGmt(current.modifiedAfter) ?? -Infinity;
	if ((parseGmt(moved) ?? -Infinity) > currentAt) return { modifiedAfter: moved, page: 1 };
	return { modifiedAfter: current.modifiedAfter, page: current.page + 1 };
}
