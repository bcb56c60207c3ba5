import type Redis from 'ioredis';
import { applyEvents } from '../../InventoryLedger/ledger/apply';
import { heldAtOrAfter, heldOrderVersions } from '../../InventoryLedger/ledger/read';
import type { ApplyResult } from '../../InventoryLedger/ledger/results';
import { recordPollFinished } from '../../shared/channel/pollMarker';
import type { InventoryEvent } from '../../shared/events/types';
import { channelKeys } from '../../shared/keys';
import { callChannel, type ChannelRun } from '../../shared/channel/callPolicy';
import { WooReadError, type WooRestClient } from '../transport/restClient';
import { formatGmt, nextPage, parseGmt, windowStart } from './cursor';
import { readOrderLines } from './orderLines';

/**
 * Poll Orders (design.md "Catch-up poll"): WooCommerce never retries a webhook, so this is how a lost one is
 * recovered. Orders changed since the channel's cursor are read (`modified_after`, GMT, oldest first),
 * normalised by the trigger's own wooOrderLines (same event ids: a late webhook of the same order version is
 * then Skipped by the Ledger), applied in one applyEvents call, the poll's start recorded for mirror safety,
 * and only then the cursor advanced to the newest `date_modified_gmt` read. An order the Ledger already holds
 * at the version read (skipHeld, default) is not normalised or applied: during a sale the webhooks have brought
 * nearly every order, and applying it again changes nothing (an equal version with other lines is a tie the
 * Ledger only reports).
 */

export const DEFAULT_OVERLAP_S = 60;
export const DEFAULT_INITIAL_LOOKBACK_MIN = 60;
export const DEFAULT_MAX_PAGES = 100;
const PER_PAGE = 100;

export interface PollOptions {
	readonly shop: string;
	readonly overlapMs?: number;
	readonly initialLookbackMs?: number;
	/** Pages read per run at most (100 orders each); the rest is read by the next run. */
	readonly maxPages?: number;
	/** Leave orders the Ledger holds at the version read (default true). */
	readonly skipHeld?: boolean;
	readonly now?: () => number;
}

export interface InvalidOrder {
	orderId: string;
	reason: string;
}

export interface PollSummary {
	channel: string;
	/** The `modified_after` the poll started from, and where it came from. */
	modifiedAfter: string;
	startedFrom: 'cursor' | 'initial' | 'resume';
	orders: number;
	/** Orders the Ledger held at the version read: not applied again. */
	held: number;
	events: number;
	applied: number;
	skipped: number;
	invalid: number;
	invalidOrders: InvalidOrder[];
	pages: number;
	/** Stopped at maxPages: more orders wait for the next run. */
	more: boolean;
	cursorBefore: string | null;
	cursorAfter: string | null;
	startedAt: string;
}

