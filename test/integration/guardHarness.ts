import { randomBytes } from 'node:crypto';
import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	INode,
	INodeExecutionData,
} from 'n8n-workflow';
import type { GuardContext } from '../../nodes/InventoryGuard/actions/router';
import { TEST_REDIS } from '../support';

/**
 * Test tools for the Inventory Guard's integration tests: a real Redis always (the test Redis of test/support
 * with a key prefix per file, or a redis-server of the test's own, test/support OwnRedis), and a small real
 * execute context.
 */

export function credential(
	data: Partial<ICredentialDataDecryptedObject> & { keyPrefix: string },
): ICredentialDataDecryptedObject {
	return { host: TEST_REDIS.host, port: TEST_REDIS.port, database: 0, ...data };
}

export const TEST_NODE: INode = {
	id: 'guard-node-id',
	name: 'Inventory Guard',
	type: 'CUSTOM.inventoryGuard',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};

/** A parameter's value for one item: a constant or, standing for an expression, a function of the item. */
export type Param = unknown | ((json: IDataObject, index: number) => unknown);

/**
 * A real, small execute context: parameters resolved per item like n8n does (an expression is a function of
 * the item here), credentials handed over as n8n would after decrypting them.
 */
export function guardContext(options: {
	items: IDataObject[] | INodeExecutionData[];
	params: Record<string, Param>;
	credential: ICredentialDataDecryptedObject;
	continueOnFail?: boolean;
	executionId?: string;
	instanceId?: string;
}): GuardContext {
	const items: INodeExecutionData[] = options.items.map((item) =>
		item && typeof item === 'object' && 'json' in item && typeof item.json === 'object'
			? (item as INodeExecutionData)
			: { json: item as IDataObject },
	);
	const lookup = (name: string): unknown => {
		let value: unknown = options.params;
		for (const part of name.split('.')) {
			value =
				value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
		}
		return value;
	};
	const ctx = {
		getInputData: () => items,
		getNodeParameter: (name: string, index: number, ...fallback: unknown[]) => {
			const raw = lookup(name);
			const value =
				typeof raw === 'function'
					? (raw as (j: IDataObject, i: number) => unknown)(items[index].json, index)
					: raw;
			if (value === undefined) {
				// n8n throws for a missing parameter unless a fallback is given.
				if (fallback.length === 0) throw new Error(`Could not get parameter '${name}'`);
				return fallback[0];
			}
			return value;
		},
		getCredentials: async (type: string) => {
			if (type !== 'inventoryRedisApi') throw new Error(`unexpected credential ${type}`);
			return options.credential;
		},
		continueOnFail: () => options.continueOnFail === true,
		// The node's parameters as n8n holds them: a Key given by the test is not the default one.
		getNode: () => ({ ...TEST_NODE, parameters: options.params as INode['parameters'] }),
		getExecutionId: () => options.executionId ?? `exec-${randomBytes(4).toString('hex')}`,
		getInstanceId: () => options.instanceId ?? 'test-instance',
	};
	return ctx as unknown as GuardContext;
}

/** The display names of the outputs items went to, per item index: e.g. { 0: 'New', 1: 'Duplicate' }. */
export function routeOf(outputs: INodeExecutionData[][], names: string[]): Record<number, string> {
	const out: Record<number, string> = {};
	outputs.forEach((items, o) =>
		items.forEach((item) => {
			const paired = item.pairedItem as { item: number };
			out[paired.item] = names[o];
		}),
	);
	return out;
}

export function shuffle<T>(list: T[], random = Math.random): T[] {
	const a = [...list];
	for (let i = a.length - 1; i > 0; i--) {
		const j = Math.floor(random() * (i + 1));
		[a[i], a[j]] = [a[j], a[i]];
	}
	return a;
}
