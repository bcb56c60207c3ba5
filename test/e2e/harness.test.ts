// Self-test of the e2e harness against a real n8n 2.41.1, with the benchmark floor package only
// (bench/floor-node): webhook → run → execution data read back, the ack floor, credential import,
// deactivate/activate through the public API, kill + restart, and the loopback load helpers.
import { execFileSync } from 'child_process';
import Redis from 'ioredis';
import {
	FLOOR_PACKAGE_DIR,
	fixedRate,
	loadGenerator,
	N8nInstance,
	postRaw,
	startN8n,
} from './harness';
import { TEST_REDIS } from '../support';

const FLOOR_WF = 'benchFloorWf0001';
const ACK_WF = 'benchAckWf000001';
const FLOOR_HOOK = 'e2e-floor-hook';
const ACK_HOOK = 'e2e-ack-hook';
const CRED_ID = 'e2eHeaderCred001';

const floorWorkflow = {
	id: FLOOR_WF,
	name: 'Bench floor: trigger → NoOp',
	active: true,
	nodes: [
		{
			id: '0f1c2a3b-0000-4000-8000-000000000001',
			name: 'Bench Floor Trigger',
			type: 'CUSTOM.benchFloorTrigger',
			typeVersion: 1,
			position: [0, 0],
			parameters: {},
			webhookId: FLOOR_HOOK,
		},
		{
			id: '0f1c2a3b-0000-4000-8000-000000000002',
			name: 'NoOp',
			type: 'n8n-nodes-base.noOp',
			typeVersion: 1,
			position: [220, 0],
			parameters: {},
		},
	],
	connections: { 'Bench Floor Trigger': { main: [[{ node: 'NoOp', type: 'main', index: 0 }]] } },
	settings: { executionOrder: 'v1' },
};

const ackWorkflow = {
	id: ACK_WF,
	name: 'Bench ack floor',
	active: true,
	nodes: [
		{
			id: '0f1c2a3b-0000-4000-8000-000000000003',
			name: 'Bench Ack Floor',
			type: 'CUSTOM.benchAckFloor',
			typeVersion: 1,
			position: [0, 0],
			parameters: {},
			webhookId: ACK_HOOK,
		},
	],
	connections: {},
	settings: { executionOrder: 'v1' },
};

