import { join } from 'node:path';
import type Redis from 'ioredis';
import { loadScripts } from './scripts';

/**
 * nodes/shared/lua: the scripts every node may call (the channel breaker: admitCall-1, recordCall-1,
 * readBreaker-1; dead-letter replay: claimDeadLetter-2), registered under the `shared` namespace
 * (`sharedAdmitCall`, …). Their typed signatures are declared next to their wrappers (breaker.ts, dlq.ts).
 */
const LUA_DIR = join(__dirname, 'lua');

/** Registers nodes/shared/lua's scripts on a client (once per client) and returns it. */
export function withSharedScripts(redis: Redis): Redis {
	return loadScripts(redis, LUA_DIR, 'shared');
}
