import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import type { Profile } from '../../InventoryLedger/profile';
import { loadProfile } from '../../InventoryLedger/ledger/profileStore';
import type { JsonValue } from '../deadLetters';
import { writeChannelDeadLetter } from '../dlq';
import { channelKeys, ledgerKeys } from '../keys';
import { withLease, type Lease, type LeaseSettings } from '../locks/lease';
import { execAll } from '../redisBatch';
import { SALES_RATE_FIELD, parseSalesRate, redisTimeMs } from '../../InventoryLedger/salesRate';
import type { ChannelFailure } from '../retry';
import { withChannelScripts } from './scripts';
import { callChannel, type ChannelRun } from './callPolicy';
import { pollFinishedFrom } from './pollMarker';
import {
	decidePlaces,
	needsReadBack,
	pubField,
	pubFieldNames,
	withReadBack,
	type PlaceDecision,
	type SkuLedgerView,
} from './publishPlan';

/**
 * Publish, the drain every channel node runs once per execution (design.md "Data flow", issue 17): under the
 * channel's lease, take the dirty SKUs, read their latest ledger state (never an item's value), decide each
 * channel place with the profile and mirror safety (publishPlan.ts), skip what the mirror already shows,
 * write the rest in as few calls as the platform allows (the StockWriter groups them), record what the channel
 * confirmed, and clear a dirty mark only if the SKU's rev did not move meanwhile. What a call cannot do within
 * the run's budget, or while the breaker is open, goes to the dead letters; the run goes on. Marking never
 * takes the lease, so after releasing it the drainer looks again: a SKU marked while it held the lease is not
 * stranded.
 */

/** One place write: a decision that changes what the mirror shows, and the ledger rev it was computed from. */
export interface PublishWrite extends PlaceDecision {
	rev: number;
}

export type WriteAnswer =
	| { status: 'written' }
	/** The compare-and-set was refused: the mirror shows `observed` (as of `observedVersion`, ms). */
	| { status: 'stale'; observed: number; observedVersion: number }
	/** The call applied nothing for this write (another write in it failed): send it again. */
	| { status: 'notApplied' }
	/** The platform refused this write for good (validation): dead-lettered with the message. */
	| { status: 'rejected'; message: string };

export interface SendContext {
	readonly attempt: number;
	readonly signal?: AbortSignal;
	/** Fixed before the first attempt and the same on every retry of this batch. */
	readonly idempotencyKey: string;
}

/** The platform side of Publish (Shopify inventorySetQuantities, WooCommerce products batch). */
export interface StockWriter {
	/** Writes per call at most (Shopify 250, WooCommerce 100). */
	readonly maxPerCall: number;
	/** Platform ids for the writes; those it cannot resolve come back with the reason (reported, not written). */
	prepare(
		writes: PublishWrite[],
		run: ChannelRun,
	): Promise<{ ready: PublishWrite[]; unmapped: Array<{ write: PublishWrite; reason: string }> }>;
	/** The calls to make, each ≤ maxPerCall writes (default: consecutive chunks). */
	group?(writes: PublishWrite[]): PublishWrite[][];
	/** One platform call; one answer per write, in order. Throws when the whole call failed. */
	send(batch: PublishWrite[], context: SendContext): Promise<WriteAnswer[]>;
	/** The wait before sending `batch` (Shopify's bucket). */
	paceMs?(batch: PublishWrite[], maxWaitMs?: number): number | Promise<number>;
	/** What a replay would send, without credentials (kept in the dead letter). */
	payloadOf(batch: PublishWrite[]): JsonValue;
	/**
	 * What the mirror shows now at these places, read from the platform, for a platform whose reports cannot
	 * always be ordered against our writes (publishPlan.ts needsReadBack: WooCommerce). Keyed by
	 * `readBackKey(sku, place)`; a place it could not read (unmapped, the read failed) is absent, and its
	 * decision stands as made from the records.
	 */
	readShown?(
		places: readonly PlaceDecision[],
		run: ChannelRun,
	): Promise<{ shown: Map<string, number>; requests: number }>;
}

