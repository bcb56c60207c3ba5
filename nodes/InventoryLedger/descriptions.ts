import type { INodeProperties } from 'n8n-workflow';

/** The Inventory Ledger's parameters (the node file only wires them). */

export const LEDGER_OPERATIONS = ['apply', 'availability', 'audit', 'freeze', 'get', 'profile', 'resync', 'set', 'unfreeze'] as const;
export type LedgerOperation = (typeof LEDGER_OPERATIONS)[number];

/**
 * Outputs per operation, as n8n's Switch node does (stringified into an expression, so self-contained):
 * Apply and Set → Applied, Skipped, Invalid; everything else → one output.
 */
export function configuredOutputs(parameters: { operation?: string }): Array<{ type: string; displayName: string }> {
	const operation = parameters.operation ?? 'apply';
	if (operation === 'apply' || operation === 'set') {
		return [
			{ type: 'main', displayName: 'Applied' },
			{ type: 'main', displayName: 'Skipped' },
			{ type: 'main', displayName: 'Invalid' },
		];
	}
	return [{ type: 'main', displayName: 'Done' }];
}

const SKU_OPS = ['get', 'audit', 'freeze', 'unfreeze', 'resync', 'availability', 'set'];

export const ledgerProperties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'Apply', value: 'apply', description: 'Apply inventory events (order lines, levels) to the ledger, exactly once', action: 'Apply inventory events' },
			{ name: 'Audit', value: 'audit', description: "A SKU's history, newest first", action: 'Read a SKU audit history' },
			{ name: 'Availability', value: 'availability', description: 'What each channel place would show for a SKU: Σ shown − pending − buffer', action: 'Compute availability' },
			{ name: 'Freeze', value: 'freeze', description: 'Never publish this SKU (the ledger still records everything)', action: 'Freeze a SKU' },
			{ name: 'Get', value: 'get', description: "A SKU's ledger state: locations, versions, rev, pending forwards, publish state", action: 'Get a SKU state' },
			{ name: 'Profile', value: 'profile', description: 'Read or save the sync profile (locations, channels, buffers, dry run)', action: 'Read or save the sync profile' },
			{ name: 'Resync', value: 'resync', description: 'Mark a SKU dirty for every channel now', action: 'Resync a SKU' },
			{ name: 'Set', value: 'set', description: 'An ERP or manual count as of a time: replaces the level, keeps later sales', action: 'Set a counted level' },
			{ name: 'Unfreeze', value: 'unfreeze', description: 'Publish this SKU again (marks it dirty)', action: 'Unfreeze a SKU' },
		],
		default: 'apply',
	},
	{
		displayName: 'SKU',
		name: 'sku',
		type: 'string',
		required: true,
		default: '={{ $json.sku }}',
		displayOptions: { show: { operation: SKU_OPS } },
		description: 'The SKU, exactly (any text: it is escaped before it becomes a Redis key)',
	},
	{
		displayName: 'Location',
		name: 'location',
		type: 'string',
		required: true,
		default: '={{ $json.locationId }}',
		displayOptions: { show: { operation: ['set'] } },
		description: "A ledger-owned location of the profile, e.g. 'ledger:warehouse'",
	},
	{
		displayName: 'Counted Quantity',
		name: 'quantity',
		type: 'number',
		required: true,
		default: 0,
		displayOptions: { show: { operation: ['set'] } },
		description: 'Units counted at the location',
	},
	{
		displayName: 'As Of',
		name: 'asOf',
		type: 'string',
		required: true,
		default: '={{ $json.countedAt }}',
		displayOptions: { show: { operation: ['set'] } },
		description: 'When the count was taken (ISO time or milliseconds since the epoch). Sales recorded after it are applied again on top.',
	},
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 50,
		displayOptions: { show: { operation: ['audit'] } },
		description: 'Max number of results to return',
	},
	{
		displayName: 'Channel',
		name: 'channel',
		type: 'string',
		default: '',
		displayOptions: { show: { operation: ['availability'] } },
		description: 'Only this channel (empty: every channel of the profile)',
	},
	{
		displayName: 'Action',
		name: 'profileAction',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'Get', value: 'get', description: 'Return the stored profile and its version' },
			{ name: 'Save', value: 'save', description: 'Validate and store the profile; a change marks the affected SKUs dirty' },
		],
		default: 'get',
		displayOptions: { show: { operation: ['profile'] } },
	},
	{
		displayName: 'Edit As',
		name: 'profileMode',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'Form', value: 'form', description: 'Locations and channels with one display place each, no overrides' },
			{ name: 'JSON', value: 'json', description: 'The whole profile (overrides, several places per channel)' },
		],
		default: 'form',
		displayOptions: { show: { operation: ['profile'], profileAction: ['save'] } },
	},
	{
		displayName: 'Profile (JSON)',
		name: 'profileJson',
		type: 'json',
		default: '{\n  "dryRun": true,\n  "locations": [],\n  "channels": []\n}',
		displayOptions: { show: { operation: ['profile'], profileAction: ['save'], profileMode: ['json'] } },
		description:
			'The whole profile; see docs/ledger.md (Profile) for the format. A ledger location that a platform also lists (a warehouse Shopify shows as one of its locations) needs the platform location ID in its "aliases" list, e.g. "aliases": ["shopify:x.myshopify.com:123"].',
	},
	{
		displayName: 'Dry Run',
		name: 'dryRun',
		type: 'boolean',
		default: true,
		displayOptions: { show: { operation: ['profile'], profileAction: ['save'], profileMode: ['form'] } },
		description: 'Whether channel nodes only compute and report (write nothing) until you switch the profile live',
	},
	{
		displayName: 'Locations',
		name: 'locations',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		default: {},
		placeholder: 'Add location',
		displayOptions: { show: { operation: ['profile'], profileAction: ['save'], profileMode: ['form'] } },
		options: [
			{
				displayName: 'Location',
				name: 'location',
				values: [
					{
						displayName: 'Aliases',
						name: 'aliases',
						type: 'string',
						default: '',
						placeholder: 'shopify:x.myshopify.com:123',
						description:
							"Comma-separated platform location IDs that name this same stock, e.g. the Shopify location that lists a 'ledger:warehouse'. Orders, restocks and levels naming an alias count here; a channel's level there is only its observation.",
					},
					{ displayName: 'ID', name: 'id', type: 'string', default: '', placeholder: 'shopify:x.myshopify.com:123 or ledger:warehouse', description: 'Location ID as the events carry it' },
					{ displayName: 'Owner', name: 'owner', type: 'string', default: 'ledger', description: "'ledger' or the name of the channel whose number is the truth here" },
				],
			},
		],
	},
	{
		displayName: 'Channels',
		name: 'channels',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		default: {},
		placeholder: 'Add channel',
		displayOptions: { show: { operation: ['profile'], profileAction: ['save'], profileMode: ['form'] } },
		options: [
			{
				displayName: 'Channel',
				name: 'channel',
				values: [
					{ displayName: 'Buffer Type', name: 'bufferType', type: 'options', options: [{ name: 'Fixed Units', value: 'fixed' }, { name: 'Percent (Rounded Up)', value: 'percent' }], default: 'fixed' },
					{ displayName: 'Buffer Value', name: 'bufferValue', type: 'number', typeOptions: { minValue: 0 }, default: 0 },
					{ displayName: 'Cap', name: 'cap', type: 'number', default: -1, description: 'Show at most this many (-1: no cap)' },
					{ displayName: 'Credential Name', name: 'credential', type: 'string', default: '', description: 'Name of the channel credential (for the channel nodes)' },
					{ displayName: 'Name', name: 'name', type: 'string', default: '', placeholder: 'shopify' },
					{ displayName: 'Out-of-Stock Threshold', name: 'outOfStockThreshold', type: 'number', typeOptions: { minValue: 0 }, default: 0, description: 'Publish 0 when available ≤ this' },
					{ displayName: 'Place ID', name: 'placeId', type: 'string', default: '', description: 'Where the channel shows stock (empty: the sales location)' },
					{ displayName: 'Platform', name: 'platform', type: 'options', options: [{ name: 'Manual', value: 'manual' }, { name: 'Shopify', value: 'shopify' }, { name: 'WooCommerce', value: 'woocommerce' }], default: 'shopify' },
					{ displayName: 'Sales Location', name: 'salesLocation', type: 'string', default: '', description: 'The location web orders of this channel draw from' },
					{ displayName: 'Shop', name: 'shop', type: 'string', default: '', placeholder: 'x.myshopify.com', description: 'Lower-case host, as in the events (empty: any shop of this platform)' },
					{ displayName: 'Shows Locations', name: 'shows', type: 'string', default: '', description: 'Comma-separated location IDs summed for the place' },
				],
			},
		],
	},
	{
		displayName: 'Frozen SKUs',
		name: 'frozen',
		type: 'string',
		default: '',
		displayOptions: { show: { operation: ['profile'], profileAction: ['save'], profileMode: ['form'] } },
		description: 'Comma-separated SKUs never published',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		options: [
			{
				displayName: 'Event Field',
				name: 'eventField',
				type: 'string',
				default: '',
				displayOptions: { show: { '/operation': ['apply'] } },
				description: 'Field holding the event on each item (empty: the item itself, as the trigger emits it)',
			},
			{
				displayName: 'Result Field',
				name: 'resultField',
				type: 'string',
				default: 'ledger',
				description: 'Field the outcome is written to on each item',
			},
		],
	},
];
