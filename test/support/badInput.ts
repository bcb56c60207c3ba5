/**
 * Bad input for the receipt paths (issue 22, "Bad input and security"): fast-check cases of webhook requests
 * — signed and unsigned, bodies of the platforms' shapes with fields replaced by junk (wrong types, numbers
 * beyond 2^64, unicode, NUL, lone surrogate escapes, long texts), broken JSON, deep nesting, huge arrays, raw
 * bytes that are not UTF-8, several-MB bodies — and the oracle: what the package's own pure receipt path
 * (receiveSigned + normalizeDelivery, the code every receipt path shares) makes of each. The e2e fuzz test
 * sends the cases to the Webhook Trigger in a real n8n and to the Inventory Receiver and compares.
 */
import { createHmac } from 'node:crypto';
import * as http from 'node:http';
import fc from 'fast-check';
import {
	SHOPIFY_TOPICS,
	WOOCOMMERCE_TOPICS,
	normalizeDelivery,
	type InvalidEvent,
	type InventoryEvent,
} from '../../nodes/shared/events';
import { MAX_ABS_QUANTITY } from '../../nodes/shared/events/common';
import { receiveSigned } from '../../nodes/shared/receipt';
import {
	rawNumber,
	shopifyInventoryItem,
	shopifyInventoryLevel,
	shopifyOrder,
	shopifyProduct,
	shopifyRefund,
	toJson,
	wooOrder,
	wooProduct,
} from '../simulators';
import { RawJsonNumber } from '../simulators/json';

export type FuzzPlatform = 'shopify' | 'woocommerce';

/** The secrets the fuzzed receipt paths are configured with (made up per run, never real). */
export interface FuzzSecrets {
	shopify: { current: string; previous: string };
	woocommerce: { current: string; previous: string };
}

export type SignatureChoice = 'current' | 'previous' | 'wrong' | 'garbage' | 'none';

export interface FuzzCase {
	/** Unique per case: also its delivery id header, so its run's items can be found. */
	id: string;
	platform: FuzzPlatform;
	/** What produced the body (for the report). */
	family: string;
	body: Buffer;
	signature: SignatureChoice;
	/** Every request header but the signature and content-length (names as sent). */
	headers: Record<string, string>;
}

export const SHOP = 'fuzz-shop.myshopify.com';
/**
 * The shop each fuzzed receipt path is configured with (the receiver's `shops[].shop`, the trigger's
 * credential): it names the events, whatever shop header a case sends (nodes/shared/receipt.ts).
 */
export const FUZZ_SHOPS = Object.freeze({ shopify: SHOP, woocommerce: 'fuzz.example' });
const T0 = Date.parse('2026-11-26T10:00:00Z');

// ---------------------------------------------------------------------------------------------------------
// Junk values

/** Numbers JavaScript cannot hold exactly, or at all: beyond 2^53, 2^64, 1e308; fractions; -0. */
const ODD_NUMBERS = [
	'9007199254740993',
	'18446744073709551616',
	'-18446744073709551617',
	'123456789012345678901234567890',
	'1e400',
	'-1e400',
	'1.5',
	'-0',
	'1E+2',
	'0.0000001',
	'1000000001',
	'-1000000001',
].map((n) => rawNumber(n));

/** Texts that have broken parsers and key builders elsewhere. */
const ODD_TEXTS = [
	'',
	' ',
	'\u0000',
	'A\u0000B',
	'\ud800',
	'x\udc00y',
	'\udbff\udfff',
	'SKU:{a}*\n',
	'}{',
	'*',
	'\r\n',
	'😀',
	'\u202e',
	'é',
	'e\u0301',
	'__proto__',
	'constructor',
	'gid://shopify/Order/1',
	'gid://shopify/Order/18446744073709551616',
	'0001',
	'2026-13-45T99:99:99Z',
	'not a date',
	'9'.repeat(30),
	'x'.repeat(10_000),
];

const junkText = fc.oneof(
	fc.constantFrom(...ODD_TEXTS),
	fc.string({ unit: 'binary', maxLength: 40 }),
	fc.string({ unit: 'grapheme', maxLength: 20 }),
);

const junkLeaf: fc.Arbitrary<unknown> = fc.oneof(
	junkText,
	fc.constantFrom(...ODD_NUMBERS),
	fc.integer(),
	fc.double(),
	fc.boolean(),
	fc.constant(null),
	fc.constantFrom(2 ** 53, -(2 ** 53), Number.MAX_SAFE_INTEGER, MAX_ABS_QUANTITY + 1),
);

