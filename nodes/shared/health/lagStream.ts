import type Redis from 'ioredis';
import { channelKeys } from '../keys';
import { execAll } from '../redisBatch';
import { LAG_SAMPLES_CAP, readLagEntry, type LagSample } from './lag';

/** The lag stream's Redis verbs (`<prefix>:lag:<channel>`; entry format and percentiles in lag.ts). */

/**
 * Appends lag samples for `channel` (one XADD each, MAXLEN ~ LAG_SAMPLES_CAP, in one pipeline). For the channel
 * nodes, after a channel confirmed a write.
 */
export async function recordLagSamples(
	redis: Redis,
	prefix: string,
	channel: string,
	samples: readonly LagSample[],
): Promise<void> {
	if (samples.length === 0) return;
	const key = channelKeys.lag(prefix, channel);
	const pipeline = redis.pipeline();
	for (const s of samples) {
		const ms = Math.max(0, Math.round(s.ms));
		if (!Number.isFinite(ms)) continue;
		pipeline.xadd(key, 'MAXLEN', '~', LAG_SAMPLES_CAP, '*', 'ms', ms, 'sku', s.sku, 'op', s.op);
	}
	await execAll(pipeline);
}

/**
 * The samples of the last `windowMs` before `nowMs` (newest first, at most `maxSamples`, one XREVRANGE), read as
 * { atMs, ms }.
 */
export async function readLagSamples(
	redis: Redis,
	prefix: string,
	channel: string,
	nowMs: number,
	windowMs: number,
	maxSamples = 2 * LAG_SAMPLES_CAP,
): Promise<Array<{ atMs: number; ms: number }>> {
	const rows = await redis.xrevrange(
		channelKeys.lag(prefix, channel),
		'+',
		String(Math.max(0, Math.floor(nowMs - windowMs))),
		'COUNT',
		maxSamples,
	);
	const out: Array<{ atMs: number; ms: number }> = [];
	for (const [id, fields] of rows) {
		const sample = readLagEntry(id, fields);
		if (sample) out.push(sample);
	}
	return out;
}
