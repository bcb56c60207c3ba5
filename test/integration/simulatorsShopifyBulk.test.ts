/* eslint-disable @typescript-eslint/no-explicit-any -- GraphQL answers are untyped JSON read field by field */
import http from 'node:http';
import readline from 'node:readline';
import type { AddressInfo } from 'node:net';
import { ShopifySimulator } from '../simulators/shopify';
import { waitFor } from '../support/wait';

/* The Shopify simulator's bulk query operations: status progression, one at a time, the JSONL with
   __parentId served on its own server, failures, cancel, bulk_operations/finish. */

const SECRET = 'shpss_bulk_secret';
const LOC_A = '71000000001';
const LOC_B = '71000000002';
const itemId = (n: number) => String(44_000_000_000_000 + n);
const itemGid = (n: number) => `gid://shopify/InventoryItem/${itemId(n)}`;

const INNER = `{ inventoryItems { edges { node { id sku inventoryLevels { edges { node { id location { id } updatedAt quantities(names:["available"]) { name quantity updatedAt } } } } } } } }`;

const RUN = /* GraphQL */ `
	mutation Run($query: String!) {
		bulkOperationRunQuery(query: $query) {
			bulkOperation {
				id
				status
			}
			userErrors {
				code
				field
				message
			}
		}
	}
`;

const FIELDS =
	'id status errorCode objectCount rootObjectCount fileSize url partialDataUrl createdAt completedAt query';
const CURRENT = `query Current { currentBulkOperation(type: QUERY) { ${FIELDS} } }`;
const NODE = `query Op($id: ID!) { node(id: $id) { ... on BulkOperation { ${FIELDS} } } }`;

async function gql(
	sim: ShopifySimulator,
	query: string,
	variables: Record<string, unknown> = {},
): Promise<any> {
	const res = await fetch(sim.graphqlUrl(), {
		method: 'POST',
		headers: { 'Content-Type': 'application/json', 'X-Shopify-Access-Token': 'shpat_test' },
		body: JSON.stringify({ query, variables }),
	});
	expect(res.status).toBe(200);
	return res.json();
}

const current = async (sim: ShopifySimulator) =>
	(await gql(sim, CURRENT)).data.currentBulkOperation;

async function finished(sim: ShopifySimulator): Promise<any> {
	return waitFor(
		() => current(sim),
		(op) => ['COMPLETED', 'FAILED', 'CANCELED'].includes(op?.status),
		15_000,
		'bulk operation finished',
		5,
	);
}

/** Stream a JSONL download line by line (never the whole body in one string). */
async function streamLines(url: string, onLine: (line: string) => void): Promise<number> {
	return new Promise((resolve, reject) => {
		http
			.get(url, (res) => {
				if (res.statusCode !== 200) {
					reject(new Error(`GET ${url}: ${res.statusCode}`));
					res.resume();
					return;
				}
				const rl = readline.createInterface({ input: res, crlfDelay: Infinity });
				let n = 0;
				rl.on('line', (l) => {
					if (l === '') return;
					n++;
					onLine(l);
				});
				rl.on('close', () => resolve(n));
			})
			.on('error', reject);
	});
}

function stock(sim: ShopifySimulator, count: number) {
	for (let n = 1; n <= count; n++) {
		sim.putInventoryItem(itemId(n), `SKU-${n}`);
		sim.setLevel(itemId(n), LOC_A, n % 50);
		if (n % 3 === 0) sim.setLevel(itemId(n), LOC_B, 7);
	}
}

