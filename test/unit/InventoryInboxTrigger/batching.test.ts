import fc from 'fast-check';
import {
	DEFAULT_SETTINGS,
	SettingsError,
	entryAgeMs,
	halves,
	inboxSettings,
	partitionByDeliveries,
	reclaimBatchLimit,
	reclaimBatches,
	keepAliveIntervalMs,
	retryDelayMs,
	runBudget,
	runTimeoutOf,
	runOutcome,
	settleBatch,
	type AttemptResult,
} from '../../../nodes/InventoryInboxTrigger/batching';

/** A run that fails whenever the part holds a poison entry; records every part it was given. */
function runner(poison: Set<number>, options: { systemic?: boolean } = {}) {
	const parts: number[][] = [];
	const attempt = async (part: number[]): Promise<AttemptResult> => {
		parts.push(part);
		if (options.systemic) return 'failed';
		return part.some((x) => poison.has(x)) ? 'failed' : 'ok';
	};
	return { parts, attempt };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('settings', () => {
	it('fills the defaults of the issue: batch 500, wait 100 ms, reclaim 60 s, 5 deliveries, 2 in parallel', () => {
		const s = inboxSettings();
		expect(s).toEqual(DEFAULT_SETTINGS);
		expect(s).toMatchObject({
			batchSize: 500,
			maxWaitMs: 100,
			reclaimAfterMs: 60_000,
			maxDeliveries: 5,
			parallelBatches: 2,
		});
		expect(Object.isFrozen(s)).toBe(true);
	});

	it('takes numbers given as text, rounds counts down, and names the field of a bad value', () => {
		expect(inboxSettings({ batchSize: '250.9', reclaimAfterMs: 1500.4 })).toMatchObject({
			batchSize: 250,
			reclaimAfterMs: 1500,
		});
		expect(() => inboxSettings({ batchSize: 0 })).toThrow(
			new SettingsError('batchSize must be a number from 1 to 10000 (got 0)'),
		);
		expect(() => inboxSettings({ parallelBatches: 'many' })).toThrow(/parallelBatches/);
		expect(() => inboxSettings({ reclaimAfterMs: 50 })).toThrow(
			/reclaimAfterMs must be a number from 100/,
		);
		expect(() => inboxSettings({ stream: '   ' })).toThrow(/stream must be a non-empty text/);
		expect(inboxSettings({ stream: ' orders ', group: '' })).toMatchObject({
			stream: 'orders',
			group: 'inbox-trigger',
		});
	});
});

describe('settleBatch: a failed batch is halved until the poison entry stands alone', () => {
	it('a batch that succeeds: one run, nothing pending', async () => {
		const r = runner(new Set());
		const result = await settleBatch(range(500), r.attempt);
		expect(result).toEqual({ pending: [], runs: 1, succeeded: [range(500)] });
	});

	it('one poison entry in 500: it alone stays pending, every neighbour is in a successful run, ~2·log2(n) runs', async () => {
		for (const poisonAt of [0, 1, 137, 250, 499]) {
			const r = runner(new Set([poisonAt]));
			const result = await settleBatch(range(500), r.attempt);
			expect(result.pending).toEqual([poisonAt]);
			const processed = result.succeeded.flat().sort((a, b) => a - b);
			expect(processed).toEqual(range(500).filter((x) => x !== poisonAt));
			expect(result.runs).toBeLessThanOrEqual(1 + 2 * Math.ceil(Math.log2(500)));
			expect(r.parts).toContainEqual([poisonAt]); // a run held it alone
		}
	});

	it('everything fails (a broken node, an API down): the batch and its two halves run, then all stays pending', async () => {
		const r = runner(new Set(), { systemic: true });
		const result = await settleBatch(range(500), r.attempt);
		expect(result.runs).toBe(3);
		expect(result.pending.sort((a, b) => a - b)).toEqual(range(500));
		expect(result.succeeded).toEqual([]);
	});

	it('two poison entries in one half are both isolated; in different halves the batch stays pending as a whole', async () => {
		const same = await settleBatch(range(64), runner(new Set([3, 9])).attempt);
		expect(same.pending.sort((a, b) => a - b)).toEqual([3, 9]);
		expect(same.succeeded.flat()).toHaveLength(62);
		// Both halves of the whole batch failing looks like an outage: no further runs this time. On the next
		// delivery the entries come back in batches of half the size (reclaimBatches), one poison in each.
		const apart = await settleBatch(range(64), runner(new Set([3, 40])).attempt);
		expect(apart.pending).toHaveLength(64);
		expect(apart.runs).toBe(3);
		for (const half of reclaimBatches(
			range(64).map((i) => ({ i, deliveries: 2 })),
			64,
		)) {
			const again = await settleBatch(
				half.map((e) => e.i),
				runner(new Set([3, 40])).attempt,
			);
			expect(again.pending.length).toBe(1);
		}
	});

	it('a run budget bounds the runs of one batch (many poison entries, or an outage that starts mid-way)', async () => {
		expect(runBudget(500)).toBe(73);
		const poison = new Set(range(500).filter((i) => i % 50 === 7));
		const result = await settleBatch(range(500), runner(poison).attempt);
		expect(result.runs).toBeLessThanOrEqual(73);
		expect(result.succeeded.flat().some((x) => poison.has(x))).toBe(false);
		const cut = await settleBatch(range(100), runner(new Set([5])).attempt, { maxRuns: 2 });
		expect(cut.runs).toBe(2);
		expect(cut.succeeded.flat().length + cut.pending.length).toBe(100);
	});

	it("'stop' (closing, a run abandoned, Redis lost) starts no further run and leaves the rest pending", async () => {
		const parts: number[][] = [];
		const result = await settleBatch(range(16), async (part) => {
			parts.push(part);
			if (parts.length === 1) return 'failed';
			if (parts.length === 2) return 'ok';
			return 'stop';
		});
		expect(parts.map((p) => p.length)).toEqual([16, 8, 8]);
		expect(result.succeeded).toEqual([range(8)]);
		expect(result.pending).toEqual(range(16).slice(8));
		const first = await settleBatch(range(4), async () => 'stop' as const);
		expect(first).toEqual({ pending: range(4), runs: 1, succeeded: [] });
	});

	it('property: every entry ends either in exactly one successful run or pending, never both; no poison is ever acknowledged', async () => {
		await fc.assert(
			fc.asyncProperty(
				fc.integer({ min: 1, max: 300 }),
				fc.array(fc.nat(299), { maxLength: 4 }),
				async (n, poisonList) => {
					const poison = new Set(poisonList.filter((p) => p < n));
					const result = await settleBatch(range(n), runner(poison).attempt);
					const acked = result.succeeded.flat();
					expect(new Set(acked).size).toBe(acked.length);
					expect(acked.some((x) => poison.has(x))).toBe(false);
					expect([...acked, ...result.pending].sort((a, b) => a - b)).toEqual(range(n));
					if (poison.size === 1) expect(result.pending).toEqual([...poison]);
					if (poison.size === 0) expect(result.runs).toBe(1);
					expect(result.runs).toBeLessThanOrEqual(runBudget(n));
				},
			),
			{ numRuns: 300 },
		);
	});

	it('halves: the first half takes the odd element', () => {
		expect(halves([1, 2, 3])).toEqual([[1, 2], [3]]);
		expect(halves([1])).toEqual([[1], []]);
		expect(halves([])).toEqual([[], []]);
	});
});

describe('reclaimed entries come back in batches that shrink with their deliveries', () => {
	it('batch size halved per delivery after the first, at least 1', () => {
		expect([1, 2, 3, 4, 5, 6].map((d) => reclaimBatchLimit(500, d))).toEqual([
			500, 250, 125, 62, 31, 15,
		]);
		expect(reclaimBatchLimit(500, 40)).toBe(1);
		expect(reclaimBatchLimit(1, 3)).toBe(1);
	});

	it('groups in stream order, each batch within the smallest limit of its members', () => {
		const entries = [
			...range(300).map((i) => ({ id: `a${i}`, deliveries: 2 })),
			...range(10).map((i) => ({ id: `b${i}`, deliveries: 4 })),
		];
		const batches = reclaimBatches(entries, 500);
		expect(batches.map((b) => b.length)).toEqual([250, 60]);
		expect(batches.flat().map((e) => e.id)).toEqual(entries.map((e) => e.id));
		for (const b of batches) {
			const limit = Math.min(...b.map((e) => reclaimBatchLimit(500, e.deliveries)));
			expect(b.length).toBeLessThanOrEqual(limit);
		}
	});

	it('entries delivered more than Max deliveries times are dead letters', () => {
		const { retry, dead } = partitionByDeliveries(
			[{ deliveries: 5 }, { deliveries: 6 }, { deliveries: 2 }].map((e, i) => ({ ...e, i })),
			5,
		);
		expect(retry.map((e) => e.i)).toEqual([0, 2]);
		expect(dead.map((e) => e.i)).toEqual([1]);
	});
});

describe('stream ids', () => {
	it("an entry's age is its id's time part, never negative", () => {
		expect(entryAgeMs('1000-0', 1500)).toBe(500);
		expect(entryAgeMs('2000-0', 1500)).toBe(0);
		expect(() => entryAgeMs('$', 0)).toThrow(/not a stream id/);
	});
});

describe('keep-alive and run timeout', () => {
	it('entries of runs in progress are touched every third of Reclaim after; a run is given up after 10× (at least 10 min)', () => {
		expect(keepAliveIntervalMs(60_000)).toBe(20_000);
		expect(keepAliveIntervalMs(100)).toBe(50);
		expect(runTimeoutOf({ reclaimAfterMs: 60_000, runTimeoutMs: 0 })).toBe(600_000);
		expect(runTimeoutOf({ reclaimAfterMs: 300_000, runTimeoutMs: 0 })).toBe(3_000_000);
		expect(runTimeoutOf({ reclaimAfterMs: 3_000, runTimeoutMs: 0 })).toBe(600_000);
		expect(runTimeoutOf({ reclaimAfterMs: 3_000, runTimeoutMs: 500 })).toBe(500);
	});
});

describe('retry delay after a Redis failure', () => {
	it('doubles from 100 ms to a 5 s cap, drawn from [ceiling/2, ceiling]', () => {
		expect(retryDelayMs(0, () => 0)).toBe(50);
		expect(retryDelayMs(0, () => 0.999999)).toBe(100);
		expect(retryDelayMs(3, () => 0.5)).toBe(600);
		expect(retryDelayMs(50, () => 0.999999)).toBe(5_000);
		expect(retryDelayMs(50, () => 0)).toBe(2_500);
		for (let a = 0; a < 30; a++) expect(retryDelayMs(a)).toBeGreaterThan(0);
	});
});

describe('runOutcome: what the donePromise resolved with', () => {
	it('success without resultData.error, failure with it (its message kept), failure for a missing or failed run', () => {
		expect(runOutcome({ status: 'success', data: { resultData: { runData: {} } } })).toEqual({
			ok: true,
		});
		expect(runOutcome({ data: { resultData: {} } })).toEqual({ ok: true });
		expect(
			runOutcome({ status: 'error', data: { resultData: { error: { message: 'poison item' } } } }),
		).toEqual({
			ok: false,
			error: 'poison item',
		});
		expect(runOutcome({ status: 'crashed', data: { resultData: {} } })).toEqual({
			ok: false,
			error: "the run ended with status 'crashed'",
		});
		expect(runOutcome(undefined)).toEqual({ ok: false, error: 'the run ended without a result' });
	});
});
