import { effectiveStock, placeAvailability } from '../../../nodes/InventoryLedger/aggregate';
import {
	ProfileError,
	affectedChannels,
	coverChain,
	dirtyRefs,
	indexProfile,
	parseProfile,
	profileFromForm,
} from '../../../nodes/InventoryLedger/profile';

/**
 * Shortfall cover (profile `coverShortfallFrom`): the templates' example shape — a ledger warehouse that
 * Shopify lists as 1001 and shows alone, a Shopify-owned store 1002 that WooCommerce sells from and shows
 * with the warehouse — plus a third location for chains.
 */
const WH = 'ledger:wh';
const STORE = 'shopify:s.test:1002';
const BACK = 'ledger:back';

function example(covers: Record<string, string> = { [STORE]: WH }) {
	return {
		dryRun: false,
		locations: [
			{ id: WH, owner: 'ledger', aliases: ['shopify:s.test:1001'] },
			{ id: STORE, owner: 'shopify' },
			{ id: BACK, owner: 'ledger' },
		].map((l) => (covers[l.id] ? { ...l, coverShortfallFrom: covers[l.id] } : l)),
		channels: [
			{
				name: 'shopify',
				platform: 'shopify',
				shop: 's.test',
				salesLocation: WH,
				places: [{ id: 'shopify:s.test:1001', shows: [WH] }],
			},
			{
				name: 'woo',
				platform: 'woocommerce',
				shop: 'w.test',
				salesLocation: STORE,
				places: [{ id: 'woocommerce:w.test:default', shows: [WH, STORE] }],
				buffer: { type: 'fixed', value: 2 },
			},
			{
				name: 'back',
				platform: 'manual',
				shop: 'b.test',
				salesLocation: BACK,
				places: [{ id: 'manual:b.test:back', shows: [BACK] }],
			},
		],
	};
}

const state = (quantities: Record<string, number>, pending: Record<string, number> = {}) => ({
	sku: 'A',
	quantities,
	pending,
	frozen: false,
});

function problems(input: unknown): string[] {
	try {
		parseProfile(input);
	} catch (error) {
		expect(error).toBeInstanceOf(ProfileError);
		return (error as ProfileError).problems;
	}
	return [];
}

describe('profile: coverShortfallFrom', () => {
	it('is kept on the location (an alias resolves to the location id), absent when not set', () => {
		const profile = parseProfile(example({ [STORE]: 'shopify:s.test:1001' }));
		expect(profile.locations.map((l) => l.coverShortfallFrom)).toEqual([undefined, WH, undefined]);
		expect(JSON.stringify(profile.locations[0])).not.toContain('coverShortfallFrom');
	});

	it('rejects an unknown location, the location itself, and a cycle (once, with its path)', () => {
		expect(problems(example({ [STORE]: 'ledger:nowhere' }))).toEqual([
			"locations[1].coverShortfallFrom: unknown location 'ledger:nowhere'",
		]);
		expect(problems(example({ [STORE]: STORE }))).toEqual([
			'locations[1].coverShortfallFrom: a location cannot cover its own shortfall',
		]);
		const cycle = problems(example({ [STORE]: WH, [WH]: BACK, [BACK]: STORE }));
		expect(cycle).toHaveLength(1);
		expect(cycle[0]).toMatch(/goes round in a circle/);
		expect(problems(example({ [STORE]: WH, [WH]: STORE }))).toHaveLength(1);
	});

	it('allows chains; coverChain lists them nearest first', () => {
		const profile = parseProfile(example({ [STORE]: WH, [WH]: BACK }));
		expect(coverChain(profile, STORE)).toEqual([WH, BACK]);
		expect(coverChain(profile, WH)).toEqual([BACK]);
		expect(coverChain(profile, BACK)).toEqual([]);
	});

	it('the form passes it on (empty: none)', () => {
		const form = profileFromForm({
			locations: [
				{ id: WH, owner: 'ledger' },
				{ id: STORE, owner: 'shopify', coverShortfallFrom: ` ${WH} ` },
			],
		}) as { locations: object[] };
		expect(form.locations).toEqual([
			{ id: WH, owner: 'ledger' },
			{ id: STORE, owner: 'shopify', coverShortfallFrom: WH },
		]);
	});

	it('dirty marks: a change at the store marks its mirrors, and the channels showing its cover when its deficit moved', () => {
		const without = indexProfile(parseProfile(example({})));
		expect(without.mirrorsOf.get(STORE)).toEqual(['woo']);
		expect(without.coverMirrorsOf.get(STORE)).toEqual([]);
		const covered = indexProfile(parseProfile(example()));
		// Shopify owns the store (not its mirror) but shows the warehouse that covers it.
		expect(covered.mirrorsOf.get(STORE)).toEqual(['woo']);
		expect(covered.coverMirrorsOf.get(STORE)).toEqual(['shopify']);
		expect(covered.mirrorsOf.get(WH)).toEqual(['shopify', 'woo']);
		expect(covered.coverMirrorsOf.get(WH)).toEqual([]);
		const chained = indexProfile(parseProfile(example({ [STORE]: WH, [WH]: BACK })));
		expect(chained.coverMirrorsOf.get(STORE)).toEqual(['shopify', 'back']);
		expect(chained.coverMirrorsOf.get(WH)).toEqual(['back']);
		expect(chained.mirrorsOf.get(BACK)).toEqual(['back']);
		// The scripts' form: mirrors, then after '|' the cover's channels (KEYS indexes).
		const refs = new Map([
			['shopify', 3],
			['woo', 4],
			['back', 5],
		]);
		expect(dirtyRefs(chained, STORE, (c) => refs.get(c)!)).toBe('4|3,5');
		expect(dirtyRefs(chained, BACK, (c) => refs.get(c)!)).toBe('5');
		expect(dirtyRefs(without, STORE, (c) => refs.get(c)!)).toBe('4');
	});

	it('a changed cover re-marks the channels whose figures it moves, and only those', () => {
		const before = parseProfile(example({}));
		expect(affectedChannels(before, parseProfile(example()))).toEqual(['shopify', 'woo']);
		expect(affectedChannels(parseProfile(example()), parseProfile(example()))).toEqual([]);
		expect(
			affectedChannels(parseProfile(example()), parseProfile(example({ [STORE]: BACK }))),
		).toEqual(['shopify', 'woo', 'back']);
	});
});

