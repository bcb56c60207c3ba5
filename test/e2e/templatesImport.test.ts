/**
 * Every workflow template (workflows/*.json, globbed: the folder is the list) imports into a real n8n 2.41.1 with
 * `n8n import:workflow` and activates with `n8n publish:workflow` — the CLI a self-hosted user runs — with the
 * three credentials of the templates (fixed ids and names) imported by `n8n import:credentials` and pointing at
 * the platform simulators. n8n then starts with every workflow active: no "Unrecognized node type", no
 * activation error, the real-time template's webhooks registered with both simulators.
 *
 * Only the node-type prefix is rewritten (the package is loaded through N8N_CUSTOM_EXTENSIONS: templateSupport.ts).
 * Schedules are left as they are; this test ends before a minute passes, and nothing it checks depends on a
 * scheduled run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ShopifySimulator, WooCommerceSimulator } from '../simulators';
import { TEST_REDIS, deleteByPrefix, testClient, uniquePrefix, waitFor } from '../support';
import {
	PACKAGE_NODE_PREFIX,
	TEMPLATE_CREDENTIALS,
	TEMPLATE_WEBHOOK_IDS,
	loadTemplate,
	startWithTemplates,
	templateCredentials,
	templateFiles,
	type TemplateN8n,
	type Workflow,
} from './templateSupport';

jest.setTimeout(300_000);

const SHOPIFY_SECRET = 'templates-import-shopify';
const WOO_SECRET = 'templates-import-woo';
const PREFIX = uniquePrefix('tmplimport');

let shopify: ShopifySimulator;
let woo: WooCommerceSimulator;
let started: TemplateN8n | undefined;
let templates: Workflow[];

beforeAll(async () => {
	shopify = new ShopifySimulator({
		shop: 'import-shop.myshopify.com',
		webhookSecret: SHOPIFY_SECRET,
	});
	woo = new WooCommerceSimulator({ consumerKey: 'ck_import', consumerSecret: 'cs_import' });
	await Promise.all([shopify.start(), woo.start()]);
	templates = templateFiles().map((file) => loadTemplate(file, { active: true }));
	started = await startWithTemplates({
		workflows: templates,
		activateVia: 'cli',
		credentials: templateCredentials({
			redis: { host: TEST_REDIS.host, port: TEST_REDIS.port, keyPrefix: PREFIX },
			shopify: {
				shopDomain: shopify.baseUrl,
				accessToken: 'shpat_test',
				webhookSecret: SHOPIFY_SECRET,
			},
			woocommerce: {
				siteUrl: woo.baseUrl,
				consumerKey: 'ck_import',
				consumerSecret: 'cs_import',
				webhookSecret: WOO_SECRET,
			},
		}),
	});
});

afterAll(async () => {
	await started?.stop();
	await shopify?.stop();
	await woo?.stop();
	const redis = testClient();
	await deleteByPrefix(redis, PREFIX);
	await redis.quit();
});

it('the template files are n8n workflow exports: fixed id, inactive, no pinned data, no secret, credentials by the fixed ids and names', () => {
	const files = templateFiles();
	expect(files.map((f) => path.basename(f))).toEqual(
		expect.arrayContaining([
			'realtime-sync.json',
			'catch-up-poll.json',
			'dead-letter-replay.json',
			'sync-monitor.json',
		]),
	);
	const known = new Map<string, { id: string; name: string }>(
		Object.values(TEMPLATE_CREDENTIALS).map((c) => [c.type, { id: c.id, name: c.name }]),
	);
	for (const file of files) {
		const text = fs.readFileSync(file, 'utf8');
		const raw = JSON.parse(text) as Workflow;
		const where = path.basename(file);
		expect([where, typeof raw.id, raw.active]).toEqual([where, 'string', false]);
		expect([where, raw.pinData]).toEqual([where, undefined]);
		expect([where, raw.nodes.some((n) => n.type === 'n8n-nodes-base.stickyNote')]).toEqual([
			where,
			true,
		]);
		// Our nodes by the installed package's type names; every credential reference is one of the three.
		for (const node of raw.nodes) {
			expect([where, String(node.type)]).not.toEqual([where, expect.stringMatching(/^CUSTOM\./)]);
			const creds = (node.credentials ?? {}) as Record<string, { id: string; name: string }>;
			for (const [type, ref] of Object.entries(creds))
				expect([where, node.name, type, ref]).toEqual([where, node.name, type, known.get(type)]);
		}
		expect(raw.nodes.some((n) => String(n.type).startsWith(PACKAGE_NODE_PREFIX))).toBe(true);
		// No secret: nothing that looks like a token, key or password value.
		expect([
			where,
			text.match(/shpat_|shpss_|ck_[0-9a-f]{8,}|cs_[0-9a-f]{8,}|"password"\s*:/g),
		]).toEqual([where, null]);
	}
});

it('every template imports with n8n import:workflow, publishes with n8n publish:workflow and is active after start, no node type missing', async () => {
	const n8n = started!.n8n;
	expect(n8n.timings['cli.import:workflow']).toBeGreaterThan(0);
	expect(n8n.timings['cli.publish:workflow']).toBeGreaterThan(0);
	for (const wf of templates) {
		const stored = await n8n.api<{ id: string; active: boolean; nodes: Array<{ type: string }> }>(
			'GET',
			`/workflows/${wf.id}`,
		);
		expect([wf.id, stored.active]).toEqual([wf.id, true]);
		expect(stored.nodes.length).toBe(wf.nodes.length);
	}
	const log = n8n.logs();
	expect(log).not.toMatch(/Unrecognized node type/i);
	expect(log).not.toMatch(/problem activating|could not be activated|Issues? (were|was) found/i);
});

it('the real-time template registered its webhooks with both platforms on activation (Manage Subscriptions)', async () => {
	const n8n = started!.n8n;
	const shopifyUrl = n8n.webhookUrl(TEMPLATE_WEBHOOK_IDS.shopify, 'webhook');
	const wooUrl = n8n.webhookUrl(TEMPLATE_WEBHOOK_IDS.woocommerce, 'webhook');
	expect(await n8n.webhookMethods(`${TEMPLATE_WEBHOOK_IDS.shopify}/webhook`)).toContain('POST');
	expect(await n8n.webhookMethods(`${TEMPLATE_WEBHOOK_IDS.woocommerce}/webhook`)).toContain('POST');
	// n8n registers a published workflow's webhooks in its own table first and calls the trigger's checkExists /
	// create hooks (the platforms' subscriptions) right after, while the server already answers: wait for them.
	const topics = () => ({
		shopify: shopify.subscriptions
			.filter((s) => s.uri === shopifyUrl)
			.map((s) => s.restTopic)
			.sort(),
		woo: [...woo.webhooks.values()]
			.filter((w) => w.deliveryUrl === wooUrl && w.status === 'active')
			.map((w) => w.topic)
			.sort(),
	});
	const registered = await waitFor(
		topics,
		(t) => t.shopify.length === 7 && t.woo.length === 3,
		30_000,
		'subscriptions registered',
	);
	expect(registered.shopify).toEqual([
		'inventory_items/update',
		'inventory_levels/update',
		'orders/cancelled',
		'orders/create',
		'orders/updated',
		'products/update',
		'refunds/create',
	]);
	expect(registered.woo).toEqual(['order.created', 'order.updated', 'product.updated']);
});
