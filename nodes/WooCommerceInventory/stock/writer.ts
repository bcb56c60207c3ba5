import type Redis from 'ioredis';
import type { JsonValue } from '../../shared/deadLetters';
import { callChannel, type ChannelRun } from '../../shared/channel/callPolicy';
import {
	readBackKey,
	type PublishWrite,
	type SendContext,
	type StockWriter,
	type WriteAnswer,
} from '../../shared/channel/publish';
import type { PlaceDecision } from '../../shared/channel/publishPlan';
import { writeChannelDeadLetter } from '../../shared/dlq';
import type { ChannelFailure } from '../../shared/retry';
import type { WooRestClient } from '../transport/restClient';
import {
	WOO_BATCH_LIMIT,
	batchPath,
	groupByEndpoint,
	listPath,
	readBatchAnswer,
	readStockAnswer,
	type WooTarget,
} from './batches';
import {
	lookupSkus,
	readTargets,
	recentMisses,
	recordMappings,
	recordMisses,
	targetOfRecord,
} from './idMap';

/**
 * The WooCommerce side of Publish (shared/channel/publish.ts drainPublish): SKUs to products or variations
 * (the map, misses looked up by `?sku=` and written back as mappings), batch calls per endpoint, and one
 * answer per write from WooCommerce's per-item results. WooCommerce has no compare-and-set, so a write is
 * never 'stale': the lease keeps writes per SKU in order, and mirror safety uses the product.updated
 * observations the trigger records — and, where those cannot be ordered against our writes (whole-second
 * times), what readShown reads back (`include=<ids>` on the list endpoints, 100 ids per call).
 */

/** Sends of one write answered "not applied" before it is given up as rejected (a loop has to end). */
const MAX_NOT_APPLIED = 3;

function deadLetterReason(failure: ChannelFailure): string {
	if (failure.code === 'BREAKER_OPEN') return 'breakerOpen';
	if (failure.reason === 'budget' || failure.reason === 'attempts') return 'budgetSpent';
	return failure.reason;
}

export interface WooWriterStats {
	/** Look-up calls made for SKUs the map did not know. */
	lookupCalls: number;
	/** Mappings found by look-ups and written to the Ledger's map. */
	mapped: number;
	/** Writes whose look-up failed: dead-lettered here (a replay marks them dirty again). */
	lookupDeadLettered: number;
	lookupDeadLetterIds: string[];
}

export interface WooWriterOptions {
	readonly redis: Redis;
	readonly prefix: string;
	readonly shop: string;
	readonly client: WooRestClient;
	readonly secrets?: readonly string[];
	readonly now?: () => number;
}

export class WooStockWriter implements StockWriter {
	readonly maxPerCall = WOO_BATCH_LIMIT;
	readonly stats: WooWriterStats = {
		lookupCalls: 0,
		mapped: 0,
		lookupDeadLettered: 0,
		lookupDeadLetterIds: [],
	};
	private readonly targets = new Map<string, WooTarget>();
	private readonly notApplied = new Map<string, number>();

	constructor(private readonly options: WooWriterOptions) {}

	private target(write: PublishWrite): WooTarget {
		const target = this.targets.get(write.sku);
		if (!target) throw new Error(`no WooCommerce target prepared for SKU '${write.sku}'`);
		return target;
	}

