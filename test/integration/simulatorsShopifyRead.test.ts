/* eslint-disable @typescript-eslint/no-explicit-any -- GraphQL answers are untyped JSON read field by field */
import { ShopifySimulator } from '../simulators/shopify';

/* The Shopify simulator's reads: inventoryItems with search and cursor paging, item levels with quantities,
   nodes(ids:), with the documented query cost. */

const SECRET = 'shpss_read_secret';
const LOC_A = '71000000001';
const LOC_B = '71000000002';
const itemId = (n: number) => String(44_000_000_000_000 + n);
const itemGid = (n: number) => `gid://shopify/InventoryItem/${itemId(n)}`;

async function gql(
	sim: ShopifySimulator,
	query: string,
	variables: Record<string, unknown> = {},
): Promise<any> {
	const res = await fetch(sim.graphqlUrl(), {
		method: 'POST',
		headers: { 'Content-Type': 'application/json', 'X-Shopify-Access-Token': 'shpat_test' },
		body: JSON.stringify({ query, variables }),
	});
	expect(res.status).toBe(200);
	return res.json();
}

const ITEMS = /* GraphQL */ `
	query Items($first: Int!, $after: String, $query: String) {
		inventoryItems(first: $first, after: $after, query: $query) {
			pageInfo {
				hasNextPage
				endCursor
			}
			edges {
				node {
					id
					sku
					tracked
					updatedAt
					legacyResourceId
					inventoryLevels(first: 5) {
						pageInfo {
							hasNextPage
							endCursor
						}
						edges {
							node {
								id
								updatedAt
								location {
									id
								}
								item {
									id
								}
								quantities(names: ["available", "on_hand", "committed"]) {
									name
									quantity
									updatedAt
								}
							}
						}
					}
				}
			}
		}
	}
`;

describe('Shopify simulator: inventoryItems', () => {
	let sim: ShopifySimulator;
	let clock: number;

	beforeEach(async () => {
		clock = Date.parse('2026-03-01T10:00:00.000Z');
		sim = new ShopifySimulator({ webhookSecret: SECRET, now: () => clock });
		for (let n = 1; n <= 12; n++) {
			sim.putInventoryItem(itemId(n), n === 7 ? 'A B' : n === 8 ? "it's" : `SKU-${n}`);
			sim.setLevel(itemId(n), LOC_A, n);
			if (n % 2 === 0) sim.setLevel(itemId(n), LOC_B, 100 + n);
			clock += 1000;
		}
		await sim.start();
	});
	afterEach(() => sim.stop());

	it('pages every item exactly once by cursor, in id order, with pageInfo', async () => {
		const seen: string[] = [];
		let after: string | null = null;
		let pages = 0;
		for (;;) {
			const r: any = await gql(sim, ITEMS, { first: 5, after });
			expect(r.errors).toBeUndefined();
			const conn = r.data.inventoryItems;
			seen.push(...conn.edges.map((e: any) => e.node.id));
			pages++;
			if (!conn.pageInfo.hasNextPage) break;
			after = conn.pageInfo.endCursor;
		}
		expect(pages).toBe(3);
		expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => itemGid(i + 1)));
	});

	it('serves levels with location, item, quantities by name and ms updatedAt', async () => {
		const r = await gql(sim, ITEMS, { first: 1, query: 'sku:SKU-2' });
		const node = r.data.inventoryItems.edges[0].node;
		expect(node).toMatchObject({
			id: itemGid(2),
			sku: 'SKU-2',
			tracked: true,
			legacyResourceId: itemId(2),
			updatedAt: '2026-03-01T10:00:01Z',
		});
		const levels = node.inventoryLevels.edges.map((e: any) => e.node);
		expect(levels).toHaveLength(2);
		expect(levels[0]).toEqual({
			id: `gid://shopify/InventoryLevel/${LOC_A}?inventory_item_id=${itemId(2)}`,
			updatedAt: '2026-03-01T10:00:01Z',
			location: { id: `gid://shopify/Location/${LOC_A}` },
			item: { id: itemGid(2) },
			quantities: [
				{ name: 'available', quantity: 2, updatedAt: '2026-03-01T10:00:01Z' },
				{ name: 'on_hand', quantity: 2, updatedAt: '2026-03-01T10:00:01Z' },
				{ name: 'committed', quantity: 0, updatedAt: null },
			],
		});
		expect(levels[1].quantities[0].quantity).toBe(102);
		clock += 123;
		sim.setLevel(itemId(2), LOC_A, 5);
		const again = await gql(sim, ITEMS, { first: 1, query: 'sku:SKU-2' });
		expect(again.data.inventoryItems.edges[0].node.inventoryLevels.edges[0].node.updatedAt).toBe(
			new Date(clock).toISOString(),
		);
	});

	it('filters by sku terms joined by OR, with double- and single-quoted values', async () => {
		const skus = async (query: string) =>
			(await gql(sim, ITEMS, { first: 25, query })).data.inventoryItems.edges.map(
				(e: any) => e.node.sku,
			);
		expect(await skus('sku:SKU-3 OR sku:SKU-10 OR sku:nope')).toEqual(['SKU-3', 'SKU-10']);
		expect(await skus('sku:"A B" OR sku:SKU-5')).toEqual(['SKU-5', 'A B']);
		expect(await skus('sku:"it\'s"')).toEqual(["it's"]);
		expect(await skus("sku:'A B'")).toEqual(['A B']);
		expect(await skus('sku:sku-4')).toEqual(['SKU-4']);
		expect(await skus('sku:SKU-1')).toEqual(['SKU-1']);
	});

	it('filters by updated_at with > and >=', async () => {
		// item n was created (and last updated) at 10:00:00 + (n − 1) s
		const count = async (query: string) =>
			(await gql(sim, ITEMS, { first: 25, query })).data.inventoryItems.edges.length;
		expect(await count("updated_at:>'2026-03-01T10:00:09Z'")).toBe(2);
		expect(await count("updated_at:>='2026-03-01T10:00:09Z'")).toBe(3);
		expect(await count('updated_at:<2026-03-01T10:00:02Z')).toBe(2);
		sim.putInventoryItem(itemId(1), 'SKU-1-renamed');
		expect(await count("updated_at:>'2026-03-01T10:00:09Z'")).toBe(3);
	});

	it('charges the documented cost: 2 + first × (item + nested connection)', async () => {
		const r = await gql(sim, ITEMS, { first: 10 });
		// per level: 1 (node) + location 1 + item 1 + quantities 3 (one per name) = 6; connection 2 + 5 × 6 = 32
		// per item: 1 + 32 = 33; top connection 2 + 10 × 33 = 332
		expect(r.extensions.cost.requestedQueryCost).toBe(332);
		// actual: 10 items; levels 1 or 2 each
		const levels = r.data.inventoryItems.edges.reduce(
			(s: number, e: any) => s + e.node.inventoryLevels.edges.length,
			0,
		);
		expect(r.extensions.cost.actualQueryCost).toBe(2 + 10 * (1 + 2) + levels * 6);
	});

	it('refuses a query whose requested cost is above 1,000 points (MAX_COST_EXCEEDED)', async () => {
		const r = await gql(sim, ITEMS, { first: 31 }); // 2 + 31 × 33 = 1,025
		expect(r.data).toBeUndefined();
		expect(r.errors[0].extensions).toMatchObject({ code: 'MAX_COST_EXCEEDED', cost: 1025 });
	});

	it('refuses a page request without first or last', async () => {
		const r = await gql(sim, '{ inventoryItems(query: "sku:x") { edges { node { id } } } }');
		expect(r.errors[0].message).toBe('you must provide one of first or last');
	});
});

