import http from 'node:http';
import { createHmac } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import {
	CREATE_WEBHOOK_SUBSCRIPTION,
	DELETE_WEBHOOK_SUBSCRIPTION,
	LIST_WEBHOOK_SUBSCRIPTIONS,
	ORDER_FOR_STOCK,
	SHOPIFY_TOPIC_ENUM,
	SHOP_NAME_QUERY,
} from '../../nodes/shared/shopifyQueries';
import { ShopifySimulator } from '../simulators/shopify';
import { LeakyCostBucket } from '../simulators/shopifyCost';
import { WooCommerceSimulator } from '../simulators/woocommerce';
import {
	parseJsonBig,
	resetIds,
	shopifyInventoryLevel,
	shopifyOrder,
	toJson,
	toPhpJson,
	wooOrder,
	wooProduct,
	wooVariation,
} from '../simulators/payloads';

/* ------------------------------------------------------------------------------------------------ helpers -- */

const FIXTURES = path.join(__dirname, '..', 'fixtures');
const fixtureText = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');

interface Received {
	method: string;
	url: string;
	headers: http.IncomingHttpHeaders;
	body: Buffer;
}

type Answer = { status: number; body?: string } | 'hang';

/** A loopback HTTP receiver recording every request; `answer` decides each reply. */
async function startReceiver(answer: (r: Received, n: number) => Answer = () => ({ status: 200 })) {
	const received: Received[] = [];
	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			const r: Received = {
				method: req.method ?? '',
				url: req.url ?? '',
				headers: req.headers,
				body: Buffer.concat(chunks),
			};
			received.push(r);
			const a = answer(r, received.length);
			if (a === 'hang') return;
			res.writeHead(a.status, { 'Content-Type': 'text/plain' });
			res.end(a.body ?? '');
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const port = (server.address() as AddressInfo).port;
	return {
		url: `http://127.0.0.1:${port}`,
		received,
		close: () =>
			new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			}),
	};
}

async function gql(
	sim: ShopifySimulator,
	token: string | undefined,
	query: string,
	variables?: Record<string, unknown>,
): Promise<{ status: number; json: any; text: string }> {
	const headers: Record<string, string> = { 'Content-Type': 'application/json' };
	if (token !== undefined) headers['X-Shopify-Access-Token'] = token;
	const res = await fetch(sim.graphqlUrl(), {
		method: 'POST',
		headers,
		body: JSON.stringify({ query, variables }),
	});
	const text = await res.text();
	let json: any;
	try {
		json = JSON.parse(text);
	} catch {
		json = undefined;
	}
	return { status: res.status, json, text };
}

const hmac = (body: Buffer | string, secret: string) =>
	createHmac('sha256', secret).update(body).digest('base64');

/* ------------------------------------------------------------------------------------------------ Shopify -- */

