import type { IDataObject } from 'n8n-workflow';
import Redis from 'ioredis';
import { executeLedger, type LedgerContext } from '../../nodes/InventoryLedger/actions/router';
import { closeAllRedis } from '../../nodes/shared/redis';
import { credential, guardContext, type Param } from './guardHarness';
import { L1, L2, PROFILE, WOO2, levelEvent, lineEvent } from './ledgerHarness';
import { deleteByPrefix, TEST_REDIS, uniquePrefix } from '../support';

// The node's execute() with a real (small) context on the test Redis: every operation, outputs and errors.
jest.setTimeout(60_000);

const prefix = uniquePrefix('node');
const cred = credential({ keyPrefix: prefix });
let admin: Redis;
const run = (items: IDataObject[], params: Record<string, Param>, continueOnFail = false) =>
	executeLedger(
		guardContext({ items, params, credential: cred, continueOnFail }) as unknown as LedgerContext,
	);
const json = (o: Array<Array<{ json: IDataObject }>>) =>
	o.map((out) => out.map((i) => i.json.ledger as IDataObject));

beforeAll(() => {
	admin = new Redis(TEST_REDIS);
});
afterAll(async () => {
	await deleteByPrefix(admin, prefix);
	await closeAllRedis();
	await admin.quit();
});

it('Apply before any profile fails clearly; Profile Save (JSON) then Get', async () => {
	await expect(
		run([levelEvent('N-1', L1, 1, 1) as unknown as IDataObject], { operation: 'apply' }),
	).rejects.toThrow(/No sync profile/);
	await expect(
		run([], {
			operation: 'profile',
			profileAction: 'save',
			profileMode: 'json',
			profileJson: JSON.stringify({ ...PROFILE, locations: [] }),
		}),
	).rejects.toThrow(/not valid/);
	const [saved] = await run([], {
		operation: 'profile',
		profileAction: 'save',
		profileMode: 'json',
		profileJson: JSON.stringify(PROFILE),
	});
	expect(saved[0].json.ledger).toMatchObject({
		saved: true,
		version: 1,
		dryRun: true,
		affectedChannels: ['shopify', 'woo', 'woo2'],
	});
	const [got] = await run([{}], { operation: 'profile', profileAction: 'get' });
	expect(got[0].json.ledger).toMatchObject({ version: 1, dryRun: true });
});

it('Profile Save from the form', async () => {
	const p = `${prefix}-form`;
	const out = await executeLedger(
		guardContext({
			items: [],
			credential: credential({ keyPrefix: p }),
			params: {
				operation: 'profile',
				profileAction: 'save',
				profileMode: 'form',
				dryRun: false,
				locations: { location: [{ id: 'ledger:wh', owner: 'ledger' }] },
				channels: {
					channel: [
						{
							name: 'woo',
							platform: 'woocommerce',
							shop: 'w.test',
							salesLocation: 'ledger:wh',
							shows: 'ledger:wh',
							bufferType: 'percent',
							bufferValue: 10,
							cap: -1,
						},
					],
				},
				frozen: 'A, B',
			},
		}) as unknown as LedgerContext,
	);
	expect(out[0][0].json.ledger).toMatchObject({
		saved: true,
		dryRun: false,
		profile: {
			frozen: ['A', 'B'],
			channels: [{ buffer: { type: 'percent', value: 10 }, cap: null }],
		},
	});
	await deleteByPrefix(admin, p);
});

it('Apply routes Applied / Skipped / Invalid with reasons, in input order', async () => {
	const sale = lineEvent({
		platform: 'woocommerce',
		shop: WOO2,
		orderId: '1',
		lineKey: '1',
		sku: 'N-1',
		quantity: 2,
		version: 10,
	});
	const items = [
		levelEvent('N-1', L2, 10, 1, { platform: 'manual' }),
		sale,
		sale,
		{ ...sale, quantity: 'x' },
	] as unknown as IDataObject[];
	const out = await run(items, { operation: 'apply' });
	expect(out.map((o) => o.length)).toEqual([2, 1, 1]);
	expect(json(out)[1][0]).toMatchObject({ outcome: 'skipped', reason: 'unchanged', dryRun: true });
	expect(json(out)[2][0]).toMatchObject({ outcome: 'invalid', reason: 'badQuantity' });
	expect(out[0][1].json.id).toBe(sale.id); // the event stays on the item
	expect(out[2][0].pairedItem).toEqual({ item: 3 });
});

