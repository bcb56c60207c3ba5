import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import { platformCredentialTests } from '../shared/credentialTests';
import { inventoryRedisCredentialTest } from '../shared/redis';
import { operationSubtitle } from '../shared/subtitle';
import { executeWooCommerceInventory } from './actions/router';
import { WOO_OPERATION_OPTIONS, wooCommerceInventoryProperties } from './descriptions';

export class WooCommerceInventory implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'WooCommerce Inventory',
		name: 'wooCommerceInventory',
		icon: { light: 'file:wooCommerceInventory.svg', dark: 'file:wooCommerceInventory.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: operationSubtitle(WOO_OPERATION_OPTIONS, { suffixParameter: 'channel' }),
		description:
			'Publish, read and catch up WooCommerce stock for the inventory ledger: batched, retried, with a circuit breaker and dead letters',
		defaults: { name: 'WooCommerce Inventory' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [
			{ type: NodeConnectionTypes.Main, displayName: 'Result' },
			{ type: NodeConnectionTypes.Main, displayName: 'Input' },
		],
		credentials: [
			{ name: 'inventoryRedisApi', required: true, testedBy: 'inventoryRedisApiTest' },
			{ name: 'wooCommerceInventoryApi', required: true, testedBy: 'wooCommerceInventoryApiTest' },
		],
		properties: wooCommerceInventoryProperties,
	};

	methods = {
		credentialTest: { ...inventoryRedisCredentialTest, ...platformCredentialTests },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await executeWooCommerceInventory(this);
	}
}