/** The key of a place in readShown's answer. */
export function readBackKey(sku: string, place: string): string {
	return `${sku}\u0000${place}`;
}

export interface PublishOptions {
	/** The run's policy context (budget, breaker settings, clock); its signal is combined with the lease's. */
	readonly run: ChannelRun;
	readonly writer: StockWriter;
	readonly lease?: Partial<LeaseSettings>;
	/** SKUs read per pass (default 10,000: enough to fill every call of a large change). */
	readonly maxSkusPerPass?: number;
	/** Write even where the mirror is thought to show the value (resync). */
	readonly force?: boolean;
	/** Compare-and-set refusals answered per SKU place before it is dead-lettered (default 3). */
	readonly maxStaleRounds?: number;
	/** Credential values to scrub from dead letters. */
	readonly secrets?: readonly string[];
	/** Per-place detail in the report (a dry run's diff), at most this many (default 0: counts only). */
	readonly detailLimit?: number;
}

export interface PlaceDetail {
	sku: string;
	place: string;
	desired: number;
	quantity: number;
	expected: number | null;
	held: boolean;
	/** Units the buffer's sales-rate reserve lowered `desired` by (absent: none). */
	reserved?: number;
	outcome: 'written' | 'unchanged' | 'wouldWrite' | 'deadLettered' | 'unmapped' | 'stale';
	reason?: string;
}

export interface PublishReport {
	channel: string;
	dryRun: boolean;
	/** Another drainer held the lease: it looks again after releasing it, so nothing waits. */
	leaseBusy: boolean;
	/** The lease was lost mid-run: this run stopped writing. */
	leaseLost: boolean;
	passes: number;
	skus: number;
	written: number;
	unchanged: number;
	held: number;
	/**
	 * Places decided lower because of the buffer's sales-rate reserve (the SKU sells fast): written so, or already
	 * shown so. Each such SKU is decided again by the first Publish after the reserve has decayed (the reserve
	 * zset: no new event is needed).
	 */
	reserved: number;
	/** Places whose shown value was read back from the channel before deciding (readShown). */
	readBack: number;
	stale: number;
	unmapped: number;
	frozen: number;
	deadLettered: number;
	deadLetterIds: string[];
	/** Requests sent to the channel (a batch the breaker refused sends none). */
	calls: number;
	/** SKUs left dirty (marked again meanwhile, or the budget ran out). */
	remaining: number;
	details: PlaceDetail[];
}

const LAG_CAP = 10_000;
const DEFAULT_MAX_SKUS = 10_000;

export { withChannelScripts };

/** An idempotency key fixed by what the batch writes and the lease acquisition that writes it. */
export function batchIdempotencyKey(channel: string, fence: number, batch: PublishWrite[]): string {
	const hash = createHash('sha256').update(`${channel}\u0000${fence}`);
	for (const w of batch)
		hash.update(
			`\u0000${w.sku}\u0001${w.place}\u0001${w.quantity}\u0001${w.expected}\u0001${w.rev}`,
		);
	return `invsync-${hash.digest('hex').slice(0, 40)}`;
}

interface SkuWork {
	sku: string;
	rev: number;
	view: SkuLedgerView;
	/** Pub fields to set (field, value, field, value, …: texts, as the record script takes them) and
	 * observations to record (place, qty, version). */
	fields: string[];
	observations: Array<[string, number, number]>;
	/** false: leave the mark (lease lost before the SKU was done). */
	done: boolean;
	/** Its writes not yet settled (written, dead-lettered, or found unneeded); 0: its mark can be cleared. */
	outstanding: number;
	/** Its mark was cleared (or kept because it moved) by a record already sent. */
	cleared?: boolean;
	/** Some of its work went to the dead letters: its mark is cleared without a lag sample. */
	failed?: boolean;
}

