import type { IDataObject, INodeProperties } from 'n8n-workflow';
import { ledgerResultItems } from '../../shared/ledgerResultItems';
import { tiedOrderIds } from '../../shared/orderTies';
import { rereadWooOrders } from '../orders/reread';
import { emit, type WooChannel } from './common';

/**
 * Re-Read Orders: the input is the Inventory Ledger's Skipped output. Its WooCommerce order-line ties
 * (`ledger.reread`) name orders changed twice in one second; each is read again and applied even at an equal
 * version (orders/reread.ts). Other input items are ignored. Output: one summary item, then one item per
 * applied event with its Ledger result, as Poll Orders.
 */

export const description: INodeProperties[] = [];

export async function execute(ch: WooChannel): Promise<void> {
	const ids = tiedOrderIds(ch.ctx.getInputData(), 'woocommerce');
	const { summary, events, results } = await rereadWooOrders(
		ch.redis,
		ch.prefix,
		ch.run,
		ch.client,
		ch.shop,
		ids,
	);
	emit(ch, {
		operation: 'rereadOrders',
		summary: { channel: ch.channel, ...summary } as unknown as IDataObject,
	});
	for (const item of ledgerResultItems(events, results, 'idWithResult')) emit(ch, item);
}
