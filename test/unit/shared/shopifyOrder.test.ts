import type { IDataObject } from 'n8n-workflow';
import { orderCutShort, readWholeShopifyOrder } from '../../../nodes/shared/shopifyOrder';
import { ORDER_FOR_STOCK, ORDER_FOR_STOCK_REFUNDS } from '../../../nodes/shared/shopifyQueries';

/** An `ask` answering `order` and recording what it was asked. */
function answering(order: unknown) {
	const asked: Array<{ query: string; variables: IDataObject }> = [];
	const ask = async (query: string, variables: IDataObject) => {
		asked.push({ query, variables });
		return { ok: true as const, order };
	};
	return { ask, asked };
}

const wholeOrder = {
	id: 'gid://shopify/Order/7',
	lineItems: { pageInfo: { hasNextPage: false }, edges: [] },
	refunds: [],
};

describe('readWholeShopifyOrder', () => {
	it('asks ORDER_FOR_STOCK by gid, for a numeric id and for a gid alike', async () => {
		const numeric = answering(wholeOrder);
		await readWholeShopifyOrder('7', numeric.ask);
		const gid = answering(wholeOrder);
		await readWholeShopifyOrder('gid://shopify/Order/7', gid.ask);
		expect(numeric.asked).toEqual([
			{ query: ORDER_FOR_STOCK, variables: { id: 'gid://shopify/Order/7' } },
		]);
		expect(gid.asked).toEqual(numeric.asked);
	});

	it('a whole order is returned as answered', async () => {
		expect(await readWholeShopifyOrder('7', answering(wholeOrder).ask)).toEqual({
			order: wholeOrder,
		});
	});

	it('an order Shopify answers null for is gone', async () => {
		expect(await readWholeShopifyOrder('7', answering(null).ask)).toEqual({ notRead: 'gone' });
	});

	it('an order with more lines than one page, or 10 refunds, is too large', async () => {
		const moreLines = { ...wholeOrder, lineItems: { pageInfo: { hasNextPage: true }, edges: [] } };
		const tenRefunds = { ...wholeOrder, refunds: Array.from({ length: 10 }, () => ({})) };
		expect(await readWholeShopifyOrder('7', answering(moreLines).ask)).toEqual({
			notRead: 'tooLarge',
		});
		expect(await readWholeShopifyOrder('7', answering(tenRefunds).ask)).toEqual({
			notRead: 'tooLarge',
		});
	});

	it("a failed ask is returned as the caller's failure", async () => {
		const failing = async () => ({ ok: false as const, failure: { message: 'HTTP 503' } });
		expect(await readWholeShopifyOrder('7', failing)).toEqual({
			failure: { message: 'HTTP 503' },
		});
	});
});

describe('orderCutShort', () => {
	const refunds = (n: number, moreLines = false) =>
		Array.from({ length: n }, () => ({
			refundLineItems: { pageInfo: { hasNextPage: moreLines } },
		}));

	it('an answer with fewer refunds than asked and every page complete is whole', () => {
		expect(orderCutShort({ ...wholeOrder, refunds: refunds(2) }, 3)).toBe(false);
	});

	it('as many refunds as asked for may hide more', () => {
		expect(orderCutShort({ ...wholeOrder, refunds: refunds(3) }, 3)).toBe(true);
	});

	it('a refund with more refund lines than its page is cut short', () => {
		expect(orderCutShort({ ...wholeOrder, refunds: [...refunds(1), ...refunds(1, true)] }, 3)).toBe(
			true,
		);
	});

	it('ORDER_FOR_STOCK asks for ORDER_FOR_STOCK_REFUNDS refunds', () => {
		expect(ORDER_FOR_STOCK).toContain(`refunds(first: ${ORDER_FOR_STOCK_REFUNDS})`);
	});
});
