import {
	formatGmt,
	nextPage,
	parseGmt,
	windowStart,
} from '../../../nodes/WooCommerceInventory/orders/cursor';

const T = Date.parse('2026-11-28T10:00:00Z');

describe('the poll window', () => {
	it('parses and formats WooCommerce GMT texts (whole seconds, no zone)', () => {
		expect(parseGmt('2026-11-28T10:00:00')).toBe(T);
		expect(parseGmt('2026-11-28T10:00:00Z')).toBe(T);
		expect(parseGmt('2026-11-28T12:00:00+02:00')).toBeUndefined(); // not GMT
		expect(parseGmt(null)).toBeUndefined();
		expect(formatGmt(T + 999)).toBe('2026-11-28T10:00:00');
	});

	it('starts at the cursor minus the overlap, or the initial look-back without a cursor', () => {
		expect(windowStart('2026-11-28T10:00:00', T + 5000, 60_000, 3_600_000)).toEqual({
			modifiedAfter: '2026-11-28T09:59:00',
			from: 'cursor',
		});
		expect(windowStart(null, T, 60_000, 3_600_000)).toEqual({
			modifiedAfter: '2026-11-28T09:00:00',
			from: 'initial',
		});
		expect(windowStart('garbage', T, 60_000, 0).from).toBe('initial');
	});

	it('a short page ends the poll', () => {
		expect(nextPage({ modifiedAfter: 'x', page: 1 }, [T, T], 100)).toBeNull();
	});

	it('a full page moves the window to its newest second minus one (never skipping that second)', () => {
		const times = Array.from({ length: 100 }, (_, i) => T + i * 1000);
		expect(nextPage({ modifiedAfter: formatGmt(T - 60_000), page: 1 }, times, 100)).toEqual({
			modifiedAfter: formatGmt(T + 98_000),
			page: 1,
		});
	});

	it('a full page within one second cannot move the window: it turns the page', () => {
		const times = Array.from({ length: 100 }, () => T);
		const current = { modifiedAfter: formatGmt(T - 1000), page: 1 };
		expect(nextPage(current, times, 100)).toEqual({
			modifiedAfter: current.modifiedAfter,
			page: 2,
		});
	});
});
