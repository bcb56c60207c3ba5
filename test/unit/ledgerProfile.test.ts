import {
	ProfileError,
	affectedChannels,
	indexProfile,
	parseProfile,
	profileFromForm,
} from '../../nodes/InventoryLedger/profile';

export const SAMPLE = {
	locations: [
		{ id: 'ledger:wh', owner: 'ledger' },
		{ id: 'shopify:s.test:1', owner: 'shopify' },
	],
	channels: [
		{ name: 'shopify', platform: 'shopify', shop: 's.test', salesLocation: 'shopify:s.test:1', places: [{ id: 'shopify:s.test:1', shows: ['shopify:s.test:1'] }] },
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
		expect(p.channels[0]).toMatchObject({ buffer: { type: 'fixed', value: 0 }, cap: null, outOfStockThreshold: 0, overrides: [] });
		expect(parseProfile(JSON.stringify({ ...SAMPLE, dryRun: false })).dryRun).toBe(false);
	});

	it('reports an unknown location, two owners, a location shown twice, a negative buffer — all at once', () => {
		const bad = {
			locations: [...SAMPLE.locations, { id: 'ledger:wh', owner: 'woo' }],
			channels: [
				SAMPLE.channels[0],
				{
					...SAMPLE.channels[1],
					places: [{ id: 'woocommerce:w.test:default', shows: ['ledger:wh', 'ledger:wh', 'ledger:nowhere'] }],
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
		expect(problems({ ...SAMPLE, channels: [{ ...SAMPLE.channels[0], salesLocation: 'ledger:wh' }] }).join()).toMatch(/must be one of the locations the channel shows/);
		expect(problems({ ...SAMPLE, locations: [{ id: 'x:1', owner: 'amazon' }] }).join()).toMatch(/owner 'amazon' is neither/);
		expect(problems({ ...SAMPLE, channels: [SAMPLE.channels[0], SAMPLE.channels[0]] }).join()).toMatch(/defined twice/);
		expect(problems({ ...SAMPLE, channels: [{ ...SAMPLE.channels[1], buffer: { type: 'percent', value: 120 } }] }).join()).toMatch(/at most 100/);
		expect(problems('{nope').join()).toMatch(/not JSON/);
		expect(problems([]).join()).toMatch(/JSON object/);
		expect(problems({ ...SAMPLE, channels: [{ ...SAMPLE.channels[1], overrides: [{ sku: '' }] }] }).join()).toMatch(/exact SKU or a glob/);
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
		const buffer = parseProfile({ ...SAMPLE, channels: [SAMPLE.channels[0], { ...SAMPLE.channels[1], buffer: 5 }] });
		expect(affectedChannels(before, buffer)).toEqual(['woo']);
		expect(affectedChannels(before, parseProfile({ ...SAMPLE, frozen: ['A'] }))).toEqual(['shopify', 'woo']);
	});

	it('the form builds the same profile as JSON for the common case', () => {
		const form = profileFromForm({
			locations: [
				{ id: 'ledger:wh', owner: 'ledger' },
				{ id: 'shopify:s.test:1', owner: 'shopify' },
			],
			channels: [
				{ name: 'shopify', platform: 'shopify', shop: 's.test', salesLocation: 'shopify:s.test:1', shows: 'shopify:s.test:1' },
				{ name: 'woo', platform: 'woocommerce', shop: 'w.test', salesLocation: 'ledger:wh', placeId: 'woocommerce:w.test:default', shows: 'ledger:wh, shopify:s.test:1', bufferType: 'fixed', bufferValue: 2, cap: -1 },
			],
		});
		expect(parseProfile(form)).toEqual(parseProfile(SAMPLE));
	});
});
