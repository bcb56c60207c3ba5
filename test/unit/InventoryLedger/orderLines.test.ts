import fc from 'fast-check';
import { MAX_LINE_IDS, lineIdsOf, planEvent } from '../../../nodes/InventoryLedger/orderLines';
import { indexProfile, parseProfile } from '../../../nodes/InventoryLedger/profile';

// Apply's planning of order lines' `lineIds` (pure): the removed-line rule runs in the script, on what is planned here.
const index = indexProfile(
	parseProfile({
		locations: [{ id: 'ledger:wh', owner: 'ledger' }],
		channels: [
			{
				name: 'woo',
				platform: 'woocommerce',
				shop: 'w.test',
				salesLocation: 'ledger:wh',
				places: [{ id: 'woocommerce:w.test:default', shows: ['ledger:wh'] }],
			},
		],
	}),
);

const line = (over: Record<string, unknown> = {}) => ({
	kind: 'orderLine',
	id: 'woocommerce:w.test:order:7:line:71',
	version: 1000,
	source: { platform: 'woocommerce', shop: 'w.test', topic: 'order.updated', via: 'webhook' },
	lineIds: ['71', '72'],
	sku: 'A',
	refs: { orderId: '7' },
	locationId: null,
	quantity: 2,
	...over,
});

describe('lineIds', () => {
	it('a tracked line carries its order’s line keys (its own added when missing); none when absent', () => {
		expect(planEvent(0, line(), index)).toMatchObject({
			plan: { op: 'orderLine', lineKey: '71', lineIds: ['71', '72'] },
		});
		expect(planEvent(0, line({ lineIds: ['72'] }), index)).toMatchObject({
			plan: { lineIds: ['72', '71'] },
		});
		for (const none of [undefined, null]) {
			const planned = planEvent(0, line({ lineIds: none }), index);
			expect('plan' in planned && planned.plan.op === 'orderLine' && planned.plan.lineIds).toBe(
				undefined,
			);
		}
	});

	it('malformed lineIds are Invalid badLineIds, never guessed', () => {
		for (const bad of [
			'71',
			[71],
			[''],
			['x'.repeat(1001)],
			[null],
			Array.from({ length: MAX_LINE_IDS + 1 }, (_, i) => String(i)),
		])
			expect(planEvent(0, line({ lineIds: bad }), index)).toMatchObject({ invalid: 'badLineIds' });
	});

	it('an untracked line with its order’s keys is planned (removed-line rule only); otherwise Skipped untracked as before', () => {
		expect(planEvent(0, line({ sku: null, note: 'custom item' }), index)).toMatchObject({
			plan: {
				op: 'untrackedLine',
				sku: null,
				lineKey: '71',
				lineIds: ['71', '72'],
				order: { platform: 'woocommerce', shop: 'w.test', orderId: '7' },
				message: 'custom item',
			},
		});
		expect(planEvent(0, line({ sku: ' ' }), index)).toMatchObject({
			plan: { op: 'untrackedLine', message: 'line has a blank SKU: not tracked' },
		});
		expect(planEvent(0, line({ sku: null, lineIds: undefined }), index)).toEqual({
			skipped: 'untracked',
			message: 'line has no SKU: not tracked',
		});
		expect(planEvent(0, line({ sku: null, lineIds: 'bad' }), index)).toMatchObject({
			skipped: 'untracked',
		});
		expect(
			planEvent(
				0,
				line({
					sku: null,
					source: { platform: 'woocommerce', shop: 'other.test', topic: 't', via: 'webhook' },
				}),
				index,
			),
		).toMatchObject({ skipped: 'untracked' });
	});

	it('property: lineIdsOf keeps the keys, adds the own key once, rejects anything but non-empty texts', () => {
		const key = fc.string({ minLength: 1, maxLength: 12 });
		fc.assert(
			fc.property(fc.array(key, { maxLength: 20 }), key, (keys, own) => {
				const out = lineIdsOf(keys, own);
				expect(out).not.toBe('bad');
				const list = out as string[];
				expect(list.slice(0, keys.length)).toEqual(keys);
				expect(list.filter((k) => k === own).length).toBe(
					Math.max(1, keys.filter((k) => k === own).length),
				);
			}),
		);
		fc.assert(
			fc.property(
				fc.array(fc.oneof(key, fc.constant(''), fc.integer(), fc.constant(null)), {
					minLength: 1,
					maxLength: 8,
				}),
				(mixed) => {
					const ok = mixed.every((k) => typeof k === 'string' && k !== '');
					expect(lineIdsOf(mixed, 'x') === 'bad').toBe(!ok);
				},
			),
		);
	});
});