const junkValue: fc.Arbitrary<unknown> = fc.oneof(
	{ weight: 6, arbitrary: junkLeaf },
	{ weight: 1, arbitrary: fc.array(junkLeaf, { maxLength: 5 }) },
	{ weight: 1, arbitrary: fc.dictionary(junkText, junkLeaf, { maxKeys: 4 }) },
	{ weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

// ---------------------------------------------------------------------------------------------------------
// Bodies

type Json = Record<string, unknown>;

const at = (n: number) => new Date(T0 + n * 1000);

/** Valid payloads of every topic, by platform and topic (fresh objects: mutations change them). */
function basePayload(platform: FuzzPlatform, topic: string, seed: number, lines: number): Json {
	const sku = (k: number) => `FZ-${(seed + k) % 50}`;
	if (platform === 'shopify') {
		switch (topic) {
			case 'inventory_levels/update':
				return shopifyInventoryLevel({
					inventoryItemId: 7_000_000_000n + BigInt(seed % 100),
					locationId: 61_001,
					available: seed % 40,
					updatedAt: at(seed),
				});
			case 'inventory_items/update':
				return shopifyInventoryItem({ id: 7_000_000_000n + BigInt(seed % 100), sku: sku(0) });
			case 'products/update':
				return shopifyProduct({
					variants: Array.from({ length: Math.min(lines, 20) }, (_, k) => ({ sku: sku(k) })),
				});
			case 'refunds/create':
				return shopifyRefund({
					orderId: 5_500_000_000_000n + BigInt(seed),
					lines: [{ lineItemId: 1n, quantity: 1, restockType: 'return', locationId: 61_001 }],
				});
			default:
				return shopifyOrder({
					id: 5_500_000_000_000n + BigInt(seed),
					updatedAt: at(seed),
					lines: Array.from({ length: lines }, (_, k) => ({ sku: sku(k), quantity: 1 + (k % 3) })),
					cancelled: topic === 'orders/cancelled' ? 'restock' : false,
				});
		}
	}
	if (topic === 'product.updated')
		return wooProduct({
			id: 3_000 + (seed % 100),
			sku: sku(0),
			stockQuantity: seed % 30,
			manageStock: true,
			dateModifiedGmt: at(seed),
		});
	return wooOrder({
		id: 81_000 + seed,
		status: ['pending', 'processing', 'completed', 'cancelled', 'refunded'][seed % 5],
		dateModifiedGmt: at(seed),
		lines: Array.from({ length: lines }, (_, k) => ({
			productId: 900 + k,
			sku: sku(k),
			quantity: 1 + (k % 3),
			reducedStock: seed % 2 ? 1 + (k % 3) : null,
		})),
	});
}

/** Every path (list of keys) to a value inside `value`, the root excluded. */
function paths(
	value: unknown,
	prefix: Array<string | number> = [],
	out: Array<Array<string | number>> = [],
) {
	if (Array.isArray(value)) {
		value.forEach((v, i) => {
			out.push([...prefix, i]);
			paths(v, [...prefix, i], out);
		});
	} else if (value && typeof value === 'object' && !(value instanceof RawJsonNumber)) {
		for (const [k, v] of Object.entries(value as Json)) {
			out.push([...prefix, k]);
			paths(v, [...prefix, k], out);
		}
	}
	return out;
}

interface Mutation {
	pick: number;
	action: 'replace' | 'delete' | 'wrap';
	junk: unknown;
}

function mutate(body: Json, mutations: readonly Mutation[]): Json {
	for (const m of mutations) {
		const all = paths(body);
		if (all.length === 0) return body;
		const path = all[m.pick % all.length];
		let parent: unknown = body;
		for (const key of path.slice(0, -1)) parent = (parent as Record<string | number, unknown>)[key];
		const last = path[path.length - 1];
		const holder = parent as Record<string | number, unknown>;
		if (m.action === 'delete' && !Array.isArray(holder)) delete holder[last];
		else if (m.action === 'wrap') holder[last] = [holder[last]];
		else holder[last] = m.junk;
	}
	return body;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
	pick: fc.nat(),
	action: fc.constantFrom<Mutation['action']>('replace', 'replace', 'replace', 'delete', 'wrap'),
	junk: junkValue,
});

/** Text-level damage after serialising: cut, a stray character, a wrapper of deep nesting. */
type Damage =
	| { kind: 'none' }
	| { kind: 'truncate'; at: number }
	| { kind: 'insert'; at: number; text: string }
	| { kind: 'nest'; depth: number; open: '[' | '{"a":' };

const damage: fc.Arbitrary<Damage> = fc.oneof(
	{ weight: 12, arbitrary: fc.constant<Damage>({ kind: 'none' }) },
	{ weight: 2, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
	{
		weight: 2,
		arbitrary: fc.record({
			kind: fc.constant('insert' as const),
			at: fc.nat(),
			text: fc.constantFrom(',', '"', '}', ']', '\\', '\u0000', '\ud800', 'NaN', '\n'),
		}),
	},
	{
		weight: 1,
		arbitrary: fc.record({
			kind: fc.constant('nest' as const),
			depth: fc.constantFrom(64, 1_000, 10_000, 100_000),
			open: fc.constantFrom<'[' | '{"a":'>('[', '{"a":'),
		}),
	},
);

function applyDamage(text: string, d: Damage): string {
	switch (d.kind) {
		case 'none':
			return text;
		case 'truncate':
			return text.slice(0, d.at % Math.max(1, text.length));
		case 'insert': {
			const i = d.at % (text.length + 1);
			return text.slice(0, i) + d.text + text.slice(i);
		}
		case 'nest': {
			const close = d.open === '[' ? ']' : '}';
			return d.open.repeat(d.depth) + text + close.repeat(d.depth);
		}
	}
}

/** Raw bytes: invalid UTF-8, NUL, a BOM, random binary. */
const rawBytes: fc.Arbitrary<Buffer> = fc.oneof(
	fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
	fc.constantFrom(
		Buffer.from([0xff, 0xfe, 0x7b, 0x7d]),
		Buffer.from('{"sku":"S\xff"}', 'latin1'),
		Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from('{"id":1}')]),
		Buffer.from('{"id":1}\u0000', 'utf8'),
		Buffer.from([0xed, 0xa0, 0x80]),
		Buffer.alloc(0),
	),
);

