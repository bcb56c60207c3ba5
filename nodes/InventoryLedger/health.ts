import type { LagPercentiles } from '../shared/health/lag';

/**
 * The Ledger's Health operation, its pure half (ledger/health.ts gathers the figures from Redis): the report's
 * shape, the thresholds, and the findings a person should act on (`healthProblems`). No Redis here.
 */

export interface HealthThresholds {
	/** A channel's dirty SKUs above this is a problem (SKUs waiting to be published). */
	readonly dirtyBacklog: number;
	/** An owner's outbox above this many entries is a problem (adjustments waiting for the owner). */
	readonly outboxBacklog: number;
	/** The inbox's backlog (undelivered + pending) above this is a problem. */
	readonly inboxBacklog: number;
	/** A channel's lag p99 above this many ms is a problem; 0: not checked. */
	readonly lagP99Ms: number;
}

export const DEFAULT_HEALTH_THRESHOLDS: HealthThresholds = Object.freeze({
	dirtyBacklog: 1_000,
	outboxBacklog: 1_000,
	inboxBacklog: 10_000,
	lagP99Ms: 60_000,
});

/** Lag window of the percentiles by default: 15 minutes. */
export const DEFAULT_LAG_WINDOW_MS = 15 * 60 * 1000;

export interface ChannelHealth {
	/** Event receivedAt → channel confirmed, over the window (shared/health/lag.ts). */
	lagMs: LagPercentiles;
	/** SKUs marked dirty, waiting for the channel's Publish (ZCARD). */
	dirtyBacklog: number;
	breaker: {
		state: 'closed' | 'open' | 'half-open';
		/** Consecutive failures. */
		failures: number;
		/** When it last opened, ISO 8601; null if never. */
		openedAt: string | null;
	};
	/** The channel's records in the dead-letter stream. */
	deadLetters: number;
	/** The catch-up poll's cursor, as stored; null when none. */
	cursor: string | null;
}

export interface InboxFigures {
	/** The inbox stream's key. */
	stream: string;
	group: string;
	/** Entries in the stream (acknowledged ones not yet trimmed included). */
	length: number;
	/** Delivered to a consumer and not acknowledged. */
	pending: number;
	/** Not delivered to the group yet (null: Redis cannot tell). */
	lag: number | null;
	/** undelivered + pending (null when undelivered is unknown). */
	backlog: number | null;
	consumers: number;
	groupExists: boolean;
	/** How long ago the oldest pending entry was received, ms. */
	oldestPendingAgeMs: number | null;
}

export interface DeadLetterCounts {
	inbox: number;
	channel: number;
	total: number;
	/** Channel records per channel, also of channels that are not in the profile. */
	byChannel: Record<string, number>;
	/** Records that are neither kind. */
	unreadable: number;
	/** False when the count stopped at its bound (the stream holds more than was read). */
	complete: boolean;
}

export interface RedisFigures {
	/** maxmemory-policy is noeviction (shared/redis.ts checkRedisPolicy). */
	maxmemoryPolicyOk: boolean;
	/** AOF or RDB snapshots on. */
	persistence: boolean;
	warnings: string[];
}

export interface HealthReport {
	checkedAt: string;
	/** The stored profile's version; null when none is saved. */
	profileVersion: number | null;
	channels: Record<string, ChannelHealth>;
	/** Entries waiting in each owner's outbox (XLEN). */
	outboxes: Record<string, number>;
	deadLetters: DeadLetterCounts;
	inbox: InboxFigures;
	redis: RedisFigures;
	ok: boolean;
	problems: string[];
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * What is wrong, in words a person acts on, most urgent first: Redis may evict, breakers not closed, dead
 * letters waiting, backlogs above their thresholds, lag above its threshold, no profile. Pure.
 */
export function healthProblems(
	report: Omit<HealthReport, 'ok' | 'problems'>,
	thresholds: HealthThresholds,
): string[] {
	const problems: string[] = [];
	if (!report.redis.maxmemoryPolicyOk) {
		problems.push(
			"Redis's maxmemory-policy is not noeviction: under memory pressure it may drop ledger, inbox and dead-letter keys",
		);
	}
	if (report.profileVersion === null) {
		problems.push('No sync profile is saved: no channel is known (Profile → Save)');
	}
	for (const [name, c] of Object.entries(report.channels)) {
		if (c.breaker.state !== 'closed') {
			problems.push(
				`Channel '${name}': circuit breaker ${c.breaker.state}${c.breaker.openedAt ? ` since ${c.breaker.openedAt}` : ''} after ${plural(c.breaker.failures, 'consecutive failure')}: its work goes to the dead letters`,
			);
		}
	}
	const d = report.deadLetters;
	if (d.channel > 0) {
		const per = Object.entries(d.byChannel)
			.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
			.map(([name, n]) => `${name}: ${n}`)
			.join(', ');
		problems.push(
			`${plural(d.channel, 'channel dead letter')} (${per}): list, then replay or discard them (Dead Letters)`,
		);
	}
	if (d.inbox > 0) {
		problems.push(
			`${plural(d.inbox, 'inbox dead letter')}: webhook deliveries that never had a successful run (Dead Letters)`,
		);
	}
	if (d.unreadable > 0) {
		problems.push(
			`${plural(d.unreadable, 'entry', 'entries')} in the dead-letter stream of no known kind`,
		);
	}
	const known = new Set(Object.keys(report.channels));
	const unknown = Object.keys(d.byChannel).filter((name) => !known.has(name));
	if (unknown.length && report.profileVersion !== null) {
		problems.push(
			`Dead letters of channels not in the profile: ${unknown.join(', ')} (a replay refuses them; discard them)`,
		);
	}
	if (!d.complete)
		problems.push('The dead-letter stream is larger than Health reads: counts are partial');
	for (const [name, c] of Object.entries(report.channels)) {
		if (c.dirtyBacklog > thresholds.dirtyBacklog) {
			problems.push(
				`Channel '${name}': ${plural(c.dirtyBacklog, 'SKU')} waiting to be published (threshold ${thresholds.dirtyBacklog})`,
			);
		}
		const p99 = c.lagMs.p99;
		if (thresholds.lagP99Ms > 0 && p99 !== null && p99 > thresholds.lagP99Ms) {
			problems.push(
				`Channel '${name}': lag p99 ${p99} ms over the last ${Math.round(c.lagMs.window / 60_000)} min (threshold ${thresholds.lagP99Ms} ms)`,
			);
		}
	}
	for (const [owner, length] of Object.entries(report.outboxes)) {
		if (length > thresholds.outboxBacklog) {
			problems.push(
				`Outbox of '${owner}': ${plural(length, 'adjustment')} waiting (threshold ${thresholds.outboxBacklog})`,
			);
		}
	}
	const inbox = report.inbox;
	if (inbox.backlog !== null && inbox.backlog > thresholds.inboxBacklog) {
		problems.push(
			`Inbox ${inbox.stream}: ${plural(inbox.backlog, 'entry', 'entries')} waiting (threshold ${thresholds.inboxBacklog})`,
		);
	}
	if (!inbox.groupExists && inbox.length > 0) {
		problems.push(
			`Inbox ${inbox.stream} holds ${plural(inbox.length, 'entry', 'entries')} but consumer group '${inbox.group}' does not exist: no Inbox Trigger reads it`,
		);
	}
	return problems;
}
