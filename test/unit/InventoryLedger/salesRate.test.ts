import fc from 'fast-check';
import { placeAvailability } from '../../../nodes/InventoryLedger/aggregate';
import {
	applyBuffer,
	effectiveRule,
	type EffectiveRule,
} from '../../../nodes/InventoryLedger/buffers';
import {
	ProfileError,
	affectedChannels,
	parseProfile,
	profileFromForm,
	profileText,
} from '../../../nodes/InventoryLedger/profile';
import {
	SALES_RATE_TAU_MS,
	parseSalesRate,
	rateAt,
	redisTimeMs,
	reserveEndsInMs,
	reserveUnits,
} from '../../../nodes/InventoryLedger/salesRate';
import { decidePlaces } from '../../../nodes/shared/channel/publishPlan';

/* The buffer's sales-rate reserve (salesRate.ts, buffers.ts, aggregate.ts, profile.ts), pure. */

/** Times are offsets from an arbitrary instant (the math depends on differences only). */
const T0 = 1_000_000;

describe('rate math', () => {
	it('decays with the time constant TAU from the stored time', () => {
		const stored = { rate: 4, at: T0 };
		expect(rateAt(stored, T0)).toBe(4);
		expect(rateAt(stored, T0 + SALES_RATE_TAU_MS)).toBeCloseTo(4 / Math.E, 12);
		expect(rateAt(stored, T0 + 3 * SALES_RATE_TAU_MS)).toBeCloseTo(4 * Math.exp(-3), 12);
	});

	it('no time since the sale (or a clock a little behind) is the stored rate, never more', () => {
		const stored = { rate: 2.5, at: T0 };
		expect(rateAt(stored, T0)).toBe(2.5);
		expect(rateAt(stored, T0 - 1_000)).toBe(2.5);
		expect(rateAt(undefined, T0)).toBe(0);
		expect(rateAt({ rate: 0, at: T0 }, T0)).toBe(0);
	});

	it('the ledger update r·exp(−Δ/TAU) + u/TAU converges to a steady rate', () => {
		// 5 orders of 1 unit per second, as the flash sale's hottest SKUs: the rate settles at 5 units/s.
		let stored = { rate: 0, at: T0 };
		for (let i = 1; i <= 200; i++) {
			const at = T0 + i * 200;
			stored = { rate: rateAt(stored, at) + 1 / (SALES_RATE_TAU_MS / 1000), at };
		}
		const settled = rateAt(stored, stored.at);
		// Sampled right after a sale: Σ of 200 decayed contributions of 1/TAU, a geometric series
		// (1/TAU)·(1 − q^200)/(1 − q), q = e^(−Δ/TAU): the top of the saw-tooth around 5.
		const q = Math.exp(-0.2 / 5);
		expect(settled).toBeCloseTo((0.2 * (1 - q ** 200)) / (1 - q), 9);
		expect(settled).toBeGreaterThan(5);
		expect(settled).toBeLessThan(5.1);
	});

	it('parses the stored texts; anything else is no rate', () => {
		expect(parseSalesRate('0.2', '1764151200000')).toEqual({ rate: 0.2, at: 1764151200000 });
		expect(parseSalesRate(undefined, '1')).toBeUndefined();
		expect(parseSalesRate('x', '1')).toBeUndefined();
		expect(parseSalesRate('0', '1')).toBeUndefined();
		expect(parseSalesRate('1', null)).toBeUndefined();
		expect(redisTimeMs(['1764151200', '123456'])).toBe(1764151200123);
	});
});

