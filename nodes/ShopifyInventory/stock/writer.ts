import type Redis from 'ioredis';
import { sleep } from 'n8n-workflow';
import { ledgerKeys } from '../../shared/keys';
import { NonRetryableError } from '../../shared/retry';
import type {
	PublishWrite,
	SendContext,
	StockWriter,
	WriteAnswer,
} from '../../shared/channel/publish';
import type { ShopifyGraphqlClient } from '../transport/graphqlClient';
import { SET_QUANTITIES, levelsQuery, setQuantitiesCost, type UserError } from './queries';

/**
 * Publish's Shopify side: `inventorySetQuantities`, ≤ 250 quantities per call, each with `changeFromQuantity`
 * = the value the mirror shows as far as we know (null when we never saw or wrote one: Shopify then skips the
 * check), under an `@idempotent` key fixed before the first attempt. Shopify fails the whole call on any
 * userError: a CHANGE_FROM_QUANTITY_STALE quantity is re-read (its level's own updatedAt is the version) and
 * answered `stale` so the engine decides again with mirror safety; the other quantities of the call are
 * `notApplied` and go out again in the next call.
 *
 * A key Shopify answered with userErrors is spent: the same key again gets IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED
 * for the whole call. So a batch sent again after a refusal (the same writes decided again: the level moved
 * back between the refusal and the re-read) goes out under a derived key; a retry after no answer keeps the
 * key, and a PREVIOUS_ATTEMPT_FAILED answer (the refusal's answer was lost on the way) sends the call again
 * under a new key, since nothing of a refused call was applied.
 */

export const SHOPIFY_MAX_QUANTITIES = 250;
const ITEM_GID = 'gid://shopify/InventoryItem/';
const LOCATION_GID = 'gid://shopify/Location/';

interface Target {
	itemId: string;
	locationId: string;
}

/** The Shopify location id of a channel place '<platform>:<shop>:<locationId>' (undefined: not Shopify's). */
export function shopifyLocationOf(place: string): string | undefined {
	if (!place.startsWith('shopify:')) return undefined;
	const id = place.slice(place.lastIndexOf(':') + 1);
	return /^\d+$/.test(id) ? id : undefined;
}

/** The position of a userError's quantity in the call ('input', 'quantities', '<i>', …), or undefined. */
export function userErrorIndex(
	error: UserError,
	list: 'quantities' | 'changes',
): number | undefined {
	const path = error.field ?? [];
	const at = path.indexOf(list);
	const raw = at >= 0 ? path[at + 1] : undefined;
	return raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : undefined;
}

export class ShopifyStockWriter implements StockWriter {
	readonly maxPerCall = SHOPIFY_MAX_QUANTITIES;
	/** Per '<sku>\0<place>': a write decided again (STALE) is a new object for the same target. */
	private readonly targets = new Map<string, Target>();
	/** Per key the engine fixed: how many times Shopify refused it (or a key derived from it) with userErrors. */
	private readonly spentKeys = new Map<string, number>();

	constructor(
		private readonly client: ShopifyGraphqlClient,
		private readonly redis: Redis,
		private readonly prefix: string,
		/** The channel's shop as the profile names it (the map's key). */
		private readonly shop: string,
	) {}

	async prepare(writes: PublishWrite[]) {
		const skus = [...new Set(writes.map((w) => w.sku))];
		const mapKey = ledgerKeys.map(this.prefix, 'shopify', this.shop);
		// One HMGET for the whole pass: every SKU's item id is a field of the one map hash.
		const replies = skus.length
			? await this.redis.hmget(mapKey, ...skus.map((sku) => `sku:${sku}`))
			: [];
		const itemOf = new Map<string, string>();
		skus.forEach((sku, i) => {
			const field = replies[i];
			if (typeof field === 'string' && field.startsWith('item:')) itemOf.set(sku, field.slice(5));
		});
		const ready: PublishWrite[] = [];
		const unmapped: Array<{ write: PublishWrite; reason: string }> = [];
		for (const w of writes) {
			const itemId = itemOf.get(w.sku);
			const locationId = shopifyLocationOf(w.place);
			if (!itemId)
				unmapped.push({
					write: w,
					reason: `no Shopify inventory item is mapped for SKU '${w.sku}' (run Resolve SKUs or Get Levels)`,
				});
			else if (!locationId)
				unmapped.push({ write: w, reason: `place '${w.place}' is not a Shopify location id` });
			else {
				this.targets.set(`${w.sku}\u0000${w.place}`, { itemId, locationId });
				ready.push(w);
			}
		}
		return { ready, unmapped };
	}

