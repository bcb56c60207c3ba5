/**
 * The receiver's Prometheus metrics, in the text exposition format (version 0.0.4), without a client library:
 * three families, bounded labels (a route is the platform or the receiver's own endpoint, never a path).
 */

/** XADD latency buckets, seconds: from a local Redis (~0.2 ms) to the 2 s command timeout. */
const XADD_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export type Route = 'shopify' | 'woocommerce' | 'healthz' | 'metrics' | 'unmatched';

export class ReceiverMetrics {
	private readonly requests = new Map<string, number>();
	private readonly buckets = new Array<number>(XADD_BUCKETS.length).fill(0);
	private xaddCount = 0;
	private xaddSum = 0;
	private xaddFailures = 0;
	inFlight = 0;

	request(route: Route, code: number): void {
		const key = `route="${route}",code="${code}"`;
		this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
	}

	xadd(seconds: number, ok: boolean): void {
		this.xaddCount++;
		this.xaddSum += seconds;
		if (!ok) this.xaddFailures++;
		for (let i = 0; i < XADD_BUCKETS.length; i++) if (seconds <= XADD_BUCKETS[i]) this.buckets[i]++;
	}

	text(): string {
		const lines = [
			'# HELP invsync_receiver_requests_total Requests answered, by route and HTTP status code.',
			'# TYPE invsync_receiver_requests_total counter',
		];
		for (const [labels, n] of [...this.requests].sort())
			lines.push(`invsync_receiver_requests_total{${labels}} ${n}`);
		lines.push(
			'# HELP invsync_receiver_xadd_seconds Time from XADD sent to Redis confirmed (or failed).',
			'# TYPE invsync_receiver_xadd_seconds histogram',
		);
		XADD_BUCKETS.forEach((le, i) =>
			lines.push(`invsync_receiver_xadd_seconds_bucket{le="${le}"} ${this.buckets[i]}`),
		);
		lines.push(
			`invsync_receiver_xadd_seconds_bucket{le="+Inf"} ${this.xaddCount}`,
			`invsync_receiver_xadd_seconds_sum ${this.xaddSum}`,
			`invsync_receiver_xadd_seconds_count ${this.xaddCount}`,
			'# HELP invsync_receiver_xadd_failures_total XADDs Redis did not confirm (each answered 503).',
			'# TYPE invsync_receiver_xadd_failures_total counter',
			`invsync_receiver_xadd_failures_total ${this.xaddFailures}`,
			'# HELP invsync_receiver_in_flight Webhook requests being received or stored right now.',
			'# TYPE invsync_receiver_in_flight gauge',
			`invsync_receiver_in_flight ${this.inFlight}`,
		);
		return `${lines.join('\n')}\n`;
	}
}
