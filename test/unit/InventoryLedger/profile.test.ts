import {
	ProfileError,
	affectedChannels,
	indexProfile,
	parseProfile,
	placeOf,
	profileFromForm,
	profileText,
	resolveLocation,
} from '../../../nodes/InventoryLedger/profile';

export const SAMPLE = {
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
			buffer: { type: 'fixed', value: 2 },
		},
	],
};

function problems(input: unknown): string[] {
	try {
		parseProfile(input);
	} catch (error) {
		expect(error).toBeInstanceOf(ProfileError);
		return (error as ProfileError).problems;
	}
	return [];
}

describe('profile validation', () => {
	it('accepts a good profile, fills defaults, starts in dry run', () => {
		const p = parseProfile(SAMPLE);
		expect(p.dryRun).toBe(true);
		expect(p.orderLineRetentionDays).toBe(180);
		expect(p.auditMaxEntries).toBe(10_000);
		expect(p.channels[0]).toMatchObject({
			buffer: { type: 'fixed', value: 0 },
			cap: null,
			outOfStockThreshold: 0,
			overrides: [],
		});
		expect(parseProfile(JSON.stringify({ ...SAMPLE, dryRun: false })).dryRun).toBe(false);
	});

	it('reports an unknown location, two owners, a location shown twice, a negative buffer — all at once', () => {
		const bad = {
			locations: [...SAMPLE.locations, { id: 'ledger:wh', owner: 'woo' }],
			channels: [
				SAMPLE.channels[0],
				{
					...SAMPLE.channels[1],
					places: [
						{
							id: 'woocommerce:w.test:default',
							shows: ['ledger:wh', 'ledger:wh', 'ledger:nowhere'],
						},
					],
					buffer: { type: 'fixed', value: -1 },
				},
			],
		};
		const found = problems(bad).join('\n');
		expect(found).toMatch(/location 'ledger:wh' has two owners/);
		expect(found).toMatch(/location 'ledger:wh' is shown twice in one sum/);
		expect(found).toMatch(/unknown location 'ledger:nowhere'/);
		expect(found).toMatch(/a buffer cannot be negative/);
	});

	it('more rules: sales location shown, owner is a channel, names, percent range, JSON errors', () => {
		expect(
			problems({
				...SAMPLE,
				channels: [{ ...SAMPLE.channels[0], salesLocation: 'ledger:wh' }],
			}).join(),
		).toMatch(/must be one of the locations the channel shows/);
		expect(problems({ ...SAMPLE, locations: [{ id: 'x:1', owner: 'amazon' }] }).join()).toMatch(
			/owner 'amazon' is neither/,
		);
		expect(
			problems({ ...SAMPLE, channels: [SAMPLE.channels[0], SAMPLE.channels[0]] }).join(),
		).toMatch(/defined twice/);
		expect(
			problems({
				...SAMPLE,
				channels: [{ ...SAMPLE.channels[1], buffer: { type: 'percent', value: 120 } }],
			}).join(),
		).toMatch(/at most 100/);
		expect(problems('{nope').join()).toMatch(/not JSON/);
		expect(problems([]).join()).toMatch(/JSON object/);
		expect(
			problems({
				...SAMPLE,
				channels: [{ ...SAMPLE.channels[1], overrides: [{ sku: '' }] }],
			}).join(),
		).toMatch(/exact SKU or a glob/);
	});

	it('index: owners, mirrors per location (not the owner), channel by platform and shop', () => {
		const index = indexProfile(parseProfile(SAMPLE));
		expect(index.mirrorsOf.get('shopify:s.test:1')).toEqual(['woo']);
		expect(index.mirrorsOf.get('ledger:wh')).toEqual(['woo']);
		expect(index.channelBySource.get('woocommerce\u0000w.test')?.name).toBe('woo');
	});

	it('affected channels: changed buffer → that channel; owner change → channels showing it', () => {
		const before = parseProfile(SAMPLE);
		expect(affectedChannels(undefined, before)).toEqual(['shopify', 'woo']);
		expect(affectedChannels(before, before)).toEqual([]);
		const buffer = parseProfile({
			...SAMPLE,
			channels: [SAMPLE.channels[0], { ...SAMPLE.channels[1], buffer: 5 }],
		});
		expect(affectedChannels(before, buffer)).toEqual(['woo']);
		expect(affectedChannels(before, parseProfile({ ...SAMPLE, frozen: ['A'] }))).toEqual([
			'shopify',
			'woo',
		]);
	});

	it('the form builds the same profile as JSON for the common case', () => {
		const form = profileFromForm({
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
					shows: 'shopify:s.test:1',
				},
				{
					name: 'woo',
					platform: 'woocommerce',
					shop: 'w.test',
					salesLocation: 'ledger:wh',
					placeId: 'woocommerce:w.test:default',
					shows: 'ledger:wh, shopify:s.test:1',
					bufferType: 'fixed',
					bufferValue: 2,
					cap: -1,
				},
			],
		});
		expect(parseProfile(form)).toEqual(parseProfile(SAMPLE));
	});
});

