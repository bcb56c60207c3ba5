import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WooCommerceSimulator, WooOutOfStockError } from '../simulators/woocommerce';
import { wooProduct } from '../simulators/payloads';

/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * The WooCommerce simulator's stock, orders, event deliveries, host limits and faults, each against the rule of
 * /work/shared/platform-facts.md "WooCommerce" it simulates.
 */

interface Received {
	headers: http.IncomingHttpHeaders;
	body: Buffer;
	json: any;
}

async function startReceiver() {
	const received: Received[] = [];
	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			const body = Buffer.concat(chunks);
			let json: any;
			try {
				json = JSON.parse(body.toString('utf8'));
			} catch {
				json = undefined;
			}
			received.push({ headers: req.headers, body, json });
			res.writeHead(200, { 'Content-Type': 'text/plain' });
			res.end('');
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const port = (server.address() as AddressInfo).port;
	return {
		url: `http://127.0.0.1:${port}`,
		received,
		/** Event deliveries only (the creation ping is form-encoded). */
		events: (topic?: string) =>
			received.filter(
				(r) =>
					r.headers['x-wc-webhook-topic'] !== undefined &&
					(topic === undefined || r.headers['x-wc-webhook-topic'] === topic),
			),
		close: () =>
			new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			}),
	};
}

