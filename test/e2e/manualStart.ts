/**
 * Running a template that starts by hand (Manual Trigger: first sync, nightly reconciliation) from a test. The
 * editor's "Execute workflow" needs a browser session; a test instead adds a plain Webhook node wired to the
 * same first node as the Manual Trigger (the rest of the template unchanged), calls it, and waits for the
 * execution with its data.
 */
import type { Execution, N8nInstance } from './harness';
import { nodeNamed, type Workflow } from './templateSupport';

export interface ManualStart {
	/** The webhook path the test calls. */
	path: string;
}

/** Adds the test's Webhook node next to `manualNode`, wired to what `manualNode` feeds. */
export function addWebhookStart(wf: Workflow, manualNode: string, path: string): ManualStart {
	const manual = nodeNamed(wf, manualNode);
	wf.nodes.push({
		id: `test-start-${path}`,
		name: 'Test Start',
		type: 'n8n-nodes-base.webhook',
		typeVersion: 2,
		position: manual.position,
		webhookId: `test-start-${path}`,
		parameters: { httpMethod: 'POST', path, responseMode: 'onReceived', options: {} },
	});
	const connections = wf.connections as Record<string, unknown>;
	connections['Test Start'] = structuredClone(connections[manualNode]);
	wf.active = true;
	return { path };
}

/** Starts the workflow once through its test webhook; resolves with the finished execution (with data). */
export async function runOnce(
	n8n: N8nInstance,
	workflowId: string,
	start: ManualStart,
	timeoutMs = 120_000,
): Promise<Execution> {
	const before = (await n8n.executions({ workflowId, includeData: false })).length;
	const r = await fetch(new URL(`webhook/${start.path}`, `${n8n.baseUrl}/`), {
		method: 'POST',
		headers: { 'Content-Type': 'application/json' },
		body: '{}',
	});
	if (r.status !== 200) throw new Error(`test start answered ${r.status}: ${await r.text()}`);
	const runs = await n8n.waitForExecutions({ workflowId, count: before + 1, timeoutMs });
	return runs[runs.length - 1];
}

/** Status and, for a failed run, the failing node and its message (for an assertion that says why). */
export function outcome(run: Execution): { status: string; error: string | null } {
	const error = run.data?.resultData.error as
		| { message?: string; description?: string; node?: { name?: string } }
		| undefined;
	return {
		status: run.status,
		error: error
			? `${error.node?.name ?? run.data?.resultData.lastNodeExecuted ?? '?'}: ${error.message ?? ''} ${error.description ?? ''}`.trim()
			: null,
	};
}

/** The first item of a node's first output in the execution (throws with the run's error if missing). */
export function firstItem(
	n8n: N8nInstance,
	run: Execution,
	node: string,
	output = 0,
): Record<string, unknown> {
	const item = n8n.nodeOutput(run, node)[output]?.[0];
	if (!item)
		throw new Error(
			`${node}: no output ${output} in execution ${run.id} (${run.status}); error: ${JSON.stringify(run.data?.resultData.error ?? null).slice(0, 800)}`,
		);
	return item;
}
