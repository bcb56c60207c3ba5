import type Redis from 'ioredis';
import { channelKeys } from '../keys';

/**
 * The catch-up poll's completion marker (design.md "Mirror safety, precisely"): a mirror observed below what
 * we last published is held until a poll of that channel's orders that *started after the observation* has
 * finished. Poll Orders records its start time here when it finishes (only ever moving forward); Publish
 * reads it. One implementation for both channel nodes.
 */

/** Records that a poll which started at `startedAt` (ms) has finished; an older start never overwrites. */
export async function recordPollFinished(
	redis: Redis,
	prefix: string,
	channel: string,
	startedAt: number,
): Promise<void> {
	const key = channelKeys.polled(prefix, channel);
	// A read-then-write from here would race another worker's poll: the max is taken inside Redis.
	await redis.eval(
		"local c = tonumber(redis.call('GET', KEYS[1]) or '-1') if tonumber(ARGV[1]) > c then redis.call('SET', KEYS[1], ARGV[1]) end return 1",
		1,
		key,
		String(Math.floor(startedAt)),
	);
}

/** The start time (ms) of the channel's last finished catch-up poll, null if none ever finished. */
export async function pollFinishedFrom(
	redis: Redis,
	prefix: string,
	channel: string,
): Promise<number | null> {
	const raw = await redis.get(channelKeys.polled(prefix, channel));
	const n = raw === null ? NaN : Number(raw);
	return Number.isFinite(n) ? n : null;
}
