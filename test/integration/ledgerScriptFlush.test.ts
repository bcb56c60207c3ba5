import Redis from 'ioredis';
import { applyEvents, markSkus, saveProfile, setCounts } from '../../nodes/InventoryLedger/ledger';
import { L2, PROFILE, WOO2, levelEvent, lineEvent } from './ledgerHarness';
import { OwnRedis, uniquePrefix } from '../support';

// Every Ledger script survives SCRIPT FLUSH (style.md, ioredis: a restart or failover empties the script
// cache): the same operations on the same client give the same results whether the cache was flushed before
// each call or not. On a redis-server of this file's own, so the flushes disturb no other test's round trips.
jest.setTimeout(60_000);

let server: OwnRedis;
let redis: Redis;
let admin: Redis;

beforeAll(async () => {
	server = await OwnRedis.start();
	redis = new Redis({ port: server.port });
	admin = new Redis({ port: server.port });
});
afterAll(async () => {
	await redis.quit();
	await admin.quit();
	await server.stop();
});

/** saveProfile-1.lua, applyEvents.lua, setCounts.lua, markSkus.lua, each once, with SCRIPT FLUSH before each when told. */
async function scenario(prefix: string, flush: boolean): Promise<unknown[]> {
	const step = async <T>(run: () => Promise<T>): Promise<T> => {
		if (flush) await admin.script('FLUSH');
		return await run();
	};
	const saved = await step(
		async () =>
			await saveProfile(redis, prefix, PROFILE, { now: () => new Date('2026-11-26T15:00:00Z') }),
	);
	const applied = await step(
		async () =>
			await applyEvents(redis, prefix, [
				levelEvent('F-1', L2, 100, 1, { platform: 'manual' }),
				lineEvent({
					platform: 'woocommerce',
					shop: WOO2,
					orderId: 'o1',
					lineKey: '1',
					sku: 'F-1',
					quantity: 3,
					version: 10,
				}),
			]),
	);
	const counted = await step(
		async () =>
			await setCounts(redis, prefix, [
				{
					index: 0,
					sku: 'F-1',
					location: L2,
					quantity: 90,
					asOf: 1,
					id: 'count:F-1',
					source: 'manual:erp:count:manual',
				},
			]),
	);
	const marked = await step(async () => await markSkus(redis, prefix, ['F-1'], 'freeze', 'test'));
	return [saved.saved, saved.version, applied, counted, marked];
}

it('every Ledger script gives the same results after SCRIPT FLUSH, on the same client', async () => {
	const plain = await scenario(uniquePrefix('ledger-noflush'), false);
	const flushed = await scenario(uniquePrefix('ledger-flush'), true);
	expect(flushed).toEqual(plain);
});
