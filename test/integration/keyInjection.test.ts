/**
 * Bad input against Redis (issue 22, "Bad input and security"), on a redis-server of this file's own (so a
 * SCAN of the whole server sees every key anything wrote) that requires a password:
 *
 * - SKUs, order ids, line keys and Guard keys holding `:`, `{`, `}`, `*`, newlines, NUL, unicode, glob
 *   characters, other keys' names and 10,000 characters never touch another key: a neighbour prefix with the
 *   same data stays byte-identical, a victim SKU's keys stay byte-identical, every key written has the
 *   layout's shape (no brace, star, space or newline; bounded length), and each hostile SKU reads back with
 *   its own quantity — also after a newer order version removed its lines (keys the Lua script builds itself).
 * - Replayed old signed deliveries change nothing: a history of signed Shopify and WooCommerce webhooks goes
 *   through the shared receipt path (receiveSigned → normalizeDelivery) into the Ledger; then every one of them
 *   is delivered again, byte for byte with its original signature, in a fast-check shuffled order: every key's
 *   content stays what it was.
 * - The Redis password never appears in what a wrong password or a refused connection produces: the messages of
 *   every node path (describeRedisError, the credential test, a node's NodeOperationError with its description
 *   and stack), the Ledger node run, and the Inventory Receiver's answers, log and metrics.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import fc from 'fast-check';
import Redis from 'ioredis';
import type { ICredentialsDecrypted, ICredentialTestFunctions } from 'n8n-workflow';
import { normalizeDelivery, type InventoryEvent } from '../../nodes/shared/events';
import { receiveSigned } from '../../nodes/shared/receipt';
import { guardKey } from '../../nodes/shared/keys';
import { GuardCode } from '../../nodes/InventoryGuard/codes';
import { claimKeys } from '../../nodes/InventoryGuard/redisGuard';
import { applyEvents, auditOf, getSkus, saveProfile } from '../../nodes/InventoryLedger/ledger';
import { InventoryLedger } from '../../nodes/InventoryLedger/InventoryLedger.node';
import {
	closeAllRedis,
	credentialFromData,
	describeRedisError,
	getRedis,
	testRedisCredential,
} from '../../nodes/shared/redis';
import { connectRedis, type NodeContext } from '../../nodes/shared/nodeKit';
import { startReceiver } from '../../receiver/server';
import { loadConfig } from '../../receiver/config';
import {
	shopifyInventoryItem,
	shopifyInventoryLevel,
	shopifyOrder,
	toJson,
	wooOrder,
	wooProduct,
} from '../simulators';
import { freePort, OwnRedis, waitFor } from '../support';
import { nodeContext } from '../support/nodeContext';

jest.setTimeout(120_000);

const PASSWORD = `redis-pw-${randomBytes(8).toString('hex')}`;
const WRONG_PASSWORD = `wrong-redis-pw-${randomBytes(8).toString('hex')}`;
const P = 'inj';
const NEIGHBOUR = 'nbr';
const SHOP = 'inj-shop.myshopify.com';
const WOO = 'inj.example';
const WH = 'ledger:wh';
const SHOPIFY_SECRET = `inj-shp-${randomBytes(6).toString('hex')}`;
const WOO_SECRET = `inj-woo-${randomBytes(6).toString('hex')}`;
const T0 = Date.parse('2026-11-26T10:00:00Z');

let server: OwnRedis;
let redis: Redis;

const profile = {
	dryRun: false,
	locations: [
		{ id: WH, owner: 'ledger' },
		{ id: `shopify:${SHOP}:61001`, owner: 'shopify' },
	],
	channels: [
		{
			name: 'shopify',
			platform: 'shopify',
			shop: SHOP,
			salesLocation: WH,
			places: [{ id: `shopify:${SHOP}:61002`, shows: [WH] }],
		},
		{
			name: 'woo',
			platform: 'woocommerce',
			shop: WOO,
			salesLocation: WH,
			places: [{ id: `woocommerce:${WOO}:default`, shows: [WH] }],
		},
	],
};

beforeAll(async () => {
	server = await OwnRedis.start({ args: ['--requirepass', PASSWORD] });
	redis = new Redis({
		host: '127.0.0.1',
		port: server.port,
		password: PASSWORD,
		lazyConnect: true,
	});
	await redis.connect();
});

afterAll(async () => {
	await closeAllRedis();
	await redis?.quit();
	await server?.stop();
});

/** Every key of the server with its whole content (type-aware), as comparable text. */
async function dump(match = '*'): Promise<Map<string, string>> {
	const out = new Map<string, string>();
	let cursor = '0';
	do {
		const [next, keys] = await redis.scanBuffer(cursor, 'MATCH', match, 'COUNT', 1000);
		cursor = String(next);
		for (const raw of keys) {
			const key = raw.toString('latin1');
			const type = await redis.type(raw);
			let value: unknown;
			if (type === 'string') value = (await redis.getBuffer(raw))?.toString('base64');
			else if (type === 'hash') value = Object.entries(await redis.hgetallBuffer(raw)).sort();
			else if (type === 'set') value = (await redis.smembersBuffer(raw)).map(String).sort();
			else if (type === 'zset') value = await redis.zrange(raw, 0, -1, 'WITHSCORES');
			else if (type === 'list') value = await redis.lrange(raw, 0, -1);
			else if (type === 'stream')
				value = ((await redis.xrangeBuffer(raw, '-', '+')) as Array<[Buffer, Buffer[]]>).map(
					([id, f]) => [String(id), f.map((b) => b.toString('base64'))],
				);
			out.set(key, `${type}:${JSON.stringify(value)}`);
		}
	} while (cursor !== '0');
	return out;
}

