import type {
	IAuthenticateGeneric,
	ICredentialDataDecryptedObject,
	ICredentialType,
	IHttpRequestHelper,
	INodeProperties,
} from 'n8n-workflow';
import { describeGrantFailure } from '../nodes/shared/credentialTests';
import { DEFAULT_SHOPIFY_API_VERSION, shopifyBaseUrl } from '../nodes/shared/urls';

/**
 * Shopify Admin API access for the inventory nodes, and the webhook signing secrets. Tested by the nodes that
 * list it (testedBy: nodes/shared/credentialTests.ts), which tell a wrong host from a refused secret.
 * Two ways in (platform-facts "Authentication"): a legacy custom app's permanent Admin API token, or a Dev
 * Dashboard app's client id and secret, exchanged for a 24-hour token by the client credentials grant. n8n
 * refreshes that token through preAuthentication when it is empty or a request answers 401.
 */
export class ShopifyInventoryApi implements ICredentialType {
	name = 'shopifyInventoryApi';

	displayName = 'Shopify Inventory API';

	icon = 'file:shopifyInventory.svg' as const;

	documentationUrl =
		'https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/client-credentials';

	properties: INodeProperties[] = [
		{
			displayName: 'Shop Domain',
			name: 'shopDomain',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'my-shop.myshopify.com',
			description:
				'The myshopify.com domain of the shop (or the shop name). A full http:// URL is accepted for a local simulator or proxy.',
		},
		{
			displayName: 'Authentication',
			name: 'authentication',
			type: 'options',
			options: [
				{
					name: 'Client Credentials (Dev Dashboard App)',
					value: 'clientCredentials',
					description:
						'Client ID and secret; the 24-hour access token is fetched and refreshed automatically',
				},
				{
					name: 'Admin API Access Token (Legacy Custom App)',
					value: 'accessToken',
					description: 'A permanent shpat_… token of a custom app created in the Shopify admin',
				},
			],
			default: 'clientCredentials',
		},
		{
			displayName: 'Client ID',
			name: 'clientId',
			type: 'string',
			default: '',
			displayOptions: { show: { authentication: ['clientCredentials'] } },
		},
		{
			displayName: 'Client Secret',
			name: 'clientSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'Also the key Shopify signs webhooks with, unless Webhook Secret is set',
			displayOptions: { show: { authentication: ['clientCredentials'] } },
		},
		{
			displayName: 'Admin API Access Token',
			name: 'accessToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			displayOptions: { show: { authentication: ['accessToken'] } },
		},
		{
			displayName: 'Session Token',
			name: 'sessionToken',
			type: 'hidden',
			typeOptions: { expirable: true, password: true },
			default: '',
		},
		{
			displayName: 'API Version',
			name: 'apiVersion',
			type: 'string',
			default: DEFAULT_SHOPIFY_API_VERSION,
			description: 'Admin API version, e.g. 2026-10 (2026-04 or later)',
		},
		{
			displayName: 'Webhook Secret',
			name: 'webhookSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				"The app's client secret (API secret key) Shopify signs webhooks with. Empty: the Client Secret above is used.",
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

	async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject) {
		if (credentials.authentication !== 'clientCredentials') {
			// Legacy tokens never expire; the hidden field only has to be non-empty so n8n stops asking.
			return { sessionToken: 'legacy-token' };
		}
		const base = shopifyBaseUrl(String(credentials.shopDomain ?? ''));
		let response: { access_token?: string };
		try {
			response = (await this.helpers.httpRequest({
				method: 'POST',
				url: `${base}/admin/oauth/access_token`,
				headers: {
					'content-type': 'application/x-www-form-urlencoded',
					accept: 'application/json',
				},
				body: new URLSearchParams({
					client_id: String(credentials.clientId ?? ''),
					client_secret: String(credentials.clientSecret ?? ''),
					grant_type: 'client_credentials',
				}).toString(),
				json: false,
			})) as { access_token?: string };
			if (typeof response === 'string')
				response = JSON.parse(response) as { access_token?: string };
		} catch (error) {
			// Never the error itself: it carries the request body, which holds the client secret.
			throw new Error(describeGrantFailure(error, base));
		}
		if (!response?.access_token) {
			throw new Error(`Shopify's token answer for ${base} carried no access_token`);
		}
		return { sessionToken: response.access_token };
	}

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: {
				'X-Shopify-Access-Token':
					'={{$credentials.authentication === "accessToken" ? $credentials.accessToken : $credentials.sessionToken}}',
			},
		},
	};
}
