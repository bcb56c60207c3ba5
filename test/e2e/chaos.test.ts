/**
 * The chaos run of `npm run chaos` (issue 22), small: the real-time and catch-up templates in n8n 2.41.1's queue
 * mode (main + 2 workers, Postgres, Bull on a Redis of its own) over an inventory Redis with AOF and appendfsync
 * always; 300 webhook events over 30 SKUs, each delivered 1–4 times, shuffled and concurrent, every 20th
 * WooCommerce delivery dropped at the simulator; faults: the inventory Redis SIGKILLed and restarted, Shopify 503
 * for 10 s, a worker SIGKILLed and restarted, n8n main SIGKILLed and restarted (workers running on). After the
 * catch-up poll, the dead-letter replay and a reconciliation run, every SKU equals the serial model of the
 * generated history (chaos/history.ts), every accepted delivery's event is recorded (audit log, observation or
 * dead letter) and no sale is counted twice. The run itself is chaos/run.ts. `INVSYNC_E2E_DIST` may name a build.
 */
import { runChaos } from '../../chaos/run';

jest.setTimeout(600_000);

it('queue mode under faults (Redis, Shopify, worker and main killed): every SKU equals the serial truth, nothing accepted is lost, nothing counted twice', async () => {
	const lines: string[] = [];
	const figures = await runChaos({
		events: 300,
		skus: 30,
		shopifyOutageMs: 10_000,
		round: 30,
		minStreamSeconds: 70,
		log: (line) => {
			lines.push(line);
			process.stderr.write(`chaos: ${line}\n`);
		},
	});
	// eslint-disable-next-line no-console -- the figures of the run, for whoever reads the test output
	console.log(`${lines.join('\n')}\n${JSON.stringify(figures, null, 1)}`);
	expect(figures.faults.filter((f) => f.duration_s < 0)).toEqual([]);
	expect(figures.faults).toHaveLength(4);
	expect(figures.events_sent).toBe(300);
	expect(figures.woo_drop.dropped).toBe(Math.floor(figures.woo_drop.deliveries / 20));
	expect(figures.examples).toEqual([]);
	expect(figures.mismatched_skus).toBe(0);
	expect(figures.missing_events).toBe(0);
	expect(figures.double_applied).toBe(0);
});
