import type {
	IDataObject,
	ILoadOptionsFunctions,
	INodeProperties,
	INodePropertyOptions,
} from 'n8n-workflow';
import { NoProfileError, loadProfile, saveProfile } from '../ledger';
import { LEDGER_OWNER, profileFromForm, type FormChannel, type FormLocation } from '../profile';
import type { LedgerRun } from './common';

/** Profile: read or save the sync profile (locations, channels, buffers, dry run); one result, on item 0. */

export const description: INodeProperties[] = [
	{
		displayName:
			"The easiest place to set up the profile is the First Sync template (workflows/first-sync.json in this package): it saves an example profile in dry run and reads your shops' stock. Execute step here inside the processing workflow first runs the Inventory Inbox Trigger, which waits for a delivery.",
		name: 'profileSetupNotice',
		type: 'notice',
		default: '',
		displayOptions: { show: { operation: ['profile'] } },
	},
	{
		displayName: 'Action',
		name: 'profileAction',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'Get', value: 'get', description: 'Return the stored profile and its version' },
			{
				name: 'Save',
				value: 'save',
				description: 'Validate and store the profile; a change marks the affected SKUs dirty',
			},
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
			{
				name: 'Form',
				value: 'form',
				description:
					'Fill in locations and shops field by field (each shop shows its stock in one place; per-SKU overrides need JSON)',
			},
			{
				name: 'JSON',
				value: 'json',
				description: 'The whole profile (overrides, several places per channel)',
			},
		],
		default: 'form',
		displayOptions: { show: { operation: ['profile'], profileAction: ['save'] } },
	},
	{
		displayName: 'Profile (JSON)',
		name: 'profileJson',
		type: 'json',
		default: '{\n  "dryRun": true,\n  "locations": [],\n  "channels": []\n}',
		displayOptions: {
			show: { operation: ['profile'], profileAction: ['save'], profileMode: ['json'] },
		},
		description:
			'The whole profile; see docs/ledger.md (Profile) for the format. A ledger location that a platform also lists (a warehouse Shopify shows as one of its locations) needs the platform location ID in its "aliases" list, e.g. "aliases": ["shopify:x.myshopify.com:123"].',
	},
	{
		displayName: 'Dry Run',
		name: 'dryRun',
		type: 'boolean',
		default: true,
		displayOptions: {
			show: { operation: ['profile'], profileAction: ['save'], profileMode: ['form'] },
		},
		description:
			'Whether to try the setup safely first: the ledger records everything and the channel nodes compute what they would send, but write nothing to the shops until you save the profile with Dry Run off',
	},
	{
		displayName: 'Locations',
		name: 'locations',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		default: {},
		placeholder: 'Add location',
		displayOptions: {
			show: { operation: ['profile'], profileAction: ['save'], profileMode: ['form'] },
		},
		description:
			'Every place that holds stock: your warehouse (ledger:warehouse) and each shop location that counts its own stock',
		options: [
			{
				displayName: 'Location',
				name: 'location',
				// Ordered as a merchant describes a location (what it is, who counts it, its other names).
				values: [
					{
						displayName: 'Location ID',
						name: 'id',
						type: 'string',
						default: '',
						required: true,
						placeholder: 'ledger:warehouse or shopify:your-shop.myshopify.com:1002',
						description:
							"For stock you count here: ledger: and a name of yours (ledger:warehouse). For a shop location: the platform's location ID as the webhooks carry it (shopify:your-shop.myshopify.com:1002, woocommerce:your-store.example.com:default).",
					},
					{
						// The list is the ledger and this form's own channel names, not remote IDs: n8n's "Name or ID"
						// wording would mislead.
						// eslint-disable-next-line n8n-nodes-base/node-param-display-name-wrong-for-dynamic-options
						displayName: 'Counted By',
						name: 'owner',
						type: 'options',
						typeOptions: {
							loadOptionsMethod: 'profileOwners',
							loadOptionsDependsOn: ['/channels'],
						},
						default: 'ledger',
						// eslint-disable-next-line n8n-nodes-base/node-param-description-wrong-for-dynamic-options
						description:
							"Whose number is the truth for this location: the ledger (you count it here, e.g. a warehouse) or the channel whose shop counts it (a shop's own store location). Choose from the list, or specify a channel name using an expression. The channels to choose from are the ones below.",
					},
					{
						displayName: 'Also Known As',
						name: 'aliases',
						type: 'string',
						default: '',
						placeholder: 'shopify:your-shop.myshopify.com:1001',
						description:
							"Comma-separated platform location IDs that are this same stock, e.g. the Shopify location that lists your ledger:warehouse. Orders and levels naming one of them count here; a shop's own figure there is only its observation.",
					},
					{
						displayName: 'Cover Shortfall From',
						name: 'coverShortfallFrom',
						type: 'string',
						default: '',
						placeholder: 'ledger:warehouse',
						description:
							'The location that ships what this one sells beyond its stock, e.g. the warehouse behind a store. Its shops then show that much less. Empty: none.',
					},
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
		displayOptions: {
			show: { operation: ['profile'], profileAction: ['save'], profileMode: ['form'] },
		},
		description: 'Each shop you sell in, with where it sells from and what stock it shows',
		options: [
			{
				displayName: 'Channel',
				name: 'channel',
				// Ordered as a merchant thinks (which shop → where it sells from → what it shows → buffer).
				// eslint-disable-next-line n8n-nodes-base/node-param-fixed-collection-type-unsorted-items
				values: [
					{
						displayName: 'Channel Name',
						name: 'name',
						type: 'string',
						default: '',
						required: true,
						placeholder: 'shopify',
						description:
							"A short name of your own for this shop (letters, digits, '.', '_', '-'), e.g. shopify. The Channel field of the Shopify and WooCommerce Inventory nodes uses the same name.",
					},
					{
						displayName: 'Platform',
						name: 'platform',
						type: 'options',
						options: [
							{ name: 'Shopify', value: 'shopify' },
							{ name: 'WooCommerce', value: 'woocommerce' },
							{
								name: 'Manual',
								value: 'manual',
								description: 'Stock you publish yourself (no webhooks), e.g. a marketplace feed',
							},
						],
						default: 'shopify',
						description: 'Where this shop runs',
					},
					{
						displayName: 'Shop Domain',
						name: 'shop',
						type: 'string',
						default: '',
						placeholder: 'your-shop.myshopify.com',
						description:
							"The shop's domain as its webhooks name it, lower-case (your-shop.myshopify.com, your-store.example.com). Empty: any shop of this platform.",
					},
					{
						displayName: 'Credential Name',
						name: 'credential',
						type: 'string',
						default: '',
						description:
							'Optional, for your notes: the n8n credential the channel nodes use for this shop. The ledger does not use it.',
					},
					{
						displayName: 'Sells From',
						name: 'salesLocation',
						type: 'string',
						default: '',
						required: true,
						placeholder: 'ledger:warehouse',
						description:
							"The location this shop's online orders take stock from: a Location ID above (or one of its Also Known As IDs)",
					},
					{
						displayName: 'Shows Stock At',
						name: 'placeId',
						type: 'string',
						default: '',
						placeholder: 'shopify:your-shop.myshopify.com:1001',
						description:
							'The platform location where this shop displays the stock it may sell (shopify:your-shop.myshopify.com:1001, woocommerce:your-store.example.com:default). Empty: the Sells From location.',
					},
					{
						displayName: 'Stock It May Sell',
						name: 'shows',
						type: 'string',
						default: '',
						required: true,
						placeholder: 'ledger:warehouse',
						description:
							'Comma-separated Location IDs whose stock this shop displays, added up, e.g. ledger:warehouse, shopify:your-shop.myshopify.com:1002. Must include Sells From.',
					},
					{
						displayName: 'Safety Buffer Type',
						name: 'bufferType',
						type: 'options',
						options: [
							{ name: 'Fixed Units', value: 'fixed' },
							{ name: 'Percent (Rounded Up)', value: 'percent' },
						],
						default: 'fixed',
						description:
							'Units held back from what this shop shows, so two shops cannot both sell the last ones',
					},
					{
						displayName: 'Safety Buffer',
						name: 'bufferValue',
						type: 'number',
						typeOptions: { minValue: 0 },
						default: 0,
						description:
							'How many units (Fixed Units), or what percent of the stock shown (Percent)',
					},
					{
						displayName: 'Sales-Rate Reserve (Seconds)',
						name: 'salesRateSeconds',
						type: 'number',
						typeOptions: { minValue: 0, maxValue: 3600 },
						default: 0,
						description:
							'Also hold back what a SKU sells in this many seconds at its recent rate over all shops, so fast sales in flight on two shops cannot oversell. Set it to your sync lag p99 (the Health operation shows it). 0: off.',
					},
					{
						displayName: 'Show at Most',
						name: 'cap',
						type: 'number',
						typeOptions: { minValue: -1, numberPrecision: 0 },
						default: -1,
						description:
							'Never show more than this many units, however many there are (-1: no limit)',
					},
					{
						displayName: 'Out-of-Stock Threshold',
						name: 'outOfStockThreshold',
						type: 'number',
						typeOptions: { minValue: 0, numberPrecision: 0 },
						default: 0,
						description: 'Show 0 once the available stock is at or below this',
					},
				],
			},
		],
	},
	{
		displayName: 'Frozen SKUs',
		name: 'frozen',
		type: 'string',
		default: '',
		displayOptions: {
			show: { operation: ['profile'], profileAction: ['save'], profileMode: ['form'] },
		},
		description: 'Comma-separated SKUs never sent to the shops (their sales are still recorded)',
	},
];

/**
 * The choices of a location's Counted By: the ledger, then the channels entered in this same form (their names
 * are the owner values a profile stores). A name typed before its channel exists still shows, as itself.
 */
export async function profileOwners(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const form = (this.getCurrentNodeParameter('channels') ?? {}) as { channel?: FormChannel[] };
	const names = [...new Set((form.channel ?? []).map((c) => (c.name ?? '').trim()))].filter(
		(name) => name && name !== LEDGER_OWNER,
	);
	return [
		{
			name: 'The Ledger (Counted Here)',
			value: LEDGER_OWNER,
			description: 'You count this stock with this package, e.g. a warehouse',
		},
		...names.map((name) => ({
			name: `Channel ${name}`,
			value: name,
			description: `The shop of channel ${name} counts this stock`,
		})),
	];
}

export async function execute(run: LedgerRun): Promise<void> {
	const { ctx, redis, prefix, field } = run;
	const action = ctx.getNodeParameter('profileAction', 0, 'get') as string;
	const base = run.items[0] ?? { json: {} };
	if (action === 'save') {
		const mode = ctx.getNodeParameter('profileMode', 0, 'form') as string;
		let input: unknown;
		if (mode === 'json') input = ctx.getNodeParameter('profileJson', 0);
		else {
			const locations =
				(ctx.getNodeParameter('locations', 0, {}) as { location?: FormLocation[] }).location ?? [];
			const channels =
				(ctx.getNodeParameter('channels', 0, {}) as { channel?: FormChannel[] }).channel ?? [];
			input = profileFromForm({
				dryRun: ctx.getNodeParameter('dryRun', 0, true) as boolean,
				locations,
				channels,
				frozen: ctx.getNodeParameter('frozen', 0, '') as string,
			});
		}
		const saved = await saveProfile(redis, prefix, input);
		if (saved.conflict) throw new Error('The profile changed while saving: run again');
		run.out.put(0, base, 0, field, {
			saved: saved.saved,
			version: saved.version,
			affectedChannels: saved.affectedChannels,
			markedSkus: saved.markedSkus,
			dryRun: saved.profile.dryRun,
			profile: saved.profile as unknown as IDataObject,
		});
	} else {
		const loaded = await loadProfile(redis, prefix, true);
		if (!loaded) throw new NoProfileError();
		run.out.put(0, base, 0, field, {
			version: Number(loaded.version),
			updatedAt: loaded.updatedAt ?? null,
			dryRun: loaded.index.profile.dryRun,
			profile: loaded.index.profile as unknown as IDataObject,
		});
	}
}
