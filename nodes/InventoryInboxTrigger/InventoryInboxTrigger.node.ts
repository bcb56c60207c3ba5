import type {
	INodeType,
	INodeTypeDescription,
	ITriggerFunctions,
	ITriggerResponse,
} from 'n8n-workflow';
import { platformCredentialTests } from '../shared/credentialTests';
import { inventoryRedisCredentialTest } from '../shared/redis';
import { configuredOutputs, inboxProperties } from './descriptions';
import { startInboxTrigger } from './trigger';

export class InventoryInboxTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Inventory Inbox Trigger',
		name: 'inventoryInboxTrigger',
		icon: { light: 'file:inventoryInboxTrigger.svg', dark: 'file:inventoryInboxTrigger.dark.svg' },
		group: ['trigger'],
		// 1.1: the tuning fields moved under Options (version 1 nodes keep them at the top level).
		version: [1, 1.1],
		subtitle: '={{"stream " + ($parameter["inboxStream"] || "inbox")}}',
		description:
			'Processes the Redis inbox the Inventory Webhook Trigger fills in inbox mode: one run per batch of hundreds of events, acknowledged when the run succeeds',
		defaults: { name: 'Inventory Inbox Trigger' },
		eventTriggerDescription:
			"Waiting for a delivery in the inbox: change a product's stock in the shop or place a test order (the Inventory Webhook Trigger in inbox mode must be active)",
		inputs: [],
		// Events, Invalid, and Health when the Health Output switch is on.
		outputs: `={{(${configuredOutputs})($parameter)}}`,
		credentials: [
			{ name: 'inventoryRedisApi', required: true, testedBy: 'inventoryRedisApiTest' },
			{
				name: 'shopifyInventoryApi',
				required: true,
				testedBy: 'shopifyInventoryApiTest',
				// `hide`, not `show`: n8n's editor would take a switch named in a credential's `show` for the
				// credential-type picker and remove it from the panel.
				displayOptions: { hide: { rereadRefundedOrders: [false] } },
			},
		],
		properties: inboxProperties,
	};

	methods = {
		credentialTest: { ...inventoryRedisCredentialTest, ...platformCredentialTests },
	};

	async trigger(this: ITriggerFunctions): Promise<ITriggerResponse> {
		return startInboxTrigger(this);
	}
}
