import type { INodeProperties } from 'n8n-workflow';
import type { ApplyResult } from '../../InventoryLedger/ledger/results';
import { settleUnmapped } from '../../InventoryLedger/ledger/skuMap';
import { readCatalogue } from '../stock/catalogue';
import { idOf, lookupSkus, recordMappings } from '../stock/idMap';
import { WooReadError } from '../transport/restClient';
import { emit, type WooChannel } from './common';

/**
 * Resolve IDs: product and variation ids ↔ SKUs into the Ledger's map (applyEvents mapping events, the one
 * writer of that hash) and the variation → parent hash Publish writes through. Blank SKUs and SKUs held by
 * several records are reported and left unmapped — never guessed.
 */

export const description: INodeProperties[] = [
	{
		displayName: 'Scope',
		name: 'resolveScope',
		type: 'options',
		default: 'all',
		displayOptions: { show: { operation: ['resolveIds'] } },
		options: [
			{
				name: 'All Products',
				value: 'all',
				description: 'Read the whole catalogue (products and variations)',
			},
			{
				name: 'These SKUs',
				value: 'skus',
				description: 'Look up the given SKUs only',
			},
		],
	},
	{
		displayName: 'SKUs',
		name: 'skus',
		type: 'string',
		default: '',
		placeholder: 'SKU-1, SKU-2',
		displayOptions: { show: { operation: ['resolveIds'], resolveScope: ['skus'] } },
		description: 'Comma- or newline-separated SKUs, or an array from an expression',
	},
];

/** Listed per kind at most (the counts are whole). */
const LIST_LIMIT = 1000;

function skuList(raw: unknown): string[] {
	const parts = Array.isArray(raw) ? raw.map(String) : String(raw ?? '').split(/[\n,]/);
	return [...new Set(parts.map((s) => s.trim()).filter((s) => s !== ''))];
}

export async function execute(ch: WooChannel): Promise<void> {
	const scope = ch.ctx.getNodeParameter('resolveScope', 0, 'all') as string;
	let records: Array<Record<string, unknown>>;
	let calls: number;
	const notFound: string[] = [];
	if (scope === 'skus') {
		const skus = skuList(ch.ctx.getNodeParameter('skus', 0, ''));
		const lookup = await lookupSkus(ch.run, ch.client, skus);
		if (lookup.failed.length > 0)
			throw new WooReadError('Looking up SKUs', lookup.failed[0].failure);
		records = [...lookup.records.values()].flat();
		calls = lookup.calls;
		for (const sku of skus) if (!lookup.records.has(sku)) notFound.push(sku);
	} else {
		({ records, calls } = await readCatalogue(ch.run, ch.client));
	}

	// A SKU on several records is reported, and none of them is mapped.
	const bySku = new Map<string, Array<Record<string, unknown>>>();
	const blank: string[] = [];
	for (const r of records) {
		const sku = typeof r.sku === 'string' ? r.sku : '';
		if (sku.trim() === '') {
			blank.push(idOf(r.id) ?? String(r.id));
			continue;
		}
		bySku.set(sku, [...(bySku.get(sku) ?? []), r]);
	}
	const duplicates: Array<{ sku: string; ids: string[] }> = [];
	const unique: Array<Record<string, unknown>> = [];
	for (const [sku, list] of bySku) {
		if (list.length > 1) duplicates.push({ sku, ids: list.map((r) => idOf(r.id) ?? String(r.id)) });
		else unique.push(list[0]);
	}
	const results = await recordMappings(
		ch.redis,
		ch.prefix,
		ch.shop,
		unique,
		new Date((ch.run.now ?? Date.now)()).toISOString(),
	);
	let mapped = 0;
	let unchanged = 0;
	const refused: Array<{ sku: string; id: string; reason: string; message?: string }> = [];
	results.forEach((r: ApplyResult | undefined, i) => {
		const record = unique[i];
		const sku = String(record.sku);
		const id = idOf(record.id) ?? String(record.id);
		if (!r) refused.push({ sku, id, reason: 'notAMapping' });
		else if (r.outcome === 'applied') mapped++;
		else if (r.outcome === 'skipped' && r.reason === 'unchanged') unchanged++;
		else refused.push({ sku, id, reason: r.reason ?? r.outcome, message: r.message });
	});
	// All Products already resolves every id the Ledger met without a SKU (there is no separate "All Unmapped"
	// mode as Shopify's Resolve SKUs has): the ones now mapped leave the Ledger's unmapped set.
	const unmappedLeft =
		scope === 'skus'
			? undefined
			: await settleUnmapped(ch.redis, ch.prefix, 'woocommerce', ch.shop);
	emit(ch, {
		operation: 'resolveIds',
		channel: ch.channel,
		shop: ch.shop,
		scope,
		records: records.length,
		mapped,
		unchanged,
		duplicateSkus: duplicates.length,
		blankSkus: blank.length,
		refused: refused.length,
		notFound: notFound.length,
		calls,
		...(unmappedLeft === undefined ? {} : { unmappedLeft }),
		duplicates: duplicates.slice(0, LIST_LIMIT),
		blank: blank.slice(0, LIST_LIMIT),
		refusedMappings: refused.slice(0, LIST_LIMIT),
		notFoundSkus: notFound.slice(0, LIST_LIMIT),
	});
}