describe('an order version without any line', () => {
	const empty = (over: Record<string, unknown> = {}) =>
		line({ id: 'woocommerce:w.test:order:7', lineIds: [], sku: null, quantity: 0, ...over });

	it('is planned as its order’s removed-line rule with no line of its own', () => {
		expect(planEvent(3, empty(), index)).toEqual({
			plan: {
				op: 'untrackedLine',
				index: 3,
				id: 'woocommerce:w.test:order:7',
				version: 1000,
				source: 'woocommerce:w.test:order.updated:webhook',
				sku: null,
				order: { platform: 'woocommerce', shop: 'w.test', orderId: '7' },
				lineKey: '',
				lineBase: 'woocommerce:w.test:order:7:line:',
				lineIds: [],
				emptyOrder: true,
				message: expect.stringMatching(/no line/),
			},
		});
		// The order id comes from the identity when refs lack it.
		expect(planEvent(0, empty({ refs: {} }), index)).toMatchObject({
			plan: { order: { orderId: '7' }, emptyOrder: true },
		});
	});

	it('needs an empty lineIds, no SKU and a channel; otherwise it is what it was before', () => {
		expect(planEvent(0, empty({ lineIds: undefined }), index)).toMatchObject({
			skipped: 'untracked',
		});
		expect(planEvent(0, empty({ lineIds: ['1'] }), index)).toMatchObject({ skipped: 'untracked' });
		expect(planEvent(0, empty({ sku: 'A' }), index)).toMatchObject({ invalid: 'badId' });
		expect(
			planEvent(
				0,
				empty({
					source: { platform: 'woocommerce', shop: 'other.test', topic: 't', via: 'webhook' },
				}),
				index,
			),
		).toMatchObject({ skipped: 'untracked' });
		// A line's untracked plan keeps its own key and the same base.
		expect(planEvent(0, line({ sku: null }), index)).toMatchObject({
			plan: { lineKey: '71', lineBase: 'woocommerce:w.test:order:7:line:' },
		});
	});
});

describe('location aliases', () => {
	const aliased = indexProfile(
		parseProfile({
			locations: [{ id: 'ledger:wh', owner: 'ledger', aliases: ['shopify:s.test:9'] }],
			channels: [
				{
					name: 'shopify',
					platform: 'shopify',
					shop: 's.test',
					salesLocation: 'ledger:wh',
					places: [{ id: 'shopify:s.test:9', shows: ['ledger:wh'] }],
				},
			],
		}),
	);
	const shopify = { platform: 'shopify', shop: 's.test', topic: 'orders/updated', via: 'webhook' };

	it('an order line or restock naming the alias is planned at the location', () => {
		const restock = line({
			id: 'shopify:s.test:order:7:line:71:restock:9',
			source: shopify,
			locationId: 'shopify:s.test:9',
			quantity: -1,
			lineIds: undefined,
		});
		expect(planEvent(0, restock, aliased)).toMatchObject({
			plan: { op: 'orderLine', location: 'ledger:wh', mode: 'ledger', owner: 'ledger' },
		});
		expect(
			planEvent(0, line({ id: 'shopify:s.test:order:7:line:71', source: shopify }), aliased),
		).toMatchObject({ plan: { location: 'ledger:wh', mode: 'ledger' } });
		expect(
			planEvent(
				0,
				line({
					id: 'shopify:s.test:order:7:line:71',
					source: shopify,
					locationId: 'shopify:s.test:8',
				}),
				aliased,
			),
		).toMatchObject({ invalid: 'unknownLocation' });
	});

	it('a channel’s level at the alias is its observation of the place; the owner’s feed naming it is a level', () => {
		const level = (platform: string, shop: string) => ({
			kind: 'level',
			id: 'x',
			version: 1,
			source: { platform, shop, topic: 't', via: 'webhook' },
			sku: 'A',
			refs: {},
			locationId: 'shopify:s.test:9',
			quantity: 5,
		});
		expect(planEvent(0, level('shopify', 's.test'), aliased)).toMatchObject({
			plan: { op: 'observation', observer: 'shopify:shopify:s.test:9' },
		});
		expect(planEvent(0, level('manual', 'erp'), aliased)).toMatchObject({
			plan: { op: 'level', location: 'ledger:wh' },
		});
	});
});
