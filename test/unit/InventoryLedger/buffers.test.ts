import fc from 'fast-check';
import { placeAvailability } from '../../../nodes/InventoryLedger/aggregate';
import {
	applyBuffer,
	bufferUnits,
	effectiveRule,
	globMatch,
	pickOverride,
	type EffectiveRule,
} from '../../../nodes/InventoryLedger/buffers';
import { parseProfile, type BufferRule } from '../../../nodes/InventoryLedger/profile';

// Buffer math (design.md "Buffers"): properties over random rules and stock figures.

const bufferArb: fc.Arbitrary<BufferRule> = fc.oneof(
	fc.record({ type: fc.constant('fixed' as const), value: fc.integer({ min: 0, max: 500 }) }),
	fc.record({ type: fc.constant('percent' as const), value: fc.integer({ min: 0, max: 100 }) }),
	fc.record({
		type: fc.constant('percent' as const),
		value: fc.double({ min: 0, max: 100, noNaN: true }),
	}),
);
const ruleArb: fc.Arbitrary<EffectiveRule> = fc.record({
	buffer: bufferArb,
	cap: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: null }),
	outOfStockThreshold: fc.integer({ min: 0, max: 20 }),
});
const stockArb = fc.integer({ min: -1000, max: 100_000 });

describe('applyBuffer properties', () => {
	it('the result is in [0, cap]', () => {
		fc.assert(
			fc.property(ruleArb, stockArb, (rule, stock) => {
				const { available } = applyBuffer(stock, rule);
				expect(available).toBeGreaterThanOrEqual(0);
				if (rule.cap !== null) expect(available).toBeLessThanOrEqual(rule.cap);
				expect(Number.isInteger(available)).toBe(true);
			}),
			{ numRuns: 2000 },
		);
	});

	it('is non-decreasing in stock', () => {
		fc.assert(
			fc.property(ruleArb, stockArb, fc.integer({ min: 0, max: 1000 }), (rule, stock, more) => {
				expect(applyBuffer(stock + more, rule).available).toBeGreaterThanOrEqual(
					applyBuffer(stock, rule).available,
				);
			}),
			{ numRuns: 2000 },
		);
	});

	it('never withholds less than the configured buffer while stock allows', () => {
		fc.assert(
			fc.property(ruleArb, stockArb, (rule, stock) => {
				const { available, withheld } = applyBuffer(stock, rule);
				const units = bufferUnits(stock, rule.buffer);
				expect(withheld + available).toBe(Math.max(0, stock));
				if (stock >= units) expect(withheld).toBeGreaterThanOrEqual(units);
				else expect(available).toBe(0);
			}),
			{ numRuns: 2000 },
		);
	});

	it('percent buffers round up (and exact products are not rounded past)', () => {
		fc.assert(
			fc.property(
				fc.integer({ min: 1, max: 100_000 }),
				fc.integer({ min: 0, max: 100 }),
				(stock, pct) => {
					const units = bufferUnits(stock, { type: 'percent', value: pct });
					// The smallest whole number ≥ stock·pct/100, computed in integers.
					expect(units).toBe(Math.floor((stock * pct + 99) / 100));
				},
			),
			{ numRuns: 2000 },
		);
		expect(bufferUnits(30, { type: 'percent', value: 10 })).toBe(3);
		expect(bufferUnits(31, { type: 'percent', value: 10 })).toBe(4);
		expect(bufferUnits(1, { type: 'percent', value: 1 })).toBe(1);
		expect(bufferUnits(0, { type: 'percent', value: 50 })).toBe(0);
		expect(bufferUnits(-5, { type: 'percent', value: 50 })).toBe(0);
	});

	it('cap and out-of-stock threshold, in that order', () => {
		const rule = (cap: number | null, t: number): EffectiveRule => ({
			buffer: { type: 'fixed', value: 2 },
			cap,
			outOfStockThreshold: t,
		});
		expect(applyBuffer(10, rule(null, 0)).available).toBe(8);
		expect(applyBuffer(10, rule(5, 0)).available).toBe(5);
		expect(applyBuffer(10, rule(5, 5)).available).toBe(0);
		expect(applyBuffer(10, rule(null, 7)).available).toBe(8);
		expect(applyBuffer(9, rule(null, 7)).available).toBe(0);
		expect(applyBuffer(-3, rule(null, 0))).toEqual({
			available: 0,
			withheld: 0,
			bufferUnits: 2,
			reserveUnits: 0,
			reserved: 0,
			reserveEndsInMs: 0,
		});
	});
});

