import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type Redis from 'ioredis';
import type { IDataObject } from 'n8n-workflow';
import { executeGuard } from '../../nodes/InventoryGuard/actions/router';
import { closeAllRedis } from '../../nodes/shared/redis';
import { credential, guardContext } from './guardHarness';
import { guardKey } from '../../nodes/shared/keys';
import { deleteByPrefix, sleep, testClient, uniquePrefix, waitFor } from '../support';

// A run that dies between claim and commit: its claim expires and the event can be processed again.
// The dying run is a real child process killed with SIGKILL. Short TTLs.
jest.setTimeout(60_000);

const prefix = uniquePrefix('crash');
const cred = credential({ keyPrefix: prefix });
const ROOT = join(__dirname, '../..');
let admin: Redis;

beforeAll(() => {
	admin = testClient();
});
afterAll(async () => {
	await deleteByPrefix(admin, prefix);
	await closeAllRedis();
	await admin.quit();
});

/** Starts the child, waits until it has claimed (and committed), kills it with SIGKILL. */
async function runAndKill(
	args: Record<string, unknown>,
): Promise<{ new: number; duplicate: number; committed: number }> {
	const child = spawn(
		process.execPath,
		[
			'-r',
			'ts-node/register/transpile-only',
			join(__dirname, 'guardCrashChild.ts'),
			JSON.stringify({ prefix, ...args }),
		],
		{
			cwd: ROOT,
			env: { ...process.env, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json') },
			stdio: ['ignore', 'pipe', 'pipe'],
		},
	);
	let out = '';
	let err = '';
	child.stderr.on('data', (c: Buffer) => (err += c.toString()));
	const report = await new Promise<string>((resolve, reject) => {
		child.stdout.on('data', (c: Buffer) => {
			out += c.toString();
			const m = /READY (\{.*\})\n/.exec(out);
			if (m) resolve(m[1]);
		});
		child.once('exit', (code) =>
			reject(new Error(`child exited with ${code} before claiming: ${err}`)),
		);
	});
	const exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
	child.kill('SIGKILL');
	expect(await exited).toBe('SIGKILL');
	return JSON.parse(report);
}

const key = (j: IDataObject) => `${j.id}@${j.version}`;

/** Until Redis has expired every claim or commit of these ids (the TTL is the subject, not a clock). */
async function expired(ids: string[]): Promise<void> {
	const keys = ids.map((id) => guardKey(prefix, `${id}@7`));
	await waitFor(
		async () => await admin.exists(...keys),
		(n) => n === 0,
		10_000,
		'the keys expired',
	);
}
async function claim(ids: string[]) {
	const outputs = await executeGuard(
		guardContext({
			items: ids.map((id) => ({ id, version: 7 })),
			params: { operation: 'deduplicate', key, claimTtl: 30 },
			credential: cred,
		}),
	);
	return {
		new: outputs[0].map((i) => i.json.id),
		duplicate: outputs[1].map((i) => (i.json.guard as { status: string }).status),
	};
}

describe('crash before commit', () => {
	it('a run killed after claiming: duplicates while its claim lives, new once the claim TTL has passed', async () => {
		const ids = Array.from({ length: 20 }, (_, i) => `crash-line-${i}`);
		const child = await runAndKill({ mode: 'claim', ids, claimTtl: 1.5, commitTtl: 60 });
		expect(child).toEqual({ new: 20, duplicate: 0, committed: 0 });
		const t0 = Date.now();
		const during = await claim(ids);
		expect(during.new).toEqual([]);
		expect(during.duplicate).toEqual(ids.map(() => 'inFlight'));
		// The claim TTL is what this test is about: wait for Redis to expire the claims, not for a clock.
		await expired(ids);
		expect(Date.now() - t0).toBeGreaterThanOrEqual(1_000);
		const after = await claim(ids);
		expect(after.new).toEqual(ids);
	});

	it('a run killed after committing: the key stays Duplicate (committed) for the commit TTL, then is new', async () => {
		const ids = Array.from({ length: 5 }, (_, i) => `commit-line-${i}`);
		const child = await runAndKill({ mode: 'claimCommit', ids, claimTtl: 0.5, commitTtl: 3 });
		expect(child).toEqual({ new: 5, duplicate: 0, committed: 5 });
		const t0 = Date.now();
		// Well past the claim TTL: still a duplicate, as committed.
		await sleep(1_000);
		const during = await claim(ids);
		expect(during.new).toEqual([]);
		expect(during.duplicate).toEqual(ids.map(() => 'committed'));
		await expired(ids);
		expect(Date.now() - t0).toBeGreaterThanOrEqual(1_500);
		const after = await claim(ids);
		expect(after.new).toEqual(ids);
	});
});
