import type { IDataObject } from 'n8n-workflow';
import type Redis from 'ioredis';
import { GuardCode } from '../../nodes/InventoryGuard/codes';
import { executeGuard } from '../../nodes/InventoryGuard/actions/router';
import { guardKey } from '../../nodes/shared/keys';
import { claimKeys, commitKeys, releaseKeys } from '../../nodes/InventoryGuard/redisGuard';
import { closeAllRedis } from '../../nodes/shared/redis';
import { credential, guardContext, routeOf } from './guardHarness';
import { concurrentClaims, nodeDedupeFlow } from './guardSuite';
import { deleteByPrefix, testClient, uniquePrefix } from '../support';

// Deduplicate / Commit / Release against the test Redis (test/support), under a key prefix of this file.
jest.setTimeout(120_000);

const prefix = uniquePrefix('claim');
const cred = credential({ keyPrefix: prefix });
let admin: Redis;

beforeAll(() => {
	admin = testClient();
});
afterEach(async () => {
	await deleteByPrefix(admin, prefix);
});
afterAll(async () => {
	await closeAllRedis();
	await admin.quit();
});

describe('claim under concurrency', () => {
	it('50 separate connections claim the same 1,000 keys: exactly one New per key', async () => {
		const { newPerKey, duplicates } = await concurrentClaims({
			cred,
			prefix,
			connections: 50,
			keys: 1_000,
			batch: 100,
		});
		expect(newPerKey.filter((n) => n !== 1)).toEqual([]);
		expect(duplicates).toBe(49 * 1_000);
	});

	it('20 concurrent executions of the node on one shared client: exactly one New per item key', async () => {
		const items = Array.from({ length: 200 }, (_, i) => ({ id: `line-${i}`, version: 3 }));
		const runs = await Promise.all(
			Array.from({ length: 20 }, (_, r) =>
				executeGuard(
					guardContext({
						items: r % 2 ? [...items].reverse() : items,
						params: {
							operation: 'deduplicate',
							key: (j: Record<string, unknown>) => `${j.id}@${j.version}`,
							claimTtl: 60,
						},
						credential: cred,
						executionId: `run-${r}`,
					}),
				),
			),
		);
		const news = runs.flatMap((outputs) =>
			outputs[0].map((i) => (i.json.guard as { key: string }).key),
		);
		expect(news).toHaveLength(200);
		expect(new Set(news).size).toBe(200);
		expect(runs.reduce((n, o) => n + o[1].length, 0)).toBe(19 * 200);
	});
});

describe('node flow', () => {
	it('Deduplicate, Commit and Release route and report as promised', async () => {
		await nodeDedupeFlow(cred);
	});

	it('a large batch (2,500 items) is handled in chunks with the same answers', async () => {
		const redis = testClient();
		try {
			const keys = Array.from({ length: 2_500 }, (_, i) => guardKey(prefix, `big-${i % 2_000}`));
			const replies = await claimKeys(redis, keys, 60_000, 'o/1');
			expect(replies.slice(0, 2_000).every((r) => r.code === GuardCode.Ok)).toBe(true);
			expect(replies.slice(2_000).every((r) => r.code === GuardCode.InFlight)).toBe(true);
			const commits = await commitKeys(redis, keys, 60_000, 'o/1');
			expect(commits.slice(0, 2_000).every((c) => c === GuardCode.Ok)).toBe(true);
			expect(commits.slice(2_000).every((c) => c === GuardCode.Committed)).toBe(true);
			const again = await claimKeys(redis, keys, 60_000, 'o/2');
			expect(again.every((r) => r.code === GuardCode.Committed)).toBe(true);
			const releases = await releaseKeys(redis, keys, 'o/1', true);
			expect(releases.every((c) => c === GuardCode.Committed)).toBe(true);
		} finally {
			await redis.quit();
		}
	});
});

