import type { IDataObject, INodeProperties } from 'n8n-workflow';
import { NoProfileError, loadProfile, saveProfile } from '../ledger';
import { profileFromForm, type FormChannel, type FormLocation } from '../profile';
import type { LedgerRun } from './common';

/** Profile: read or save the sync profile (locations, channels, buffers, dry run); one result, on item 0. */

export const description: INodeProperties[] = [
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
				description: 'Locations and channels with one display place each, no overrides',
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
			'Whether channel nodes only compute and report (write nothing) until you switch the profile live',
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
					{
						displayName: 'ID',
						name: 'id',
						type: 'string',
						default: '',
						placeholder: 'shopify:x.myshopify.com:123 or ledger:warehouse',
						description: 'Location ID as the events carry it',
					},
					{
						displayName: 'Owner',
						name: 'owner',
						type: 'string',
						default: 'ledger',
						description: "'ledger' or the name of the channel whose number is the truth here",
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
		options: [
			{
				displayName: 'Channel',
				name: 'channel',
				values: [
					{
						displayName: 'Buffer Type',
						name: 'bufferType',
						type: 'options',
						options: [
							{ name: 'Fixed Units', value: 'fixed' },
							{ name: 'Percent (Rounded Up)', value: 'percent' },
						],
						default: 'fixed',
					},
					{
						displayName: 'Buffer Value',
						name: 'bufferValue',
						type: 'number',
						typeOptions: { minValue: 0 },
						default: 0,
					},
					{
						displayName: 'Cap',
						name: 'cap',
						type: 'number',
						default: -1,
						description: 'Show at most this many (-1: no cap)',
					},
					{
						displayName: 'Credential Name',
						name: 'credential',
						type: 'string',
						default: '',
						description: 'Name of the channel credential (for the channel nodes)',
					},
					{
						displayName: 'Name',
						name: 'name',
						type: 'string',
						default: '',
						placeholder: 'shopify',
					},
					{
						displayName: 'Out-of-Stock Threshold',
						name: 'outOfStockThreshold',
						type: 'number',
						typeOptions: { minValue: 0 },
						default: 0,
						description: 'Publish 0 when available ≤ this',
					},
					{
						displayName: 'Place ID',
						name: 'placeId',
						type: 'string',
						default: '',
						description: 'Where the channel shows stock (empty: the sales location)',
					},
					{
						displayName: 'Platform',
						name: 'platform',
						type: 'options',
						options: [
							{ name: 'Manual', value: 'manual' },
							{ name: 'Shopify', value: 'shopify' },
							{ name: 'WooCommerce', value: 'woocommerce' },
						],
						default: 'shopify',
					},
					{
						displayName: 'Sales Location',
						name: 'salesLocation',
						type: 'string',
						default: '',
						description: 'The location web orders of this channel draw from',
					},
					{
						displayName: 'Shop',
						name: 'shop',
						type: 'string',
						default: '',
						placeholder: 'x.myshopify.com',
						description: 'Lower-case host, as in the events (empty: any shop of this platform)',
					},
					{
						displayName: 'Shows Locations',
						name: 'shows',
						type: 'string',
						default: '',
						description: 'Comma-separated location IDs summed for the place',
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
		description: 'Comma-separated SKUs never published',
	},
];

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
