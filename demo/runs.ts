/**
 * Starting a template by hand from the demo, as the editor's "Execute workflow" button does: POST
 * /rest/workflows/<id>/run with the trigger to start from (n8n 2.41.1's ManualRunDto: `triggerToStartFrom`), as
 * the owner; then the execution is read back through the public API until it has finished.
 */
import type { Execution, N8nInstance } from '../test/e2e/harness';
import { sleep } from '../test/support/wait';

export async function runByHand(
	n8n: N8nInstance,
	workflowId: string,
	trigger: string,
	timeoutMs = 120_000,
): Promise<Execution> {
	const answer = await n8n.rest<{ data?: { executionId?: string; waitingForWebhook?: boolean } }>(
		'POST',
		`/workflows/${workflowId}/run`,
		{ triggerToStartFrom: { name: trigger } },
	);
	const id = answer.data?.executionId;
	if (!id)
		throw new Error(
			`n8n did not start workflow ${workflowId} from "${trigger}": ${JSON.stringify(answer)}`,
		);
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const execution = await n8n
			.api<Execution>('GET', `/executions/${id}?includeData=true`)
			.catch(() => undefined);
		if (execution && execution.finished !== undefined && execution.stoppedAt) return execution;
		if (Date.now() > deadline)
			throw new Error(`workflow ${workflowId} (execution ${id}) did not finish in ${timeoutMs} ms`);
		await sleep(250);
	}
}

/** The json items of a node's outputs in one execution ([] when the node did not run). */
export function outputsOf(
	execution: Execution,
	node: string,
): Array<Array<Record<string, unknown>>> {
	const run = execution.data?.resultData?.runData?.[node]?.[0];
	return (run?.data?.main ?? []).map((items) => (items ?? []).map((i) => i.json));
}

/** The first error of an execution, as text (undefined when it succeeded). */
export function executionError(execution: Execution): string | undefined {
	if (execution.status === 'success') return undefined;
	const error = execution.data?.resultData?.error as { message?: string; node?: { name?: string } };
	return `${execution.status}${error?.node?.name ? ` in ${error.node.name}` : ''}: ${error?.message ?? 'no message'}`;
}
