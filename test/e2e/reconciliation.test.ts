/**
 * The nightly reconciliation template (workflows/nightly-reconciliation.json) in a real n8n 2.41.1 (issue 18,
 * e2e 3), after the first-sync template has set the shops up (its profile switched live, as its note says).
 * No real-time template runs here: every webhook the simulators send goes to a plain receiver that answers 200
 * and applies nothing — a dropped webhook, for our ledger. Drift is injected at the simulators:
 *   - a hand edit of a level at the owner (Shopify's store location, no webhook),
 *   - a mirror lowered and a mirror raised by hand, at WooCommerce and at Shopify's warehouse location,
 *   - a Shopify web order and a WooCommerce order whose webhooks were dropped,
 *   - a deleted Shopify subscription and a deleted WooCommerce webhook.
 * One run must repair every SKU (ledger = both simulators), count the drift exactly in its one report item and
 * re-create the subscriptions; a second run then finds nothing.
 *
 * `INVSYNC_E2E_DIST` may name another build of the package (default: a snapshot of the repo's dist/).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import Redis from 'ioredis';
import { LeakyCostBucket, ShopifySimulator, WooCommerceSimulator, idString } from '../simulators';
import { deleteByPrefix, TEST_REDIS } from '../support';
import { ledgerView } from './channelsSupport';
import {
	TEMPLATE_PLACEHOLDERS as P,
	TEMPLATE_WORKFLOW_IDS,
	disableNode,
	loadTemplate,
	startWithTemplates,
	templateCredentials,
	type TemplateN8n,
} from './templateSupport';
import { addWebhookStart, firstItem, outcome, runOnce, type ManualStart } from './manualStart';

jest.setTimeout(300_000);

/** A report item read back from n8n (JSON): its nested fields are read as the template writes them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Report = Record<string, any>;

const PREFIX = `e2erecon${process.pid}`;
const SHOP = 'nightly.myshopify.com';
const LOC_W = '81001';
const LOC_S = '81002';
const WH = 'ledger:warehouse';
const PLACE_W = `shopify:${SHOP}:${LOC_W}`;
const PLACE_S = `shopify:${SHOP}:${LOC_S}`;
const SHOPIFY_SECRET = 'nightly-shopify';
const WOO_SECRET = 'nightly-woo';
const CK = 'ck_nightly';
const CS = 'cs_nightly';
const SKUS = Array.from({ length: 10 }, (_, i) => `R-0${i}`);
const itemOf = (sku: string) => String(7_700_000_000 + SKUS.indexOf(sku));
const W0 = (i: number) => 20 + i;
const S0 = (i: number) => 5 + i;

let t: TemplateN8n;
let shopify: ShopifySimulator;
let woo: WooCommerceSimulator;
let redis: Redis;
let receiver: http.Server;
let receiverUrl: string;
let received = 0;
let firstSync: ManualStart;
let nightly: ManualStart;
let nightlyAsShipped: ManualStart;
const EXAMPLE_URLS_ID = 'invsyncNightlyEx';
let wooShop: string;
let wooPlace: string;
const wooIds: Record<string, string> = {};

/** Stands where the real-time template's Webhook Triggers would: answers 200, applies nothing. */
async function startReceiver(): Promise<void> {
	receiver = http.createServer((req, res) => {
		req.resume();
		req.on('end', () => {
			received++;
			res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
		});
	});
	await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
	receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
}

function seed(): void {
	shopify.putLocation(LOC_W, 'Warehouse');
	shopify.putLocation(LOC_S, 'Store');
	SKUS.forEach((sku, i) => {
		shopify.putInventoryItem(itemOf(sku), sku);
		shopify.setLevel(itemOf(sku), LOC_W, W0(i));
		shopify.setLevel(itemOf(sku), LOC_S, S0(i));
		// WooCommerce starts a little off: the first sync (live) sets it right.
		const p = woo.putProduct({ sku, manage_stock: true, stock_quantity: i % 3 === 0 ? 1 : 50 });
		wooIds[sku] = idString(p.id as bigint);
	});
}

/** A hand edit in wp-admin of a product's stock (the REST update WooCommerce's admin makes). */
async function wooAdminStock(sku: string, quantity: number): Promise<void> {
	const url = `${woo.restBase}/products/${wooIds[sku]}?consumer_key=${CK}&consumer_secret=${CS}`;
	const r = await fetch(url, {
		method: 'PUT',
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify({ stock_quantity: quantity }),
	});
	expect(r.status).toBe(200);
}

const wooStock = (sku: string) => Number(woo.getProduct(wooIds[sku])!.stock_quantity);
const shopifyAt = (sku: string, loc: string) => shopify.level(itemOf(sku), loc)!.available;

