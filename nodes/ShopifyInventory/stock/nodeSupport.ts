import type { IExecuteFunctions } from 'n8n-workflow';
import { loadProfile } from '../../InventoryLedger/ledger/profileStore';
import type { ShopifyChannel } from '../actions/common';
import { SHOPIFY_CREDENTIAL } from '../transport/graphqlClient';

/** What Publish and Adjust need beyond the channel: the shop the map is keyed by, secrets, lease settings. */

/**
 * The shop the SKU map is keyed by: the profile channel's `shop` (what the trigger's events name it), else the
 * credential's host.
 */
export async function channelShop(ch: ShopifyChannel): Promise<string> {
	const loaded = await loadProfile(ch.redis, ch.prefix, true);
	const channel = loaded?.index.profile.channels.find((c) => c.name === ch.channel);
	return channel?.shop || ch.endpoint.shop;
}

/** The credential's secret values, scrubbed from anything stored (dead letters). */
export async function credentialSecrets(ctx: IExecuteFunctions): Promise<string[]> {
	const c = await ctx.getCredentials(SHOPIFY_CREDENTIAL);
	return ['accessToken', 'clientSecret', 'sessionToken', 'webhookSecret', 'previousWebhookSecret']
		.map((name) => c[name])
		.filter((v): v is string => typeof v === 'string' && v.length > 0);
}

export { leaseFromOptions } from '../../shared/channel/runOptions';
