import type { IAuthenticateGeneric, ICredentialType, INodeProperties } from 'n8n-workflow';

/**
 * WooCommerce REST API v3 access (consumer key and secret as HTTP Basic) and the webhook signing secrets.
 * Basic auth needs HTTPS: WooCommerce refuses it over plain HTTP, except that our local simulator accepts it
 * on loopback for tests. Tested by the nodes that list it (testedBy: nodes/shared/credentialTests.ts), which tell a
 * wrong host from refused keys.
 */
export class WooCommerceInventoryApi implements ICredentialType {
	name = 'wooCommerceInventoryApi';

	displayName = 'WooCommerce Inventory API';

	icon = 'file:wooCommerceInventory.svg' as const;

	documentationUrl = 'https://woocommerce.github.io/woocommerce-rest-api-docs/#authentication';

	properties: INodeProperties[] = [
		{
			displayName: 'Site URL',
			name: 'siteUrl',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'https://shop.example.com',
		},
		{
			displayName: 'Consumer Key',
			name: 'consumerKey',
			type: 'string',
			default: '',
		},
		{
			displayName: 'Consumer Secret',
			name: 'consumerSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
		},
		{
			displayName: 'Webhook Secret',
			name: 'webhookSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				'The secret WooCommerce signs deliveries with. The trigger registers its webhooks with this secret.',
		},
		{
			displayName: 'Previous Webhook Secret',
			name: 'previousWebhookSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				'During a secret rotation, deliveries signed with the previous secret are accepted too',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			auth: {
				username: '={{$credentials.consumerKey}}',
				password: '={{$credentials.consumerSecret}}',
			},
		},
	};
}