	async paceMs(_batch: PublishWrite[], maxWaitMs?: number): Promise<number> {
		return await this.client.paceMs(setQuantitiesCost(), maxWaitMs);
	}

	private target(w: PublishWrite): Target {
		const t = this.targets.get(`${w.sku}\u0000${w.place}`);
		if (!t) throw new Error(`publish: SKU '${w.sku}' was not prepared`);
		return t;
	}

	payloadOf(batch: PublishWrite[]) {
		return {
			name: 'available',
			reason: 'correction',
			quantities: batch.map((w) => ({
				inventoryItemId: ITEM_GID + this.target(w).itemId,
				locationId: LOCATION_GID + this.target(w).locationId,
				quantity: w.quantity,
				changeFromQuantity: w.expected,
			})),
		};
	}

	/** The key to send for the engine's key: itself until Shopify refused it, then one derived per refusal. */
	private keyFor(key: string): string {
		const spent = this.spentKeys.get(key);
		return spent === undefined ? key : `${key}-${spent}`;
	}

	async send(batch: PublishWrite[], context: SendContext): Promise<WriteAnswer[]> {
		const key = context.idempotencyKey;
		const { data } = await this.client.request<{
			inventorySetQuantities: { userErrors: UserError[] } | null;
		}>(SET_QUANTITIES, { input: this.payloadOf(batch), key: this.keyFor(key) });
		const errors = data.inventorySetQuantities?.userErrors ?? [];
		if (errors.length === 0) return batch.map(() => ({ status: 'written' }));
		this.spentKeys.set(key, (this.spentKeys.get(key) ?? 0) + 1);
		if (errors.some((e) => e.code === 'IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED'))
			return batch.map(() => ({ status: 'notApplied' }));

		const answers: WriteAnswer[] = batch.map(() => ({ status: 'notApplied' }));
		const stale: number[] = [];
		for (const error of errors) {
			const i = userErrorIndex(error, 'quantities');
			if (i === undefined || i >= batch.length) {
				// Not about one quantity (name, reason, idempotency): the call as a whole is refused.
				throw new NonRetryableError(
					`inventorySetQuantities refused the call: ${error.message}${error.code ? ` (${error.code})` : ''}`,
				);
			}
			if (error.code === 'CHANGE_FROM_QUANTITY_STALE') stale.push(i);
			else
				answers[i] = {
					status: 'rejected',
					message: `${error.message} (${error.code ?? 'userError'})`,
				};
		}
		if (stale.length > 0) {
			// The re-read is sent after Shopify refused our expectation, so what it finds is newer than our last
			// confirmed write whatever the two clocks say: its version is at least the moment it was sent (our
			// clock, as the write's confirmation). With Shopify's own time alone, a clock behind ours (or a change
			// in the same millisecond) ordered it before our write, the write went out again with the refused
			// expectation and failed the same way.
			const sentAt = Date.now();
			const observed = await this.reread(stale.map((i) => batch[i]));
			stale.forEach((i, n) => {
				const o = observed[n];
				answers[i] = o
					? {
							status: 'stale',
							observed: o.quantity,
							observedVersion: Math.max(o.version, sentAt),
						}
					: {
							status: 'rejected',
							message: 'the level is gone from Shopify (item or location removed)',
						};
			});
		}
		return answers;
	}

	/** The current `available` of each write's level, with the level's own updatedAt (ms). */
	private async reread(
		writes: PublishWrite[],
	): Promise<Array<{ quantity: number; version: number } | undefined>> {
		const { query, cost } = levelsQuery(
			writes.map((w) => ({
				itemGid: ITEM_GID + this.target(w).itemId,
				locationGid: LOCATION_GID + this.target(w).locationId,
			})),
		);
		const wait = await this.client.paceMs(cost);
		if (wait > 0) await sleep(wait);
		const { data } = await this.client.request<Record<string, unknown>>(query);
		return writes.map((_, n) => {
			const level = (data[`l${n}`] as { inventoryLevel?: unknown } | null)?.inventoryLevel as
				| {
						updatedAt?: string;
						quantities?: Array<{ name: string; quantity: number; updatedAt?: string | null }>;
				  }
				| null
				| undefined;
			const available = level?.quantities?.find((q) => q.name === 'available');
			if (!level || !available) return undefined;
			const at = Date.parse(available.updatedAt ?? level.updatedAt ?? '');
			return { quantity: available.quantity, version: Number.isFinite(at) ? at : 0 };
		});
	}
}
