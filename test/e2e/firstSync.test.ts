/**
 * The first-sync template (workflows/first-sync.json) in a real n8n 2.41.1 (issue 18, e2e 5): imported as a
 * user imports it (only credentials, shop domains and location ids swapped for the test's), run once by hand on
 * a seeded catalogue — it saves the example profile in dry run, reads both simulators, builds the SKU map, seeds
 * the ledger from the owners and reports blank and duplicate SKUs and each channel's diff. Nothing may be written
 * to either simulator (their operation logs show no write), and the report must say exactly what was seeded.
 * Then the user's "go live" step: the profile's dryRun switched off in Save Profile, the workflow run again —
 * the channels get exactly the reported diff, nothing more.
 *
 * `INVSYNC_E2E_DIST` may name another build of the package (default: a snapshot of the repo's dist/).
 */
import Redis from 'ioredis';
import { LeakyCostBucket, ShopifySimulator, WooCommerceSimulator, idString } from '../simulators';
import { ledgerKeys } from '../../nodes/shared/keys';
import { getSkus } from '../../nodes/InventoryLedger/ledger';
import { deleteByPrefix, TEST_REDIS } from '../support';
import {
	TEMPLATE_PLACEHOLDERS as P,
	TEMPLATE_WORKFLOW_IDS,
	loadTemplate,
	nodeNamed,
	startWithTemplates,
	templateCredentials,
	type TemplateN8n,
} from './templateSupport';
import { addWebhookStart, firstItem, outcome, runOnce, type ManualStart } from './manualStart';

jest.setTimeout(300_000);

/** A report item read back from n8n (JSON): its nested fields are read as the template writes them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Report = Record<string, any>;

const PREFIX = `e2efirstsync${process.pid}`;
const SHOP = 'first-sync.myshopify.com';
const LOC_W = '71001';
const LOC_S = '71002';
const WH = 'ledger:warehouse';
const SHOPIFY_SECRET = 'first-sync-shopify';
const WOO_SECRET = 'first-sync-woo';
const BUFFER = 2;
const ID = TEMPLATE_WORKFLOW_IDS.firstSync;

/** Eight SKUs in both shops; Shopify lists them at the warehouse (W) and the store (S). */
const BOTH = Array.from({ length: 8 }, (_, i) => `FS-0${i}`);
const itemOf = (sku: string) => String(8_800_000_000 + BOTH.indexOf(sku));
const levelW = (i: number) => 10 + i;
const levelS = (i: number) => 3 + 2 * i;
/** What WooCommerce shows, off the ledger's value by this much (0: already right). */
const WOO_OFF: Record<string, number | 'zero'> = { 'FS-01': 3, 'FS-02': -5, 'FS-03': 'zero' };
/** Stocked only at the Shopify store, not in WooCommerce at all. */
const STORE_ONLY = { sku: 'FS-STORE', item: '8800000100', s: 6 };
/** Two Shopify items with one SKU (no stock anywhere), one without SKU. */
const DUP_ITEMS = ['8800000200', '8800000201'];
const BLANK_ITEM = '8800000300';

let t: TemplateN8n;
let shopify: ShopifySimulator;
let woo: WooCommerceSimulator;
let redis: Redis;
let start: ManualStart;
let wooShop: string;
let wooPlace: string;
const wooIds: Record<string, string> = {};
let wooBlankId: string;
let wooDupIds: string[];

function seed(): void {
	shopify.putLocation(LOC_W, 'Warehouse');
	shopify.putLocation(LOC_S, 'Store');
	BOTH.forEach((sku, i) => {
		shopify.putInventoryItem(itemOf(sku), sku);
		shopify.setLevel(itemOf(sku), LOC_W, levelW(i));
		shopify.setLevel(itemOf(sku), LOC_S, levelS(i));
		const right = levelW(i) + levelS(i) - BUFFER;
		const off = WOO_OFF[sku];
		const shown = off === undefined ? right : off === 'zero' ? 0 : right + off;
		const p = woo.putProduct({ sku, manage_stock: true, stock_quantity: shown });
		wooIds[sku] = idString(p.id as bigint);
	});
	shopify.putInventoryItem(STORE_ONLY.item, STORE_ONLY.sku);
	shopify.setLevel(STORE_ONLY.item, LOC_S, STORE_ONLY.s);
	for (const id of DUP_ITEMS) shopify.putInventoryItem(id, 'FS-DUP');
	shopify.putInventoryItem(BLANK_ITEM, null);
	shopify.setLevel(BLANK_ITEM, LOC_S, 4);
	wooDupIds = [1, 2].map((n) =>
		idString(
			woo.putProduct({ sku: 'FS-WDUP', manage_stock: true, stock_quantity: n }).id as bigint,
		),
	);
	wooBlankId = idString(
		woo.putProduct({ sku: '', manage_stock: true, stock_quantity: 3 }).id as bigint,
	);
}

