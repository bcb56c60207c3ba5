import { join } from 'node:path';
import type { Result } from 'ioredis';
import type Redis from 'ioredis';
import { loadScripts } from '../scripts';

/** nodes/shared/channel/lua: the channel drains' scripts, registered as `channel<Name>` once per client. */

declare module 'ioredis' {
	interface RedisCommander<Context> {
		channelRecordPublished(
			numKeys: number,
			...args: Array<string | number>
		): Result<[number, number], Context>;
		channelReadSkuStates(numKeys: number, ...keys: string[]): Result<string[][], Context>;
		channelReadPassStates(
			numKeys: number,
			...args: string[]
		): Result<Array<Array<string | null>>, Context>;
		channelConfirmForwards(
			numKeys: number,
			...args: Array<string | number>
		): Result<number, Context>;
		channelReleaseReserves(
			reserveKey: string,
			dirtyKey: string,
			now: number,
		): Result<number, Context>;
		channelFinishPoll(
			polledKey: string,
			heldKey: string,
			dirtyKey: string,
			startedAt: number,
		): Result<number, Context>;
	}
}

const LUA_DIR = join(__dirname, 'lua');

export function withChannelScripts(redis: Redis): Redis {
	return loadScripts(redis, LUA_DIR, 'channel');
}