interface BodyPlan {
	family: string;
	body: Buffer;
}

function bodyArb(platform: FuzzPlatform, topic: fc.Arbitrary<string>): fc.Arbitrary<BodyPlan> {
	const shaped = fc
		.record({
			topic,
			seed: fc.nat({ max: 100_000 }),
			lines: fc.oneof(
				{ weight: 40, arbitrary: fc.integer({ min: 0, max: 4 }) },
				{ weight: 1, arbitrary: fc.constantFrom(300, 300, 1_000) },
			),
			mutations: fc.oneof(
				{ weight: 1, arbitrary: fc.constant([]) },
				{ weight: 2, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }) },
			),
			damage,
			php: fc.boolean(),
		})
		.map(({ topic: t, seed, lines, mutations, damage: d, php }) => {
			const base = basePayload(platform, t, seed, lines);
			// A huge array keeps its shape: mutating it would cost seconds per case and test nothing more.
			const json = toJson(lines >= 300 ? base : mutate(base, mutations), {
				php: platform === 'woocommerce' && php,
			});
			const family =
				d.kind !== 'none'
					? `damaged:${d.kind}`
					: lines >= 300
						? 'huge array'
						: mutations.length
							? 'shaped+junk'
							: 'valid shape';
			return { family, body: Buffer.from(applyDamage(json, d), 'utf8') };
		});
	return fc.oneof(
		{ weight: 10, arbitrary: shaped },
		{
			weight: 2,
			arbitrary: fc
				.jsonValue({ maxDepth: 4 })
				.map((v) => ({ family: 'any JSON', body: Buffer.from(JSON.stringify(v) ?? 'null') })),
		},
		{
			weight: 1,
			arbitrary: fc
				.string({ unit: 'binary', maxLength: 200 })
				.map((s) => ({ family: 'any text', body: Buffer.from(s, 'utf8') })),
		},
		{ weight: 1, arbitrary: rawBytes.map((b) => ({ family: 'raw bytes', body: b })) },
		{
			weight: platform === 'woocommerce' ? 1 : 0,
			arbitrary: fc
				.constantFrom('webhook_id=42', 'webhook_id=', 'webhook_id=42&x=1', ' webhook_id=7\n')
				.map((s) => ({ family: 'ping-shaped', body: Buffer.from(s) })),
		},
	);
}

