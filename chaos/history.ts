import { seededRandom } from '../test/e2e/channelsSupport';
import {
	ShopifyOutOfStockError,
	WooOutOfStockError,
	idString,
	type ShopifySimulator,
	type WooCommerceSimulator,
	type WooQueuedDelivery,
} from '../test/simulators';
import { STORE_LOCATION, type Catalogue } from '../demo/catalogue';

/**
 * The chaos run's shop activity and its serial truth (issue 22).
 *
 * Every operation is played on the simulators (so their orders, levels and stock are what the catch-up poll and
 * the reconciliation read back) and, in the same step, on a plain serial model written for this run: two numbers
 * per SKU, the warehouse (ledger-owned; Shopify's web orders draw from it, their cancellations put back) and the
 * Shopify store (POS sales and WooCommerce sales draw from it, WooCommerce cancellations and restocks put back).
 * The model knows nothing of the nodes: no versions, no events, only what a shopkeeper would count by hand.
 *
 * The webhooks the simulators send are caught before they leave (Capture) and delivered by the run itself:
 * each 1–4 times, shuffled within a round, several at once (so copies of one event and events of one SKU race).
 * Every 20th WooCommerce delivery (5 %, counted at the simulator over the deliveries that had an active webhook)
 * is dropped there and never sent (WooCommerce does not retry; the catch-up poll must find those orders).
 * Shopify's are retried after a non-200 answer, as Shopify does; WooCommerce's are not. Only events of a topic
 * someone subscribed to are captured (Shopify: a subscription of the topic; WooCommerce: an active webhook).
 */

type Lines = Array<{ sku: string; quantity: number }>;

export class SerialModel {
	readonly warehouse = new Map<string, number>();
	readonly store = new Map<string, number>();

	constructor(skus: readonly string[], warehouse: number, store: number) {
		for (const s of skus) {
			this.warehouse.set(s, warehouse);
			this.store.set(s, store);
		}
	}

	move(where: 'warehouse' | 'store', lines: Lines, sign: 1 | -1): void {
		const map = this[where];
		for (const l of lines) map.set(l.sku, map.get(l.sku)! + sign * l.quantity);
	}
}

export interface CapturedDelivery {
	seq: number;
	platform: 'shopify' | 'woocommerce';
	topic: string;
	body: Buffer;
	/** Shopify: the event id every copy carries (X-Shopify-Event-Id). */
	eventId?: string;
	triggeredAt?: string;
	/** The order id for order topics. */
	orderId?: string;
	/** Dropped at the WooCommerce simulator (the 5 %): never sent. */
	dropped?: boolean;
}

/** Every `every`-th WooCommerce delivery is dropped while `on` (deterministic: exactly 1 in `every`). */
export const WOO_DROP_EVERY = 20;

/** Takes over the simulators' deliver(): every webhook is captured, then sent by `send` as often as told. */
export class Capture {
	readonly pending: CapturedDelivery[] = [];
	seq = 0;
	/** Shopify events of a topic without a subscription: not captured (nobody would get them). */
	readonly withoutSubscriber: Record<string, number> = {};
	/** WooCommerce changes queued while no webhook of their topic was active: WooCommerce announces them to nobody. */
	readonly wooWithoutActiveWebhook: Record<string, number> = {};
	/** While true, every WOO_DROP_EVERY-th WooCommerce delivery is dropped at the simulator. */
	dropping = false;
	/** WooCommerce deliveries the simulator was about to send while dropping was on (the 5 % base). */
	wooDeliveries = 0;
	wooDropped = 0;
	private readonly shopifyDeliver: ShopifySimulator['deliver'];
	private readonly wooDeliver: WooCommerceSimulator['deliver'];

	constructor(shopify: ShopifySimulator, woo: WooCommerceSimulator) {
		this.shopifyDeliver = shopify.deliver.bind(shopify);
		this.wooDeliver = woo.deliver.bind(woo);
		const enqueue = woo.enqueue.bind(woo);
		woo.enqueue = (d) => {
			// The simulator sends to active webhooks only: a change queued while none is active is never announced.
			const active = [...woo.webhooks.values()].some(
				(w) => w.status === 'active' && w.topic === d.topic,
			);
			if (!active)
				this.wooWithoutActiveWebhook[d.topic] = (this.wooWithoutActiveWebhook[d.topic] ?? 0) + 1;
			enqueue(d);
		};
		shopify.deliver = (async (topic: string, payload: object | string | Buffer, opts = {}) => {
			const subscribed = shopify.subscriptions.some(
				(s) => s.restTopic === topic || s.topic === topic,
			);
			if (!subscribed) {
				this.withoutSubscriber[topic] = (this.withoutSubscriber[topic] ?? 0) + 1;
				return [];
			}
			this.pending.push({
				seq: ++this.seq,
				platform: 'shopify',
				topic,
				body: shopify.serialize(payload),
				eventId: opts.eventId ?? `chaos-${this.seq}-${Date.now()}`,
				triggeredAt: opts.triggeredAt ?? new Date().toISOString(),
				orderId: orderIdOf(topic, payload),
			});
			return [];
		}) as ShopifySimulator['deliver'];
		woo.deliver = (async (topic: string, payload: object | string | Buffer) => {
			this.pending.push({
				seq: ++this.seq,
				platform: 'woocommerce',
				topic,
				body: woo.serialize(payload),
				orderId: orderIdOf(topic, payload),
			});
			return [];
		}) as WooCommerceSimulator['deliver'];
	}

