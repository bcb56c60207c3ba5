import { parseProfile } from '../../../../nodes/InventoryLedger/profile';
import {
	decidePlaces,
	holdOf,
	knownShown,
	needsReadBack,
	placeRecord,
	reportOrder,
	pubField,
	withReadBack,
	type PlaceRecord,
} from '../../../../nodes/shared/channel/publishPlan';

/* Publish's decision per channel place (design.md "Mirror safety"), pure. */

const PLACE = 'shopify:s.test:1';
const profile = parseProfile({
	dryRun: false,
	locations: [{ id: 'ledger:wh', owner: 'ledger', aliases: [PLACE] }],
	channels: [
		{
			name: 'shop',
			platform: 'shopify',
			shop: 's.test',
			salesLocation: 'ledger:wh',
			places: [{ id: PLACE, shows: ['ledger:wh'] }],
			buffer: { type: 'fixed', value: 1 },
		},
	],
});

const record = (r: Partial<PlaceRecord>): PlaceRecord => ({
	published: null,
	publishedAt: null,
	observed: null,
	observedVersion: null,
	holdQuantity: null,
	holdVersion: null,
	...r,
});

function pub(r: Partial<PlaceRecord>): Record<string, string> {
	const out: Record<string, string> = {};
	const set = (k: Parameters<typeof pubField>[0], v: number | null | undefined) => {
		if (v !== null && v !== undefined) out[pubField(k, 'shop', PLACE)] = String(v);
	};
	set('published', r.published);
	set('publishedAt', r.publishedAt);
	set('observed', r.observed);
	set('observedVersion', r.observedVersion);
	set('holdQuantity', r.holdQuantity);
	set('holdVersion', r.holdVersion);
	return out;
}

const state = (qty: number, r: Partial<PlaceRecord> = {}, frozen = false) => ({
	sku: 'A',
	quantities: { 'ledger:wh': qty },
	pending: {},
	frozen,
	pub: pub(r),
});

describe('knownShown', () => {
	test('what we published, unless the mirror reported after that', () => {
		expect(knownShown(record({}))).toBeNull();
		expect(knownShown(record({ published: 5, publishedAt: 100 }))).toBe(5);
		expect(
			knownShown(record({ published: 5, publishedAt: 100, observed: 3, observedVersion: 90 })),
		).toBe(5);
		expect(
			knownShown(record({ published: 5, publishedAt: 100, observed: 3, observedVersion: 101 })),
		).toBe(3);
		expect(knownShown(record({ observed: 3, observedVersion: 1 }))).toBe(3);
	});
});

describe('reportOrder', () => {
	test('a later time is after; at whole-second resolution a different value in the second of our write is a tie', () => {
		expect(reportOrder(101, 100, false)).toBe('after');
		expect(reportOrder(5_000, 5_750, true)).toBe('tie');
		// The echo of our own write (same value) and a millisecond time before our write are before it.
		expect(reportOrder(5_000, 5_750, false)).toBe('before');
		expect(reportOrder(5_001, 5_750, true)).toBe('before');
		expect(reportOrder(4_000, 5_750, true)).toBe('before');
	});
	test('a tie leaves what the mirror shows unknown (the value is written again) and holds a lower report', () => {
		const tie = record({ published: 96, publishedAt: 5_750, observed: 98, observedVersion: 5_000 });
		expect(knownShown(tie)).toBeNull();
		const lower = record({
			published: 96,
			publishedAt: 5_750,
			observed: 94,
			observedVersion: 5_000,
		});
		expect(holdOf(lower, null)).toEqual({ quantity: 94, version: 5_000 });
	});
});

describe('holdOf', () => {
	const sold = record({ published: 10, publishedAt: 100, observed: 8, observedVersion: 150 });
	test('a report below our last write, after it, holds the mirror at what it showed', () => {
		expect(holdOf(sold, null)).toEqual({ quantity: 8, version: 150 });
	});
	test('an echo (equal to what we wrote) or a report older than our write holds nothing', () => {
		expect(
			holdOf(record({ published: 10, publishedAt: 100, observed: 10, observedVersion: 150 }), null),
		).toBeNull();
		expect(
			holdOf(record({ published: 10, publishedAt: 100, observed: 8, observedVersion: 90 }), null),
		).toBeNull();
	});
	test('a poll that started before the report does not release it; one that started after does', () => {
		expect(holdOf(sold, 149)).not.toBeNull();
		expect(holdOf(sold, 150)).toBeNull();
	});
	test('a stored hold outlives our own later writes until the poll', () => {
		const later = record({ published: 5, publishedAt: 200, holdQuantity: 8, holdVersion: 150 });
		expect(holdOf(later, 100)).toEqual({ quantity: 8, version: 150 });
		expect(holdOf(later, 151)).toBeNull();
	});
	test('a lower report while held lowers the hold', () => {
		const lower = record({
			published: 8,
			publishedAt: 200,
			observed: 6,
			observedVersion: 250,
			holdQuantity: 8,
			holdVersion: 150,
		});
		expect(holdOf(lower, null)).toEqual({ quantity: 6, version: 250 });
	});
});