describe('ShopifySimulator', () => {
	const secret = 'shpss_5f1c0a9e2b7d4c3a8e6f';
	let sim: ShopifySimulator;

	beforeEach(async () => {
		sim = new ShopifySimulator({
			webhookSecret: secret,
			clientId: 'client-123',
			clientSecret: 'shpss_client_secret',
		});
		await sim.start();
	});
	afterEach(async () => {
		await sim.stop();
	});

	it('listens on 127.0.0.1 with an ephemeral port and stops', async () => {
		expect(sim.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
		const url = sim.graphqlUrl();
		await sim.stop();
		await expect(fetch(url, { method: 'POST' })).rejects.toThrow();
		await sim.start();
	});

	it('answers 401 with Shopify’s body for a missing or wrong token', async () => {
		const expected =
			'{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}';
		const missing = await gql(sim, undefined, SHOP_NAME_QUERY);
		expect(missing.status).toBe(401);
		expect(missing.text).toBe(expected);
		const wrong = await gql(sim, 'shpat_wrong', SHOP_NAME_QUERY);
		expect(wrong.status).toBe(401);
		expect(wrong.text).toBe(expected);
	});

	it('serves shop { name } with the legacy token and reports the query cost', async () => {
		const r = await gql(sim, 'shpat_test', SHOP_NAME_QUERY);
		expect(r.status).toBe(200);
		expect(r.json.data).toEqual({ shop: { name: 'Demo Shop' } });
		expect(r.json.extensions.cost).toEqual({
			requestedQueryCost: 1,
			actualQueryCost: 1,
			throttleStatus: { maximumAvailable: 1000, currentlyAvailable: 999, restoreRate: 100 },
		});
		expect(sim.log.some((e) => e.op === 'graphql' && e.name === 'ShopName')).toBe(true);
	});

	it('issues tokens by the client credentials grant, and they expire', async () => {
		const form = await fetch(`${sim.baseUrl}/admin/oauth/access_token`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
			body: 'grant_type=client_credentials&client_id=client-123&client_secret=shpss_client_secret',
		});
		expect(form.status).toBe(200);
		const grant = (await form.json()) as {
			access_token: string;
			scope: string;
			expires_in: number;
		};
		expect(grant.access_token).toMatch(/^shpat_[0-9a-f]{32}$/);
		expect(grant.expires_in).toBe(86399);
		expect(typeof grant.scope).toBe('string');

		const viaJson = await fetch(`${sim.baseUrl}/admin/oauth/access_token`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify({
				client_id: 'client-123',
				client_secret: 'shpss_client_secret',
				grant_type: 'client_credentials',
			}),
		});
		expect(viaJson.status).toBe(200);
		expect(sim.tokenGrants).toBe(2);

		expect((await gql(sim, grant.access_token, SHOP_NAME_QUERY)).status).toBe(200);

		const wrongSecret = await fetch(`${sim.baseUrl}/admin/oauth/access_token`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
			body: 'grant_type=client_credentials&client_id=client-123&client_secret=nope',
		});
		expect(wrongSecret.status).toBe(400);
		expect(((await wrongSecret.json()) as { error: string }).error).toBe('invalid_client');
		const wrongGrant = await fetch(`${sim.baseUrl}/admin/oauth/access_token`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
			body: 'grant_type=authorization_code&client_id=client-123&client_secret=shpss_client_secret',
		});
		expect(wrongGrant.status).toBe(400);
		expect(sim.tokenGrants).toBe(2);

		sim.expireTokens();
		const expired = await gql(sim, grant.access_token, SHOP_NAME_QUERY);
		expect(expired.status).toBe(401);
		// The legacy token is permanent.
		expect((await gql(sim, 'shpat_test', SHOP_NAME_QUERY)).status).toBe(200);
		expect(sim.log.filter((e) => e.op === 'token').map((e) => e.status)).toEqual([
			200, 200, 400, 400,
		]);
	});

	it('creates, lists, pages and deletes webhook subscriptions with the node’s own documents', async () => {
		const base = 'http://127.0.0.1:5678/webhook/inv';
		const created: string[] = [];
		for (const topic of [...Object.values(SHOPIFY_TOPIC_ENUM), 'BULK_OPERATIONS_FINISH']) {
			const r = await gql(sim, 'shpat_test', CREATE_WEBHOOK_SUBSCRIPTION, { topic, uri: base });
			expect(r.json.errors).toBeUndefined();
			expect(r.json.data.webhookSubscriptionCreate.userErrors).toEqual([]);
			const sub = r.json.data.webhookSubscriptionCreate.webhookSubscription;
			expect(sub).toEqual({
				id: expect.stringMatching(/^gid:\/\/shopify\/WebhookSubscription\/\d+$/),
				topic,
				uri: base,
			});
			expect(r.json.extensions.cost.requestedQueryCost).toBe(10);
			created.push(sub.id);
		}
		expect(sim.subscriptions.map((s) => s.restTopic)).toContain('inventory_levels/update');

		const dup = await gql(sim, 'shpat_test', CREATE_WEBHOOK_SUBSCRIPTION, {
			topic: 'ORDERS_CREATE',
			uri: base,
		});
		expect(dup.json.data.webhookSubscriptionCreate).toEqual({
			webhookSubscription: null,
			userErrors: [
				{
					field: ['webhookSubscription', 'uri'],
					message: 'Address for this topic has already been taken',
				},
			],
		});
		const invalid = await gql(sim, 'shpat_test', CREATE_WEBHOOK_SUBSCRIPTION, {
			topic: 'ORDERS_CREATE',
			uri: 'not a url',
		});
		expect(invalid.json.data.webhookSubscriptionCreate.userErrors[0].message).toBe(
			'Address is invalid',
		);
		const plainHttp = await gql(sim, 'shpat_test', CREATE_WEBHOOK_SUBSCRIPTION, {
			topic: 'ORDERS_CREATE',
			uri: 'http://example.com/hook',
		});
		expect(plainHttp.json.data.webhookSubscriptionCreate.userErrors[0].message).toBe(
			'Address protocol http:// is not supported',
		);
		const https = await gql(sim, 'shpat_test', CREATE_WEBHOOK_SUBSCRIPTION, {
			topic: 'ORDERS_CREATE',
			uri: 'https://example.com/hook',
		});
		expect(https.json.data.webhookSubscriptionCreate.userErrors).toEqual([]);

		// Page through the subscriptions of one address, 3 at a time.
		const seen: string[] = [];
		let after: string | null = null;
		for (;;) {
			const page = await gql(sim, 'shpat_test', LIST_WEBHOOK_SUBSCRIPTIONS, {
				first: 3,
				after,
				uri: base,
			});
			expect(page.json.errors).toBeUndefined();
			const conn = page.json.data.webhookSubscriptions;
			seen.push(...conn.edges.map((e: { node: { id: string } }) => e.node.id));
			if (!conn.pageInfo.hasNextPage) break;
			after = conn.pageInfo.endCursor;
		}
		expect(seen).toEqual(created);

		const del = await gql(sim, 'shpat_test', DELETE_WEBHOOK_SUBSCRIPTION, { id: created[0] });
		expect(del.json.data.webhookSubscriptionDelete).toEqual({
			deletedWebhookSubscriptionId: created[0],
			userErrors: [],
		});
		const again = await gql(sim, 'shpat_test', DELETE_WEBHOOK_SUBSCRIPTION, { id: created[0] });
		expect(again.json.data.webhookSubscriptionDelete.deletedWebhookSubscriptionId).toBeNull();
		expect(again.json.data.webhookSubscriptionDelete.userErrors[0].message).toBe(
			'Webhook subscription does not exist',
		);
		const notGid = await gql(sim, 'shpat_test', DELETE_WEBHOOK_SUBSCRIPTION, { id: '12345' });
		expect(notGid.json.errors[0].message).toBe("Invalid global id '12345'");
	});

	it('refuses a connection without first/last, and an unknown topic enum', async () => {
		const r = await gql(
			sim,
			'shpat_test',
			'query { webhookSubscriptions { edges { node { id } } } }',
		);
		expect(r.json.errors[0].message).toBe('you must provide one of first or last');
		const bad = await gql(sim, 'shpat_test', CREATE_WEBHOOK_SUBSCRIPTION, {
			topic: 'ORDERS_EXPLODED',
			uri: 'https://x.example/h',
		});
		expect(bad.json.errors.length).toBeGreaterThan(0);
		expect(bad.json.data).toBeUndefined();
	});

	it('serves ORDER_FOR_STOCK within the 1,000-point ceiling of one query', async () => {
		sim.putOrder(fixtureText('shopify-orders-cancelled-restock.json'));
		const r = await gql(sim, 'shpat_test', ORDER_FOR_STOCK, {
			id: 'gid://shopify/Order/450789469',
		});
		expect(r.status).toBe(200);
		expect(r.json.errors).toBeUndefined();
		expect(r.json.extensions.cost.requestedQueryCost).toBeLessThanOrEqual(1000);
	});

	it('refuses a query whose requested cost exceeds the ceiling (MAX_COST_EXCEEDED)', async () => {
		const tooExpensive = ORDER_FOR_STOCK.replace('lineItems(first: 100)', 'lineItems(first: 250)');
		const r = await gql(sim, 'shpat_test', tooExpensive, { id: 'gid://shopify/Order/450789469' });
		expect(r.status).toBe(200);
		expect(r.json.data).toBeUndefined();
		expect(r.json.errors[0].extensions.code).toBe('MAX_COST_EXCEEDED');
		expect(r.json.extensions.cost.requestedQueryCost).toBeGreaterThan(1000);
		expect(r.json.extensions.cost.actualQueryCost).toBeNull();
	});

	it('serves a stored REST order in the GraphQL shape ORDER_FOR_STOCK asks for, ids exact', async () => {
		const unlimited = new ShopifySimulator({
			webhookSecret: secret,
			maxQueryCost: Number.POSITIVE_INFINITY,
		});
		await unlimited.start();
		try {
			// From the fixture text: line item ids above 2^53 must survive.
			unlimited.putOrder(fixtureText('shopify-orders-cancelled-restock.json'));
			unlimited.putLocation(24826418, 'Warehouse');
			const res = await fetch(unlimited.graphqlUrl(), {
				method: 'POST',
				headers: { 'Content-Type': 'application/json', 'X-Shopify-Access-Token': 'shpat_test' },
				body: JSON.stringify({
					query: ORDER_FOR_STOCK,
					variables: { id: 'gid://shopify/Order/450789469' },
				}),
			});
			const text = await res.text();
			expect(text).toContain('"gid://shopify/LineItem/9007199254740993"');
			const order = JSON.parse(text).data.order;
			expect(order.id).toBe('gid://shopify/Order/450789469');
			expect(order.updatedAt).toBe('2026-11-25T16:02:44Z');
			expect(order.cancelledAt).toBe('2026-11-25T16:02:44Z');
			expect(order.retailLocation).toBeNull();
			expect(order.lineItems.edges.map((e: any) => e.node)).toEqual([
				{
					id: 'gid://shopify/LineItem/9007199254740993',
					sku: 'IPOD2008GREEN',
					quantity: 2,
					currentQuantity: 0,
					variant: { id: 'gid://shopify/ProductVariant/39072856' },
					product: { id: 'gid://shopify/Product/632910392' },
				},
				{
					id: 'gid://shopify/LineItem/9007199254740995',
					sku: 'IPOD2008BLACK',
					quantity: 1,
					currentQuantity: 0,
					variant: { id: 'gid://shopify/ProductVariant/457924702' },
					product: { id: 'gid://shopify/Product/632910392' },
				},
			]);
			expect(order.refunds).toHaveLength(1);
			expect(order.refunds[0].id).toMatch(/^gid:\/\/shopify\/Refund\/\d+$/);
			expect(order.refunds[0].refundLineItems.edges.map((e: any) => e.node)).toEqual([
				{
					quantity: 2,
					restockType: 'CANCEL',
					location: { id: 'gid://shopify/Location/24826418' },
					lineItem: { id: 'gid://shopify/LineItem/9007199254740993' },
				},
				{
					quantity: 1,
					restockType: 'CANCEL',
					location: { id: 'gid://shopify/Location/24826418' },
					lineItem: { id: 'gid://shopify/LineItem/9007199254740995' },
				},
			]);

			// A builder order (BigInt ids), with a return, a no-restock refund and a custom line.
			const built = shopifyOrder({
				locationId: 655441491,
				lines: [
					{ sku: 'A-1', quantity: 3 },
					{ sku: null, quantity: 1 },
				],
			});
			const lines = built.line_items as Array<{ id: bigint }>;
			const withRefunds = shopifyOrder({
				id: built.id as bigint,
				locationId: 655441491,
				lines: [
					{ id: lines[0].id, sku: 'A-1', quantity: 3 },
					{ id: lines[1].id, sku: null, quantity: 1 },
				],
				refunds: [
					{ lineItemId: lines[0].id, quantity: 1, restockType: 'return', locationId: 655441491 },
					{ lineItemId: lines[0].id, quantity: 1, restockType: 'no_restock' },
				],
			});
			unlimited.putOrder(withRefunds);
			const r2 = await fetch(unlimited.graphqlUrl(), {
				method: 'POST',
				headers: { 'Content-Type': 'application/json', 'X-Shopify-Access-Token': 'shpat_test' },
				body: JSON.stringify({
					query: ORDER_FOR_STOCK,
					variables: { id: withRefunds.admin_graphql_api_id },
				}),
			});
			const o2 = ((await r2.json()) as any).data.order;
			expect(o2.retailLocation).toEqual({ id: 'gid://shopify/Location/655441491' });
			expect(o2.lineItems.edges[0].node.currentQuantity).toBe(1);
			expect(o2.lineItems.edges[1].node).toMatchObject({ sku: null, variant: null, product: null });
			const restockTypes = o2.refunds.flatMap((r: any) =>
				r.refundLineItems.edges.map((e: any) => e.node.restockType),
			);
			expect(restockTypes).toEqual(['RETURN', 'NO_RESTOCK']);
			expect(o2.refunds[1].refundLineItems.edges[0].node.location).toBeNull();

			const none = await fetch(unlimited.graphqlUrl(), {
				method: 'POST',
				headers: { 'Content-Type': 'application/json', 'X-Shopify-Access-Token': 'shpat_test' },
				body: JSON.stringify({
					query: ORDER_FOR_STOCK,
					variables: { id: 'gid://shopify/Order/1' },
				}),
			});
			expect(((await none.json()) as any).data.order).toBeNull();
		} finally {
			await unlimited.stop();
		}
	});

	it('answers THROTTLED when a cost bucket cannot pay', async () => {
		sim.setCostBucket(new LeakyCostBucket(10, 1));
		expect((await gql(sim, 'shpat_test', SHOP_NAME_QUERY)).json.data.shop.name).toBe('Demo Shop');
		const r = await gql(sim, 'shpat_test', LIST_WEBHOOK_SUBSCRIPTIONS, { first: 10 });
		expect(r.status).toBe(200);
		expect(r.json.errors).toEqual([
			{
				message: 'Throttled',
				extensions: {
					code: 'THROTTLED',
					documentation: 'https://shopify.dev/api/usage/rate-limits',
				},
			},
		]);
		expect(r.json.extensions.cost.requestedQueryCost).toBe(12);
		expect(r.json.extensions.cost.throttleStatus.maximumAvailable).toBe(10);
	});

	it('signs like `openssl dgst -sha256 -hmac <secret> -binary | base64`', () => {
		const body = fixtureText('shopify-inventory_levels-update.json');
		const viaOpenssl = execFileSync(
			'sh',
			['-c', 'openssl dgst -sha256 -hmac "$SECRET" -binary | base64'],
			{
				input: body,
				env: { ...process.env, SECRET: secret },
			},
		)
			.toString()
			.trim();
		expect(sim.signBody(body)).toBe(viaOpenssl);
		expect(sim.signBody(Buffer.from(body))).toBe(viaOpenssl);
	});

	it('sends webhooks with every Shopify header, exact ids, and the tamper / omitHmac variants', async () => {
		const rx = await startReceiver();
		try {
			const payload = shopifyInventoryLevel({
				inventoryItemId: 9007199254740993n,
				locationId: 24826418,
				available: 7,
			});
			const r = await sim.sendWebhook(`${rx.url}/hook`, 'inventory_levels/update', payload, {
				eventId: 'evt-1',
			});
			expect(r.status).toBe(200);
			const got = rx.received[0];
			expect(got.headers['content-type']).toBe('application/json');
			expect(got.headers['x-shopify-topic']).toBe('inventory_levels/update');
			expect(got.headers['x-shopify-shop-domain']).toBe('demo-shop.myshopify.com');
			expect(got.headers['x-shopify-api-version']).toBe('2026-10');
			expect(got.headers['x-shopify-event-id']).toBe('evt-1');
			expect(got.headers['x-shopify-webhook-id']).toMatch(/^[0-9a-f-]{36}$/);
			expect(got.headers['x-shopify-triggered-at']).toMatch(
				/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/,
			);
			expect(got.headers['x-shopify-hmac-sha256']).toBe(hmac(got.body, secret));
			expect(got.body.toString()).toContain('"inventory_item_id":9007199254740993');
			expect(got.body.toString()).toBe(r.rawBody);

			await sim.sendWebhook(`${rx.url}/hook`, 'inventory_levels/update', payload, { tamper: true });
			const tampered = rx.received[1];
			expect(tampered.headers['x-shopify-hmac-sha256']).not.toBe(hmac(tampered.body, secret));
			expect(() => JSON.parse(tampered.body.toString())).not.toThrow();

			await sim.sendWebhook(`${rx.url}/hook`, 'orders/create', '{"id":1}', {
				omitHmac: true,
				secret: 'other',
			});
			expect(rx.received[2].headers['x-shopify-hmac-sha256']).toBeUndefined();
			expect(rx.received[2].body.toString()).toBe('{"id":1}');

			expect(sim.log.filter((e) => e.op === 'webhook')).toHaveLength(3);
		} finally {
			await rx.close();
		}
	});

	it('gives up on a delivery that does not answer in time (status 0)', async () => {
		const rx = await startReceiver(() => 'hang');
		try {
			const r = await sim.sendWebhook(rx.url, 'orders/create', { id: 1 }, { timeoutMs: 300 });
			expect(r.status).toBe(0);
			expect(r.error).toBe('timeout');
		} finally {
			await rx.close();
		}
	});

	it('deliver() sends one event to every subscription of its topic, same event id', async () => {
		const rx = await startReceiver();
		try {
			for (const uri of [`${rx.url}/a`, `${rx.url}/b`]) {
				await gql(sim, 'shpat_test', CREATE_WEBHOOK_SUBSCRIPTION, { topic: 'ORDERS_CREATE', uri });
			}
			await gql(sim, 'shpat_test', CREATE_WEBHOOK_SUBSCRIPTION, {
				topic: 'ORDERS_UPDATED',
				uri: `${rx.url}/c`,
			});
			resetIds();
			const order = shopifyOrder({ lines: 2 });
			const results = await sim.deliver('orders/create', order);
			expect(results.map((r) => r.status)).toEqual([200, 200]);
			expect(rx.received.map((r) => r.url).sort()).toEqual(['/a', '/b']);
			const [a, b] = rx.received;
			expect(a.headers['x-shopify-event-id']).toBe(b.headers['x-shopify-event-id']);
			expect(a.headers['x-shopify-webhook-id']).not.toBe(b.headers['x-shopify-webhook-id']);
			expect(a.body.equals(b.body)).toBe(true);
			expect(a.headers['x-shopify-hmac-sha256']).toBe(hmac(a.body, secret));
			expect(a.body.toString()).toContain(`"id":${(order.id as bigint).toString()}`);

			// A subscription Shopify dropped no longer receives anything.
			sim.removeSubscription(results[0].subscriptionId);
			expect(await sim.deliver('orders/create', order)).toHaveLength(1);
		} finally {
			await rx.close();
		}
	});
});

