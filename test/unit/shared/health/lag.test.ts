import { lagPercentiles, nearestRank, readLagEntry } from '../../../../nodes/shared/health/lag';

const NOW = 1_000_000_000;
const at = (ms: number, ago = 0) => ({ atMs: NOW - ago, ms });

describe('nearestRank', () => {
	it('takes the value at rank ⌈p/100 · n⌉ of the sorted values', () => {
		const values = Array.from({ length: 100 }, (_, i) => i + 1); // 1 … 100
		expect(nearestRank(values, 50)).toBe(50);
		expect(nearestRank(values, 95)).toBe(95);
		expect(nearestRank(values, 99)).toBe(99);
		expect(nearestRank(values, 100)).toBe(100);
	});

	it('rounds the rank up: of 10 values, p95 and p99 are the largest, p50 the fifth', () => {
		const values = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
		expect(nearestRank(values, 50)).toBe(50);
		expect(nearestRank(values, 95)).toBe(100);
		expect(nearestRank(values, 99)).toBe(100);
		expect(nearestRank(values, 1)).toBe(10);
	});

	it('gives the only value of one, and nothing of none', () => {
		expect(nearestRank([7], 50)).toBe(7);
		expect(nearestRank([7], 99)).toBe(7);
		expect(nearestRank([], 50)).toBeUndefined();
	});

	it('refuses a percentile outside (0, 100]', () => {
		expect(() => nearestRank([1], 0)).toThrow(RangeError);
		expect(() => nearestRank([1], 101)).toThrow(RangeError);
	});
});

describe('lagPercentiles', () => {
	it('uses only the samples within the window, sorted, nearest-rank', () => {
		const samples = [
			...Array.from({ length: 20 }, (_, i) => at((20 - i) * 100, i * 1_000)), // 100 … 2000 ms, in window
			at(999_999, 16 * 60_000), // older than 15 min: left out
		];
		const r = lagPercentiles(samples, NOW, 15 * 60_000);
		expect(r).toEqual({ p50: 1000, p95: 1900, p99: 2000, samples: 20, window: 900_000 });
	});

	it('counts a sample exactly at the window start, and one from a writer ahead of our clock', () => {
		const r = lagPercentiles([at(5, 60_000), { atMs: NOW + 500, ms: 9 }], NOW, 60_000);
		expect(r.samples).toBe(2);
		expect(r.p99).toBe(9);
	});

	it('reports nulls for an empty window', () => {
		expect(lagPercentiles([at(5, 120_000)], NOW, 60_000)).toEqual({
			p50: null,
			p95: null,
			p99: null,
			samples: 0,
			window: 60_000,
		});
	});

	it('ignores values that are no duration', () => {
		const r = lagPercentiles([at(NaN), at(-1), at(Infinity), at(42)], NOW, 60_000);
		expect(r).toMatchObject({ p50: 42, p99: 42, samples: 1 });
	});
});

describe('readLagEntry', () => {
	it('reads the id time and the ms field, whatever the field order', () => {
		expect(readLagEntry('1700000000123-4', ['sku', 'A', 'op', 'publish', 'ms', '250'])).toEqual({
			atMs: 1700000000123,
			ms: 250,
		});
	});

	it('is undefined for an entry without a numeric ms', () => {
		expect(readLagEntry('1-0', ['sku', 'A'])).toBeUndefined();
		expect(readLagEntry('1-0', ['ms', 'soon'])).toBeUndefined();
	});
});
