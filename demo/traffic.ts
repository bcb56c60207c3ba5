/**
 * The demo's stream of shop activity, played on the two simulators (each change sends the platform's real,
 * signed webhooks to n8n): orders on both channels, cancellations, returns and restocks, duplicate deliveries
 * (the same request sent twice), out-of-order deliveries (an order's creation arriving after its update),
 * WooCommerce webhooks that never arrive (the catch-up poll must find those orders), and a short WooCommerce
 * outage. It keeps what the ledger must end with, computed from the orders the simulators accepted.
 */
import { DeliveryTap, seededRandom } from '../test/e2e/channelsSupport';
import {
	ShopifyOutOfStockError,
	WooOutOfStockError,
	idString,
	type ShopifySimulator,
	type WooCommerceSimulator,
	type WooQueuedDelivery,
} from '../test/simulators';
import { STORE_LOCATION, STORE_START, WAREHOUSE_START, type Catalogue } from './catalogue';

type Lines = Array<{ sku: string; quantity: number }>;

interface WooSale {
	id: string;
	lines: Lines;
	second: number;
	state: 'pending' | 'processing' | 'cancelled';
}

export interface TrafficCounts {
	shopifyOrders: number;
	shopifyPosOrders: number;
	shopifyCancelled: number;
	shopifyReturns: number;
	shopifyReordered: number;
	storeRestocks: number;
	wooOrders: number;
	wooCancelled: number;
	wooReordered: number;
	wooWebhooksDropped: number;
	duplicates: number;
	refusedOutOfStock: number;
}

const second = () => Math.floor(Date.now() / 1000);

export class Traffic {
	readonly tap: DeliveryTap;
	readonly counts: TrafficCounts = {
		shopifyOrders: 0,
		shopifyPosOrders: 0,
		shopifyCancelled: 0,
		shopifyReturns: 0,
		shopifyReordered: 0,
		storeRestocks: 0,
		wooOrders: 0,
		wooCancelled: 0,
		wooReordered: 0,
		wooWebhooksDropped: 0,
		duplicates: 0,
		refusedOutOfStock: 0,
	};
	/** What the ledger must hold per SKU: the warehouse, the Shopify store. */
	readonly expected: { warehouse: Map<string, number>; store: Map<string, number> };
	/** While true, about `dropShare` of WooCommerce order webhooks are lost (never sent, never retried). */
	dropping = false;
	private readonly rnd: () => number;
	private readonly dropRnd: () => number;
	private readonly shopifySales: Array<{ id: string; lines: Lines; second: number }> = [];
	private readonly wooSales: WooSale[] = [];
	private readonly heldWoo = new Set<string>();
	private holdShopifyCreate = false;
	private steps = 0;
	private readonly delivered0: number;

	constructor(
		private readonly catalogue: Catalogue,
		private readonly shopify: ShopifySimulator,
		private readonly woo: WooCommerceSimulator,
		seed: number,
		private readonly dropShare = 0.05,
	) {
		this.rnd = seededRandom(seed);
		this.dropRnd = seededRandom(seed + 1);
		this.tap = new DeliveryTap(shopify, woo);
		this.tap.hold = (platform, topic, payload) =>
			platform === 'shopify'
				? this.holdShopifyCreate && topic === 'orders/create'
				: topic === 'order.created' && this.heldWoo.has(idString((payload as { id: bigint }).id));
		this.expected = {
			warehouse: new Map(catalogue.skus.map((s) => [s, WAREHOUSE_START])),
			store: new Map(catalogue.skus.map((s) => [s, STORE_START])),
		};
		this.delivered0 = this.tap.delivered.length;
	}

	/** For the WooCommerce simulator's `dropDelivery`: loses a share of order webhooks while `dropping`. */
	dropDelivery = (d: WooQueuedDelivery): boolean => {
		if (!this.dropping || d.resource !== 'order' || this.heldWoo.has(d.id)) return false;
		if (this.dropRnd() >= this.dropShare) return false;
		this.counts.wooWebhooksDropped++;
		return true;
	};