const NODES = /* GraphQL */ `
	query Resolve($ids: [ID!]!) {
		nodes(ids: $ids) {
			... on InventoryItem {
				id
				sku
			}
		}
	}
`;

describe('Shopify simulator: nodes(ids:)', () => {
	let sim: ShopifySimulator;

	beforeEach(async () => {
		sim = new ShopifySimulator({ webhookSecret: SECRET });
		for (let n = 1; n <= 300; n++) {
			sim.putInventoryItem(itemId(n), `SKU-${n}`);
			sim.setLevel(itemId(n), LOC_A, n);
		}
		await sim.start();
	});
	afterEach(() => sim.stop());

	it('resolves inventory items in the order asked, unknown ids and other types as null', async () => {
		const ids = [itemGid(3), itemGid(999), itemGid(1), `gid://shopify/Location/${LOC_A}`];
		const r = await gql(sim, NODES, { ids });
		expect(r.errors).toBeUndefined();
		expect(r.data.nodes).toEqual([
			{ id: itemGid(3), sku: 'SKU-3' },
			null,
			{ id: itemGid(1), sku: 'SKU-1' },
			{},
		]);
		// requested: 4 ids × 1 object each
		expect(r.extensions.cost.requestedQueryCost).toBe(4);
	});

	it('resolves other node types through fragments, and node(id:)', async () => {
		const r = await gql(
			sim,
			`query { nodes(ids: ["gid://shopify/InventoryLevel/${LOC_A}?inventory_item_id=${itemId(2)}", "gid://shopify/Location/${LOC_A}"]) {
				__typename
				... on InventoryLevel { quantities(names: ["available"]) { quantity } }
				... on Location { id }
			}
			node(id: "${itemGid(5)}") { ... on InventoryItem { sku } } }`,
		);
		expect(r.errors).toBeUndefined();
		expect(r.data.nodes).toEqual([
			{ __typename: 'InventoryLevel', quantities: [{ quantity: 2 }] },
			{ __typename: 'Location', id: `gid://shopify/Location/${LOC_A}` },
		]);
		expect(r.data.node).toEqual({ sku: 'SKU-5' });
	});

	it('resolves 250 ids in one call and refuses 251 with the input-size error, nothing charged', async () => {
		const ids = Array.from({ length: 250 }, (_, i) => itemGid(i + 1));
		const ok = await gql(sim, NODES, { ids });
		expect(ok.data.nodes).toHaveLength(250);
		expect(ok.data.nodes[249]).toEqual({ id: itemGid(250), sku: 'SKU-250' });
		const tooMany = await gql(sim, NODES, { ids: [...ids, itemGid(251)] });
		expect(tooMany.data).toBeUndefined();
		expect(tooMany.errors).toEqual([
			expect.objectContaining({
				message: 'The input array size of 251 is greater than the maximum allowed of 250.',
				path: ['nodes', 'ids'],
				extensions: { code: 'MAX_INPUT_SIZE_EXCEEDED' },
			}),
		]);
		expect(tooMany.extensions.cost.actualQueryCost).toBeNull();
	});

	it('answers a string that is no GID with an error', async () => {
		const r = await gql(sim, NODES, { ids: ['44000000000001'] });
		expect(r.errors[0].message).toBe("Invalid global id '44000000000001'");
	});
});
