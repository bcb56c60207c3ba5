import type Redis from 'ioredis';
import { classifyRedisError } from '../redis';

/**
 * Health figures of an inbox (design "Receipt and processing"): what the Inbox Trigger's Health output emits,
 * and what a monitor (the Ledger's Health operation, the sync-monitor template) reads with the same call.
 * One round trip (a pipeline of XLEN, XINFO GROUPS, XPENDING, XLEN).
 *
 * Moved here from nodes/InventoryInboxTrigger/health.ts so that the Ledger reads it without importing another
 * node's folder (that file re-exports this one).
 */

/** Milliseconds since a stream entry was added (its id's time part), never negative. */
function entryAgeMs(id: string, nowMs: number): number {
	const ms = Number(id.split('-')[0]);
	return Number.isFinite(ms) ? Math.max(0, nowMs - ms) : 0;
}

export interface InboxHealth {
	/** Redis key of the inbox stream. */
	stream: string;
	group: string;
	/** Entries in the stream, acknowledged ones not yet trimmed included. */
	streamLength: number;
	/** Entries this group has not read yet (Redis' `lag`; null when Redis cannot tell, e.g. after XDEL). */
	undelivered: number | null;
	/** Entries delivered to this group's consumers and not acknowledged (in a run, failed, or abandoned). */
	pending: number;
	/** Waiting to be processed: undelivered + pending (null when undelivered is unknown). */
	backlog: number | null;
	/** Id of the oldest pending entry, and how long ago it was received (its id's time). */
	oldestPendingId: string | null;
	oldestPendingAgeMs: number | null;
	/** Entries in the dead-letter stream (all kinds: inbox and channel dead letters share it). */
	deadLetterLength: number;
	/** Consumers registered in the group (one per n8n process that ran this trigger, until cleaned up). */
	consumers: number;
	/** False when the group does not exist yet (no Inbox Trigger has started on this stream). */
	groupExists: boolean;
	checkedAt: string;
}

function pairsToRecord(list: unknown): Record<string, unknown> {
	const out: Record<string, unknown> = {};
	if (!Array.isArray(list)) return out;
	for (let i = 0; i + 1 < list.length; i += 2) out[String(list[i])] = list[i + 1];
	return out;
}

export async function readInboxHealth(
	redis: Redis,
	keys: { stream: string; dlq: string },
	group: string,
	nowMs: number = Date.now(),
): Promise<InboxHealth> {
	const replies = await redis
		.pipeline()
		.xlen(keys.stream)
		.xinfo('GROUPS', keys.stream)
		.xpending(keys.stream, group)
		.xlen(keys.dlq)
		.exec();
	if (!replies) throw new Error('Redis discarded the pipeline');
	const [[lenErr, len], [groupsErr, groups], [pendingErr, pendingReply], [dlqErr, dlqLen]] =
		replies;
	if (lenErr) throw lenErr;
	if (dlqErr) throw dlqErr;
	// XINFO GROUPS fails with "no such key" on a missing stream, XPENDING with NOGROUP on a missing group.
	const groupInfo = groupsErr
		? undefined
		: (groups as unknown[]).map(pairsToRecord).find((g) => String(g.name) === group);
	if (groupsErr && !isMissing(groupsErr)) throw groupsErr;
	if (pendingErr && !isMissing(pendingErr)) throw pendingErr;
	const summary = (pendingErr ? [0, null] : pendingReply) as [number, string | null];
	const pending = Number(summary[0] ?? 0);
	const oldest = summary[1] ? String(summary[1]) : null;
	const lag = groupInfo?.lag;
	const undelivered = groupInfo
		? lag === null || lag === undefined
			? null
			: Number(lag)
		: Number(len);
	return {
		stream: keys.stream,
		group,
		streamLength: Number(len),
		undelivered,
		pending,
		backlog: undelivered === null ? null : undelivered + pending,
		oldestPendingId: oldest,
		oldestPendingAgeMs: oldest ? entryAgeMs(oldest, nowMs) : null,
		deadLetterLength: Number(dlqLen),
		consumers: groupInfo ? Number(groupInfo.consumers ?? 0) : 0,
		groupExists: groupInfo !== undefined,
		checkedAt: new Date(nowMs).toISOString(),
	};
}

/** A missing stream or group: the figures are zeros, not an error. */
function isMissing(error: unknown): boolean {
	const { kind } = classifyRedisError(error);
	return kind === 'noSuchKey' || kind === 'noGroup';
}