describe('items from the Inventory Inbox Trigger: a claim belongs to the inbox entry', () => {
	const dedupe = (items: IDataObject[], executionId: string, operation = 'deduplicate') =>
		executeGuard(
			guardContext({
				items,
				params: {
					operation,
					key: (j: Record<string, unknown>) => `${j.id}@${j.version}`,
					claimTtl: 300,
				},
				credential: cred,
				executionId,
			}),
		);
	const status = (outputs: Awaited<ReturnType<typeof executeGuard>>) =>
		outputs.map((o) =>
			o.map((i) => `${i.json.id}:${(i.json.guard as { status?: string }).status}`),
		);

	it('a run that claimed and died: the redelivery of the same entry is New again; another entry with the same event is a duplicate', async () => {
		const line = { id: 'shopify:s:order:1:line:1', version: 1000, inboxEntryId: '1764122400000-0' };
		const other = {
			id: 'shopify:s:order:2:line:1',
			version: 1000,
			inboxEntryId: '1764122400000-0',
		};
		// Run 1 claims both events of entry …-0, then dies (no commit, no release).
		expect(status(await dedupe([line, other], 'run-1'))).toEqual([
			[`${line.id}:new`, `${other.id}:new`],
			[],
		]);
		// The same event delivered again by Shopify sits in another entry: a duplicate while …-0 is in flight.
		expect(status(await dedupe([{ ...line, inboxEntryId: '1764122400001-0' }], 'run-2'))).toEqual([
			[],
			[`${line.id}:inFlight`],
		]);
		// Entry …-0 comes back (failed run re-run in halves, or reclaimed after a crash) in a new execution: its
		// claims are its own, so its events go on to the Ledger instead of being acknowledged unapplied.
		expect(status(await dedupe([line], 'run-3'))).toEqual([[`${line.id}:reclaimed`], []]);
		expect(status(await dedupe([other], 'run-4'))).toEqual([[`${other.id}:reclaimed`], []]);
		// Committed by the run that applied it: from now on every delivery, the same entry's too, is a duplicate.
		const committed = await dedupe([line], 'run-4', 'commit');
		expect((committed[0][0].json.guard as { previous: string }).previous).toBe('claimedByThisRun');
		expect(status(await dedupe([line], 'run-5'))).toEqual([[], [`${line.id}:committed`]]);
	});

	it('the same key twice in one entry is new once; an item without an entry id is owned by its run as before', async () => {
		const a = { id: 'k', version: 1, inboxEntryId: '7-0' };
		expect(status(await dedupe([a, a], 'run-1'))).toEqual([[`k:new`], [`k:inFlight`]]);
		const plain = { id: 'p', version: 1 };
		expect(status(await dedupe([plain], 'run-1'))).toEqual([[`p:new`], []]);
		expect(status(await dedupe([plain], 'run-2'))).toEqual([[], [`p:inFlight`]]);
		// Not an entry id (a forged or mistyped field) → the run owns the claim.
		expect(status(await dedupe([{ id: 'q', version: 1, inboxEntryId: 'x' }], 'run-1'))).toEqual([
			[`q:new`],
			[],
		]);
		expect(status(await dedupe([{ id: 'q', version: 1, inboxEntryId: 'x' }], 'run-2'))).toEqual([
			[],
			[`q:inFlight`],
		]);
	});

	it("Release gives back the claims of the items' own entries, so a failed branch can retry at once", async () => {
		const a = { id: 'r', version: 1, inboxEntryId: '9-0' };
		await dedupe([a], 'run-1');
		const released = await dedupe([a], 'run-2', 'release');
		expect((released[0][0].json.guard as { released: boolean }).released).toBe(true);
		expect(status(await dedupe([{ ...a, inboxEntryId: '9-1' }], 'run-3'))).toEqual([[`r:new`], []]);
	});
});