function diff(before: Map<string, string>, after: Map<string, string>): string[] {
	const out: string[] = [];
	for (const [k, v] of after)
		if (before.get(k) !== v) out.push(`${before.has(k) ? 'changed' : 'new'} ${JSON.stringify(k)}`);
	for (const k of before.keys()) if (!after.has(k)) out.push(`gone ${JSON.stringify(k)}`);
	return out;
}

const ISO = new Date(T0).toISOString();
const level = (
	prefixShop: string,
	sku: string,
	quantity: number,
	version: number,
): InventoryEvent => ({
	kind: 'level',
	id: `manual:${prefixShop}:level:${sku}`,
	version,
	source: { platform: 'manual', shop: 'erp', topic: 'count', via: 'manual' },
	sku,
	refs: {},
	locationId: WH,
	quantity,
	occurredAt: ISO,
	receivedAt: ISO,
});
const line = (o: {
	orderId: string;
	lineKey: string;
	sku: string | null;
	quantity: number;
	version: number;
	lineIds?: string[];
}): InventoryEvent => ({
	kind: 'orderLine',
	id:
		o.lineIds && o.lineIds.length === 0
			? `shopify:${SHOP}:order:${o.orderId}`
			: `shopify:${SHOP}:order:${o.orderId}:line:${o.lineKey}`,
	version: o.version,
	source: { platform: 'shopify', shop: SHOP, topic: 'orders/updated', via: 'webhook' },
	lineIds: o.lineIds ?? [o.lineKey],
	sku: o.sku,
	refs: { orderId: o.orderId },
	locationId: null,
	quantity: o.quantity,
	occurredAt: ISO,
	receivedAt: ISO,
});