beforeAll(async () => {
	redis = new Redis({ host: TEST_REDIS.host, port: TEST_REDIS.port, lazyConnect: true });
	await redis.connect();
	await startReceiver();
	shopify = new ShopifySimulator({
		shop: SHOP,
		webhookSecret: SHOPIFY_SECRET,
		costBucket: new LeakyCostBucket(),
		salesLocationId: LOC_W,
		accessToken: 'shpat_nightly',
	});
	woo = new WooCommerceSimulator({ consumerKey: CK, consumerSecret: CS });
	await Promise.all([shopify.start(), woo.start()]);
	wooShop = new URL(woo.baseUrl).host.toLowerCase();
	wooPlace = `woocommerce:${wooShop}:default`;
	seed();
	// Location ids first: the WooCommerce host (a loopback port) may contain their digits.
	const replace: Array<[string, string]> = [
		[P.shopifyWarehouseLocation, LOC_W],
		[P.shopifyStoreLocation, LOC_S],
		[P.shopifyShop, SHOP],
		[P.wooShop, wooShop],
		['https://your-n8n.example.com', receiverUrl],
	];
	// The first sync as a user runs it after reading its dry-run report: profile live.
	const first = loadTemplate('first-sync.json', {
		replace: [...replace, ['"dryRun": true', '"dryRun": false']],
	});
	firstSync = addWebhookStart(first, 'Run First Sync', `recon-first-${process.pid}`);
	const night = loadTemplate('nightly-reconciliation.json', { replace });
	disableNode(night, 'Every Night at 02:00');
	nightly = addWebhookStart(night, 'Run Now', `recon-nightly-${process.pid}`);
	// A copy as a user might leave it: the example Delivery URLs not replaced.
	const asShipped = loadTemplate('nightly-reconciliation.json', {
		replace: replace.filter(([from]) => from !== 'https://your-n8n.example.com'),
		transform: (wf) => {
			wf.id = EXAMPLE_URLS_ID;
			wf.name = `${wf.name} (example URLs left in)`;
		},
	});
	disableNode(asShipped, 'Every Night at 02:00');
	nightlyAsShipped = addWebhookStart(asShipped, 'Run Now', `recon-shipped-${process.pid}`);
	t = await startWithTemplates({
		engine: 'legacy',
		activateVia: 'api',
		workflows: [first, night, asShipped],
		credentials: templateCredentials({
			redis: { host: TEST_REDIS.host, port: TEST_REDIS.port, keyPrefix: PREFIX },
			shopify: {
				shopDomain: shopify.baseUrl,
				accessToken: 'shpat_nightly',
				webhookSecret: SHOPIFY_SECRET,
			},
			woocommerce: {
				siteUrl: woo.baseUrl,
				consumerKey: CK,
				consumerSecret: CS,
				webhookSecret: WOO_SECRET,
			},
		}),
	});
});

afterAll(async () => {
	await t?.stop();
	await shopify?.stop();
	await woo?.stop();
	await new Promise((resolve) => receiver?.close(resolve));
	if (redis) {
		await deleteByPrefix(redis, PREFIX);
		await redis.quit();
	}
});

/** Runs the nightly template once; returns its Drift Report item. */
async function runNightly(
	workflowId: string = TEMPLATE_WORKFLOW_IDS.nightly,
	start: ManualStart = nightly,
): Promise<Report> {
	const run = await runOnce(t.n8n, workflowId, start);
	expect(outcome(run)).toEqual({ status: 'success', error: null });
	const report = firstItem(t.n8n, run, 'Drift Report');
	// eslint-disable-next-line no-console
	console.log(`drift report: ${JSON.stringify(report)}`);
	return report;
}

/** Every SKU: Shopify's warehouse location and store, and WooCommerce, show what the ledger computes. */
async function agreement(): Promise<string[]> {
	const view = await ledgerView(redis, PREFIX, SKUS);
	const off: string[] = [];
	for (const sku of SKUS) {
		const l = view.get(sku)!;
		const got = [shopifyAt(sku, LOC_W), shopifyAt(sku, LOC_S), wooStock(sku)];
		const want = [
			l.available[`shopify ${PLACE_W}`],
			l.quantities[PLACE_S],
			l.available[`woocommerce ${wooPlace}`],
		];
		if (JSON.stringify(got) !== JSON.stringify(want))
			off.push(`${sku}: shops ${JSON.stringify(got)} ≠ ledger ${JSON.stringify(want)}`);
	}
	return off;
}

