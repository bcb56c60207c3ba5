import {
	listedOrderId,
	ordersToReadWhole,
} from '../../../nodes/ShopifyInventory/reading/pollListing';

const order = (n: number, updatedAt: string) => ({ id: `gid://shopify/Order/${n}`, updatedAt });
const T = '2026-03-01T10:00:05Z';
const at = Date.parse(T);

describe('Poll Orders listing: which orders are read whole', () => {
	it('reads an order the Ledger does not hold, or holds at an older version', () => {
		const listed = [order(1, T), order(2, T)];
		expect(ordersToReadWhole(listed, [null, at - 1000])).toEqual(listed);
	});

	it('leaves an order the Ledger holds at the listed version or a newer one', () => {
		const listed = [order(1, T), order(2, T), order(3, T)];
		expect(ordersToReadWhole(listed, [at, at + 1000, null])).toEqual([order(3, T)]);
	});

	it('reads an order whose listed time cannot be read, where its problem is reported', () => {
		const listed = [order(1, 'not a time')];
		expect(ordersToReadWhole(listed, [at])).toEqual(listed);
	});

	it("keys the listed order by the GID's number, as the Ledger does; not an order id: null", () => {
		expect(listedOrderId(order(450789469, T))).toBe('450789469');
		expect(listedOrderId({ id: 'gid://shopify/Order/', updatedAt: T })).toBeNull();
	});
});