it('Apply with Re-Read Output sends ties to a fourth output, Re-Read; without it they stay in Skipped', async () => {
	// L2 at version 5 holds 10; the same version with 12 is a tie, the same with 10 a duplicate.
	const level = (quantity: number) =>
		levelEvent('N-2', L2, quantity, 5, { platform: 'manual' }) as unknown as IDataObject;
	await run([level(10)], { operation: 'apply' });
	const split = await run([level(10), level(12)], { operation: 'apply', rereadOutput: true });
	expect(split.map((o) => o.length)).toEqual([0, 1, 0, 1]);
	expect(json(split)[1][0]).toMatchObject({ outcome: 'skipped', reason: 'unchanged' });
	expect(json(split)[3][0]).toMatchObject({ outcome: 'skipped', reason: 'tie', reread: true });
	expect(split[3][0].pairedItem).toEqual({ item: 1 });
	const together = await run([level(10), level(12)], { operation: 'apply' });
	expect(together.map((o) => o.length)).toEqual([0, 2, 0]);
});

it('Get, Availability, Audit, Set, Freeze / Unfreeze / Resync', async () => {
	const [get] = await run([{ sku: 'N-1' }], { operation: 'get', sku: (j: IDataObject) => j.sku });
	expect(get[0].json.ledger).toMatchObject({ sku: 'N-1', rev: 2, quantities: { [L2]: 8 } });
	const [avail] = await run([{ sku: 'N-1' }], {
		operation: 'availability',
		sku: 'N-1',
		channel: 'woo',
	});
	// woo shows L1 (nothing) and L2 (8), buffer 1 → 7.
	expect((avail[0].json.ledger as { places: IDataObject[] }).places[0]).toMatchObject({
		channel: 'woo',
		shown: 8,
		available: 7,
	});
	const [audit] = await run([{}], { operation: 'audit', sku: 'N-1', limit: 2 });
	expect((audit[0].json.ledger as { entries: IDataObject[] }).entries.map((e) => e.out)).toEqual([
		'unchanged',
		'applied',
	]);
	const set = await run(
		[
			{ sku: 'N-1', q: 20 },
			{ sku: 'N-1', q: 1.5 },
		],
		{
			operation: 'set',
			sku: 'N-1',
			location: L2,
			quantity: (j: IDataObject) => j.q,
			asOf: '2020-01-01T00:00:00Z',
		},
	);
	expect(set.map((o) => o.length)).toEqual([1, 0, 1]);
	// Everything recorded since 2020 is "after" the count: the sale of 2 stays.
	expect(json(set)[0][0]).toMatchObject({ outcome: 'applied', new: 18, delta: -2 });
	const [frozen] = await run([{}], { operation: 'freeze', sku: 'N-1' });
	expect(frozen[0].json.ledger).toMatchObject({ action: 'freeze', wasFrozen: false });
	const [un] = await run([{}], { operation: 'unfreeze', sku: 'N-1' });
	expect(un[0].json.ledger).toMatchObject({ action: 'unfreeze', wasFrozen: true });
	const [re] = await run([{}], { operation: 'resync', sku: 'N-1' });
	expect(re[0].json.ledger).toMatchObject({ action: 'resync', rev: 3 });
});

it('a Redis outage fails the batch clearly, or with Continue On Fail every item carries the error', async () => {
	const bad = credential({ keyPrefix: prefix, port: 1 });
	const ctx = (c: boolean) =>
		guardContext({
			items: [{}, {}],
			params: { operation: 'get', sku: 'x' },
			credential: bad,
			continueOnFail: c,
		}) as unknown as LedgerContext;
	await expect(executeLedger(ctx(false))).rejects.toThrow(/Redis at 127.0.0.1:1/);
	const out = await executeLedger(ctx(true));
	expect(out[0]).toHaveLength(2);
	expect(out[0][0].json.error).toMatch(/Redis at 127.0.0.1:1/);
});

it('an item with a blank SKU fails alone (Get, Availability, Audit, Freeze, Unfreeze, Resync), as in the Guard', async () => {
	const items = [{ sku: 'N-1' }, { sku: '  ' }, { sku: 'N-1' }];
	const sku = (j: IDataObject) => j.sku;
	for (const operation of ['get', 'availability', 'audit', 'freeze', 'unfreeze', 'resync']) {
		// Without Continue On Fail the run fails, naming the item (nothing was written: the SKUs are read first).
		const thrown = await run(items, { operation, sku }).then(
			() => undefined,
			(error: unknown) => error,
		);
		expect(thrown).toMatchObject({ message: 'SKU is empty', context: { itemIndex: 1 } });
		// With it, only that item carries the error; the others have their results, in input order.
		const [done] = await run(items, { operation, sku }, true);
		expect(done.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(done[1].json).toEqual({ error: 'SKU is empty' });
		expect(done[1].error?.message).toBe('SKU is empty');
		for (const i of [0, 2]) {
			expect(done[i].error).toBeUndefined();
			expect(done[i].json.ledger).toMatchObject({ sku: 'N-1' });
		}
	}
	const [all] = await run([{ sku: '' }], { operation: 'get', sku }, true);
	expect(all).toEqual([
		expect.objectContaining({ json: { error: 'SKU is empty' }, pairedItem: { item: 0 } }),
	]);
});