	/**
	 * The simulator's `dropDelivery` hook (asked only for deliveries that have an active webhook): drops every
	 * WOO_DROP_EVERY-th while dropping is on, and keeps the dropped event in the pending list, marked, so the
	 * run counts it among the events sent.
	 */
	dropWoo(d: WooQueuedDelivery): boolean {
		if (!this.dropping) return false;
		this.wooDeliveries++;
		if (this.wooDeliveries % WOO_DROP_EVERY !== 0) return false;
		this.wooDropped++;
		this.pending.push({
			seq: ++this.seq,
			platform: 'woocommerce',
			topic: d.topic,
			body: Buffer.alloc(0),
			orderId: d.resource === 'order' ? d.id : undefined,
			dropped: true,
		});
		return true;
	}

	/** The oldest `max` captured events (all by default). */
	take(max = Infinity): CapturedDelivery[] {
		return this.pending.splice(0, Math.min(max, this.pending.length));
	}

	/** One delivery of a captured event to every subscription; the statuses answered. */
	async send(d: CapturedDelivery): Promise<number[]> {
		const results =
			d.platform === 'shopify'
				? await this.shopifyDeliver(d.topic, d.body, {
						eventId: d.eventId,
						triggeredAt: d.triggeredAt,
						timeoutMs: 10_000,
					})
				: await this.wooDeliver(d.topic, d.body);
		return results.map((r) => r.status);
	}
}

function orderIdOf(topic: string, payload: unknown): string | undefined {
	if (!/^order/.test(topic) || typeof payload !== 'object' || payload === null) return undefined;
	if (Buffer.isBuffer(payload)) return undefined;
	const id = (payload as { id?: unknown }).id;
	return id === undefined ? undefined : idString(id as bigint);
}

export interface HistoryCounts {
	shopifyOrders: number;
	shopifyPos: number;
	shopifyCancelled: number;
	wooOrders: number;
	wooCancelled: number;
	storeRestocks: number;
	refusedOutOfStock: number;
}

const second = () => Math.floor(Date.now() / 1000);

/** The operations, one per `step()`, on the simulators and the model together. */
export class History {
	readonly counts: HistoryCounts = {
		shopifyOrders: 0,
		shopifyPos: 0,
		shopifyCancelled: 0,
		wooOrders: 0,
		wooCancelled: 0,
		storeRestocks: 0,
		refusedOutOfStock: 0,
	};
	private readonly rnd: () => number;
	private readonly shopifySales: Array<{ id: string; lines: Lines; second: number }> = [];
	private readonly wooSales: Array<{ id: string; lines: Lines; second: number }> = [];

	constructor(
		private readonly catalogue: Catalogue,
		private readonly shopify: ShopifySimulator,
		private readonly woo: WooCommerceSimulator,
		readonly model: SerialModel,
		seed: number,
	) {
		this.rnd = seededRandom(seed);
	}

	private lines(max: number): Lines {
		const count = 1 + Math.floor(this.rnd() * max);
		const chosen = new Set<string>();
		const { skus } = this.catalogue;
		while (chosen.size < count) chosen.add(skus[Math.floor(this.rnd() * skus.length)]);
		return [...chosen].map((sku) => ({ sku, quantity: 1 + Math.floor(this.rnd() * 2) }));
	}

	step(): void {
		const r = this.rnd();
		try {
			if (r < 0.3) {
				const lines = this.lines(2);
				const order = this.shopify.placeOrder({ lines });
				this.model.move('warehouse', lines, -1);
				this.shopifySales.push({ id: idString(order.id as bigint), lines, second: second() });
				this.counts.shopifyOrders++;
			} else if (r < 0.4) {
				const lines = this.lines(2);
				this.shopify.placeOrder({ pos: true, locationId: STORE_LOCATION, lines });
				this.model.move('store', lines, -1);
				this.counts.shopifyPos++;
			} else if (r < 0.72) {
				const lines = this.lines(2);
				const order = this.woo.placeOrder({ lines });
				this.model.move('store', lines, -1);
				this.wooSales.push({ id: idString(order.id as bigint), lines, second: second() });
				this.counts.wooOrders++;
			} else if (r < 0.8) {
				// An order's next version must carry a later second (WooCommerce dates have whole seconds).
				const at = this.wooSales.findIndex((s) => s.second < second());
				if (at < 0) return;
				const [sale] = this.wooSales.splice(at, 1);
				this.woo.setOrderStatus(sale.id, 'cancelled');
				this.model.move('store', sale.lines, +1);
				this.counts.wooCancelled++;
			} else if (r < 0.87) {
				const at = this.shopifySales.findIndex((s) => s.second < second());
				if (at < 0) return;
				const [sale] = this.shopifySales.splice(at, 1);
				this.shopify.cancelOrder(sale.id, { restock: true });
				this.model.move('warehouse', sale.lines, +1);
				this.counts.shopifyCancelled++;
			} else {
				// A delivery counted at the store in Shopify's admin (Shopify announces the new level).
				const sku = this.catalogue.skus[Math.floor(this.rnd() * this.catalogue.skus.length)];
				const item = this.catalogue.itemOf(sku);
				const now = this.shopify.level(item, STORE_LOCATION)?.available ?? 0;
				const received = 3 + Math.floor(this.rnd() * 6);
				this.shopify.setLevel(item, STORE_LOCATION, now + received, { webhook: true });
				this.model.store.set(sku, this.model.store.get(sku)! + received);
				this.counts.storeRestocks++;
			}
		} catch (error) {
			if (error instanceof ShopifyOutOfStockError || error instanceof WooOutOfStockError)
				this.counts.refusedOutOfStock++;
			else throw error;
		}
	}
}

/** Fisher–Yates with the run's seeded source. */
export function shuffle<T>(items: T[], rnd: () => number): T[] {
	for (let i = items.length - 1; i > 0; i--) {
		const j = Math.floor(rnd() * (i + 1));
		[items[i], items[j]] = [items[j], items[i]];
	}
	return items;
}