describe('location aliases (a platform id of the same stock)', () => {
	// A ledger warehouse that Shopify also lists as its location 9; Shopify sells from it and shows it.
	const ALIASED = {
		locations: [
			{ id: 'ledger:wh', owner: 'ledger', aliases: ['shopify:s.test:9'] },
			{ id: 'shopify:s.test:1', owner: 'shopify' },
		],
		channels: [
			{
				name: 'shopify',
				platform: 'shopify',
				shop: 's.test',
				salesLocation: 'ledger:wh',
				places: [
					{ id: 'shopify:s.test:9', shows: ['ledger:wh'] },
					{ id: 'shopify:s.test:1', shows: ['shopify:s.test:1'] },
				],
			},
		],
	};
	const withAliases = (aliases: unknown, more: object[] = []) => ({
		...ALIASED,
		locations: [{ id: 'ledger:wh', owner: 'ledger', aliases }, ALIASED.locations[1], ...more],
	});

	it('are kept on their location and resolve to it; a profile without aliases keeps its stored text', () => {
		const profile = parseProfile(ALIASED);
		expect(profile.locations).toEqual([
			{ id: 'ledger:wh', owner: 'ledger', aliases: ['shopify:s.test:9'] },
			{ id: 'shopify:s.test:1', owner: 'shopify' },
		]);
		const index = indexProfile(profile);
		expect(resolveLocation(index, 'shopify:s.test:9')).toBe('ledger:wh');
		expect(resolveLocation(index, 'ledger:wh')).toBe('ledger:wh');
		expect(resolveLocation(index, 'shopify:s.test:2')).toBeUndefined();
		// The place named by the platform id is found by the id, the alias, or the location it names.
		const shopify = profile.channels[0];
		expect(placeOf(index, shopify, 'shopify:s.test:9')?.id).toBe('shopify:s.test:9');
		expect(placeOf(index, shopify, 'ledger:wh')?.id).toBe('shopify:s.test:9');
		expect(placeOf(index, shopify, 'woocommerce:w.test:default')).toBeUndefined();
		expect(profileText(parseProfile(SAMPLE))).not.toMatch(/aliases/);
		expect(
			parseProfile({
				...ALIASED,
				locations: [{ ...ALIASED.locations[0], aliases: [] }, ALIASED.locations[1]],
			}).locations[0],
		).toEqual({ id: 'ledger:wh', owner: 'ledger' });
	});

	it('a sales location or a shown location named by its alias is stored as the location; both names in one sum is twice', () => {
		const byAlias = parseProfile({
			...ALIASED,
			channels: [
				{
					...ALIASED.channels[0],
					salesLocation: 'shopify:s.test:9',
					places: [{ id: 'shopify:s.test:9', shows: ['shopify:s.test:9'] }],
				},
			],
		});
		expect(byAlias.channels[0]).toMatchObject({
			salesLocation: 'ledger:wh',
			places: [{ id: 'shopify:s.test:9', shows: ['ledger:wh'] }],
		});
		const twice = problems({
			...ALIASED,
			channels: [
				{
					...ALIASED.channels[0],
					places: [{ id: 'shopify:s.test:9', shows: ['ledger:wh', 'shopify:s.test:9'] }],
				},
			],
		});
		expect(twice.join()).toMatch(
			/location 'ledger:wh' is shown twice in one sum \('shopify:s.test:9' is its alias\)/,
		);
		const samePlace = problems({
			...ALIASED,
			channels: [
				{
					...ALIASED.channels[0],
					places: [
						{ id: 'shopify:s.test:9', shows: ['ledger:wh'] },
						{ id: 'ledger:wh', shows: ['shopify:s.test:1'] },
					],
				},
			],
		});
		expect(samePlace.join()).toMatch(
			/place 'ledger:wh' and place 'shopify:s.test:9' name the same location 'ledger:wh'/,
		);
	});

	it.each([
		['not a platform id', ['warehouse'], /aliases\[0\]: 'warehouse' is not a platform location id/],
		[
			'a ledger name',
			['ledger:other'],
			/aliases\[0\]: 'ledger:other' is not a platform location id/,
		],
		['an upper-case host', ['shopify:S.test:9'], /is not a platform location id .*lower-case host/],
		['spaces', ['shopify:s.test:9 '], /is not a platform location id/],
		['no platform location id', ['shopify:s.test'], /is not a platform location id/],
		['not a text', [9], /aliases\[0\]: '9' is not a platform location id/],
		['not a list', 'shopify:s.test:9', /locations\[0\]\.aliases: must be a list/],
		[
			'a location id',
			['shopify:s.test:1'],
			/aliases\[0\]: 'shopify:s.test:1' is the id of a location/,
		],
		[
			'listed twice',
			['shopify:s.test:9', 'shopify:s.test:9'],
			/aliases\[1\]: 'shopify:s.test:9' is listed twice/,
		],
	])('are refused when %s', (_name, aliases, problem) => {
		expect(problems(withAliases(aliases)).join('\n')).toMatch(problem);
	});

	it('one platform id names one location: the same alias on two locations is refused, every problem at once', () => {
		const found = problems(
			withAliases(
				['shopify:s.test:9', 'nope'],
				[{ id: 'ledger:wh2', owner: 'ledger', aliases: ['shopify:s.test:9'] }],
			),
		);
		expect(found).toEqual(
			expect.arrayContaining([
				expect.stringMatching(/locations\[0\]\.aliases\[1\]: 'nope' is not a platform location id/),
				expect.stringMatching(
					/locations\[2\]\.aliases\[0\]: 'shopify:s.test:9' is already an alias of 'ledger:wh'/,
				),
			]),
		);
		// Hosts with a port (a simulator or proxy base) and WooCommerce ids are platform ids too.
		expect(
			problems(withAliases(['shopify:127.0.0.1:8080:9', 'woocommerce:w.test:default'])),
		).toEqual([]);
	});

	it('the form takes them comma-separated', () => {
		const form = profileFromForm({
			locations: [
				{ id: 'ledger:wh', owner: 'ledger', aliases: ' shopify:s.test:9 , ' },
				{ id: 'shopify:s.test:1', owner: 'shopify', aliases: '' },
			],
			channels: [
				{
					name: 'shopify',
					platform: 'shopify',
					shop: 's.test',
					salesLocation: 'ledger:wh',
					placeId: 'shopify:s.test:9',
					shows: 'ledger:wh',
				},
			],
		});
		expect(parseProfile(form).locations).toEqual(parseProfile(ALIASED).locations);
	});
});