	/** Webhook requests sent to n8n so far by this stream (duplicates included). */
	get sent(): number {
		return this.tap.delivered.length - this.delivered0 + this.tap.resent.length;
	}

	private pickLines(max: number): Lines {
		const count = 1 + Math.floor(this.rnd() * max);
		const chosen = new Set<string>();
		const { skus } = this.catalogue;
		while (chosen.size < count) chosen.add(skus[Math.floor(this.rnd() * skus.length)]);
		return [...chosen].map((sku) => ({ sku, quantity: 1 + Math.floor(this.rnd() * 2) }));
	}

	private move(map: Map<string, number>, lines: Lines, sign: number): void {
		for (const l of lines) map.set(l.sku, map.get(l.sku)! + sign * l.quantity);
	}

	/** One shop event (sometimes none, when what it needs is not there yet). */
	async step(): Promise<void> {
		this.steps++;
		const r = this.rnd();
		try {
			if (r < 0.27) this.shopifyWebOrder();
			else if (r < 0.31) this.shopifyCancel();
			else if (r < 0.38) this.shopifyPosOrder();
			else if (r < 0.62) this.wooOrder();
			else if (r < 0.67) await this.shopifyReordered();
			else if (r < 0.74) await this.wooPendingOrder();
			else if (r < 0.81) await this.wooCancelOrPromote();
			else if (r < 0.85) this.shopifyReturn();
			else if (r < 0.89) this.storeRestock();
			else this.wooOrder();
		} catch (error) {
			if (error instanceof ShopifyOutOfStockError || error instanceof WooOutOfStockError)
				this.counts.refusedOutOfStock++;
			else throw error;
		}
		if (this.steps % 8 === 0) await this.duplicateSome(2);
	}

	private shopifyWebOrder(): void {
		const lines = this.pickLines(3);
		const order = this.shopify.placeOrder({ lines });
		this.move(this.expected.warehouse, lines, -1);
		this.shopifySales.push({ id: idString(order.id as bigint), lines, second: second() });
		this.counts.shopifyOrders++;
	}

	private shopifyPosOrder(): void {
		const lines = this.pickLines(2);
		this.shopify.placeOrder({ pos: true, locationId: STORE_LOCATION, lines });
		this.move(this.expected.store, lines, -1);
		this.counts.shopifyPosOrders++;
	}

	/** A web order cancelled with restock (its units back to the warehouse). */
	private shopifyCancel(): void {
		const at = this.shopifySales.findIndex((o) => o.second < second());
		if (at < 0) return;
		const [sale] = this.shopifySales.splice(at, 1);
		this.shopify.cancelOrder(sale.id, { restock: true });
		this.move(this.expected.warehouse, sale.lines, +1);
		this.counts.shopifyCancelled++;
	}

	/** A customer returns one unit of an earlier web order's first line (restocked at the warehouse). */
	private shopifyReturn(): void {
		const at = this.shopifySales.findIndex((o) => o.second < second());
		if (at < 0) return;
		const [sale] = this.shopifySales.splice(at, 1);
		const line = sale.lines[0];
		this.shopify.refundOrder(sale.id, [{ sku: line.sku, quantity: 1, restock: true }]);
		this.move(this.expected.warehouse, [{ sku: line.sku, quantity: 1 }], +1);
		this.counts.shopifyReturns++;
	}

	/** A delivery received at the store, counted in Shopify's admin (Shopify announces the new level). */
	private storeRestock(): void {
		const sku = this.catalogue.skus[Math.floor(this.rnd() * this.catalogue.skus.length)];
		const item = this.catalogue.itemOf(sku);
		const now = this.shopify.level(item, STORE_LOCATION)?.available ?? 0;
		const received = 5 + Math.floor(this.rnd() * 6);
		this.shopify.setLevel(item, STORE_LOCATION, now + received, { webhook: true });
		this.expected.store.set(sku, this.expected.store.get(sku)! + received);
		this.counts.storeRestocks++;
	}

