import type { IDataObject, INodeProperties } from 'n8n-workflow';
import { wooProductEvents } from '../../shared/events/woocommerce';
import { ShapeError } from '../../shared/events/common';
import { readCatalogue } from '../stock/catalogue';
import { idOf, parentOf, rememberParents } from '../stock/idMap';
import { emit, type WooChannel } from './common';

/**
 * Get Stock: every product and variation (paged), as the canonical items the trigger makes of product.updated
 * — a `mapping` per record and an `observation` per record whose stock WooCommerce manages
 * (wooProductEvents, via 'reconciliation': same ids, same shapes), ready for the Ledger's Apply; or, with
 * Output = Stock Items, one plain item per stock-managed record. Records with manage_stock other than true
 * are out of scope (their stock_quantity is not a count we sync).
 */

export const description: INodeProperties[] = [
	{
		displayName: 'Output',
		name: 'stockOutput',
		type: 'options',
		default: 'events',
		displayOptions: { show: { operation: ['getStock'] } },
		options: [
			{
				name: 'Canonical Events',
				value: 'events',
				description:
					'Mapping and observation items, as the trigger emits them (feed them to the Ledger Apply)',
			},
			{
				name: 'Stock Items',
				value: 'stock',
				description:
					'One item per stock-managed product or variation: SKU, IDs, stock quantity, modified time',
			},
		],
	},
];

export async function execute(ch: WooChannel): Promise<void> {
	const mode = ch.ctx.getNodeParameter('stockOutput', 0, 'events') as string;
	const { records } = await readCatalogue(ch.run, ch.client);
	await rememberParents(ch.redis, ch.prefix, ch.shop, records);
	const receivedAt = new Date((ch.run.now ?? Date.now)()).toISOString();
	for (const record of records) {
		if (mode === 'stock') {
			if (record.manage_stock !== true) continue;
			const parent = parentOf(record);
			emit(ch, {
				sku: typeof record.sku === 'string' && record.sku !== '' ? record.sku : null,
				productId: parent ?? idOf(record.id) ?? null,
				variationId: parent ? (idOf(record.id) ?? null) : null,
				stockQuantity: (record.stock_quantity as number | null) ?? null,
				stockStatus: (record.stock_status as string | undefined) ?? null,
				dateModifiedGmt: (record.date_modified_gmt as string | undefined) ?? null,
			});
			continue;
		}
		try {
			for (const event of wooProductEvents(record, {
				shop: ch.shop,
				topic: 'product.read',
				via: 'reconciliation',
				receivedAt,
			}))
				emit(ch, event as unknown as IDataObject);
		} catch (error) {
			// Kept visible: the Ledger's Apply routes it to Invalid (it is not an event).
			emit(ch, {
				invalid: {
					productId: idOf(record.id) ?? null,
					reason: error instanceof ShapeError ? error.message : 'unexpected product shape',
				},
			});
		}
	}
}
