/**
 * Child process of publishRace.test.ts: a second n8n worker draining the same channel. Runs Publish again and
 * again until the parent sets `<prefix>:stop`, then once more (the scheduled sweep), and prints its tally.
 * Argument: JSON { prefix, baseUrl, shop }.
 */
import { drainPublish } from '../../nodes/shared/channel/publish';
import { ShopifyBucket } from '../../nodes/shared/pacing';
import { ShopifyStockWriter } from '../../nodes/ShopifyInventory/stock/writer';
import { ShopifyGraphqlClient } from '../../nodes/ShopifyInventory/transport/graphqlClient';
import { testClient } from '../support';
import { testApiContext } from '../support/apiContext';

async function main() {
	const args = JSON.parse(process.argv[2]) as { prefix: string; baseUrl: string; shop: string };
	const redis = testClient();
	const client = new ShopifyGraphqlClient(
		testApiContext({
			shopify: {
				shopDomain: args.baseUrl,
				authentication: 'accessToken',
				accessToken: 'shpat_test',
			},
		}),
		new ShopifyBucket(),
	);
	const tally = { drains: 0, written: 0, calls: 0, leaseBusy: 0, deadLettered: 0 };
	const drain = async () => {
		const report = await drainPublish(redis, args.prefix, {
			run: {
				redis,
				prefix: args.prefix,
				channel: 'shop',
				platform: 'shopify',
				deadline: Date.now() + 20_000,
			},
			writer: new ShopifyStockWriter(client, redis, args.prefix, args.shop),
			lease: { ttlMs: 5_000, maxWaitMs: 0 },
		});
		tally.drains++;
		tally.written += report.written;
		tally.calls += report.calls;
		tally.deadLettered += report.deadLettered;
		if (report.leaseBusy) tally.leaseBusy++;
	};
	process.stdout.write('READY\n');
	while ((await redis.exists(`${args.prefix}:stop`)) === 0) await drain();
	await drain();
	process.stdout.write(`TALLY ${JSON.stringify(tally)}\n`);
	await redis.quit();
}

main().catch((error) => {
	process.stderr.write(String(error?.stack ?? error));
	process.exit(1);
});