	async prepare(
		writes: PublishWrite[],
		run: ChannelRun,
	): Promise<{ ready: PublishWrite[]; unmapped: Array<{ write: PublishWrite; reason: string }> }> {
		const { redis, prefix, shop, client } = this.options;
		const now = this.options.now ?? Date.now;
		const unmapped: Array<{ write: PublishWrite; reason: string }> = [];
		// WooCommerce keeps one stock count per product: a channel place is that count. A second place of the
		// same SKU (a profile listing two places for a WooCommerce channel) would overwrite the first.
		const first = new Map<string, PublishWrite>();
		for (const w of writes) {
			if (first.has(w.sku))
				unmapped.push({
					write: w,
					reason: `WooCommerce keeps one stock count per product: place '${w.place}' is not written (the channel's place '${first.get(w.sku)!.place}' is)`,
				});
			else first.set(w.sku, w);
		}
		const skus = [...first.keys()].filter((s) => !this.targets.has(s));
		const { found, misses } = await readTargets(redis, prefix, shop, skus);
		for (const [sku, target] of found) this.targets.set(sku, target);

		const nowMs = now();
		const known = await recentMisses(redis, prefix, shop, misses, nowMs);
		const toLookUp = misses.filter((s) => !known.has(s));
		const noProduct = (sku: string) =>
			`no WooCommerce product or variation has SKU '${sku}' (looked up by SKU; the map is filled by product.updated webhooks and Resolve IDs)`;
		for (const sku of known) unmapped.push({ write: first.get(sku)!, reason: noProduct(sku) });

		if (toLookUp.length > 0) {
			const lookup = await lookupSkus(run, client, toLookUp);
			this.stats.lookupCalls += lookup.calls;
			const single: Array<{ sku: string; record: Record<string, unknown> }> = [];
			const absent: string[] = [];
			for (const sku of toLookUp) {
				if (lookup.failed.some((f) => f.skus.includes(sku))) continue;
				const records = lookup.records.get(sku) ?? [];
				if (records.length === 0) absent.push(sku);
				else if (records.length > 1)
					unmapped.push({
						write: first.get(sku)!,
						reason: `SKU '${sku}' is on several WooCommerce records (ids ${records.map((r) => String(r.id)).join(', ')}): duplicate SKUs are reported, never guessed`,
					});
				else single.push({ sku, record: records[0] });
			}
			for (const sku of absent) unmapped.push({ write: first.get(sku)!, reason: noProduct(sku) });
			await recordMisses(redis, prefix, shop, absent, nowMs);
			const results = await recordMappings(
				redis,
				prefix,
				shop,
				single.map((s) => s.record),
				new Date(nowMs).toISOString(),
			);
			single.forEach(({ sku, record }, i) => {
				const result = results[i];
				const target = targetOfRecord(record);
				const fine =
					result &&
					target &&
					(result.outcome === 'applied' ||
						(result.outcome === 'skipped' && result.reason === 'unchanged'));
				if (fine) {
					this.targets.set(sku, target);
					if (result.outcome === 'applied') this.stats.mapped++;
				} else
					unmapped.push({
						write: first.get(sku)!,
						reason: `the look-up found WooCommerce id ${String(record.id)} for SKU '${sku}' but the map refused it: ${result?.message ?? result?.reason ?? 'not a mapping'}`,
					});
			});
			// A failed look-up is the channel failing, not a missing product: dead-lettered like a failed write,
			// so a replay marks the SKUs dirty again.
			for (const { skus: failedSkus, failure } of lookup.failed) {
				const batch = failedSkus.map((s) => first.get(s)!).filter(Boolean);
				if (batch.length === 0) continue;
				const id = await writeChannelDeadLetter(
					redis,
					prefix,
					{
						reason: deadLetterReason(failure),
						channel: run.channel,
						operation: 'publish',
						items: batch.map((w) => ({ sku: w.sku, quantity: w.quantity, locationId: w.place })),
						payload: { lookup: { skus: failedSkus } },
						errorClass: failure.errorClass,
						errorMessage: `SKU look-up failed: ${failure.message}`,
						attempts: failure.attempts,
						firstFailureAt: new Date(failure.firstFailureAt).toISOString(),
						lastFailureAt: new Date(failure.lastFailureAt).toISOString(),
						deadAt: new Date(now()).toISOString(),
					},
					{ secrets: this.options.secrets },
				);
				this.stats.lookupDeadLettered += batch.length;
				this.stats.lookupDeadLetterIds.push(id);
				for (const w of batch)
					unmapped.push({
						write: w,
						reason: `SKU look-up failed (dead letter ${id}): ${failure.message}`,
					});
			}
		}
		const ready = [...first.values()].filter((w) => this.targets.has(w.sku));
		return { ready, unmapped };
	}

