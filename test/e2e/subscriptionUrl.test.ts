/**
 * The Webhook Trigger's Subscription URL option in a real n8n 2.41.1 (issue 19): with Manage Subscriptions on
 * and a Subscription URL set, activation registers THAT address with the platform (not n8n's own webhook URL)
 * and deactivation deletes those subscriptions — the way a shop is pointed at the Inventory Receiver.
 *
 * The address is a loopback HTTP endpoint of the test that records what reaches it and answers 200 (it stands
 * where the receiver's public URL would be). It is not the receiver itself on purpose: these tests are about
 * which address the trigger registers, so they can fail only for that (the receiver has its own tests, and
 * test/e2e/receiver.test.ts runs it behind the same pipeline). What the simulators then deliver to their
 * subscriptions arriving at that endpoint — and not at n8n — shows the platform was given the address.
 */
import * as http from 'node:http';
import { startN8n, type N8nInstance } from './harness';
import { snapshotDist } from './inboxSupport';
import { waitFor } from '../support/wait';
import {
	ShopifySimulator,
	WooCommerceSimulator,
	shopifyInventoryLevel,
	wooOrder,
} from '../simulators';

jest.setTimeout(240_000);

const SHOPIFY_SECRET = 'suburl-shopify-secret';
const WOO_SECRET = 'suburl-woo-secret';
const TRIGGER = 'Inventory Webhook Trigger';

interface Arrival {
	path: string;
	headers: http.IncomingHttpHeaders;
	body: string;
}

/** A loopback endpoint standing where the receiver's public URL would be: records every request, answers 200. */
class Endpoint {
	readonly arrivals: Arrival[] = [];
	private server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			this.arrivals.push({
				path: req.url ?? '',
				headers: req.headers,
				body: Buffer.concat(chunks).toString('utf8'),
			});
			res.writeHead(200).end();
		});
	});
	port = 0;
	async start(): Promise<void> {
		await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
		this.port = (this.server.address() as { port: number }).port;
	}
	url(p: string): string {
		return `http://127.0.0.1:${this.port}${p}`;
	}
	at(p: string): Arrival[] {
		return this.arrivals.filter((a) => a.path === p);
	}
	async stop(): Promise<void> {
		this.server.closeAllConnections();
		await new Promise<void>((resolve) => this.server.close(() => resolve()));
	}
}

function triggerWorkflow(opts: {
	id: string;
	platform: 'shopify' | 'woocommerce';
	webhookId: string;
	credentialId: string;
	subscriptionUrl: string;
}) {
	const credentialType =
		opts.platform === 'shopify' ? 'shopifyInventoryApi' : 'wooCommerceInventoryApi';
	return {
		id: opts.id,
		name: opts.id,
		active: false,
		nodes: [
			{
				id: `${opts.id}-trigger`,
				name: TRIGGER,
				type: 'CUSTOM.inventoryWebhookTrigger',
				typeVersion: 1,
				position: [0, 0],
				webhookId: opts.webhookId,
				parameters: {
					platform: opts.platform,
					delivery: 'run',
					options: { manageSubscriptions: true, subscriptionUrl: opts.subscriptionUrl },
				},
				credentials: { [credentialType]: { id: opts.credentialId, name: opts.credentialId } },
			},
			{
				id: `${opts.id}-events`,
				name: 'Events',
				type: 'n8n-nodes-base.noOp',
				typeVersion: 1,
				position: [300, 0],
				parameters: {},
			},
		],
		connections: { [TRIGGER]: { main: [[{ node: 'Events', type: 'main', index: 0 }], []] } },
		settings: { executionOrder: 'v1' },
	};
}

let shopify: ShopifySimulator;
let woo: WooCommerceSimulator;
let endpoint: Endpoint;
let n8n: N8nInstance;
let snapshot: ReturnType<typeof snapshotDist>;

const SHOPIFY_PATH = '/shopify/demo-shop';
const WOO_PATH = '/woocommerce/shop';

beforeAll(async () => {
	snapshot = snapshotDist();
	shopify = new ShopifySimulator({ webhookSecret: SHOPIFY_SECRET, accessToken: 'shpat_suburl' });
	// pingFailureDisables (the default): a webhook whose creation ping does not get 200 is saved disabled.
	woo = new WooCommerceSimulator({ consumerKey: 'ck_sub', consumerSecret: 'cs_sub' });
	endpoint = new Endpoint();
	await Promise.all([shopify.start(), woo.start(), endpoint.start()]);
	n8n = await startN8n({
		extensions: [snapshot.dist],
		activateVia: 'api',
		credentials: [
			{
				id: 'shopifyCred',
				name: 'shopifyCred',
				type: 'shopifyInventoryApi',
				data: {
					shopDomain: shopify.baseUrl,
					authentication: 'accessToken',
					accessToken: 'shpat_suburl',
					apiVersion: '2026-10',
					webhookSecret: SHOPIFY_SECRET,
				},
			},
			{
				id: 'wooCred',
				name: 'wooCred',
				type: 'wooCommerceInventoryApi',
				data: {
					siteUrl: woo.baseUrl,
					consumerKey: 'ck_sub',
					consumerSecret: 'cs_sub',
					webhookSecret: WOO_SECRET,
				},
			},
		],
		workflows: [
			triggerWorkflow({
				id: 'shopifySubUrl01',
				platform: 'shopify',
				webhookId: 'shopify-suburl',
				credentialId: 'shopifyCred',
				subscriptionUrl: endpoint.url(SHOPIFY_PATH),
			}),
			triggerWorkflow({
				id: 'wooSubUrl000001',
				platform: 'woocommerce',
				webhookId: 'woo-suburl',
				credentialId: 'wooCred',
				// Surrounding blanks are ignored (a pasted address).
				subscriptionUrl: ` ${endpoint.url(WOO_PATH)} `,
			}),
		],
	});
});