describe('reserve rounding and its end', () => {
	it('is Math.round(rate × seconds): 0 below one half, 1 from one half', () => {
		expect(reserveUnits(0.24, 2)).toBe(0);
		expect(reserveUnits(0.25, 2)).toBe(1);
		expect(reserveUnits(1.24, 2)).toBe(2);
		expect(reserveUnits(1.25, 2)).toBe(3);
		expect(reserveUnits(5, 0)).toBe(0);
		expect(reserveUnits(0, 10)).toBe(0);
	});

	it('ends TAU·ln(2·rate·seconds) later: 1 unit just before, 0 from then on', () => {
		fc.assert(
			fc.property(
				fc.double({ min: 0.01, max: 50, noNaN: true }),
				fc.double({ min: 0.1, max: 3600, noNaN: true }),
				(rate, seconds) => {
					const ends = reserveEndsInMs(rate, seconds);
					if (reserveUnits(rate, seconds) === 0) {
						expect(ends).toBe(0);
						return;
					}
					const stored = { rate, at: T0 };
					expect(reserveUnits(rateAt(stored, T0 + ends), seconds)).toBe(0);
					if (ends > 2) expect(reserveUnits(rateAt(stored, T0 + ends - 2), seconds)).toBe(1);
				},
			),
			{ numRuns: 2000 },
		);
		// 1 unit/s over 3 s: 3 units now; 0 after 5·ln 6 ≈ 8.96 s.
		expect(reserveEndsInMs(1, 3)).toBe(Math.ceil(5000 * Math.log(6)) + 1);
	});
});

describe('applyBuffer with a reserve', () => {
	const rule = (
		value: number,
		salesRateSeconds: number | undefined,
		cap: number | null = null,
		outOfStockThreshold = 0,
	): EffectiveRule => ({
		buffer: {
			type: 'fixed',
			value,
			...(salesRateSeconds === undefined ? {} : { salesRateSeconds }),
		},
		cap,
		outOfStockThreshold,
	});

	it('holds back the buffer and the reserve: stock − buffer − reserve', () => {
		const r = applyBuffer(20, rule(2, 1), 5);
		expect(r).toMatchObject({
			available: 13,
			withheld: 7,
			bufferUnits: 2,
			reserveUnits: 5,
			reserved: 5,
		});
		expect(r.reserveEndsInMs).toBe(Math.ceil(5000 * Math.log(10)) + 1);
	});

	it('no rate, or salesRateSeconds absent or 0: the reserve is off', () => {
		expect(applyBuffer(20, rule(2, 1), 0)).toMatchObject({ available: 18, reserved: 0 });
		expect(applyBuffer(20, rule(2, undefined), 5)).toMatchObject({ available: 18, reserved: 0 });
		expect(applyBuffer(20, rule(2, 0), 5)).toMatchObject({
			available: 18,
			reserveUnits: 0,
			reserveEndsInMs: 0,
		});
	});

	it('`reserved` is what the reserve changed after floor, cap and threshold', () => {
		// A cap far below the stock: the reserve changes nothing.
		expect(applyBuffer(100, rule(2, 1, 50), 5)).toMatchObject({
			available: 50,
			reserveUnits: 5,
			reserved: 0,
		});
		// Nothing left to hold back beyond the floor.
		expect(applyBuffer(4, rule(2, 1), 5)).toMatchObject({ available: 0, reserved: 2 });
		// The threshold turns a small figure into 0: the reserve lowered it by all of it.
		expect(applyBuffer(10, rule(2, 1, null, 5), 3)).toMatchObject({ available: 0, reserved: 8 });
	});

	it('never shows more than without the reserve, and at most reserveUnits less', () => {
		fc.assert(
			fc.property(
				fc.integer({ min: -100, max: 10_000 }),
				fc.integer({ min: 0, max: 50 }),
				fc.double({ min: 0, max: 20, noNaN: true }),
				fc.double({ min: 0, max: 60, noNaN: true }),
				fc.option(fc.integer({ min: 0, max: 500 }), { nil: null }),
				fc.integer({ min: 0, max: 10 }),
				(stock, value, rate, seconds, cap, threshold) => {
					const without = applyBuffer(stock, rule(value, undefined, cap, threshold));
					const withIt = applyBuffer(stock, rule(value, seconds, cap, threshold), rate);
					expect(withIt.available).toBe(without.available - withIt.reserved);
					expect(withIt.reserved).toBeGreaterThanOrEqual(0);
					if (threshold === 0) expect(withIt.reserved).toBeLessThanOrEqual(withIt.reserveUnits);
					expect(withIt.withheld + withIt.available).toBe(Math.max(0, stock));
				},
			),
			{ numRuns: 2000 },
		);
	});
});

const WH = 'ledger:wh';
const channel = (buffer: unknown, overrides: unknown[] = []) => ({
	name: 'shop',
	platform: 'shopify',
	shop: 's.test',
	salesLocation: WH,
	places: [{ id: 'shopify:s.test:1', shows: [WH] }],
	buffer,
	overrides,
});
const profileWith = (buffer: unknown, overrides: unknown[] = []) =>
	parseProfile({
		dryRun: false,
		locations: [{ id: WH, owner: 'ledger' }],
		channels: [channel(buffer, overrides)],
	});
