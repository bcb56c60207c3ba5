/**
 * `npm run demo -- --exit --small` (issue 18, e2e 6): the demo's own main function with those options — the six
 * templates imported and activated in a real n8n 2.41.1, the first sync run in dry run and then live, a short
 * stream on both simulators (orders, cancellations, returns, restocks, duplicate and out-of-order deliveries,
 * lost WooCommerce webhooks, a WooCommerce outage) — must end with the verdict "all SKUs equal": for each of the
 * 500 SKUs the ledger holds what the accepted orders leave, and Shopify and WooCommerce show what it computes.
 *
 * It uses the tests' Redis (INVSYNC_TEST_REDIS, under a key prefix of its own) and `INVSYNC_E2E_DIST` or a
 * snapshot of dist/ (the build `npm test` made), and leaves no process behind.
 */
import { runDemo, type DemoResult } from '../../demo/main';
import { packageDist } from './templateSupport';

jest.setTimeout(360_000);

it('npm run demo -- --exit --small: every SKU equal in the ledger and on both channels ("all SKUs equal")', async () => {
	const build = packageDist();
	let output = '';
	// The demo's own output is shown either way: it is the report of what the stream did.
	const result: DemoResult = await runDemo({
		exit: true,
		small: true,
		redisUrl: process.env.INVSYNC_TEST_REDIS,
		dist: build.dist,
		tty: false,
		write: (text) => {
			output += text;
		},
	}).finally(() => {
		build.remove();
		process.stdout.write(output);
	});
	expect(result.agreement.examples).toEqual([]);
	expect(result.verdict).toBe('all SKUs equal');
	expect(result.agreement).toMatchObject({
		skus: 500,
		ledgerEqual: 500,
		shopifyEqual: 500,
		wooEqual: 500,
		allEqual: 500,
	});
	expect(output).toContain('Verdict: all SKUs equal');
	// The stream really had what the verdict is about.
	expect(result.counts.duplicates).toBeGreaterThan(0);
	expect(result.counts.shopifyReordered + result.counts.wooReordered).toBeGreaterThan(0);
	expect(result.counts.wooOrders).toBeGreaterThan(0);
	expect(result.webhookRequests).toBeGreaterThanOrEqual(600);
});
