import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { applyEvents } from '../../InventoryLedger/ledger/apply';
import type { InventoryEvent } from '../../shared/events';
import {
	shopifyOrderFromGraphql,
	shopifyOrderLines,
	type ShopifyContext,
} from '../../shared/events/shopify';
import { ledgerResultItems } from '../../shared/ledgerResultItems';
import { tiedOrderIds } from '../../shared/orderTies';
import { eventShop, failureError, openShopifyChannel, readOrderBack } from './common';

/**
 * Re-Read Orders (design.md "Order version ties"): the input is the Inventory Ledger's Skipped output. Its
 * Shopify order-line ties (`ledger.reread`: the same order version with another drawn quantity — updatedAt has
 * one-second resolution in webhooks) name orders changed twice in one second. Each order is read now
 * (ORDER_FOR_STOCK, the query Poll Orders and the refund re-read use), normalised by the trigger's own
 * shopifyOrderLines and applied in one applyEvents call with `reread: true`, which the Ledger applies even at
 * an equal version. Other input items are ignored. Output: one summary item, then one item per event with its
 * Ledger result, as Poll Orders.
 */

export const description: INodeProperties[] = [];

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const ids = tiedOrderIds(this.getInputData(), 'shopify');
	const summary: IDataObject = { operation: 'rereadOrders', orders: ids.length };
	if (ids.length === 0) return [[{ json: { summary: { ...summary, events: 0 } } }]];
	const ch = await openShopifyChannel(this);
	const ctx: ShopifyContext = {
		shop: await eventShop(ch),
		topic: 'orders/updated',
		via: 'poll',
		receivedAt: new Date().toISOString(),
	};
	const events: InventoryEvent[] = [];
	const problems: string[] = [];
	for (const id of ids) {
		const read = await readOrderBack(ch, id);
		// A failed read fails the run (nothing applied): the tie is not lost, it stays in the audit.
		if ('failure' in read) throw failureError(this, `Re-reading order ${id}`, read.failure);
		if ('notRead' in read) {
			problems.push(
				read.notRead === 'gone'
					? `order ${id}: gone when re-read`
					: `order ${id}: more than 100 lines or 10 refunds — not re-read`,
			);
			continue;
		}
		try {
			for (const event of shopifyOrderLines(shopifyOrderFromGraphql(read.order), ctx))
				events.push({ ...event, reread: true } as InventoryEvent);
		} catch (error) {
			problems.push(`order ${id}: ${error instanceof Error ? error.message : String(error)}`);
		}
	}
	const results = events.length ? await applyEvents(ch.redis, ch.prefix, events) : [];
	const tally = { applied: 0, skipped: 0, invalid: 0 };
	for (const result of results) tally[result.outcome]++;
	const out = ledgerResultItems(events, results, 'eventWithLedger').map((json) => ({ json }));
	return [
		[
			{
				json: {
					summary: { ...summary, channel: ch.channel, events: events.length, ...tally, problems },
				},
			},
			...out,
		],
	];
}
