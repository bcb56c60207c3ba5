import type { ICredentialType, INodeProperties } from 'n8n-workflow';

/**
 * The Redis that holds the inbox, guard, ledger and channel state. Tested by the nodes that use it
 * (testedBy: connect, PING, eviction-policy check, a Lua call), since a Redis test needs a real client.
 */
export class InventoryRedisApi implements ICredentialType {
	name = 'inventoryRedisApi';

	displayName = 'Inventory Redis';

	icon = 'file:inventoryRedis.svg' as const;

	documentationUrl = 'https://redis.io/docs/latest/operate/oss_and_stack/management/security/acl/';

	properties: INodeProperties[] = [
		{ displayName: 'Host', name: 'host', type: 'string', default: '127.0.0.1' },
		{ displayName: 'Port', name: 'port', type: 'number', default: 6379 },
		{ displayName: 'Database Number', name: 'database', type: 'number', default: 0 },
		{
			displayName: 'User',
			name: 'user',
			type: 'string',
			default: '',
			description: 'ACL user name (Redis 6+). Leave empty for the default user.',
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
		},
		{ displayName: 'TLS', name: 'tls', type: 'boolean', default: false },
		{
			displayName: 'CA Certificate',
			name: 'tlsCa',
			type: 'string',
			typeOptions: { rows: 4 },
			default: '',
			description:
				'PEM of the CA that signed the server certificate (for private CAs and self-signed servers)',
			displayOptions: { show: { tls: [true] } },
		},
		{
			displayName: 'Skip Certificate Verification',
			name: 'tlsSkipVerify',
			type: 'boolean',
			default: false,
			description:
				'Whether to accept any server certificate. Only for tests: it allows a man in the middle.',
			displayOptions: { show: { tls: [true] } },
		},
		{
			displayName: 'Key Prefix',
			name: 'keyPrefix',
			type: 'string',
			default: 'invsync',
			description:
				'Every key this package writes starts with this prefix; use one per shop setup sharing a Redis',
		},
		{
			displayName: 'Sentinels',
			name: 'sentinels',
			type: 'string',
			default: '',
			placeholder: '10.0.0.1:26379, 10.0.0.2:26379',
			description:
				'Optional: Sentinel addresses; when set, Host and Port are ignored and the master is found through them',
		},
		{
			displayName: 'Sentinel Master Name',
			name: 'sentinelName',
			type: 'string',
			default: 'mymaster',
			displayOptions: { hide: { sentinels: [''] } },
		},
		{
			displayName: 'Replicas to Wait For',
			name: 'replicasToWait',
			type: 'number',
			typeOptions: { minValue: 0, numberPrecision: 0 },
			default: 0,
			description:
				'With replicas (Sentinel): how many replicas must hold each webhook before it is answered 200 (Redis WAIT). 0 answers as soon as the primary has it, and a failover can then lose what was just answered.',
		},
		{
			displayName: 'Replica Wait Timeout (ms)',
			name: 'replicaWaitTimeoutMs',
			type: 'number',
			typeOptions: { minValue: 10, maxValue: 1500, numberPrecision: 0 },
			default: 500,
			description:
				'How long a webhook waits for the replicas; when fewer confirm in time it is answered 503 and the shop sends it again',
			displayOptions: { hide: { replicasToWait: [0] } },
		},
	];
}
