/**
 * The demo's checks, SKU by SKU: the ledger counted every sale once (its quantities equal those computed from
 * the orders the simulators accepted), Shopify shows at the warehouse location what the ledger makes available
 * there and at the store the ledger's store figure, WooCommerce shows the ledger's availability for its place.
 */
import type Redis from 'ioredis';
import { ledgerView } from '../test/e2e/channelsSupport';
import type { ShopifySimulator, WooCommerceSimulator } from '../test/simulators';
import {
	LEDGER_WAREHOUSE,
	STORE_LOCATION,
	WAREHOUSE_LOCATION,
	WOO_BUFFER,
	storePlace,
	warehousePlace,
	wooPlace,
	type Catalogue,
} from './catalogue';

export interface Agreement {
	skus: number;
	/** SKUs whose ledger figures equal the expected ones (only when expected figures are given). */
	ledgerEqual: number;
	shopifyEqual: number;
	wooEqual: number;
	/** SKUs equal everywhere. */
	allEqual: number;
	/** Up to 10 disagreements, described. */
	examples: string[];
}

export async function compare(
	redis: Redis,
	prefix: string,
	catalogue: Catalogue,
	shopify: ShopifySimulator,
	woo: WooCommerceSimulator,
	wooShop: string,
	expected?: { warehouse: Map<string, number>; store: Map<string, number> },
): Promise<Agreement> {
	const view = await ledgerView(redis, prefix, catalogue.skus);
	const out: Agreement = {
		skus: catalogue.skus.length,
		ledgerEqual: 0,
		shopifyEqual: 0,
		wooEqual: 0,
		allEqual: 0,
		examples: [],
	};
	const wooKey = `woocommerce ${wooPlace(wooShop)}`;
	const shopifyKey = `shopify ${warehousePlace()}`;
	for (const sku of catalogue.skus) {
		const l = view.get(sku);
		const problems: string[] = [];
		const warehouse = l?.quantities[LEDGER_WAREHOUSE];
		const store = l?.quantities[storePlace()];
		if (expected) {
			const wantW = expected.warehouse.get(sku);
			const wantS = expected.store.get(sku);
			if (warehouse !== wantW) problems.push(`ledger warehouse ${warehouse} ≠ ${wantW}`);
			if (store !== wantS) problems.push(`ledger store ${store} ≠ ${wantS}`);
			const pending = Object.values(l?.pending ?? {}).reduce((a, b) => a + Math.abs(b), 0);
			if (pending !== 0) problems.push(`${pending} units still being forwarded`);
			if (l && l.available[wooKey] !== Math.max(0, wantW! + wantS! - WOO_BUFFER))
				problems.push(`ledger WooCommerce figure ${l.available[wooKey]}`);
			if (problems.length === 0) out.ledgerEqual++;
		}
		const item = catalogue.itemOf(sku);
		const shopW = shopify.level(item, WAREHOUSE_LOCATION)?.available;
		const shopS = shopify.level(item, STORE_LOCATION)?.available;
		const shopifyOk = l !== undefined && shopW === l.available[shopifyKey] && shopS === store;
		if (shopifyOk) out.shopifyEqual++;
		else
			problems.push(
				`Shopify ${shopW}/${shopS} ≠ ledger ${l?.available[shopifyKey]}/${String(store)}`,
			);
		const wooStock = Number(woo.getProduct(catalogue.wooIdOf(sku))?.stock_quantity);
		const wooOk = l !== undefined && wooStock === l.available[wooKey];
		if (wooOk) out.wooEqual++;
		else problems.push(`WooCommerce ${wooStock} ≠ ledger ${l?.available[wooKey]}`);
		if (problems.length === 0) out.allEqual++;
		else if (out.examples.length < 10) out.examples.push(`${sku}: ${problems.join('; ')}`);
	}
	return out;
}
