import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import { inventoryRedisCredentialTest } from '../shared/redis';
import { operationSubtitle } from '../shared/subtitle';
import { GUARD_OPERATION_OPTIONS, guardProperties } from './descriptions';
import { executeGuard } from './actions/router';
import { configuredOutputs } from './guard';

export class InventoryGuard implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Inventory Guard',
		name: 'inventoryGuard',
		icon: { light: 'file:inventoryGuard.svg', dark: 'file:inventoryGuard.dark.svg' },
		group: ['transform'],
		version: 1,
		// 'claim' is what Deduplicate was stored as before 0.2.
		subtitle: operationSubtitle(GUARD_OPERATION_OPTIONS, { legacy: { claim: 'deduplicate' } }),
		description:
			'Redis-backed duplicate filter (claim, commit, release) and per-key lock with token and fencing number, correct across concurrent runs and workers',
		defaults: { name: 'Inventory Guard' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		// Operation-dependent outputs, as n8n's Switch node does: Deduplicate → New, Duplicate; Lock → Acquired,
		// Busy; Extend → Extended, Lost; Commit, Release, Unlock → Done.
		outputs: `={{(${configuredOutputs})($parameter)}}`,
		credentials: [{ name: 'inventoryRedisApi', required: true, testedBy: 'inventoryRedisApiTest' }],
		properties: guardProperties,
	};

	methods = {
		credentialTest: inventoryRedisCredentialTest,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return executeGuard(this);
	}
}
