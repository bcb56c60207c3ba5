import type { IDataObject } from 'n8n-workflow';
import Redis from 'ioredis';
import { executeGuard } from '../../nodes/InventoryGuard/actions/router';
import { closeAllRedis, credentialFromData, getRedis } from '../../nodes/shared/redis';
import { credential, guardContext } from './guardHarness';
import { OwnRedis, sleep, uniquePrefix } from '../support';

// Cost per execution, on a Redis of this test's own (so nothing else moves its counters): the commands Redis
// ran (INFO commandstats deltas) and the round trips the client made (writes to its socket).
jest.setTimeout(60_000);

const prefix = uniquePrefix('rtt');
let server: OwnRedis;
let admin: Redis;

beforeAll(async () => {
	server = await OwnRedis.start();
	admin = new Redis({ port: server.port });
});
afterAll(async () => {
	await closeAllRedis();
	await admin.quit();
	await server.stop();
});

const cred = () => credential({ keyPrefix: prefix, port: server.port });

async function commandCalls(): Promise<Record<string, number>> {
	const info = await admin.info('commandstats');
	const out: Record<string, number> = {};
	for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out[m[1]] = Number(m[2]);
	return out;
}

/**
 * Runs `fn` and returns the scripts Redis ran for it (EVALSHA, EVAL; the commands inside a script are counted
 * by commandstats too, so they are left out) and the client's socket writes (round trips).
 */
async function measure(
	fn: () => Promise<unknown>,
): Promise<{ commands: Record<string, number>; writes: number }> {
	const shared = await getRedis(credentialFromData(cred()));
	const stream = (shared as unknown as { stream: { write: (...a: unknown[]) => boolean } }).stream;
	const original = stream.write;
	let writes = 0;
	stream.write = function (this: unknown, ...args: unknown[]) {
		writes++;
		return original.apply(this, args);
	};
	const before = await commandCalls();
	try {
		await fn();
	} finally {
		stream.write = original;
	}
	const after = await commandCalls();
	const commands: Record<string, number> = {};
	for (const [name, calls] of Object.entries(after)) {
		const delta = calls - (before[name] ?? 0);
		if (delta > 0 && (name === 'evalsha' || name === 'eval')) commands[name] = delta;
	}
	return { commands, writes };
}

const items = (n: number, tag: string) =>
	Array.from({ length: n }, (_, i) => ({ id: `${tag}-${i}`, version: 1, sku: `SKU-${tag}-${i}` }));
const run = async (operation: string, list: IDataObject[], extra: Record<string, unknown> = {}) =>
	await executeGuard(
		guardContext({
			items: list,
			params: {
				operation,
				key: (j: IDataObject) => `${j.id}@${j.version}`,
				lockKey: (j: IDataObject) => j.sku,
				holder: (j: IDataObject) => (j.lock as IDataObject | undefined)?.token,
				claimTtl: 60,
				commitTtl: 60,
				lockTtl: 10,
				maxWait: 0,
				...extra,
			},
			credential: cred(),
			executionId: 'rtt-exec',
		}),
	);

describe('one round trip per execution', () => {
	beforeAll(async () => {
		// Connect, check the policy, and send each script once (its first use on a socket is an EVAL).
		const warm = items(1, 'warm');
		for (const operation of ['deduplicate', 'commit', 'release']) await run(operation, warm);
		const locked = (await run('lock', warm))[0].map((i) => i.json);
		await run('extend', locked);
		await run('unlock', locked);
	});

	it.each([1, 100, 1_000])(
		'claim, commit and release of %i items: one round trip each',
		async (n) => {
			const list = items(n, `b${n}`);
			for (const operation of ['deduplicate', 'commit', 'release']) {
				const { commands, writes } = await measure(() => run(operation, list));
				expect(writes).toBe(1);
				expect(commands).toEqual({ evalsha: 1 });
			}
		},
	);

	it('2,500 items: three script calls, still one round trip (a pipeline)', async () => {
		const { commands, writes } = await measure(() => run('deduplicate', items(2_500, 'big')));
		expect(writes).toBe(1);
		expect(commands).toEqual({ evalsha: 3 });
	});

	it('lock, extend and unlock of 100 free keys: one round trip each', async () => {
		const list = items(100, 'locks');
		let locked: IDataObject[] = [];
		const acquire = await measure(async () => {
			locked = (await run('lock', list))[0].map((i) => i.json);
		});
		expect(locked).toHaveLength(100);
		expect(acquire).toEqual({ commands: { evalsha: 100 }, writes: 1 });
		expect(await measure(() => run('extend', locked))).toEqual({
			commands: { evalsha: 100 },
			writes: 1,
		});
		expect(await measure(() => run('unlock', locked))).toEqual({
			commands: { evalsha: 100 },
			writes: 1,
		});
	});

	it("after SCRIPT FLUSH: one extra round trip for each script's next use (NOSCRIPT → EVAL), then one again", async () => {
		const list = items(10, 'flush');
		await admin.script('FLUSH');
		for (const operation of ['deduplicate', 'commit', 'release']) {
			expect(await measure(() => run(operation, list))).toEqual({
				commands: { evalsha: 1, eval: 1 },
				writes: 2,
			});
			expect(await measure(() => run(operation, list))).toEqual({
				commands: { evalsha: 1 },
				writes: 1,
			});
		}
		await sleep(0);
	});
});