describe('override precedence', () => {
	it('glob matching: * any run, ? one character, whole text, unicode code points', () => {
		expect(globMatch('TS-*', 'TS-RED-M')).toBe(true);
		expect(globMatch('TS-*', 'XTS-RED')).toBe(false);
		expect(globMatch('TS-?', 'TS-M')).toBe(true);
		expect(globMatch('TS-?', 'TS-XL')).toBe(false);
		expect(globMatch('*', '')).toBe(true);
		expect(globMatch('ß?', 'ßü')).toBe(true);
		expect(globMatch('a*b*c', 'a{x}b:y c')).toBe(true);
		expect(globMatch('a*b*c', 'a{x}b:y cd')).toBe(false);
	});

	it('exact beats every glob; more literal characters win; ties go to the earlier rule', () => {
		const o = (sku: string, value: number) => ({ sku, buffer: { type: 'fixed' as const, value } });
		const rules = [
			o('*', 1),
			o('TS-*', 2),
			o('*-M', 3),
			o('TS-*-M', 4),
			o('TS-RED-M', 5),
			o('TS-R*', 6),
		];
		expect(pickOverride(rules, 'TS-RED-M')?.buffer?.value).toBe(5);
		expect(pickOverride(rules, 'TS-BLUE-M')?.buffer?.value).toBe(4);
		// 'TS-*' and 'TS-R*' match: 'TS-R*' has more literal characters.
		expect(pickOverride(rules, 'TS-RED-L')?.buffer?.value).toBe(6);
		// 'TS-*' (3 literals) vs '*-M' (2): TS-* wins.
		expect(pickOverride(rules, 'TS-X')?.buffer?.value).toBe(2);
		expect(pickOverride(rules, 'OTHER')?.buffer?.value).toBe(1);
		// A tie (same literal count) goes to the earlier rule.
		expect(pickOverride([o('A*', 1), o('*B', 2)], 'AB')?.buffer?.value).toBe(1);
		expect(pickOverride([o('*B', 2), o('A*', 1)], 'AB')?.buffer?.value).toBe(2);
	});

	it('property: the chosen override matches, and no matching rule ranks higher', () => {
		const patternArb = fc.stringMatching(/^[AB*?]{0,4}$/);
		fc.assert(
			fc.property(
				fc.array(patternArb, { maxLength: 6 }),
				fc.stringMatching(/^[AB]{0,4}$/),
				(patterns, sku) => {
					const rules = patterns.map((p, i) => ({
						sku: p || 'A',
						buffer: { type: 'fixed' as const, value: i },
					}));
					const chosen = pickOverride(rules, sku);
					const rank = (p: string) => (/[*?]/.test(p) ? p.replace(/[*?]/g, '').length : 1e9);
					const matching = rules.filter((r) =>
						/[*?]/.test(r.sku) ? globMatch(r.sku, sku) : r.sku === sku,
					);
					if (matching.length === 0) return expect(chosen).toBeUndefined();
					const best = Math.max(...matching.map((r) => rank(r.sku)));
					expect(rank(chosen!.sku)).toBe(best);
					expect(chosen).toBe(matching.find((r) => rank(r.sku) === best));
				},
			),
			{ numRuns: 1000 },
		);
	});

	it('an override replaces only the fields it sets', () => {
		const channel = {
			buffer: { type: 'fixed' as const, value: 2 },
			cap: 50,
			outOfStockThreshold: 1,
			overrides: [
				{ sku: 'X*', buffer: { type: 'percent' as const, value: 10 } },
				{ sku: 'Y', cap: null },
			],
		};
		expect(effectiveRule(channel, 'X1')).toEqual({
			buffer: { type: 'percent', value: 10 },
			cap: 50,
			outOfStockThreshold: 1,
			override: 'X*',
		});
		expect(effectiveRule(channel, 'Y')).toEqual({
			buffer: { type: 'fixed', value: 2 },
			cap: null,
			outOfStockThreshold: 1,
			override: 'Y',
		});
		expect(effectiveRule(channel, 'Z')).toEqual({
			buffer: { type: 'fixed', value: 2 },
			cap: 50,
			outOfStockThreshold: 1,
		});
	});
});

describe('placeAvailability', () => {
	const profile = parseProfile({
		locations: [
			{ id: 'ledger:wh', owner: 'ledger' },
			{ id: 'shopify:s.test:1', owner: 'shopify' },
		],
		channels: [
			{
				name: 'shopify',
				platform: 'shopify',
				shop: 's.test',
				salesLocation: 'shopify:s.test:1',
				places: [{ id: 'shopify:s.test:1', shows: ['shopify:s.test:1'] }],
			},
			{
				name: 'woo',
				platform: 'woocommerce',
				shop: 'w.test',
				salesLocation: 'ledger:wh',
				places: [{ id: 'woocommerce:w.test:default', shows: ['ledger:wh', 'shopify:s.test:1'] }],
				buffer: { type: 'percent', value: 10 },
				cap: 100,
			},
		],
	});

	it('Σ shown − pending − buffer, floored at 0, capped; negative stock published as 0', () => {
		const state = {
			sku: 'A',
			quantities: { 'ledger:wh': 20, 'shopify:s.test:1': 15 },
			pending: { 'shopify:s.test:1': 4 },
			frozen: false,
		};
		const [shop, woo] = placeAvailability(profile, state);
		expect(shop).toMatchObject({
			channel: 'shopify',
			shown: 15,
			pending: 4,
			stock: 11,
			available: 11,
		});
		// 35 − 4 = 31; 10% of 31 rounded up = 4 → 27.
		expect(woo).toMatchObject({
			channel: 'woo',
			shown: 35,
			pending: 4,
			stock: 31,
			available: 27,
			withheld: 4,
		});
		const oversold = placeAvailability(
			profile,
			{ ...state, quantities: { 'ledger:wh': -7, 'shopify:s.test:1': 2 } },
			'woo',
		);
		expect(oversold).toHaveLength(1);
		expect(oversold[0]).toMatchObject({ stock: -9, available: 0 });
		expect(
			placeAvailability(profile, { ...state, quantities: { 'ledger:wh': 1000 } }, 'woo')[0]
				.available,
		).toBe(100);
	});
});