	/**
	 * orders/create held back; a refund without restock (refunds/create + orders/updated) goes first; then the
	 * create arrives, older than the update it follows.
	 */
	private async shopifyReordered(): Promise<void> {
		const lines = this.pickLines(2);
		this.holdShopifyCreate = true;
		let order: Record<string, unknown>;
		try {
			order = this.shopify.placeOrder({ lines });
		} finally {
			this.holdShopifyCreate = false;
		}
		this.move(this.expected.warehouse, lines, -1);
		await this.shopify.webhooksIdle();
		this.shopify.refundOrder(order.id as bigint, [
			{ sku: lines[0].sku, quantity: 1, restock: false },
		]);
		await this.shopify.webhooksIdle();
		await this.tap.release();
		this.counts.shopifyReordered++;
	}

	private wooOrder(): void {
		const lines = this.pickLines(2);
		const order = this.woo.placeOrder({ lines });
		this.move(this.expected.store, lines, -1);
		this.wooSales.push({
			id: idString(order.id as bigint),
			lines,
			second: second(),
			state: 'processing',
		});
		this.counts.wooOrders++;
	}

	/** An order placed pending (draws nothing) and paid later; its order.created arrives after the update. */
	private async wooPendingOrder(): Promise<void> {
		const lines = this.pickLines(2);
		const order = this.woo.placeOrder({ status: 'pending', lines });
		const sale: WooSale = {
			id: idString(order.id as bigint),
			lines,
			second: second(),
			state: 'pending',
		};
		this.heldWoo.add(sale.id);
		this.wooSales.push(sale);
		await this.woo.flushDeliveries();
	}

	private async wooCancelOrPromote(): Promise<void> {
		const pending = this.wooSales.find((s) => s.state === 'pending' && s.second < second());
		if (pending) {
			await this.promote(pending);
			return;
		}
		const at = this.wooSales.findIndex((s) => s.state === 'processing' && s.second < second());
		if (at < 0) return;
		const [sale] = this.wooSales.splice(at, 1);
		this.woo.setOrderStatus(sale.id, 'cancelled');
		this.move(this.expected.store, sale.lines, +1);
		this.counts.wooCancelled++;
	}

	/** The pending order is paid: order.updated (processing), then its held order.created. */
	private async promote(sale: WooSale): Promise<void> {
		// WooCommerce dates have whole seconds: the update is a newer version only in a later second.
		while (second() <= sale.second) await new Promise((r) => setTimeout(r, 50));
		this.woo.setOrderStatus(sale.id, 'processing');
		sale.state = 'processing';
		sale.second = second();
		this.move(this.expected.store, sale.lines, -1);
		await this.woo.flushDeliveries();
		this.heldWoo.delete(sale.id);
		await this.tap.release();
		this.counts.wooReordered++;
	}

	/** A platform's re-delivery: a few of the latest deliveries sent again, byte for byte. */
	private async duplicateSome(count: number): Promise<void> {
		await this.shopify.webhooksIdle();
		await this.woo.flushDeliveries();
		const recent = this.tap.delivered.slice(-16);
		for (let i = 0; i < count && recent.length > 0; i++) {
			const d = recent[Math.floor(this.rnd() * recent.length)];
			await this.tap.resend(d);
			this.counts.duplicates++;
		}
	}

	/** Ends the stream: every pending order paid, every held delivery sent, every queued webhook out. */
	async finish(): Promise<void> {
		for (const sale of this.wooSales.filter((s) => s.state === 'pending')) await this.promote(sale);
		await this.shopify.webhooksIdle();
		await this.woo.flushDeliveries();
		await this.tap.release();
		await this.shopify.webhooksIdle();
		await this.woo.flushDeliveries();
	}
}
