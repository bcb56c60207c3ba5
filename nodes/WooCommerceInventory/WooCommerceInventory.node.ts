import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import { inventoryRedisCredentialTest } from '../shared/redis';
import { executeWooCommerceInventory } from './actions/router';
import { wooCommerceInventoryProperties } from './descriptions';

export class WooCommerceInventory implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'WooCommerce Inventory',
		name: 'wooCommerceInventory',
		icon: { light: 'file:wooCommerceInventory.svg', dark: 'file:wooCommerceInventory.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["channel"]}}',
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
			{ name: 'wooCommerceInventoryApi', required: true },
		],
		properties: wooCommerceInventoryProperties,
	};

	methods = {
		credentialTest: inventoryRedisCredentialTest,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await executeWooCommerceInventory(this);
	}
}
