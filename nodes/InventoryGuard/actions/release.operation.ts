import type { INodeProperties } from 'n8n-workflow';
import { nodeOptions } from '../../shared/nodeKit';
import { PREVIOUS_STATE } from '../codes';
import { releaseKeys } from '../redisGuard';
import type { GuardRun, Prepared } from './common';

/**
 * Release: give claims back after a failure (never a commit). One round trip. Its option (Release Any Run's
 * Claim) lives in the shared Options collection (descriptions.ts).
 */

export const description: INodeProperties[] = [];

export async function execute(run: GuardRun, prepared: Prepared[]): Promise<void> {
	const any = nodeOptions(run.ctx).releaseAnyClaim === true;
	const codes = await releaseKeys(
		run.redis,
		prepared.map((p) => p.redisKey),
		run.owners,
		any,
	);
	prepared.forEach((p, n) => {
		run.put(0, p, {
			key: p.text,
			released: codes[n] > 0,
			previous: PREVIOUS_STATE[codes[n]],
			redisKey: p.redisKey,
		});
	});
}
