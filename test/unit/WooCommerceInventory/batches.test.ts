import fc from 'fast-check';
import {
	WOO_BATCH_LIMIT,
	batchPath,
	groupByEndpoint,
	listPath,
	readBatchAnswer,
	readStockAnswer,
	type WooTarget,
} from '../../../nodes/WooCommerceInventory/stock/batches';

const product = (id: number): WooTarget => ({ kind: 'product', id: String(id) });
const variation = (id: number, parentId: number): WooTarget => ({
	kind: 'variation',
	id: String(id),
	parentId: String(parentId),
});

describe('groupByEndpoint', () => {
	it('splits products and each parent’s variations into calls of at most 100, the minimum number', () => {
		fc.assert(
			fc.property(
				fc.array(fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 4 })), { maxLength: 700 }),
				(parents) => {
					const targets = parents.map((p, i) => (p < 0 ? product(i) : variation(i, 1000 + p)));
					const calls = groupByEndpoint(targets, (t) => t);
					const perGroup = new Map<string, number>();
					for (const t of targets) {
						const k = batchPath(t);
						perGroup.set(k, (perGroup.get(k) ?? 0) + 1);
					}
					const minimum = [...perGroup.values()].reduce(
						(s, n) => s + Math.ceil(n / WOO_BATCH_LIMIT),
						0,
					);
					expect(calls).toHaveLength(minimum);
					for (const call of calls) {
						expect(call.length).toBeGreaterThan(0);
						expect(call.length).toBeLessThanOrEqual(WOO_BATCH_LIMIT);
						expect(new Set(call.map(batchPath)).size).toBe(1);
					}
					expect(calls.flat()).toHaveLength(targets.length);
				},
			),
		);
	});

	it('names the endpoints', () => {
		expect(batchPath(product(1))).toBe('/products/batch');
		expect(batchPath(variation(5, 9))).toBe('/products/9/variations/batch');
	});
});

describe('readBatchAnswer', () => {
	it('reads each item by position, checked by id', () => {
		const body = {
			update: [
				{ id: 1, stock_quantity: 3 },
				{
					id: 2,
					error: {
						code: 'woocommerce_rest_product_invalid_id',
						message: 'Invalid ID.',
						data: { status: 400 },
					},
				},
				{
					id: 3,
					error: { code: 'db_update_error', message: 'Could not update', data: { status: 500 } },
				},
				{ id: 99 },
			],
		};
		const out = readBatchAnswer(body, ['1', '2', '3', '4', '5']);
		expect(out[0]).toEqual({ ok: true });
		expect(out[1]).toMatchObject({ ok: false, retryable: false });
		expect(out[1].ok === false && out[1].message).toMatch(
			/woocommerce_rest_product_invalid_id, 400\): Invalid ID\./,
		);
		expect(out[2]).toMatchObject({ ok: false, retryable: true });
		expect(out[3]).toMatchObject({ ok: false, retryable: true }); // id 99 answered for 4
		expect(out[4]).toMatchObject({ ok: false, retryable: true }); // no answer
	});

	it('accepts exact ids as digit strings (ids above 2^53)', () => {
		expect(readBatchAnswer({ update: [{ id: '9007199254740993' }] }, ['9007199254740993'])).toEqual(
			[{ ok: true }],
		);
	});

	it('an answer that is not a batch answer applies nothing', () => {
		expect(readBatchAnswer('<html>', ['1'])).toMatchObject([{ ok: false, retryable: true }]);
	});
});

describe('read-back of what WooCommerce shows (listPath, readStockAnswer)', () => {
	it('products are read from /products, variations from their parent', () => {
		expect(listPath(product(7))).toBe('/products');
		expect(listPath(variation(8, 3))).toBe('/products/3/variations');
	});
	it('id → stock_quantity for stock-managed records only; long ids kept exactly; negative counts kept', () => {
		const body = [
			{ id: 1, manage_stock: true, stock_quantity: 4 },
			{ id: '9007199254740993', manage_stock: true, stock_quantity: -2 },
			{ id: 2, manage_stock: false, stock_quantity: null },
			{ id: 3, manage_stock: 'parent', stock_quantity: 9 },
			{ id: 4, manage_stock: true, stock_quantity: '5' },
			'junk',
		];
		expect([...readStockAnswer(body)]).toEqual([
			['1', 4],
			['9007199254740993', -2],
		]);
	});
	it('an answer that is not a list reads nothing', () => {
		expect(readStockAnswer({ code: 'rest_invalid_param' }).size).toBe(0);
	});
});