function deadLetterReason(failure: ChannelFailure): string {
	if (failure.code === 'BREAKER_OPEN') return 'breakerOpen';
	if (failure.reason === 'budget' || failure.reason === 'attempts') return 'budgetSpent';
	return failure.reason;
}

/** Drains the channel's dirty SKUs once (see the file comment). Never throws for a channel failure. */
export async function drainPublish(
	redis: Redis,
	prefix: string,
	options: PublishOptions,
): Promise<PublishReport> {
	const { run } = options;
	const channel = run.channel;
	const now = run.now ?? Date.now;
	withChannelScripts(redis);
	const report: PublishReport = {
		channel,
		dryRun: false,
		leaseBusy: false,
		leaseLost: false,
		passes: 0,
		skus: 0,
		written: 0,
		unchanged: 0,
		held: 0,
		reserved: 0,
		readBack: 0,
		stale: 0,
		unmapped: 0,
		frozen: 0,
		deadLettered: 0,
		deadLetterIds: [],
		calls: 0,
		remaining: 0,
		details: [],
	};
	const detailLimit = options.detailLimit ?? 0;
	const detail = (d: PlaceDecision, outcome: PlaceDetail['outcome'], reason?: string) => {
		if (report.details.length < detailLimit) {
			const why = reason ?? reserveReason(d);
			report.details.push({
				sku: d.sku,
				place: d.place,
				desired: d.desired,
				quantity: d.quantity,
				expected: d.expected,
				held: d.held,
				...(d.reserved ? { reserved: d.reserved } : {}),
				outcome,
				...(why ? { reason: why } : {}),
			});
		}
	};
	const dirtyKey = ledgerKeys.dirty(prefix, channel);

	const loaded = await loadProfile(redis, prefix, true);
	if (!loaded)
		throw new Error('no sync profile is saved: save one with the Inventory Ledger first');
	const profile = loaded.index.profile;
	if (!profile.channels.some((c) => c.name === channel))
		throw new Error(`channel '${channel}' is not in the sync profile`);
	report.dryRun = profile.dryRun;
	if (profile.dryRun) {
		await dryRunPass(redis, prefix, profile, options, report, detail);
		return report;
	}

	// Decayed sales-rate reserves are marked dirty first (marking never holds the lease), so this Publish lifts
	// them: a SKU that stopped selling gets no event that would.
	await redis.channelReleaseReserves(channelKeys.reserve(prefix, channel), dirtyKey, now());
	for (;;) {
		let progressed = false;
		const outcome = await withLease(redis, prefix, channel, options.lease ?? {}, async (lease) => {
			const signal = run.signal ? AbortSignal.any([run.signal, lease.signal]) : lease.signal;
			const leased: ChannelRun = { ...run, signal };
			for (;;) {
				if (lease.signal.aborted || (run.deadline <= now() && report.passes > 0)) return;
				const entries = await redis.zrange(
					dirtyKey,
					0,
					(options.maxSkusPerPass ?? DEFAULT_MAX_SKUS) - 1,
					'WITHSCORES',
				);
				if (entries.length === 0) return;
				report.passes++;
				const cleared = await publishPass(redis, prefix, profile, entries, leased, lease, {
					options,
					report,
					detail,
				});
				if (cleared > 0) progressed = true;
				else return; // nothing could be settled this pass: do not spin; the next run retries
			}
		});
		if (!outcome.acquired) {
			report.leaseBusy = true;
			break;
		}
		if (outcome.lost) {
			report.leaseLost = true;
			break;
		}
		// Looked again after releasing the lease: marks made while it was held are drained now.
		if (!progressed || run.deadline <= now() || (await redis.zcard(dirtyKey)) === 0) break;
	}
	report.remaining = await redis.zcard(dirtyKey);
	return report;
}