describe('hostile SKUs, order ids and Guard keys cannot touch other keys', () => {
	const FIXED = [
		':',
		'A:ledger',
		'A}:{B',
		'{A}',
		'*',
		'A*',
		'?',
		'[A-Z]*',
		'A\nB',
		'A\r\nFLUSHALL\r\n',
		'\n',
		'sku:A:ledger',
		`${P}:sku:A:ledger`,
		`${NEIGHBOUR}:sku:A:ledger`,
		'../A',
		'A ',
		'%41',
		'%',
		'h~0000',
		'A\u0000',
		'é',
		'e\u0301',
		'😀',
		'__proto__',
		'profile',
		'A'.repeat(10_000),
		`${'A'.repeat(9_999)}:`,
		`{${'x'.repeat(9_998)}}`,
	];
	const randomTexts = fc.sample(
		fc.string({
			unit: fc.constantFrom(
				':',
				'{',
				'}',
				'*',
				'\n',
				'\r',
				'A',
				'%',
				'?',
				'[',
				']',
				'\\',
				' ',
				'~',
				'h',
				'é',
			),
			minLength: 1,
			maxLength: 24,
		}),
		{ numRuns: 300, seed: 2222 },
	);
	const HOSTILE = [...new Set([...FIXED, ...randomTexts])].filter(
		(t) => t.trim() !== '' && t !== 'A' && t !== 'B', // blank is no SKU; A and B are the victims
	);
	/** Texts the Ledger refuses as ids or SKUs (over 1,000 characters): refused items, nothing written. */
	const tooLong = (t: string) => t.length > 450;

	it(`${HOSTILE.length} hostile texts as SKUs, order ids, line keys and Guard keys: the neighbour and the victim SKU stay byte-identical, every key keeps the layout, each SKU reads back its own`, async () => {
		for (const prefix of [P, NEIGHBOUR]) {
			await saveProfile(redis, prefix, profile);
			const seeded = await applyEvents(redis, prefix, [
				level('A', 'A', 50, 1),
				level('B', 'B', 60, 1),
			]);
			expect(seeded.map((r) => r.outcome)).toEqual(['applied', 'applied']);
		}
		await claimKeys(redis, [guardKey(P, 'A'), guardKey(NEIGHBOUR, 'A')], 60_000, 'victim');
		const neighbourBefore = await dump(`${NEIGHBOUR}:*`);
		const victimBefore = await dump(`${P}:sku:A:*`);
		const everythingBefore = await dump();

		// Levels: each hostile SKU gets its own count.
		const qty = (i: number) => 100 + i;
		const levels = await applyEvents(
			redis,
			P,
			HOSTILE.map((h, i) => level(`h${i}`, h, qty(i), 2)),
		);
		const refusedOr = (results: Array<{ outcome: string; reason?: string }>, reasons: string[]) =>
			results
				.map((r, i) => ({ h: HOSTILE[i], r }))
				.filter(({ h, r }) =>
					tooLong(h) ? !reasons.includes(String(r.reason)) : r.outcome !== 'applied',
				)
				.map(({ h, r }) => `${JSON.stringify(h.slice(0, 30))}: ${r.outcome} ${r.reason ?? ''}`);
		expect(refusedOr(levels, ['blankSku', 'badId'])).toEqual([]);
		// Orders with hostile ids, line keys and SKUs draw units …
		const orders = await applyEvents(
			redis,
			P,
			HOSTILE.map((h, i) =>
				line({ orderId: `${h}#${i}`, lineKey: h, sku: h, quantity: 3, version: 10 }),
			),
		);
		expect(refusedOr(orders, ['badId'])).toEqual([]);
		// … and a newer version without lines returns them (the script names those keys from what it stored).
		const emptied = await applyEvents(
			redis,
			P,
			HOSTILE.map((h, i) =>
				line({
					orderId: `${h}#${i}`,
					lineKey: '',
					sku: null,
					quantity: 0,
					version: 20,
					lineIds: [],
				}),
			),
		);
		// (Skipped as an empty order: the item itself changes nothing; its removed line is what returns units.)
		expect(
			emptied
				.map((r, i) => ({ h: HOSTILE[i], r }))
				.filter(({ h, r }) =>
					tooLong(h) ? r.reason !== 'badId' : r.reason !== 'emptyOrder' || r.removed?.length !== 1,
				)
				.map(({ h, r }) => `${JSON.stringify(h.slice(0, 30))}: ${r.outcome} ${r.reason ?? ''}`),
		).toEqual([]);
		// Guard claims and locks of the same texts.
		const claims = await claimKeys(
			redis,
			HOSTILE.flatMap((h) => [guardKey(P, h), guardKey(P, h, 'scope:{x}*')]),
			60_000,
			'hostile',
		);
		expect(
			claims
				.map((c, i) => ({ c, h: HOSTILE[i >> 1] }))
				.filter(({ c }) => c.code !== GuardCode.Ok)
				.map(({ c, h }) => `${JSON.stringify(h.slice(0, 30))}: ${c.code}`),
		).toEqual([]);
		const victimClaim = await claimKeys(redis, [guardKey(P, 'A')], 60_000, 'other-owner');
		expect(victimClaim[0].code).toBe(GuardCode.InFlight);
		expect(await redis.get(guardKey(P, 'A'))).toBe('c:victim');

		// Nothing of the neighbour, nothing of the victim SKU changed.
		expect(diff(neighbourBefore, await dump(`${NEIGHBOUR}:*`))).toEqual([]);
		expect(diff(victimBefore, await dump(`${P}:sku:A:*`))).toEqual([]);
		// Every key that appeared is ours and has the layout's shape.
		const after = await dump();
		const created = [...after.keys()].filter((k) => !everythingBefore.has(k));
		const bad = created.filter(
			(k) =>
				!k.startsWith(`${P}:`) ||
				/[{}*?[\]\s\\]/.test(k) ||
				k.split(':').some((part) => part.length > 202) ||
				k.length > 300,
		);
		expect(bad).toEqual([]);
		// Each hostile SKU reads back exactly, with its own count (drawn and returned: the level again).
		const { states } = await getSkus(redis, P, HOSTILE);
		const wrong = states
			.map((s, i) => ({
				sku: HOSTILE[i],
				got: s.quantities?.[WH],
				want: tooLong(HOSTILE[i]) ? undefined : qty(i),
			}))
			.filter((x) => x.got !== x.want);
		expect(wrong.map((w) => `${JSON.stringify(w.sku.slice(0, 40))}: ${w.got} ≠ ${w.want}`)).toEqual(
			[],
		);
		const [victim] = (await getSkus(redis, P, ['A'])).states;
		expect(victim.quantities?.[WH]).toBe(50);
	});
});

