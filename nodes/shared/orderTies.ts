/**
 * The orders to re-read from the Ledger's Skipped items: an order-line tie (same order version, another drawn
 * quantity: `ledger.reread === true`, kind 'orderLine') of the given platform. Every other item (unchanged,
 * stale, frozen, level ties, another platform's orders) is ignored. Order ids de-duplicated, first-seen order.
 */
export function tiedOrderIds(items: ReadonlyArray<{ json: unknown }>, platform: string): string[] {
	const ids = new Set<string>();
	for (const { json } of items) {
		const j = json as {
			kind?: unknown;
			refs?: { orderId?: unknown };
			source?: { platform?: unknown };
			ledger?: { reread?: unknown };
		};
		if (j?.kind !== 'orderLine' || j.ledger?.reread !== true) continue;
		if (j.source?.platform !== platform) continue;
		const id = j.refs?.orderId;
		if ((typeof id === 'string' && id.trim()) || typeof id === 'number') ids.add(String(id).trim());
	}
	return [...ids];
}
