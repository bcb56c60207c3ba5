/** What Apply and Set report per item (the node routes on `outcome`). */

export type Outcome = 'applied' | 'skipped' | 'invalid';

export interface ApplyResult {
	index: number;
	outcome: Outcome;
	/** Skipped: stale | unchanged | tie | frozen | observed | counted | untracked | emptyOrder; Invalid: an InvalidReason. */
	reason?: string;
	message?: string;
	/** What happened: level, ledger (a sale at a ledger location), owner (audited only), forward, mapped, observed. */
	effect?: string;
	sku?: string;
	location?: string;
	previous?: number | string | null;
	new?: number | string | null;
	/** Stock change at the location (order lines: −(new − old) drawn units). */
	delta?: number;
	/** The version the ledger held before this item. */
	heldVersion?: number | null;
	rev?: number;
	/** The owner whose outbox got the forward. */
	forwardedTo?: string;
	/** Tie: re-read the order or level and apply the answer with `reread: true`. */
	reread?: boolean;
	/**
	 * Order lines this item removed: stored lines of its order missing from its `lineIds` (a newer order
	 * version), each set to draw 0 here, reversed where and how it drew. Only lines that drew units.
	 */
	removed?: RemovedLine[];
}

export interface RemovedLine {
	/** The removed line's business identity ('<platform>:<shop>:order:<orderId>:line:<lineKey>'). */
	id: string;
	lineKey: string;
	sku: string;
	location: string;
	/** Units the line drew before (negative for a restock item). */
	previous: number;
	/** Stock change at the location: +previous. */
	delta: number;
	/** ledger | owner (audited only) | forward. */
	effect: string;
	forwardedTo?: string;
	rev: number;
	/** The SKU is frozen: recorded, not marked dirty. */
	frozen?: boolean;
}