const problems = (buffer: unknown, overrides: unknown[] = []) => {
	try {
		profileWith(buffer, overrides);
		return [];
	} catch (e) {
		return (e as ProfileError).problems;
	}
};

describe('profile: buffer.salesRateSeconds', () => {
	it('is kept when > 0, left out when 0 or absent (older profiles keep their text)', () => {
		expect(
			profileWith({ type: 'fixed', value: 2, salesRateSeconds: 1.5 }).channels[0].buffer,
		).toEqual({
			type: 'fixed',
			value: 2,
			salesRateSeconds: 1.5,
		});
		expect(
			profileWith({ type: 'fixed', value: 2, salesRateSeconds: 0 }).channels[0].buffer,
		).toEqual({
			type: 'fixed',
			value: 2,
		});
		const plain = profileWith({ type: 'fixed', value: 2 });
		expect(profileText(plain)).not.toContain('salesRateSeconds');
		expect(
			affectedChannels(plain, profileWith({ type: 'fixed', value: 2, salesRateSeconds: 0 })),
		).toEqual([]);
		expect(
			affectedChannels(plain, profileWith({ type: 'fixed', value: 2, salesRateSeconds: 2 })),
		).toEqual(['shop']);
	});

	it('an override keeps its own, 0 included (it turns the channel’s off)', () => {
		const p = profileWith({ type: 'fixed', value: 2, salesRateSeconds: 2 }, [
			{ sku: 'SLOW-*', buffer: { type: 'fixed', value: 1, salesRateSeconds: 0 } },
			{ sku: 'HOT-*', buffer: { type: 'percent', value: 10, salesRateSeconds: 5 } },
			{ sku: 'BIG-*', buffer: { type: 'fixed', value: 4 } },
		]);
		expect(p.channels[0].overrides.map((o) => o.buffer)).toEqual([
			{ type: 'fixed', value: 1, salesRateSeconds: 0 },
			{ type: 'percent', value: 10, salesRateSeconds: 5 },
			{ type: 'fixed', value: 4 },
		]);
	});

	it('refuses what is not a number of seconds in [0, 3600], with the path, every problem at once', () => {
		expect(problems({ type: 'fixed', value: 2, salesRateSeconds: -1 })).toEqual([
			'channels[0].buffer.salesRateSeconds: a number of seconds from 0 to 3600 (got -1)',
		]);
		expect(
			problems({ type: 'fixed', value: 2, salesRateSeconds: 3601 }, [
				{ sku: 'A', buffer: { type: 'fixed', value: 1, salesRateSeconds: '3' } },
			]),
		).toEqual([
			'channels[0].buffer.salesRateSeconds: a number of seconds from 0 to 3600 (got 3601)',
			'channels[0].overrides[0].buffer.salesRateSeconds: a number of seconds from 0 to 3600 (got "3")',
		]);
		expect(problems({ type: 'fixed', value: 2, salesRateSeconds: 3600 })).toEqual([]);
		expect(problems({ type: 'fixed', value: 2, salesRateSeconds: 0.5 })).toEqual([]);
	});

	it('the form’s Sales-Rate Reserve (Seconds) goes into the channel’s buffer', () => {
		const form = (salesRateSeconds?: number) =>
			profileFromForm({
				dryRun: false,
				locations: [{ id: WH }],
				channels: [
					{
						name: 'shop',
						platform: 'shopify',
						salesLocation: WH,
						shows: WH,
						bufferValue: 2,
						salesRateSeconds,
					},
				],
			});
		expect(parseProfile(form(3)).channels[0].buffer).toEqual({
			type: 'fixed',
			value: 2,
			salesRateSeconds: 3,
		});
		expect(parseProfile(form(0)).channels[0].buffer).toEqual({ type: 'fixed', value: 2 });
		expect(parseProfile(form()).channels[0].buffer).toEqual({ type: 'fixed', value: 2 });
	});
});