describe('e2e harness (n8n 2.41.1, floor package)', () => {
	let n8n: N8nInstance;
	let startedMs = 0;

	beforeAll(async () => {
		const t0 = Date.now();
		n8n = await startN8n({
			extensions: [FLOOR_PACKAGE_DIR],
			workflows: [floorWorkflow, ackWorkflow],
			credentials: [
				{
					id: CRED_ID,
					name: 'E2E header auth',
					type: 'httpHeaderAuth',
					data: { name: 'X-E2E', value: 's3cret-value' },
				},
			],
		});
		startedMs = Date.now() - t0;
		// eslint-disable-next-line no-console
		console.log(
			`n8n started in ${startedMs} ms at ${n8n.baseUrl} (folder ${n8n.userFolder}); phases ${JSON.stringify(n8n.timings)}`,
		);
	}, 240_000);

	afterAll(async () => {
		const t0 = Date.now();
		await n8n?.stop();
		// eslint-disable-next-line no-console
		console.log(`n8n stopped in ${Date.now() - t0} ms`);
	}, 60_000);

	it('binds to 127.0.0.1, has an API key, and returned only once the webhooks were registered', async () => {
		expect(n8n.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
		expect(n8n.apiKey.length).toBeGreaterThan(20);
		expect(n8n.webhookUrl(FLOOR_HOOK, 'floor')).toBe(`${n8n.baseUrl}/webhook/${FLOOR_HOOK}/floor`);
		expect(await n8n.webhookMethods(`${FLOOR_HOOK}/floor`)).toEqual(['POST']);
		expect(await n8n.webhookMethods(`${ACK_HOOK}/ack`)).toEqual(['POST']);
		expect(n8n.workflows).toEqual([
			{ id: FLOOR_WF, name: floorWorkflow.name, active: true },
			{ id: ACK_WF, name: ackWorkflow.name, active: true },
		]);
	});

	it('runs the floor trigger: 3 posts → 3 executions whose NoOp output carries the raw body', async () => {
		const bodies = [1, 2, 3].map((i) => JSON.stringify({ n: i, note: `req ${i}` }));
		for (const body of bodies) {
			const r = await postRaw(n8n.webhookUrl(FLOOR_HOOK, 'floor'), body, {
				'content-type': 'application/json',
			});
			expect(r.status).toBe(200);
			expect(r.body).toBe('');
		}
		const execs = await n8n.waitForExecutions({
			workflowId: FLOOR_WF,
			count: 3,
			timeoutMs: 60_000,
		});
		expect(execs).toHaveLength(3);
		expect(execs.every((e) => e.status === 'success')).toBe(true);
		const raws = execs.map((e) => {
			const out = n8n.nodeOutput(e, 'NoOp');
			expect(out).toHaveLength(1);
			expect(out[0]).toHaveLength(1);
			return out[0][0].raw;
		});
		expect(raws.sort()).toEqual([...bodies].sort());
	}, 120_000);

	it('the ack floor answers 200 and starts no run', async () => {
		const r = await postRaw(n8n.webhookUrl(ACK_HOOK, 'ack'), '{"x":1}', {
			'content-type': 'application/json',
		});
		expect(r.status).toBe(200);
		expect(JSON.parse(r.body)).toEqual({ ok: true });
		await new Promise((res) => setTimeout(res, 1500));
		expect(await n8n.executions({ workflowId: ACK_WF })).toHaveLength(0);
	}, 60_000);

	it('imported the credential from plain data (stored encrypted, decrypts with the instance key)', async () => {
		const res = await n8n.rest<{
			data: { id: string; type: string; data?: Record<string, unknown> };
		}>('GET', `/credentials/${CRED_ID}?includeData=true`);
		expect(res.data.id).toBe(CRED_ID);
		expect(res.data.type).toBe('httpHeaderAuth');
		expect(res.data.data?.name).toBe('X-E2E');
		const listed = await n8n.api<{ data: Array<{ id: string }> }>('GET', '/credentials');
		expect(listed.data.map((c) => c.id)).toContain(CRED_ID);
	}, 60_000);

	it('deactivates and activates through the public API while running', async () => {
		const url = n8n.webhookUrl(FLOOR_HOOK, 'floor');
		await n8n.deactivate(FLOOR_WF);
		const off = await postRaw(url, '{"off":true}', { 'content-type': 'application/json' });
		expect(off.status).toBe(404);
		expect(await n8n.webhookMethods(`${FLOOR_HOOK}/floor`)).toEqual([]);

		await n8n.activate(FLOOR_WF);
		expect(await n8n.webhookMethods(`${FLOOR_HOOK}/floor`)).toEqual(['POST']);
		const on = await postRaw(url, '{"on":true}', { 'content-type': 'application/json' });
		expect(on.status).toBe(200);
		const execs = await n8n.waitForExecutions({
			workflowId: FLOOR_WF,
			count: 4,
			timeoutMs: 60_000,
		});
		expect(n8n.nodeOutput(execs[3], 'NoOp')[0][0].raw).toBe('{"on":true}');
	}, 120_000);

	it('survives kill + restart on the same folder (workflows stay active, API key still valid)', async () => {
		await n8n.kill();
		await expect(postRaw(n8n.webhookUrl(FLOOR_HOOK, 'floor'), '{}')).rejects.toThrow();
		const t0 = Date.now();
		await n8n.restart();
		// eslint-disable-next-line no-console
		console.log(`n8n restarted in ${Date.now() - t0} ms; phases ${JSON.stringify(n8n.timings)}`);
		const r = await postRaw(n8n.webhookUrl(FLOOR_HOOK, 'floor'), '{"after":"restart"}', {
			'content-type': 'application/json',
		});
		expect(r.status).toBe(200);
		const execs = await n8n.waitForExecutions({
			workflowId: FLOOR_WF,
			count: 5,
			timeoutMs: 60_000,
		});
		expect(n8n.nodeOutput(execs[4], 'NoOp')[0][0].raw).toBe('{"after":"restart"}');
	}, 180_000);

	it('load helpers: closed loop and fixed rate against the ack floor', async () => {
		const url = n8n.webhookUrl(ACK_HOOK, 'ack');
		const closed = await loadGenerator({
			url,
			concurrency: 4,
			count: 40,
			makeRequest: (i) => ({
				body: JSON.stringify({ i }),
				headers: { 'content-type': 'application/json' },
			}),
		});
		expect(closed.count).toBe(40);
		expect(closed.statusCounts).toEqual({ '200': 40 });
		expect(closed.latencies.p50).toBeGreaterThan(0);
		const open = await fixedRate({
			url,
			ratePerSec: 10,
			durationMs: 1000,
			makeRequest: (i) => ({
				body: JSON.stringify({ i }),
				headers: { 'content-type': 'application/json' },
			}),
		});
		expect(open.scheduled).toBe(10);
		expect(open.statusCounts).toEqual({ '200': 10 });
		expect(open.dropped).toBe(0);
		// eslint-disable-next-line no-console
		console.log(
			`ack floor closed loop: ${closed.perSecond.toFixed(1)} req/s, p50 ${closed.latencies.p50.toFixed(1)} ms`,
		);
		await expect(
			loadGenerator({
				url: 'http://example.com/',
				concurrency: 1,
				count: 1,
				makeRequest: () => ({ body: '' }),
			}),
		).rejects.toThrow(/loopback/);
	}, 120_000);
});

describe('e2e harness in queue mode (main + 1 worker, Postgres, Redis/Bull)', () => {
	const PG_DB = `invsync_e2e_harness_${process.pid}`;
	let n8n: N8nInstance;

	beforeAll(async () => {
		const t0 = Date.now();
		n8n = await startN8n({
			extensions: [FLOOR_PACKAGE_DIR],
			workflows: [floorWorkflow],
			queue: {
				redisHost: TEST_REDIS.host,
				redisPort: TEST_REDIS.port,
				redisDb: 11,
				workers: 1,
				postgresDb: PG_DB,
				workerConcurrency: 5,
			},
			activateVia: 'api',
		});
		// eslint-disable-next-line no-console
		console.log(
			`queue-mode n8n started in ${Date.now() - t0} ms; phases ${JSON.stringify(n8n.timings)}`,
		);
	}, 240_000);

	afterAll(async () => {
		await n8n?.stop();
	}, 60_000);

	it('runs the floor workflow on the worker and reads the result back from main', async () => {
		const bodies = ['{"q":1}', '{"q":2}', '{"q":3}'];
		for (const body of bodies) {
			expect(
				(
					await postRaw(n8n.webhookUrl(FLOOR_HOOK, 'floor'), body, {
						'content-type': 'application/json',
					})
				).status,
			).toBe(200);
		}
		const execs = await n8n.waitForExecutions({
			workflowId: FLOOR_WF,
			count: 3,
			timeoutMs: 60_000,
		});
		expect(execs.map((e) => n8n.nodeOutput(e, 'NoOp')[0][0].raw).sort()).toEqual(bodies);
		expect(n8n.pids().workers).toHaveLength(1);
		// The worker, not main, ran them.
		expect(n8n.logs()).toMatch(
			/===== worker0[\s\S]*(Worker started execution|Worker finished execution)/,
		);
	}, 120_000);

	it('a killed worker can be restarted and picks up new runs', async () => {
		await n8n.killWorker(0);
		await n8n.restartWorker(0);
		expect(
			(
				await postRaw(n8n.webhookUrl(FLOOR_HOOK, 'floor'), '{"q":4}', {
					'content-type': 'application/json',
				})
			).status,
		).toBe(200);
		const execs = await n8n.waitForExecutions({
			workflowId: FLOOR_WF,
			count: 4,
			timeoutMs: 60_000,
		});
		expect(n8n.nodeOutput(execs[3], 'NoOp')[0][0].raw).toBe('{"q":4}');
	}, 120_000);

	it('stop() drops the database and deletes the Redis keys of the instance', async () => {
		const prefix = n8n.redisPrefix!;
		const redis = new Redis({ host: TEST_REDIS.host, port: TEST_REDIS.port, db: 11 });
		try {
			expect((await redis.keys(`${prefix}*`)).length).toBeGreaterThan(0);
			await n8n.stop();
			expect(await redis.keys(`${prefix}*`)).toEqual([]);
			expect(await redis.keys('n8n:*')).toEqual([]);
		} finally {
			redis.disconnect();
		}
		const dbs = execFileSync(
			'psql',
			[
				'-h',
				'127.0.0.1',
				'-U',
				'postgres',
				'-tAc',
				`SELECT datname FROM pg_database WHERE datname = '${PG_DB}'`,
			],
			{
				encoding: 'utf8',
			},
		);
		expect(dbs.trim()).toBe('');
	}, 60_000);
});
