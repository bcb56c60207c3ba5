import type Redis from 'ioredis';
import { applyEvents } from '../../nodes/InventoryLedger/ledger/apply';
import { saveProfile } from '../../nodes/InventoryLedger/ledger/profileStore';
import { recordPollFinished } from '../../nodes/shared/channel/pollMarker';
import { pubField } from '../../nodes/shared/channel/publishPlan';
import { markDrifting } from '../../nodes/shared/driftCheck';
import { ledgerKeys } from '../../nodes/shared/keys';
import { deleteByPrefix, testClient, uniquePrefix } from '../support';

/*
 * The nightly reconciliation's check (nodes/shared/driftCheck.ts) on a real Redis: the mapped SKUs whose channel
 * shows something else than the ledger computes are marked dirty for that channel only; unmapped SKUs are
 * counted, not marked; a mirror that reported less than we published is held — not drift — until a poll that
 * started after the report has finished.
 */

const SHOP = 'drift-shop.myshopify.com';
const WOO = 'drift-store.example.com';
const W_ALIAS = `shopify:${SHOP}:901`;
const WH = 'ledger:wh';
const WOO_PLACE = `woocommerce:${WOO}:default`;
const PROFILE = {
	dryRun: false,
	locations: [{ id: WH, owner: 'ledger', aliases: [W_ALIAS] }],
	channels: [
		{
			name: 'shopify',
			platform: 'shopify',
			shop: SHOP,
			salesLocation: WH,
			places: [{ id: W_ALIAS, shows: [WH] }],
		},
		{
			name: 'woo',
			platform: 'woocommerce',
			shop: WOO,
			salesLocation: WH,
			places: [{ id: WOO_PLACE, shows: [WH] }],
			buffer: { type: 'fixed', value: 1 },
		},
	],
};

let redis: Redis;
let prefix: string;
let version = 1_700_000_000_000;

const blank = { occurredAt: '', receivedAt: '' };
const shopifyMapping = (sku: string, item: string) => ({
	kind: 'mapping',
	id: `shopify:${SHOP}:mapping:${item}`,
	version: ++version,
	source: {
		platform: 'shopify',
		shop: SHOP,
		topic: 'inventory_items/update',
		via: 'reconciliation',
	},
	sku,
	refs: { inventoryItemId: item },
	locationId: null,
	quantity: null,
	...blank,
});
const wooMapping = (sku: string, id: string) => ({
	kind: 'mapping',
	id: `woocommerce:${WOO}:mapping:${id}`,
	version: ++version,
	source: { platform: 'woocommerce', shop: WOO, topic: 'product.updated', via: 'reconciliation' },
	sku,
	refs: { productId: id },
	locationId: null,
	quantity: null,
	...blank,
});
const count = (sku: string, quantity: number) => ({
	kind: 'level',
	id: `manual:erp:level:${sku}`,
	version: ++version,
	source: { platform: 'manual', shop: 'erp', topic: 'count', via: 'manual' },
	sku,
	refs: {},
	locationId: WH,
	quantity,
	...blank,
});
const shopifyShows = (sku: string, item: string, quantity: number) => ({
	kind: 'level',
	id: `shopify:${SHOP}:level:${item}:901`,
	version: ++version,
	source: {
		platform: 'shopify',
		shop: SHOP,
		topic: 'inventory_levels/update',
		via: 'reconciliation',
	},
	sku,
	refs: { inventoryItemId: item },
	locationId: W_ALIAS,
	quantity,
	...blank,
});
const wooShows = (sku: string, id: string, quantity: number, at = ++version) => ({
	kind: 'observation',
	id: `woocommerce:${WOO}:observation:${id}`,
	version: at,
	source: { platform: 'woocommerce', shop: WOO, topic: 'product.updated', via: 'reconciliation' },
	sku,
	refs: { productId: id },
	locationId: WOO_PLACE,
	quantity,
	...blank,
});

beforeEach(async () => {
	redis = testClient();
	prefix = uniquePrefix('drift');
	await saveProfile(redis, prefix, PROFILE);
});

