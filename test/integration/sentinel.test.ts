/**
 * Sentinel failover (issue 22), small version of `npm run chaos`'s: a primary, one replica and three Sentinels on
 * loopback (redis-server --sentinel); the Inventory Receiver with Replicas to Wait For = 1 and the Inbox Trigger's
 * consumer loop on the credential's Sentinel settings. The primary gets SIGKILL mid-stream: Sentinel promotes the
 * replica, receiver and consumer follow it without a restart, and no webhook answered 200 is missing from the new
 * primary's inbox or from what the consumer received. The scenario itself is chaos/sentinelRun.ts.
 */
import { runSentinelScenario } from '../../chaos/sentinelRun';

jest.setTimeout(180_000);

it('SIGKILL of the primary: Sentinel promotes the replica, receiver and consumer follow, nothing answered 200 is lost', async () => {
	const figures = await runSentinelScenario({
		prefix: `itsentinel${process.pid}`,
		rate: 25,
		before: 2,
		latencySamples: 40,
	});
	// eslint-disable-next-line no-console -- the measured figures, for the README
	console.log(JSON.stringify(figures));
	expect(figures.answered_200).toBeGreaterThan(40);
	expect(figures.lost_after_failover).toBe(0);
	expect(figures.not_consumed).toBe(0);
	expect(figures.failover_s).toBeGreaterThan(0);
	expect(figures.failover_s).toBeLessThan(30);
});
