/**
 * The demo's shop: one catalogue of SKUs sold on a Shopify store (the simulator) and a WooCommerce store (the
 * other simulator), with the stock model of the templates' example profile (workflows/first-sync.json):
 *
 * - a warehouse the ledger owns, which Shopify also lists as location 1001 (Shopify's web orders draw from it;
 *   what Shopify shows there is the ledger's figure, written by Publish);
 * - a Shopify-owned store location 1002 (its POS sales and restocks are Shopify's own; WooCommerce sells from it
 *   too, so each WooCommerce sale is forwarded to Shopify as an adjustment);
 * - WooCommerce as a mirror showing warehouse + store, less a fixed buffer of 2.
 *
 * The location ids are the template's own (1001, 1002), so only the shop domains are substituted.
 */
import type { ShopifySimulator, WooCommerceSimulator } from '../test/simulators';

export const SHOPIFY_SHOP = 'demo-shop.myshopify.com';
export const WAREHOUSE_LOCATION = '1001';
export const STORE_LOCATION = '1002';
export const LEDGER_WAREHOUSE = 'ledger:warehouse';
export const WOO_BUFFER = 2;
/** Units per SKU at the start: the warehouse, the store. */
export const WAREHOUSE_START = 40;
export const STORE_START = 25;

export interface Catalogue {
	skus: string[];
	/** SKUs that are variations of a variable product on WooCommerce (its variations batch endpoint). */
	variations: Set<string>;
	/** Shopify inventory item id of a SKU. */
	itemOf: (sku: string) => string;
	/** WooCommerce product (or variation) id of a SKU. */
	wooIdOf: (sku: string) => string;
	/** SKUs whose WooCommerce stock is stale at the start (the first sync's diff). */
	staleOnWoo: string[];
}

/** `size` SKUs: one in ten a variation (ten per variable product). */
export function makeCatalogue(size: number): Catalogue {
	const skus = Array.from({ length: size }, (_, i) => `DEMO-${String(i + 1).padStart(4, '0')}`);
	const variations = new Set(skus.filter((_, i) => i % 10 === 9 || i >= size - size / 10));
	const items = new Map(skus.map((sku, i) => [sku, String(8_800_000_000 + i)]));
	return {
		skus,
		variations,
		itemOf: (sku) => items.get(sku)!,
		wooIdOf: () => {
			throw new Error('catalogue not seeded');
		},
		staleOnWoo: skus.filter((_, i) => i % 25 === 3),
	};
}

/**
 * Puts the catalogue into both simulators: Shopify items stocked at both locations; WooCommerce simple products
 * and variations (manage_stock) showing warehouse + store − buffer, except the stale ones (3 units more: what
 * an earlier manual edit left behind).
 */
export function seedSimulators(
	catalogue: Catalogue,
	shopify: ShopifySimulator,
	woo: WooCommerceSimulator,
): void {
	shopify.putLocation(WAREHOUSE_LOCATION, 'Warehouse');
	shopify.putLocation(STORE_LOCATION, 'Store');
	for (const sku of catalogue.skus) {
		shopify.putInventoryItem(catalogue.itemOf(sku), sku);
		shopify.setLevel(catalogue.itemOf(sku), WAREHOUSE_LOCATION, WAREHOUSE_START);
		shopify.setLevel(catalogue.itemOf(sku), STORE_LOCATION, STORE_START);
	}
	const stale = new Set(catalogue.staleOnWoo);
	const shown = (sku: string) =>
		WAREHOUSE_START + STORE_START - WOO_BUFFER + (stale.has(sku) ? 3 : 0);
	const wooIds = new Map<string, string>();
	const variationSkus = catalogue.skus.filter((s) => catalogue.variations.has(s));
	for (let p = 0; p < variationSkus.length; p += 10) {
		const parent = woo.putProduct({
			sku: `DEMO-PARENT-${p / 10 + 1}`,
			type: 'variable',
			manage_stock: false,
		});
		for (const sku of variationSkus.slice(p, p + 10)) {
			const v = woo.putProduct({
				sku,
				type: 'variation',
				parent_id: parent.id as bigint,
				manage_stock: true,
				stock_quantity: shown(sku),
			});
			wooIds.set(sku, String(v.id));
		}
	}
	for (const sku of catalogue.skus.filter((s) => !catalogue.variations.has(s))) {
		const product = woo.putProduct({ sku, manage_stock: true, stock_quantity: shown(sku) });
		wooIds.set(sku, String(product.id));
	}
	catalogue.wooIdOf = (sku) => wooIds.get(sku)!;
}

/** The example profile of the templates, for this demo's shops (what first-sync.json saves, live or not). */
export function demoProfile(wooShop: string, dryRun: boolean): object {
	const warehouseOnShopify = `shopify:${SHOPIFY_SHOP}:${WAREHOUSE_LOCATION}`;
	const store = `shopify:${SHOPIFY_SHOP}:${STORE_LOCATION}`;
	return {
		dryRun,
		locations: [
			{ id: LEDGER_WAREHOUSE, owner: 'ledger', aliases: [warehouseOnShopify] },
			// What WooCommerce sells beyond the store ships from the warehouse (docs/ledger.md, shortfall cover).
			{ id: store, owner: 'shopify', coverShortfallFrom: LEDGER_WAREHOUSE },
		],
		channels: [
			{
				name: 'shopify',
				platform: 'shopify',
				shop: SHOPIFY_SHOP,
				salesLocation: LEDGER_WAREHOUSE,
				places: [{ id: warehouseOnShopify, shows: [LEDGER_WAREHOUSE] }],
			},
			{
				name: 'woocommerce',
				platform: 'woocommerce',
				shop: wooShop,
				salesLocation: store,
				places: [{ id: wooPlace(wooShop), shows: [LEDGER_WAREHOUSE, store] }],
				buffer: { type: 'fixed', value: WOO_BUFFER },
			},
		],
	};
}

export const wooPlace = (wooShop: string) => `woocommerce:${wooShop}:default`;
export const storePlace = () => `shopify:${SHOPIFY_SHOP}:${STORE_LOCATION}`;
export const warehousePlace = () => `shopify:${SHOPIFY_SHOP}:${WAREHOUSE_LOCATION}`;
