import { createHmac } from 'node:crypto';
import type Redis from 'ioredis';
import { deliveryFromEntry } from '../../nodes/shared/inbox';
import { inboxKey } from '../../nodes/shared/keys';
import { startReceiver, type RunningReceiver } from '../../receiver/server';
import { ShopifySimulator, WooCommerceSimulator, shopifyInventoryLevel } from '../simulators';
import {
	OwnRedis,
	TEST_REDIS,
	deleteByPrefix,
	testClient,
	uniquePrefix,
	waitFor,
} from '../support';
import { CASE_SECRETS, SIGNATURE_CASES } from '../support/signatureCases';
import {
	SHOPIFY_PATH,
	WOO_PATH,
	chunkedPost,
	entries,
	get,
	rawExchange,
	receiverConfig,
	slowRequest,
} from './receiverHarness';

// The Inventory Receiver in this process, on the test Redis (and, for the outage, a Redis of the test's own).
jest.setTimeout(60_000);

const prefix = uniquePrefix('receiver');
const stream = inboxKey(prefix, 'inbox');
let admin: Redis;
let shopify: ShopifySimulator;
let woo: WooCommerceSimulator;
let receiver: RunningReceiver;
const logs: Array<Record<string, unknown>> = [];
const others: RunningReceiver[] = [];

const sign = (body: Buffer | string, secret: string) =>
	createHmac('sha256', secret).update(body).digest('base64');

async function start(config: Parameters<typeof startReceiver>[0]): Promise<RunningReceiver> {
	const r = await startReceiver(config, { logger: (l) => logs.push(l) });
	others.push(r);
	return r;
}

beforeAll(async () => {
	admin = testClient();
	shopify = new ShopifySimulator({ webhookSecret: CASE_SECRETS.shopify.current });
	woo = new WooCommerceSimulator({ consumerKey: 'ck_test', consumerSecret: 'cs_test' });
	await woo.start();
	receiver = await start(receiverConfig(TEST_REDIS, prefix));
});
afterAll(async () => {
	await Promise.all(others.map(async (r) => await r.close()));
	await woo.stop();
	await deleteByPrefix(admin, prefix);
	await admin.quit();
});

describe('the Webhook Trigger’s signature and ping cases (test/support/signatureCases.ts)', () => {
	it.each(SIGNATURE_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
		const before = await admin.xlen(stream);
		const url = receiver.url + (c.platform === 'shopify' ? SHOPIFY_PATH : WOO_PATH);
		const sent = await c.send({ shopify, woo }, url);
		expect(sent.status).toBe(c.expect.status);
		expect(sent.body).toBe(c.expect.body);
		const all = await entries(admin, stream);
		expect(all.length).toBe(before + (c.expect.stored ? 1 : 0));
		if (c.expect.stored) {
			const last = all[all.length - 1].fields;
			expect(last.get('platform')?.toString()).toBe(c.platform);
			expect(last.get('body')?.equals(Buffer.from(sent.rawBody as string))).toBe(true);
		}
	});
});