describe('WooCommerceSimulator: stock, orders, deliveries, host limits', () => {
	const ck = 'ck_woo_grow';
	const cs = 'cs_woo_grow';
	const basic = 'Basic ' + Buffer.from(`${ck}:${cs}`).toString('base64');
	let woo: WooCommerceSimulator;
	let rx: Awaited<ReturnType<typeof startReceiver>>;

	const rest = async (method: string, p: string, body?: unknown) => {
		const headers: Record<string, string> = { Authorization: basic };
		if (body !== undefined) headers['Content-Type'] = 'application/json';
		const res = await fetch(`${woo.restBase}${p}`, {
			method,
			headers,
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await res.text();
		let json: any;
		try {
			json = text ? JSON.parse(text) : undefined;
		} catch {
			json = undefined;
		}
		return { status: res.status, headers: res.headers, text, json };
	};
	const subscribe = (topic: string) =>
		woo.createWebhook({ topic, delivery_url: `${rx.url}/hook`, secret: 'sekret' });

	beforeEach(async () => {
		rx = await startReceiver();
	});
	afterEach(async () => {
		await woo.stop();
		await rx.close();
	});

	const start = async (
		opts: Partial<ConstructorParameters<typeof WooCommerceSimulator>[0]> = {},
	) => {
		woo = new WooCommerceSimulator({ consumerKey: ck, consumerSecret: cs, ...opts });
		await woo.start();
	};

	describe('products and batches', () => {
		it('a stock write moves date_modified_gmt and fires product.updated built at delivery time', async () => {
			let t = Date.UTC(2026, 10, 28, 10, 0, 0);
			// Deliveries go out asynchronously (Action Scheduler): 50 ms after the change here.
			await start({ now: () => t, deliveryDelayMs: 50 });
			woo.putProduct({ id: 11, sku: 'A', stock_quantity: 5 });
			await subscribe('product.updated');
			t += 60_000;
			const r = await rest('PUT', '/products/11', { stock_quantity: 3 });
			expect(r.json.date_modified_gmt).toBe('2026-11-28T10:01:00');
			expect(r.json.date_modified).toBe('2026-11-28T12:01:00');
			// Changed again before the delivery goes out: the payload is the state at sending.
			woo.getProduct(11)!.stock_quantity = 2;
			await woo.flushDeliveries();
			const ev = rx.events('product.updated');
			expect(ev).toHaveLength(1);
			expect(ev[0].json).toMatchObject({ id: 11, sku: 'A', stock_quantity: 2, manage_stock: true });
			expect(ev[0].headers['x-wc-webhook-signature']).toBe(woo.signBody(ev[0].body, 'sekret'));
		});

		it('no subscription → no delivery; echoProductUpdates:false → none either', async () => {
			await start({ echoProductUpdates: false });
			woo.putProduct({ id: 11, sku: 'A', stock_quantity: 5 });
			await subscribe('product.updated');
			await rest('PUT', '/products/11', { stock_quantity: 3 });
			await woo.flushDeliveries();
			expect(rx.events()).toHaveLength(0);
		});

		it('batch: per-item errors inside a 200, one delivery per changed resource, variations as product.updated with parent_id', async () => {
			await start();
			woo.putProduct({ id: 11, sku: 'A', stock_quantity: 5 });
			woo.putProduct(wooProduct({ id: 20, sku: 'H', type: 'variable', variations: [] }));
			woo.putProduct({ id: 21, parent_id: 20, sku: 'H-M', stock_quantity: 1 });
			woo.putProduct({ id: 22, parent_id: 20, sku: 'H-L', stock_quantity: 1 });
			await subscribe('product.updated');
			const r = await rest('POST', '/products/batch', {
				update: [
					{ id: 11, stock_quantity: 4 },
					{ id: 11, stock_quantity: 7 },
					{ id: 404, stock_quantity: 1 },
				],
			});
			expect(r.status).toBe(200);
			expect(r.json.update[1]).toMatchObject({ id: 11, stock_quantity: 7 });
			expect(r.json.update[2]).toEqual({
				id: 404,
				error: {
					code: 'woocommerce_rest_product_invalid_id',
					message: 'Invalid ID.',
					data: { status: 400 },
				},
			});
			const v = await rest('POST', '/products/20/variations/batch', {
				update: [
					{ id: 21, stock_quantity: 0 },
					{ id: 11, stock_quantity: 9 },
				],
			});
			expect(v.status).toBe(200);
			expect(v.json.update[0]).toMatchObject({
				id: 21,
				stock_quantity: 0,
				stock_status: 'outofstock',
			});
			expect(v.json.update[1].error.code).toBe('woocommerce_rest_product_variation_invalid_id');
			expect(woo.getProduct(11)!.stock_quantity).toBe(7);
			await woo.flushDeliveries();
			const ev = rx
				.events('product.updated')
				.map((e) => [e.json.id, e.json.parent_id, e.json.stock_quantity]);
			expect(ev.sort()).toEqual([
				[11, 0, 7],
				[21, 20, 0],
			]);
		});

		it('more than 100 objects in total → 413 woocommerce_rest_request_entity_too_large, nothing applied', async () => {
			await start();
			woo.putProduct({ id: 11, sku: 'A', stock_quantity: 5 });
			woo.putProduct(wooProduct({ id: 20, sku: 'H', type: 'variable', variations: [] }));
			const mixed = await rest('POST', '/products/batch', {
				create: Array.from({ length: 50 }, (_, i) => ({ sku: `N${i}` })),
				update: [{ id: 11, stock_quantity: 1 }, ...Array.from({ length: 49 }, () => ({ id: 404 }))],
				delete: [999],
			});
			expect(mixed.status).toBe(413);
			expect(mixed.json).toEqual({
				code: 'woocommerce_rest_request_entity_too_large',
				message: 'Unable to accept more than 100 items for this request.',
				data: { status: 413 },
			});
			expect(woo.getProduct(11)!.stock_quantity).toBe(5);
			const vars = await rest('POST', '/products/20/variations/batch', {
				update: Array.from({ length: 101 }, (_, i) => ({ id: i + 1 })),
			});
			expect(vars.status).toBe(413);
			const exactly = await rest('POST', '/products/batch', {
				update: Array.from({ length: 100 }, () => ({ id: 11, stock_quantity: 2 })),
			});
			expect(exactly.status).toBe(200);
		});

		it('sku filter and paging headers on products and variations', async () => {
			await start();
			woo.putProduct(wooProduct({ id: 20, sku: 'H', type: 'variable', variations: [] }));
			for (let i = 1; i <= 5; i++)
				woo.putProduct({ id: 20 + i, parent_id: 20, sku: `H-${i}`, stock_quantity: i });
			const page = await rest('GET', '/products/20/variations?per_page=2&page=3');
			expect(page.headers.get('x-wp-total')).toBe('5');
			expect(page.headers.get('x-wp-totalpages')).toBe('3');
			expect(page.json).toHaveLength(1);
			const bySku = await rest('GET', '/products?sku=H-2');
			expect(bySku.json.map((p: any) => [p.id, p.parent_id])).toEqual([[22, 20]]);
			expect(bySku.headers.get('x-wp-total')).toBe('1');
		});
	});

	describe('orders and stock rules', () => {
		it('processing/on-hold/completed reduce once and set _reduced_stock; cancelled/pending restore and delete it; failed keeps', async () => {
			await start();
			woo.putProduct({ id: 11, sku: 'A', stock_quantity: 10 });
			woo.putProduct({ id: 12, sku: 'U', manage_stock: false });
			const o = woo.placeOrder({
				status: 'on-hold',
				lines: [
					{ sku: 'A', quantity: 3 },
					{ sku: 'U', quantity: 1 },
				],
			});
			const id = o.id as any;
			const meta = (i: number) =>
				((woo.getOrder(id)!.line_items as any[])[i].meta_data as any[]).filter(
					(m) => m.key === '_reduced_stock',
				);
			expect(woo.getProduct(11)!.stock_quantity).toBe(7);
			expect(meta(0).map((m) => m.value)).toEqual(['3']);
			expect(meta(1)).toEqual([]); // not stock-managed: nothing drawn, no meta
			woo.setOrderStatus(id, 'processing');
			woo.setOrderStatus(id, 'completed');
			expect(woo.getProduct(11)!.stock_quantity).toBe(7);
			woo.setOrderStatus(id, 'failed');
			expect(woo.getProduct(11)!.stock_quantity).toBe(7);
			woo.setOrderStatus(id, 'refunded');
			expect(woo.getProduct(11)!.stock_quantity).toBe(7);
			woo.setOrderStatus(id, 'cancelled');
			expect(woo.getProduct(11)!.stock_quantity).toBe(10);
			expect(meta(0)).toEqual([]);
			woo.setOrderStatus(id, 'processing');
			expect(woo.getProduct(11)!.stock_quantity).toBe(7);
			woo.setOrderStatus(id, 'pending');
			expect(woo.getProduct(11)!.stock_quantity).toBe(10);

			const pending = woo.placeOrder({ status: 'pending', lines: [{ sku: 'A', quantity: 2 }] });
			expect(woo.getProduct(11)!.stock_quantity).toBe(10);
			const r = await rest('PUT', `/orders/${String(pending.id)}`, { status: 'processing' });
			expect(r.status).toBe(200);
			expect(r.json.status).toBe('processing');
			expect(
				r.json.line_items[0].meta_data.find((m: any) => m.key === '_reduced_stock').value,
			).toBe('2');
			expect(woo.getProduct(11)!.stock_quantity).toBe(8);
		});

		it('a variation managing stock at parent level draws from the parent', async () => {
			await start();
			woo.putProduct(
				wooProduct({
					id: 20,
					sku: 'H',
					type: 'variable',
					manageStock: true,
					stockQuantity: 6,
					variations: [],
				}),
			);
			woo.putProduct({ id: 21, parent_id: 20, sku: 'H-M', manage_stock: 'parent' });
			const o = woo.placeOrder({ lines: [{ sku: 'H-M', quantity: 2 }] });
			expect(woo.getProduct(20)!.stock_quantity).toBe(4);
			expect((o.line_items as any[])[0]).toMatchObject({ product_id: 20n, variation_id: 21n });
		});

		it('sells only what it shows: more than the shown stock of a managed product is refused', async () => {
			await start();
			woo.putProduct({ id: 11, sku: 'A', stock_quantity: 2 });
			woo.putProduct({ id: 12, sku: 'Z', stock_quantity: 0 });
			woo.putProduct({ id: 13, sku: 'B', stock_quantity: 0, backorders: 'notify' });
			expect(() => woo.placeOrder({ lines: [{ sku: 'A', quantity: 3 }] })).toThrow(
				WooOutOfStockError,
			);
			expect(() =>
				woo.placeOrder({
					lines: [
						{ sku: 'A', quantity: 2 },
						{ sku: 'A', quantity: 1 },
					],
				}),
			).toThrow(/\(2 available\)/);
			expect(() => woo.placeOrder({ lines: [{ sku: 'Z', quantity: 1 }] })).toThrow(/not in stock/);
			expect(woo.orders.size).toBe(0);
			expect(woo.getProduct(11)!.stock_quantity).toBe(2);
			woo.placeOrder({ lines: [{ sku: 'A', quantity: 2 }] });
			expect(woo.getProduct(11)).toMatchObject({ stock_quantity: 0, stock_status: 'outofstock' });
			woo.placeOrder({ lines: [{ sku: 'B', quantity: 1 }] }); // backorders allowed
			expect(woo.getProduct(13)!.stock_quantity).toBe(-1);
		});

		it('GET /orders: modified_after (exclusive) in GMT with dates_are_gmt, site time otherwise; orderby=modified asc; paging', async () => {
			let t = Date.UTC(2026, 10, 28, 10, 0, 0);
			await start({ now: () => t });
			woo.putProduct({ id: 11, sku: 'A', stock_quantity: 100 });
			const ids: string[] = [];
			for (let i = 0; i < 5; i++) {
				ids.push(String(woo.placeOrder({ lines: [{ sku: 'A', quantity: 1 }] }).id));
				t += 60_000;
			}
			// The first order changes last.
			woo.setOrderStatus(ids[0], 'completed');
			const q = (s: string) => rest('GET', `/orders?${s}`);
			const gmt = await q(
				'modified_after=2026-11-28T10:01:00&dates_are_gmt=true&orderby=modified&order=asc&per_page=2&page=1',
			);
			expect(gmt.status).toBe(200);
			expect(gmt.headers.get('x-wp-total')).toBe('4');
			expect(gmt.headers.get('x-wp-totalpages')).toBe('2');
			expect(gmt.json.map((o: any) => String(o.id))).toEqual([ids[2], ids[3]]);
			const p2 = await q(
				'modified_after=2026-11-28T10:01:00&dates_are_gmt=true&orderby=modified&order=asc&per_page=2&page=2',
			);
			expect(p2.json.map((o: any) => String(o.id))).toEqual([ids[4], ids[0]]);
			expect(p2.json[1].date_modified_gmt).toBe('2026-11-28T10:05:00');
			// Without dates_are_gmt the same string is site time (UTC+2): 08:01 GMT → all five.
			const local = await q(
				'modified_after=2026-11-28T10:01:00&orderby=modified&order=asc&per_page=100',
			);
			expect(local.headers.get('x-wp-total')).toBe('5');
			// An explicit offset is honoured.
			const z = await q(
				'modified_after=2026-11-28T12:03:00%2B02:00&dates_are_gmt=true&per_page=100',
			);
			expect(z.json.map((o: any) => String(o.id)).sort()).toEqual([ids[4], ids[0]].sort());
			const bad = await q('modified_after=yesterday&dates_are_gmt=true');
			expect(bad.status).toBe(400);
			expect(bad.json.code).toBe('rest_invalid_param');
			const tooMany = await q('per_page=101');
			expect(tooMany.status).toBe(400);
			const one = await rest('GET', `/orders/${ids[1]}`);
			expect(
				one.json.line_items[0].meta_data.find((m: any) => m.key === '_reduced_stock').value,
			).toBe('1');
			const none = await rest('GET', '/orders/1');
			expect(none.status).toBe(404);
			expect(none.json.code).toBe('woocommerce_rest_shop_order_invalid_id');
		});

		it('fires order.created / order.updated and the product.updated of every sale, payloads current at delivery', async () => {
			await start();
			woo.putProduct({ id: 11, sku: 'A', stock_quantity: 5 });
			await subscribe('order.created');
			await subscribe('order.updated');
			await subscribe('product.updated');
			const o = woo.placeOrder({ lines: [{ sku: 'A', quantity: 2 }] });
			await woo.flushDeliveries();
			expect(rx.events('order.created')).toHaveLength(1);
			expect(rx.events('order.created')[0].json.line_items[0].meta_data).toEqual(
				expect.arrayContaining([expect.objectContaining({ key: '_reduced_stock', value: '2' })]),
			);
			expect(rx.events('product.updated').map((e) => e.json.stock_quantity)).toEqual([3]);
			woo.setOrderStatus(o.id as any, 'cancelled');
			await woo.flushDeliveries();
			const upd = rx.events('order.updated');
			expect(upd).toHaveLength(1);
			expect(upd[0].json.status).toBe('cancelled');
			expect(upd[0].json.line_items[0].meta_data.some((m: any) => m.key === '_reduced_stock')).toBe(
				false,
			);
			expect(rx.events('product.updated').map((e) => e.json.stock_quantity)).toEqual([3, 5]);
		});

		it('drops chosen deliveries and a fraction of them; a dropped delivery is never sent again', async () => {
			let n = 0;
			await start({ random: () => [0.1, 0.9][n++ % 2] });
			woo.putProduct({ id: 11, sku: 'A', stock_quantity: 50 });
			await subscribe('order.created');
			woo.dropNextDeliveries(1, 'order.created');
			const first = woo.placeOrder({ lines: [{ sku: 'A', quantity: 1 }] });
			await woo.flushDeliveries();
			expect(rx.events('order.created')).toHaveLength(0);
			expect(woo.droppedDeliveries).toEqual([
				expect.objectContaining({ topic: 'order.created', id: String(first.id) }),
			]);
			woo.dropDeliveryFraction = 0.5;
			for (let i = 0; i < 4; i++) {
				woo.placeOrder({ lines: [{ sku: 'A', quantity: 1 }] });
				await woo.flushDeliveries();
			}
			expect(rx.events('order.created')).toHaveLength(2);
			expect(woo.droppedDeliveries).toHaveLength(3);
			woo.dropDeliveryFraction = 0;
			await new Promise((r) => setTimeout(r, 50));
			expect(rx.events('order.created')).toHaveLength(2); // never retried
			// The orders are all there for a catch-up poll.
			const all = await rest('GET', '/orders?per_page=100');
			expect(all.headers.get('x-wp-total')).toBe('5');
			expect(woo.log.filter((e) => e.op === 'dropped')).toHaveLength(3);
		});

		it('dropDelivery predicate chooses deliveries', async () => {
			await start({ dropDelivery: (d) => d.topic === 'order.updated' });
			woo.putProduct({ id: 11, sku: 'A', stock_quantity: 5 });
			await subscribe('order.created');
			await subscribe('order.updated');
			const o = woo.placeOrder({ lines: [{ sku: 'A', quantity: 1 }] });
			woo.setOrderStatus(o.id as any, 'completed');
			await woo.flushDeliveries();
			expect(rx.events('order.created')).toHaveLength(1);
			expect(rx.events('order.updated')).toHaveLength(0);
		});
	});

	describe('host limits and faults', () => {
		it('requestsPerSecond → 429 with Retry-After, counted in the log; recovers after the window', async () => {
			await start({ requestsPerSecond: 3, retryAfterSeconds: 2 });
			const statuses: number[] = [];
			let retryAfter: string | null = null;
			for (let i = 0; i < 5; i++) {
				const r = await rest('GET', '/products');
				statuses.push(r.status);
				if (r.status === 429) retryAfter = r.headers.get('retry-after');
			}
			expect(statuses).toEqual([200, 200, 200, 429, 429]);
			expect(retryAfter).toBe('2');
			expect(woo.countCalls('GET /products', 429)).toBe(2);
			expect(woo.countCalls()).toBe(5);
			await new Promise((r) => setTimeout(r, 1050));
			expect((await rest('GET', '/products')).status).toBe(200);
			woo.retryAfterSeconds = null;
			for (let i = 0; i < 3; i++) await rest('GET', '/products');
			const noHeader = await rest('GET', '/products');
			expect(noHeader.status).toBe(429);
			expect(noHeader.headers.get('retry-after')).toBeNull();
		});

		it('failNext answers 5xx for matching calls; unavailableFor answers 503 for N ms', async () => {
			await start();
			woo.putProduct({ id: 11, sku: 'A', stock_quantity: 5 });
			woo.failNext(2, 502, '/products/batch');
			expect((await rest('GET', '/products')).status).toBe(200);
			const a = await rest('POST', '/products/batch', { update: [{ id: 11, stock_quantity: 1 }] });
			expect(a.status).toBe(502);
			expect(a.headers.get('content-type')).toBe('text/html');
			expect((await rest('POST', '/products/batch', { update: [] })).status).toBe(502);
			expect((await rest('POST', '/products/batch', { update: [] })).status).toBe(200);
			expect(woo.getProduct(11)!.stock_quantity).toBe(5); // the failed call changed nothing
			woo.unavailableFor(300, 5);
			const u = await rest('GET', '/products');
			expect(u.status).toBe(503);
			expect(u.headers.get('retry-after')).toBe('5');
			await new Promise((r) => setTimeout(r, 350));
			expect((await rest('GET', '/products')).status).toBe(200);
			expect(woo.countCalls('POST /products/batch')).toBe(3);
			expect(woo.log.filter((e) => e.fault === 'injected')).toHaveLength(2);
			expect(woo.log.filter((e) => e.fault === 'unavailable')).toHaveLength(1);
		});

		it('latency delays answers; dropNextConnections closes the socket without an answer', async () => {
			await start({ latencyMs: 120 });
			const t0 = Date.now();
			await rest('GET', '/products');
			expect(Date.now() - t0).toBeGreaterThanOrEqual(110);
			woo.latencyMs = 0;
			woo.dropNextConnections(1, /^\/orders/);
			await expect(rest('GET', '/orders')).rejects.toThrow();
			expect((await rest('GET', '/orders')).status).toBe(200);
			expect(woo.log.filter((e) => e.fault === 'dropped').map((e) => e.name)).toEqual([
				'GET /orders',
			]);
		});
	});
});
