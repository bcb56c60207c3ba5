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
import { executeShopifyInventory } from './actions/router';
import { SHOPIFY_OPERATION_OPTIONS, shopifyInventoryProperties } from './descriptions';

export class ShopifyInventory implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Shopify Inventory',
		name: 'shopifyInventory',
		icon: { light: 'file:shopifyInventory.svg', dark: 'file:shopifyInventory.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: operationSubtitle(SHOPIFY_OPERATION_OPTIONS, { suffixParameter: 'channel' }),
		description:
			'Publish, adjust, read and catch up Shopify stock for the inventory ledger: paced, batched, retried, with a circuit breaker and dead letters',
		defaults: { name: 'Shopify Inventory' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'inventoryRedisApi', required: true, testedBy: 'inventoryRedisApiTest' },
			{ name: 'shopifyInventoryApi', required: true, testedBy: 'shopifyInventoryApiTest' },
		],
		properties: shopifyInventoryProperties,
	};

	methods = {
		credentialTest: { ...inventoryRedisCredentialTest, ...platformCredentialTests },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await executeShopifyInventory.call(this);
	}
}
