import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { applyEvents } from '../../InventoryLedger/ledger/apply';
import { recordPollFinished } from '../../shared/channel/pollMarker';
import { budgetLeft } from '../../shared/channel/callPolicy';
import type { InventoryEvent } from '../../shared/events';
import {
	shopifyOrderFromGraphql,
	shopifyOrderLines,
	type ShopifyContext,
} from '../../shared/events/shopify';
import { channelKeys } from '../../shared/keys';
import { ledgerResultItems } from '../../shared/ledgerResultItems';
import { orderCutShort } from '../../shared/shopifyOrder';
import { heldOrderVersions } from '../../InventoryLedger/ledger/read';
import { listedOrderId, ordersToReadWhole, type ListedOrder } from '../reading/pollListing';
import {
	ORDERS_BY_ID_QUERY,
	ORDERS_LISTED_PER_PAGE,
	ORDERS_SINCE_QUERY,
	POLL_REFUNDS,
	ordersByIdCost,
	ordersByIdPageSize,
	ordersSinceCost,
	updatedSinceQuery,
} from '../reading/queries';
import {
	callShopify,
	eventShop,
	openShopifyChannel,
	readOrderBack,
	type ShopifyChannel,
} from './common';

/**
 * Poll Orders: the orders changed since the channel's cursor (`<prefix>:cursor:<channel>`, the newest
 * updatedAt applied), minus a small overlap, listed by updatedAt (ids and times, 250 a page) with cost pacing.
 * The listed orders the Ledger does not already hold at that version are read whole by id, go through the
 * trigger's normaliser (same ids, same drawn-units rules, via 'poll') and are applied — a webhook that arrives
 * later with the same order version is skipped by the Ledger. During a sale the webhooks have brought nearly
 * every order, so the poll lists them and reads almost none (Skip Orders Already Applied). When every page is
 * in, the poll's start is recorded (mirror safety waits for it) and the cursor moves to the newest updatedAt
 * listed; a run that stops early keeps the cursor past its last read.
 */

const show = { show: { operation: ['pollOrders'] } };

export const description: INodeProperties[] = [
	{
		displayName: 'Overlap (Seconds)',
		name: 'overlapSeconds',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 60,
		description:
			'Each poll starts this long before the cursor, for orders whose updatedAt was written late',
		displayOptions: show,
	},
	{
		displayName: 'First Poll Looks Back (Hours)',
		name: 'initialLookbackHours',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 24,
		description: 'With no cursor yet, orders updated this many hours before now are read',
		displayOptions: show,
	},
	{
		displayName: 'Skip Orders Already Applied',
		name: 'skipHeldOrders',
		type: 'boolean',
		default: true,
		description:
			'Whether orders the Ledger already holds at their listed updatedAt are left unread (applying them again changes nothing). Off: every listed order is read whole again (costly during a sale), and one held at the same second with other lines comes out as a tie (ledger.reread) for Re-Read Orders.',
		displayOptions: show,
	},
];

interface OrdersPage {
	orders: {
		pageInfo: { hasNextPage: boolean; endCursor: string | null };
		edges: Array<{ node: ListedOrder }>;
	};
}

interface OrdersById {
	nodes: Array<({ id: string } & IDataObject) | null>;
}

interface PollTally {
	/** Orders listed. */
	orders: number;
	/** Listing pages. */
	pages: number;
	/** Listed orders the Ledger held at that version: not read. */
	held: number;
	/** Listed orders read whole by id, and the calls that read them. */
	readWhole: number;
	readCalls: number;
	reread: number;
	events: number;
	applied: number;
	skipped: number;
	invalid: number;
	problems: string[];
}

