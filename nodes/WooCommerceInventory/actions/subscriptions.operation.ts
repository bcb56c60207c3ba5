import { NodeOperationError, type INodeProperties } from 'n8n-workflow';
import { WOOCOMMERCE_TOPICS } from '../../shared/events';
import { ensureWebhooks } from '../subscriptions';
import { PLACEHOLDER_URL_HELP, isTemplatePlaceholderUrl } from '../../shared/placeholderUrl';
import { emit, type WooChannel } from './common';

/**
 * Subscriptions: one active webhook per topic to the Delivery URL — found, re-activated (WooCommerce disables
 * a webhook after repeated failed deliveries) or created with the credential's Webhook Secret.
 */

export const description: INodeProperties[] = [
	{
		displayName: 'Delivery URL',
		name: 'deliveryUrl',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'https://n8n.example.com/webhook/…/woocommerce',
		displayOptions: { show: { operation: ['subscriptions'] } },
		description:
			"Where WooCommerce delivers: the Inventory Webhook Trigger's production URL or the Inventory Receiver's public URL for this shop",
	},
	{
		displayName: 'Topics',
		name: 'topics',
		type: 'multiOptions',
		default: [...WOOCOMMERCE_TOPICS],
		displayOptions: { show: { operation: ['subscriptions'] } },
		options: WOOCOMMERCE_TOPICS.map((t) => ({ name: t, value: t })),
		description: 'The webhooks to keep active',
	},
];

export async function execute(ch: WooChannel): Promise<void> {
	const node = ch.ctx.getNode();
	const deliveryUrl = String(ch.ctx.getNodeParameter('deliveryUrl', 0, '') ?? '').trim();
	let parsed: URL | undefined;
	try {
		parsed = new URL(deliveryUrl);
	} catch {
		parsed = undefined;
	}
	if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:'))
		throw new NodeOperationError(node, `Delivery URL '${deliveryUrl}' is not an http(s) URL`, {
			description: 'Give the full public address WooCommerce should deliver to',
		});
	if (isTemplatePlaceholderUrl(deliveryUrl))
		throw new NodeOperationError(node, "Delivery URL is still the template's example address", {
			description: PLACEHOLDER_URL_HELP,
		});
	const topics = (ch.ctx.getNodeParameter('topics', 0, [...WOOCOMMERCE_TOPICS]) as string[]) ?? [];
	const report = await ensureWebhooks(ch.run, ch.client, {
		deliveryUrl,
		topics,
		secret: ch.webhookSecret,
	});
	emit(ch, { operation: 'subscriptions', ...report });
}
