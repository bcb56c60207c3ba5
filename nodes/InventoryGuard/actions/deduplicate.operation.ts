import type { INodeProperties } from 'n8n-workflow';
import { CLAIM_STATUS, GuardCode } from '../codes';
import { claimKeys } from '../redisGuard';
import type { GuardRun, Prepared } from './common';

/** Deduplicate: claim each item's key; first sight → New, in flight or committed → Duplicate. One round trip. */

export const description: INodeProperties[] = [
	{
		displayName: 'Claim TTL (Seconds)',
		name: 'claimTtl',
		type: 'number',
		// No numberPrecision: fractions are allowed, and a fixed precision shows 300 as "300.000".
		typeOptions: { minValue: 0.001 },
		default: 300,
		displayOptions: { show: { operation: ['deduplicate', 'claim'] } },
		description:
			'How long a claim holds without Commit or Release. Items from the Inventory Inbox Trigger: the claim belongs to their inbox entry, whose redelivery takes it back at once. Other items: a run that dies lets it expire, so a retry can process the event.',
	},
];

export async function execute(run: GuardRun, prepared: Prepared[]): Promise<void> {
	const replies = await claimKeys(
		run.redis,
		prepared.map((p) => p.redisKey),
		run.settings.claimTtlMs,
		run.owners,
	);
	prepared.forEach((p, n) => {
		const { code, ttlMs } = replies[n];
		const isNew = code === GuardCode.Ok || code === GuardCode.Reclaimed;
		run.put(isNew ? 0 : 1, p, {
			key: p.text,
			status: CLAIM_STATUS[code],
			ttlMs,
			redisKey: p.redisKey,
		});
	});
}