/** What a simulator's write log holds: Shopify mutations other than the bulk read, WooCommerce writes. */
function writes(): { shopify: string[]; woo: string[] } {
	return {
		shopify: shopify
			.mutationCalls()
			.map((e) => String(e.name))
			.filter((name) => name !== 'bulkOperationRunQuery'),
		woo: woo.log
			.filter((e) => e.op === 'rest' && !/^GET /.test(e.name))
			.map((e) => `${e.name} ${String(e.status)}`),
	};
}

function levelsNow(): Record<string, unknown> {
	return {
		shopify: [...BOTH, STORE_ONLY.sku].map((sku) => [
			shopify.level(sku === STORE_ONLY.sku ? STORE_ONLY.item : itemOf(sku), LOC_W)?.available,
			shopify.level(sku === STORE_ONLY.sku ? STORE_ONLY.item : itemOf(sku), LOC_S)?.available,
		]),
		woo: [...woo.products.values()].map((p) => [p.sku, p.stock_quantity]),
	};
}

beforeAll(async () => {
	redis = new Redis({ host: TEST_REDIS.host, port: TEST_REDIS.port, lazyConnect: true });
	await redis.connect();
	shopify = new ShopifySimulator({
		shop: SHOP,
		webhookSecret: SHOPIFY_SECRET,
		costBucket: new LeakyCostBucket(),
		salesLocationId: LOC_W,
		accessToken: 'shpat_first_sync',
	});
	woo = new WooCommerceSimulator({ consumerKey: 'ck_first', consumerSecret: 'cs_first' });
	await Promise.all([shopify.start(), woo.start()]);
	wooShop = new URL(woo.baseUrl).host.toLowerCase();
	wooPlace = `woocommerce:${wooShop}:default`;
	seed();
	const wf = loadTemplate('first-sync.json', {
		// Location ids first: the WooCommerce host (a loopback port) may contain their digits.
		replace: [
			[P.shopifyWarehouseLocation, LOC_W],
			[P.shopifyStoreLocation, LOC_S],
			[P.shopifyShop, SHOP],
			[P.wooShop, wooShop],
		],
	});
	start = addWebhookStart(wf, 'Run First Sync', `first-sync-${process.pid}`);
	t = await startWithTemplates({
		engine: 'legacy',
		activateVia: 'api',
		workflows: [wf],
		credentials: templateCredentials({
			redis: { host: TEST_REDIS.host, port: TEST_REDIS.port, keyPrefix: PREFIX },
			shopify: {
				shopDomain: shopify.baseUrl,
				accessToken: 'shpat_first_sync',
				webhookSecret: SHOPIFY_SECRET,
			},
			woocommerce: {
				siteUrl: woo.baseUrl,
				consumerKey: 'ck_first',
				consumerSecret: 'cs_first',
				webhookSecret: WOO_SECRET,
			},
		}),
	});
});

afterAll(async () => {
	await t?.stop();
	await shopify?.stop();
	await woo?.stop();
	if (redis) {
		await deleteByPrefix(redis, PREFIX);
		await redis.quit();
	}
});

const sortBy = <T extends Record<string, unknown>>(list: T[], key: keyof T) =>
	[...list].sort((a, b) => String(a[key]).localeCompare(String(b[key])));

/** The WooCommerce diff the seed makes: SKUs whose shown stock is off, and the store-only SKU. */
function expectedWooChanges(): Array<Record<string, unknown>> {
	const out: Array<Record<string, unknown>> = [];
	BOTH.forEach((sku, i) => {
		const right = levelW(i) + levelS(i) - BUFFER;
		const off = WOO_OFF[sku];
		if (off === undefined) return;
		out.push({
			sku,
			place: wooPlace,
			shows: off === 'zero' ? 0 : right + off,
			wouldShow: right,
		});
	});
	out.push({ sku: STORE_ONLY.sku, place: wooPlace, shows: null, wouldShow: STORE_ONLY.s - BUFFER });
	return sortBy(out, 'sku');
}