// ---------------------------------------------------------------------------------------------------------
// Headers

/** Header values a client may send (Node refuses control characters and text beyond latin-1 in headers). */
const headerText = fc.oneof(
	fc.string({
		unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
		maxLength: 60,
	}),
	fc.constantFrom('', ' ', 'caf\xe9', '\xff\xfe', 'a'.repeat(2_000)),
);

function headersArb(platform: FuzzPlatform, topic: string) {
	const omit = <T>(value: fc.Arbitrary<T>) =>
		fc.oneof(
			{ weight: 19, arbitrary: value.map((v) => v as T | undefined) },
			{ weight: 1, arbitrary: fc.constant(undefined) },
		);
	if (platform === 'shopify') {
		return fc.record({
			'X-Shopify-Topic': omit(
				fc.oneof(
					{ weight: 9, arbitrary: fc.constant(topic) },
					{ weight: 1, arbitrary: headerText },
				),
			),
			'X-Shopify-Shop-Domain': omit(
				fc.oneof({ weight: 9, arbitrary: fc.constant(SHOP) }, { weight: 1, arbitrary: headerText }),
			),
			'X-Shopify-Triggered-At': omit(
				fc.oneof(fc.constant(new Date(T0).toISOString().replace('Z', '123456Z')), headerText),
			),
			'X-Shopify-Api-Version': omit(fc.constantFrom('2026-10', '')),
			'X-Shopify-Webhook-Id': omit(headerText),
		});
	}
	return fc.record({
		'X-WC-Webhook-Topic': omit(
			fc.oneof({ weight: 9, arbitrary: fc.constant(topic) }, { weight: 1, arbitrary: headerText }),
		),
		'X-WC-Webhook-Source': omit(
			fc.oneof(
				{ weight: 9, arbitrary: fc.constant('https://fuzz.example/') },
				{ weight: 1, arbitrary: headerText },
			),
		),
		'X-WC-Webhook-Resource': omit(fc.constantFrom('order', 'product')),
		'X-WC-Webhook-Event': omit(fc.constantFrom('updated', 'created')),
		'X-WC-Webhook-ID': omit(fc.constantFrom('41', '')),
	});
}

const CONTENT_TYPES = [
	'application/json',
	'application/json',
	'application/json',
	'application/json; charset=utf-8',
	'text/plain',
	'application/octet-stream',
	undefined,
] as const;

/**
 * One request. The signature is chosen last and computed over the final bytes: most cases are signed with the
 * current secret (so the body reaches the normaliser), the rest cover the previous secret, a wrong secret, a
 * header that is no digest at all and none.
 */
export function fuzzCaseArb(): fc.Arbitrary<Omit<FuzzCase, 'id'>> {
	return fc
		.record({
			platform: fc.constantFrom<FuzzPlatform>('shopify', 'woocommerce'),
			topicPick: fc.nat(),
			unknownTopic: fc.oneof(
				{ weight: 12, arbitrary: fc.constant(false) },
				{ weight: 1, arbitrary: fc.constant(true) },
			),
		})
		.chain(({ platform, topicPick, unknownTopic }) => {
			const topics: readonly string[] =
				platform === 'shopify' ? SHOPIFY_TOPICS : WOOCOMMERCE_TOPICS;
			const topic = unknownTopic
				? platform === 'shopify'
					? 'customers/create'
					: 'coupon.created'
				: topics[topicPick % topics.length];
			const bodyTopic = fc.oneof(
				{ weight: 9, arbitrary: fc.constant(topic) },
				{ weight: 1, arbitrary: fc.constantFrom(...topics) },
			);
			return fc.record({
				platform: fc.constant(platform),
				plan: bodyArb(platform, bodyTopic),
				headers: headersArb(platform, topic),
				contentType: fc.constantFrom(...CONTENT_TYPES),
				signature: fc.oneof(
					{ weight: 14, arbitrary: fc.constant<SignatureChoice>('current') },
					{ weight: 2, arbitrary: fc.constant<SignatureChoice>('previous') },
					{ weight: 2, arbitrary: fc.constant<SignatureChoice>('wrong') },
					{ weight: 1, arbitrary: fc.constant<SignatureChoice>('garbage') },
					{ weight: 2, arbitrary: fc.constant<SignatureChoice>('none') },
				),
			});
		})
		.map(({ platform, plan, headers, contentType, signature }) => {
			const clean: Record<string, string> = {};
			for (const [k, v] of Object.entries(headers)) if (v !== undefined) clean[k] = v;
			if (contentType) clean['Content-Type'] = contentType;
			if (plan.family === 'ping-shaped')
				clean['Content-Type'] = 'application/x-www-form-urlencoded';
			return { platform, family: plan.family, body: plan.body, signature, headers: clean };
		});
}