/** A detail's reason when the sales-rate reserve lowered the place. */
function reserveReason(d: PlaceDecision): string | undefined {
	if (!d.reserved) return undefined;
	const units = d.reserved === 1 ? 'unit' : 'units';
	return `sales-rate reserve: ${d.reserved} ${units} held back (selling ${(d.salesRate ?? 0).toFixed(2)} units/s; if no more sell, it ends in ${((d.reserveEndsInMs ?? 0) / 1000).toFixed(1)} s and is lifted by the first Publish after that)`;
}

interface PassContext {
	options: PublishOptions;
	report: PublishReport;
	detail: (d: PlaceDecision, outcome: PlaceDetail['outcome'], reason?: string) => void;
}

/** SKUs per read script call (two keys each). */
const READ_PER_CALL = 500;

/** The pub hash fields Publish reads for `channel`: its places' records, not the other channels'. */
function channelPubFields(profile: Profile, channel: string): string[] {
	const places = profile.channels.find((c) => c.name === channel)?.places ?? [];
	return places.flatMap((p) => Object.values(pubFieldNames(channel, p.id)));
}

/**
 * The SKUs' ledger state and this channel's pub fields, and Redis's clock (`clock`, ms) read in the same round
 * trip: the sales rates were stamped by Redis's clock, so they are decayed by it (two hosts' clocks apart would
 * misstate the reserve).
 */
async function readViews(
	redis: Redis,
	prefix: string,
	skus: string[],
	pubFields: readonly string[],
): Promise<{ views: Array<{ view: SkuLedgerView; rev: number }>; clock: number }> {
	const pipeline = redis.pipeline();
	for (let from = 0; from < skus.length; from += READ_PER_CALL) {
		const part = skus.slice(from, from + READ_PER_CALL);
		const args: string[] = [];
		for (const sku of part) args.push(ledgerKeys.ledger(prefix, sku), ledgerKeys.pub(prefix, sku));
		args.push(...pubFields);
		pipeline.channelReadPassStates(2 * part.length, ...args);
	}
	pipeline.time();
	const all = await execAll(pipeline);
	const clock = redisTimeMs(all.pop() as [string, string]);
	const replies = (all as Array<Array<Array<string | null>>>).flat();
	const views = skus.map((sku, i) => {
		const hash = replies[2 * i] as string[];
		const quantities: Record<string, number> = {};
		const pending: Record<string, number> = {};
		let rev = 0;
		let frozen = false;
		let rate: string | undefined;
		let rateAt: string | undefined;
		for (let f = 0; f < hash.length; f += 2) {
			const field = hash[f];
			const head = field.charCodeAt(0);
			if (head === 0x71 /* q */ && field.charCodeAt(1) === 0x3a)
				quantities[field.slice(2)] = Number(hash[f + 1]);
			else if (head === 0x70 /* p */ && field.charCodeAt(1) === 0x3a)
				pending[field.slice(2)] = Number(hash[f + 1]);
			else if (field === 'rev') rev = Number(hash[f + 1]);
			else if (field === 'frozen') frozen = hash[f + 1] === '1';
			else if (field === SALES_RATE_FIELD.rate) rate = hash[f + 1];
			else if (field === SALES_RATE_FIELD.at) rateAt = hash[f + 1];
		}
		const values = replies[2 * i + 1];
		const pub: Record<string, string> = {};
		for (let f = 0; f < values.length; f++) {
			const value = values[f];
			if (value !== null) pub[pubFields[f]] = value;
		}
		const salesRate = parseSalesRate(rate, rateAt);
		const view: SkuLedgerView = { sku, quantities, pending, frozen, pub };
		if (salesRate) view.salesRate = salesRate;
		return { view, rev };
	});
	return { views, clock };
}