afterAll(async () => {
	await n8n?.stop();
	await shopify?.stop();
	await woo?.stop();
	await endpoint?.stop();
	snapshot?.remove();
});

describe('Subscription URL: the platforms are pointed at another address (the Inventory Receiver)', () => {
	it('Shopify: activation creates every topic with that URI (none with n8n’s URL), deliveries go there, deactivation deletes them', async () => {
		const custom = endpoint.url(SHOPIFY_PATH);
		const own = n8n.webhookUrl('shopify-suburl', 'webhook');
		await n8n.activate('shopifySubUrl01');
		const created = await waitFor(
			() => shopify.subscriptions.filter((s) => s.uri === custom),
			(l) => l.length >= 7,
			30_000,
			'Shopify subscriptions with the custom URI',
		);
		expect(created.map((s) => s.restTopic).sort()).toEqual([
			'inventory_items/update',
			'inventory_levels/update',
			'orders/cancelled',
			'orders/create',
			'orders/updated',
			'products/update',
			'refunds/create',
		]);
		expect(shopify.subscriptions.filter((s) => s.uri === own)).toEqual([]);
		expect(shopify.subscriptions).toHaveLength(7);

		// Shopify delivers to its subscription: the signed delivery reaches the custom address.
		const results = await shopify.deliver(
			'inventory_levels/update',
			shopifyInventoryLevel({ inventoryItemId: 5, locationId: 6, available: 1 }),
			{ eventId: 'suburl-shopify-1' },
		);
		expect(results.map((r) => [r.uri, r.status])).toEqual([[custom, 200]]);
		expect(
			endpoint
				.at(SHOPIFY_PATH)
				.map((a) => [a.headers['x-shopify-event-id'], a.headers['x-shopify-topic']]),
		).toEqual([['suburl-shopify-1', 'inventory_levels/update']]);

		await n8n.deactivate('shopifySubUrl01');
		expect(
			await waitFor(
				() => shopify.subscriptions,
				(l) => l.length === 0,
				30_000,
				'Shopify subscriptions deleted',
			),
		).toEqual([]);
	});

	it('WooCommerce: activation creates the webhooks with that delivery URL (its ping answered there), deactivation deletes them', async () => {
		const custom = endpoint.url(WOO_PATH);
		const own = n8n.webhookUrl('woo-suburl', 'webhook');
		await n8n.activate('wooSubUrl000001');
		const hooks = await waitFor(
			() => [...woo.webhooks.values()].filter((w) => w.deliveryUrl === custom),
			(l) => l.length >= 3,
			30_000,
			'WooCommerce webhooks with the custom delivery URL',
		);
		expect(hooks.map((w) => w.topic).sort()).toEqual([
			'order.created',
			'order.updated',
			'product.updated',
		]);
		// Active: WooCommerce's creation ping got its 200 from the custom address (a disabled one would not be).
		expect(hooks.every((w) => w.status === 'active' && w.secret === WOO_SECRET)).toBe(true);
		expect([...woo.webhooks.values()].filter((w) => w.deliveryUrl === own)).toEqual([]);
		const pings = endpoint.at(WOO_PATH).filter((a) => /^webhook_id=\d+$/.test(a.body));
		expect(pings).toHaveLength(3);

		const order = wooOrder({
			status: 'processing',
			lines: [{ productId: 93, sku: 'SUBURL', quantity: 1, reducedStock: 1 }],
		});
		const results = await woo.deliver('order.created', order);
		expect(results.map((r) => [r.url, r.success])).toEqual([[custom, true]]);
		expect(
			endpoint.at(WOO_PATH).filter((a) => a.headers['x-wc-webhook-topic'] === 'order.created'),
		).toHaveLength(1);

		await n8n.deactivate('wooSubUrl000001');
		expect(
			await waitFor(
				() => [...woo.webhooks.values()],
				(l) => l.length === 0,
				30_000,
				'WooCommerce webhooks deleted',
			),
		).toEqual([]);
	});
});
