import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { applyEvents } from '../../InventoryLedger/ledger/apply';
import { recordPollFinished } from '../../shared/channel/pollMarker';
import type { InventoryEvent } from '../../shared/events';
import {
	shopifyOrderFromGraphql,
	shopifyOrderLines,
	type ShopifyContext,
} from '../../shared/events/shopify';
import { channelKeys } from '../../shared/keys';
import { ledgerResultItems } from '../../shared/ledgerResultItems';
import { orderCutShort } from '../../shared/shopifyOrder';
import {
	ORDERS_SINCE_QUERY,
	POLL_REFUNDS,
	ordersPageSize,
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
 * updatedAt applied), minus a small overlap, sorted by updatedAt and paged with cost pacing. Each order goes
 * through the trigger's normaliser (same ids, same drawn-units rules, via 'poll') and every page is applied
 * with one applyEvents call — a webhook that arrives later with the same order version is skipped by the
 * Ledger. When every page is in, the poll's start is recorded (mirror safety waits for it) and the cursor
 * moves to the newest updatedAt seen; a run that stops early keeps the cursor at its last applied page.
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
];

interface OrdersPage {
	orders: {
		pageInfo: { hasNextPage: boolean; endCursor: string | null };
		edges: Array<{ node: { id: string; updatedAt: string } & IDataObject }>;
	};
}

interface PollTally {
	orders: number;
	pages: number;
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
		reread: 0,
		events: 0,
		applied: 0,
		skipped: 0,
		invalid: 0,
		problems: [],
	};
	const out: INodeExecutionData[] = [];
	const first = ordersPageSize(1_000);
	const query = updatedSinceQuery(since);
	let newest = cursor ?? 0;
	let after: string | null = null;
	let complete = false;
	let failure: string | undefined;
	for (;;) {
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
		const events: InventoryEvent[] = [];
		let pageNewest = newest;
		for (const { node } of page.edges) {
			tally.orders++;
			const made = await eventsOf(ch, node, ctx, tally);
			if (typeof made === 'string') tally.problems.push(made);
			else events.push(...made);
			const at = Date.parse(node.updatedAt);
			if (Number.isFinite(at)) pageNewest = Math.max(pageNewest, at);
		}
		if (events.length) {
			const results = await applyEvents(ch.redis, ch.prefix, events);
			for (const result of results) tally[result.outcome]++;
			for (const json of ledgerResultItems(events, results, 'eventWithLedger')) out.push({ json });
			tally.events += events.length;
		}
		// Pages come oldest first: everything up to this page's newest order is applied.
		if (pageNewest > newest) {
			newest = pageNewest;
			await ch.redis.set(cursorKey, String(newest));
		}
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
	};
	return [[{ json: { summary } }, ...out]];
}
