/**
 * The inbox's health figures (the Inbox Trigger's Health output) live in nodes/shared/health/inbox.ts, where
 * the Ledger's Health operation reads them too: one implementation.
 */
export { readInboxHealth, type InboxHealth } from '../shared/health/inbox';