it('drift injected at the simulators (hand edits, mirrors lowered and raised, dropped webhooks, deleted subscriptions) → one run repairs it and the report counts it exactly', async () => {
	// Setup as a user does it: first sync (live), then a first nightly run (creates the subscriptions).
	const setup = await runOnce(t.n8n, TEMPLATE_WORKFLOW_IDS.firstSync, firstSync);
	expect(outcome(setup)).toEqual({ status: 'success', error: null });
	const baseline = await runNightly();
	expect(baseline).toMatchObject({
		skus_checked: SKUS.length,
		drift: { shopify: 0, woocommerce: 0 },
		repaired: 0,
		unresolved: 0,
		dry_run: false,
		subscription_problems: [],
	});
	expect(await agreement()).toEqual([]);
	const shopifyTopics = shopify.subscriptions.length;
	const wooTopics = [...woo.webhooks.values()].filter((w) => w.status === 'active').length;
	expect([
		baseline.subscriptions_created.shopify,
		baseline.subscriptions_created.woocommerce,
	]).toEqual([shopifyTopics, wooTopics]);
	expect(shopifyTopics).toBeGreaterThan(0);
	expect(wooTopics).toBeGreaterThan(0);
	const view0 = await ledgerView(redis, PREFIX, SKUS);
	const wh0 = (sku: string) => view0.get(sku)!.quantities[WH];

	// The drift.
	shopify.setLevel(itemOf('R-01'), LOC_S, shopifyAt('R-01', LOC_S) + 7); // owner: hand edit, no webhook
	// R-03 was written by the first sync: its lower report holds the mirror until a later poll has finished.
	await wooAdminStock('R-03', wooStock('R-03') - 4); // mirror lowered by hand
	await wooAdminStock('R-02', wooStock('R-02') + 3); // mirror raised by hand
	shopify.setLevel(itemOf('R-04'), LOC_W, shopifyAt('R-04', LOC_W) + 5); // mirror raised by hand
	shopify.setLevel(itemOf('R-05'), LOC_W, shopifyAt('R-05', LOC_W) - 2); // mirror lowered by hand
	shopify.placeOrder({ lines: [{ sku: 'R-06', quantity: 2 }] }); // web order, its webhook dropped
	woo.placeOrder({ lines: [{ sku: 'R-07', quantity: 1 }] }); // order, its webhook dropped
	const shopifySub = shopify.subscriptions[0];
	expect(shopify.removeSubscription(shopifySub.id)).toBe(true);
	const wooHook = [...woo.webhooks.values()][0];
	woo.webhooks.delete(wooHook.id);
	await shopify.webhooksIdle();
	await woo.flushDeliveries();
	expect(received).toBeGreaterThan(0); // the webhooks went somewhere that applied nothing
	const before = await agreement();
	expect(before.map((line) => line.split(':')[0]).sort()).toEqual([
		'R-01',
		'R-02',
		'R-03',
		'R-04',
		'R-05',
		'R-06',
		'R-07',
	]);

	const report = await runNightly();
	expect(await agreement()).toEqual([]);
	expect(report).toMatchObject({
		skus_checked: SKUS.length,
		// Shopify's warehouse location: R-04 (raised) and R-05 (lowered). WooCommerce: R-01 (the store's new
		// level), R-03 (lowered), R-02 (raised), R-06 (the Shopify sale the poll found). R-07's sale was
		// WooCommerce's own: the poll counts it and Adjust forwards it to the store; no shop shows a wrong value.
		drift: { shopify: 2, woocommerce: 4 },
		repaired: 6,
		unresolved: 0,
		dead_letters: 0,
		owner_levels_changed: { shopify: 1 },
		order_lines_applied: { shopify: 1, woocommerce: 1 },
		adjusted: { shopify: 1 },
		subscriptions_created: { shopify: 1, woocommerce: 1 },
		subscription_problems: [],
		dry_run: false,
	});
	expect(typeof report.duration_s).toBe('number');
	// The sales counted once, where they drew; the hand-edited mirrors put back to the ledger's numbers.
	const view = await ledgerView(redis, PREFIX, SKUS);
	expect(view.get('R-06')!.quantities[WH]).toBe(wh0('R-06') - 2);
	expect(view.get('R-04')!.quantities[WH]).toBe(wh0('R-04'));
	expect(view.get('R-05')!.quantities[WH]).toBe(wh0('R-05'));
	expect(shopify.subscriptions.map((s) => s.topic).sort()).toContain(shopifySub.topic);
	expect([...woo.webhooks.values()].filter((w) => w.status === 'active')).toHaveLength(wooTopics);

	// Nothing left: a second run finds no drift and writes nothing.
	const again = await runNightly();
	expect(again).toMatchObject({
		drift: { shopify: 0, woocommerce: 0 },
		repaired: 0,
		unresolved: 0,
		subscriptions_created: { shopify: 0, woocommerce: 0 },
	});
	expect(await agreement()).toEqual([]);
});

it('the example Delivery URLs left in: nothing is subscribed there, the report names both, the check still runs', async () => {
	const shopifyBefore = shopify.subscriptions.length;
	const wooBefore = woo.webhooks.size;
	const report = await runNightly(EXAMPLE_URLS_ID, nightlyAsShipped);
	expect(report).toMatchObject({
		skus_checked: SKUS.length,
		drift: { shopify: 0, woocommerce: 0 },
		unresolved: 0,
		subscriptions_created: { shopify: 0, woocommerce: 0 },
	});
	expect(report.subscription_problems).toHaveLength(2);
	for (const problem of report.subscription_problems)
		expect(problem).toMatch(/Delivery URL is still the template's example address/);
	expect([shopify.subscriptions.length, woo.webhooks.size]).toEqual([shopifyBefore, wooBefore]);
	expect(shopify.subscriptions.filter((sub) => sub.uri.includes('example.com'))).toEqual([]);
});
