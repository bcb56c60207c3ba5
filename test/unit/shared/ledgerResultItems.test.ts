import type { ApplyResult } from '../../../nodes/InventoryLedger/ledger/results';
import type { InventoryEvent } from '../../../nodes/shared/events';
import { ledgerResultItems } from '../../../nodes/shared/ledgerResultItems';

const event = (id: string, quantity: number) =>
	({ kind: 'orderLine', id, quantity, version: 1 }) as unknown as InventoryEvent;

const events = [event('a', 2), event('b', 3)];
const results: ApplyResult[] = [
	{ index: 0, outcome: 'applied', sku: 'S1', delta: -2 },
	{ index: 1, outcome: 'skipped', reason: 'tie', reread: true },
];

describe('ledgerResultItems', () => {
	it("eventWithLedger: each item is its event's fields with the result, less its index, under ledger", () => {
		expect(ledgerResultItems(events, results, 'eventWithLedger')).toEqual([
			{
				kind: 'orderLine',
				id: 'a',
				quantity: 2,
				version: 1,
				ledger: { outcome: 'applied', sku: 'S1', delta: -2 },
			},
			{
				kind: 'orderLine',
				id: 'b',
				quantity: 3,
				version: 1,
				ledger: { outcome: 'skipped', reason: 'tie', reread: true },
			},
		]);
	});

	it("idWithResult: each item is its event's id with the result, less its index", () => {
		expect(ledgerResultItems(events, results, 'idWithResult')).toEqual([
			{ id: 'a', result: { outcome: 'applied', sku: 'S1', delta: -2 } },
			{ id: 'b', result: { outcome: 'skipped', reason: 'tie', reread: true } },
		]);
	});

	it('no results: no items', () => {
		expect(ledgerResultItems([], [], 'eventWithLedger')).toEqual([]);
	});
});
