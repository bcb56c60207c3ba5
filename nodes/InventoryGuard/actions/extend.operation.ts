import type { INodeProperties } from 'n8n-workflow';
import { GuardCode, LOCK_OUTCOME } from '../codes';
import { extendLocks } from '../../shared/locks';
import { perHeldLock, previousResult, type GuardRun, type Prepared } from './common';

/** Extend: renew a held lock's TTL, only with its token; a lost lock goes to Lost. One pipeline. */

export const description: INodeProperties[] = [];

export async function execute(run: GuardRun, prepared: Prepared[]): Promise<void> {
	const { lockTtlMs } = run.settings;
	const codeOf = await perHeldLock(
		prepared,
		async (locks) => await extendLocks(run.redis, locks, lockTtlMs),
	);
	const stamp = run.now();
	prepared.forEach((p, i) => {
		const code = codeOf[i];
		if (code === GuardCode.Ok) {
			run.put(0, p, {
				...previousResult(run, p),
				key: p.text,
				token: p.token,
				extended: true,
				ttlMs: lockTtlMs,
				expiresAt: new Date(stamp + lockTtlMs).toISOString(),
			});
		} else {
			run.put(1, p, {
				...previousResult(run, p),
				key: p.text,
				extended: false,
				outcome: LOCK_OUTCOME[code],
			});
		}
	});
}
