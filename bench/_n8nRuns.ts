/**
 * Starting a template by its test webhook and waiting for the run, for benchmarks that load n8n hard (bench/
 * flashsale.ts, bench/reconcile.ts): transient answers of a busy n8n are retried, and executions are listed
 * without their data.
 */
import type { Execution, N8nInstance } from '../test/e2e/harness';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const terminal = new Set(['success', 'error', 'crashed', 'canceled']);

/**
 * Retries a call to n8n's API that a busy n8n answered with a reset socket (a keep-alive socket it closed) or a
 * passing 502/503 ("Database is not ready!").
 */
export async function retrying<T>(call: () => Promise<T>): Promise<T> {
	for (let attempt = 1; ; attempt++) {
		try {
			return await call();
		} catch (error) {
			// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- not a node: passes on what is not a reset
			if (attempt >= 10 || !/ECONNRESET|socket hang up|→ 50[23]/.test(String(error))) throw error;
			await sleep(500);
		}
	}
}

/**
 * Starts a template through its test webhook and waits for that execution. Unlike manualStart.runOnce it lists
 * executions without their data (at 10,000 SKUs every execution holds tens of megabytes) and reads only the
 * new one's data.
 */
export async function runAndWait(
	n8n: N8nInstance,
	workflowId: string,
	path: string,
): Promise<Execution> {
	const list = () => retrying(() => n8n.executions({ workflowId, includeData: false }));
	const before = new Set((await list()).map((e) => e.id));
	const r = await fetch(new URL(`webhook/${path}`, `${n8n.baseUrl}/`), {
		method: 'POST',
		headers: { 'Content-Type': 'application/json' },
		body: '{}',
	});
	if (r.status !== 200) throw new Error(`test start answered ${r.status}: ${await r.text()}`);
	const deadline = Date.now() + 900_000;
	for (;;) {
		const done = (await list()).find((e) => !before.has(e.id) && terminal.has(e.status));
		if (done)
			return await retrying(() =>
				n8n.api<Execution>('GET', `/executions/${done.id}?includeData=true`),
			);
		if (Date.now() > deadline) throw new Error(`no finished run of ${workflowId} in 15 min`);
		await sleep(500);
	}
}

/** The run's own duration as n8n recorded it. */
export const runSeconds = (e: Execution) =>
	(Date.parse(String(e.stoppedAt)) - Date.parse(String(e.startedAt))) / 1000;
