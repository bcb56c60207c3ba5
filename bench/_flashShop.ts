/**
 * The flash sale's shop (bench/flashsale.ts): 200 SKUs sold on the Shopify and the WooCommerce simulator with
 * the stock model of the templates' example profile (workflows/first-sync.json) — a ledger-owned warehouse that
 * Shopify lists as location 1001 (Shopify's web orders draw from it), a Shopify-owned store 1002, WooCommerce
 * showing warehouse + store (less the buffer) and selling from the store.
 *
 * It also keeps the truth (what physically is on the shelves, from the orders the simulators accepted) and
 * watches what each place shows, sampled every few milliseconds in this process (the simulators' state is in
 * memory here): latency per order, overstated unit-seconds, mismatches at the end.
 */
import type { ShopifySimulator, WooCommerceSimulator } from '../test/simulators';
import { ShopifyOutOfStockError, WooOutOfStockError, idString } from '../test/simulators';
import { percentile } from './_results';

export const FLASH_SHOP = 'flash-shop.myshopify.com';
export const WAREHOUSE_LOCATION = '1001';
export const STORE_LOCATION = '1002';

export interface FlashCatalogue {
	skus: string[];
	itemOf: (sku: string) => string;
	wooIdOf: (sku: string) => string;
	warehouse0: (i: number) => number;
	store0: (i: number) => number;
}

/** Seeds both simulators; WooCommerce starts showing warehouse + store (no buffer: the first sync sets it). */
export function seedFlashShop(
	size: number,
	shopify: ShopifySimulator,
	woo: WooCommerceSimulator,
): FlashCatalogue {
	const skus = Array.from({ length: size }, (_, i) => `FS-${String(i).padStart(4, '0')}`);
	const warehouse0 = (i: number) => 20 + (i % 5) * 8;
	const store0 = (i: number) => 4 + (i % 3) * 4;
	shopify.putLocation(WAREHOUSE_LOCATION, 'Warehouse');
	shopify.putLocation(STORE_LOCATION, 'Store');
	const wooIds = new Map<string, string>();
	skus.forEach((sku, i) => {
		const item = String(9_100_000_000 + i);
		shopify.putInventoryItem(item, sku);
		shopify.setLevel(item, WAREHOUSE_LOCATION, warehouse0(i));
		shopify.setLevel(item, STORE_LOCATION, store0(i));
		const p = woo.putProduct({
			sku,
			manage_stock: true,
			stock_quantity: warehouse0(i) + store0(i),
		});
		wooIds.set(sku, idString(p.id as bigint));
	});
	return {
		skus,
		itemOf: (sku) => String(9_100_000_000 + skus.indexOf(sku)),
		wooIdOf: (sku) => wooIds.get(sku)!,
		warehouse0,
		store0,
	};
}

export interface PlannedOrder {
	atMs: number;
	channel: 'shopify' | 'woocommerce';
	skuIndex: number;
	quantity: number;
}