async function dryRunPass(
	redis: Redis,
	prefix: string,
	profile: Profile,
	options: PublishOptions,
	report: PublishReport,
	detail: PassContext['detail'],
): Promise<void> {
	const channel = options.run.channel;
	const polled = await pollFinishedFrom(redis, prefix, channel);
	const page = options.maxSkusPerPass ?? DEFAULT_MAX_SKUS;
	for (let offset = 0; ; offset += page) {
		const skus = await redis.zrange(ledgerKeys.dirty(prefix, channel), offset, offset + page - 1);
		if (skus.length === 0) break;
		report.passes++;
		const { views, clock } = await readViews(
			redis,
			prefix,
			skus,
			channelPubFields(profile, channel),
		);
		for (const { view } of views) {
			report.skus++;
			const decisions = decidePlaces(profile, channel, view, polled, options.force, clock);
			if (decisions.length === 0) report.frozen++;
			for (const d of decisions) {
				if (d.held) report.held++;
				if (d.reserved) report.reserved++;
				if (d.unchanged) report.unchanged++;
				detail(d, d.unchanged ? 'unchanged' : 'wouldWrite');
			}
		}
	}
	report.remaining = await redis.zcard(ledgerKeys.dirty(prefix, channel));
}

/** One pass over up to maxSkusPerPass dirty SKUs; returns how many marks it cleared. */
async function publishPass(
	redis: Redis,
	prefix: string,
	profile: Profile,
	entries: string[],
	run: ChannelRun,
	lease: Lease,
	ctx: PassContext,
): Promise<number> {
	const { options, report, detail } = ctx;
	const { writer } = options;
	const channel = run.channel;
	const now = run.now ?? Date.now;
	const skus: string[] = [];
	for (let i = 0; i < entries.length; i += 2) skus.push(entries[i]);
	const [{ views, clock }, polled] = await Promise.all([
		readViews(redis, prefix, skus, channelPubFields(profile, channel)),
		pollFinishedFrom(redis, prefix, channel),
	]);
	const work = new Map<string, SkuWork>();
	let writes: PublishWrite[] = [];
	// SKUs shown less than the ledger says while their mirror is held: the poll that releases the hold marks
	// them dirty again (finishPoll-3.lua), so the hold never outlives the poll.
	const held = new Map<string, number>();
	const heldUntil = (d: PlaceDecision) =>
		held.set(d.sku, Math.max(held.get(d.sku) ?? 0, d.holdVersion ?? 0));
	// SKUs shown less because of the sales-rate reserve: the reserve zset brings them back once it has decayed
	// (score = when it reaches 0, our clock: every Publish first marks those due dirty), no new event needed.
	const reserveEnds = new Map<string, number>();
	const reserveUntil = (d: PlaceDecision) => {
		if (!d.reserved) return;
		const ends = now() + (d.reserveEndsInMs ?? 0);
		reserveEnds.set(d.sku, Math.max(reserveEnds.get(d.sku) ?? 0, ends));
	};
	const decide = (view: SkuLedgerView) =>
		decidePlaces(profile, channel, view, polled, options.force, clock);
	const decided: Array<{ item: SkuWork; decisions: PlaceDecision[] }> = [];
	for (const { view, rev } of views) {
		report.skus++;
		const item: SkuWork = {
			sku: view.sku,
			rev,
			view,
			fields: [],
			observations: [],
			done: true,
			outstanding: 0,
		};
		work.set(view.sku, item);
		decided.push({ item, decisions: decide(view) });
	}
	if (writer.readShown && !options.force)
		await readBack(writer, decided, run, now, report, (item) => decide(item.view));
	for (const { item, decisions } of decided) {
		if (decisions.length === 0) report.frozen++;
		for (const d of decisions) {
			if (d.held) {
				report.held++;
				heldUntil(d);
			}
			if (d.reserved) {
				report.reserved++;
				reserveUntil(d);
			}
			if (d.hold) holdFields(item, channel, d);
			if (d.unchanged) {
				report.unchanged++;
				detail(d, 'unchanged');
			} else {
				// The decision becomes the write (no copy per SKU: a pass holds thousands).
				const write = d as PublishWrite;
				write.rev = item.rev;
				writes.push(write);
			}
		}
	}

	const deadLetter = async (
		batch: PublishWrite[],
		reason: string,
		failure: Omit<ChannelFailure, 'reason' | 'elapsedMs'>,
	) => {
		const id = await writeChannelDeadLetter(
			redis,
			prefix,
			{
				reason,
				channel,
				operation: 'publish',
				items: batch.map((w) => ({ sku: w.sku, quantity: w.quantity, locationId: w.place })),
				payload: writer.payloadOf(batch),
				errorClass: failure.errorClass,
				errorMessage: failure.message,
				attempts: failure.attempts,
				firstFailureAt: new Date(failure.firstFailureAt).toISOString(),
				lastFailureAt: new Date(failure.lastFailureAt).toISOString(),
				deadAt: new Date(now()).toISOString(),
			},
			{ secrets: options.secrets },
		);
		report.deadLettered += batch.length;
		report.deadLetterIds.push(id);
		for (const w of batch) {
			const item = work.get(w.sku)!;
			item.failed = true;
			item.outstanding--;
		}
		for (const w of batch) detail(w, 'deadLettered', reason);
	};

	if (writes.length > 0) {
		const prepared = await writer.prepare(writes, run);
		for (const { write, reason } of prepared.unmapped) {
			report.unmapped++;
			detail(write, 'unmapped', reason);
		}
		writes = prepared.ready;
		for (const w of writes) work.get(w.sku)!.outstanding++;
	}

	// What each call confirmed is recorded, with the clear of the SKUs it settled, while the next call is on
	// its way (sent once that call's request has gone out, or at the end): the record's Redis work overlaps the
	// channel's answer instead of adding to it. A run that dies loses at most the last calls' records (the next
	// Publish writes those SKUs again). Records go out in order on the one connection.
	let cleared = 0;
	let recordFailure: unknown;
	const recording: Array<Promise<void>> = [];
	let unrecorded: SkuWork[] = [];
	const settled = (i: SkuWork) => i.done && i.outstanding === 0 && !i.cleared;
	const sendRecords = () => {
		if (unrecorded.length === 0) return;
		const items = unrecorded;
		unrecorded = [];
		recording.push(
			recordWork(redis, prefix, channel, items, settled, now()).then(
				(n) => {
					cleared += n;
				},
				(error: unknown) => {
					recordFailure ??= error;
				},
			),
		);
	};

	const staleRounds = new Map<string, number>();
	const maxStale = options.maxStaleRounds ?? 3;
	while (writes.length > 0) {
		const again: PublishWrite[] = [];
		const batches = writer.group
			? writer.group(writes)
			: Array.from({ length: Math.ceil(writes.length / writer.maxPerCall) }, (_, i) =>
					writes.slice(i * writer.maxPerCall, (i + 1) * writer.maxPerCall),
				);
		for (const batch of batches) {
			if (lease.signal.aborted) {
				for (const w of batch) work.get(w.sku)!.done = false;
				continue;
			}
			lease.assertHeld();
			const idempotencyKey = batchIdempotencyKey(channel, lease.fence, batch);
			const result = await callChannel(
				run,
				async (context) => {
					lease.assertHeld();
					const answer = writer.send(batch, { ...context, idempotencyKey });
					sendRecords();
					return await answer;
				},
				{
					paceMs: writer.paceMs
						? (maxWaitMs: number) => writer.paceMs!(batch, maxWaitMs)
						: undefined,
				},
			);
			report.calls += result.requests;
			if (!result.ok) {
				if (result.failure.reason === 'aborted' && lease.signal.aborted) {
					// The lease is gone: the new holder publishes these; leave their marks.
					for (const w of batch) work.get(w.sku)!.done = false;
					continue;
				}
				await deadLetter(batch, deadLetterReason(result.failure), result.failure);
				continue;
			}
			const confirmedAt = now();
			const confirmedText = String(confirmedAt);
			const rejected: Array<{ write: PublishWrite; message: string }> = [];
			batch.forEach((w, i) => {
				const answer = result.value[i] ?? { status: 'notApplied' };
				const item = work.get(w.sku)!;
				switch (answer.status) {
					case 'written': {
						report.written++;
						item.outstanding--;
						detail(w, 'written');
						const names = pubFieldNames(channel, w.place);
						item.fields.push(
							names.published,
							String(w.quantity),
							names.publishedRev,
							String(w.rev),
							names.publishedAt,
							confirmedText,
						);
						break;
					}
					case 'notApplied':
						again.push(w);
						break;
					case 'rejected':
						rejected.push({ write: w, message: answer.message });
						break;
					case 'stale': {
						report.stale++;
						item.observations.push([w.place, answer.observed, answer.observedVersion]);
						// Decide again with what the mirror shows now (mirror safety applies to it).
						const pub = { ...item.view.pub };
						const known = pub[pubField('observedVersion', channel, w.place)];
						if (known === undefined || Number(known) <= answer.observedVersion) {
							pub[pubField('observed', channel, w.place)] = String(answer.observed);
							pub[pubField('observedVersion', channel, w.place)] = String(answer.observedVersion);
						}
						item.view = { ...item.view, pub };
						const rounds = (staleRounds.get(`${w.sku}\u0000${w.place}`) ?? 0) + 1;
						staleRounds.set(`${w.sku}\u0000${w.place}`, rounds);
						const next = decide(item.view).find((d) => d.place === w.place);
						if (next?.hold) holdFields(item, channel, next);
						if (next?.held) heldUntil(next);
						if (next) reserveUntil(next);
						if (!next || next.unchanged) {
							item.outstanding--;
							detail(w, 'stale', 'the mirror already shows it');
						} else if (rounds >= maxStale)
							rejected.push({
								write: w,
								message: `the mirror's value kept changing (${rounds} compare-and-set refusals)`,
							});
						else again.push({ ...next, rev: w.rev });
						break;
					}
				}
			});
			for (const r of rejected) {
				await deadLetter([r.write], 'rejected', {
					errorClass: 'validation',
					message: r.message,
					attempts: result.attempts,
					firstFailureAt: confirmedAt,
					lastFailureAt: confirmedAt,
				});
			}
			for (const w of batch) unrecorded.push(work.get(w.sku)!);
		}
		writes = again;
	}
	sendRecords();
	await Promise.all(recording);
	if (recordFailure !== undefined) throw recordFailure;
	// The rest (holds of unchanged places) with the clear of every SKU not cleared yet; a SKU left undone (the
	// lease was lost) keeps its mark.
	cleared += await recordWork(
		redis,
		prefix,
		channel,
		[...work.values()],
		(i) => i.done && !i.cleared,
		now(),
	);
	if (held.size > 0) {
		const args: Array<string | number> = [];
		for (const [sku, version] of held) args.push(version, sku);
		await redis.zadd(channelKeys.held(prefix, channel), ...args);
	}
	if (reserveEnds.size > 0) {
		// Per SKU the earliest time it must be looked at again (LT: an earlier time already recorded stays). Looked
		// at early, a SKU is only decided again, and a reserve not yet decayed records itself again.
		const args: Array<string | number> = [];
		for (const [sku, ends] of reserveEnds) args.push(ends, sku);
		await redis.zadd(channelKeys.reserve(prefix, channel), 'LT', ...args);
	}
	return cleared;
}

