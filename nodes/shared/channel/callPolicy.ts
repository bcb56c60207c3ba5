import type Redis from 'ioredis';
import { sleep as n8nSleep } from 'n8n-workflow';
import { breakerAllow, breakerRecord, type CallOutcome } from '../breaker';
import type { BreakerSettings } from '../breakerSettings';
import {
	classifyChannelError,
	withRetry,
	type CallContext,
	type ChannelErrorInfo,
	type ChannelPlatform,
	type ClassifyContext,
	type RetryEvent,
	type RetryResult,
} from '../retry';
import type { RandomSource } from '../backoff';
import type { BackgroundPace, PacePriority } from '../pacing';

/**
 * One policy for every channel call (design.md "Failure path"): the channel's circuit breaker in Redis
 * (shared by all workers) admits each attempt, withRetry paces, backs off with full jitter and stops at the
 * run's deadline, and every attempt's outcome is recorded on the breaker. The caller gets a RetryResult —
 * never a throw for a failed call — and dead-letters what failed while the run goes on.
 */

/** The state of one execution's channel work: who, where, and until when it may keep trying. */
export interface ChannelRun {
	readonly redis: Redis;
	readonly prefix: string;
	/** The channel's name in the profile (the breaker, the dead letters and the lease are per channel). */
	readonly channel: string;
	readonly platform: ChannelPlatform;
	/** The per-run time budget's end, ms since epoch: retries never wait past it. */
	readonly deadline: number;
	readonly breaker?: Partial<BreakerSettings>;
	/** Aborts waits and retries (the lease was lost, the execution was cancelled). */
	readonly signal?: AbortSignal;
	readonly now?: () => number;
	readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
	readonly random?: RandomSource;
	/** Called before each backoff wait (logging, tests). */
	readonly onRetry?: (event: RetryEvent) => void | Promise<void>;
	/** The channel's shared request pacing (WooCommerce: sharedPace.ts WooRequestPacer), for every call. */
	readonly pacer?: ChannelPacer;
	/**
	 * 'background' for reads that can come later (Poll Orders, Get Levels / Get Stock, Resolve SKUs / IDs):
	 * their pace yields to the stock writes' (paceBehindForeground). Default 'foreground' (Publish, Adjust).
	 */
	readonly priority?: PacePriority;
}

/**
 * Pacing shared by every worker calling one shop (sharedPace.ts): a slot reserved before each attempt, and a
 * server-given wait (Retry-After of a 429 or 503) passed on so that no other caller sends before it ends.
 */
export interface ChannelPacer {
	/** Reserves this attempt's place; the wait before sending it, ms (longer than `maxWaitMs`: nothing taken). */
	reserve(maxWaitMs?: number): Promise<number>;
	/** A background caller's place: taken only when no foreground caller would wait for it (sharedPace.ts). */
	reserveInBackground?(maxWaitMs?: number): Promise<BackgroundPace>;
	/** The shop asked for `waitMs` before the next request. */
	defer(waitMs: number): Promise<void>;
}

/** Thrown inside an attempt when the breaker refuses it: not retried, so the work is dead-lettered at once. */
export class BreakerOpenError extends Error {
	constructor(
		readonly channel: string,
		readonly retryInMs: number,
	) {
		super(
			`the circuit breaker of channel '${channel}' is open (calls paused for ${Math.ceil(retryInMs / 1000)} s after repeated failures)`,
		);
		this.name = 'BreakerOpenError';
	}
}

/** Classes that say the channel is unhealthy (and count on its breaker); a refused input does not. */
function countsOnBreaker(info: ChannelErrorInfo): boolean {
	return info.errorClass !== 'validation' && info.errorClass !== 'aborted';
}

function classifyWithBreaker(error: unknown, context: ClassifyContext): ChannelErrorInfo {
	if (error instanceof BreakerOpenError) {
		return { errorClass: 'transient', retries: 0, message: error.message, code: 'BREAKER_OPEN' };
	}
	return classifyChannelError(error, context);
}

export interface CallOptions {
	/** The wait before each attempt (Shopify: the bucket's refill for this request's cost). */
	readonly paceMs?: (maxWaitMs: number) => number | Promise<number>;
	/** Caps this call's own budget below what is left of the run's. */
	readonly budgetMs?: number;
}

/**
 * A background caller's pace (pacing.ts "Priority"): asks the shared limit, and while it takes nothing (the
 * room is the foreground callers'), sleeps until the limit says it may have room and asks again, within
 * `maxWaitMs`. The wait before sending once a place is taken; a wait beyond what is left when it cannot be
 * had in time (withRetry then gives up on the budget, as for a foreground caller; 0 when cancelled: withRetry
 * sees the signal).
 */
