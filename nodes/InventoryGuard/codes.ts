import { LockCode } from '../shared/locks';
import { codeMapper } from '../shared/redisBatch';

/**
 * The codes the Guard's Lua scripts return (lua/*.lua headers), mirrored here. Positive: the step happened;
 * negative: it did not, and why. A negative code is a result, not a crash: a lost lock or a duplicate is an
 * answer the workflow routes on.
 */
export enum GuardCode {
	/** claim: new; commit / release: done on this run's claim; lock: acquired / released / extended. */
	Ok = 1,
	/** commit / release: done on another run's claim (commit always; release when told to release any). */
	OkOtherClaim = 2,
	/** commit: done, though nothing was claimed (the claim expired or was never made). */
	OkNoClaim = 3,
	/**
	 * claim: in flight under this same owner, taken again — the redelivery of an inbox entry whose run failed
	 * or died. New, so a claim never swallows its own redelivery.
	 */
	Reclaimed = 4,
	/** claim: in flight (claimed by another owner, not yet committed). */
	InFlight = -1,
	/** claim: committed; commit: already committed (untouched); release: committed (untouched). */
	Committed = -2,
	/** release: nothing there (the claim expired or was never made). */
	NotClaimed = -3,
	/** release: another run's claim, left alone. */
	OtherOwner = -4,
	/** lock: held by another token. */
	LockBusy = LockCode.Busy,
	/** unlock / extend: another token holds the lock. */
	LockNotHeld = LockCode.NotHeld,
	/** unlock / extend: the lock expired or was never taken. */
	LockMissing = LockCode.Missing,
}

/** Reads a Guard script's reply code (nodes/shared/redisBatch.ts: anything else is an UnexpectedReplyError). */
export const toCode = codeMapper<GuardCode>(GuardCode);

/** Names used on items, so a workflow can branch on text rather than numbers. */
export const CLAIM_STATUS: Partial<
	Record<GuardCode, 'new' | 'reclaimed' | 'inFlight' | 'committed'>
> = {
	[GuardCode.Ok]: 'new',
	[GuardCode.Reclaimed]: 'reclaimed',
	[GuardCode.InFlight]: 'inFlight',
	[GuardCode.Committed]: 'committed',
};

export const PREVIOUS_STATE: Partial<
	Record<GuardCode, 'claimedByThisRun' | 'committed' | 'none' | 'claimedByOtherRun'>
> = {
	[GuardCode.Ok]: 'claimedByThisRun',
	[GuardCode.OkOtherClaim]: 'claimedByOtherRun',
	[GuardCode.OkNoClaim]: 'none',
	[GuardCode.Committed]: 'committed',
	[GuardCode.NotClaimed]: 'none',
	[GuardCode.OtherOwner]: 'claimedByOtherRun',
};

export const LOCK_OUTCOME: Partial<Record<GuardCode, 'held' | 'heldByOther' | 'expired'>> = {
	[GuardCode.Ok]: 'held',
	[GuardCode.LockNotHeld]: 'heldByOther',
	[GuardCode.LockMissing]: 'expired',
};
