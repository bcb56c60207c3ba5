import {
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';
import { applyEvents } from '../../InventoryLedger/ledger/apply';
import type { ApplyResult } from '../../InventoryLedger/ledger/results';
import { loadProfile } from '../../InventoryLedger/ledger/profileStore';
import { resolveLocation } from '../../InventoryLedger/profile';
import { pageSizeFor } from '../../shared/pacing';
import { joinInventoryJsonl, type BulkItem, type BulkLevel } from '../reading/bulkJsonl';
import { DownloadError, downloadLines } from '../reading/download';
import type { GraphqlAnswer } from '../transport/graphqlClient';
import { levelEvent, mappingEvent, type ReadContext, type ReadEvent } from '../reading/levelEvents';
import {
	BULK_LEVELS_INNER_QUERY,
	BULK_OPERATION_BY_ID,
	BULK_RUN_QUERY,
	BULK_STATUS_COST,
	CURRENT_BULK_OPERATION,
	MUTATION_COST,
	TARGETED_FIXED_COST,
	TARGETED_LEVELS_QUERY,
	skuSearchQuery,
	targetedLevelsCost,
	targetedPageSize,
} from '../reading/queries';
import { budgetLeft } from '../../shared/channel/callPolicy';
import {
	callShopify,
	chunks,
	eventShop,
	openShopifyChannel,
	pause,
	valueOrThrow,
	type ShopifyChannel,
} from './common';

/**
 * Get Levels: Shopify's inventory levels as canonical `level` events (plus the item ↔ SKU `mapping` events),
 * the level's own updatedAt as version, via 'reconciliation' — applied to the Ledger (default) or output.
 * Full: one bulk operation over every inventory item, its JSONL streamed line by line. Targeted: the given SKUs
 * (parameter, input items' `sku`, and the Ledger's tie items with `reread: true`, whose answer is applied even
 * at an equal version) by cost-paced cursor paging.
 *
 * Levels at Shopify locations the profile does not know (a store the sync does not cover) are left out and
 * counted, unless Include Unknown Locations is on: they are not stock the sync manages, and the Ledger would
 * refuse each as Invalid 'unknownLocation' — on a large shop thousands of items of noise per read.
 */

const show = { show: { operation: ['getLevels'] } };

export const description: INodeProperties[] = [
	{
		displayName: 'Read',
		name: 'readMode',
		type: 'options',
		options: [
			{
				name: 'Full (Bulk Operation)',
				value: 'full',
				description: 'Every inventory item and level of the shop, by one bulk operation',
			},
			{
				name: 'Targeted (Given SKUs)',
				value: 'targeted',
				description:
					"The SKUs below and the input items' sku (the Ledger's tie items are re-read and applied even at an equal version)",
			},
		],
		default: 'full',
		displayOptions: show,
	},
	{
		displayName: 'SKUs',
		name: 'skus',
		type: 'string',
		default: '',
		placeholder: 'SKU-1, SKU-2',
		description: "SKUs to read, separated by commas or new lines (added to the input items' sku)",
		displayOptions: { show: { operation: ['getLevels'], readMode: ['targeted'] } },
	},
	{
		displayName: 'Apply to Ledger',
		name: 'applyToLedger',
		type: 'boolean',
		default: true,
		description:
			'Whether to apply the levels and mappings to the Ledger here (each item then carries its result); off: output them for you to route',
		displayOptions: show,
	},
	{
		displayName: 'Include Unknown Locations',
		name: 'includeUnknownLocations',
		type: 'boolean',
		default: false,
		description:
			"Whether to also emit levels of Shopify locations the sync profile does not know (neither a location ID nor an alias), flagged unknownLocation; off: they are left out and only counted in the summary (the Ledger would refuse them as Invalid 'unknownLocation')",
		displayOptions: show,
	},
	{
		displayName: 'Levels per Item',
		name: 'levelsPerItem',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 250, numberPrecision: 0 },
		default: 10,
		description:
			'Targeted reads ask for this many locations per item (more locations make each page smaller)',
		displayOptions: { show: { operation: ['getLevels'], readMode: ['targeted'] } },
	},
];

