import type { INode } from 'n8n-workflow';
import {
	CREDENTIAL_CACHE_MS,
	CREDENTIAL_MAX_STALE_MS,
	cachedCredentials,
	clearCredentialCache,
} from '../../../nodes/shared/credentialCache';

/** A node context whose getCredentials counts its calls (n8n decrypts, and builds an isolate, on each). */
function context(
	credentials: INode['credentials'],
	read: (type: string) => Promise<Record<string, unknown>>,
) {
	let calls = 0;
	const node = {
		id: 'n',
		name: 'Trigger',
		type: 't',
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
		credentials,
	} as INode;
	return {
		ctx: {
			getNode: () => node,
			getCredentials: async <T extends object>(type: string) => {
				calls++;
				return (await read(type)) as T;
			},
		},
		calls: () => calls,
	};
}

afterEach(() => clearCredentialCache());

describe('cachedCredentials', () => {
	it('reads a credential once per id for CREDENTIAL_CACHE_MS; then serves it while one background read refreshes it', async () => {
		let version = 1;
		const { ctx, calls } = context({ inventoryRedisApi: { id: 'c1', name: 'r' } }, async () => ({
			password: `v${version}`,
		}));
		const t = 1_000_000;
		expect(await cachedCredentials(ctx, 'inventoryRedisApi', t)).toEqual({ password: 'v1' });
		version = 2;
		expect(await cachedCredentials(ctx, 'inventoryRedisApi', t + CREDENTIAL_CACHE_MS - 1)).toEqual({
			password: 'v1',
		});
		expect(calls()).toBe(1);
		// Expired: this request still gets v1 at once; one refresh starts (not two).
		const [a, b] = await Promise.all([
			cachedCredentials(ctx, 'inventoryRedisApi', t + CREDENTIAL_CACHE_MS),
			cachedCredentials(ctx, 'inventoryRedisApi', t + CREDENTIAL_CACHE_MS + 1),
		]);
		expect([a, b]).toEqual([{ password: 'v1' }, { password: 'v1' }]);
		await new Promise((r) => setImmediate(r));
		expect(calls()).toBe(2);
		expect(await cachedCredentials(ctx, 'inventoryRedisApi', t + CREDENTIAL_CACHE_MS + 2)).toEqual({
			password: 'v2',
		});
		expect(calls()).toBe(2);
	});

	it('never serves an entry older than CREDENTIAL_MAX_STALE_MS: that request reads itself', async () => {
		let version = 1;
		const { ctx, calls } = context({ inventoryRedisApi: { id: 'c2', name: 'r' } }, async () => ({
			v: version,
		}));
		await cachedCredentials(ctx, 'inventoryRedisApi', 0);
		version = 2;
		expect(await cachedCredentials(ctx, 'inventoryRedisApi', CREDENTIAL_MAX_STALE_MS)).toEqual({
			v: 2,
		});
		expect(calls()).toBe(2);
	});

	it('a failed refresh drops the entry: the next request reads (and fails) itself', async () => {
		let fail = false;
		const { ctx, calls } = context({ inventoryRedisApi: { id: 'c3', name: 'r' } }, async () => {
			if (fail) throw new Error('credential deleted');
			return { ok: true };
		});
		await cachedCredentials(ctx, 'inventoryRedisApi', 0);
		fail = true;
		expect(await cachedCredentials(ctx, 'inventoryRedisApi', CREDENTIAL_CACHE_MS)).toEqual({
			ok: true,
		});
		await new Promise((r) => setImmediate(r));
		await expect(
			cachedCredentials(ctx, 'inventoryRedisApi', CREDENTIAL_CACHE_MS + 1),
		).rejects.toThrow('credential deleted');
		expect(calls()).toBe(3);
	});

	it('concurrent requests share one read; different ids and types are apart', async () => {
		const { ctx, calls } = context(
			{ inventoryRedisApi: { id: 'c1', name: 'r' }, shopifyInventoryApi: { id: 'c1', name: 's' } },
			async (type) => ({ type }),
		);
		const all = await Promise.all(
			Array.from({ length: 20 }, async () => await cachedCredentials(ctx, 'inventoryRedisApi', 5)),
		);
		expect(new Set(all.map((x) => x.type))).toEqual(new Set(['inventoryRedisApi']));
		expect(await cachedCredentials(ctx, 'shopifyInventoryApi', 5)).toEqual({
			type: 'shopifyInventoryApi',
		});
		expect(calls()).toBe(2);
	});

	it('does not keep a failed read, and does not cache a credential without an id', async () => {
		let fail = true;
		const { ctx, calls } = context({ inventoryRedisApi: { id: 'c9', name: 'r' } }, async () => {
			if (fail) throw new Error('decryption failed');
			return { ok: true };
		});
		await expect(cachedCredentials(ctx, 'inventoryRedisApi', 10)).rejects.toThrow(
			'decryption failed',
		);
		fail = false;
		expect(await cachedCredentials(ctx, 'inventoryRedisApi', 11)).toEqual({ ok: true });
		expect(calls()).toBe(2);

		const bare = context(undefined, async () => ({ n: 1 }));
		await cachedCredentials(bare.ctx, 'inventoryRedisApi', 1);
		await cachedCredentials(bare.ctx, 'inventoryRedisApi', 2);
		expect(bare.calls()).toBe(2);
	});
});
