/**
 * The two benchmarks of issue 20 at small sizes, end to end (bench/flashsale.ts, bench/reconcile.ts): each starts
 * its real n8n 2.41.1 with the templates, plays its load on the simulators and returns every figure. The
 * figures themselves are not judged here (benchmarks measure, they do not pass or fail) — only what must hold at
 * any size: the sync ends agreeing with the shops, and nothing is missed. Small runs write no results file.
 *
 * `INVSYNC_E2E_DIST` may name another build of the package (default: a snapshot of the repo's dist/).
 */
import { runFlashSale, type FlashFigures } from '../../bench/flashsale';
import { runReconcile } from '../../bench/reconcile';

jest.setTimeout(240_000);

const quiet = () => undefined;

// The two run side by side: each spends most of its time starting its n8n.
it.concurrent(
	'flashsale at a small size (ours_receiver: 60 orders over 12 SKUs in 5 s, sales-rate reserve 2 s, catch-up template every 5 s) runs end to end and gives every figure; every SKU right at the end',
	async () => {
		const body = await runFlashSale(
			{ orders: 60, seconds: 5, skus: 12, settleSeconds: 40, catchUpSeconds: 5 },
			['ours_receiver'],
			quiet,
		);
		// A subject that threw leaves only its error here (the bench's log is silenced above): shown on failure.
		expect(body.failures).toBeUndefined();
		const ours = body.ours_receiver as FlashFigures;
		expect(Object.keys(ours).sort()).toEqual(
			[
				'latency_p50_ms',
				'latency_p99_ms',
				'api_calls_per_event',
				'throttled_responses',
				'oversold_units',
				'overstated_unit_seconds',
				'final_mismatched_skus',
				'receipt_timeouts',
				'n8n_rss_mb_peak',
				'detail',
			].sort(),
		);
		expect(ours.detail.orders_accepted).toBeGreaterThan(0);
		expect(ours.final_mismatched_skus).toBe(0);
		expect(ours.receipt_timeouts).toBe(0);
		expect(ours.n8n_rss_mb_peak).toBeGreaterThan(0);
	},
);

it.concurrent(
	'reconcile at a small size (100 SKUs, 5 % drift) repairs the drift in one nightly run and misses nothing',
	async () => {
		const figures = (await runReconcile({ skus: 100 }, quiet)) as Record<string, number>;
		expect(figures.repaired).toBeGreaterThan(0);
		expect(figures.missed).toBe(0);
		expect(figures.raised_before_poll).toBe(0);
		expect(figures.processing_s).toBeGreaterThan(0);
		expect(figures.processing_s).toBeLessThanOrEqual(figures.wall_s);
	},
);