/**
 * Reads back what the channel shows for the places it cannot be sure of (needsReadBack) and decides those SKUs
 * again from that value, recorded as the mirror's report at the time the read was sent (after our last write:
 * mirror safety and the skip then work from a known value). The read is made once per pass, in as few calls as
 * the writer can (WooCommerce: 100 ids per call per endpoint); what it cannot read keeps its decision.
 */
async function readBack(
	writer: StockWriter,
	decided: Array<{ item: SkuWork; decisions: PlaceDecision[] }>,
	run: ChannelRun,
	now: () => number,
	report: PublishReport,
	decide: (item: SkuWork) => PlaceDecision[],
): Promise<void> {
	const uncertain: PlaceDecision[] = [];
	for (const { decisions } of decided)
		for (const d of decisions) if (needsReadBack(d)) uncertain.push(d);
	if (uncertain.length === 0) return;
	const at = now();
	const { shown, requests } = await writer.readShown!(uncertain, run);
	report.calls += requests;
	if (shown.size === 0) return;
	for (const entry of decided) {
		const { item } = entry;
		let read = false;
		for (const d of entry.decisions) {
			const quantity = needsReadBack(d) ? shown.get(readBackKey(d.sku, d.place)) : undefined;
			if (quantity === undefined) continue;
			read = true;
			report.readBack++;
			item.view = {
				...item.view,
				pub: withReadBack(item.view.pub, run.channel, d.place, quantity, at),
			};
			item.observations.push([d.place, quantity, at]);
		}
		if (read) entry.decisions = decide(item);
	}
}