describe('Shopify simulator: bulk query operations', () => {
	let sim: ShopifySimulator;

	afterEach(() => sim.stop());

	it('moves CREATED → RUNNING → COMPLETED and serves the JSONL with __parentId lines', async () => {
		sim = new ShopifySimulator({ webhookSecret: SECRET, bulkStepMs: 40, bulkRunningSteps: 3 });
		stock(sim, 6);
		await sim.start();
		const run = await gql(sim, RUN, { query: INNER });
		expect(run.data.bulkOperationRunQuery.userErrors).toEqual([]);
		const created = run.data.bulkOperationRunQuery.bulkOperation;
		expect(created).toEqual({
			id: expect.stringMatching(/^gid:\/\/shopify\/BulkOperation\/\d+$/),
			status: 'CREATED',
		});
		const statuses: string[] = [];
		const counts: number[] = [];
		const done = await waitFor(
			() => current(sim),
			(op) => {
				if (statuses[statuses.length - 1] !== op.status) statuses.push(op.status);
				if (op.status === 'RUNNING') counts.push(Number(op.objectCount));
				return op.status === 'COMPLETED';
			},
			15_000,
			'completed',
			5,
		);
		// polls see the statuses in order (how many of them depends on timing); the record has them all
		const order = ['CREATED', 'RUNNING', 'COMPLETED'];
		expect(statuses).toEqual(order.filter((x) => statuses.includes(x)));
		expect(statuses[statuses.length - 1]).toBe('COMPLETED');
		const numeric = created.id.split('/').pop();
		expect(sim.bulk.operations.get(numeric)?.history.map((h) => h.status)).toEqual(order);
		expect(counts).toEqual([...counts].sort((a, b) => a - b));
		// 6 items, 6 + 2 levels
		expect(done).toMatchObject({
			id: created.id,
			errorCode: null,
			objectCount: '14',
			rootObjectCount: '6',
			partialDataUrl: null,
			query: INNER,
			createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
			completedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
		});
		const byNode = (await gql(sim, NODE, { id: created.id })).data.node;
		expect(byNode).toEqual(done);

		const res = await fetch(done.url); // no token: the URL is signed
		expect(res.status).toBe(200);
		const text = await res.text();
		expect(Number(done.fileSize)).toBe(Buffer.byteLength(text));
		expect(text).toContain('"gid:\\/\\/shopify\\/InventoryItem\\/'); // Shopify's writer escapes "/"
		const lines = text
			.trimEnd()
			.split('\n')
			.map((l) => JSON.parse(l));
		expect(lines).toHaveLength(14);
		expect(lines[0]).toEqual({ id: itemGid(1), sku: 'SKU-1' });
		expect(lines[1]).toEqual({
			id: `gid://shopify/InventoryLevel/${LOC_A}?inventory_item_id=${itemId(1)}`,
			location: { id: `gid://shopify/Location/${LOC_A}` },
			updatedAt: expect.any(String),
			quantities: [{ name: 'available', quantity: 1, updatedAt: expect.any(String) }],
			__parentId: itemGid(1),
		});
		const item3Levels = lines.filter((l) => l.__parentId === itemGid(3));
		expect(item3Levels.map((l) => l.quantities[0].quantity)).toEqual([3, 7]);
		expect(sim.log.filter((e) => e.op === 'bulk').map((e) => e.name)).toEqual(['COMPLETED']);
	});

	it('runs one query operation at a time: a second one is a userError until the first finishes', async () => {
		sim = new ShopifySimulator({ webhookSecret: SECRET, bulkStepMs: 200 });
		stock(sim, 3);
		await sim.start();
		const first = (await gql(sim, RUN, { query: INNER })).data.bulkOperationRunQuery;
		const second = (await gql(sim, RUN, { query: INNER })).data.bulkOperationRunQuery;
		expect(second).toEqual({
			bulkOperation: null,
			userErrors: [
				{
					code: 'OPERATION_IN_PROGRESS',
					field: null,
					message: `A bulk query operation for this app and shop is already in progress: ${first.bulkOperation.id}.`,
				},
			],
		});
		await finished(sim);
		const third = (await gql(sim, RUN, { query: INNER })).data.bulkOperationRunQuery;
		expect(third.userErrors).toEqual([]);
		expect(third.bulkOperation.id).not.toBe(first.bulkOperation.id);
	});

	it('allows several at once when configured (the guide: five from 2026-01), then LIMIT_REACHED', async () => {
		sim = new ShopifySimulator({
			webhookSecret: SECRET,
			bulkStepMs: 200,
			maxConcurrentBulkQueries: 2,
		});
		stock(sim, 2);
		await sim.start();
		const a = (await gql(sim, RUN, { query: INNER })).data.bulkOperationRunQuery;
		const b = (await gql(sim, RUN, { query: INNER })).data.bulkOperationRunQuery;
		const c = (await gql(sim, RUN, { query: INNER })).data.bulkOperationRunQuery;
		expect(a.userErrors).toEqual([]);
		expect(b.userErrors).toEqual([]);
		expect(c.userErrors[0].code).toBe('LIMIT_REACHED');
	});

	it('refuses inner queries Shopify refuses, creating nothing', async () => {
		sim = new ShopifySimulator({ webhookSecret: SECRET });
		stock(sim, 1);
		await sim.start();
		const refuse = async (query: string) => {
			const r = (await gql(sim, RUN, { query })).data.bulkOperationRunQuery;
			expect(r.bulkOperation).toBeNull();
			expect(r.userErrors[0].code).toBe('INVALID');
			return r.userErrors[0].message as string;
		};
		expect(await refuse('{ shop { name } }')).toMatch(/at least one connection/);
		expect(await refuse('{ inventoryItems { edges { node { nope } } } }')).toMatch(
			/Invalid bulk query/,
		);
		expect(
			await refuse(
				'{ inventoryItems { edges { node { sku inventoryLevels { edges { node { id } } } } } } }',
			),
		).toMatch(/must select the 'id' field/);
		expect(await refuse('{ inventoryItems { edges ')).toMatch(/Invalid bulk query/);
		expect(await current(sim)).toBeNull();
	});

	it('answers url null when the query found nothing', async () => {
		sim = new ShopifySimulator({ webhookSecret: SECRET });
		await sim.start();
		await gql(sim, RUN, { query: INNER });
		const done = await finished(sim);
		expect(done).toMatchObject({
			status: 'COMPLETED',
			objectCount: '0',
			url: null,
			fileSize: null,
		});
	});

	it('fails an operation on demand with errorCode and a partialDataUrl', async () => {
		sim = new ShopifySimulator({ webhookSecret: SECRET });
		stock(sim, 10);
		await sim.start();
		sim.bulk.failNext('TIMEOUT');
		await gql(sim, RUN, { query: INNER });
		const done = await finished(sim);
		expect(done).toMatchObject({ status: 'FAILED', errorCode: 'TIMEOUT', url: null });
		const partial = await fetch(done.partialDataUrl);
		expect(partial.status).toBe(200);
		const lines = (await partial.text()).trimEnd().split('\n');
		expect(lines.length).toBe(Number(done.objectCount));
		expect(lines.length).toBeGreaterThan(0);
	});

	it('cancels a running operation', async () => {
		sim = new ShopifySimulator({ webhookSecret: SECRET, bulkStepMs: 200 });
		stock(sim, 3);
		await sim.start();
		const op = (await gql(sim, RUN, { query: INNER })).data.bulkOperationRunQuery.bulkOperation;
		const c = await gql(
			sim,
			'mutation C($id: ID!) { bulkOperationCancel(id: $id) { bulkOperation { status } userErrors { message } } }',
			{ id: op.id },
		);
		expect(c.data.bulkOperationCancel).toEqual({
			bulkOperation: { status: 'CANCELING' },
			userErrors: [],
		});
		expect(await finished(sim)).toMatchObject({ status: 'CANCELED', url: null });
	});

	it('sends bulk_operations/finish to its subscribers', async () => {
		const received: Array<{ topic: string; body: any }> = [];
		const server = http.createServer((req, res) => {
			const chunks: Buffer[] = [];
			req.on('data', (c: Buffer) => chunks.push(c));
			req.on('end', () => {
				received.push({
					topic: String(req.headers['x-shopify-topic']),
					body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
				});
				res.end();
			});
		});
		await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
		try {
			sim = new ShopifySimulator({ webhookSecret: SECRET });
			stock(sim, 2);
			await sim.start();
			sim.store.subscriptions.set('1', {
				id: '1',
				topic: 'BULK_OPERATIONS_FINISH',
				uri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
				format: 'JSON',
				includeFields: [],
				metafieldNamespaces: [],
				filter: null,
				apiVersion: '2026-10',
				createdAt: '2026-01-01T00:00:00Z',
				updatedAt: '2026-01-01T00:00:00Z',
			});
			const op = (await gql(sim, RUN, { query: INNER })).data.bulkOperationRunQuery.bulkOperation;
			await finished(sim);
			await sim.webhooksIdle();
			expect(received).toEqual([
				{
					topic: 'bulk_operations/finish',
					body: expect.objectContaining({
						admin_graphql_api_id: op.id,
						status: 'completed',
						type: 'query',
						error_code: null,
					}),
				},
			]);
		} finally {
			await new Promise((r) => server.close(r));
		}
	});

	it('streams a 5,000-item store: every item once, its levels right after it', async () => {
		sim = new ShopifySimulator({ webhookSecret: SECRET, bulkStepMs: 5 });
		stock(sim, 5000);
		await sim.start();
		await gql(sim, RUN, { query: INNER });
		const done = await finished(sim);
		expect(done.status).toBe('COMPLETED');
		let items = 0;
		let levels = 0;
		let lastItem: string | null = null;
		const seen = new Set<string>();
		const orphans: string[] = [];
		const total = await streamLines(done.url, (line) => {
			const o = JSON.parse(line);
			if (o.__parentId === undefined) {
				items++;
				expect(seen.has(o.id)).toBe(false);
				seen.add(o.id);
				lastItem = o.id;
			} else {
				levels++;
				if (o.__parentId !== lastItem) orphans.push(line);
			}
		});
		expect(items).toBe(5000);
		expect(levels).toBe(5000 + Math.floor(5000 / 3));
		expect(orphans).toEqual([]);
		expect(total).toBe(Number(done.objectCount));
		expect(Number(done.rootObjectCount)).toBe(5000);
	});
});
