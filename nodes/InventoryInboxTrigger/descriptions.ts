import type { INodeProperties } from 'n8n-workflow';
/**
 * The Inventory Inbox Trigger's parameters (the node file only wires them). Defaults are literals (the lint rule
 * reads them) and equal batching.ts DEFAULT_SETTINGS (a unit test checks).
 */

/** Shown for nodes created before 1.1: the tuning fields stay where those workflows stored them. */
const V1 = { '@version': [1] };
/** From 1.1 the tuning fields sit under Options. */
const FROM_V1_1 = { '@version': [{ _cnd: { gte: 1.1 } }] };

/** The tuning fields, at the top level (version 1) or under Options (1.1): the same names and defaults. */
function tuningFields(): INodeProperties[] {
	return [
		{
			displayName: 'Batch Size',
			name: 'batchSize',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 10000, numberPrecision: 0 },
			default: 500,
			description: 'Most inbox entries (webhook deliveries) per run',
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
			displayName: 'Max Deliveries',
			name: 'maxDeliveries',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 1000, numberPrecision: 0 },
			default: 5,
			description:
				"An entry delivered more often than this without a successful run goes to the dead-letter stream (key prefix + ':dlq') and is acknowledged",
		},
		{
			// eslint-disable-next-line n8n-nodes-base/node-param-display-name-miscased -- n8n writes milliseconds as "(ms)" (HTTP Request: Batch Interval (ms))
			displayName: 'Max Wait (ms)',
			name: 'maxWait',
			type: 'number',
			typeOptions: { minValue: 0, maxValue: 60000, numberPrecision: 0 },
			default: 100,
			description:
				'After the first entry of a batch arrived, how long to wait for more before the run starts (a full batch starts at once)',
		},
		{
			displayName: 'Parallel Batches',
			name: 'parallelBatches',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 64, numberPrecision: 0 },
			default: 2,
			description: 'Most runs of this trigger in flight at once; more entries wait in Redis',
		},
		{
			displayName: 'Reclaim After (Seconds)',
			name: 'reclaimAfter',
			type: 'number',
			// No numberPrecision: fractions are allowed, and a fixed precision shows 60 as "60.0".
			typeOptions: { minValue: 0.1 },
			default: 60,
			description:
				'Entries of a failed run are emitted again after this long; entries of an n8n process that died mid-run are taken over after this long. Runs still in progress are never taken over.',
		},
	];
}

export const inboxProperties: INodeProperties[] = [
	// Where the editor draws the credentials: first, before the stream they read.
	{ displayName: '', name: 'credentialsPlacement', type: 'credentials', default: '' },
	{
		displayName: 'Inbox Stream',
		name: 'inboxStream',
		type: 'string',
		default: 'inbox',
		description:
			"Name of the Redis stream (after the credential's key prefix) the Inventory Webhook Trigger queues to in inbox mode. Keep the default unless that trigger uses another.",
	},
	{
		displayName:
			"Runs start when deliveries arrive in the inbox. To try the workflow: with the Inventory Webhook Trigger active in inbox mode, click Execute step here, then make a change the shop reports (change a product's stock level in the shop admin, or place a test order). An empty inbox waits for that delivery. To set up the sync profile, use the First Sync template (workflows/first-sync.json) instead.",
		name: 'waitingNotice',
		type: 'notice',
		default: '',
	},
	...tuningFields().map((field) => ({ ...field, displayOptions: { show: V1 } })),
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
		typeOptions: { minValue: 1, numberPrecision: 0 },
		default: 60,
		displayOptions: { show: { healthOutput: [true] } },
		description: 'How often the Health output receives an item (each one is a run of its own)',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		displayOptions: { show: FROM_V1_1 },
		options: tuningFields(),
	},
];

// Outputs. n8n evaluates `outputs: '={{(' + configuredOutputs + ')($parameter)}}'` (as the Switch node does):
// this function is sent as source text, so it must use nothing from outside its body.
export const configuredOutputs = (parameters: { healthOutput?: boolean }) => {
	const names = ['Events', 'Invalid'];
	if (parameters.healthOutput === true) names.push('Health');
	return names.map((displayName) => ({ type: 'main', displayName }));
};