describe('decidePlaces', () => {
	test('availability from the profile (buffer 1); unknown mirror → written with no expectation', () => {
		const [d] = decidePlaces(profile, 'shop', state(10), null);
		expect(d).toMatchObject({
			desired: 9,
			quantity: 9,
			expected: null,
			unchanged: false,
			held: false,
		});
	});
	test('the mirror already shows it → unchanged; force writes anyway', () => {
		const s = state(10, { published: 9, publishedAt: 1 });
		expect(decidePlaces(profile, 'shop', s, null)[0].unchanged).toBe(true);
		expect(decidePlaces(profile, 'shop', s, null, true)[0].unchanged).toBe(false);
	});
	test('held: an increase waits, a decrease goes out at once, the hold is recorded', () => {
		const s = (qty: number) =>
			state(qty, { published: 10, publishedAt: 100, observed: 8, observedVersion: 150 });
		const up = decidePlaces(profile, 'shop', s(20), null)[0];
		expect(up).toMatchObject({
			desired: 19,
			quantity: 8,
			held: true,
			unchanged: true,
			expected: 8,
		});
		expect(up.hold).toEqual({ quantity: 8, version: 150 });
		const down = decidePlaces(profile, 'shop', s(6), null)[0];
		expect(down).toMatchObject({
			desired: 5,
			quantity: 5,
			held: false,
			unchanged: false,
			expected: 8,
		});
	});
	test('a released hold is lifted (empty fields recorded)', () => {
		const s = state(20, { published: 8, publishedAt: 200, holdQuantity: 8, holdVersion: 150 });
		const d = decidePlaces(profile, 'shop', s, 151)[0];
		expect(d).toMatchObject({ quantity: 19, held: false, hold: { quantity: '', version: '' } });
	});
	test('a frozen SKU has no decision', () => {
		expect(decidePlaces(profile, 'shop', state(5, {}, true), null)).toEqual([]);
	});
	test('placeRecord reads the pub hash fields of this channel and place only', () => {
		const r = placeRecord(
			{ ...pub({ published: 3 }), [pubField('published', 'other', PLACE)]: '7' },
			'shop',
			PLACE,
		);
		expect(r.published).toBe(3);
	});
});

describe('read-back (a channel whose reports cannot always be ordered against our writes)', () => {
	test('a skip and a tie are read back; a write on a known value is not', () => {
		const skip = decidePlaces(
			profile,
			'shop',
			state(10, { published: 9, publishedAt: 1 }),
			null,
		)[0];
		expect(needsReadBack(skip)).toBe(true);
		const tie = decidePlaces(
			profile,
			'shop',
			state(10, { published: 12, publishedAt: 5_400, observed: 11, observedVersion: 5_000 }),
			null,
		)[0];
		expect(tie).toMatchObject({ expected: null, tie: true });
		expect(needsReadBack(tie)).toBe(true);
		const write = decidePlaces(
			profile,
			'shop',
			state(10, { published: 4, publishedAt: 1 }),
			null,
		)[0];
		expect(write.tie).toBeUndefined();
		expect(needsReadBack(write)).toBe(false);
	});
	test('what was read is the report after our write: a tie becomes a known value, without a hold from the report that predated it', () => {
		const s = state(12, { published: 12, publishedAt: 5_400, observed: 9, observedVersion: 5_000 });
		expect(decidePlaces(profile, 'shop', s, null)[0]).toMatchObject({ held: true, quantity: 9 });
		const read = { ...s, pub: withReadBack(s.pub, 'shop', PLACE, 12, 6_000) };
		expect(decidePlaces(profile, 'shop', read, null)[0]).toMatchObject({
			expected: 12,
			quantity: 11,
			held: false,
			unchanged: false,
		});
	});
	test('a read below our write holds the place at it until a poll that started after the read', () => {
		const s = state(13, {
			published: 12,
			publishedAt: 5_400,
			observed: 12,
			observedVersion: 5_000,
		});
		const read = { ...s, pub: withReadBack(s.pub, 'shop', PLACE, 11, 6_000) };
		expect(decidePlaces(profile, 'shop', read, null)[0]).toMatchObject({
			quantity: 11,
			held: true,
			unchanged: true,
		});
		expect(decidePlaces(profile, 'shop', read, 6_000)[0]).toMatchObject({
			quantity: 12,
			held: false,
		});
	});
	test('a report with a later version than the read is kept (as the observation script keeps it)', () => {
		const s = state(10, { observed: 3, observedVersion: 9_000 });
		expect(withReadBack(s.pub, 'shop', PLACE, 5, 8_000)).toBe(s.pub);
	});
});
