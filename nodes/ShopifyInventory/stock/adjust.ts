import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import { applyEvents } from '../../InventoryLedger/ledger/apply';
import { loadProfile } from '../../InventoryLedger/ledger/profileStore';
import { dirtyRefs } from '../../InventoryLedger/profile';
import type { ApplyResult } from '../../InventoryLedger/ledger/results';
import { callChannel, type ChannelRun } from '../../shared/channel/callPolicy';
import { withChannelScripts } from '../../shared/channel/publish';
import { writeChannelDeadLetter } from '../../shared/dlq';
import { channelKeys, ledgerKeys } from '../../shared/keys';
import { withLease, type LeaseSettings } from '../../shared/locks/lease';
import { execAll } from '../../shared/redisBatch';
import { NonRetryableError, type ChannelFailure } from '../../shared/retry';
import type { ShopifyGraphqlClient } from '../transport/graphqlClient';
import { ADJUST_QUANTITIES, adjustQuantitiesCost, type UserError } from './queries';
import { shopifyLocationOf, userErrorIndex } from './writer';

/**
 * Adjust (design.md "Forwards and the owner's levels"): a sale on another channel drawing on a location Shopify
 * owns is forwarded to Shopify as a delta, never as an absolute set. The drain takes the owner's outbox in
 * batches of ≤ 250 `inventoryAdjustQuantities` changes. Each batch is written down with its idempotency key
 * *before* it is sent (`<prefix>:adjusting:<owner>`), so a run that dies mid-call resends the same batch with the
 * same key and Shopify answers the first result. On success each change's `quantityAfterChange` is applied as
 * Shopify's level at that location with the adjustment group's `createdAt` as version (Shopify's later level
 * webhooks are newer and win), then the pending marks are lifted and the entries leave the outbox in one script
 * (lua/confirmForwards.lua). Confirmed entries are remembered (`<prefix>:adjusted:<owner>`, 30 days): a replayed
 * dead letter carrying one is skipped — replay safety rests on our own record, not only on Shopify's keys,
 * which expire after a day.
 */

export const SHOPIFY_MAX_CHANGES = 250;
const CONFIRMED_KEEP_MS = 30 * 24 * 3600 * 1000;
const LAG_CAP = 10_000;

/** One forwarded sale waiting in the owner's outbox, as applyEvents.lua wrote it. */
export interface OutboxEntry {
	streamId: string;
	sku: string;
	loc: string;
	delta: number;
	/** The forward's business id (the order line) and the order version it came from. */
	id: string;
	ver: string;
	fields: Record<string, string>;
}

export interface AdjustReport {
	channel: string;
	dryRun: boolean;
	leaseBusy: boolean;
	leaseLost: boolean;
	entries: number;
	/** Entries whose pending marks were lifted (Shopify applied them). */
	confirmed: number;
	/** Entries already confirmed before (a replay): removed without a call. */
	alreadyConfirmed: number;
	deadLettered: number;
	deadLetterIds: string[];
	calls: number;
	levels: { applied: number; skipped: number };
	/** Left in the outbox (budget spent, or the lease was lost). */
	remaining: number;
}

export interface AdjustOptions {
	readonly run: ChannelRun;
	readonly client: ShopifyGraphqlClient;
	/** The channel's shop (the SKU map's key). */
	readonly shop: string;
	readonly lease?: Partial<LeaseSettings>;
	readonly secrets?: readonly string[];
	readonly maxPerCall?: number;
}

function parseEntry(streamId: string, flat: string[]): OutboxEntry {
	const fields: Record<string, string> = {};
	for (let i = 0; i < flat.length; i += 2) fields[flat[i]] = flat[i + 1];
	return {
		streamId,
		sku: fields.sku ?? '',
		loc: fields.loc ?? '',
		delta: Number(fields.delta ?? 0),
		id: fields.id ?? '',
		ver: fields.ver ?? '',
		fields,
	};
}

/** The identity a confirmation is remembered by: one forward of one order line at one order version. */
export function forwardIdOf(entry: Pick<OutboxEntry, 'id' | 'ver'>): string {
	return entry.id ? `${entry.id}@${entry.ver}` : '';
}

