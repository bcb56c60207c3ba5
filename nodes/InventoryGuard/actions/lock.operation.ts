import type { INodeProperties } from 'n8n-workflow';
import { groupBy } from '../guard';
import { acquireLocks, type LockOutcome } from '../../shared/locks';
import type { GuardRun, Prepared } from './common';

/**
 * Lock: a per-key mutex with a token and a fencing number, waiting a bounded time; busy keys go to Busy. One
 * pipeline per attempt. Its option (Retry Interval) lives in the shared Options collection (descriptions.ts).
 */

export const description: INodeProperties[] = [
	{
		displayName: 'Max Wait (Seconds)',
		name: 'maxWait',
		type: 'number',
		// No numberPrecision: fractions are allowed, and a fixed precision shows 300 as "300.000".
		typeOptions: { minValue: 0 },
		default: 5,
		displayOptions: { show: { operation: ['lock'] } },
		description:
			'How long to wait for a busy key, retrying with jitter, before the item goes to Busy. 0: try once.',
	},
];

export async function execute(run: GuardRun, prepared: Prepared[]): Promise<void> {
	const { settings, runtime } = run;
	// Items naming the same key share one acquisition (one token, one fencing number).
	const groups = groupBy(prepared, (p) => p.redisKey);
	const outcomes = await acquireLocks(
		run.redis,
		groups.map((g) => ({
			lockKey: prepared[g.indexes[0]].redisKey,
			fenceKey: prepared[g.indexes[0]].fence!,
		})),
		{
			ttlMs: settings.lockTtlMs,
			maxWaitMs: settings.maxWaitMs,
			retry: { baseMs: settings.retryBaseMs, capMs: settings.retryCapMs },
			random: runtime.random,
			sleep: runtime.sleep,
			now: runtime.now,
			token: runtime.token,
		},
	);
	const stamp = run.now();
	const outcomeOf: LockOutcome[] = [];
	groups.forEach((g, n) => g.indexes.forEach((i) => (outcomeOf[i] = outcomes[n])));
	prepared.forEach((p, i) => {
		const o = outcomeOf[i];
		if (o.acquired) {
			run.put(0, p, {
				key: p.text,
				acquired: true,
				token: o.token,
				fence: o.fence,
				ttlMs: o.ttlMs,
				expiresAt: new Date(stamp + o.ttlMs).toISOString(),
				waitedMs: o.waitedMs,
			});
		} else {
			run.put(1, p, {
				key: p.text,
				acquired: false,
				holderTtlMs: o.holderTtlMs,
				waitedMs: o.waitedMs,
			});
		}
	});
}