export async function paceBehindForeground(
	run: Pick<ChannelRun, 'now' | 'sleep' | 'signal'>,
	ask: (maxWaitMs: number) => Promise<BackgroundPace>,
	maxWaitMs: number,
): Promise<number> {
	const now = run.now ?? Date.now;
	const sleep = run.sleep ?? n8nSleep;
	const startedAt = now();
	for (;;) {
		const left = Math.max(0, maxWaitMs - (now() - startedAt));
		const pace = await ask(left);
		if (pace.taken) return pace.waitMs;
		if (pace.retryInMs > left) return pace.retryInMs;
		const slept = await sleep(pace.retryInMs, run.signal).then(
			() => run.signal?.aborted !== true,
			() => false,
		);
		if (!slept) return 0;
	}
}

/** The call's own pace and the channel's shared slot: the longer wait. */
async function pacedBoth(
	run: ChannelRun,
	pacer: ChannelPacer,
	paceMs: CallOptions['paceMs'],
	maxWaitMs: number,
): Promise<number> {
	const own = paceMs ? await paceMs(maxWaitMs) : 0;
	if (own > maxWaitMs) return own;
	const slot =
		run.priority === 'background' && pacer.reserveInBackground
			? await paceBehindForeground(
					run,
					async (left) => await pacer.reserveInBackground!(left),
					maxWaitMs,
				)
			: await pacer.reserve(maxWaitMs);
	return Math.max(own, slot);
}

/** Milliseconds left of the run's budget. */
export function budgetLeft(run: ChannelRun): number {
	return Math.max(0, run.deadline - (run.now ?? Date.now)());
}

/**
 * Runs one channel call under the policy. A refused admission (breaker open, or another worker's probe in
 * flight) fails the call with code BREAKER_OPEN and reason 'notRetryable' without any request.
 */
export async function callChannel<T>(
	run: ChannelRun,
	call: (context: CallContext) => Promise<T>,
	options: CallOptions = {},
): Promise<RetryResult<T> & { readonly requests: number }> {
	const left = budgetLeft(run);
	// Requests that really went out (withRetry counts attempts, and an attempt the breaker refused sent none),
	// and the last real failure (a refusal after it must not hide what the channel answered).
	let requests = 0;
	let lastFailure: unknown;
	const result = await withRetry(
		async (context) => {
			const admission = await breakerAllow(run.redis, run.prefix, run.channel, run.breaker);
			if (!admission.allowed) throw new BreakerOpenError(run.channel, admission.retryInMs);
			requests++;
			const record = async (outcome: CallOutcome) =>
				await breakerRecord(
					run.redis,
					run.prefix,
					run.channel,
					outcome,
					admission.probeToken,
					run.breaker,
				);
			// The failure goes back to withRetry as it is (it classifies the original error), after the breaker
			// has heard of it.
			const onFailure = async (error: unknown): Promise<never> => {
				const info = classifyWithBreaker(error, { platform: run.platform });
				if (
					run.pacer &&
					info.waitMs !== undefined &&
					(info.errorClass === 'rateLimited' || info.errorClass === 'transient')
				)
					await run.pacer.defer(info.waitMs);
				if (countsOnBreaker(info) || admission.probe)
					await record(countsOnBreaker(info) ? 'failure' : 'success');
				lastFailure = error;
				return await Promise.reject(error);
			};
			const value = await call(context).catch(onFailure);
			await record('success');
			return value;
		},
		{
			budgetMs: options.budgetMs === undefined ? left : Math.min(left, options.budgetMs),
			platform: run.platform,
			classify: classifyWithBreaker,
			paceMs: run.pacer
				? async (maxWaitMs: number) => await pacedBoth(run, run.pacer!, options.paceMs, maxWaitMs)
				: options.paceMs,
			signal: run.signal,
			now: run.now,
			sleep: run.sleep,
			random: run.random,
			onRetry: run.onRetry,
		},
	);
	if (result.ok) return { ...result, requests };
	let failure = { ...result.failure, attempts: requests };
	if (failure.code === 'BREAKER_OPEN' && lastFailure !== undefined) {
		// The breaker opened on this call's own failures: say what the channel answered, then that it is open.
		const real = classifyChannelError(lastFailure, { platform: run.platform });
		failure = {
			...failure,
			message: `${real.message}; then ${failure.message}`,
			...(real.status !== undefined ? { status: real.status } : {}),
		};
	}
	return { ok: false, failure, requests };
}
