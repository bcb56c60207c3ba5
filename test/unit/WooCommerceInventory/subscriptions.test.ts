import { planSubscriptions } from '../../../nodes/WooCommerceInventory/subscriptions';
import { lookupChunks } from '../../../nodes/WooCommerceInventory/stock/idMap';

const URL_A = 'https://n8n.example/webhook/a';

describe('planSubscriptions', () => {
	it('finds active ones, re-activates disabled or paused ones, creates missing ones, reports duplicates', () => {
		const plan = planSubscriptions(
			[
				{ id: 1, topic: 'order.created', delivery_url: URL_A, status: 'active' },
				{ id: 2, topic: 'order.created', delivery_url: URL_A, status: 'disabled' },
				{ id: 3, topic: 'order.updated', delivery_url: URL_A, status: 'paused' },
				{ id: 4, topic: 'order.updated', delivery_url: URL_A, status: 'disabled' },
				{
					id: 5,
					topic: 'product.updated',
					delivery_url: 'https://other.example',
					status: 'active',
				},
			],
			URL_A,
			['order.created', 'order.updated', 'product.updated'],
		);
		expect(plan.found).toEqual([{ topic: 'order.created', id: '1' }]);
		expect(plan.reactivate).toEqual([{ topic: 'order.updated', id: '4', status: 'disabled' }]);
		expect(plan.create).toEqual(['product.updated']);
		expect(plan.duplicates).toEqual([
			{ topic: 'order.created', id: '2', status: 'disabled' },
			{ topic: 'order.updated', id: '3', status: 'paused' },
		]);
	});
});

describe('lookupChunks', () => {
	it('comma lists of at most 50 SKUs under the URL budget; a SKU with a comma alone', () => {
		const skus = [...Array.from({ length: 120 }, (_, i) => `SKU-${i}`), 'A,B', 'x'.repeat(1400)];
		const chunks = lookupChunks(skus);
		expect(chunks.flat().sort()).toEqual([...skus].sort());
		expect(chunks).toContainEqual(['A,B']);
		for (const c of chunks) {
			expect(c.length).toBeLessThanOrEqual(50);
			if (c.length > 1) expect(c.join(',').length).toBeLessThanOrEqual(1500 + 3 * c.length);
			if (c.length > 1) expect(c.some((s) => s.includes(','))).toBe(false);
		}
	});
});
