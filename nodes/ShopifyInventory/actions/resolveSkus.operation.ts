import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { applyEvents } from '../../InventoryLedger/ledger/apply';
import { mappingEvent, type ReadEvent } from '../reading/levelEvents';
import { ITEMS_BY_ID_QUERY, MAX_IDS_PER_CALL, itemsByIdCost } from '../reading/queries';
import { callShopify, chunks, eventShop, openShopifyChannel, valueOrThrow } from './common';

/**
 * Resolve SKUs: inventory item ids → SKUs (`nodes(ids:)`, ≤ 250 ids per call), written into the Ledger's SKU
 * map as the trigger's `mapping` events (`shopify:<shop>:mapping:<itemId>`, versioned by the item's
 * updatedAt). Items without a SKU and SKUs held by two items are reported, never guessed.
 */

export const description: INodeProperties[] = [
	{
		displayName: 'Inventory Item IDs',
		name: 'inventoryItemIds',
		type: 'string',
		default: '',
		placeholder: '44000000000001, gid://shopify/InventoryItem/44000000000002',
		description:
			"IDs to resolve, separated by commas or new lines (added to the input items' inventoryItemId or refs.inventoryItemId)",
		displayOptions: { show: { operation: ['resolveSkus'] } },
	},
];

const GID = /^gid:\/\/shopify\/InventoryItem\/(\d+)$/;

/** A numeric inventory item id from a number, digits or a gid; null otherwise. */
export function inventoryItemIdOf(value: unknown): string | null {
	if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return String(value);
	if (typeof value !== 'string') return null;
	const text = value.trim();
	if (/^\d+$/.test(text)) return text.replace(/^0+(?=\d)/, '');
	return GID.exec(text)?.[1] ?? null;
}

/** The ids asked for, in first-seen order, each once; and the texts that were not ids. */
export function requestedItemIds(
	items: readonly INodeExecutionData[],
	parameter: string,
): { ids: string[]; unreadable: string[] } {
	const ids = new Set<string>();
	const unreadable: string[] = [];
	const take = (raw: unknown) => {
		if (raw === undefined || raw === null || raw === '') return;
		const id = inventoryItemIdOf(raw);
		if (id) ids.add(id);
		else unreadable.push(String(raw).slice(0, 80));
	};
	for (const part of parameter.split(/[,\n]/)) take(part.trim());
	for (const { json } of items) {
		const refs = json.refs as IDataObject | undefined;
		take(json.inventoryItemId ?? refs?.inventoryItemId);
	}
	return { ids: [...ids], unreadable };
}

interface ItemNode {
	id: string;
	sku: string | null;
	updatedAt: string;
}

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const { ids, unreadable } = requestedItemIds(
		this.getInputData(),
		String(this.getNodeParameter('inventoryItemIds', 0, '') ?? ''),
	);
	const ch = await openShopifyChannel(this);
	const shop = await eventShop(ch);
	const read = { shop, receivedAt: new Date().toISOString() };
	const rows: IDataObject[] = [];
	const events: ReadEvent[] = [];
	const eventRow: IDataObject[] = [];
	const bySku = new Map<string, string[]>();
	let calls = 0;

	for (const group of chunks(ids, MAX_IDS_PER_CALL)) {
		const answer = valueOrThrow(
			this,
			'Shopify inventory item read',
			await callShopify<{ nodes: Array<ItemNode | null> }>(
				ch,
				ITEMS_BY_ID_QUERY,
				{ ids: group.map((id) => `gid://shopify/InventoryItem/${id}`) },
				itemsByIdCost(group.length),
			),
		);
		calls++;
		answer.data.nodes.forEach((node, i) => {
			const inventoryItemId = group[i];
			if (!node || typeof node.id !== 'string') {
				rows.push({ inventoryItemId, sku: null, outcome: 'notFound' });
				return;
			}
			const sku = typeof node.sku === 'string' && node.sku.trim() ? node.sku : null;
			if (sku === null) {
				rows.push({ inventoryItemId, sku: null, outcome: 'blankSku' });
				return;
			}
			const event = mappingEvent({ id: node.id, sku, updatedAt: node.updatedAt }, read);
			if (!event) {
				rows.push({ inventoryItemId, sku, outcome: 'invalid', message: 'no updatedAt' });
				return;
			}
			bySku.set(sku, [...(bySku.get(sku) ?? []), inventoryItemId]);
			const row: IDataObject = { inventoryItemId, sku };
			rows.push(row);
			events.push(event);
			eventRow.push(row);
		});
	}

	// Two items with one SKU: neither is mapped here (the Ledger refuses a second id for a SKU anyway).
	const duplicated = new Set([...bySku].filter(([, list]) => list.length > 1).map(([sku]) => sku));
	const toApply: ReadEvent[] = [];
	const applyRow: IDataObject[] = [];
	events.forEach((event, i) => {
		if (event.sku !== null && duplicated.has(event.sku)) {
			Object.assign(eventRow[i], {
				outcome: 'duplicateSku',
				message: `inventory items ${bySku.get(event.sku)!.join(', ')} all have this SKU`,
			});
		} else {
			toApply.push(event);
			applyRow.push(eventRow[i]);
		}
	});
	if (toApply.length) {
		const results = await applyEvents(ch.redis, ch.prefix, toApply);
		results.forEach((result, i) => {
			Object.assign(applyRow[i], {
				outcome: result.outcome === 'applied' ? 'mapped' : (result.reason ?? result.outcome),
				...(result.message ? { message: result.message } : {}),
			});
		});
	}
	const count = (outcome: string) => rows.filter((r) => r.outcome === outcome).length;
	const summary: IDataObject = {
		operation: 'resolveSkus',
		channel: ch.channel,
		requested: ids.length,
		calls,
		mapped: count('mapped'),
		unchanged: count('unchanged') + count('stale'),
		notFound: count('notFound'),
		blankSku: count('blankSku'),
		duplicateSku: rows.filter((r) => r.outcome === 'duplicateSku').length,
		...(unreadable.length ? { unreadableIds: unreadable.slice(0, 20) } : {}),
	};
	return [[{ json: { summary } }, ...rows.map((json) => ({ json }))]];
}