// ---------------------------------------------------------------------------------------------------------

interface Signed {
	platform: 'shopify' | 'woocommerce';
	body: Buffer;
	headers: Record<string, string>;
}

function signedShopify(
	topic: string,
	payload: object,
	eventId: string,
	triggeredAt?: string,
): Signed {
	const body = Buffer.from(toJson(payload));
	return {
		platform: 'shopify',
		body,
		headers: {
			'x-shopify-topic': topic,
			'x-shopify-shop-domain': SHOP,
			'x-shopify-event-id': eventId,
			...(triggeredAt ? { 'x-shopify-triggered-at': triggeredAt } : {}),
			'x-shopify-hmac-sha256': createHmac('sha256', SHOPIFY_SECRET).update(body).digest('base64'),
		},
	};
}

function signedWoo(topic: string, payload: object, deliveryId: string): Signed {
	const body = Buffer.from(toJson(payload, { php: true }));
	return {
		platform: 'woocommerce',
		body,
		headers: {
			'x-wc-webhook-topic': topic,
			'x-wc-webhook-source': `https://${WOO}/`,
			'x-wc-webhook-delivery-id': deliveryId,
			'x-wc-webhook-signature': createHmac('sha256', WOO_SECRET).update(body).digest('base64'),
		},
	};
}

/** The receipt path every receiver shares, then the Ledger: what one delivery does. */
async function deliver(prefix: string, d: Signed): Promise<string[]> {
	const receipt = receiveSigned(d.platform, d.headers, d.body, {
		current: d.platform === 'shopify' ? SHOPIFY_SECRET : WOO_SECRET,
		shop: d.platform === 'shopify' ? SHOP : WOO,
	});
	if (receipt.kind !== 'accepted') throw new Error(`not accepted: ${receipt.kind}`);
	const { events, invalid } = normalizeDelivery(receipt.delivery);
	expect(invalid).toEqual([]);
	return (await applyEvents(redis, prefix, events)).map(
		(r) => `${r.outcome}${r.reason ? `:${r.reason}` : ''}`,
	);
}

