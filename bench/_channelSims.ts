/**
 * Child process of bench/channels.ts: the Shopify and WooCommerce simulators, in their own process so that
 * the benchmark's CPU figure is ours alone. Seeds the catalogues from argv, prints `READY <json ports>`, then
 * answers `stats` on stdin with one JSON line (calls, points, Throttled answers) and exits on `stop`.
 */
import { createInterface } from 'node:readline';
import { ShopifySimulator } from '../test/simulators/shopify';
import { LeakyCostBucket } from '../test/simulators/shopifyCost';
import { WooCommerceSimulator } from '../test/simulators/woocommerce';

async function main() {
	const args = JSON.parse(process.argv[2]) as {
		shop: string;
		location: string;
		shopifyItems: number;
		bucketSize: number;
		restoreRate: number;
		wooSimple: number;
		wooParents: number;
		wooVariationsPerParent: number;
	};
	const shopify = new ShopifySimulator({
		shop: args.shop,
		webhookSecret: 'shpss_bench',
		inventoryWebhooks: false,
		costBucket: new LeakyCostBucket(args.bucketSize, args.restoreRate),
	});
	shopify.putLocation(args.location, 'Warehouse');
	for (let i = 0; i < args.shopifyItems; i++) {
		shopify.putInventoryItem(String(46_000_000_000 + i), `B-${i}`);
		shopify.setLevel(String(46_000_000_000 + i), args.location, 0);
	}
	const woo = new WooCommerceSimulator({
		consumerKey: 'ck_bench',
		consumerSecret: 'cs_bench',
		echoProductUpdates: false,
	});
	for (let i = 0; i < args.wooSimple; i++)
		woo.putProduct({
			id: 100_000 + i,
			sku: `B-${i}`,
			type: 'simple',
			manage_stock: true,
			stock_quantity: 0,
		});
	let next = args.wooSimple;
	for (let p = 0; p < args.wooParents; p++) {
		const parent = 900_000 + p;
		woo.putProduct({ id: parent, sku: `P-${p}`, type: 'variable', manage_stock: false });
		for (let v = 0; v < args.wooVariationsPerParent; v++, next++)
			woo.putProduct({
				id: 200_000 + next,
				sku: `B-${next}`,
				type: 'variation',
				parent_id: parent,
				manage_stock: true,
				stock_quantity: 0,
			});
	}
	await Promise.all([shopify.start(), woo.start()]);
	process.stdout.write(`READY ${JSON.stringify({ shopify: shopify.baseUrl, woo: woo.baseUrl })}\n`);
	for await (const line of createInterface({ input: process.stdin })) {
		if (line === 'stats') {
			const graphql = shopify.log.filter((e) => e.op === 'graphql');
			const stats = {
				shopifyCalls: shopify.mutationCalls('inventorySetQuantities').length,
				shopifyRequests: graphql.length,
				throttled: graphql.filter((e) => (e as { rejected?: string }).rejected === 'THROTTLED')
					.length,
				points: graphql.reduce(
					(s, e) => s + Number((e as { requestedQueryCost?: number }).requestedQueryCost ?? 0),
					0,
				),
				wooBatchCalls: woo.countCalls(/batch/),
				woo429: woo.countCalls(undefined, 429),
				sampleShopify: shopify.level(String(46_000_000_000 + 7), args.location)?.available,
				sampleWoo: woo.getProduct(100_007)?.stock_quantity,
			};
			process.stdout.write(`STATS ${JSON.stringify(stats)}\n`);
		} else if (line === 'stop') break;
	}
	await Promise.all([shopify.stop(), woo.stop()]);
}

main().catch((error) => {
	process.stderr.write(String(error?.stack ?? error));
	process.exit(1);
});
