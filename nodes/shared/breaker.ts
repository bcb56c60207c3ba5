import { randomBytes } from 'node:crypto';
import type { Result } from 'ioredis';
import type Redis from 'ioredis';
import {
	BREAKER_TRANSITION,
	BreakerCode,
	breakerSettings,
	effectiveBreakerState,
	isBreakerStateName,
	type BreakerSettings,
	type BreakerStateName,
	type BreakerTransition,
} from './breakerSettings';
import { channelKeys } from './keys';
import { UnexpectedReplyError, codeMapper } from './redisBatch';
import { withSharedScripts } from './sharedScripts';

/**
 * The circuit breaker per channel, shared by every worker on one Redis (design.md "Failure path"): closed →
 * open after `failureThreshold` consecutive failures → half-open once `coolDownMs` has passed, where exactly
 * one caller across all workers gets the probe (the others are refused while it is out; a probe that never
 * reports frees its slot after `probeTimeoutMs`) → closed on the probe's success (failures reset) or open again
 * on its failure (the cool-down restarts). A success in closed resets the consecutive count.
 *
 * State lives in the hash `<prefix>:breaker:<channel>` (keys.ts channelKeys.breaker; fields in
 * lua/admitCall-1.lua). Every step is one script call (lua/admitCall-1, recordCall-1, readBreaker-1), timed by
 * Redis's own clock (TIME), so workers with skewed clocks agree on when a cool-down or a probe slot ends.
 * The cool-down an open breaker waits is the one it opened with (stored as halfOpenAt), so workers configured
 * differently still agree on when it half-opens; the threshold is the recording caller's, the probe timeout the
 * admitted probe's. A healthy channel costs one read-only script call per call plus one that writes only when
 * a failure count must be reset.
 */

declare module 'ioredis' {
	interface RedisCommander<Context> {
		sharedAdmitCall(
			breakerKey: string,
			probeToken: string,
			probeTimeoutMs: number,
		): Result<[number, string, number, number], Context>;
		sharedRecordCall(
			breakerKey: string,
			outcome: 'success' | 'failure',
			probeToken: string,
			failureThreshold: number,
			coolDownMs: number,
		): Result<[number, string, number], Context>;
		sharedReadBreaker(breakerKey: string): Result<Array<number | string>, Context>;
	}
}

const toCode = codeMapper<BreakerCode>(BreakerCode);

function stateOf(script: string, value: unknown, reply: unknown): BreakerStateName {
	const text = String(value);
	if (!isBreakerStateName(text)) throw new UnexpectedReplyError(script, reply);
	return text;
}

/** A probe token: 16 random bytes, hex (node-redlock's lock token). */
export function newProbeToken(): string {
	return randomBytes(16).toString('hex');
}

export interface BreakerAdmission {
	/** The call may go out. */
	readonly allowed: boolean;
	/** The breaker's state as this caller found it ('half-open' both for the probe and for those it refused). */
	readonly state: BreakerStateName;
	/** This call is the half-open probe: report its outcome with `probeToken`. */
	readonly probe: boolean;
	/** The probe's token (only when `probe`). */
	readonly probeToken?: string;
	/** Refused: ms until the cool-down ends, or the latest the probe slot frees; 0 when allowed. */
	readonly retryInMs: number;
	/** Consecutive failures counted so far. */
	readonly failures: number;
	readonly code: BreakerCode;
}

/**
 * Whether a call to `channel` may go out now. One script call; closed and refused answers write nothing.
 * The probe (`probe: true`) must report with `breakerRecord(…, probeToken)`, success or failure.
 */
export async function breakerAllow(
	redis: Redis,
	prefix: string,
	channel: string,
	settings: Partial<BreakerSettings> = {},
): Promise<BreakerAdmission> {
	const { probeTimeoutMs } = breakerSettings(settings);
	const key = channelKeys.breaker(prefix, channel);
	const token = newProbeToken();
	const reply = await withSharedScripts(redis).sharedAdmitCall(key, token, probeTimeoutMs);
	if (!Array.isArray(reply) || reply.length !== 4)
		throw new UnexpectedReplyError('admitCall', reply);
	const code = toCode('admitCall', reply[0]);
	const state = stateOf('admitCall', reply[1], reply);
	const retryInMs = Math.max(0, Number(reply[2]));
	const failures = Number(reply[3]);
	switch (code) {
		case BreakerCode.Allowed:
			return { allowed: true, state, probe: false, retryInMs: 0, failures, code };
		case BreakerCode.Probe:
			return { allowed: true, state, probe: true, probeToken: token, retryInMs: 0, failures, code };
		case BreakerCode.Open:
		case BreakerCode.ProbeInFlight:
			return { allowed: false, state, probe: false, retryInMs, failures, code };
		default:
			throw new UnexpectedReplyError('admitCall', reply);
	}
}