/** Events applied per applyEvents call while the file streams. */
const APPLY_CHUNK = 500;
/** SKUs per search query (a search string has a length limit; one query is paged). */
const SKUS_PER_SEARCH = 50;
/** Problems listed in the summary (the rest are counted). */
const PROBLEM_LIMIT = 20;
/** Blank and duplicate SKUs listed in the summary (the first sync's report; the rest are counted). */
const SKU_LIST_LIMIT = 1000;

interface Tally {
	items: number;
	levels: number;
	mappings: number;
	applied: number;
	skipped: number;
	invalid: number;
	problems: string[];
	problemCount: number;
	/** Inventory items without a SKU (never mapped), and their ids. */
	blankSkus: number;
	blankSkuItems: string[];
	/** Mappings the Ledger refused because another inventory item already holds the SKU. */
	duplicateSkus: number;
	duplicateSkuItems: Array<{ sku: string; inventoryItemId: string }>;
	/** Levels at locations the profile does not know (left out unless included), and those locations. */
	unknownLocationLevels: number;
	unknownLocations: string[];
}

/**
 * Whether the profile knows a level's location (by id or alias, as the Ledger resolves it); `include`: emit
 * the others too, flagged. No `knows`: no profile to judge by, nothing is left out.
 */
export interface LocationFilter {
	readonly knows?: (locationId: string) => boolean;
	readonly include: boolean;
}

/** Collects events, applies them in chunks (or keeps them), and builds the output items. */
class Sink {
	readonly out: INodeExecutionData[] = [];
	readonly tally: Tally = {
		items: 0,
		levels: 0,
		mappings: 0,
		applied: 0,
		skipped: 0,
		invalid: 0,
		problems: [],
		problemCount: 0,
		blankSkus: 0,
		blankSkuItems: [],
		duplicateSkus: 0,
		duplicateSkuItems: [],
		unknownLocationLevels: 0,
		unknownLocations: [],
	};
	private pending: ReadEvent[] = [];

	constructor(
		private readonly ch: ShopifyChannel,
		private readonly apply: boolean,
		private readonly locations: LocationFilter = { include: true },
	) {}

	problem(text: string): void {
		this.tally.problemCount++;
		if (this.tally.problems.length < PROBLEM_LIMIT) this.tally.problems.push(text);
	}

	async add(event: ReadEvent): Promise<void> {
		let unknown = false;
		if (event.kind === 'level' && this.locations.knows) {
			const locationId = String(event.locationId ?? '');
			unknown = !this.locations.knows(locationId);
			if (unknown) {
				this.tally.unknownLocationLevels++;
				if (
					this.tally.unknownLocations.length < PROBLEM_LIMIT &&
					!this.tally.unknownLocations.includes(locationId)
				)
					this.tally.unknownLocations.push(locationId);
				if (!this.locations.include) return;
			}
		}
		if (event.kind === 'level') this.tally.levels++;
		else this.tally.mappings++;
		if (!this.apply) {
			const json = event as unknown as IDataObject;
			this.out.push({ json: unknown ? { ...json, unknownLocation: true } : json });
			return;
		}
		this.pending.push(event);
		if (this.pending.length >= APPLY_CHUNK) await this.flush();
	}

	async flush(): Promise<void> {
		if (!this.pending.length) return;
		const events = this.pending;
		this.pending = [];
		const results: ApplyResult[] = await applyEvents(this.ch.redis, this.ch.prefix, events);
		results.forEach((result, i) => {
			this.tally[result.outcome]++;
			if (result.reason === 'duplicateSku' && events[i].kind === 'mapping') {
				this.tally.duplicateSkus++;
				if (this.tally.duplicateSkuItems.length < SKU_LIST_LIMIT)
					this.tally.duplicateSkuItems.push({
						sku: String(events[i].sku),
						inventoryItemId: String(events[i].refs.inventoryItemId ?? ''),
					});
			}
			const { index: _index, ...rest } = result;
			void _index;
			this.out.push({
				json: { ...(events[i] as unknown as IDataObject), ledger: rest as IDataObject },
			});
		});
	}
}

