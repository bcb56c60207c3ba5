import { randomBytes } from 'node:crypto';
import type { IDataObject, IExecuteFunctions, INode, INodeExecutionData } from 'n8n-workflow';
import { testApiContext } from './apiContext';
import { TEST_REDIS } from './redis';

/**
 * An IExecuteFunctions for running a channel node's execute() in an integration test: parameters by name
 * (dotted paths into `params`, as `options.timeBudget`), input items, the Inventory Redis credential on the
 * test Redis with the test's key prefix, and the platform credentials with real HTTP to the simulators
 * (apiContext.ts). n8n's own machinery (token refresh, expressions) is the e2e tests' part.
 */

export interface NodeContextOptions {
	params: Record<string, unknown>;
	items?: IDataObject[];
	/** The Inventory Redis credential's key prefix. */
	keyPrefix: string;
	shopify?: IDataObject;
	woocommerce?: IDataObject;
	continueOnFail?: boolean;
	/** Counts requests per credential type. */
	calls?: Record<string, number>;
	signal?: AbortSignal;
	node?: Partial<INode>;
}

export function nodeContext(options: NodeContextOptions): IExecuteFunctions {
	const api = testApiContext({
		shopify: options.shopify,
		woocommerce: options.woocommerce,
		calls: options.calls,
	}) as unknown as { helpers: IDataObject; getCredentials: (t: string) => Promise<IDataObject> };
	const items: INodeExecutionData[] = (options.items ?? []).map((json) => ({ json }));
	const redisCredential: IDataObject = {
		host: TEST_REDIS.host,
		port: TEST_REDIS.port,
		database: 0,
		keyPrefix: options.keyPrefix,
	};
	const node: INode = {
		id: 'channel-node',
		name: 'Channel Node',
		type: 'CUSTOM.channel',
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
		...options.node,
	};
	const lookup = (name: string): unknown => {
		let value: unknown = options.params;
		for (const part of name.split('.'))
			value =
				value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
		return value;
	};
	const ctx = {
		getInputData: () => items,
		getNodeParameter: (name: string, _index: number, ...fallback: unknown[]) => {
			const value = lookup(name);
			if (value === undefined) {
				if (fallback.length === 0) throw new Error(`Could not get parameter '${name}'`);
				return fallback[0];
			}
			return value;
		},
		getCredentials: async (type: string) =>
			type === 'inventoryRedisApi' ? redisCredential : await api.getCredentials(type),
		continueOnFail: () => options.continueOnFail === true,
		getNode: () => node,
		getExecutionId: () => `exec-${randomBytes(4).toString('hex')}`,
		getInstanceId: () => 'test-instance',
		getExecutionCancelSignal: () => options.signal,
		helpers: api.helpers,
	};
	return ctx as unknown as IExecuteFunctions;
}