describe('key text from items', () => {
	it('braces, spaces, newlines, unicode and 10 KB strings cannot collide or break keys', async () => {
		const texts = [
			'{a}',
			'{a',
			'a}',
			'%7Ba%7D',
			'a b',
			'a%20b',
			'a\nb',
			'a\r\nb',
			'a:b',
			'a%3Ab',
			'é',
			'e\u0301',
			'🙂',
			'日本語',
			'{{$json.id}}',
			'*',
			'?',
			'[a]',
			'x'.repeat(10_000),
			'x'.repeat(10_000) + 'y',
			`${'x'.repeat(9_999)}é`,
			'h~abc',
			'\u0000',
			'  x  ',
		].map((t) => `${t}@1`);
		const outputs = await executeGuard(
			guardContext({
				items: texts.map((t) => ({ t })),
				params: {
					operation: 'deduplicate',
					key: (j: Record<string, unknown>) => j.t,
					claimTtl: 60,
				},
				credential: cred,
			}),
		);
		expect(outputs[1]).toHaveLength(0);
		expect(outputs[0]).toHaveLength(texts.length);
		const keys = await admin.keys(`${prefix}:guard:*`);
		expect(keys).toHaveLength(texts.length);
		for (const k of keys) {
			expect(/[{}\s*?[\]]/.test(k)).toBe(false);
			expect(k.length).toBeLessThan(250);
		}
		// Each text is its own key: a second look at each is a duplicate, of that key only.
		const again = await executeGuard(
			guardContext({
				items: texts.map((t) => ({ t })),
				params: {
					operation: 'deduplicate',
					key: (j: Record<string, unknown>) => j.t,
					claimTtl: 60,
				},
				credential: cred,
			}),
		);
		expect(routeOf(again, ['New', 'Duplicate'])).toEqual(
			Object.fromEntries(texts.map((_, i) => [i, 'Duplicate'])),
		);
		expect(again[1].map((i) => (i.json.guard as { key: string }).key)).toEqual(texts);
	});

	it('a scope keeps two guards on the same keys apart', async () => {
		const run = async (scope: string) =>
			await executeGuard(
				guardContext({
					items: [{ id: 'x', version: 1 }],
					params: { operation: 'deduplicate', key: 'x@1', claimTtl: 60, options: { scope } },
					credential: cred,
				}),
			);
		expect((await run(''))[0]).toHaveLength(1);
		expect((await run('ledger'))[0]).toHaveLength(1);
		expect((await run('notify'))[0]).toHaveLength(1);
		expect((await run('ledger'))[1]).toHaveLength(1);
	});

	it('the Key left at its default claims the line at its version with its units (rendered without n8n)', async () => {
		const run = async (items: IDataObject[]) =>
			await executeGuard(
				guardContext({
					items,
					params: { operation: 'deduplicate', claimTtl: 60 },
					credential: cred,
				}),
			);
		const line = { id: 'shopify:s:order:1:line:1', version: 1000, quantity: 2 };
		expect(routeOf(await run([line, { ...line, quantity: 3 }]), ['new', 'dup'])).toEqual({
			0: 'new',
			1: 'new',
		});
		expect(await admin.exists(guardKey(prefix, `${line.id}@1000:2`, ''))).toBe(1);
		expect(routeOf(await run([line, { ...line, version: 2000 }]), ['new', 'dup'])).toEqual({
			0: 'dup',
			1: 'new',
		});
	});
});

describe('item errors', () => {
	const params = {
		operation: 'deduplicate',
		key: (j: Record<string, unknown>) => `${j.id ?? ''}@${j.version ?? ''}`,
		claimTtl: 60,
	};

	it('an item without a key fails the run, naming the item', async () => {
		await expect(
			executeGuard(
				guardContext({ items: [{ id: 'ok', version: 1 }, { other: 1 }], params, credential: cred }),
			),
		).rejects.toMatchObject({
			message: expect.stringMatching(/Key resolved to '@'/),
			context: { itemIndex: 1 },
		});
	});

	it('with Continue On Fail the item carries its error and the others go on', async () => {
		const outputs = await executeGuard(
			guardContext({
				items: [{ id: 'ok', version: 1 }, { other: 1 }],
				params,
				credential: cred,
				continueOnFail: true,
			}),
		);
		expect(outputs[0]).toHaveLength(2);
		const failed = outputs[0].find((i) => i.error);
		expect(failed?.pairedItem).toEqual({ item: 1 });
		expect(failed?.json).toEqual({ error: expect.stringMatching(/no value/) });
		expect(outputs[0].find((i) => !i.error)?.json.guard).toMatchObject({ status: 'new' });
	});

	it('a bad TTL fails the batch with a clear message', async () => {
		await expect(
			executeGuard(
				guardContext({
					items: [{ id: 'a', version: 1 }],
					params: { ...params, claimTtl: 0 },
					credential: cred,
				}),
			),
		).rejects.toThrow(/claimTtlMs must be between/);
		await expect(
			executeGuard(
				guardContext({
					items: [{ id: 'a', version: 1 }],
					params: { ...params, options: { resultField: 'error' } },
					credential: cred,
				}),
			),
		).rejects.toThrow(/Result field cannot be 'error'/);
	});

	it('an empty input makes no Redis call and returns empty outputs', async () => {
		const outputs = await executeGuard(
			guardContext({ items: [], params, credential: { ...cred, port: 1 } }),
		);
		expect(outputs).toEqual([[], []]);
	});
});
