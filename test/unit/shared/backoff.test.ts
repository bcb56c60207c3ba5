import { backoffDelay } from '../../../nodes/shared/backoff';

describe('backoffDelay', () => {
	it('equal jitter: from [ceiling/2, ceiling], the ceiling doubling from the base up to the cap', () => {
		const equal = { baseMs: 100, capMs: 5_000, jitter: 'equal' } as const;
		expect(backoffDelay(0, equal, () => 0)).toBe(50);
		expect(backoffDelay(0, equal, () => 0.999999)).toBe(100);
		expect(backoffDelay(3, equal, () => 0.5)).toBe(600);
		expect(backoffDelay(1_000, equal, () => 0)).toBe(2_500);
		expect(backoffDelay(1_000, equal, () => 0.999999)).toBe(5_000);
	});

	it('full jitter: from [0, ceiling], never below 1 ms', () => {
		const full = { baseMs: 100, capMs: 5_000, jitter: 'full' } as const;
		expect(backoffDelay(0, full, () => 0)).toBe(1);
		expect(backoffDelay(2, full, () => 0.5)).toBe(200);
		expect(backoffDelay(40, full, () => 0.999999)).toBe(5_000);
	});

	it('stays within its bounds for any attempt and random value (out-of-range random values are clamped)', () => {
		for (const jitter of ['full', 'equal'] as const) {
			for (let attempt = -2; attempt < 40; attempt++) {
				for (const r of [-1, 0, 0.3, 0.999999, 2]) {
					const d = backoffDelay(attempt, { baseMs: 25, capMs: 1_000, jitter }, () => r);
					expect(d).toBeGreaterThanOrEqual(1);
					expect(d).toBeLessThanOrEqual(1_000);
				}
			}
		}
		expect(backoffDelay(0, { baseMs: 0, capMs: 0, jitter: 'equal' }, () => 0)).toBe(1);
	});
});
