import fc from 'fast-check';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SETTINGS } from '../../../nodes/InventoryInboxTrigger/batching';
import { InventoryInboxTrigger } from '../../../nodes/InventoryInboxTrigger/InventoryInboxTrigger.node';
import {
	itemsOf,
	parseEntries,
	parseReadReply,
	prepareEntry,
} from '../../../nodes/InventoryInboxTrigger/entries';
import { normalizeDelivery, type Delivery } from '../../../nodes/shared/events';

const RECEIVED = '2026-11-26T10:00:05.000Z';
const BIG = '9007199254740993';

/** An entry's fields exactly as shared/inbox.ts appendToInbox stores them, as Redis returns them (Buffers). */
function fieldsOf(d: Delivery): Buffer[] {
	return [
		'platform',
		d.platform,
		'headers',
		JSON.stringify(d.headers),
		'body',
		d.rawBody,
		'receivedAt',
		d.receivedAt,
	].map((x) => Buffer.from(x, 'utf8'));
}

const level: Delivery = {
	platform: 'shopify',
	headers: {
		'x-shopify-topic': 'inventory_levels/update',
		'x-shopify-shop-domain': 'demo-shop.myshopify.com',
		'x-shopify-event-id': 'evt-9',
		'x-shopify-triggered-at': '2026-11-26T15:00:00.123Z',
	},
	rawBody: `{"inventory_item_id":${BIG},"location_id":655441491,"available":7,"updated_at":"2026-11-26T10:00:00-05:00"}`,
	receivedAt: RECEIVED,
};

const wooOrder: Delivery = {
	platform: 'woocommerce',
	headers: {
		'x-wc-webhook-topic': 'order.updated',
		'x-wc-webhook-source': 'https://shop.example.com/',
		'x-wc-webhook-delivery-id': 'abc',
	},
	rawBody: JSON.stringify({
		id: 5001,
		status: 'processing',
		date_modified_gmt: '2026-11-26T10:00:00',
		line_items: [
			{
				id: 77,
				product_id: 93,
				variation_id: 0,
				sku: 'W-1',
				quantity: 2,
				meta_data: [{ key: '_reduced_stock', value: '2' }],
			},
		],
	}),
	receivedAt: RECEIVED,
};

