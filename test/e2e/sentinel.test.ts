/**
 * Sentinel failover through a real n8n 2.41.1 (issue 22), small version of `npm run chaos`'s: a primary, one
 * replica and three Sentinels on loopback; n8n runs the real-time and catch-up templates with the Inventory Redis
 * credential in Sentinel mode (Replicas to Wait For 1), the Inventory Receiver takes half of Shopify's webhooks
 * on the same Sentinels; the shops' webhooks stream in and the primary gets SIGKILL mid-run. n8n and the
 * receiver follow the promoted replica without a restart, nothing answered 200 is missing from the ledger's
 * audit or the dead letters, and the ledger and both shops end equal to the serial model of what the shops
 * did. The run itself is chaos/sentinelN8n.ts. `INVSYNC_E2E_DIST` may name a build.
 */
import { runSentinelN8n } from '../../chaos/sentinelN8n';

jest.setTimeout(240_000);

it('SIGKILL of the Redis primary under n8n: n8n and the receiver follow the promoted replica without a restart, nothing answered 200 is lost, ledger and shops equal the truth', async () => {
	const lines: string[] = [];
	const figures = await runSentinelN8n({
		skus: 20,
		rate: 5,
		before: 8,
		after: 5,
		retryMs: 60_000,
		settleMs: 90_000,
		log: (line) => {
			lines.push(line);
			process.stderr.write(`sentinel: ${line}\n`);
		},
	});
	// eslint-disable-next-line no-console -- the measured figures, for the README
	console.log(`${lines.join('\n')}\n${JSON.stringify(figures)}`);
	expect(figures.n8n_restarts).toBe(0);
	expect(figures.never_accepted).toBe(0);
	expect(figures.failover_s_by_door.receiver).not.toBeNull();
	expect(figures.failover_s_by_door.n8n_webhook).not.toBeNull();
	expect(figures.events_checked).toBeGreaterThan(0);
	expect(figures.lost_after_failover).toBe(0);
	expect(figures.examples).toEqual([]);
	expect(figures.mismatched_skus).toBe(0);
	expect(figures.failover_s).toBeLessThan(60);
});
