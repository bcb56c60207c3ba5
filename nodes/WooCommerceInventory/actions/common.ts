import type Redis from 'ioredis';
import {
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
} from 'n8n-workflow';
import type { Channel } from '../../InventoryLedger/profile';
import { loadProfile } from '../../InventoryLedger/ledger/profileStore';
import type { ChannelRun } from '../../shared/channel/callPolicy';
import { WooRequestPacer } from '../../shared/channel/sharedPace';
import type { PacePriority } from '../../shared/pacing';
import type { NodeContext } from '../../shared/nodeKit';
import {
	WooRestClient,
	wooRun,
	type ChannelRunOptions,
	type HttpSender,
} from '../transport/restClient';

/**
 * What every WooCommerce Inventory operation starts from: the channel (its name in the profile, its shop),
 * the Redis connection, the channel run (deadline from Time Budget, breaker settings, cancel signal) and the
 * REST client. The operations work once per execution: input items are only the signal.
 */

export type WooContext = NodeContext &
	Pick<IExecuteFunctions, 'helpers'> &
	Partial<Pick<IExecuteFunctions, 'getExecutionCancelSignal'>>;

export interface WooChannel {
	readonly ctx: WooContext;
	readonly redis: Redis;
	readonly prefix: string;
	/** The channel's name in the profile. */
	readonly channel: string;
	/** The shop as events and the SKU map name it: the profile channel's shop, else the site's host. */
	readonly shop: string;
	/** The profile's channel (undefined for Subscriptions run before any profile exists). */
	readonly profileChannel?: Channel;
	readonly options: IDataObject;
	readonly run: ChannelRun;
	readonly client: WooRestClient;
	/** Credential values scrubbed from dead letters. */
	readonly secrets: string[];
	readonly webhookSecret: string;
	/** Result items of the first output. */
	readonly out: INodeExecutionData[];
}

export interface OpenInput {
	readonly ctx: WooContext;
	readonly redis: Redis;
	readonly prefix: string;
	readonly siteUrl: string;
	readonly secrets: string[];
	readonly webhookSecret: string;
	readonly sender: HttpSender;
	readonly options: IDataObject;
	/** Subscriptions need no profile. */
	readonly profileRequired: boolean;
	readonly now?: () => number;
	readonly sleep?: ChannelRun['sleep'];
	/** 'background': the run's requests yield the store's slots to stock writes (callPolicy.ts). */
	readonly priority?: PacePriority;
}

export async function openWooChannel(input: OpenInput): Promise<WooChannel> {
	const { ctx } = input;
	const node = ctx.getNode();
	const channel = String(ctx.getNodeParameter('channel', 0, '') ?? '').trim();
	if (!channel)
		throw new NodeOperationError(node, 'Channel is empty', {
			description: "Set Channel to the WooCommerce channel's name in the ledger profile",
		});
	if (!input.siteUrl)
		throw new NodeOperationError(node, 'The WooCommerce Inventory API credential has no Site URL', {
			description: 'Set the Site URL, e.g. https://shop.example.com',
		});
	const client = new WooRestClient(input.sender, input.siteUrl);
	const loaded = await loadProfile(input.redis, input.prefix);
	const profileChannel = loaded?.index.profile.channels.find((c) => c.name === channel);
	if (input.profileRequired) {
		if (!loaded)
			throw new NodeOperationError(node, 'No sync profile is saved', {
				description:
					'Add an Inventory Ledger node with Operation = Profile, Action = Save, and run it once.',
			});
		if (!profileChannel)
			throw new NodeOperationError(node, `Channel '${channel}' is not in the sync profile`, {
				description: `The profile's channels: ${loaded.index.profile.channels.map((c) => c.name).join(', ') || 'none'}`,
			});
		if (profileChannel.platform !== 'woocommerce')
			throw new NodeOperationError(
				node,
				`Channel '${channel}' is a ${profileChannel.platform} channel, not a WooCommerce one`,
			);
	}
	let signal: AbortSignal | undefined;
	try {
		signal = ctx.getExecutionCancelSignal?.();
	} catch {
		signal = undefined;
	}
	const opened = wooRun({
		redis: input.redis,
		prefix: input.prefix,
		channel,
		options: input.options as ChannelRunOptions,
		signal,
		now: input.now,
		sleep: input.sleep,
		pacer: new WooRequestPacer(
			input.redis,
			input.prefix,
			client.shop,
			numberOption(input.options, 'maxRequestsPerSecond', 0),
		),
	});
	const run = input.priority === 'background' ? { ...opened, priority: input.priority } : opened;
	return {
		ctx,
		redis: input.redis,
		prefix: input.prefix,
		channel,
		shop: profileChannel?.shop || client.shop,
		profileChannel,
		options: input.options,
		run,
		client,
		secrets: input.secrets,
		webhookSecret: input.webhookSecret,
		out: [],
	};
}

/** A result item of the run (paired with the first input item, the run's signal). */
export function emit(ch: WooChannel, json: IDataObject): void {
	const paired = ch.ctx.getInputData().length > 0 ? { pairedItem: { item: 0 } } : {};
	ch.out.push({ json, ...paired });
}

/** A number option, or the fallback when unset or not positive. */
export function numberOption(options: IDataObject, name: string, fallback: number): number {
	const value = options[name];
	return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : fallback;
}
