import { createHmac } from 'node:crypto';
import { receiveSigned } from '../../../nodes/shared/receipt';

// The receipt decision both paths share (Webhook Trigger and Inventory Receiver); the e2e and integration
// tests run the same case table against each path (test/support/signatureCases.ts).
const sign = (body: Buffer, secret: string) =>
	createHmac('sha256', secret).update(body).digest('base64');
const at = new Date(Date.UTC(2030, 0, 1));
const body = Buffer.from('{"id":1}');

describe('receiveSigned', () => {
	it('answers the WooCommerce ping before anything else, even without secrets', () => {
		expect(receiveSigned('woocommerce', {}, Buffer.from('webhook_id=7'), {}, at)).toEqual({
			kind: 'ping',
		});
	});

	it('refuses with the answer bodies of the trigger: no secret, missing header, invalid signature', () => {
		const h = { 'x-shopify-hmac-sha256': sign(body, 'right') };
		expect(receiveSigned('shopify', h, body, {}, at)).toMatchObject({
			kind: 'refused',
			status: 401,
			body: { error: 'no webhook secret is configured in the credential' },
		});
		expect(receiveSigned('shopify', {}, body, { current: 'right' }, at)).toMatchObject({
			body: { error: 'missing signature header' },
		});
		expect(receiveSigned('shopify', h, body, { current: 'wrong' }, at)).toMatchObject({
			body: { error: 'invalid signature' },
		});
	});

	it('accepts the current or the previous secret and builds the delivery from the headers we keep', () => {
		const h = {
			'x-wc-webhook-signature': sign(body, 'old'),
			'x-wc-webhook-topic': 'order.updated',
			cookie: 'x',
		};
		const r = receiveSigned('woocommerce', h, body, { current: 'new', previous: 'old' }, at);
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
			{ current: 's' },
			at,
		);
		expect(r.kind === 'accepted' && r.delivery.bodyNotUtf8).toBe(true);
	});
});
