import { createHmac } from 'node:crypto';
import { normalizeDelivery } from '../../../nodes/shared/events';
import { receiveSigned } from '../../../nodes/shared/receipt';

// The receipt decision both paths share (Webhook Trigger and Inventory Receiver); the e2e and integration
// tests run the same case table against each path (test/support/signatureCases.ts).
const sign = (body: Buffer, secret: string) =>
	createHmac('sha256', secret).update(body).digest('base64');
const at = new Date(Date.UTC(2030, 0, 1));
const body = Buffer.from('{"id":1}');
const SHOP = 'demo-shop.myshopify.com';

describe('receiveSigned', () => {
	it('answers the WooCommerce ping before anything else, even without secrets', () => {
		expect(
			receiveSigned('woocommerce', {}, Buffer.from('webhook_id=7'), { shop: null }, at),
		).toEqual({
			kind: 'ping',
		});
	});

	it('refuses with the answer bodies of the trigger: no secret, missing header, invalid signature', () => {
		const h = { 'x-shopify-hmac-sha256': sign(body, 'right') };
		expect(receiveSigned('shopify', h, body, { shop: SHOP }, at)).toMatchObject({
			kind: 'refused',
			status: 401,
			body: { error: 'no webhook secret is configured in the credential' },
		});
		expect(receiveSigned('shopify', {}, body, { current: 'right', shop: SHOP }, at)).toMatchObject({
			body: { error: 'missing signature header' },
		});
		expect(receiveSigned('shopify', h, body, { current: 'wrong', shop: SHOP }, at)).toMatchObject({
			body: { error: 'invalid signature' },
		});
	});

	it('accepts the current or the previous secret and builds the delivery from the headers we keep', () => {
		const h = {
			'x-wc-webhook-signature': sign(body, 'old'),
			'x-wc-webhook-topic': 'order.updated',
			cookie: 'x',
		};
		const r = receiveSigned(
			'woocommerce',
			h,
			body,
			{
				current: 'new',
				previous: 'old',
				shop: 'shop.example.com',
			},
			at,
		);
		expect(r).toEqual({
			kind: 'accepted',
			delivery: expect.objectContaining({
				platform: 'woocommerce',
				rawBody: '{"id":1}',
				receivedAt: at.toISOString(),
				via: 'webhook',
			}),
		});
		if (r.kind !== 'accepted') throw new Error('accepted');
		expect(r.delivery.headers['x-wc-webhook-topic']).toBe('order.updated');
		expect(r.delivery.headers).not.toHaveProperty('cookie');
		expect(r.delivery).not.toHaveProperty('bodyNotUtf8');
	});

	it('flags a body that is not valid UTF-8', () => {
		const raw = Buffer.from([0x7b, 0xff, 0x7d]);
		const r = receiveSigned(
			'shopify',
			{ 'x-shopify-hmac-sha256': sign(raw, 's') },
			raw,
			{ current: 's', shop: SHOP },
			at,
		);
		expect(r.kind === 'accepted' && r.delivery.bodyNotUtf8).toBe(true);
	});

	it('names the events by the credential’s shop: the same signed body under another shop header gives the same ids', () => {
		const order = Buffer.from(
			JSON.stringify({
				id: 450789469,
				updated_at: '2030-01-01T00:00:00Z',
				created_at: '2030-01-01T00:00:00Z',
				line_items: [{ id: 466157049, sku: 'S-1', quantity: 2, fulfillable_quantity: 2 }],
			}),
		);
		const signed = (shopHeader?: string) => ({
			'x-shopify-hmac-sha256': sign(order, 'right'),
			'x-shopify-topic': 'orders/create',
			...(shopHeader === undefined ? {} : { 'x-shopify-shop-domain': shopHeader }),
		});
		const ids = (shopHeader?: string) => {
			const r = receiveSigned(
				'shopify',
				signed(shopHeader),
				order,
				{ current: 'right', shop: SHOP },
				at,
			);
			if (r.kind !== 'accepted') throw new Error(r.kind);
			const result = normalizeDelivery(r.delivery);
			expect(result.invalid).toEqual([]);
			return { delivery: r.delivery, ids: result.events.map((e) => e.id) };
		};
		const genuine = ids(SHOP);
		expect(genuine.ids).toEqual([`shopify:${SHOP}:order:450789469:line:466157049`]);
		expect(genuine.delivery).not.toHaveProperty('shopHeaderIgnored');
		// The header's spelling of the same shop is not a disagreement.
		expect(ids(`https://${SHOP.toUpperCase()}/`).delivery).not.toHaveProperty('shopHeaderIgnored');
		const replayed = ids('other-shop.myshopify.com');
		expect(replayed.ids).toEqual(genuine.ids);
		expect(replayed.delivery.headers['x-shopify-shop-domain']).toBe(SHOP);
		expect(replayed.delivery.shopHeaderIgnored).toBe('other-shop.myshopify.com');
		// No header at all: still the credential's shop, not an Invalid item.
		expect(ids(undefined).ids).toEqual(genuine.ids);
	});

	it('WooCommerce: the credential’s site host names the events, not X-WC-Webhook-Source', () => {
		const raw = Buffer.from('{"id":1}');
		const r = receiveSigned(
			'woocommerce',
			{
				'x-wc-webhook-signature': sign(raw, 'w'),
				'x-wc-webhook-source': 'https://elsewhere.example/',
			},
			raw,
			{ current: 'w', shop: 'shop.example.com' },
			at,
		);
		if (r.kind !== 'accepted') throw new Error(r.kind);
		expect(r.delivery.headers['x-wc-webhook-source']).toBe('shop.example.com');
		expect(r.delivery.shopHeaderIgnored).toBe('https://elsewhere.example/');
	});

	it('refuses a signed delivery when the credential names no shop (never a guess from the header)', () => {
		const h = { 'x-shopify-hmac-sha256': sign(body, 'right'), 'x-shopify-shop-domain': SHOP };
		expect(receiveSigned('shopify', h, body, { current: 'right', shop: null }, at)).toMatchObject({
			kind: 'refused',
			status: 401,
			body: { error: 'the credential names no shop (Shop Domain or Site URL)' },
		});
	});
});