describe('replayed old signed deliveries', () => {
	const R = 'replay';
	const at = (s: number) => new Date(T0 + s * 1000);
	const ITEM = 7_100_000_000_001n;

	function history(): Signed[] {
		const out: Signed[] = [];
		out.push(
			signedShopify(
				'inventory_items/update',
				shopifyInventoryItem({ id: ITEM, sku: 'RP-1', updatedAt: at(0) }),
				'map-1',
			),
		);
		for (let v = 1; v <= 4; v++)
			out.push(
				signedShopify(
					'inventory_levels/update',
					shopifyInventoryLevel({
						inventoryItemId: ITEM,
						locationId: 61_001,
						available: 10 * v,
						updatedAt: at(v),
					}),
					`lvl-${v}`,
					at(v).toISOString(),
				),
			);
		const orderId = 5_510_000_000_001n;
		const lines = (q: number) => [
			{ id: orderId * 10n, sku: 'RP-1', quantity: q },
			{ id: orderId * 10n + 1n, sku: 'RP-2', quantity: 1 },
		];
		out.push(
			signedShopify(
				'orders/create',
				shopifyOrder({ id: orderId, lines: lines(2), updatedAt: at(10) }),
				'so-1',
			),
		);
		out.push(
			signedShopify(
				'orders/updated',
				shopifyOrder({ id: orderId, lines: lines(3), updatedAt: at(20) }),
				'so-2',
			),
		);
		out.push(
			signedShopify(
				'orders/cancelled',
				shopifyOrder({
					id: orderId,
					lines: lines(3),
					cancelled: 'restock',
					defaultLocationId: 61_001,
					updatedAt: at(30),
				}),
				'so-3',
			),
		);
		const wooLines = (reduced: number | null) => [
			{ id: 901, productId: 93, sku: 'RP-2', quantity: 2, reducedStock: reduced },
		];
		(['pending', 'processing', 'completed'] as const).forEach((status, v) =>
			out.push(
				signedWoo(
					v === 0 ? 'order.created' : 'order.updated',
					wooOrder({
						id: 81_777,
						status,
						lines: wooLines(status === 'pending' ? null : 2),
						dateModifiedGmt: at(40 + v * 10),
						dateCreatedGmt: at(40),
					}),
					`wo-${v}`,
				),
			),
		);
		for (let v = 0; v < 3; v++)
			out.push(
				signedWoo(
					'product.updated',
					wooProduct({
						id: 3_001,
						sku: 'RP-2',
						stockQuantity: 5 + v,
						manageStock: true,
						dateModifiedGmt: at(80 + v),
					}),
					`wp-${v}`,
				),
			);
		return out;
	}

	it('the whole history again, byte for byte and shuffled, after it was applied: every key keeps its content', async () => {
		await saveProfile(redis, R, profile);
		await applyEvents(redis, R, [level('RP-1', 'RP-1', 40, 1), level('RP-2', 'RP-2', 40, 1)]);
		const all = history();
		const first: string[] = [];
		for (const d of all) first.push(...(await deliver(R, d)));
		expect(first.filter((o) => o.startsWith('invalid'))).toEqual([]);
		const before = await dump(`${R}:*`);
		const auditBefore: Record<string, number> = {};
		for (const sku of ['RP-1', 'RP-2'])
			auditBefore[sku] = (await auditOf(redis, R, sku, 1_000)).length;
		// Not equal by being empty: the order and the levels are in the ledger.
		const [rp1, rp2] = (await getSkus(redis, R, ['RP-1', 'RP-2'])).states;
		expect(rp1.quantities).toBeDefined();
		expect(rp2.quantities).toBeDefined();

		const orders = fc.sample(
			fc.shuffledSubarray(
				all.map((_, i) => i),
				{ minLength: all.length },
			),
			{
				numRuns: 5,
				seed: 2223,
			},
		);
		const outcomes: string[] = [];
		for (const order of orders) for (const i of order) outcomes.push(...(await deliver(R, all[i])));
		expect(outcomes.filter((o) => o.startsWith('applied'))).toEqual([]);
		// Every key keeps its content; the SKU audit streams (which record every item, skipped ones too, by
		// design) only gained entries of skips: outcome stale/unchanged/…, never applied, no stock change (delta).
		const after = await dump(`${R}:*`);
		const audit = (k: string) => /:audit$/.test(k);
		expect(
			diff(before, after).filter((d) => !audit(JSON.parse(d.slice(d.indexOf(' ') + 1)) as string)),
		).toEqual([]);
		const outs: string[] = [];
		for (const sku of ['RP-1', 'RP-2']) {
			const entries = await auditOf(redis, R, sku, 1_000);
			const added = entries.slice(0, entries.length - auditBefore[sku]);
			expect(added.length).toBeGreaterThan(0);
			expect(
				added.filter((e) => e.out === 'applied' || (e.delta !== '' && e.delta !== '0')),
			).toEqual([]);
			outs.push(...added.map((e) => e.out));
		}
	});
});

// ---------------------------------------------------------------------------------------------------------

