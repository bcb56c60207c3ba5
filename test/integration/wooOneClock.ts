import type Redis from 'ioredis';
import { GuardCode } from '../../nodes/InventoryGuard/codes';
import { claimKeys, commitKeys } from '../../nodes/InventoryGuard/redisGuard';
import { applyEvents } from '../../nodes/InventoryLedger/ledger';
import { placeAvailability } from '../../nodes/InventoryLedger/aggregate';
import { loadProfile } from '../../nodes/InventoryLedger/ledger/profileStore';
import type { ChannelRun } from '../../nodes/shared/channel/callPolicy';
import { drainPublish, type PublishReport } from '../../nodes/shared/channel/publish';
import { normalizeDelivery, pickHeaders } from '../../nodes/shared/events';
import { escapeKeyPart, key, ledgerKeys } from '../../nodes/shared/keys';
import { pollOrders } from '../../nodes/WooCommerceInventory/orders/poll';
import { WooStockWriter } from '../../nodes/WooCommerceInventory/stock/writer';
import { WooRestClient } from '../../nodes/WooCommerceInventory/transport/restClient';
import type { WooCommerceSimulator } from '../simulators/woocommerce';
import { testApiContext } from '../support/apiContext';
import { uniquePrefix } from '../support';
import {
	CHANNEL,
	CONSUMER_KEY,
	CONSUMER_SECRET,
	WEBHOOK_SECRET,
	saveWooProfile,
	shopOf,
	startCollector,
	startWoo,
} from './wooHarness';

/**
 * One WooCommerce SKU driven on a clock of the test's own (wooPublishRace, wooCancelReinstate): the simulator,
 * Publish and Poll Orders all read `clock.now`, and the simulator's deliveries go through the receipt path as the
 * template runs it — normalised, claimed by the Guard on `id@version` (a Duplicate is dropped), applied by the
 * Ledger, committed. `T` is a whole second `backMs` ago: `T + 1000·n + ms` places a step in a chosen second.
 */
export const ONE_CLOCK_SKU = 'R-1';
export const ONE_CLOCK_PRODUCT_ID = 10_000;

/** What the test file cleans up after all its tests. */
export interface OneClockCleanup {
	prefixes: string[];
	sims: WooCommerceSimulator[];
	closers: Array<() => Promise<void>>;
}

export async function openOneClockWoo(
	redis: Redis,
	cleanup: OneClockCleanup,
	name: string,
	stock: number,
	backMs: number,
) {
	const SKU = ONE_CLOCK_SKU;
	const prefix = uniquePrefix(name);
	cleanup.prefixes.push(prefix);
	const T = Math.floor(Date.now() / 1000) * 1000 - backMs;
	const clock = { now: T };
	const sim = await startWoo({ now: () => clock.now });
	cleanup.sims.push(sim);
	const collector = await startCollector();
	cleanup.closers.push(collector.close);
	for (const topic of ['product.updated', 'order.created', 'order.updated'])
		await sim.createWebhook({ topic, delivery_url: collector.url, secret: WEBHOOK_SECRET });
	await saveWooProfile(redis, prefix, shopOf(sim));
	sim.putProduct({ id: ONE_CLOCK_PRODUCT_ID, sku: SKU, stock_quantity: stock, manage_stock: true });

	const ctx = testApiContext({
		woocommerce: {
			siteUrl: sim.baseUrl,
			consumerKey: CONSUMER_KEY,
			consumerSecret: CONSUMER_SECRET,
		},
	});
	/** Run just before our next batch write reaches WooCommerce (after Publish decided it): a change in between. */
	const beforeWrite: Array<() => void> = [];
	const client = new WooRestClient(async (options) => {
		if (options.method === 'POST' && /batch/.test(String(options.url)))
			for (const f of beforeWrite.splice(0)) f();
		return (await ctx.helpers.httpRequestWithAuthentication.call(
			ctx,
			'wooCommerceInventoryApi',
			options,
		)) as never;
	}, sim.baseUrl);
	const run = (): ChannelRun => ({
		redis,
		prefix,
		channel: CHANNEL,
		platform: 'woocommerce',
		deadline: clock.now + 30_000,
		now: () => clock.now,
	});
	const publish = async (): Promise<PublishReport> =>
		await drainPublish(redis, prefix, {
			run: run(),
			writer: new WooStockWriter({
				redis,
				prefix,
				shop: shopOf(sim),
				client,
				now: () => clock.now,
			}),
			detailLimit: 10,
		});
	const poll = async () =>
		await pollOrders(redis, prefix, run(), client, { shop: shopOf(sim), now: () => clock.now });

	/**
	 * The simulator's deliveries so far, through the receipt path. `take` picks which of the waiting deliveries
	 * arrive now (default all); the rest wait, in order (an inbox that has not reached them yet).
	 */
	let waiting: Array<{ topic: string; body: string; headers: Record<string, string> }> = [];
	let seen = 0;
	const deliver = async (take: (topic: string) => boolean = () => true) => {
		await sim.flushDeliveries();
		for (const r of collector.received.slice(seen))
			waiting.push({
				topic: String(r.headers['x-wc-webhook-topic']),
				body: r.body,
				headers: r.headers as Record<string, string>,
			});
		seen = collector.received.length;
		const now = waiting.filter((d) => take(d.topic));
		waiting = waiting.filter((d) => !take(d.topic));
		const events = now.flatMap(
			(d) =>
				normalizeDelivery({
					platform: 'woocommerce',
					headers: pickHeaders('woocommerce', d.headers),
					rawBody: d.body,
					receivedAt: new Date(clock.now).toISOString(),
				}).events,
		);
		if (events.length === 0) return { applied: 0, duplicates: 0 };
		const keys = events.map((e) => key(prefix, 'claim', escapeKeyPart(`${e.id}@${e.version}`)));
		const claims = await claimKeys(redis, keys, 600_000, 'receipt');
		const isNew = (i: number) =>
			claims[i].code === GuardCode.Ok || claims[i].code === GuardCode.Reclaimed;
		const fresh = events.filter((_, i) => isNew(i));
		await applyEvents(redis, prefix, fresh);
		await commitKeys(
			redis,
			keys.filter((_, i) => isNew(i)),
			600_000,
			'receipt',
		);
		return { applied: fresh.length, duplicates: events.length - fresh.length };
	};

	/** What the ledger says WooCommerce should show for the SKU. */
	const ledgerAvailable = async () => {
		const loaded = await loadProfile(redis, prefix, true);
		const hash = await redis.hgetall(ledgerKeys.ledger(prefix, SKU));
		const quantities: Record<string, number> = {};
		for (const [field, value] of Object.entries(hash))
			if (field.startsWith('q:')) quantities[field.slice(2)] = Number(value);
		const [place] = placeAvailability(
			loaded!.index.profile,
			{ sku: SKU, quantities, pending: {}, frozen: false },
			CHANNEL,
		);
		return place.available;
	};
	const shown = () => Number(sim.getProduct(ONE_CLOCK_PRODUCT_ID)?.stock_quantity);
	const pubHash = async () => await redis.hgetall(ledgerKeys.pub(prefix, SKU));
	const dirty = async () => await redis.zscore(ledgerKeys.dirty(prefix, CHANNEL), SKU);

	return {
		prefix,
		sim,
		clock,
		T,
		publish,
		poll,
		deliver,
		ledgerAvailable,
		shown,
		beforeWrite,
		pubHash,
		dirty,
	};
}
