/**
 * The JSONL of the Get Levels bulk operation, joined line by line (shopify.dev "Bulk operations: queries"):
 * each inventory item is its own line, each of its levels a later line carrying `__parentId` = the item's id.
 * Only what the join needs is kept — item id → SKU, a few bytes per item — never the file: a level is handed
 * on as soon as its line is read. A level whose parent has not been seen yet (Shopify only promises that
 * children come after their parent; a partial file may lose the parent) is kept until the parent comes and
 * reported as an orphan at the end.
 */

export interface BulkItem {
	readonly id: string;
	readonly sku: string | null;
	readonly updatedAt?: string;
}

export interface BulkLevel {
	readonly id?: string;
	readonly updatedAt?: string;
	readonly location?: { readonly id?: string } | null;
	readonly quantities?: ReadonlyArray<{ readonly name?: string; readonly quantity?: number }>;
}

export type JoinedRecord =
	| { readonly type: 'item'; readonly item: BulkItem }
	| { readonly type: 'level'; readonly item: BulkItem; readonly level: BulkLevel }
	/** A line that is not JSON, or not an object: counted and reported, the file goes on. */
	| { readonly type: 'bad'; readonly line: number; readonly reason: string }
	/** A level whose parent never came (at the end of the file). */
	| { readonly type: 'orphan'; readonly parentId: string; readonly level: BulkLevel };

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Joins the lines of an inventoryItems → inventoryLevels JSONL, in file order. */
export async function* joinInventoryJsonl(
	lines: AsyncIterable<string> | Iterable<string>,
): AsyncGenerator<JoinedRecord> {
	const items = new Map<string, BulkItem>();
	const waiting = new Map<string, BulkLevel[]>();
	let n = 0;
	for await (const raw of lines) {
		n++;
		const text = raw.trim();
		if (!text) continue;
		let value: unknown;
		try {
			value = JSON.parse(text);
		} catch {
			yield { type: 'bad', line: n, reason: 'not JSON' };
			continue;
		}
		if (!isRecord(value)) {
			yield { type: 'bad', line: n, reason: 'not an object' };
			continue;
		}
		const parentId = value.__parentId;
		if (typeof parentId === 'string') {
			const level = value as BulkLevel;
			const parent = items.get(parentId);
			if (parent) yield { type: 'level', item: parent, level };
			else {
				const list = waiting.get(parentId) ?? [];
				list.push(level);
				waiting.set(parentId, list);
			}
			continue;
		}
		if (typeof value.id !== 'string') {
			yield { type: 'bad', line: n, reason: 'no id' };
			continue;
		}
		const sku = typeof value.sku === 'string' && value.sku.trim() ? value.sku : null;
		const item: BulkItem = {
			id: value.id,
			sku,
			...(typeof value.updatedAt === 'string' ? { updatedAt: value.updatedAt } : {}),
		};
		items.set(item.id, item);
		yield { type: 'item', item };
		const early = waiting.get(item.id);
		if (early) {
			waiting.delete(item.id);
			for (const level of early) yield { type: 'level', item, level };
		}
	}
	for (const [parentId, levels] of waiting)
		for (const level of levels) yield { type: 'orphan', parentId, level };
}

/** The `available` quantity of a level (null when Shopify sent none: an untracked item). */
export function availableOf(level: BulkLevel): number | null {
	const q = (level.quantities ?? []).find((x) => x?.name === 'available');
	return typeof q?.quantity === 'number' ? q.quantity : null;
}
