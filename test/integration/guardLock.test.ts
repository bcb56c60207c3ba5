import type Redis from 'ioredis';
import { closeAllRedis } from '../../nodes/shared/redis';
import { GuardCode } from '../../nodes/InventoryGuard/codes';
import { credential } from './guardHarness';
import { fencingAfterExpiry, lockedCounter, nodeLockFlow, wrongTokenChecks } from './guardSuite';
import { deleteByPrefix, testClient, uniquePrefix } from '../support';

// Lock / Unlock / Extend against the test Redis (test/support), under a key prefix of this file.
jest.setTimeout(120_000);

const prefix = uniquePrefix('lock');
const cred = credential({ keyPrefix: prefix });
let admin: Redis;

beforeAll(() => {
	admin = testClient();
});
afterEach(async () => {
	await deleteByPrefix(admin, prefix);
});
afterAll(async () => {
	await closeAllRedis();
	await admin.quit();
});

describe('lock', () => {
	it('20 contenders, 500 read-modify-write increments under the lock: the counter ends at 500', async () => {
		const { value, fences, releaseCodes } = await lockedCounter({
			cred,
			prefix,
			contenders: 20,
			total: 500,
		});
		expect(value).toBe(500);
		expect(fences).toHaveLength(500);
		// Acquisitions were serialised: in acquisition order, fencing numbers strictly increase.
		expect(fences.every((f, i) => i === 0 || f > fences[i - 1])).toBe(true);
		expect(releaseCodes.every((c) => c === GuardCode.Ok)).toBe(true);
	});

	it('the same increments without the lock lose updates (the test can see a race)', async () => {
		const { value } = await lockedCounter({
			cred,
			prefix,
			contenders: 20,
			total: 500,
			useLock: false,
		});
		expect(value).toBeLessThan(500);
	});

	it('wrong-token release and extend do nothing', async () => {
		await wrongTokenChecks(admin, prefix);
	});

	it('an expired lock: the next holder has a higher fencing number, the old one can neither release nor extend', async () => {
		await fencingAfterExpiry(admin, prefix);
	});

	it('node flow: Acquired / Busy, shared lock per key, Extend, Unlock with and without the token', async () => {
		await nodeLockFlow(cred);
	});
});
