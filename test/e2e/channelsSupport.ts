/**
 * Tools of the channel e2e test (test/e2e/channels.test.ts): a tap on the simulators' webhook deliveries (to
 * send a delivery again byte for byte, and to hold one back and send it after a later one), the channel node
 * builders, a seeded random source, and the ledger's view of every SKU (quantities, pending forwards and the
 * availability the profile computes per channel place, with the Ledger's own aggregate code).
 */
import type Redis from 'ioredis';
import { placeAvailability } from '../../nodes/InventoryLedger/aggregate';
import { getSkus } from '../../nodes/InventoryLedger/ledger';
import { postRaw, type PostResult } from '../simulators/common';
import type { ShopifySimulator, WooCommerceSimulator } from '../simulators';
import { plainNode } from './inboxSupport';

type Node = Record<string, unknown>;

/** One webhook request a simulator sent: enough to send the very same bytes and headers again. */
export interface TappedDelivery {
	platform: 'shopify' | 'woocommerce';
	topic: string;
	url: string;
	rawBody: string;
	headers: Record<string, string>;
	status: number;
}

interface HeldDelivery {
	platform: 'shopify' | 'woocommerce';
	topic: string;
	body: Buffer;
	/** Shopify: the event id and trigger time the delivery had when it was due (a retry keeps both). */
	eventId?: string;
	triggeredAt?: string;
}

/**
 * Wraps `deliver` of both simulators (every delivery they make goes through it: sales, stock changes, our own
 * writes' echoes) without changing what they send: each delivery is recorded with its exact bytes and
 * headers. While `hold` says so for a delivery, it is not sent but kept, its body serialized at that moment
 * (the payload as it was when the platform built it), to be released later — a delivery arriving after a
 * newer one of the same order.
 */
export class DeliveryTap {
	readonly delivered: TappedDelivery[] = [];
	readonly resent: PostResult[] = [];
	private readonly held: HeldDelivery[] = [];
	hold: ((platform: 'shopify' | 'woocommerce', topic: string, payload: unknown) => boolean) | null =
		null;
	private readonly shopifyDeliver: ShopifySimulator['deliver'];
	private readonly wooDeliver: WooCommerceSimulator['deliver'];

	constructor(shopify: ShopifySimulator, woo: WooCommerceSimulator) {
		this.shopifyDeliver = shopify.deliver.bind(shopify);
		this.wooDeliver = woo.deliver.bind(woo);
		shopify.deliver = (async (topic, payload, opts = {}) => {
			if (this.hold?.('shopify', topic, payload)) {
				this.held.push({
					platform: 'shopify',
					topic,
					body: shopify.serialize(payload),
					eventId: opts.eventId ?? `held-${this.held.length}-${Date.now()}`,
					triggeredAt: opts.triggeredAt ?? new Date().toISOString(),
				});
				return [];
			}
			return await this.sendShopify(topic, payload, opts);
		}) as ShopifySimulator['deliver'];
		woo.deliver = (async (topic, payload, opts = {}) => {
			if (this.hold?.('woocommerce', topic, payload)) {
				this.held.push({ platform: 'woocommerce', topic, body: woo.serialize(payload) });
				return [];
			}
			return await this.sendWoo(topic, payload, opts);
		}) as WooCommerceSimulator['deliver'];
	}

	private async sendShopify(...args: Parameters<ShopifySimulator['deliver']>) {
		const results = await this.shopifyDeliver(...args);
		for (const r of results)
			this.delivered.push({
				platform: 'shopify',
				topic: args[0],
				url: r.uri,
				rawBody: r.rawBody,
				headers: r.requestHeaders,
				status: r.status,
			});
		return results;
	}

	private async sendWoo(...args: Parameters<WooCommerceSimulator['deliver']>) {
		const results = await this.wooDeliver(...args);
		for (const r of results)
			this.delivered.push({
				platform: 'woocommerce',
				topic: args[0],
				url: r.url,
				rawBody: r.rawBody,
				headers: r.requestHeaders,
				status: r.status,
			});
		return results;
	}

	get heldCount(): number {
		return this.held.length;
	}

	/** Sends every held delivery now (as the platform's late delivery of it), oldest first. */
	async release(): Promise<number> {
		const batch = this.held.splice(0);
		for (const h of batch) {
			if (h.platform === 'shopify')
				await this.sendShopify(h.topic, h.body, { eventId: h.eventId, triggeredAt: h.triggeredAt });
			else await this.sendWoo(h.topic, h.body);
		}
		return batch.length;
	}

	/** The same request again: same bytes, same headers (a platform's re-delivery of one delivery). */
	async resend(d: TappedDelivery): Promise<PostResult> {
		const r = await postRaw(d.url, Buffer.from(d.rawBody, 'utf8'), d.headers, {
			timeoutMs: 10_000,
		});
		this.resent.push(r);
		return r;
	}
}

/** mulberry32: a small seeded random source, so a failing traffic mix can be replayed exactly. */
export function seededRandom(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/** A Shopify Inventory or WooCommerce Inventory node of the workflow. */
export function channelNode(opts: {
	name: string;
	platform: 'shopify' | 'woocommerce';
	operation: string;
	channel: string;
	redisCredential: string;
	platformCredential: string;
	parameters?: Record<string, unknown>;
}): Node {
	const shopify = opts.platform === 'shopify';
	return plainNode(
		opts.name,
		shopify ? 'CUSTOM.shopifyInventory' : 'CUSTOM.wooCommerceInventory',
		{ operation: opts.operation, channel: opts.channel, ...(opts.parameters ?? {}) },
		1,
		{
			credentials: {
				inventoryRedisApi: { id: opts.redisCredential, name: opts.redisCredential },
				[shopify ? 'shopifyInventoryApi' : 'wooCommerceInventoryApi']: {
					id: opts.platformCredential,
					name: opts.platformCredential,
				},
			},
		},
	);
}

/** What the ledger says about one SKU: quantities, pending forwards, availability per `<channel> <place>`. */
export interface SkuLedger {
	quantities: Record<string, number>;
	pending: Record<string, number>;
	available: Record<string, number>;
}

export async function ledgerView(
	redis: Redis,
	prefix: string,
	skus: readonly string[],
): Promise<Map<string, SkuLedger>> {
	const { states, profile } = await getSkus(redis, prefix, skus);
	if (!profile) throw new Error('no profile saved');
	const out = new Map<string, SkuLedger>();
	for (const s of states) {
		const available: Record<string, number> = {};
		for (const p of placeAvailability(profile.index.profile, {
			sku: s.sku,
			quantities: s.quantities,
			pending: s.pending,
			frozen: s.frozen,
		}))
			available[`${p.channel} ${p.place}`] = p.available;
		out.set(s.sku, { quantities: s.quantities, pending: s.pending, available });
	}
	return out;
}
