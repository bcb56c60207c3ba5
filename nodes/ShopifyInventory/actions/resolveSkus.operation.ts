import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import type Redis from 'ioredis';
import { applyEvents } from '../../InventoryLedger/ledger/apply';
import { ledgerKeys } from '../../shared/keys';
import { execAll } from '../../shared/redisBatch';
import { mappingEvent, type ReadEvent } from '../reading/levelEvents';
import { ITEMS_BY_ID_QUERY, MAX_IDS_PER_CALL, itemsByIdCost } from '../reading/queries';
import { callShopify, chunks, eventShop, openShopifyChannel, valueOrThrow } from './common';

/**
 * Resolve SKUs: inventory item ids → SKUs (`nodes(ids:)`, ≤ 250 ids per call), written into the Ledger's SKU
 * map as the trigger's `mapping` events (`shopify:<shop>:mapping:<itemId>`, versioned by the item's
 * updatedAt). Items without a SKU and SKUs held by two items are reported, never guessed.
 *
 * Two modes: the ids given (parameter and input items), or "All Unmapped": every inventory item id the Ledger
 * met without a SKU (a level webhook or read before its item was mapped: Invalid `unmapped`), which the
 * Ledger keeps in `<prefix>:unmapped:shopify:<shop>` (shared/keys.ts). An id leaves that set once it is mapped
 * (here or meanwhile by a webhook) or Shopify no longer knows it; one still without a SKU stays for next time.
 */

/** Ids read from the unmapped set per run (40 calls of 250); the rest waits for the next run (`remaining`). */
export const UNMAPPED_PER_RUN = 10_000;

export const description: INodeProperties[] = [
	{
		displayName: 'Resolve',
		name: 'resolveMode',
		type: 'options',
		default: 'ids',
		options: [
			{
				name: 'These IDs',
				value: 'ids',
				description: 'The inventory item IDs given below and on the input items',
			},
			{
				name: 'All Unmapped',
				value: 'unmapped',
				description:
					'Every inventory item ID the Ledger received without a SKU (its Invalid "unmapped" items)',
			},
		],
		displayOptions: { show: { operation: ['resolveSkus'] } },
	},
	{
		displayName: 'Inventory Item IDs',
		name: 'inventoryItemIds',
		type: 'string',
		default: '',
		placeholder: '44000000000001, gid://shopify/InventoryItem/44000000000002',
		description:
			"IDs to resolve, separated by commas or new lines (added to the input items' inventoryItemId or refs.inventoryItemId)",
		displayOptions: { show: { operation: ['resolveSkus'], resolveMode: ['ids'] } },
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

/** The unmapped set's fields, up to `limit`: inventory item ids, and fields of another kind (left there). */
async function unmappedIds(
	redis: Redis,
	setKey: string,
	limit: number,
): Promise<{ ids: string[]; other: number }> {
	const ids = new Set<string>();
	let other = 0;
	let cursor = '0';
	do {
		const [next, fields] = await redis.sscan(setKey, cursor, 'COUNT', 1000);
		cursor = next;
		for (const field of fields) {
			const id = field.startsWith('item:') ? inventoryItemIdOf(field.slice(5)) : null;
			if (id && ids.size < limit) ids.add(id);
			else if (!id) other++;
		}
	} while (cursor !== '0' && ids.size < limit);
	return { ids: [...ids], other };
}

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const mode = String(this.getNodeParameter('resolveMode', 0, 'ids') ?? 'ids');
	const ch = await openShopifyChannel(this, 'background');
	const shop = await eventShop(ch);
	const setKey = ledgerKeys.unmapped(ch.prefix, 'shopify', shop);
	const mapKey = ledgerKeys.map(ch.prefix, 'shopify', shop);
	let ids: string[];
	let unreadable: string[] = [];
	let alreadyMapped = 0;
	let otherKinds = 0;
	if (mode === 'unmapped') {
		const found = await unmappedIds(ch.redis, setKey, UNMAPPED_PER_RUN);
		otherKinds = found.other;
		// Ids a webhook or an earlier run mapped meanwhile cost no call: they only leave the set.
		const skus = found.ids.length
			? await ch.redis.hmget(mapKey, ...found.ids.map((id) => `item:${id}`))
			: [];
		const mapped = found.ids.filter((_, i) => typeof skus[i] === 'string' && skus[i] !== '');
		if (mapped.length) await ch.redis.srem(setKey, ...mapped.map((id) => `item:${id}`));
		alreadyMapped = mapped.length;
		ids = found.ids.filter((_, i) => !(typeof skus[i] === 'string' && skus[i] !== ''));
	} else {
		({ ids, unreadable } = requestedItemIds(
			this.getInputData(),
			String(this.getNodeParameter('inventoryItemIds', 0, '') ?? ''),
		));
	}
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
	let remaining: number | undefined;
	if (mode === 'unmapped') {
		// Settled ids leave the set: mapped (or already mapped), or unknown to Shopify (a deleted item). Those
		// without a SKU, sharing a SKU or refused stay, to be tried again once fixed in Shopify.
		const settled = rows
			.filter((r) => ['mapped', 'unchanged', 'stale', 'notFound'].includes(String(r.outcome)))
			.map((r) => `item:${String(r.inventoryItemId)}`);
		const pipeline = ch.redis.pipeline();
		if (settled.length) pipeline.srem(setKey, ...settled);
		pipeline.scard(setKey);
		const replies = await execAll(pipeline);
		remaining = Number(replies[replies.length - 1]);
	}
	const count = (outcome: string) => rows.filter((r) => r.outcome === outcome).length;
	const summary: IDataObject = {
		operation: 'resolveSkus',
		channel: ch.channel,
		mode,
		requested: ids.length,
		calls,
		mapped: count('mapped'),
		unchanged: count('unchanged') + count('stale'),
		notFound: count('notFound'),
		blankSku: count('blankSku'),
		duplicateSku: rows.filter((r) => r.outcome === 'duplicateSku').length,
		...(unreadable.length ? { unreadableIds: unreadable.slice(0, 20) } : {}),
		...(mode === 'unmapped' ? { alreadyMapped, otherKinds, remaining } : {}),
	};
	return [[{ json: { summary } }, ...rows.map((json) => ({ json }))]];
}