describe('receipt', () => {
	it('every 200 is in the stream exactly once, with the bytes sent, in the trigger’s entry format', async () => {
		const name = 'exactly-once';
		const r = await start(receiverConfig(TEST_REDIS, prefix, { inboxStream: name }));
		const sends = Array.from({ length: 300 }, async (_, i) => {
			if (i % 3 === 2) {
				const body = Buffer.from(`{"id":${i},"status":"processing","line_items":[]}`);
				return await woo.sendWebhook(r.url + WOO_PATH, 'order.updated', body, {
					secret: CASE_SECRETS.woocommerce.current,
				});
			}
			// Every tenth body is not UTF-8: stored as the exact bytes, flagged on the way out.
			const body =
				i % 10 === 0
					? Buffer.concat([
							Buffer.from(`{"sku":"S${i}`),
							Buffer.from([0xff, 0xfe]),
							Buffer.from('"}'),
						])
					: Buffer.from(
							JSON.stringify(
								shopifyInventoryLevel({ inventoryItemId: i + 1, locationId: 2, available: i }),
							),
						);
			return {
				...(await shopify.sendWebhook(r.url + SHOPIFY_PATH, 'inventory_levels/update', body)),
				bytes: body,
			};
		});
		const results = await Promise.all(sends);
		expect(results.every((x) => x.status === 200)).toBe(true);
		const stored = await entries(admin, inboxKey(prefix, name));
		expect(stored).toHaveLength(300);
		const bodies = stored.map((e) => e.fields.get('body') as Buffer);
		for (const x of results) {
			const bytes = 'bytes' in x ? (x.bytes as Buffer) : Buffer.from(x.rawBody);
			expect(bodies.filter((b) => b.equals(bytes))).toHaveLength(1);
		}
		// What the Inbox Trigger reads back: the headers the trigger keeps, the platform, the UTF-8 flag.
		const first = stored.find((e) => e.fields.get('platform')?.toString() === 'shopify');
		const flat = [...(first as { fields: Map<string, Buffer> }).fields].flatMap(([k, v]) => [
			Buffer.from(k),
			v,
		]);
		const delivery = deliveryFromEntry(flat);
		expect(delivery.headers['x-shopify-topic']).toBe('inventory_levels/update');
		expect(delivery.headers['x-shopify-event-id']).toBeDefined();
		expect(Date.parse(delivery.receivedAt)).not.toBeNaN();
		expect(
			stored.filter(
				(e) =>
					deliveryFromEntry([...e.fields].flatMap(([k, v]) => [Buffer.from(k), v])).bodyNotUtf8,
			),
		).toHaveLength(20);
	});

	it('unknown path → 404, wrong method → 405, /healthz → 200, /metrics counts by route and code', async () => {
		const r = await start(receiverConfig(TEST_REDIS, prefix, { inboxStream: 'routes' }));
		const unknown = await shopify.sendWebhook(
			`${r.url}/shopify/other`,
			'inventory_levels/update',
			'{}',
		);
		expect(unknown.status).toBe(404);
		const wrong = await get(r.url + SHOPIFY_PATH);
		expect(wrong.status).toBe(405);
		expect(wrong.headers.allow).toBe('POST');
		expect(await get(`${r.url}/healthz`)).toMatchObject({ status: 200 });
		const ok = await shopify.sendWebhook(
			r.url + SHOPIFY_PATH,
			'inventory_levels/update',
			'{"a":1}',
		);
		expect(ok.status).toBe(200);
		const metrics = await get(`${r.url}/metrics`);
		expect(metrics.status).toBe(200);
		expect(metrics.body).toContain(
			'invsync_receiver_requests_total{route="unmatched",code="404"} 1',
		);
		expect(metrics.body).toContain('invsync_receiver_requests_total{route="shopify",code="405"} 1');
		expect(metrics.body).toContain('invsync_receiver_requests_total{route="shopify",code="200"} 1');
		expect(metrics.body).toContain('invsync_receiver_xadd_seconds_count 1');
		expect(metrics.body).toMatch(/invsync_receiver_xadd_seconds_bucket\{le="\+Inf"\} 1\n/);
		expect(metrics.body).toContain('invsync_receiver_in_flight 0');
		expect(metrics.body).not.toContain(SHOPIFY_PATH);
		expect(await admin.xlen(inboxKey(prefix, 'routes'))).toBe(1);
	});
});

describe('limits', () => {
	it('a body over bodyLimitBytes → 413, declared or chunked, and nothing is stored', async () => {
		const name = 'limits';
		const r = await start(
			receiverConfig(TEST_REDIS, prefix, { inboxStream: name, bodyLimitBytes: 1024 }),
		);
		const big = Buffer.from(`{"pad":"${'x'.repeat(4000)}"}`);
		const declared = await shopify.sendWebhook(r.url + SHOPIFY_PATH, 'orders/create', big);
		expect(declared.status).toBe(413);
		expect(JSON.parse(declared.body)).toEqual({ error: 'request body larger than 1024 bytes' });
		const chunked = await chunkedPost(r.url + SHOPIFY_PATH, [
			Buffer.alloc(600, 0x61),
			Buffer.alloc(600, 0x62),
			Buffer.alloc(600, 0x63),
		]);
		expect(chunked.status).toBe(413);
		const atLimit = Buffer.from(`{"pad":"${'y'.repeat(1024 - 10)}"}`);
		expect(atLimit.length).toBe(1024);
		expect((await shopify.sendWebhook(r.url + SHOPIFY_PATH, 'orders/create', atLimit)).status).toBe(
			200,
		);
		expect(await admin.xlen(inboxKey(prefix, name))).toBe(1);
	});

	it('a slow body → 408 after bodyTimeoutMs; slow headers → 408 after headersTimeoutMs', async () => {
		const name = 'slow';
		const r = await start(
			receiverConfig(TEST_REDIS, prefix, {
				inboxStream: name,
				bodyTimeoutMs: 300,
				headersTimeoutMs: 300,
			}),
		);
		const body = Buffer.from('{"inventory_item_id":1,"location_id":2,"available":3}');
		const started = Date.now();
		const slow = slowRequest(r.url + SHOPIFY_PATH, body, {
			'X-Shopify-Hmac-Sha256': sign(body, CASE_SECRETS.shopify.current),
		});
		const answer = await slow.answer;
		expect(answer.status).toBe(408);
		expect(JSON.parse(answer.body)).toEqual({ error: 'request body not received in time' });
		expect(Date.now() - started).toBeGreaterThanOrEqual(250);
		expect(Date.now() - started).toBeLessThan(3_000);

		const headersOnly = await rawExchange(r.port, `POST ${SHOPIFY_PATH} HTTP/1.1\r\nHost: x\r\n`);
		expect(headersOnly).toMatch(/^HTTP\/1\.1 408 /);
		expect(headersOnly).toContain('{"error":"request headers not received in time"}');
		expect(await admin.xlen(inboxKey(prefix, name))).toBe(0);
	});

	it('more than maxInFlight requests in flight → 503 at once; the held ones still finish', async () => {
		const name = 'inflight';
		const r = await start(
			receiverConfig(TEST_REDIS, prefix, { inboxStream: name, maxInFlight: 2 }),
		);
		const bodies = [1, 2].map((i) =>
			Buffer.from(`{"inventory_item_id":${i},"location_id":2,"available":3}`),
		);
		const held = bodies.map((b) =>
			slowRequest(r.url + SHOPIFY_PATH, b, {
				'X-Shopify-Hmac-Sha256': sign(b, CASE_SECRETS.shopify.current),
			}),
		);
		await waitFor(
			() => r.metricsText(),
			(t) => t.includes('invsync_receiver_in_flight 2'),
			5_000,
			'two in flight',
		);
		const started = Date.now();
		const over = await shopify.sendWebhook(
			r.url + SHOPIFY_PATH,
			'inventory_levels/update',
			'{"a":1}',
		);
		expect(over.status).toBe(503);
		expect(JSON.parse(over.body)).toEqual({ error: 'too many requests in flight, retry later' });
		expect(Date.now() - started).toBeLessThan(1_000);
		held.forEach((h) => h.finish());
		for (const h of held) expect((await h.answer).status).toBe(200);
		expect(
			(await shopify.sendWebhook(r.url + SHOPIFY_PATH, 'inventory_levels/update', '{"a":2}'))
				.status,
		).toBe(200);
		expect(await admin.xlen(inboxKey(prefix, name))).toBe(3);
	});
});