/** The order's events, re-reading it whole when its page did not hold it; a problem text otherwise. */
async function eventsOf(
	ch: ShopifyChannel,
	order: { id: string } & IDataObject,
	ctx: ShopifyContext,
	tally: PollTally,
): Promise<InventoryEvent[] | string> {
	let whole: unknown = order;
	if (orderCutShort(order, POLL_REFUNDS)) {
		const read = await readOrderBack(ch, order.id);
		if ('failure' in read) return `order ${order.id}: re-read failed (${read.failure.message})`;
		tally.reread++;
		if ('notRead' in read)
			return read.notRead === 'gone'
				? `order ${order.id}: gone when re-read`
				: `order ${order.id}: more than 100 lines or 10 refunds — not applied by the poll (the webhook carries it whole)`;
		whole = read.order;
	}
	try {
		return shopifyOrderLines(shopifyOrderFromGraphql(whole), ctx);
	} catch (error) {
		return `order ${order.id}: ${error instanceof Error ? error.message : String(error)}`;
	}
}

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const overlapMs = Math.max(0, Number(this.getNodeParameter('overlapSeconds', 0, 60)) || 0) * 1000;
	const lookbackMs =
		Math.max(0, Number(this.getNodeParameter('initialLookbackHours', 0, 24)) || 0) * 3_600_000;
	// A catch-up read: during a flash sale it would otherwise drain the bucket the real-time Publish needs.
	const ch = await openShopifyChannel(this, 'background');
	const startedAt = Date.now();
	const cursorKey = channelKeys.cursor(ch.prefix, ch.channel);
	const resumeKey = channelKeys.pollResume(ch.prefix, ch.channel);
	const [storedCursor, storedResume] = await ch.redis.mget(cursorKey, resumeKey);
	const stored = Number(storedCursor);
	const cursor = Number.isFinite(stored) && stored > 0 ? stored : null;
	// After a poll that stopped early (its time budget), go on from where it stopped: the search is `>=` that
	// second, so orders of the same second are read again and the Ledger skips them. Starting from the cursor
	// minus the overlap instead would read the same window on every run while orders arrive faster than one
	// run reads that window (seen in the chaos run: about 170 orders per run against a 60 s overlap of 240).
	const resumeAt = Number(storedResume);
	const resuming = Number.isFinite(resumeAt) && resumeAt > 0;
	const since = resuming ? resumeAt : cursor === null ? startedAt - lookbackMs : cursor - overlapMs;
	const ctx: ShopifyContext = {
		shop: await eventShop(ch),
		topic: 'orders/updated',
		via: 'poll',
		receivedAt: new Date(startedAt).toISOString(),
	};

	const tally: PollTally = {
		orders: 0,
		pages: 0,
		held: 0,
		readWhole: 0,
		readCalls: 0,
		reread: 0,
		events: 0,
		applied: 0,
		skipped: 0,
		invalid: 0,
		problems: [],
	};
	const out: INodeExecutionData[] = [];
	const skipHeld = this.getNodeParameter('skipHeldOrders', 0, true) !== false;
	const first = ORDERS_LISTED_PER_PAGE;
	// Reads by id of at most half the bucket: a background caller spends only while half the bucket stays for
	// the real-time Publish (shared/pacing.ts BACKGROUND_FLOOR_SHARE), so a read of 1,000 points would wait for a
	// full bucket, which a busy Publish never leaves.
	const byIdPage = ordersByIdPageSize(500);
	// The most a read by id was charged per order in this run (Shopify refunds the rest of the 133 points asked
	// per order: about 6 for a small one). Twice that is what the next read is expected to settle at, so it
	// may go while a quarter of the bucket stays during the read (pacing.ts BACKGROUND_IN_FLIGHT_SHARE) instead
	// of waiting each time for the refill of its own few points above 90 % of the bucket.
	let chargedPerOrder: number | undefined;
	// The run's time budget also ends a poll whose calls never wait (a slow shop: Shopify answers in a few
	// hundred ms, and a page of 250 new orders is 84 reads); the next run goes on from where this one stopped.
	let stoppedByBudget = false;
	const outOfTime = () => (stoppedByBudget ||= budgetLeft(ch.run) === 0);
	const query = updatedSinceQuery(since);
	let newest = cursor ?? 0;
	let after: string | null = null;
	let complete = false;
	let failure: string | undefined;
	/** Moves the cursor to the newest listed time of `orders` (all applied or held by now). */
	const advanceTo = async (orders: readonly ListedOrder[]) => {
		let at = newest;
		for (const order of orders) {
			const t = Date.parse(order.updatedAt);
			if (Number.isFinite(t)) at = Math.max(at, t);
		}
		if (at > newest) {
			newest = at;
			await ch.redis.set(cursorKey, String(newest));
		}
	};
	/**
	 * Reads the listed orders to read whole (`toRead`, in listing order) and applies them, moving the cursor
	 * past each read's last order: a page of 250 orders nobody held is 84 reads, more than one run's time
	 * budget may allow, and the next run must go on from there. False when a read failed (`failure` says why).
	 */
	const readAndApply = async (
		listed: readonly ListedOrder[],
		toRead: readonly ListedOrder[],
	): Promise<boolean> => {
		for (let i = 0; i < toRead.length; i += byIdPage) {
			if (outOfTime()) return false;
			const orders = toRead.slice(i, i + byIdPage);
			const ids = orders.map((o) => o.id);
			const cost = ordersByIdCost(ids.length);
			const answer = await callShopify<OrdersById>(
				ch,
				ORDERS_BY_ID_QUERY,
				{ ids },
				cost,
				chargedPerOrder === undefined ? cost : 2 * chargedPerOrder * ids.length,
			);
			if (!answer.ok) {
				failure = answer.failure.message;
				return false;
			}
			tally.readCalls++;
			const charged = answer.value.cost?.actualQueryCost;
			if (charged !== undefined)
				chargedPerOrder = Math.max(chargedPerOrder ?? 0, charged / ids.length);
			const events: InventoryEvent[] = [];
			const nodes = answer.value.data.nodes ?? [];
			for (let k = 0; k < ids.length; k++) {
				const node = nodes[k];
				tally.readWhole++;
				if (!node) {
					tally.problems.push(`order ${ids[k]}: gone when read`);
					continue;
				}
				const made = await eventsOf(ch, node, ctx, tally);
				if (typeof made === 'string') tally.problems.push(made);
				else events.push(...made);
			}
			if (events.length) {
				const results = await applyEvents(ch.redis, ch.prefix, events);
				for (const result of results) tally[result.outcome]++;
				for (const json of ledgerResultItems(events, results, 'eventWithLedger'))
					out.push({ json });
				tally.events += events.length;
			}
			// Listed oldest first: every order up to this read's last one is applied or held.
			await advanceTo(listed.slice(0, listed.indexOf(orders[orders.length - 1]) + 1));
		}
		return true;
	};
	for (;;) {
		if (outOfTime()) break;
		const answer = await callShopify<OrdersPage>(
			ch,
			ORDERS_SINCE_QUERY,
			{ first, after, query },
			ordersSinceCost(first),
		);
		if (!answer.ok) {
			failure = answer.failure.message;
			break;
		}
		tally.pages++;
		const page: OrdersPage['orders'] = answer.value.data.orders;
		const listed = page.edges.map((edge) => edge.node);
		tally.orders += listed.length;
		const held = skipHeld
			? await heldOrderVersions(
					ch.redis,
					ch.prefix,
					'shopify',
					ctx.shop,
					listed.map((o) => listedOrderId(o) ?? ''),
				)
			: listed.map(() => null);
		const toRead = ordersToReadWhole(listed, held);
		tally.held += listed.length - toRead.length;
		if (!(await readAndApply(listed, toRead))) break;
		// The listing's times, not the reads': an order read whole may have changed since it was listed, and one
		// changed at that moment but not listed yet must still be at or after the cursor.
		await advanceTo(listed);
		if (!page.pageInfo.hasNextPage) {
			complete = true;
			break;
		}
		after = page.pageInfo.endCursor;
	}
	if (complete) {
		await recordPollFinished(ch.redis, ch.prefix, ch.channel, startedAt);
		await ch.redis.del(resumeKey);
	} else if (newest > 0) await ch.redis.set(resumeKey, String(newest));
	// A first poll that read everything and found no order still fixes where the next one starts: without a
	// cursor every poll would look back from its own time again, and with a short First Poll Looks Back an
	// order updated between two polls would never be read. NX: a cursor written meanwhile is newer.
	if (complete && cursor === null && newest === 0)
		await ch.redis.set(cursorKey, String(since), 'NX');
	const summary: IDataObject = {
		operation: 'pollOrders',
		channel: ch.channel,
		complete,
		since: new Date(since).toISOString(),
		startedFrom: resuming ? 'resume' : cursor === null ? 'initial' : 'cursor',
		cursor: newest ? new Date(newest).toISOString() : null,
		...(tally as unknown as IDataObject),
		...(failure ? { failure } : {}),
		...(stoppedByBudget ? { stoppedBy: 'timeBudget' } : {}),
	};
	return [[{ json: { summary } }, ...out]];
}
