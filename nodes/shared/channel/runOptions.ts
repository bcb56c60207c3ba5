import type Redis from 'ioredis';
import type { BreakerSettings } from '../breakerSettings';
import type { ChannelPlatform } from '../retry';
import type { LeaseSettings } from '../locks/lease';
import type { ChannelRun } from './callPolicy';

/**
 * The channel nodes' shared Options (Time Budget, breaker, lease TTL; seconds as the editor shows them) and the
 * channel run of one execution built from them: one implementation for the Shopify and WooCommerce nodes.
 */

export interface ChannelRunOptions {
	/** Time Budget (s), default 30. */
	readonly timeBudget?: number;
	/** Breaker: consecutive failures that open it. */
	readonly breakerFailureThreshold?: number;
	/** Breaker: cool-down before the half-open probe, s. */
	readonly breakerCoolDown?: number;
	/** Lease TTL, s (Publish, Adjust). */
	readonly leaseTtl?: number;
}

export const DEFAULT_TIME_BUDGET_S = 30;

/** The breaker settings the options give (only those set: the rest stay the breaker's defaults). */
export function breakerFromOptions(options: ChannelRunOptions): Partial<BreakerSettings> {
	const settings: { failureThreshold?: number; coolDownMs?: number } = {};
	if (typeof options.breakerFailureThreshold === 'number' && options.breakerFailureThreshold > 0)
		settings.failureThreshold = Math.round(options.breakerFailureThreshold);
	if (typeof options.breakerCoolDown === 'number' && options.breakerCoolDown > 0)
		settings.coolDownMs = Math.round(options.breakerCoolDown * 1000);
	return settings;
}

/** Lease TTL from the options (seconds), else the lease defaults (extended every third of the TTL). */
export function leaseFromOptions(options: { leaseTtl?: unknown }): Partial<LeaseSettings> {
	const ttl = typeof options.leaseTtl === 'number' ? options.leaseTtl : NaN;
	return Number.isFinite(ttl) && ttl > 0 ? { ttlMs: Math.round(ttl * 1000) } : {};
}

export interface ChannelRunInput {
	readonly redis: Redis;
	readonly prefix: string;
	/** The profile's channel name. */
	readonly channel: string;
	readonly platform: ChannelPlatform;
	readonly options?: ChannelRunOptions;
	/** The execution's cancel signal: stops waits and retries. */
	readonly signal?: AbortSignal;
	readonly now?: () => number;
	readonly sleep?: ChannelRun['sleep'];
}

/** The channel run of one execution: deadline = now + Time Budget, breaker from the options. */
export function channelRun(input: ChannelRunInput): ChannelRun {
	const now = input.now ?? Date.now;
	const options = input.options ?? {};
	const budgetS =
		typeof options.timeBudget === 'number' && options.timeBudget > 0
			? options.timeBudget
			: DEFAULT_TIME_BUDGET_S;
	return {
		redis: input.redis,
		prefix: input.prefix,
		channel: input.channel,
		platform: input.platform,
		deadline: now() + Math.round(budgetS * 1000),
		breaker: breakerFromOptions(options),
		...(input.signal ? { signal: input.signal } : {}),
		...(input.now ? { now: input.now } : {}),
		...(input.sleep ? { sleep: input.sleep } : {}),
	};
}