describe('inbox entries → canonical items', () => {
	it('gives exactly the items the per-request trigger emits for the same delivery (ids exact)', () => {
		for (const d of [level, wooOrder]) {
			const prepared = prepareEntry({ id: '1-0', fields: fieldsOf(d), deliveries: 1 });
			const direct = normalizeDelivery({ ...d, via: 'webhook' });
			expect(prepared.events).toEqual(direct.events);
			expect(prepared.invalid).toEqual(direct.invalid);
			expect(prepared.events.length).toBeGreaterThan(0);
		}
		const [ev] = prepareEntry({ id: '1-0', fields: fieldsOf(level), deliveries: 1 }).events;
		expect(ev.refs.inventoryItemId).toBe(BIG);
		expect(ev.receivedAt).toBe(RECEIVED);
	});

	it('a signed body of the wrong shape goes to Invalid with the reason and the raw body', () => {
		const bad = {
			...level,
			headers: { ...level.headers, 'x-shopify-topic': 'orders/updated' },
			rawBody: '{"id":1,"line_items":"no"}',
		};
		const p = prepareEntry({ id: '2-0', fields: fieldsOf(bad), deliveries: 1 });
		expect(p.events).toEqual([]);
		expect(p.invalid).toEqual([
			expect.objectContaining({
				rawBody: bad.rawBody,
				platform: 'shopify',
				topic: 'orders/updated',
			}),
		]);
	});

	it('an entry not written by the Webhook Trigger becomes an Invalid item naming the entry, never an exception', () => {
		const p = prepareEntry({
			id: '3-7',
			fields: ['platform', 'ebay', 'body', '{}'].map((x) => Buffer.from(x)),
			deliveries: 2,
		});
		expect(p.events).toEqual([]);
		expect(p.invalid).toEqual([
			expect.objectContaining({
				reason:
					"unreadable inbox entry (not written by the Inventory Webhook Trigger: platform 'ebay' is neither shopify nor woocommerce)",
				platform: 'ebay',
				entryId: '3-7',
				rawBody: '{}',
			}),
		]);
		const broken = prepareEntry({
			id: '4-0',
			fields: ['platform', 'shopify', 'headers', '{oops'].map((x) => Buffer.from(x)),
			deliveries: 1,
		});
		expect(broken.invalid[0]).toMatchObject({
			entryId: '4-0',
			reason: expect.stringMatching(/^unreadable inbox entry/),
		});
	});

	it('headers that are not an object of text (an array topic, null, an array, a number) → that entry alone is Invalid', () => {
		const withHeaders = (headers: string) =>
			[
				'platform',
				'shopify',
				'headers',
				headers,
				'body',
				level.rawBody,
				'receivedAt',
				RECEIVED,
			].map((x) => Buffer.from(x));
		const arrayTopic = JSON.stringify({ ...level.headers, 'x-shopify-topic': ['orders/create'] });
		const cases: Array<[string, RegExp]> = [
			[arrayTopic, /header 'x-shopify-topic' is not text/],
			['null', /headers are null/],
			['[1,2]', /headers are an array/],
			['7', /headers are number/],
			[JSON.stringify({ 'x-shopify-shop-domain': { host: 'x' } }), /is not text/],
		];
		for (const [headers, reason] of cases) {
			const p = prepareEntry({ id: '6-0', fields: withHeaders(headers), deliveries: 1 });
			expect(p.events).toEqual([]);
			expect(p.invalid).toEqual([
				expect.objectContaining({ entryId: '6-0', reason: expect.stringMatching(reason) }),
			]);
			expect(p.invalid[0].reason).toMatch(/^unreadable inbox entry/);
		}
		// Beside a valid entry the batch still has the valid one's items.
		const ok = prepareEntry({ id: '6-1', fields: fieldsOf(level), deliveries: 1 });
		const bad = prepareEntry({ id: '6-2', fields: withHeaders(arrayTopic), deliveries: 1 });
		const { events, invalid } = itemsOf([bad, ok]);
		expect(events).toHaveLength(1);
		expect(invalid).toHaveLength(1);
	});

	it('a body that is not valid UTF-8 is Invalid ("not valid UTF-8"), so raw S\\xff and S\\xfe never merge into one SKU', () => {
		const orderWith = (skuBytes: Buffer) =>
			Buffer.concat([
				Buffer.from(
					'{"id":5001,"status":"processing","date_modified_gmt":"2026-11-26T10:00:00","line_items":[{"id":77,"product_id":93,"sku":"',
				),
				skuBytes,
				Buffer.from('","quantity":1}]}'),
			]);
		for (const bytes of [Buffer.from([0x53, 0xff]), Buffer.from([0x53, 0xfe])]) {
			const fields = [
				'platform',
				'woocommerce',
				'headers',
				JSON.stringify(wooOrder.headers),
				'receivedAt',
				RECEIVED,
			].map((x) => Buffer.from(x));
			fields.push(Buffer.from('body'), orderWith(bytes));
			const p = prepareEntry({ id: '7-0', fields, deliveries: 1 });
			expect(p.events).toEqual([]);
			expect(p.invalid).toEqual([
				expect.objectContaining({
					reason: 'the body is not valid UTF-8 (the platforms send UTF-8)',
				}),
			]);
		}
	});

	it('property: any entry fields (any names, any bytes, any JSON in headers) → items or Invalid, never a throw', () => {
		const bytes = fc.uint8Array({ maxLength: 60 }).map((a) => Buffer.from(a));
		const text = (t: fc.Arbitrary<string>) => t.map((x) => Buffer.from(x, 'utf8'));
		const name = fc.oneof(
			fc.constantFrom('platform', 'headers', 'body', 'receivedAt'),
			fc.string({ maxLength: 8 }),
		);
		const value = fc.oneof(
			fc.constantFrom('shopify', 'woocommerce').map((x) => Buffer.from(x)),
			text(fc.json({ maxDepth: 3 })),
			text(
				fc
					.dictionary(
						fc.constantFrom(...Object.keys(level.headers), ...Object.keys(wooOrder.headers)),
						fc.jsonValue({ maxDepth: 2 }),
					)
					.map((h) => JSON.stringify(h)),
			),
			text(fc.constantFrom(level.rawBody, wooOrder.rawBody)),
			bytes,
		);
		fc.assert(
			fc.property(fc.array(fc.tuple(name, value), { maxLength: 6 }), (pairs) => {
				const fields = pairs.flatMap(([n, v]) => [Buffer.from(n, 'utf8'), v]);
				const p = prepareEntry({ id: '8-0', fields, deliveries: 1 });
				const { events, invalid } = itemsOf([p]);
				return (
					Array.isArray(events) &&
					Array.isArray(invalid) &&
					invalid.every((i) => typeof i.reason === 'string')
				);
			}),
			{ numRuns: 3_000 },
		);
	});

	it('refunds/create asks for a re-read and emits nothing by itself', () => {
		const refund: Delivery = {
			...level,
			headers: { ...level.headers, 'x-shopify-topic': 'refunds/create' },
			rawBody: `{"id":1,"order_id":${BIG},"created_at":"2026-11-26T10:00:00-05:00","refund_line_items":[]}`,
		};
		const p = prepareEntry({ id: '5-0', fields: fieldsOf(refund), deliveries: 1 });
		expect(p.events).toEqual([]);
		expect(p.rereadOrder).toEqual({ shop: 'demo-shop.myshopify.com', orderId: BIG });
	});

	it('parses XREADGROUP / XAUTOCLAIM replies read as Buffers, keeping the body bytes', () => {
		const body = Buffer.from('{"a":"é"}', 'utf8');
		const reply = [
			[Buffer.from('invsync:inbox'), [[Buffer.from('10-1'), [Buffer.from('body'), body]]]],
		];
		const [entry] = parseReadReply(reply);
		expect(entry.id).toBe('10-1');
		expect(entry.fields[1].equals(body)).toBe(true);
		expect(parseReadReply(null)).toEqual([]);
		expect(parseEntries([[Buffer.from('1-0'), null]])).toEqual([]); // deleted while pending (Redis 6.2)
	});

	it('itemsOf keeps stream order across entries', () => {
		const a = prepareEntry({ id: '1-0', fields: fieldsOf(level), deliveries: 1 });
		const b = prepareEntry({ id: '1-1', fields: fieldsOf(wooOrder), deliveries: 1 });
		const { events } = itemsOf([a, b]);
		expect(events.map((e) => e.source.platform)).toEqual(['shopify', 'woocommerce']);
	});

	it('itemsOf stamps every event with its inbox entry id (the Guard owns claims by it)', () => {
		const a = prepareEntry({ id: '1-0', fields: fieldsOf(level), deliveries: 1 });
		const b = prepareEntry({ id: '1-1', fields: fieldsOf(wooOrder), deliveries: 1 });
		const { events } = itemsOf([a, b]);
		expect(new Set(events.map((e) => e.inboxEntryId))).toEqual(new Set(['1-0', '1-1']));
		expect(
			events.filter((e) => e.source.platform === 'shopify').every((e) => e.inboxEntryId === '1-0'),
		).toBe(true);
		// The prepared entry itself is left as it was: a re-run in halves stamps again, the same way.
		expect(a.events.every((e) => e.inboxEntryId === undefined)).toBe(true);
	});
});