/* ------------------------------------------------------------------------------------------------ WooCommerce -- */

describe('WooCommerceSimulator', () => {
	const ck = 'ck_4f0e1c2b3a49587766554433221100ffeeddccbb';
	const cs = 'cs_0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3';
	const basic = 'Basic ' + Buffer.from(`${ck}:${cs}`).toString('base64');
	let woo: WooCommerceSimulator;

	const rest = async (method: string, p: string, body?: unknown, auth: string | null = basic) => {
		const headers: Record<string, string> = {};
		if (auth) headers.Authorization = auth;
		if (body !== undefined) headers['Content-Type'] = 'application/json';
		const res = await fetch(`${woo.restBase}${p}`, {
			method,
			headers,
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await res.text();
		return {
			status: res.status,
			headers: res.headers,
			text,
			json: text ? (JSON.parse(text) as any) : undefined,
		};
	};

	beforeEach(async () => {
		woo = new WooCommerceSimulator({ consumerKey: ck, consumerSecret: cs });
		await woo.start();
	});
	afterEach(async () => {
		await woo.stop();
	});

	it('listens on 127.0.0.1 and stops', async () => {
		expect(woo.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
		const url = `${woo.restBase}/products`;
		await woo.stop();
		await expect(fetch(url)).rejects.toThrow();
		await woo.start();
	});

	it('refuses missing and wrong credentials like WooCommerce', async () => {
		const none = await rest('GET', '/products', undefined, null);
		expect(none.status).toBe(401);
		expect(none.text).toBe(
			'{"code":"woocommerce_rest_cannot_view","message":"Sorry, you cannot list resources.","data":{"status":401}}',
		);
		const unknownKey = await rest(
			'GET',
			'/products',
			undefined,
			'Basic ' + Buffer.from(`ck_other:${cs}`).toString('base64'),
		);
		expect(unknownKey.json.code).toBe('woocommerce_rest_cannot_view');
		const wrongSecret = await rest(
			'GET',
			'/products',
			undefined,
			'Basic ' + Buffer.from(`${ck}:cs_wrong`).toString('base64'),
		);
		expect(wrongSecret.status).toBe(401);
		expect(wrongSecret.json).toEqual({
			code: 'woocommerce_rest_authentication_error',
			message: 'Consumer secret is invalid.',
			data: { status: 401 },
		});
		const noAuthWebhook = await rest(
			'POST',
			'/webhooks',
			{ topic: 'order.created', delivery_url: 'http://127.0.0.1:1/' },
			null,
		);
		expect(noAuthWebhook.json.code).toBe('woocommerce_rest_cannot_create');

		const viaQuery = await fetch(
			`${woo.restBase}/products?consumer_key=${ck}&consumer_secret=${cs}`,
		);
		expect(viaQuery.status).toBe(200);
	});

	it('lists products with per_page ≤ 100, pages, totals and the sku filter (variations included)', async () => {
		for (let i = 1; i <= 25; i++)
			woo.putProduct({ id: 100 + i, sku: `SKU-${i}`, stock_quantity: i });
		woo.putProduct(wooProduct({ id: 200, sku: 'HOODIE', type: 'variable', variations: [] }));
		woo.putProduct({
			id: 201,
			parent_id: 200,
			type: 'variation',
			sku: 'HOODIE-M',
			stock_quantity: 4,
		});

		const tooMany = await rest('GET', '/products?per_page=101');
		expect(tooMany.status).toBe(400);
		expect(tooMany.json.code).toBe('rest_invalid_param');
		expect(tooMany.json.data.params.per_page).toBe(
			'per_page must be between 1 (inclusive) and 100 (inclusive)',
		);

		const page1 = await rest('GET', '/products?per_page=10&page=1');
		expect(page1.status).toBe(200);
		expect(page1.headers.get('x-wp-total')).toBe('26');
		expect(page1.headers.get('x-wp-totalpages')).toBe('3');
		expect(page1.json).toHaveLength(10);
		const page3 = await rest('GET', '/products?per_page=10&page=3');
		expect(page3.json).toHaveLength(6);
		expect(page3.json.some((p: any) => p.type === 'variation')).toBe(false);

		const bySku = await rest('GET', '/products?sku=HOODIE-M');
		expect(bySku.json.map((p: any) => [p.id, p.parent_id, p.type, p.stock_quantity])).toEqual([
			[201, 200, 'variation', 4],
		]);
		const parent = await rest('GET', '/products/200');
		expect(parent.json.variations).toEqual([201]);
		const several = await rest('GET', '/products?sku=SKU-1,SKU-2');
		expect(several.json.map((p: any) => p.sku).sort()).toEqual(['SKU-1', 'SKU-2']);

		const one = await rest('GET', '/products/105');
		expect(one.json).toMatchObject({
			id: 105,
			sku: 'SKU-5',
			stock_quantity: 5,
			manage_stock: true,
			stock_status: 'instock',
		});
		const missing = await rest('GET', '/products/999');
		expect(missing.status).toBe(404);
		expect(missing.json.code).toBe('woocommerce_rest_product_invalid_id');
	});

	it('updates stock in batches of at most 100, with per-item errors', async () => {
		woo.putProduct({ id: 11, sku: 'A', stock_quantity: 1 });
		const r = await rest('POST', '/products/batch', {
			update: [
				{ id: 11, stock_quantity: 0 },
				{ id: 999, stock_quantity: 3 },
			],
		});
		expect(r.status).toBe(200);
		expect(r.json.update[0]).toMatchObject({
			id: 11,
			stock_quantity: 0,
			stock_status: 'outofstock',
		});
		expect(r.json.update[1]).toEqual({
			id: 999,
			error: {
				code: 'woocommerce_rest_product_invalid_id',
				message: 'Invalid ID.',
				data: { status: 400 },
			},
		});
		expect(Object.keys(r.json)).toEqual(['update']);
		const tooMany = await rest('POST', '/products/batch', {
			update: Array.from({ length: 101 }, (_, i) => ({ id: i + 1 })),
		});
		expect(tooMany.status).toBe(413);
		expect(tooMany.json.code).toBe('woocommerce_rest_request_entity_too_large');
	});

	it('pings on webhook creation: active on exactly 200, disabled otherwise; CRUD like WooCommerce', async () => {
		const ok = await startReceiver();
		const accepted = await startReceiver(() => ({ status: 202 }));
		try {
			const r = await rest('POST', '/webhooks', {
				name: 'Inventory',
				topic: 'order.updated',
				delivery_url: `${ok.url}/hook`,
				secret: 'wh-secret',
				status: 'paused',
			});
			expect(r.status).toBe(201);
			expect(r.headers.get('location')).toBe(`${woo.restBase}/webhooks/${r.json.id}`);
			expect(r.json).toMatchObject({
				name: 'Inventory',
				status: 'active', // REST creation ignores the requested status
				topic: 'order.updated',
				resource: 'order',
				event: 'updated',
				delivery_url: `${ok.url}/hook`,
			});
			expect(r.json.hooks).toContain('woocommerce_update_order');
			expect(r.json.secret).toBeUndefined();
			const ping = ok.received[0];
			expect(ping.body.toString()).toBe(`webhook_id=${r.json.id}`);
			expect(ping.headers['content-type']).toBe('application/x-www-form-urlencoded');
			expect(ping.headers['x-wc-webhook-signature']).toBeUndefined();
			expect(ping.headers['x-wc-webhook-topic']).toBeUndefined();
			expect(ping.headers['user-agent']).toMatch(/^WooCommerce\/\S+ Hookshot \(WordPress\/\S+\)$/);

			const bad = await rest('POST', '/webhooks', {
				topic: 'product.updated',
				delivery_url: `${accepted.url}/hook`,
				secret: 's2',
			});
			expect(bad.status).toBe(201);
			expect(bad.json.status).toBe('disabled');

			const invalidTopic = await rest('POST', '/webhooks', {
				topic: 'order.exploded',
				delivery_url: `${ok.url}/x`,
			});
			expect(invalidTopic.status).toBe(400);
			expect(invalidTopic.json.code).toBe('woocommerce_rest_shop_webhook_invalid_topic');

			const list = await rest('GET', '/webhooks?per_page=1');
			expect(list.headers.get('x-wp-total')).toBe('2');
			expect(list.headers.get('x-wp-totalpages')).toBe('2');
			const active = await rest('GET', '/webhooks?status=active');
			expect(active.json.map((w: any) => w.id)).toEqual([r.json.id]);

			const got = await rest('GET', `/webhooks/${r.json.id}`);
			expect(got.json.date_created_gmt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
			expect((await rest('GET', '/webhooks/4242')).status).toBe(400);

			const paused = await rest('PUT', `/webhooks/${r.json.id}`, { status: 'paused' });
			expect(paused.json.status).toBe('paused');
			expect((await rest('PUT', `/webhooks/${r.json.id}`, { status: 'sleepy' })).json.code).toBe(
				'woocommerce_rest_shop_webhook_invalid_status',
			);

			const trash = await rest('DELETE', `/webhooks/${r.json.id}`);
			expect(trash.status).toBe(501);
			expect(trash.json.code).toBe('woocommerce_rest_trash_not_supported');
			const gone = await rest('DELETE', `/webhooks/${r.json.id}?force=true`);
			expect(gone.status).toBe(200);
			expect(gone.json.id).toBe(r.json.id);
			expect((await rest('DELETE', `/webhooks/${r.json.id}?force=true`)).status).toBe(404);
		} finally {
			await ok.close();
			await accepted.close();
		}
	});

	it('deliver() signs with each webhook’s secret, sends WooCommerce headers and a PHP-encoded body', async () => {
		const rx = await startReceiver();
		try {
			const w1 = await rest('POST', '/webhooks', {
				topic: 'product.updated',
				delivery_url: `${rx.url}/one`,
				secret: 'first &amp; secret',
			});
			const w2 = await rest('POST', '/webhooks', {
				topic: 'product.updated',
				delivery_url: `${rx.url}/two`,
				secret: 'second',
			});
			await rest('POST', '/webhooks', {
				topic: 'order.updated',
				delivery_url: `${rx.url}/orders`,
				secret: 'x',
			});
			const paused = await rest('POST', '/webhooks', {
				topic: 'product.updated',
				delivery_url: `${rx.url}/paused`,
				secret: 'p',
			});
			await rest('PUT', `/webhooks/${paused.json.id}`, { status: 'paused' });
			rx.received.length = 0;

			const payload = wooVariation({
				id: 23,
				parentId: 22,
				sku: 'woo-hoodie-blue-m',
				stockQuantity: 6,
				siteUrl: woo.baseUrl,
			});
			const results = await woo.deliver('product.updated', payload);
			expect(results.map((r) => [r.webhookId, r.status, r.success])).toEqual([
				[w1.json.id, 200, true],
				[w2.json.id, 200, true],
			]);
			expect(rx.received.map((r) => r.url).sort()).toEqual(['/one', '/two']);
			for (const got of rx.received) {
				const isOne = got.url === '/one';
				expect(got.headers['content-type']).toBe('application/json');
				expect(got.headers['x-wc-webhook-source']).toBe(`${woo.baseUrl}/`);
				expect(got.headers['x-wc-webhook-topic']).toBe('product.updated');
				expect(got.headers['x-wc-webhook-resource']).toBe('product');
				expect(got.headers['x-wc-webhook-event']).toBe('updated');
				expect(got.headers['x-wc-webhook-id']).toBe(String(isOne ? w1.json.id : w2.json.id));
				expect(got.headers['x-wc-webhook-delivery-id']).toMatch(/^[0-9a-f]{32}$/);
				// The stored secret is HTML-escaped; WooCommerce signs with it decoded.
				expect(got.headers['x-wc-webhook-signature']).toBe(
					hmac(got.body, isOne ? 'first & secret' : 'second'),
				);
				expect(got.body.toString()).toContain('\\/wp-json\\/wc\\/v3\\/products\\/23');
				expect(got.body.toString()).toBe(toPhpJson(payload));
			}
		} finally {
			await rx.close();
		}
	});

	it('counts consecutive delivery failures and disables the webhook as failed_delivery() does', async () => {
		let mode = 200;
		const rx = await startReceiver((r) =>
			r.body.toString().startsWith('webhook_id=') ? { status: 200 } : { status: mode },
		);
		const sim = new WooCommerceSimulator({
			consumerKey: ck,
			consumerSecret: cs,
			maxDeliveryFailures: 2,
		});
		await sim.start();
		try {
			const w = await sim.createWebhook({
				topic: 'order.updated',
				delivery_url: `${rx.url}/h`,
				secret: 's',
			});
			expect(w.status).toBe('active');
			const order = wooOrder({
				id: 727,
				status: 'processing',
				lines: [{ productId: 93, sku: 'A', quantity: 1, reducedStock: 1 }],
			});

			mode = 500;
			const counts: Array<[number, string]> = [];
			for (let i = 0; i < 3; i++) {
				const [r] = await sim.deliver('order.updated', order);
				counts.push([r.failureCount, r.webhookStatus]);
			}
			expect(counts).toEqual([
				[1, 'active'],
				[2, 'active'],
				[3, 'active'],
			]);
			mode = 301; // 2xx, 300, 301 and 302 count as success and reset the count
			expect((await sim.deliver('order.updated', order))[0]).toMatchObject({
				success: true,
				failureCount: 0,
			});
			mode = 404;
			const statuses: string[] = [];
			for (let i = 0; i < 4; i++)
				statuses.push((await sim.deliver('order.updated', order))[0].webhookStatus);
			expect(statuses).toEqual(['active', 'active', 'active', 'disabled']);
			expect(await sim.deliver('order.updated', order)).toEqual([]);
		} finally {
			await sim.stop();
			await rx.close();
		}
	});

	it('sendWebhook / sendPing send what WooCommerce sends, with tamper and omitSignature variants', async () => {
		const rx = await startReceiver();
		try {
			const ping = await woo.sendPing(`${rx.url}/p`, 17);
			expect(ping.status).toBe(200);
			expect(rx.received[0].body.toString()).toBe('webhook_id=17');

			const order = wooOrder({
				status: 'processing',
				lines: [{ productId: 93, sku: 'woo-tshirt', quantity: 2, reducedStock: 2 }],
			});
			await woo.sendWebhook(`${rx.url}/w`, 'order.created', order, { secret: 'abc', webhookId: 3 });
			const got = rx.received[1];
			expect(got.headers['x-wc-webhook-signature']).toBe(hmac(got.body, 'abc'));
			expect(got.headers['x-wc-webhook-delivery-id']).toBe(woo.deliveryIdFor(3));
			const line = JSON.parse(got.body.toString()).line_items[0];
			expect(line.meta_data).toEqual([
				expect.objectContaining({
					key: '_reduced_stock',
					value: '2',
					display_key: '_reduced_stock',
				}),
			]);

			await woo.sendWebhook(`${rx.url}/w`, 'order.created', order, { secret: 'abc', tamper: true });
			expect(rx.received[2].headers['x-wc-webhook-signature']).not.toBe(
				hmac(rx.received[2].body, 'abc'),
			);
			await woo.sendWebhook(`${rx.url}/w`, 'order.created', order, { omitSignature: true });
			expect(rx.received[3].headers['x-wc-webhook-signature']).toBeUndefined();
			expect(woo.log.filter((e) => e.op === 'webhook')).toHaveLength(3);
		} finally {
			await rx.close();
		}
	});
});

/* ------------------------------------------------------------------------------------------------ payloads & fixtures -- */

describe('payload builders and fixtures', () => {
	it('write 64-bit ids as exact bare integers', () => {
		const text = toJson({ id: 9007199254740993n, n: 1, s: 'a/é' });
		expect(text).toBe('{"id":9007199254740993,"n":1,"s":"a/é"}');
		expect(toPhpJson({ s: 'a/é😀' })).toBe('{"s":"a\\/\\u00e9\\ud83d\\ude00"}');
		expect(JSON.parse(toPhpJson({ s: 'a/é😀' })).s).toBe('a/é😀');
		const order = shopifyOrder();
		expect(typeof order.id).toBe('bigint');
		expect((order.id as bigint) > 2n ** 53n).toBe(true);
		expect(toJson(order)).toContain(`"id":${(order.id as bigint).toString()},`);
	});

	it('fixtures hold ids above 2^53 as bare integers, which JSON.parse would round', () => {
		const text = fixtureText('shopify-orders-create.json');
		expect(text).toMatch(/"id": 820982911946154508,/);
		expect(String(JSON.parse(text).id)).not.toBe('820982911946154508');
		expect((parseJsonBig(text) as { id: bigint }).id).toBe(820982911946154508n);
		const create = parseJsonBig(text) as {
			line_items: Array<{ sku: string | null; variant_id: unknown }>;
			location_id: unknown;
		};
		expect(create.line_items.length).toBeGreaterThanOrEqual(2);
		expect(create.line_items.some((l) => l.sku === null && l.variant_id === null)).toBe(true);
		expect(create.location_id).toBeNull();

		const level = parseJsonBig(fixtureText('shopify-inventory_levels-update.json')) as Record<
			string,
			unknown
		>;
		expect(Object.keys(level).sort()).toEqual([
			'admin_graphql_api_id',
			'available',
			'inventory_item_id',
			'location_id',
			'updated_at',
		]);
		expect(level.inventory_item_id).toBe(271878346596884015n);

		const cancelled = parseJsonBig(fixtureText('shopify-orders-cancelled-restock.json')) as any;
		expect(cancelled.cancelled_at).not.toBeNull();
		expect(
			cancelled.refunds[0].refund_line_items.every((r: any) => r.restock_type === 'cancel'),
		).toBe(true);

		const refund = parseJsonBig(fixtureText('shopify-refunds-create.json')) as any;
		expect(refund.refund_line_items.map((r: any) => r.restock_type)).toEqual([
			'return',
			'no_restock',
		]);

		const products = parseJsonBig(fixtureText('shopify-products-update.json')) as any;
		expect(products.variants.every((v: any) => typeof v.inventory_item_id === 'bigint')).toBe(true);

		const processing = parseJsonBig(fixtureText('woocommerce-order-processing.json')) as any;
		expect(processing.status).toBe('processing');
		expect(
			processing.line_items.every((l: any) =>
				l.meta_data.some((m: any) => m.key === '_reduced_stock'),
			),
		).toBe(true);
		const legacy = parseJsonBig(fixtureText('woocommerce-order-legacy-no-meta.json')) as any;
		expect(
			legacy.line_items.some((l: any) => l.meta_data.some((m: any) => m.key === '_reduced_stock')),
		).toBe(false);
		const variation = parseJsonBig(fixtureText('woocommerce-variation-updated.json')) as any;
		expect(variation).toMatchObject({ type: 'variation', parent_id: 22, sku: 'woo-hoodie-blue-m' });
		const product = parseJsonBig(fixtureText('woocommerce-product-updated.json')) as any;
		expect(product).toMatchObject({
			id: 93,
			sku: 'woo-tshirt',
			manage_stock: true,
			stock_quantity: 18,
		});
	});

	it('woo line meta appears only when given', () => {
		const o = wooOrder({
			status: 'cancelled',
			lines: [
				{ productId: 1, sku: 'A', quantity: 2, reducedStock: null },
				{ productId: 2, sku: 'B', quantity: 3, reducedStock: 1, restockRefunded: 2 },
			],
		}) as any;
		expect(o.line_items[0].meta_data).toEqual([]);
		expect(o.line_items[1].meta_data.map((m: any) => [m.key, m.value])).toEqual([
			['_reduced_stock', '1'],
			['_restock_refunded_items', '2'],
		]);
		expect(o.date_modified).not.toBe(o.date_modified_gmt);
	});
});
