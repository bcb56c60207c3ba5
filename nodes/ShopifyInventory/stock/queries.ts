/**
 * The GraphQL documents of Publish and Adjust, and their requested costs as Shopify calculates them
 * (shopify.dev "API rate limits": a mutation 10 points; an object 1; scalars and enums 0), so the bucket is
 * asked for the right amount before sending.
 */

export interface UserError {
	code?: string | null;
	field?: string[] | null;
	message: string;
}

export const SET_QUANTITIES = `mutation PublishStock($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { createdAt }
    userErrors { code field message }
  }
}`;

/** 10 for the mutation, 1 for the adjustment group, 1 for the userErrors objects. */
export function setQuantitiesCost(): number {
	return 12;
}

export const ADJUST_QUANTITIES = `mutation ForwardSales($input: InventoryAdjustQuantitiesInput!, $key: String!) {
  inventoryAdjustQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup {
      createdAt
      changes(quantityNames: ["available"]) { name delta quantityAfterChange item { id } location { id } }
    }
    userErrors { code field message }
  }
}`;

/** 10 for the mutation, 1 the group, 1 per change (plus item and location objects), 1 the userErrors. */
export function adjustQuantitiesCost(changes: number): number {
	return 12 + changes * 3;
}

/** One aliased read of the `available` level per (item, location): `l<n>`. */
export function levelsQuery(targets: Array<{ itemGid: string; locationGid: string }>): {
	query: string;
	cost: number;
} {
	const parts = targets.map(
		(t, n) =>
			`l${n}: inventoryItem(id: ${JSON.stringify(t.itemGid)}) { inventoryLevel(locationId: ${JSON.stringify(t.locationGid)}) { updatedAt quantities(names: ["available"]) { name quantity updatedAt } } }`,
	);
	// Per alias: the item, its level and the quantities objects.
	return {
		query: `query RereadLevels {\n  ${parts.join('\n  ')}\n}`,
		cost: 1 + targets.length * 3,
	};
}
