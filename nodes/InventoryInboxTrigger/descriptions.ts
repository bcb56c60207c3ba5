import type { INodeProperties } from 'n8n-workflow';
/**
 * The Inventory Inbox Trigger's parameters (the node file only wires them). Defaults are literals (the lint rule
 * reads them) and equal batching.ts DEFAULT_SETTINGS (a unit test checks).
 */

export const inboxProperties: INodeProperties[] = [
	{
		displayName: 'Inbox Stream',
		name: 'inboxStream',
		type: 'string',
		default: 'inbox',
		description:
			"Name of the Redis stream (after the credential's key prefix) the Inventory Webhook Trigger queues to in inbox mode",
	},
	{
		displayName: 'Consumer Group',
		name: 'consumerGroup',
		type: 'string',
		default: 'inbox-trigger',
		description:
			'Triggers in the same group share the work; a trigger with its own group gets every entry again. Created on first start, reading the stream from its beginning.',
	},
	{
		displayName: 'Batch Size',
		name: 'batchSize',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 10000 },
		default: 500,
		description: 'Most inbox entries (webhook deliveries) per run',
	},
	{
		displayName: 'Max Wait (Ms)',
		name: 'maxWait',
		type: 'number',
		typeOptions: { minValue: 0, maxValue: 60000 },
		default: 100,
		description:
			'After the first entry of a batch arrived, how long to wait for more before the run starts (a full batch starts at once)',
	},
	{
		displayName: 'Parallel Batches',
		name: 'parallelBatches',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 64 },
		default: 2,
		description: 'Most runs of this trigger in flight at once; more entries wait in Redis',
	},
	{
		displayName: 'Reclaim After (Seconds)',
		name: 'reclaimAfter',
		type: 'number',
		typeOptions: { minValue: 0.1, numberPrecision: 1 },
		default: 60,
		description:
			'Entries of a failed run are emitted again after this long; entries of an n8n process that died mid-run are taken over after this long. Runs still in progress are never taken over.',
	},
	{
		displayName: 'Max Deliveries',
		name: 'maxDeliveries',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 1000 },
		default: 5,
		description:
			"An entry delivered more often than this without a successful run goes to the dead-letter stream (key prefix + ':dlq') and is acknowledged",
	},
	{
		displayName: 'Re-Read Refunded Orders',
		name: 'rereadRefundedOrders',
		type: 'boolean',
		default: false,
		description:
			'Whether a Shopify refund re-reads its whole order with the Shopify credential (the refund payload alone cannot say what each line draws now). Off: the orders/updated Shopify sends after a refund carries the change.',
	},
	{
		displayName: 'Health Output',
		name: 'healthOutput',
		type: 'boolean',
		default: false,
		description:
			'Whether to add a Health output that receives, every interval, one item with the backlog, pending count, oldest pending age and dead-letter count',
	},
	{
		displayName: 'Health Interval (Seconds)',
		name: 'healthInterval',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 60,
		displayOptions: { show: { healthOutput: [true] } },
		description: 'How often the Health output receives an item (each one is a run of its own)',
	},
];

// Outputs. n8n evaluates `outputs: '={{(' + configuredOutputs + ')($parameter)}}'` (as the Switch node does):
// this function is sent as source text, so it must use nothing from outside its body.
export const configuredOutputs = (parameters: { healthOutput?: boolean }) => {
	const names = ['Events', 'Invalid'];
	if (parameters.healthOutput === true) names.push('Health');
	return names.map((displayName) => ({ type: 'main', displayName }));
};
