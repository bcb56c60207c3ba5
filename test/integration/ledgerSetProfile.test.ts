import Redis from 'ioredis';
import { ledgerKeys } from '../../nodes/shared/keys';
import {
	applyEvents,
	auditOf,
	loadProfile,
	saveProfile,
	setCounts,
} from '../../nodes/InventoryLedger/ledger';
import { L1, L2, PROFILE, WOO2, levelEvent, lineEvent } from './ledgerHarness';
import { deleteByPrefix, sleep, TEST_REDIS, uniquePrefix } from '../support';

// As-of counts (Set) and the stored profile: versions, validation, dirty re-marking after a change.
jest.setTimeout(60_000);

const prefix = uniquePrefix('set');
let redis: Redis;

beforeAll(async () => {
	redis = new Redis(TEST_REDIS);
	await saveProfile(redis, prefix, PROFILE);
});
afterAll(async () => {
	await deleteByPrefix(redis, prefix);
	await redis.quit();
});

const sale = (sku: string, orderId: string, q: number, version: number) =>
	lineEvent({
		platform: 'woocommerce',
		shop: WOO2,
		orderId,
		lineKey: '1',
		sku,
		quantity: q,
		version,
	});
const serverMs = async () => {
	const [s, us] = await redis.time();
	return Number(s) * 1000 + Math.floor(Number(us) / 1000);
};
const count = (sku: string, quantity: number, asOf: number, location = L2) => ({
	index: 0,
	sku,
	location,
	quantity,
	asOf,
	id: `count:${sku}`,
	source: 'manual:erp:count:manual',
});

describe('Set: as-of counts', () => {
	it('a count taken before a sale and applied after it keeps the sale', async () => {
		const sku = 'ASOF-1';
		await applyEvents(redis, prefix, [levelEvent(sku, L2, 100, 1, { platform: 'manual' })]);
		await applyEvents(redis, prefix, [sale(sku, 'a', 5, 10)]); // before the count: the count includes it
		await sleep(5);
		const countedAt = await serverMs();
		await sleep(5);
		await applyEvents(redis, prefix, [sale(sku, 'b', 3, 20), sale(sku, 'c', 2, 30)]); // after the count
		await applyEvents(redis, prefix, [sale(sku, 'b', 1, 40)]); // an edit after the count: −1 net for b
		const [r] = await setCounts(redis, prefix, [count(sku, 90, countedAt)]);
		// Held: 100 − 5 − 3 − 2 + 2 = 92. New: 90 counted, minus what was sold after the count (b: 1 net, c: 2).
		expect(r).toMatchObject({
			outcome: 'applied',
			previous: 92,
			new: 87,
			delta: -3,
			effect: 'count',
		});
		expect(Number(await redis.hget(ledgerKeys.ledger(prefix, sku), `q:${L2}`))).toBe(87);
		// An older count than the one held is stale; a newer one applies.
		const [stale] = await setCounts(redis, prefix, [count(sku, 50, countedAt - 1)]);
		expect(stale).toMatchObject({ outcome: 'skipped', reason: 'stale' });
		expect((await auditOf(redis, prefix, sku, 1))[0]).toMatchObject({
			kind: 'count',
			out: 'stale',
		});
	});

	it('counts only at ledger-owned, known locations', async () => {
		const rs = await setCounts(redis, prefix, [
			count('ASOF-2', 1, 1, L1),
			count('ASOF-2', 1, 1, 'ledger:nope'),
		]);
		expect(rs.map((r) => r.reason)).toEqual(['notLedgerOwned', 'unknownLocation']);
	});
});

describe('Profile: stored, versioned, change marks dirty', () => {
	it('same text → unchanged; a changed buffer re-marks every SKU dirty for that channel only', async () => {
		await applyEvents(redis, prefix, [
			levelEvent('P-1', L2, 4, 1, { platform: 'manual' }),
			levelEvent('P:2 {x}', L1, 4, 1),
		]);
		const again = await saveProfile(redis, prefix, PROFILE);
		expect(again).toMatchObject({ saved: false, affectedChannels: [] });
		await redis.del(
			ledgerKeys.dirty(prefix, 'woo'),
			ledgerKeys.dirty(prefix, 'woo2'),
			ledgerKeys.dirty(prefix, 'shopify'),
		);
		const changed = {
			...PROFILE,
			channels: PROFILE.channels.map((c) =>
				c.name === 'woo2' ? { ...c, buffer: { type: 'percent', value: 10 } } : c,
			),
		};
		const saved = await saveProfile(redis, prefix, changed);
		expect(saved).toMatchObject({
			saved: true,
			version: again.version + 1,
			affectedChannels: ['woo2'],
		});
		expect(saved.markedSkus).toBeGreaterThanOrEqual(2);
		expect(await redis.zrange(ledgerKeys.dirty(prefix, 'woo2'), 0, -1)).toEqual(
			expect.arrayContaining(['P-1', 'P:2 {x}']),
		);
		expect(await redis.exists(ledgerKeys.dirty(prefix, 'woo'))).toBe(0);
		// Compare-and-set: an outdated expected version is refused.
		expect(
			await saveProfile(redis, prefix, PROFILE, { expectedVersion: again.version }),
		).toMatchObject({ saved: false, conflict: true });
		// Apply picks up the new version by itself (the script refuses the cached one, the wrapper reloads).
		const rs = await applyEvents(redis, prefix, [
			levelEvent('P-1', L2, 9, 2, { platform: 'manual' }),
		]);
		expect(rs[0].outcome).toBe('applied');
		expect((await loadProfile(redis, prefix))?.version).toBe(String(saved.version));
	});

	it('invalid profiles are refused with every problem', async () => {
		await expect(saveProfile(redis, prefix, { ...PROFILE, locations: [] })).rejects.toThrow(
			/at least one location/,
		);
	});

	it('order-line retention and the audit cap come from the profile', async () => {
		const p = `${prefix}-cap`;
		await saveProfile(redis, p, { ...PROFILE, orderLineRetentionDays: 1, auditMaxEntries: 100 });
		await applyEvents(
			redis,
			p,
			Array.from({ length: 400 }, (_, i) => sale('CAP', `o${i}`, 1, 10)),
		);
		const ttl = await redis.pttl(ledgerKeys.orderLines(p, 'woocommerce', WOO2, 'o0'));
		expect(ttl).toBeGreaterThan(86_000_000);
		expect(ttl).toBeLessThanOrEqual(86_400_000);
		const len = await redis.xlen(ledgerKeys.audit(p, 'CAP'));
		expect(len).toBeGreaterThanOrEqual(100);
		expect(len).toBeLessThan(400);
		await deleteByPrefix(redis, p);
	});
});
