import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import { inventoryRedisCredentialTest } from '../shared/redis';
import { operationSubtitle } from '../shared/subtitle';
import { LEDGER_OPERATION_OPTIONS, configuredOutputs, ledgerProperties } from './descriptions';
import { profileOwners } from './actions/profile.operation';
import { executeLedger } from './actions/router';

export class InventoryLedger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Inventory Ledger',
		name: 'inventoryLedger',
		icon: { light: 'file:inventoryLedger.svg', dark: 'file:inventoryLedger.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: operationSubtitle(LEDGER_OPERATION_OPTIONS),
		description:
			'Redis stock ledger: applies order lines and levels exactly once, multi-location aggregation, safety buffers, as-of counts and an audit log',
		defaults: { name: 'Inventory Ledger' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		// Apply and Set → Applied, Skipped, Invalid; the other operations → Done.
		outputs: `={{(${configuredOutputs})($parameter)}}`,
		credentials: [{ name: 'inventoryRedisApi', required: true, testedBy: 'inventoryRedisApiTest' }],
		properties: ledgerProperties,
	};

	methods = {
		credentialTest: inventoryRedisCredentialTest,
		loadOptions: { profileOwners },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return executeLedger(this);
	}
}
