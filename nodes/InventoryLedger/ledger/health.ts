import type Redis from 'ioredis';
import { breakerState } from '../../shared/breaker';
import { readInboxHealth } from '../../shared/health/inbox';
import { lagPercentiles, readLagEntry } from '../../shared/health/lag';
import { channelKeys, inboxKey, ledgerKeys } from '../../shared/keys';
import { RedisPolicyError, checkRedisPolicy } from '../../shared/redis';
import { execAll } from '../../shared/redisBatch';
import { peekDeadLetter } from '../deadLetterReplay';
import {
	DEFAULT_HEALTH_THRESHOLDS,
	DEFAULT_LAG_WINDOW_MS,
	healthProblems,
	type ChannelHealth,
	type DeadLetterCounts,
	type HealthReport,
	type HealthThresholds,
	type RedisFigures,
} from '../health';
import { LEDGER_OWNER } from '../profile';
import { DEAD_LETTER_PAGE, MAX_SCANNED } from './deadLetters';
import { loadProfile } from './profileStore';

/**
 * Health for the Ledger node: every channel of the profile (lag percentiles, dirty backlog, breaker, dead
 * letters, catch-up cursor), every owner's outbox, the dead-letter stream by kind, the inbox's backlog, and
 * Redis's own checks; then the findings (health.ts healthProblems). Reads only. Round trips: the profile, one
 * pipeline for the per-channel and per-owner figures, one breaker read per channel, the dead-letter pages (one
 * per 1,000 records), the inbox (one pipeline), and two INFO calls.
 */

export interface HealthOptions {
	/** The inbox stream's name after the prefix (default 'inbox'). */
	readonly inboxStream?: string;
	/** The Inbox Trigger's consumer group (default 'inbox-trigger'). */
	readonly inboxGroup?: string;
	/** Lag percentiles over this many ms back from now (default 15 min). */
	readonly lagWindowMs?: number;
	readonly thresholds?: Partial<HealthThresholds>;
	/** How Redis is named in the policy message (shared/redis.ts describeTarget). */
	readonly target?: string;
	/** Dead-letter records counted at most (default MAX_SCANNED). */
	readonly maxDeadLetters?: number;
	/** Lag samples read per channel at most (newest first). */
	readonly maxLagSamples?: number;
}

/** Counts the dead-letter stream by kind and channel: XRANGE pages of DEAD_LETTER_PAGE, at most `max` records. */
export async function countDeadLetters(
	redis: Redis,
	prefix: string,
	max = MAX_SCANNED,
): Promise<DeadLetterCounts> {
	const key = channelKeys.dlq(prefix);
	const counts: DeadLetterCounts = {
		inbox: 0,
		channel: 0,
		total: 0,
		byChannel: {},
		unreadable: 0,
		complete: true,
	};
	let start = '-';
	let read = 0;
	for (;;) {
		const page = Math.min(DEAD_LETTER_PAGE, max - read);
		if (page <= 0) {
			// Bound reached: complete only if nothing follows.
			const next = await redis.xrange(key, start, '+', 'COUNT', 1);
			counts.complete = next.length === 0;
			break;
		}
		const rows = (await redis.xrangeBuffer(key, start, '+', 'COUNT', page)) as Array<
			[Buffer, Buffer[]]
		>;
		for (const [id, fields] of rows) {
			read++;
			const seen = peekDeadLetter(fields);
			if (!seen) counts.unreadable++;
			else if (seen.kind === 'inbox') counts.inbox++;
			else {
				counts.channel++;
				const name = seen.channel ?? '';
				counts.byChannel[name] = (counts.byChannel[name] ?? 0) + 1;
			}
			start = `(${id.toString()}`;
		}
		if (rows.length < page) break;
	}
	counts.total = counts.inbox + counts.channel + counts.unreadable;
	return counts;
}

/** Redis's own checks: the eviction policy (refused by checkRedisPolicy) and persistence. */
export async function redisFigures(redis: Redis, target: string): Promise<RedisFigures> {
	// An evicting policy is a finding here, not an error: checkRedisPolicy's refusal becomes a warning.
	const checked = await checkRedisPolicy(redis, target).catch((error: unknown) =>
		error instanceof RedisPolicyError ? error : Promise.reject(error),
	);
	if (!(checked instanceof RedisPolicyError)) {
		return {
			maxmemoryPolicyOk: true,
			persistence: checked.persistence,
			warnings: checked.persistence ? [] : [PERSISTENCE_OFF],
		};
	}
	// checkRedisPolicy stopped before reading persistence: the same reading, here.
	const info = await redis.info('persistence');
	const persistence =
		/aof_enabled:1/.test(info) || (/rdb_last_save_time/.test(info) && !/rdb_saves:0\b/.test(info));
	return {
		maxmemoryPolicyOk: false,
		persistence,
		warnings: [checked.message, ...(persistence ? [] : [PERSISTENCE_OFF])],
	};
}

