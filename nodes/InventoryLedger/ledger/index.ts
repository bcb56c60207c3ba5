/**
 * The Ledger's Redis steps, one module per operation (scripts.ts says how they use Redis). One import path
 * for the node's actions, the tests and bench/.
 */
export { MAX_ITEMS_PER_SCRIPT, withLedgerScripts } from './scripts';
export {
	NoProfileError,
	loadProfile,
	markAllDirty,
	saveProfile,
	type LoadedProfile,
	type SaveProfileResult,
} from './profileStore';
export type { ApplyResult, Outcome, RemovedLine } from './results';
export { applyEvents, type ApplyOptions } from './apply';
export { setCounts, type CountInput } from './counts';
export { markSkus, type MarkAction } from './marks';
export { auditOf, getSkus, parseLedgerHash, type AuditEntry, type SkuState } from './read';