/** Several-MB bodies: signed with a valid shape, signed of the wrong shape, a 4 MB unsigned one. */
export function bigCases(): Array<Omit<FuzzCase, 'id'>> {
	const shopifyHeaders = (topic: string) => ({
		'Content-Type': 'application/json',
		'X-Shopify-Topic': topic,
		'X-Shopify-Shop-Domain': SHOP,
	});
	const level = shopifyInventoryLevel({
		inventoryItemId: 7n,
		locationId: 61_001,
		available: 3,
		updatedAt: at(1),
	});
	const padded = toJson({ ...level, note: 'p'.repeat(4 * 1024 * 1024) });
	const wrongShape = toJson({
		id: 1,
		updated_at: at(1).toISOString(),
		line_items: 'x'.repeat(5 * 1024 * 1024),
	});
	const manyLines = toJson(
		shopifyOrder({
			id: 5_500_000_999_999n,
			updatedAt: at(2),
			lines: Array.from({ length: 3_000 }, (_, k) => ({
				sku: `BIG-${k}`,
				quantity: 1,
				title: 't'.repeat(800),
			})),
		}),
	);
	return [
		{
			platform: 'shopify',
			family: 'several MB, valid',
			body: Buffer.from(padded),
			signature: 'current',
			headers: shopifyHeaders('inventory_levels/update'),
		},
		{
			platform: 'shopify',
			family: 'several MB, wrong shape',
			body: Buffer.from(wrongShape),
			signature: 'current',
			headers: shopifyHeaders('orders/updated'),
		},
		{
			platform: 'shopify',
			family: 'several MB, 3,000 lines',
			body: Buffer.from(manyLines),
			signature: 'current',
			headers: shopifyHeaders('orders/updated'),
		},
		{
			platform: 'shopify',
			family: 'several MB, unsigned',
			body: Buffer.from(padded),
			signature: 'none',
			headers: shopifyHeaders('inventory_levels/update'),
		},
		{
			platform: 'shopify',
			family: 'several MB, wrong secret',
			body: Buffer.from(wrongShape),
			signature: 'wrong',
			headers: shopifyHeaders('orders/updated'),
		},
	];
}

/** `count` cases from a fixed seed (reported by the caller, so a failure can be replayed), ids `<tag>-<i>`. */
export function sampleCases(count: number, seed: number, tag: string): FuzzCase[] {
	return fc
		.sample(fuzzCaseArb(), { numRuns: count, seed })
		.map((c, i) => ({ ...c, id: `${tag}-${i}` }));
}

// ---------------------------------------------------------------------------------------------------------
// Sending and the oracle

const SIGNATURE_NAME = {
	shopify: 'X-Shopify-Hmac-Sha256',
	woocommerce: 'X-WC-Webhook-Signature',
} as const;
const DELIVERY_ID_NAME = {
	shopify: 'X-Shopify-Event-Id',
	woocommerce: 'X-WC-Webhook-Delivery-ID',
} as const;

/** The request headers of a case, signature and delivery id included. */
export function requestHeaders(c: FuzzCase, secrets: FuzzSecrets): Record<string, string> {
	const h: Record<string, string> = { ...c.headers, [DELIVERY_ID_NAME[c.platform]]: c.id };
	const s = secrets[c.platform];
	const sign = (key: string) => createHmac('sha256', key).update(c.body).digest('base64');
	if (c.signature === 'current') h[SIGNATURE_NAME[c.platform]] = sign(s.current);
	else if (c.signature === 'previous') h[SIGNATURE_NAME[c.platform]] = sign(s.previous);
	else if (c.signature === 'wrong') h[SIGNATURE_NAME[c.platform]] = sign(`${s.current}-not`);
	else if (c.signature === 'garbage') h[SIGNATURE_NAME[c.platform]] = 'not-a-digest==';
	return h;
}

export type Expected =
	| { kind: 'ping'; status: 200; body: '' }
	| { kind: 'refused'; status: 401; body: string }
	| {
			kind: 'accepted';
			status: 200;
			events: InventoryEvent[];
			invalid: InvalidEvent[];
			reread: boolean;
	  };

