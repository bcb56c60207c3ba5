import Redis from 'ioredis';
import type { IDataObject } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { executeGuard } from '../../nodes/InventoryGuard/actions/router';
import { closeAllRedis, credentialFromData, getRedis } from '../../nodes/shared/redis';
import { credential, guardContext } from './guardHarness';
import { errorsOf } from './guardSuite';
import { freePort, OwnRedis, sleep, uniquePrefix } from '../support';

// A Redis of this test's own (password set) is killed mid-run and started again on the same port: the node
// fails with a clear error naming host:port (never the password) during the outage, and works again after,
// on the same shared client, without anything being recreated.
jest.setTimeout(60_000);

const PASSWORD = 'restart-test-Secret-9f2c';
const prefix = uniquePrefix('restart');
let server: OwnRedis;

beforeAll(async () => {
	server = await OwnRedis.start({ args: ['--requirepass', PASSWORD] });
});
afterAll(async () => {
	await closeAllRedis();
	await server.stop();
	// ioredis closes a socket that never connected with a 2 s timer of its own: let it run out.
	await sleep(2_100);
});

const cred = () => credential({ keyPrefix: prefix, port: server.port, password: PASSWORD });
const key = (j: IDataObject) => `${j.id}@${j.version}`;
const claim = async (ids: string[], continueOnFail = false) =>
	await executeGuard(
		guardContext({
			items: ids.map((id) => ({ id, version: 1 })),
			params: { operation: 'deduplicate', key, claimTtl: 60 },
			credential: cred(),
			continueOnFail,
		}),
	);
const lock = async (sku: string) =>
	await executeGuard(
		guardContext({
			items: [{ sku }],
			params: { operation: 'lock', lockKey: (j: IDataObject) => j.sku, lockTtl: 5, maxWait: 0 },
			credential: cred(),
		}),
	);

describe('Redis restarted mid-run', () => {
	it('clear error during the outage, works again afterwards on the same client', async () => {
		const before = await claim(['a', 'b']);
		expect(before[0]).toHaveLength(2);
		expect((await lock('S1'))[0]).toHaveLength(1);
		const shared = await getRedis(credentialFromData(cred()));

		await server.kill();
		const target = `127.0.0.1:${server.port}`;
		let thrown: unknown;
		try {
			await claim(['c']);
		} catch (error) {
			thrown = error;
		}
		expect(thrown).toBeInstanceOf(NodeOperationError);
		const message = (thrown as Error).message;
		expect(message).toContain(`Redis at ${target}`);
		expect(message).toMatch(/connection refused|not connected|closed/);
		expect(message).not.toContain(PASSWORD);
		expect(JSON.stringify(thrown)).not.toContain(PASSWORD);
		await expect(lock('S2')).rejects.toThrow(`Redis at ${target}`);

		// Continue On Fail: every item carries the error, paired to its input.
		const carried = await claim(['c', 'd'], true);
		expect(carried[0].map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(errorsOf(carried)).toHaveLength(2);
		for (const e of errorsOf(carried)) {
			expect(e).toContain(`Redis at ${target}`);
			expect(e).not.toContain(PASSWORD);
		}

		await server.restart();
		// The client reconnects by itself (backoff up to 2 s); no restart of anything on our side.
		let after: Awaited<ReturnType<typeof claim>> | undefined;
		const deadline = Date.now() + 15_000;
		while (!after && Date.now() < deadline) {
			try {
				after = await claim(['c', 'a']);
			} catch {
				await sleep(200);
			}
		}
		expect(after).toBeDefined();
		// The restarted Redis kept nothing (no persistence): both are new, and the scripts were loaded again.
		expect(after![0].map((i) => i.json.id)).toEqual(['c', 'a']);
		expect((await lock('S1'))[0]).toHaveLength(1);
		expect(await getRedis(credentialFromData(cred()))).toBe(shared);
	});

	it('scripts survive SCRIPT FLUSH', async () => {
		const admin = new Redis({ port: server.port, password: PASSWORD });
		try {
			expect((await claim(['f1']))[0]).toHaveLength(1);
			await admin.script('FLUSH');
			expect((await claim(['f1', 'f2']))[1]).toHaveLength(1);
			await admin.script('FLUSH');
			expect((await lock('F'))[0]).toHaveLength(1);
		} finally {
			await admin.quit();
		}
	});

	it('a Redis that is not there at all: clear error naming host:port', async () => {
		const port = await freePort();
		const ctx = guardContext({
			items: [{ id: 'x', version: 1 }],
			params: { operation: 'deduplicate', key, claimTtl: 60 },
			credential: credential({ keyPrefix: prefix, port, password: PASSWORD }),
		});
		await expect(executeGuard(ctx)).rejects.toThrow(
			`Redis at 127.0.0.1:${port}: connection refused`,
		);
		const carried = await executeGuard(
			guardContext({
				items: [{ id: 'x', version: 1 }],
				params: { operation: 'deduplicate', key, claimTtl: 60 },
				credential: credential({ keyPrefix: prefix, port, password: PASSWORD }),
				continueOnFail: true,
			}),
		);
		expect(errorsOf(carried)).toEqual([`Redis at 127.0.0.1:${port}: connection refused`]);
	});
});
