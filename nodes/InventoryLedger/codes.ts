import { codeMapper } from '../shared/redisBatch';

/**
 * The codes the Ledger's Lua scripts return (lua/*.lua headers), mirrored here. Positive: the change happened;
 * negative: it did not (or, for Frozen, it was recorded but will not be published), and why. A negative code is
 * a result the workflow routes on, never a crash.
 */
export enum LedgerCode {
	/** The change was applied (ledger level, forward, owner sale audited, mapping, as-of count, mark). */
	Applied = 1,
	/** Older than what the ledger holds. */
	Stale = -1,
	/** Nothing to change (same quantity, or a status that leaves stock alone); a newer version is recorded. */
	Unchanged = -2,
	/**
	 * Same version, different quantity (or, on an order line, other line keys than the order's stored ones at
	 * that version): re-read the source; the re-read is applied even at an equal version.
	 */
	Tie = -3,
	/** Applied to the ledger (nothing is lost) but the SKU is frozen: no dirty marks, never published. */
	Frozen = -4,
	/** The SKU map changed between our lookup and the script: looked up again and retried by the wrapper. */
	Remapped = -5,
	/** The stored profile is not the one the batch was planned with (the whole batch did nothing). */
	ProfileChanged = -6,
	/** A mirror's own report (observation, or a level from a system that does not own the location): recorded, not applied. */
	Observed = -7,
	/** Mapping: another platform id already maps to this SKU (duplicate SKUs are reported, never guessed). */
	DuplicateSku = -8,
	/** As-of count older than the audit stream still holds: the sales after it cannot be re-applied. */
	AsOfBeyondAudit = -9,
	/** Profile save: the stored version is not the expected one (compare-and-set lost; nothing written). */
	VersionConflict = -10,
	/**
	 * Order line first seen after a count (or seed) of its location that already has its sale (placed at or
	 * before the level's version): recorded as the line's units, nothing drawn.
	 */
	Counted = -11,
}

/** Reads a Ledger script's reply code (nodes/shared/redisBatch.ts: anything else is an UnexpectedReplyError). */
export const toCode = codeMapper<LedgerCode>(LedgerCode);

/** Reasons on Skipped items. */
export const SKIP_REASON: Partial<Record<LedgerCode, string>> = {
	[LedgerCode.Stale]: 'stale',
	[LedgerCode.Unchanged]: 'unchanged',
	[LedgerCode.Tie]: 'tie',
	[LedgerCode.Frozen]: 'frozen',
	[LedgerCode.Observed]: 'observed',
	[LedgerCode.Counted]: 'counted',
};

/** Reasons on Invalid items (also those found before any Redis call). */
export type InvalidReason =
	| 'notAnEvent'
	| 'badKind'
	| 'badId'
	| 'badVersion'
	| 'blankSku'
	| 'duplicateSku'
	| 'unmapped'
	| 'unknownLocation'
	| 'unknownChannel'
	| 'badQuantity'
	| 'badLineIds'
	| 'notLedgerOwned'
	| 'asOfBeyondAudit';