describe('override precedence', () => {
	const p = profileWith({ type: 'fixed', value: 2, salesRateSeconds: 2 }, [
		{ sku: 'HOT-*', buffer: { type: 'fixed', value: 1, salesRateSeconds: 6 } },
		{ sku: 'HOT-COLD', buffer: { type: 'fixed', value: 1, salesRateSeconds: 0 } },
		{ sku: 'BIG-*', buffer: { type: 'fixed', value: 4 } },
		{ sku: 'CAPPED-*', cap: 10 },
	]);
	const c = p.channels[0];

	it('an override’s own salesRateSeconds wins; an exact SKU beats the glob', () => {
		expect(effectiveRule(c, 'HOT-1').buffer).toEqual({
			type: 'fixed',
			value: 1,
			salesRateSeconds: 6,
		});
		expect(effectiveRule(c, 'HOT-COLD').buffer).toEqual({
			type: 'fixed',
			value: 1,
			salesRateSeconds: 0,
		});
	});

	it('an override’s buffer without it keeps the channel’s; one without a buffer keeps the channel’s buffer', () => {
		expect(effectiveRule(c, 'BIG-1').buffer).toEqual({
			type: 'fixed',
			value: 4,
			salesRateSeconds: 2,
		});
		expect(effectiveRule(c, 'CAPPED-1').buffer).toEqual({
			type: 'fixed',
			value: 2,
			salesRateSeconds: 2,
		});
		expect(effectiveRule(c, 'OTHER').buffer).toEqual({
			type: 'fixed',
			value: 2,
			salesRateSeconds: 2,
		});
	});

	it('availability per SKU follows the rule that applies (rate 1 unit/s, stock 20)', () => {
		const at = (sku: string) =>
			placeAvailability(
				p,
				{
					sku,
					quantities: { [WH]: 20 },
					pending: {},
					frozen: false,
					salesRate: { rate: 1, at: T0 },
				},
				undefined,
				T0,
			)[0];
		expect(at('OTHER')).toMatchObject({ available: 16, reserve: 2, reserved: 2, salesRate: 1 });
		expect(at('HOT-1')).toMatchObject({ available: 13, reserve: 6, reserved: 6 });
		expect(at('HOT-COLD')).toMatchObject({ available: 19, reserve: 0, reserved: 0 });
		expect(at('BIG-1')).toMatchObject({ available: 14, reserve: 2, reserved: 2 });
		expect(at('CAPPED-1')).toMatchObject({ available: 10, reserve: 2, reserved: 0 });
	});
});

describe('placeAvailability and decidePlaces decay the rate to the time passed in', () => {
	const p = profileWith({ type: 'fixed', value: 2, salesRateSeconds: 1 });
	const state = {
		sku: 'HOT',
		quantities: { [WH]: 20 },
		pending: {},
		frozen: false,
		salesRate: { rate: 5, at: T0 },
		pub: {},
	};

	it('at the sale: 5 units; one TAU later: 2 (5/e ≈ 1.84); after the end: none', () => {
		expect(placeAvailability(p, state, 'shop', T0)[0]).toMatchObject({
			available: 13,
			reserved: 5,
		});
		expect(placeAvailability(p, state, 'shop', T0 + SALES_RATE_TAU_MS)[0]).toMatchObject({
			available: 16,
			reserved: 2,
		});
		const ends = reserveEndsInMs(5, 1);
		expect(placeAvailability(p, state, 'shop', T0 + ends)[0]).toMatchObject({
			available: 18,
			reserved: 0,
			reserveEndsInMs: 0,
		});
	});

	it('without a time, the rate counts as of its own time (not decayed)', () => {
		expect(placeAvailability(p, state, 'shop')[0]).toMatchObject({ available: 13, reserved: 5 });
	});

	it('a decision carries the reserve (units, its end, the rate) only when it lowered the place', () => {
		const [d] = decidePlaces(p, 'shop', state, null, false, T0);
		expect(d).toMatchObject({
			desired: 13,
			quantity: 13,
			reserved: 5,
			reserveEndsInMs: reserveEndsInMs(5, 1),
			salesRate: 5,
		});
		const [later] = decidePlaces(p, 'shop', state, null, false, T0 + reserveEndsInMs(5, 1));
		expect(later.desired).toBe(18);
		expect(later).not.toHaveProperty('reserved');
		expect(later).not.toHaveProperty('reserveEndsInMs');
	});
});