export function adjustIdempotencyKey(owner: string, entries: OutboxEntry[]): string {
	const hash = createHash('sha256').update(owner);
	for (const e of entries)
		hash.update(`\u0000${e.streamId}\u0001${forwardIdOf(e)}\u0001${e.delta}`);
	return `invsync-adj-${hash.digest('hex').slice(0, 40)}`;
}

interface Change {
	itemId: string;
	locationId: string;
	delta: number;
	entries: OutboxEntry[];
}

/** Sums the entries' deltas per (item, location): one change each, as Shopify wants. */
export function coalesceChanges(
	entries: Array<{ entry: OutboxEntry; itemId: string; locationId: string }>,
): Change[] {
	const byTarget = new Map<string, Change>();
	for (const { entry, itemId, locationId } of entries) {
		const id = `${itemId}\u0000${locationId}`;
		let change = byTarget.get(id);
		if (!change) {
			change = { itemId, locationId, delta: 0, entries: [] };
			byTarget.set(id, change);
		}
		change.delta += entry.delta;
		change.entries.push(entry);
	}
	return [...byTarget.values()];
}

export async function drainAdjust(
	redis: Redis,
	prefix: string,
	options: AdjustOptions,
): Promise<AdjustReport> {
	const { run } = options;
	const owner = run.channel;
	const now = run.now ?? Date.now;
	withChannelScripts(redis);
	const report: AdjustReport = {
		channel: owner,
		dryRun: false,
		leaseBusy: false,
		leaseLost: false,
		entries: 0,
		confirmed: 0,
		alreadyConfirmed: 0,
		deadLettered: 0,
		deadLetterIds: [],
		calls: 0,
		levels: { applied: 0, skipped: 0 },
		remaining: 0,
	};
	const loaded = await loadProfile(redis, prefix, true);
	if (!loaded)
		throw new Error('no sync profile is saved: save one with the Inventory Ledger first');
	const index = loaded.index;
	report.dryRun = index.profile.dryRun;
	const outboxKey = ledgerKeys.outbox(prefix, owner);
	if (report.dryRun) {
		report.remaining = await redis.xlen(outboxKey);
		return report;
	}
	const maxPerCall = Math.min(options.maxPerCall ?? SHOPIFY_MAX_CHANGES, SHOPIFY_MAX_CHANGES);
	const confirmedKey = channelKeys.adjusted(prefix, owner);
	const inFlightKey = channelKeys.adjusting(prefix, owner);
	const mapKey = ledgerKeys.map(prefix, 'shopify', options.shop);

	const confirm = async (entries: OutboxEntry[]) => {
		if (entries.length === 0) return;
		const keys = [outboxKey, confirmedKey, inFlightKey, channelKeys.lag(prefix, owner)];
		const at = new Map<string, number>();
		const refOf = (key: string) => {
			let i = at.get(key);
			if (i === undefined) {
				keys.push(key);
				i = keys.length;
				at.set(key, i);
			}
			return i;
		};
		const args: Array<string | number> = [now(), LAG_CAP, CONFIRMED_KEEP_MS, entries.length];
		for (const e of entries) {
			const location = index.locationOf.get(e.loc) ?? e.loc;
			const dirty = dirtyRefs(index, location, (c) => refOf(ledgerKeys.dirty(prefix, c)));
			args.push(
				e.streamId,
				forwardIdOf(e),
				e.sku,
				e.loc,
				e.delta,
				refOf(ledgerKeys.ledger(prefix, e.sku)),
				dirty,
				e.streamId.split('-')[0],
			);
		}
		const lifted = await redis.channelConfirmForwards(keys.length, ...keys, ...args);
		report.confirmed += Number(lifted);
	};

	const deadLetter = async (
		entries: OutboxEntry[],
		reason: string,
		failure: Omit<ChannelFailure, 'reason' | 'elapsedMs'>,
	) => {
		if (entries.length === 0) return;
		const id = await writeChannelDeadLetter(
			redis,
			prefix,
			{
				reason,
				channel: owner,
				operation: 'adjust',
				items: entries.map((e) => ({ sku: e.sku, delta: e.delta, locationId: e.loc })),
				payload: { owner, entries: entries.map((e) => e.fields) },
				errorClass: failure.errorClass,
				errorMessage: failure.message,
				attempts: failure.attempts,
				firstFailureAt: new Date(failure.firstFailureAt).toISOString(),
				lastFailureAt: new Date(failure.lastFailureAt).toISOString(),
				deadAt: new Date(now()).toISOString(),
			},
			{ secrets: options.secrets },
		);
		// The pending marks stay: mirrors keep showing less until the replay is confirmed (never an oversell).
		await redis
			.pipeline()
			.xdel(outboxKey, ...entries.map((e) => e.streamId))
			.del(inFlightKey)
			.exec();
		report.deadLettered += entries.length;
		report.deadLetterIds.push(id);
	};

	const outcome = await withLease(
		redis,
		prefix,
		`${owner}:adjust`,
		options.lease ?? {},
		async (lease) => {
			const signal = run.signal ? AbortSignal.any([run.signal, lease.signal]) : lease.signal;
			const leased: ChannelRun = { ...run, signal };
			for (;;) {
				if (lease.signal.aborted || run.deadline <= now()) return;
				// A batch written down by a run that died mid-call goes first, with its own key.
				const inFlight = await redis.hgetall(inFlightKey);
				let entries: OutboxEntry[];
				let key: string;
				if (inFlight.key && inFlight.ids) {
					const ids = JSON.parse(inFlight.ids) as string[];
					const found = await Promise.all(ids.map((id) => redis.xrange(outboxKey, id, id)));
					entries = found.flatMap((r) => r.map(([id, flat]) => parseEntry(id, flat)));
					key = inFlight.key;
					if (entries.length === 0) {
						await redis.del(inFlightKey);
						continue;
					}
				} else {
					const raw = await redis.xrange(outboxKey, '-', '+', 'COUNT', maxPerCall);
					if (raw.length === 0) return;
					entries = raw.map(([id, flat]) => parseEntry(id, flat));
					key = '';
				}
				report.entries += entries.length;

				// Entries confirmed before (a replayed dead letter): remove, no call.
				const seen = await redis.zmscore(
					confirmedKey,
					...entries.map((e) => forwardIdOf(e) || '\u0000'),
				);
				const repeated = entries.filter((e, i) => forwardIdOf(e) !== '' && seen[i] !== null);
				if (repeated.length) {
					await redis.xdel(outboxKey, ...repeated.map((e) => e.streamId));
					report.alreadyConfirmed += repeated.length;
					entries = entries.filter((e) => !repeated.includes(e));
					if (entries.length === 0) {
						await redis.del(inFlightKey);
						continue;
					}
				}

				// Platform ids: the SKU's inventory item (the map) and the location's Shopify id.
				const skus = [...new Set(entries.map((e) => e.sku))];
				const mapped = await execAll(
					skus.reduce((p, s) => p.hget(mapKey, `sku:${s}`), redis.pipeline()),
				);
				const itemOf = new Map(
					skus.map((s, i) => [s, typeof mapped[i] === 'string' ? (mapped[i] as string) : '']),
				);
				const ready: Array<{ entry: OutboxEntry; itemId: string; locationId: string }> = [];
				const unmapped: OutboxEntry[] = [];
				for (const e of entries) {
					const field = itemOf.get(e.sku) ?? '';
					const locationId = shopifyLocationOf(e.loc);
					if (field.startsWith('item:') && locationId)
						ready.push({ entry: e, itemId: field.slice(5), locationId });
					else unmapped.push(e);
				}
				const at = now();
				await deadLetter(unmapped, 'unmapped', {
					errorClass: 'validation',
					message:
						'no Shopify inventory item is mapped for the SKU, or the location is not a Shopify location: run Resolve SKUs, then replay',
					attempts: 0,
					firstFailureAt: at,
					lastFailureAt: at,
				});
				if (ready.length === 0) continue;
				const sending = ready.map((r) => r.entry);
				if (!key || sending.length !== entries.length) {
					key = adjustIdempotencyKey(owner, sending);
					await redis.hset(
						inFlightKey,
						'key',
						key,
						'ids',
						JSON.stringify(sending.map((e) => e.streamId)),
						'at',
						at,
					);
				}
				const changes = coalesceChanges(ready);
				const input = {
					name: 'available',
					reason: 'correction',
					referenceDocumentUri: `gid://invsync/Forward/${owner}`,
					changes: changes.map((c) => ({
						inventoryItemId: `gid://shopify/InventoryItem/${c.itemId}`,
						locationId: `gid://shopify/Location/${c.locationId}`,
						delta: c.delta,
					})),
				};
				lease.assertHeld();
				const result = await callChannel(
					leased,
					async () => {
						lease.assertHeld();
						const { data } = await options.client.request<{
							inventoryAdjustQuantities: {
								inventoryAdjustmentGroup: {
									createdAt: string;
									changes: Array<{
										name: string;
										quantityAfterChange: number | null;
										item: { id: string } | null;
										location: { id: string } | null;
									}>;
								} | null;
								userErrors: UserError[];
							} | null;
						}>(ADJUST_QUANTITIES, { input, key });
						const payload = data.inventoryAdjustQuantities;
						const errors = payload?.userErrors ?? [];
						if (errors.length > 0) return { errors, group: null };
						if (!payload?.inventoryAdjustmentGroup)
							throw new NonRetryableError(
								'inventoryAdjustQuantities answered without an adjustment group',
							);
						return { errors, group: payload.inventoryAdjustmentGroup };
					},
					{
						paceMs: (maxWaitMs) =>
							options.client.paceMs(adjustQuantitiesCost(changes.length), maxWaitMs),
					},
				);
				report.calls += result.requests;
				if (!result.ok) {
					if (result.failure.reason === 'aborted' && lease.signal.aborted) return;
					await deadLetter(
						sending,
						result.failure.code === 'BREAKER_OPEN'
							? 'breakerOpen'
							: result.failure.reason === 'notRetryable'
								? 'notRetryable'
								: 'budgetSpent',
						result.failure,
					);
					continue;
				}
				const { errors, group } = result.value;
				if (!group) {
					// Shopify applied nothing: the changes it named are refused for good; the others go again.
					const refused = new Set<number>();
					for (const error of errors) {
						const i = userErrorIndex(error, 'changes');
						if (i === undefined) {
							refused.clear();
							changes.forEach((_, n) => refused.add(n));
							break;
						}
						refused.add(i);
					}
					const message = errors
						.map((e) => `${e.message}${e.code ? ` (${e.code})` : ''}`)
						.join('; ');
					await deadLetter(
						changes.filter((_, n) => refused.has(n)).flatMap((c) => c.entries),
						'rejected',
						{
							errorClass: 'validation',
							message: `inventoryAdjustQuantities: ${message}`,
							attempts: result.attempts,
							firstFailureAt: now(),
							lastFailureAt: now(),
						},
					);
					await redis.del(inFlightKey);
					continue;
				}
				// Shopify's numbers after the change are its levels as of the group's createdAt.
				const version = Date.parse(group.createdAt);
				const shop = options.shop;
				const levels = group.changes
					.filter(
						(c) => c.name === 'available' && c.quantityAfterChange !== null && c.item && c.location,
					)
					.map((c) => {
						const itemId = c.item!.id.slice(c.item!.id.lastIndexOf('/') + 1);
						const locationId = c.location!.id.slice(c.location!.id.lastIndexOf('/') + 1);
						const sku = ready.find((r) => r.itemId === itemId)?.entry.sku ?? null;
						return {
							kind: 'level',
							id: `shopify:${shop}:adjustment:${group.createdAt}:${itemId}:${locationId}`,
							version,
							source: {
								platform: 'shopify',
								shop,
								topic: 'inventoryAdjustQuantities',
								via: 'poll',
							},
							sku,
							refs: { inventoryItemId: itemId },
							locationId: `shopify:${shop}:${locationId}`,
							quantity: c.quantityAfterChange,
							occurredAt: group.createdAt,
							receivedAt: new Date(now()).toISOString(),
						};
					});
				if (levels.length) {
					const results: ApplyResult[] = await applyEvents(redis, prefix, levels);
					for (const r of results) {
						if (r.outcome === 'applied') report.levels.applied++;
						else report.levels.skipped++;
					}
				}
				await confirm(sending);
			}
		},
	);
	if (!outcome.acquired) report.leaseBusy = true;
	else if (outcome.lost) report.leaseLost = true;
	report.remaining = await redis.xlen(outboxKey);
	return report;
}
