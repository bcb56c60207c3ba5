import type { INodeProperties } from 'n8n-workflow';
import { GuardCode, LOCK_OUTCOME } from '../codes';
import { releaseLocks } from '../../shared/locks';
import { perHeldLock, previousResult, type GuardRun, type Prepared } from './common';

/** Unlock: release a held lock, only with its token. One pipeline. */

export const description: INodeProperties[] = [];

export async function execute(run: GuardRun, prepared: Prepared[]): Promise<void> {
	const codeOf = await perHeldLock(prepared, async (locks) => await releaseLocks(run.redis, locks));
	prepared.forEach((p, i) => {
		const ok = codeOf[i] === GuardCode.Ok;
		run.put(0, p, {
			...previousResult(run, p),
			key: p.text,
			released: ok,
			outcome: ok ? 'released' : LOCK_OUTCOME[codeOf[i]],
		});
	});
}