const PERSISTENCE_OFF =
	'Persistence is off (no AOF, no RDB snapshot): a Redis restart loses the ledger, the inbox and the dead letters';

function redisNowMs(time: unknown): number {
	const [seconds, micros] = Array.isArray(time) ? time : [];
	const ms = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
	return Number.isFinite(ms) ? ms : Date.now();
}

/** The Health report (see the header). */
export async function readHealth(
	redis: Redis,
	prefix: string,
	options: HealthOptions = {},
): Promise<HealthReport> {
	const thresholds: HealthThresholds = { ...DEFAULT_HEALTH_THRESHOLDS, ...options.thresholds };
	const windowMs = options.lagWindowMs ?? DEFAULT_LAG_WINDOW_MS;
	const loaded = await loadProfile(redis, prefix, true);
	const profile = loaded?.index.profile;
	const channels = profile?.channels.map((c) => c.name) ?? [];
	const owners = [
		...new Set(
			(profile?.locations ?? []).map((l) => l.owner).filter((owner) => owner !== LEDGER_OWNER),
		),
	].sort();

	const time = await redis.time();
	const nowMs = redisNowMs(time);
	const from = String(Math.max(0, Math.floor(nowMs - windowMs)));
	const pipeline = redis.pipeline();
	for (const name of channels) {
		pipeline.zcard(ledgerKeys.dirty(prefix, name));
		pipeline.get(channelKeys.cursor(prefix, name));
		pipeline.xrevrange(
			channelKeys.lag(prefix, name),
			'+',
			from,
			'COUNT',
			options.maxLagSamples ?? 20_000,
		);
	}
	for (const owner of owners) pipeline.xlen(ledgerKeys.outbox(prefix, owner));
	const replies = await execAll(pipeline);
	const reply = (k: number): unknown => replies[k];

	const [breakers, deadLetters, inbox, redisChecks] = await Promise.all([
		Promise.all(channels.map((name) => breakerState(redis, prefix, name))),
		countDeadLetters(redis, prefix, options.maxDeadLetters),
		readInboxHealth(
			redis,
			{ stream: inboxKey(prefix, options.inboxStream || 'inbox'), dlq: channelKeys.dlq(prefix) },
			options.inboxGroup || 'inbox-trigger',
			nowMs,
		),
		redisFigures(redis, options.target ?? 'the configured Redis'),
	]);

	const channelFigures: Record<string, ChannelHealth> = {};
	channels.forEach((name, k) => {
		const rows = reply(3 * k + 2) as Array<[string, string[]]>;
		const samples = rows.flatMap(([id, fields]) => {
			const sample = readLagEntry(id, fields);
			return sample ? [sample] : [];
		});
		const breaker = breakers[k];
		const cursor = reply(3 * k + 1);
		channelFigures[name] = {
			lagMs: lagPercentiles(samples, nowMs, windowMs),
			dirtyBacklog: Number(reply(3 * k)),
			breaker: {
				state: breaker.state,
				failures: breaker.failures,
				openedAt: breaker.openedAt === null ? null : new Date(breaker.openedAt).toISOString(),
			},
			deadLetters: deadLetters.byChannel[name] ?? 0,
			cursor: typeof cursor === 'string' ? cursor : null,
		};
	});
	const outboxes: Record<string, number> = {};
	owners.forEach((owner, k) => {
		outboxes[owner] = Number(reply(3 * channels.length + k));
	});

	const report: Omit<HealthReport, 'ok' | 'problems'> = {
		checkedAt: new Date(nowMs).toISOString(),
		profileVersion: loaded ? Number(loaded.version) : null,
		channels: channelFigures,
		outboxes,
		deadLetters,
		inbox: {
			stream: inbox.stream,
			group: inbox.group,
			length: inbox.streamLength,
			pending: inbox.pending,
			lag: inbox.undelivered,
			backlog: inbox.backlog,
			consumers: inbox.consumers,
			groupExists: inbox.groupExists,
			oldestPendingAgeMs: inbox.oldestPendingAgeMs,
		},
		redis: redisChecks,
	};
	const problems = healthProblems(report, thresholds);
	return { ...report, ok: problems.length === 0, problems };
}