describe('placeAvailability with a shortfall cover', () => {
	const covered = parseProfile(example());
	const plain = parseProfile(example({}));

	it('no deficit: every figure as without a cover', () => {
		const s = state({ [WH]: 20, [STORE]: 5 });
		expect(placeAvailability(covered, s)).toEqual(placeAvailability(plain, s));
		expect(placeAvailability(covered, s)[0]).toMatchObject({ stock: 20, covered: 0 });
	});

	it('a store below zero: the warehouse alone shows the deficit less; warehouse + store unchanged', () => {
		const s = state({ [WH]: 20, [STORE]: -3 });
		const [shop, woo] = placeAvailability(covered, s);
		expect(shop).toMatchObject({ shown: 20, pending: 0, covered: -3, stock: 17, available: 17 });
		expect(woo).toMatchObject({ shown: 17, covered: 0, stock: 17, available: 15 });
		// Without the cover the warehouse place shows the whole warehouse (the oversell of issue 20).
		expect(placeAvailability(plain, s)[0]).toMatchObject({ stock: 20, available: 20 });
	});

	it('pending forwards count: level − pending below zero is the deficit', () => {
		const s = state({ [WH]: 10, [STORE]: 2 }, { [STORE]: 5 });
		const [shop, woo] = placeAvailability(covered, s);
		expect(shop).toMatchObject({ shown: 10, pending: 0, covered: -3, stock: 7 });
		expect(woo).toMatchObject({ shown: 12, pending: 5, covered: 0, stock: 7, available: 5 });
	});

	it('a deficit beyond the cover stays there (0 published); a location without a cover keeps its own', () => {
		const s = state({ [WH]: 2, [STORE]: -5, [BACK]: -4 });
		expect(Object.fromEntries(effectiveStock(covered, s))).toEqual({
			[WH]: -3,
			[STORE]: 0,
			[BACK]: -4,
		});
		expect(placeAvailability(covered, s, 'shopify')[0]).toMatchObject({ stock: -3, available: 0 });
	});

	it('chains: the deficit goes on from cover to cover until one has stock', () => {
		const chained = parseProfile(example({ [STORE]: WH, [WH]: BACK }));
		const s = state({ [WH]: 2, [STORE]: -5, [BACK]: 10 });
		expect(Object.fromEntries(effectiveStock(chained, s))).toEqual({
			[WH]: 0,
			[STORE]: 0,
			[BACK]: 7,
		});
		const [shop, woo, back] = placeAvailability(chained, s);
		expect(shop).toMatchObject({ shown: 2, covered: -2, stock: 0 });
		// The warehouse + store place passes 3 units outside its edge: it shows 0, not −3.
		expect(woo).toMatchObject({ shown: -3, covered: 3, stock: 0, available: 0 });
		expect(back).toMatchObject({ shown: 10, covered: -3, stock: 7 });
		// The same chain listed in the other order of locations gives the same figures.
		const reversed = parseProfile({
			...example({ [STORE]: WH, [WH]: BACK }),
			locations: [...example({ [STORE]: WH, [WH]: BACK }).locations].reverse(),
		});
		expect(Object.fromEntries(effectiveStock(reversed, s))).toEqual({
			[WH]: 0,
			[STORE]: 0,
			[BACK]: 7,
		});
	});
});