/** What the package's pure receipt path makes of a case (Node lower-cases header names, as here). */
export function expectedOf(c: FuzzCase, secrets: FuzzSecrets): Expected {
	const lower: Record<string, string> = {};
	for (const [k, v] of Object.entries(requestHeaders(c, secrets))) lower[k.toLowerCase()] = v;
	const receipt = receiveSigned(c.platform, lower, c.body, {
		...secrets[c.platform],
		shop: FUZZ_SHOPS[c.platform],
	});
	if (receipt.kind === 'ping') return { kind: 'ping', status: 200, body: '' };
	if (receipt.kind === 'refused')
		return { kind: 'refused', status: 401, body: JSON.stringify(receipt.body) };
	const result = normalizeDelivery(receipt.delivery);
	return {
		kind: 'accepted',
		status: 200,
		events: result.events,
		invalid: result.invalid,
		reread: Boolean(result.rereadOrder),
	};
}

export interface Answer {
	status: number;
	body: string;
	/** Transport failure (no HTTP answer). */
	error?: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** POSTs a case; never rejects (a transport failure comes back as `error`). */
export function sendCase(url: string, c: FuzzCase, secrets: FuzzSecrets): Promise<Answer> {
	return new Promise((resolve) => {
		const u = new URL(url);
		const headers = { ...requestHeaders(c, secrets), 'Content-Length': String(c.body.length) };
		const req = http.request(
			{ method: 'POST', hostname: u.hostname, port: u.port, path: u.pathname, headers, agent },
			(res) => {
				const chunks: Buffer[] = [];
				res.on('data', (b: Buffer) => chunks.push(b));
				res.on('end', () =>
					resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
				);
				res.on('error', (e) => resolve({ status: 0, body: '', error: e.message }));
			},
		);
		req.setTimeout(120_000, () => req.destroy(new Error('timeout')));
		req.on('error', (e) => resolve({ status: 0, body: '', error: e.message }));
		req.end(c.body);
	});
}

// ---------------------------------------------------------------------------------------------------------
// What a canonical item must look like, whatever came in

const KINDS = new Set(['orderLine', 'level', 'observation', 'mapping']);
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Problems of an item on the Events output (empty: a well-formed canonical event). */
export function eventProblems(e: Record<string, unknown>): string[] {
	const out: string[] = [];
	if (!KINDS.has(String(e.kind))) out.push(`kind ${String(e.kind)}`);
	if (typeof e.id !== 'string' || !e.id) out.push('id not text');
	if (typeof e.version !== 'number' || !Number.isFinite(e.version)) out.push('version not finite');
	const q = e.quantity;
	if (
		q !== null &&
		(typeof q !== 'number' || !Number.isInteger(q) || Math.abs(q) > MAX_ABS_QUANTITY)
	)
		out.push(`quantity ${String(q)}`);
	if (e.kind === 'mapping' ? q !== null : false) out.push('mapping with a quantity');
	if (e.sku !== null && (typeof e.sku !== 'string' || !e.sku || LONE_SURROGATE.test(e.sku)))
		out.push('sku not clean text');
	const source = e.source as Record<string, unknown> | undefined;
	if (!source || typeof source.shop !== 'string' || !source.shop) out.push('no source shop');
	for (const [k, v] of Object.entries((e.refs as Record<string, unknown>) ?? {}))
		if (typeof v !== 'string' || !/^[0-9]+$/.test(v)) out.push(`ref ${k} not an exact id`);
	if (typeof e.occurredAt !== 'string' || Number.isNaN(Date.parse(e.occurredAt)))
		out.push('occurredAt not a time');
	return out;
}

/** Problems of an item on the Invalid output. */
export function invalidProblems(i: Record<string, unknown>, rawBody?: string): string[] {
	const out: string[] = [];
	if (typeof i.reason !== 'string' || !i.reason) out.push('no reason');
	if (typeof i.rawBody !== 'string') out.push('no raw body');
	else if (rawBody !== undefined && i.rawBody !== rawBody) out.push('raw body differs');
	return out;
}

/** Counts by key, for reports. */
export function tally<T>(items: readonly T[], key: (t: T) => string): Record<string, number> {
	const out: Record<string, number> = {};
	for (const t of items) out[key(t)] = (out[key(t)] ?? 0) + 1;
	return out;
}