describe('the Redis password never appears in connection errors', () => {
	const secrets = [PASSWORD, WRONG_PASSWORD];
	const leaks = (texts: unknown[]) =>
		texts
			.map((t) => (typeof t === 'string' ? t : inspect(t, { depth: 6 })))
			.filter((t) => secrets.some((s) => t.includes(s)));

	/** Everything an error can show: message, description, stack, inspection. */
	const surfaces = (e: unknown) => {
		const err = e as Error & { description?: string };
		return [String(e), err.message, err.description ?? '', err.stack ?? ''];
	};

	it('a wrong password and a refused connection: describeRedisError, the credential test, the node error, a Ledger run say what happened and never the password', async () => {
		const refusedPort = await freePort();
		const cases: Array<{ what: string; data: Record<string, string | number>; expect: RegExp }> = [
			{
				what: 'wrong password',
				data: { host: '127.0.0.1', port: server.port, password: WRONG_PASSWORD },
				expect: /authentication failed/,
			},
			{
				what: 'wrong user and password',
				data: { host: '127.0.0.1', port: server.port, user: 'admin', password: WRONG_PASSWORD },
				expect: /authentication failed/,
			},
			{
				what: 'refused (right password)',
				data: { host: '127.0.0.1', port: refusedPort, password: PASSWORD },
				expect: /connection refused/,
			},
			{
				what: 'refused (wrong password)',
				data: { host: '127.0.0.1', port: refusedPort, password: WRONG_PASSWORD },
				expect: /connection refused/,
			},
		];
		const seen: unknown[] = [];
		for (const c of cases) {
			const cred = credentialFromData(c.data);
			const raw = await getRedis(cred).then(
				() => undefined,
				(e: unknown) => e,
			);
			expect(raw).toBeDefined();
			const described = describeRedisError(raw, cred);
			expect(described).toMatch(c.expect);
			seen.push(described);

			const tested = await testRedisCredential.call(
				{} as ICredentialTestFunctions,
				{
					id: 'x',
					name: 'x',
					type: 'inventoryRedisApi',
					data: c.data,
				} as ICredentialsDecrypted,
			);
			expect(tested.status).toBe('Error');
			expect(tested.message).toMatch(c.expect);
			seen.push(tested.message);

			const ctx = {
				getNode: () => ({
					id: 'n',
					name: 'Ledger',
					type: 'CUSTOM.inventoryLedger',
					typeVersion: 1,
					position: [0, 0],
					parameters: {},
				}),
				getCredentials: async () => c.data,
			} as unknown as NodeContext;
			const nodeError = await connectRedis(ctx).then(
				() => undefined,
				(e: unknown) => e,
			);
			expect(nodeError).toBeDefined();
			seen.push(...surfaces(nodeError));

			// The Ledger node as n8n runs it (Get of one SKU).
			const ledgerCtx = nodeContext({
				params: { operation: 'get', sku: 'A' },
				keyPrefix: 'pw',
				items: [{}],
			});
			(ledgerCtx as unknown as { getCredentials: (t: string) => Promise<unknown> }).getCredentials =
				async () => c.data;
			const runError = await new InventoryLedger().execute.call(ledgerCtx).then(
				() => undefined,
				(e: unknown) => e,
			);
			expect(runError).toBeDefined();
			expect(String((runError as Error).message)).toMatch(c.expect);
			seen.push(...surfaces(runError));
		}
		expect(leaks(seen)).toEqual([]);
	});

	it('the Inventory Receiver on a wrong password and on a refused connection: 503s, its log, /healthz and /metrics never show the password', async () => {
		const lines: Array<Record<string, unknown>> = [];
		const texts: string[] = [];
		for (const target of [
			{ port: server.port, password: WRONG_PASSWORD },
			{ port: await freePort(), password: PASSWORD },
		]) {
			const receiver = await startReceiver(
				loadConfig({
					listen: { host: '127.0.0.1', port: await freePort() },
					redis: {
						host: '127.0.0.1',
						port: target.port,
						password: target.password,
						keyPrefix: 'pwr',
					},
					shops: [{ platform: 'shopify', shop: SHOP, path: '/s', secret: SHOPIFY_SECRET }],
				}),
				{ logger: (l) => lines.push(l) },
			);
			try {
				const d = signedShopify(
					'inventory_levels/update',
					shopifyInventoryLevel({ inventoryItemId: 1n, locationId: 2n, available: 3 }),
					'pw-1',
				);
				const r = await fetch(`${receiver.url}/s`, {
					method: 'POST',
					headers: d.headers,
					body: d.body,
				});
				expect(r.status).toBe(503);
				texts.push(await r.text());
				const health = await fetch(`${receiver.url}/healthz`);
				expect(health.status).toBe(503);
				texts.push(await health.text(), receiver.metricsText());
				await waitFor(
					() => lines.filter((l) => l.event === 'inbox_unavailable').length,
					(n) => n > 0,
					10_000,
					'an inbox_unavailable log line',
				);
			} finally {
				await receiver.close();
			}
		}
		const reasons = lines
			.filter((l) => l.event === 'inbox_unavailable')
			.map((l) => String(l.reason));
		expect(reasons.some((r) => /authentication failed/.test(r))).toBe(true);
		expect(reasons.some((r) => /connection refused/.test(r))).toBe(true);
		expect(leaks([...texts, ...lines.map((l) => JSON.stringify(l))])).toEqual([]);
	});
});