describe('Inventory Inbox Trigger description', () => {
	const node = new InventoryInboxTrigger();
	const d = node.description;
	const DIR = join(__dirname, '../../../nodes/InventoryInboxTrigger');

	it('follows the package conventions (trigger, icons, codex, credential test)', () => {
		expect(d.name).toBe('inventoryInboxTrigger');
		expect(d.group).toEqual(['trigger']);
		expect(d.inputs).toEqual([]);
		const icon = d.icon as { light: string; dark: string };
		for (const f of [icon.light, icon.dark])
			expect(existsSync(join(DIR, f.replace('file:', '')))).toBe(true);
		const codex = JSON.parse(readFileSync(join(DIR, 'InventoryInboxTrigger.node.json'), 'utf8'));
		expect(codex.node).toBe('n8n-nodes-inventory-sync.inventoryInboxTrigger');
		expect(d.credentials?.[0]).toEqual({
			name: 'inventoryRedisApi',
			required: true,
			testedBy: 'inventoryRedisApiTest',
		});
		expect(d.credentials?.[1]).toMatchObject({
			name: 'shopifyInventoryApi',
			displayOptions: { hide: { rereadRefundedOrders: [false] } },
		});
		expect(typeof node.methods.credentialTest.inventoryRedisApiTest).toBe('function');
		expect(typeof node.trigger).toBe('function');
	});

	it('parameter defaults equal the settings defaults', () => {
		const def = (name: string) => d.properties.find((p) => p.name === name)?.default;
		expect(def('inboxStream')).toBe(DEFAULT_SETTINGS.stream);
		expect(def('consumerGroup')).toBe(DEFAULT_SETTINGS.group);
		expect(def('batchSize')).toBe(DEFAULT_SETTINGS.batchSize);
		expect(def('maxWait')).toBe(DEFAULT_SETTINGS.maxWaitMs);
		expect(def('parallelBatches')).toBe(DEFAULT_SETTINGS.parallelBatches);
		expect(Number(def('reclaimAfter')) * 1000).toBe(DEFAULT_SETTINGS.reclaimAfterMs);
		expect(def('maxDeliveries')).toBe(DEFAULT_SETTINGS.maxDeliveries);
	});

	it('outputs Events and Invalid, plus Health when switched on (an expression n8n evaluates)', () => {
		const source = String(d.outputs);
		expect(source.startsWith('={{(')).toBe(true);
		const evaluate = new Function('$parameter', `return ${source.slice(3, -2)}`) as (
			p: object,
		) => Array<{ displayName: string }>;
		expect(evaluate({}).map((o) => o.displayName)).toEqual(['Events', 'Invalid']);
		expect(evaluate({ healthOutput: true }).map((o) => o.displayName)).toEqual([
			'Events',
			'Invalid',
			'Health',
		]);
	});
});
