import {
	availableOf,
	joinInventoryJsonl,
	type JoinedRecord,
} from '../../../nodes/ShopifyInventory/reading/bulkJsonl';
import {
	ORDERS_LISTED_PER_PAGE,
	ordersByIdCost,
	ordersByIdPageSize,
	ordersSinceCost,
	skuSearchQuery,
	targetedLevelsCost,
	targetedPageSize,
	TARGETED_FIXED_COST,
} from '../../../nodes/ShopifyInventory/reading/queries';
import { ShopifyBucket, pageSizeFor } from '../../../nodes/shared/pacing';

async function collect(lines: AsyncIterable<string> | Iterable<string>): Promise<JoinedRecord[]> {
	const out: JoinedRecord[] = [];
	for await (const r of joinInventoryJsonl(lines)) out.push(r);
	return out;
}

/** Shopify's JSONL writer escapes '/' as '\/'. */
const line = (o: object) => JSON.stringify(o).replace(/\//g, '\\/');
const item = (n: number, sku: string | null = `S-${n}`) =>
	line({ id: `gid://shopify/InventoryItem/${n}`, sku, updatedAt: '2026-11-01T00:00:00Z' });
const level = (n: number, loc: number, q: number) =>
	line({
		id: `gid://shopify/InventoryLevel/${n}${loc}`,
		updatedAt: '2026-11-01T00:00:01.123Z',
		location: { id: `gid://shopify/Location/${loc}` },
		quantities: [{ name: 'available', quantity: q }],
		__parentId: `gid://shopify/InventoryItem/${n}`,
	});

describe('joinInventoryJsonl', () => {
	it('joins each level to its item by __parentId, in file order, as the lines arrive', async () => {
		const seen: string[] = [];
		async function* slowly() {
			for (const line of [item(1), level(1, 7, 5), level(1, 8, 0), item(2), level(2, 7, 3)]) {
				seen.push(line);
				yield line;
			}
		}
		const out: JoinedRecord[] = [];
		for await (const r of joinInventoryJsonl(slowly())) {
			out.push(r);
			// Streamed: each record is handed on before the next line is read.
			if (r.type === 'level' && r.item.sku === 'S-1' && out.length === 2)
				expect(seen).toHaveLength(2);
		}
		expect(out.map((r) => r.type)).toEqual(['item', 'level', 'level', 'item', 'level']);
		const levels = out.filter(
			(r): r is Extract<JoinedRecord, { type: 'level' }> => r.type === 'level',
		);
		expect(levels.map((l) => [l.item.sku, availableOf(l.level)])).toEqual([
			['S-1', 5],
			['S-1', 0],
			['S-2', 3],
		]);
		// Shopify escapes '/' in the JSONL: the ids are read back whole.
		expect(levels[0].item.id).toBe('gid://shopify/InventoryItem/1');
	});

	it('a level before its item waits for it; one whose item never comes is an orphan; bad lines are reported', async () => {
		const out = await collect([
			level(3, 7, 1),
			'not json',
			'',
			'[1]',
			item(3),
			level(4, 7, 2),
			item(5, null),
		]);
		expect(out.map((r) => r.type)).toEqual(['bad', 'bad', 'item', 'level', 'item', 'orphan']);
		expect(out[4]).toMatchObject({ type: 'item', item: { sku: null } });
		expect(out[5]).toMatchObject({ type: 'orphan', parentId: 'gid://shopify/InventoryItem/4' });
	});

	it('a level without an available quantity has none (untracked)', () => {
		expect(availableOf({ quantities: [{ name: 'on_hand', quantity: 3 }] })).toBeNull();
	});
});

describe('query cost and page size', () => {
	it('targeted read: the estimated cost of the chosen page fits 1,000 points, one more item would not', () => {
		for (const levels of [1, 2, 10, 50, 250]) {
			const size = targetedPageSize(levels, 1_000);
			expect(targetedLevelsCost(size, levels)).toBeLessThanOrEqual(1_000);
			if (size < 250 && size > 1)
				expect(targetedLevelsCost(size + 1, levels)).toBeGreaterThan(1_000);
		}
		// 10 levels per item: 33 points an item.
		expect(targetedLevelsCost(1, 10)).toBe(TARGETED_FIXED_COST + 34);
	});

	it("Shopify's reported cost (no pageInfo) would grow the page past our estimate: why the read caps it", () => {
		const ours = targetedPageSize(2, 1_000);
		const grown = pageSizeFor(targetedLevelsCost(ours, 2) - ours, ours, 1_000, {
			fixedCost: TARGETED_FIXED_COST,
		});
		expect(grown).toBeGreaterThan(ours);
		expect(targetedLevelsCost(grown, 2)).toBeGreaterThan(1_000);
	});

	it('a poll listing page of 250 orders costs 253 points; a read by id fits 1,000 points', () => {
		expect(ordersSinceCost(ORDERS_LISTED_PER_PAGE)).toBe(253);
		const size = ordersByIdPageSize(1_000);
		expect(ordersByIdCost(size)).toBeLessThanOrEqual(1_000);
		expect(ordersByIdCost(size + 1)).toBeGreaterThan(1_000);
	});

	it('on a fake clock, the bucket makes a targeted page wait exactly for its missing points', () => {
		let now = 1_000_000;
		const bucket = new ShopifyBucket(() => now);
		bucket.update({
			throttleStatus: { maximumAvailable: 1_000, currentlyAvailable: 10, restoreRate: 100 },
		});
		const cost = targetedLevelsCost(targetedPageSize(2, 1_000), 2);
		const wait = bucket.waitMs(cost);
		expect(wait).toBeGreaterThanOrEqual(((cost - 10) / 100) * 1000);
		expect(wait).toBeLessThanOrEqual(((cost - 10) / 100) * 1000 + 2);
		now += wait;
		expect(bucket.waitMs(cost)).toBe(0);
	});

	it('SKU search terms are quoted and escaped', () => {
		expect(skuSearchQuery(['A-1', 'B "2"', 'C\\3'])).toBe(
			'sku:"A-1" OR sku:"B \\"2\\"" OR sku:"C\\\\3"',
		);
	});
});