async function emit(
	sink: Sink,
	read: ReadContext,
	item: BulkItem,
	level: BulkLevel | undefined,
): Promise<void> {
	if (!level) {
		sink.tally.items++;
		if (item.sku === null) {
			sink.problem(`inventory item ${item.id} has no SKU`);
			sink.tally.blankSkus++;
			if (sink.tally.blankSkuItems.length < SKU_LIST_LIMIT)
				sink.tally.blankSkuItems.push(item.id.replace(/^gid:\/\/shopify\/InventoryItem\//, ''));
		}
		const mapping = mappingEvent(item, read);
		if (mapping && item.sku !== null) await sink.add(mapping);
		return;
	}
	if (item.sku === null) return;
	const made = levelEvent(item, level, read);
	if ('event' in made) await sink.add(made.event);
	else sink.problem(`level ${level.id ?? '?'} of ${item.sku}: ${made.problem}`);
}

// ---------------------------------------------------------------------------------------------------- full

interface BulkOperation {
	id: string;
	status: string;
	errorCode?: string | null;
	objectCount?: string | number | null;
	url?: string | null;
	partialDataUrl?: string | null;
	query?: string;
}

const squash = (text: string) => text.replace(/\s+/g, '');

/** Starts the bulk read, or picks up ours if a previous run left it running. */
async function startBulk(ch: ShopifyChannel): Promise<BulkOperation> {
	const ctx = ch.ctx;
	const started = valueOrThrow(
		ctx,
		'Shopify bulk operation',
		await callShopify<{
			bulkOperationRunQuery: {
				bulkOperation: BulkOperation | null;
				userErrors: Array<{ message: string; code?: string | null }>;
			};
		}>(ch, BULK_RUN_QUERY, { query: BULK_LEVELS_INNER_QUERY }, MUTATION_COST),
	).data.bulkOperationRunQuery;
	if (started.bulkOperation && !started.userErrors.length) return started.bulkOperation;
	const inProgress = started.userErrors.some(
		(e) => e.code === 'OPERATION_IN_PROGRESS' || e.code === 'LIMIT_REACHED',
	);
	if (inProgress) {
		const current = valueOrThrow(
			ctx,
			'Shopify bulk operation',
			await callShopify<{ currentBulkOperation: BulkOperation | null }>(
				ch,
				CURRENT_BULK_OPERATION,
				{},
				BULK_STATUS_COST,
			),
		).data.currentBulkOperation;
		if (
			current &&
			['CREATED', 'RUNNING'].includes(current.status) &&
			squash(current.query ?? '') === squash(BULK_LEVELS_INNER_QUERY)
		)
			return current;
		throw new NodeOperationError(
			ctx.getNode(),
			`Another bulk query operation is running in this shop${current ? ` (${current.id})` : ''}`,
			{
				description:
					'Shopify runs one bulk query per app and shop at a time: run Get Levels again when it has finished',
			},
		);
	}
	throw new NodeOperationError(
		ctx.getNode(),
		`Shopify refused the bulk operation: ${started.userErrors.map((e) => e.message).join('; ') || 'no operation returned'}`,
	);
}

/** Polls the operation until it is finished, with growing pauses, never past the run's deadline. */
async function awaitBulk(ch: ShopifyChannel, started: BulkOperation): Promise<BulkOperation> {
	let op = started;
	for (let n = 0; ; n++) {
		if (op.status === 'COMPLETED') return op;
		if (!['CREATED', 'RUNNING'].includes(op.status))
			throw new NodeOperationError(
				ch.ctx.getNode(),
				`The bulk operation ${op.id} ended ${op.status}${op.errorCode ? ` (${op.errorCode})` : ''}`,
				{
					description:
						"Run Get Levels again; a TIMEOUT means the shop is too large for one read within Shopify's limit",
				},
			);
		const delay = Math.min(5_000, Math.round(250 * 1.5 ** n));
		if (budgetLeft(ch.run) < delay + 1_000)
			throw new NodeOperationError(
				ch.ctx.getNode(),
				`The bulk operation ${op.id} is still ${op.status} at the end of the time budget`,
				{
					description:
						'Run Get Levels again (it picks up the running operation) or raise Time Budget (s)',
				},
			);
		if (!(await pause(ch.run, delay)))
			throw new NodeOperationError(ch.ctx.getNode(), 'Get Levels was cancelled');
		const node = valueOrThrow(
			ch.ctx,
			'Shopify bulk operation status',
			await callShopify<{ node: BulkOperation | null }>(
				ch,
				BULK_OPERATION_BY_ID,
				{ id: op.id },
				BULK_STATUS_COST,
			),
		).data.node;
		if (!node)
			throw new NodeOperationError(ch.ctx.getNode(), `The bulk operation ${op.id} is gone`);
		op = node;
	}
}

async function fullRead(ch: ShopifyChannel, sink: Sink, read: ReadContext): Promise<IDataObject> {
	const op = await awaitBulk(ch, await startBulk(ch));
	if (!op.url) return { bulkOperationId: op.id, objectCount: Number(op.objectCount ?? 0) };
	let orphans = 0;
	let bad = 0;
	try {
		for await (const record of joinInventoryJsonl(
			downloadLines(op.url, { signal: ch.run.signal }),
		)) {
			if (record.type === 'item') await emit(sink, read, record.item, undefined);
			else if (record.type === 'level') await emit(sink, read, record.item, record.level);
			else if (record.type === 'orphan') orphans++;
			else bad++;
		}
	} catch (error) {
		if (error instanceof DownloadError)
			throw new NodeOperationError(ch.ctx.getNode(), `Shopify bulk result: ${error.message}`);
		// Applying failed (Redis, the profile): said as it is.
		throw new NodeOperationError(ch.ctx.getNode(), error as Error);
	}
	if (orphans) sink.problem(`${orphans} level line(s) without their inventory item line`);
	if (bad) sink.problem(`${bad} line(s) of the result file could not be read`);
	return { bulkOperationId: op.id, objectCount: Number(op.objectCount ?? 0) };
}

// ------------------------------------------------------------------------------------------------ targeted

interface TargetedPage {
	inventoryItems: {
		pageInfo: { hasNextPage: boolean; endCursor: string | null };
		edges: Array<{
			node: BulkItem & {
				inventoryLevels: {
					pageInfo?: { hasNextPage?: boolean };
					edges: Array<{ node: BulkLevel }>;
				};
			};
		}>;
	};
}

/** What a targeted read is asked for: SKU → whether it answers a tie. */
export function requestedSkus(
	items: readonly INodeExecutionData[],
	parameter: string,
): Map<string, boolean> {
	const wanted = new Map<string, boolean>();
	for (const sku of parameter.split(/[,\n]/)) if (sku.trim()) wanted.set(sku.trim(), false);
	for (const { json } of items) {
		const nested = Object.values(json).find(
			(v): v is IDataObject =>
				typeof v === 'object' &&
				v !== null &&
				!Array.isArray(v) &&
				(v as IDataObject).reread === true,
		);
		const reread = json.reread === true || nested !== undefined;
		const raw = typeof json.sku === 'string' && json.sku.trim() ? json.sku : nested?.sku;
		if (typeof raw !== 'string' || !raw.trim()) continue;
		const sku = raw.trim();
		wanted.set(sku, (wanted.get(sku) ?? false) || reread);
	}
	return wanted;
}

async function targetedRead(
	ch: ShopifyChannel,
	sink: Sink,
	read: ReadContext,
	wanted: Map<string, boolean>,
	levelsPerItem: number,
): Promise<IDataObject> {
	const found = new Set<string>();
	let calls = 0;
	let truncated = 0;
	let first = targetedPageSize(levelsPerItem, 1_000);
	for (const group of chunks([...wanted.keys()], SKUS_PER_SEARCH)) {
		const asked = new Set(group);
		const query = skuSearchQuery(group);
		let after: string | null = null;
		for (;;) {
			const answer: GraphqlAnswer<TargetedPage> = valueOrThrow(
				ch.ctx,
				'Shopify inventory read',
				await callShopify<TargetedPage>(
					ch,
					TARGETED_LEVELS_QUERY,
					{ first, after, query, levels: levelsPerItem },
					targetedLevelsCost(first, levelsPerItem),
				),
			);
			calls++;
			const page: TargetedPage['inventoryItems'] = answer.data.inventoryItems;
			for (const { node } of page.edges) {
				// Shopify's search may match more than the exact SKU (prefixes, tokens): keep the asked ones.
				if (node.sku === null || !asked.has(node.sku)) continue;
				found.add(node.sku);
				const itemRead = { ...read, reread: wanted.get(node.sku) === true };
				await emit(sink, itemRead, node, undefined);
				for (const { node: level } of node.inventoryLevels.edges)
					await emit(sink, itemRead, node, level);
				if (node.inventoryLevels.pageInfo?.hasNextPage) {
					truncated++;
					sink.problem(
						`${node.sku}: more than ${levelsPerItem} locations; raise Levels per Item to read them all`,
					);
				}
			}
			const requested = answer.cost?.requestedQueryCost;
			if (requested !== undefined)
				// Shopify's own figure sizes the next page; our estimate (a little high) must still fit.
				first = Math.min(
					pageSizeFor(requested, first, 1_000, { fixedCost: TARGETED_FIXED_COST }),
					targetedPageSize(levelsPerItem, 1_000),
				);
			if (!page.pageInfo.hasNextPage) break;
			after = page.pageInfo.endCursor;
		}
	}
	const missing = [...wanted.keys()].filter((sku) => !found.has(sku));
	for (const sku of missing) sink.problem(`SKU ${sku}: no inventory item in Shopify`);
	return { calls, requested: wanted.size, found: found.size, missing: missing.length, truncated };
}

// --------------------------------------------------------------------------------------------- execute

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const mode = this.getNodeParameter('readMode', 0, 'full') as 'full' | 'targeted';
	const apply = this.getNodeParameter('applyToLedger', 0, true) as boolean;
	const wanted =
		mode === 'targeted'
			? requestedSkus(this.getInputData(), String(this.getNodeParameter('skus', 0, '') ?? ''))
			: new Map<string, boolean>();
	if (mode === 'targeted' && wanted.size === 0) return [[]];
	const levelsPerItem = Math.max(
		1,
		Math.min(250, Math.round(Number(this.getNodeParameter('levelsPerItem', 0, 10)) || 10)),
	);

	// A full read is the nightly's and the first sync's: it yields the bucket to stock writes. A targeted one is
	// the real-time template's re-read of a tie, which decides the stock Publish writes next.
	const ch = await openShopifyChannel(this, mode === 'full' ? 'background' : 'foreground');
	const read: ReadContext = { shop: await eventShop(ch), receivedAt: new Date().toISOString() };
	const profile = await loadProfile(ch.redis, ch.prefix);
	const sink = new Sink(ch, apply, {
		knows: profile
			? (locationId) => resolveLocation(profile.index, locationId) !== undefined
			: undefined,
		include: this.getNodeParameter('includeUnknownLocations', 0, false) as boolean,
	});
	const detail =
		mode === 'full'
			? await fullRead(ch, sink, read)
			: await targetedRead(ch, sink, read, wanted, levelsPerItem);
	await sink.flush();
	const summary: IDataObject = {
		operation: 'getLevels',
		channel: ch.channel,
		mode,
		applied: apply,
		...detail,
		...(sink.tally as unknown as IDataObject),
	};
	if (!apply) delete summary.skipped;
	return [[{ json: { summary } }, ...sink.out]];
}