it('first sync in dry run: writes nothing to either simulator and reports the seeded diff, blank and duplicate SKUs exactly', async () => {
	const before = levelsNow();
	const run = await runOnce(t.n8n, ID, start);
	expect(outcome(run)).toEqual({ status: 'success', error: null });
	const report = firstItem(t.n8n, run, 'First Sync Report') as Report;
	// The report a user reads, printed for the CI log.
	// eslint-disable-next-line no-console
	console.log(`first sync report: ${JSON.stringify(report)}`);

	// Nothing written: no inventory mutation at Shopify, no write request at WooCommerce, every level as seeded.
	expect(writes()).toEqual({ shopify: [], woo: [] });
	expect(levelsNow()).toEqual(before);
	expect(report.dry_run).toBe(true);
	expect(report.written_to_channels).toBe(0);

	// What was read and seeded.
	expect(report.shopify).toEqual({
		inventory_items: BOTH.length + 1 + DUP_ITEMS.length + 1,
		levels_read: 2 * BOTH.length + 1,
		store_levels_seeded: BOTH.length + 1,
		warehouse_counts_seeded: BOTH.length,
	});
	expect(report.woocommerce).toEqual({
		records_read: BOTH.length + wooDupIds.length + 1,
		observations_recorded: BOTH.length + wooDupIds.length,
	});
	// Blank and duplicate SKUs: reported, never mapped to a guess.
	expect(report.blank_skus).toEqual({ shopify: [BLANK_ITEM], woocommerce: [wooBlankId] });
	expect(report.duplicate_skus.shopify).toHaveLength(1);
	expect(report.duplicate_skus.shopify[0].sku).toBe('FS-DUP');
	expect(DUP_ITEMS).toContain(report.duplicate_skus.shopify[0].inventoryItemId);
	expect(report.duplicate_skus.woocommerce).toHaveLength(1);
	expect(report.duplicate_skus.woocommerce[0].sku).toBe('FS-WDUP');
	expect(wooDupIds).toContain(report.duplicate_skus.woocommerce[0].id);

	// The diff: Shopify's warehouse location already shows the counts taken from it; WooCommerce is off where
	// the seed made it so, and lacks the store-only SKU.
	expect(report.diff.shopify).toEqual({
		skus: BOTH.length,
		unchanged: BOTH.length,
		would_write: 0,
		changes: [],
	});
	const wooChanges = expectedWooChanges();
	expect({
		...report.diff.woocommerce,
		changes: sortBy(report.diff.woocommerce.changes, 'sku'),
	}).toEqual({
		skus: BOTH.length + 1,
		unchanged: BOTH.length + 1 - wooChanges.length,
		would_write: wooChanges.length,
		changes: wooChanges,
	});

	// The ledger holds the owners' numbers: the store's levels at Shopify's own versions, the warehouse counts.
	const { states } = await getSkus(redis, PREFIX, [...BOTH, STORE_ONLY.sku]);
	BOTH.forEach((sku, i) => {
		const s = states.find((x) => x.sku === sku)!;
		expect([sku, s.quantities[WH], s.quantities[`shopify:${SHOP}:${LOC_S}`]]).toEqual([
			sku,
			levelW(i),
			levelS(i),
		]);
	});
	expect(await redis.zcard(ledgerKeys.dirty(PREFIX, 'woocommerce'))).toBe(BOTH.length + 1);
});

it('going live: dryRun off in Save Profile, run again → each channel gets exactly the reported diff', async () => {
	// The user's step from the template's note, done through n8n's API as the editor would save it.
	const stored = await t.n8n.api<Record<string, unknown>>('GET', `/workflows/${ID}`);
	const wf = stored as Parameters<typeof nodeNamed>[0];
	const save = nodeNamed(wf, 'Save Profile');
	save.parameters.profileJson = String(save.parameters.profileJson).replace(
		'"dryRun": true',
		'"dryRun": false',
	);
	await t.n8n.api('PUT', `/workflows/${ID}`, {
		name: wf.name,
		nodes: wf.nodes,
		connections: wf.connections,
		settings: { executionOrder: 'v1' },
	});
	// n8n 2.x runs the published version: publish the saved one (the editor's Publish button).
	await t.n8n.activate(ID);
	const wooWritesBefore = woo.countCalls(/^(PUT|POST) \/products/);
	const run = await runOnce(t.n8n, ID, start);
	expect(outcome(run)).toEqual({ status: 'success', error: null });
	const report = firstItem(t.n8n, run, 'First Sync Report') as Report;
	expect(report.dry_run).toBe(false);
	const shopifyPublish = firstItem(t.n8n, run, 'Shopify Publish (Dry Run)');
	const wooPublish = firstItem(t.n8n, run, 'WooCommerce Publish (Dry Run)');
	const wooChanges = expectedWooChanges().filter((c) => c.sku !== STORE_ONLY.sku);
	// Shopify: nothing to write. WooCommerce: the off SKUs; the store-only SKU has no product there (unmapped).
	expect([shopifyPublish.written, shopify.mutationCalls('inventorySetQuantities').length]).toEqual([
		0, 0,
	]);
	expect([wooPublish.written, wooPublish.unmapped]).toEqual([wooChanges.length, 1]);
	expect(woo.countCalls(/^(PUT|POST) \/products/) - wooWritesBefore).toBe(1);
	for (const c of wooChanges)
		expect([c.sku, Number(woo.getProduct(wooIds[String(c.sku)])!.stock_quantity)]).toEqual([
			c.sku,
			c.wouldShow,
		]);
	expect(writes().shopify).toEqual([]);
});
