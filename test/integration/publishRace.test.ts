import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { placeAvailability } from '../../nodes/InventoryLedger/aggregate';
import { applyEvents } from '../../nodes/InventoryLedger/ledger/apply';
import { saveProfile } from '../../nodes/InventoryLedger/ledger/profileStore';
import { parseProfile } from '../../nodes/InventoryLedger/profile';
import { ledgerKeys } from '../../nodes/shared/keys';
import { ShopifySimulator } from '../simulators/shopify';
import { deleteByPrefix, testClient, uniquePrefix } from '../support';

/*
 * Two drainers racing, in two processes (two n8n workers) on one Redis and one shop, while the ledger keeps
 * changing: the lease lets one write at a time, the last value each SKU shows is the ledger's latest, and
 * nothing is left dirty.
 */

const ROOT = join(__dirname, '..', '..');
const SHOP = 'race-shop.myshopify.com';
const LOC = '72000000001';
const PLACE = `shopify:${SHOP}:${LOC}`;
const SKUS = 40;
const item = (n: number) => String(45_000_000_000 + n);
const sku = (n: number) => `RACE-${n}`;
const PROFILE = {
	dryRun: false,
	locations: [{ id: 'ledger:wh', owner: 'ledger', aliases: [PLACE] }],
	channels: [
		{
			name: 'shop',
			platform: 'shopify',
			shop: SHOP,
			salesLocation: 'ledger:wh',
			places: [{ id: PLACE, shows: ['ledger:wh'] }],
		},
	],
};

let redis: Redis;
let sim: ShopifySimulator;
const prefix = uniquePrefix('publishRace');

beforeAll(async () => {
	redis = testClient();
	sim = new ShopifySimulator({ shop: SHOP, webhookSecret: 'shpss_race', inventoryWebhooks: false });
	await sim.start();
	sim.putLocation(LOC, 'Warehouse');
	await saveProfile(redis, prefix, PROFILE);
});
afterAll(async () => {
	await sim.stop();
	await deleteByPrefix(redis, prefix);
	await redis.quit();
});

function startDrainer(): { ready: Promise<void>; done: Promise<Record<string, number>> } {
	const child = spawn(
		process.execPath,
		[
			'-r',
			'ts-node/register/transpile-only',
			join(__dirname, 'publishRaceChild.ts'),
			JSON.stringify({ prefix, baseUrl: sim.baseUrl, shop: SHOP }),
		],
		{
			cwd: ROOT,
			env: { ...process.env, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json') },
			stdio: ['ignore', 'pipe', 'pipe'],
		},
	);
	let out = '';
	let err = '';
	child.stderr.on('data', (c: Buffer) => (err += c.toString()));
	let markReady: () => void = () => undefined;
	const ready = new Promise<void>((resolve) => (markReady = resolve));
	child.stdout.on('data', (c: Buffer) => {
		out += c.toString();
		if (out.includes('READY\n')) markReady();
	});
	const done = new Promise<Record<string, number>>((resolve, reject) =>
		child.once('exit', (code) => {
			const m = /TALLY (\{.*\})\n/.exec(out);
			if (code === 0 && m) resolve(JSON.parse(m[1]) as Record<string, number>);
			else reject(new Error(`drainer exited with ${code}: ${err}`));
		}),
	);
	return { ready, done };
}

test('two drainers in two processes: one writes at a time, the last value is the latest, nothing is stranded', async () => {
	const mappings = Array.from({ length: SKUS }, (_, i) => {
		sim.putInventoryItem(item(i), sku(i));
		sim.setLevel(item(i), LOC, 0);
		return {
			kind: 'mapping',
			id: `shopify:${SHOP}:mapping:${item(i)}`,
			version: 1,
			source: {
				platform: 'shopify',
				shop: SHOP,
				topic: 'inventory_items/update',
				via: 'reconciliation',
			},
			sku: sku(i),
			refs: { inventoryItemId: item(i) },
			locationId: null,
			quantity: null,
			occurredAt: new Date(1).toISOString(),
			receivedAt: new Date().toISOString(),
		};
	});
	await applyEvents(redis, prefix, mappings);
	const a = startDrainer();
	const b = startDrainer();
	await Promise.all([a.ready, b.ready]);

	// 400 level changes in bursts, each SKU's versions rising, while both drain.
	let version = Date.now();
	for (let burst = 0; burst < 40; burst++) {
		const events = Array.from({ length: 10 }, (_, j) => {
			const n = (burst * 7 + j * 3) % SKUS;
			return {
				kind: 'level',
				id: `manual:erp:level:${sku(n)}`,
				version: ++version,
				source: { platform: 'manual', shop: 'erp', topic: 'feed', via: 'manual' },
				sku: sku(n),
				refs: {},
				locationId: 'ledger:wh',
				quantity: (burst * 13 + j) % 97,
				occurredAt: new Date(version).toISOString(),
				receivedAt: new Date().toISOString(),
			};
		});
		await applyEvents(redis, prefix, events);
		await new Promise((r) => setImmediate(r));
	}
	await redis.set(`${prefix}:stop`, '1');
	const [ta, tb] = await Promise.all([a.done, b.done]);

	const profile = parseProfile(PROFILE);
	for (let i = 0; i < SKUS; i++) {
		const hash = await redis.hgetall(ledgerKeys.ledger(prefix, sku(i)));
		const [place] = placeAvailability(profile, {
			sku: sku(i),
			quantities: { 'ledger:wh': Number(hash['q:ledger:wh'] ?? 0) },
			pending: {},
			frozen: false,
		});
		expect({ sku: sku(i), shows: sim.level(item(i), LOC)?.available }).toEqual({
			sku: sku(i),
			shows: place.available,
		});
	}
	expect(await redis.zcard(ledgerKeys.dirty(prefix, 'shop'))).toBe(0);
	expect(ta.deadLettered + tb.deadLettered).toBe(0);
	// Both drained; while one held the lease the other found it busy and left the work to it.
	expect(ta.drains).toBeGreaterThan(0);
	expect(tb.drains).toBeGreaterThan(0);
	console.log(`drainers: ${JSON.stringify(ta)} ${JSON.stringify(tb)}`);
}, 120_000);