	group(writes: PublishWrite[]): PublishWrite[][] {
		return groupByEndpoint(writes, (w) => this.target(w), this.maxPerCall);
	}

	private updates(batch: PublishWrite[]): Array<{ id: number | string; stock_quantity: number }> {
		return batch.map((w) => {
			const id = this.target(w).id;
			const n = Number(id);
			return { id: Number.isSafeInteger(n) ? n : id, stock_quantity: w.quantity };
		});
	}

	async send(batch: PublishWrite[], context: SendContext): Promise<WriteAnswer[]> {
		const target = this.target(batch[0]);
		const answer = await this.options.client.request<unknown>({
			method: 'POST',
			path: batchPath(target),
			body: { update: this.updates(batch) },
			signal: context.signal,
		});
		const outcomes = readBatchAnswer(
			answer.body,
			batch.map((w) => this.target(w).id),
		);
		return outcomes.map((outcome, i): WriteAnswer => {
			if (outcome.ok) return { status: 'written' };
			if (!outcome.retryable) return { status: 'rejected', message: outcome.message };
			const key = batch[i].sku;
			const rounds = (this.notApplied.get(key) ?? 0) + 1;
			this.notApplied.set(key, rounds);
			return rounds >= MAX_NOT_APPLIED
				? { status: 'rejected', message: `${outcome.message} (${rounds} times)` }
				: { status: 'notApplied' };
		});
	}

	/**
	 * What WooCommerce shows now for these places (one stock count per product or variation): products by
	 * `GET /products?include=…`, variations by `GET /products/<parent>/variations?include=…`, ≤ 100 ids per call,
	 * under the channel policy. SKUs the map does not know are not looked up (nothing was published or observed
	 * for them); a failed read leaves its places out.
	 */
	async readShown(
		places: readonly PlaceDecision[],
		run: ChannelRun,
	): Promise<{ shown: Map<string, number>; requests: number }> {
		const { redis, prefix, shop, client } = this.options;
		const shown = new Map<string, number>();
		const first = new Map<string, PlaceDecision>();
		for (const d of places) if (!first.has(d.sku)) first.set(d.sku, d);
		const unknown = [...first.keys()].filter((sku) => !this.targets.has(sku));
		if (unknown.length > 0) {
			const { found } = await readTargets(redis, prefix, shop, unknown);
			for (const [sku, target] of found) this.targets.set(sku, target);
		}
		const readable = [...first.values()].filter((d) => this.targets.has(d.sku));
		let requests = 0;
		for (const group of groupByEndpoint(
			readable,
			(d) => this.targets.get(d.sku)!,
			WOO_BATCH_LIMIT,
		)) {
			const ids = group.map((d) => this.targets.get(d.sku)!.id);
			const result = await callChannel(run, async (context) =>
				client.request<unknown>({
					method: 'GET',
					path: listPath(this.targets.get(group[0].sku)!),
					qs: { include: ids.join(','), per_page: WOO_BATCH_LIMIT },
					signal: context.signal,
				}),
			);
			requests += result.requests;
			if (!result.ok) continue;
			const byId = readStockAnswer(result.value.body);
			group.forEach((d, i) => {
				const quantity = byId.get(ids[i]);
				if (quantity !== undefined) shown.set(readBackKey(d.sku, d.place), quantity);
			});
		}
		return { shown, requests };
	}

	payloadOf(batch: PublishWrite[]): JsonValue {
		const target = this.targets.get(batch[0]?.sku ?? '');
		return {
			path: target ? batchPath(target) : null,
			update: batch.map((w) => {
				const t = this.targets.get(w.sku);
				return { sku: w.sku, id: t ? t.id : null, stock_quantity: w.quantity };
			}),
		};
	}
}