export interface PollResult {
	summary: PollSummary;
	events: InventoryEvent[];
	results: ApplyResult[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Sets the cursor to `value` unless the stored one is already later (another worker polled further): the
 * texts are all 'YYYY-MM-DDTHH:MM:SS', so Redis compares them as strings, atomically.
 */
async function advanceCursor(redis: Redis, key: string, value: string): Promise<string | null> {
	await redis.eval(
		"local c = redis.call('GET', KEYS[1]) if (not c) or c < ARGV[1] then redis.call('SET', KEYS[1], ARGV[1]) end return 1",
		1,
		key,
		value,
	);
	return await redis.get(key);
}

/** One catch-up poll of `run.channel`. Throws WooReadError when a page cannot be read (after applying what was read). */
export async function pollOrders(
	redis: Redis,
	prefix: string,
	run: ChannelRun,
	client: WooRestClient,
	options: PollOptions,
): Promise<PollResult> {
	const now = options.now ?? run.now ?? Date.now;
	const startedAt = now();
	const receivedAt = new Date(startedAt).toISOString();
	const cursorKey = channelKeys.cursor(prefix, run.channel);
	const cursorBefore = await redis.get(cursorKey);
	// Where a poll stopped at Max Pages; the next one continues there, less a second.
	const resumeKey = channelKeys.pollResume(prefix, run.channel);
	const resumeAt = parseGmt(await redis.get(resumeKey));
	const start: { modifiedAfter: string; from: PollSummary['startedFrom'] } =
		resumeAt !== undefined
			? { modifiedAfter: formatGmt(resumeAt - 1000), from: 'resume' }
			: windowStart(
					cursorBefore,
					startedAt,
					options.overlapMs ?? DEFAULT_OVERLAP_S * 1000,
					options.initialLookbackMs ?? DEFAULT_INITIAL_LOOKBACK_MIN * 60_000,
				);
	const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
	const summary: PollSummary = {
		channel: run.channel,
		modifiedAfter: start.modifiedAfter,
		startedFrom: start.from,
		orders: 0,
		held: 0,
		events: 0,
		applied: 0,
		skipped: 0,
		invalid: 0,
		invalidOrders: [],
		pages: 0,
		more: false,
		cursorBefore,
		cursorAfter: cursorBefore,
		startedAt: receivedAt,
	};

	// The newest version read per order: a window moved by one second re-reads a few orders.
	const orders = new Map<string, { at: number; order: Obj }>();
	let newest: number | undefined;
	let readError: WooReadError | undefined;
	let page: { modifiedAfter: string; page: number } | null = {
		modifiedAfter: start.modifiedAfter,
		page: 1,
	};
	while (page) {
		if (summary.pages >= maxPages) {
			summary.more = true;
			break;
		}
		const current = page;
		const answer = await callChannel(run, async (context) =>
			client.request<unknown>({
				method: 'GET',
				path: '/orders',
				qs: {
					modified_after: current.modifiedAfter,
					dates_are_gmt: 'true',
					orderby: 'modified',
					order: 'asc',
					per_page: PER_PAGE,
					page: current.page,
				},
				signal: context.signal,
			}),
		);
		if (!answer.ok) {
			readError = new WooReadError('Reading orders', answer.failure);
			break;
		}
		const body = answer.value.body;
		summary.pages++;
		const list = Array.isArray(body) ? body.filter(isObj) : [];
		const times: number[] = [];
		for (const order of list) {
			const at = parseGmt(order.date_modified_gmt);
			const id = String(order.id ?? '');
			if (at !== undefined) {
				times.push(at);
				newest = newest === undefined ? at : Math.max(newest, at);
			}
			const seen = orders.get(id);
			if (!seen || (at ?? 0) >= seen.at) orders.set(id, { at: at ?? 0, order });
		}
		page = nextPage(page, times, PER_PAGE);
	}

	const ids = [...orders.keys()];
	const held =
		options.skipHeld === false
			? []
			: await heldOrderVersions(redis, prefix, 'woocommerce', options.shop, ids);
	const events: InventoryEvent[] = [];
	for (const [i, orderId] of ids.entries()) {
		const { at, order } = orders.get(orderId)!;
		if (heldAtOrAfter(held[i], at)) {
			summary.held++;
			continue;
		}
		const lines = readOrderLines(order, options.shop, receivedAt);
		if (Array.isArray(lines)) events.push(...lines);
		else {
			summary.invalid++;
			if (summary.invalidOrders.length < 100)
				summary.invalidOrders.push({ orderId, reason: lines.problem });
		}
	}
	summary.orders = orders.size;
	summary.events = events.length;
	const results = events.length ? await applyEvents(redis, prefix, events) : [];
	for (const r of results) {
		if (r.outcome === 'applied') summary.applied++;
		else if (r.outcome === 'skipped') summary.skipped++;
		else summary.invalid++;
	}
	// Mirror safety waits for a poll that started after an observation: only a poll that read everything.
	if (!readError && !summary.more) {
		await recordPollFinished(redis, prefix, run.channel, startedAt);
		await redis.del(resumeKey);
	} else if (newest !== undefined) await redis.set(resumeKey, formatGmt(newest));
	// The cursor moves only after the orders are applied: a crash before this reads them again.
	if (newest !== undefined)
		summary.cursorAfter = await advanceCursor(redis, cursorKey, formatGmt(newest));
	if (readError) {
		throw Object.assign(readError, { partial: { summary, events, results } });
	}
	return { summary, events, results };
}