afterEach(async () => {
	await deleteByPrefix(redis, prefix);
	await redis.quit();
});

async function apply(events: object[]): Promise<void> {
	const results = await applyEvents(redis, prefix, events as never);
	expect(results.filter((r) => r.outcome === 'invalid')).toEqual([]);
}

async function dirty(channel: string): Promise<string[]> {
	return (await redis.zrange(ledgerKeys.dirty(prefix, channel), 0, -1)).sort();
}

async function clearDirty(): Promise<void> {
	await redis.del(ledgerKeys.dirty(prefix, 'shopify'), ledgerKeys.dirty(prefix, 'woo'));
}

it('marks, per channel, exactly the mapped SKUs whose shop shows another value; unmapped SKUs are counted apart', async () => {
	await apply([
		shopifyMapping('A', '1'),
		shopifyMapping('B', '2'),
		shopifyMapping('C', '3'),
		wooMapping('A', '11'),
		wooMapping('B', '12'),
		count('A', 10),
		count('B', 20),
		count('C', 30),
		shopifyShows('A', '1', 10), // right
		shopifyShows('B', '2', 25), // raised by hand
		// C: Shopify never reported it, nothing was published: unknown → written
		wooShows('A', '11', 9), // right (10 − buffer 1)
		wooShows('B', '12', 12), // lowered, but nothing was ever published there: no hold, written
	]);
	await clearDirty();
	const shopify = await markDrifting(redis, prefix, 'shopify');
	const woo = await markDrifting(redis, prefix, 'woo');
	expect(shopify).toMatchObject({
		skus: 3,
		checked: 3,
		drifting: 2,
		driftingPlaces: 2,
		held: 0,
		unmapped: 0,
	});
	expect(woo).toMatchObject({
		skus: 3,
		checked: 2,
		drifting: 1,
		driftingPlaces: 1,
		held: 0,
		unmapped: 1,
	});
	expect(woo.examples).toEqual([{ sku: 'B', place: WOO_PLACE, desired: 19, shown: 12 }]);
	expect(await dirty('shopify')).toEqual(['B', 'C']);
	expect(await dirty('woo')).toEqual(['B']);
	// Marked with the SKU's rev, as every mark: Publish clears it only if the ledger did not move meanwhile.
	const rev = Number(await redis.hget(ledgerKeys.ledger(prefix, 'B'), 'rev'));
	expect(Number(await redis.zscore(ledgerKeys.dirty(prefix, 'woo'), 'B'))).toBe(rev);
});

it('a mirror that reported less than we published is held (not drift) until a poll that started after the report has finished', async () => {
	await apply([wooMapping('D', '14'), count('D', 20)]);
	const publishedAt = Date.now() - 10_000;
	await redis.hset(ledgerKeys.pub(prefix, 'D'), {
		[pubField('published', 'woo', WOO_PLACE)]: 19,
		[pubField('publishedRev', 'woo', WOO_PLACE)]: 1,
		[pubField('publishedAt', 'woo', WOO_PLACE)]: publishedAt,
	});
	const reportedAt = Math.floor((publishedAt + 5_000) / 1000) * 1000;
	await apply([wooShows('D', '14', 15, reportedAt)]); // 4 sold there that we have not heard of (yet)
	await clearDirty();

	const before = await markDrifting(redis, prefix, 'woo');
	expect(before).toMatchObject({ checked: 1, drifting: 0, held: 1 });
	expect(await dirty('woo')).toEqual([]);

	// A poll that started before the report does not release it; one that started after does.
	await recordPollFinished(redis, prefix, 'woo', reportedAt - 1);
	expect(await markDrifting(redis, prefix, 'woo')).toMatchObject({ drifting: 0, held: 1 });
	await recordPollFinished(redis, prefix, 'woo', reportedAt + 1);
	await clearDirty();
	const after = await markDrifting(redis, prefix, 'woo');
	expect(after).toMatchObject({ checked: 1, drifting: 1, held: 0 });
	expect(after.examples).toEqual([{ sku: 'D', place: WOO_PLACE, desired: 19, shown: 15 }]);
	expect(await dirty('woo')).toEqual(['D']);
});
