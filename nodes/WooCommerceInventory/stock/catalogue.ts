import type { ChannelRun } from '../../shared/channel/callPolicy';
import { readChannel, totalPagesOf, type WooRestClient } from '../transport/restClient';
import { idOf, parentOf } from './idMap';

/**
 * The whole catalogue, read page by page (`per_page=100`, `X-WP-TotalPages`, by id ascending so a page is
 * stable while products are edited), with every variation of every variable product
 * (`/products/<id>/variations`). A failed page throws WooReadError: a partial catalogue would look like
 * missing products.
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const PER_PAGE = 100;

export interface Catalogue {
	/** Products, then the variations of each variable product after it. */
	records: Obj[];
	calls: number;
}

async function readPaged(
	run: ChannelRun,
	client: WooRestClient,
	path: string,
	what: string,
	into: Obj[],
): Promise<number> {
	let calls = 0;
	for (let page = 1; ; page++) {
		calls++;
		const answer = await readChannel<unknown>(run, client, what, {
			method: 'GET',
			path,
			qs: { per_page: PER_PAGE, page, orderby: 'id', order: 'asc' },
		});
		const list = Array.isArray(answer.body) ? answer.body.filter(isObj) : [];
		into.push(...list);
		const pages = totalPagesOf(answer.headers);
		if (pages === undefined ? list.length < PER_PAGE : page >= pages) break;
	}
	return calls;
}

export async function readCatalogue(run: ChannelRun, client: WooRestClient): Promise<Catalogue> {
	const products: Obj[] = [];
	let calls = await readPaged(run, client, '/products', 'Reading products', products);
	const records: Obj[] = [];
	for (const product of products) {
		records.push(product);
		const id = idOf(product.id);
		if (product.type !== 'variable' || !id) continue;
		const variations: Obj[] = [];
		calls += await readPaged(
			run,
			client,
			`/products/${id}/variations`,
			`Reading the variations of product ${id}`,
			variations,
		);
		// The variations endpoint names the parent in parent_id on current versions; older ones leave it out.
		records.push(...variations.map((v) => (parentOf(v) ? v : { ...v, parent_id: id })));
	}
	return { records, calls };
}