/** Records a decision's new (or lifted: '') hold with the SKU's other pub fields. */
function holdFields(item: SkuWork, channel: string, d: PlaceDecision): void {
	const names = pubFieldNames(channel, d.place);
	item.fields.push(
		names.holdQuantity,
		String(d.hold!.quantity),
		names.holdVersion,
		String(d.hold!.version),
	);
}

/**
 * Writes the items' pending pub fields and observations (then forgets them), and removes the marks of the
 * items `clear` says are settled, where their rev did not move (lua/recordPublished.lua); returns the marks
 * cleared. An item is recorded once even if listed twice.
 */
async function recordWork(
	redis: Redis,
	prefix: string,
	channel: string,
	items: SkuWork[],
	clear: (item: SkuWork) => boolean,
	nowMs: number,
): Promise<number> {
	const relevant: Array<{ item: SkuWork; clear: boolean }> = [];
	const seen = new Set<SkuWork>();
	for (const item of items) {
		if (seen.has(item)) continue;
		seen.add(item);
		const clearIt = clear(item);
		if (clearIt) item.cleared = true;
		if (clearIt || item.fields.length > 0 || item.observations.length > 0)
			relevant.push({ item, clear: clearIt });
	}
	if (relevant.length === 0) return 0;
	const pipeline = redis.pipeline();
	const PER_CALL = 1_000;
	for (let from = 0; from < relevant.length; from += PER_CALL) {
		const part = relevant.slice(from, from + PER_CALL);
		const keys = [
			ledgerKeys.dirty(prefix, channel),
			channelKeys.dirtyAt(prefix, channel),
			channelKeys.lag(prefix, channel),
		];
		const entries = part.map(({ item: i, clear: clearIt }) => {
			keys.push(ledgerKeys.pub(prefix, i.sku));
			const entry = {
				s: i.sku,
				r: i.rev,
				c: clearIt ? (i.failed ? '2' : '1') : '0',
				// Texts, not numbers: Lua would print a large number in exponent form.
				f: i.fields,
				o: i.observations.map(([p, q, v]) => [p, String(q), String(v)]),
			};
			i.fields = [];
			i.observations = [];
			return entry;
		});
		pipeline.channelRecordPublished(
			keys.length,
			...keys,
			nowMs,
			LAG_CAP,
			channel,
			'publish',
			JSON.stringify(entries),
		);
	}
	const replies = (await execAll(pipeline)) as Array<[number, number]>;
	return replies.reduce((sum, r) => sum + Number(r[0]), 0);
}
