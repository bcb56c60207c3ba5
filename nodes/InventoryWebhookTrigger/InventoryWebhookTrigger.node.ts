import {
	NodeConnectionTypes,
	type IHookFunctions,
	type INodeType,
	type INodeTypeDescription,
	type IWebhookFunctions,
	type IWebhookResponseData,
} from 'n8n-workflow';
import { platformCredentialTests } from '../shared/credentialTests';
import { inventoryRedisCredentialTest } from '../shared/redis';
import { webhookTriggerProperties } from './descriptions';
import { receiveWebhook } from './receive';
import { checkExists, create, remove } from './subscriptions';

export class InventoryWebhookTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Inventory Webhook Trigger',
		name: 'inventoryWebhookTrigger',
		icon: {
			light: 'file:inventoryWebhookTrigger.svg',
			dark: 'file:inventoryWebhookTrigger.dark.svg',
		},
		group: ['trigger'],
		version: 1,
		subtitle: '={{$parameter["platform"] === "shopify" ? "Shopify" : "WooCommerce"}}',
		description:
			'Receives signed Shopify and WooCommerce webhooks (orders, refunds, stock levels, products) as one canonical inventory event per order line or level change',
		defaults: { name: 'Inventory Webhook Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Events', 'Invalid'],
		// The platform credentials are tied to Platform with `hide`, not `show`: n8n's editor takes a parameter
		// that every `show` of the credentials covers for the credential-type picker and removes it from the
		// panel (getMainAuthField); `hide` keeps Platform a visible choice with the same stored values.
		credentials: [
			{
				name: 'shopifyInventoryApi',
				required: true,
				testedBy: 'shopifyInventoryApiTest',
				displayOptions: { hide: { platform: ['woocommerce'] } },
			},
			{
				name: 'wooCommerceInventoryApi',
				required: true,
				testedBy: 'wooCommerceInventoryApiTest',
				displayOptions: { hide: { platform: ['shopify'] } },
			},
			{
				name: 'inventoryRedisApi',
				required: true,
				testedBy: 'inventoryRedisApiTest',
				displayOptions: { show: { delivery: ['inbox'] } },
			},
		],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				// We write every answer ourselves, before any run starts: 'onReceived' only tells n8n not to wait.
				responseMode: 'onReceived',
				path: 'webhook',
			},
		],
		properties: webhookTriggerProperties,
	};

	methods = {
		credentialTest: { ...inventoryRedisCredentialTest, ...platformCredentialTests },
	};

	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				return checkExists.call(this);
			},
			async create(this: IHookFunctions): Promise<boolean> {
				return create.call(this);
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				return remove.call(this);
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		return receiveWebhook(this);
	}
}