describe('Redis outage', () => {
	let own: OwnRedis;
	beforeAll(async () => {
		own = await OwnRedis.start();
	});
	afterAll(async () => {
		await own.stop();
	});

	it('Redis stopped → 503, never 200; Redis back → 200 without restarting the receiver', async () => {
		const r = await start(receiverConfig({ host: '127.0.0.1', port: own.port }, prefix));
		const url = r.url + SHOPIFY_PATH;
		const before = await shopify.sendWebhook(url, 'inventory_levels/update', '{"n":0}');
		expect(before.status).toBe(200);

		await own.kill();
		const during = await Promise.all(
			Array.from(
				{ length: 30 },
				async (_, i) => await shopify.sendWebhook(url, 'inventory_levels/update', `{"n":${i + 1}}`),
			),
		);
		expect(during.map((x) => x.status)).toEqual(during.map(() => 503));
		expect(JSON.parse(during[0].body)).toEqual({ error: 'inbox unavailable, retry later' });
		expect((await get(`${r.url}/healthz`)).status).toBe(503);

		await own.restart();
		const back = await waitFor(
			async () => await shopify.sendWebhook(url, 'inventory_levels/update', '{"n":"back"}'),
			(x) => x.status === 200,
			20_000,
			'200 after Redis is back',
			100,
		);
		expect(back.status).toBe(200);
		expect((await get(`${r.url}/healthz`)).status).toBe(200);
		// The restarted Redis is empty (no persistence here): it holds exactly the 200 given since it came back.
		const probe = testClientOn(own.port);
		try {
			const stored = await entries(probe, stream);
			expect(stored.map((e) => e.fields.get('body')?.toString())).toEqual(['{"n":"back"}']);
		} finally {
			probe.disconnect();
		}
		expect(r.metricsText()).toMatch(/invsync_receiver_xadd_failures_total (3\d|[4-9]\d|\d{3,})/);
		expect(logs.some((l) => l.event === 'inbox_unavailable')).toBe(true);
		expect(logs.some((l) => l.event === 'inbox_available')).toBe(true);
	});

	it('a receiver started while Redis is down answers 503, then 200 once Redis is up', async () => {
		await own.kill();
		const r = await start(receiverConfig({ host: '127.0.0.1', port: own.port }, prefix));
		const url = r.url + SHOPIFY_PATH;
		expect((await shopify.sendWebhook(url, 'inventory_levels/update', '{"m":1}')).status).toBe(503);
		await own.restart();
		await waitFor(
			async () => (await shopify.sendWebhook(url, 'inventory_levels/update', '{"m":2}')).status,
			(s) => s === 200,
			20_000,
			'200 after Redis is up',
			100,
		);
	});
});

function testClientOn(port: number): Redis {
	return testClient({ host: '127.0.0.1', port });
}
