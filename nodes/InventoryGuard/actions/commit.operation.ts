import type { INodeProperties } from 'n8n-workflow';
import { PREVIOUS_STATE } from '../codes';
import { commitKeys } from '../redisGuard';
import type { GuardRun, Prepared } from './common';

/** Commit: mark claimed keys done; they stay duplicates for the commit TTL. One round trip. */

export const description: INodeProperties[] = [
	{
		displayName: 'Commit TTL (Seconds)',
		name: 'commitTtl',
		type: 'number',
		// No numberPrecision: fractions are allowed, and a fixed precision shows 300 as "300.000".
		typeOptions: { minValue: 0.001 },
		default: 259200,
		displayOptions: { show: { operation: ['commit'] } },
		description:
			"How long a committed key stays a duplicate. Default 72 hours: longer than Shopify's 4 hours of webhook retries.",
	},
];

export async function execute(run: GuardRun, prepared: Prepared[]): Promise<void> {
	const codes = await commitKeys(
		run.redis,
		prepared.map((p) => p.redisKey),
		run.settings.commitTtlMs,
		run.owners,
	);
	prepared.forEach((p, n) => {
		run.put(0, p, {
			key: p.text,
			committed: true,
			previous: PREVIOUS_STATE[codes[n]],
			ttlMs: run.settings.commitTtlMs,
			redisKey: p.redisKey,
		});
	});
}
