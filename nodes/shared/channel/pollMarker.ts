import type Redis from 'ioredis';
import { channelKeys, ledgerKeys } from '../keys';
import { withChannelScripts } from './scripts';

/**
 * The catch-up poll's completion marker (design.md "Mirror safety, precisely"): a mirror observed below what
 * we last published is held until a poll of that channel's orders that *started after the observation* has
 * finished. Poll Orders records its start time here when it finishes (only ever moving forward); Publish
 * reads it. One implementation for both channel nodes.
 */

/**
 * Records that a poll which started at `startedAt` (ms) has finished (an older start never moves the marker
 * back), and marks dirty again the SKUs whose mirror holds it releases (lua/finishPoll.lua). Returns how many.
 */
export async function recordPollFinished(
	redis: Redis,
	prefix: string,
	channel: string,
	startedAt: number,
): Promise<number> {
	withChannelScripts(redis);
	return await redis.channelFinishPoll(
		channelKeys.polled(prefix, channel),
		channelKeys.held(prefix, channel),
		ledgerKeys.dirty(prefix, channel),
		Math.floor(startedAt),
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
