import { parentPort, workerData } from 'node:worker_threads';
import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	INode,
	INodeExecutionData,
} from 'n8n-workflow';
import { executeGuard, type GuardContext } from '../nodes/InventoryGuard/actions/router';
import { closeAllRedis } from '../nodes/shared/redis';

/**
 * One load-generating thread of bench/guard.ts: like one n8n process, it has one shared Redis client (the
 * node's own, per credential) and runs `concurrency` executions of the Inventory Guard at a time, each with
 * `batch` fresh items, until `durationMs` has passed. Reports executions, items and how they were routed.
 */

interface Job {
	id: number;
	credential: ICredentialDataDecryptedObject;
	batch: number;
	concurrency: number;
	durationMs: number;
	tag: string;
}

const NODE: INode = {
	id: 'bench-guard',
	name: 'Inventory Guard',
	type: 'CUSTOM.inventoryGuard',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};

function context(
	items: INodeExecutionData[],
	credential: ICredentialDataDecryptedObject,
	executionId: string,
): GuardContext {
	const params: Record<string, unknown> = { operation: 'deduplicate', claimTtl: 300, options: {} };
	return {
		getInputData: () => items,
		// The default key expression, {{$json.id}}@{{$json.version}}, evaluated per item.
		getNodeParameter: (name: string, index: number, fallback?: unknown) =>
			name === 'key'
				? `${items[index].json.id}@${items[index].json.version}`
				: (params[name] ?? fallback),
		getCredentials: async () => credential,
		continueOnFail: () => false,
		getNode: () => NODE,
		getExecutionId: () => executionId,
		getInstanceId: () => 'bench',
	} as unknown as GuardContext;
}

async function run(job: Job) {
	// Connect, load the scripts and warm the code before the clock starts; then wait for the common start.
	for (let i = 0; i < 50; i++) {
		await executeGuard(
			context(
				[{ json: { id: `warm-${job.tag}-${job.id}-${i}`, version: 1 } }],
				job.credential,
				'warm',
			),
		);
	}
	const startAt = await new Promise<number>((resolve) => {
		parentPort?.once('message', (m: { go: number }) => resolve(m.go));
		parentPort?.postMessage({ ready: true });
	});
	const wait = startAt - Date.now();
	if (wait > 0) await new Promise((r) => setTimeout(r, wait));
	const deadline = startAt + job.durationMs;
	let executions = 0;
	let items = 0;
	let fresh = 0;
	let duplicates = 0;
	let seq = 0;
	const loop = async (lane: number) => {
		while (Date.now() < deadline) {
			const base = seq;
			seq += job.batch;
			const batch: INodeExecutionData[] = [];
			for (let i = 0; i < job.batch; i++) {
				const json: IDataObject = {
					id: `${job.tag}:w${job.id}:order:${base + i}:line:1`,
					version: 1_700_000_000_000,
				};
				batch.push({ json });
			}
			const outputs = await executeGuard(
				context(batch, job.credential, `w${job.id}-l${lane}-${executions}`),
			);
			executions++;
			items += job.batch;
			fresh += outputs[0].length;
			duplicates += outputs[1].length;
		}
	};
	await Promise.all(Array.from({ length: job.concurrency }, (_, lane) => loop(lane)));
	const elapsedMs = Date.now() - startAt;
	await closeAllRedis();
	return { executions, items, fresh, duplicates, elapsedMs };
}

run(workerData as Job).then(
	(result) => parentPort?.postMessage({ ok: true, result }),
	(error: unknown) =>
		parentPort?.postMessage({ ok: false, error: String((error as Error)?.stack ?? error) }),
);