/** A small deterministic generator (mulberry32). */
function seeded(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/**
 * `orders` orders over `seconds`, half on each channel, SKUs drawn with a Zipf-like skew (weight 1/(rank+10))
 * so the popular third sells out during the sale; 1 unit, one in five 2 units.
 */
export function planOrders(
	orders: number,
	seconds: number,
	skus: number,
	seed = 20261128,
): PlannedOrder[] {
	const rnd = seeded(seed);
	const weights = Array.from({ length: skus }, (_, r) => 1 / (r + 10));
	const total = weights.reduce((s, w) => s + w, 0);
	const cumulative: number[] = [];
	weights.reduce((s, w, i) => (cumulative[i] = s + w / total), 0);
	const pick = () => {
		const x = rnd();
		const i = cumulative.findIndex((c) => c >= x);
		return i < 0 ? skus - 1 : i;
	};
	return Array.from({ length: orders }, (_, n) => ({
		atMs: (n * seconds * 1000) / orders,
		channel: rnd() < 0.5 ? ('shopify' as const) : ('woocommerce' as const),
		skuIndex: pick(),
		quantity: rnd() < 0.2 ? 2 : 1,
	}));
}

interface Pending {
	placedAt: number;
	sku: number;
	/** What each place must show at most once this order is reflected: Shopify 1001, 1002, WooCommerce. */
	target: [number, number, number];
}

/**
 * Truth and watch. `warehouse` and `store` are the units each location's own sales drew (Shopify's web orders
 * from the warehouse, WooCommerce's from the store). The profile's shortfall cover (store `coverShortfallFrom`
 * the warehouse) ships what WooCommerce sells beyond the store from the warehouse, so the units on the warehouse
 * shelf are warehouse + min(0, store). Places: Shopify's warehouse location (truth: those shelf units), Shopify's
 * store location (truth: the store, below zero once WooCommerce sold beyond it: the forwarded adjustments),
 * WooCommerce (truth: warehouse + store). An order is reflected once every place shows at most what it should
 * show after it (WooCommerce: warehouse + store − the variant's buffer).
 */
export class FlashWatch {
	readonly warehouse: number[];
	readonly store: number[];
	readonly initialTotal: number[];
	accepted = 0;
	refused = 0;
	readonly latencies: number[] = [];
	/** [second since start, latency ms] of every reflected order, for the plot. */
	readonly timeline: Array<[number, number]> = [];
	overstatedUnitMs = 0;
	/** The first checkouts that sold beyond the stock, with what the places showed (where an oversell came from). */
	readonly oversells: string[] = [];
	private pending: Pending[] = [];
	private lastSample = 0;
	private startedAt = 0;

	constructor(
		private readonly catalogue: FlashCatalogue,
		private readonly shopify: ShopifySimulator,
		private readonly woo: WooCommerceSimulator,
		private readonly buffer: number,
	) {
		const n = catalogue.skus.length;
		this.warehouse = Array.from({ length: n }, (_, i) => catalogue.warehouse0(i));
		this.store = Array.from({ length: n }, (_, i) => catalogue.store0(i));
		this.initialTotal = this.warehouse.map((w, i) => w + this.store[i]);
	}

	start(now = performance.now()): void {
		this.startedAt = now;
		this.lastSample = now;
	}

	shown(i: number): [number, number, number] {
		const sku = this.catalogue.skus[i];
		const item = this.catalogue.itemOf(sku);
		return [
			this.shopify.level(item, WAREHOUSE_LOCATION)?.available ?? 0,
			this.shopify.level(item, STORE_LOCATION)?.available ?? 0,
			Number(this.woo.getProduct(this.catalogue.wooIdOf(sku))?.stock_quantity ?? 0),
		];
	}

	/**
	 * What each place should show now: Shopify's warehouse location what is on the warehouse shelf (less what the
	 * store owes it) less the buffer; Shopify's store level may go below zero (a WooCommerce sale forwarded to an
	 * empty store; Shopify owns it, nothing is published there); WooCommerce shows warehouse + store less the
	 * buffer. The buffer is per channel (issue 20: "a 2-unit buffer per channel"), on both published places.
	 */
	should(i: number): [number, number, number] {
		return [
			Math.max(0, this.shelf(i) - this.buffer),
			this.store[i],
			Math.max(0, this.warehouse[i] + this.store[i] - this.buffer),
		];
	}

	/**
	 * What Shopify's warehouse location should show: the units on the warehouse shelf (the store's shortfall
	 * ships from it), never below 0 — that level is ours (Publish writes at least 0) and Shopify sells only what
	 * it shows; a shelf below 0 is the oversell `oversold()` counts.
	 */
	private shelf(i: number): number {
		return Math.max(0, this.warehouse[i] + Math.min(0, this.store[i]));
	}

	/** A customer checkout on `channel`; the simulator refuses what it does not show. */
	place(order: PlannedOrder): void {
		const sku = this.catalogue.skus[order.skuIndex];
		this.sample();
		try {
			if (order.channel === 'shopify') {
				this.shopify.placeOrder({ lines: [{ sku, quantity: order.quantity }] });
				this.warehouse[order.skuIndex] -= order.quantity;
			} else {
				this.woo.placeOrder({
					lines: [{ productId: BigInt(this.catalogue.wooIdOf(sku)), quantity: order.quantity }],
				});
				this.store[order.skuIndex] -= order.quantity;
			}
		} catch (error) {
			if (error instanceof ShopifyOutOfStockError || error instanceof WooOutOfStockError) {
				this.refused++;
				return;
			}
			// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- not a node: a benchmark's own failure
			throw error;
		}
		this.accepted++;
		const i = order.skuIndex;
		if (this.warehouse[i] + this.store[i] < 0 && this.oversells.length < 20)
			this.oversells.push(
				`${sku} ${order.channel} ×${order.quantity} at ${Math.round(performance.now() - this.startedAt)} ms: ` +
					`shown ${this.shown(i).join('/')} after it, warehouse ${this.warehouse[i]}, store ${this.store[i]}`,
			);
		this.pending.push({
			placedAt: performance.now(),
			sku: order.skuIndex,
			target: this.should(order.skuIndex),
		});
	}

	/** Accumulates overstatement since the last sample and settles the orders now reflected. */
	sample(now = performance.now()): void {
		const dt = now - this.lastSample;
		this.lastSample = now;
		const shownNow = new Map<number, [number, number, number]>();
		const shownOf = (i: number) => {
			let s = shownNow.get(i);
			if (!s) shownNow.set(i, (s = this.shown(i)));
			return s;
		};
		if (dt > 0)
			for (let i = 0; i < this.catalogue.skus.length; i++) {
				const s = shownOf(i);
				const truth = [this.shelf(i), this.store[i], this.warehouse[i] + this.store[i]];
				for (let p = 0; p < 3; p++)
					this.overstatedUnitMs += Math.max(0, Math.max(0, s[p]) - Math.max(0, truth[p])) * dt;
			}
		this.pending = this.pending.filter((o) => {
			const s = shownOf(o.sku);
			if (s[0] <= o.target[0] && s[1] <= o.target[1] && s[2] <= o.target[2]) {
				const latency = now - o.placedAt;
				this.latencies.push(latency);
				this.timeline.push([(o.placedAt - this.startedAt) / 1000, Math.round(latency)]);
				return false;
			}
			return true;
		});
	}

	get unreflected(): number {
		return this.pending.length;
	}

	/** Orders never reflected count with the time they waited so far (a lower bound). */
	latencyFigures(now = performance.now()): { p50: number; p99: number } {
		const all = [...this.latencies, ...this.pending.map((o) => now - o.placedAt)].sort(
			(a, b) => a - b,
		);
		return { p50: Math.round(percentile(all, 50)), p99: Math.round(percentile(all, 99)) };
	}

	/** SKUs where some place does not show what it should. */
	mismatched(): string[] {
		const off: string[] = [];
		for (let i = 0; i < this.catalogue.skus.length; i++) {
			const s = this.shown(i);
			const want = this.should(i);
			if (s.some((v, p) => v !== want[p]))
				off.push(`${this.catalogue.skus[i]}: shows ${s.join('/')} ≠ ${want.join('/')}`);
		}
		return off;
	}

	/** Units sold beyond what physically existed (per SKU, both locations). */
	oversold(): number {
		let units = 0;
		for (let i = 0; i < this.catalogue.skus.length; i++)
			units += Math.max(0, -(this.warehouse[i] + this.store[i]));
		return units;
	}

	/** The oversold SKUs with their final warehouse / store truth (where an oversell came from). */
	oversoldExamples(): string[] {
		const out: string[] = [];
		for (let i = 0; i < this.catalogue.skus.length; i++)
			if (this.warehouse[i] + this.store[i] < 0)
				out.push(
					`${this.catalogue.skus[i]}: warehouse ${this.warehouse[i]}, store ${this.store[i]}`,
				);
		return out;
	}

	soldOut(): number {
		return this.warehouse.filter((w, i) => w + this.store[i] <= 0).length;
	}
}