export type CallOutcome = 'success' | 'failure';

export interface BreakerRecordResult {
	/** The state after this outcome. */
	readonly state: BreakerStateName;
	/** Consecutive failures after this outcome. */
	readonly failures: number;
	/** What the outcome did: 'none' (recorded in closed), 'opened', 'closed', 'reopened', 'notProbe'. */
	readonly transition: BreakerTransition;
	readonly code: BreakerCode;
}

/**
 * Records how a call to `channel` ended. Pass the probe's token when `breakerAllow` made this call the probe;
 * without it (or with a token another probe has replaced) an outcome while open or half-open changes no
 * state (a failure still counts). One script call.
 */
export async function breakerRecord(
	redis: Redis,
	prefix: string,
	channel: string,
	outcome: CallOutcome,
	probeToken?: string,
	settings: Partial<BreakerSettings> = {},
): Promise<BreakerRecordResult> {
	if (outcome !== 'success' && outcome !== 'failure') {
		throw new RangeError(`outcome must be 'success' or 'failure' (got ${String(outcome)})`);
	}
	const { failureThreshold, coolDownMs } = breakerSettings(settings);
	const key = channelKeys.breaker(prefix, channel);
	const reply = await withSharedScripts(redis).sharedRecordCall(
		key,
		outcome,
		probeToken ?? '',
		failureThreshold,
		coolDownMs,
	);
	if (!Array.isArray(reply) || reply.length !== 3)
		throw new UnexpectedReplyError('recordCall', reply);
	const code = toCode('recordCall', reply[0]);
	const transition = BREAKER_TRANSITION[code];
	if (transition === undefined) throw new UnexpectedReplyError('recordCall', reply);
	return {
		state: stateOf('recordCall', reply[1], reply),
		failures: Number(reply[2]),
		transition,
		code,
	};
}

export interface BreakerStatus {
	readonly channel: string;
	/** As a caller would find it now ('half-open': open past its cool-down, or a probe out). */
	readonly state: BreakerStateName;
	/** Consecutive failures. */
	readonly failures: number;
	/** When it last opened, ms since epoch (Redis time); null if it never opened. */
	readonly openedAt: number | null;
	/** When its current cool-down ends (or ended), ms since epoch; null if it never opened. */
	readonly halfOpenAt: number | null;
	/** Last failure recorded, ms since epoch; null if none. */
	readonly lastFailureAt: number | null;
	/** A probe is out and its slot has not expired. */
	readonly probeInFlight: boolean;
	/** Redis's time of the reading, ms since epoch. */
	readonly nowMs: number;
}

function msOrNull(value: unknown): number | null {
	if (value === '' || value === null || value === undefined) return null;
	const n = Number(value);
	return Number.isFinite(n) ? n : null;
}

/** The breaker of `channel` for Health, read atomically with Redis's time. Writes nothing. */
export async function breakerState(
	redis: Redis,
	prefix: string,
	channel: string,
): Promise<BreakerStatus> {
	const key = channelKeys.breaker(prefix, channel);
	const reply = await withSharedScripts(redis).sharedReadBreaker(key);
	if (!Array.isArray(reply) || reply.length !== 8)
		throw new UnexpectedReplyError('readBreaker', reply);
	if (toCode('readBreaker', reply[0]) !== BreakerCode.Read) {
		throw new UnexpectedReplyError('readBreaker', reply);
	}
	const [, now, stored, failures, openedAt, halfOpenAt, lastFailureAt, probeExpiresAt] = reply;
	const nowMs = Number(now);
	const halfOpen = msOrNull(halfOpenAt);
	const probeExpires = msOrNull(probeExpiresAt);
	return {
		channel,
		state: effectiveBreakerState(String(stored), halfOpen, nowMs),
		failures: Number(failures) || 0,
		openedAt: msOrNull(openedAt),
		halfOpenAt: halfOpen,
		lastFailureAt: msOrNull(lastFailureAt),
		probeInFlight: String(stored) === 'half-open' && probeExpires !== null && nowMs < probeExpires,
		nowMs,
	};
}
