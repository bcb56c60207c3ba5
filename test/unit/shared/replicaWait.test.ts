import { credentialFromData, replicaWaitOf } from '../../../nodes/shared/redis';
import { loadConfig } from '../../../receiver/config';

/** The Inventory Redis credential's Replicas to Wait For (issue 22): stored credentials without it wait for none. */
describe('replica wait settings', () => {
	it('a credential saved before the field existed waits for no replica', () => {
		const cred = credentialFromData({ host: '127.0.0.1', port: 6379, sentinels: 'a:26379' });
		expect(cred.replicasToWait).toBe(0);
		expect(replicaWaitOf(cred)).toBeUndefined();
	});

	it('replicas and timeout come from the credential; the timeout stays under the command timeout', () => {
		expect(replicaWaitOf(credentialFromData({ replicasToWait: 1 }))).toEqual({
			replicas: 1,
			timeoutMs: 500,
		});
		expect(
			replicaWaitOf(credentialFromData({ replicasToWait: 2, replicaWaitTimeoutMs: 60_000 })),
		).toEqual({ replicas: 2, timeoutMs: 1_500 });
		expect(replicaWaitOf(credentialFromData({ replicasToWait: -3 }))).toBeUndefined();
	});

	it('the receiver config takes redis.replicasToWait and refuses what is not a whole number in range', () => {
		const base = {
			listen: { host: '127.0.0.1', port: 0 },
			shops: [{ platform: 'shopify', shop: 'a.myshopify.com', path: '/s', secret: 'x' }],
		};
		const config = loadConfig({ ...base, redis: { replicasToWait: 1, replicaWaitTimeoutMs: 200 } });
		expect(replicaWaitOf(config.redis)).toEqual({ replicas: 1, timeoutMs: 200 });
		expect(() => loadConfig({ ...base, redis: { replicasToWait: 1.5 } })).toThrow(
			/redis.replicasToWait/,
		);
		expect(() => loadConfig({ ...base, redis: { replicaWaitTimeoutMs: 5_000 } })).toThrow(
			/redis.replicaWaitTimeoutMs/,
		);
	});
});
