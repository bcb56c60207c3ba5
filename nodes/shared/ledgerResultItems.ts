import type { IDataObject } from 'n8n-workflow';
import type { ApplyResult } from '../InventoryLedger/ledger/results';
import type { InventoryEvent } from './events';

/**
 * How an output item carries its event: the Shopify node's items are the whole event with its result under
 * `ledger`; the WooCommerce node's are the event's `id` with its `result`. Each node keeps the shape its users'
 * workflows already read.
 */
export type ResultItemShape = 'eventWithLedger' | 'idWithResult';

/**
 * The output items of Poll Orders and Re-Read Orders (Shopify and WooCommerce): one per event applied by one
 * applyEvents call, in its order. A result's `index` (the event's position in that call) is dropped: the item
 * names its event.
 */
export function ledgerResultItems(
	events: readonly InventoryEvent[],
	results: readonly ApplyResult[],
	shape: ResultItemShape,
): IDataObject[] {
	return results.map((result, i) => {
		const { index: _index, ...ledger } = result;
		void _index;
		return shape === 'eventWithLedger'
			? { ...(events[i] as unknown as IDataObject), ledger: ledger as IDataObject }
			: { id: events[i].id, result: ledger as IDataObject };
	});
}
