import {
	NodeApiError,
	type IDataObject,
	type IExecuteFunctions,
	type IHookFunctions,
	type IHttpRequestMethods,
	type IHttpRequestOptions,
	type ITriggerFunctions,
	type IWebhookFunctions,
	type JsonObject,
} from 'n8n-workflow';
import { DEFAULT_SHOPIFY_API_VERSION, shopifyBaseUrl, wooBaseUrl } from './urls';

/**
 * The one-call helpers for the platform APIs, through n8n's authenticated request helper (so the Shopify
 * token refresh and credential handling are n8n's). Errors become NodeApiError built from the status and
 * the platform's own message only: never the request, which carries credentials.
 * The channel issue adds pacing, retries and the breaker in shared/retry.ts around these.
 */

export type ApiContext = IExecuteFunctions | IHookFunctions | IWebhookFunctions | ITriggerFunctions;

function platformError(ctx: ApiContext, platform: string, error: unknown): NodeApiError {
	const e = error as {
		httpCode?: string;
		message?: string;
		description?: string;
		response?: { status?: number };
	};
	const status = e?.httpCode ?? (e?.response?.status ? String(e.response.status) : undefined);
	const hint =
		status === '401' || status === '403'
			? 'the credential was refused: check the token or keys and the app scopes'
			: status === '404'
				? 'not found: check the shop domain / site URL and API version'
				: 'the request failed';
	return new NodeApiError(ctx.getNode(), { message: `${platform}: ${hint}` } as JsonObject, {
		message: `${platform} API error${status ? ` (HTTP ${status})` : ''}: ${hint}`,
		httpCode: status,
	});
}

export interface GraphqlResponse<T> {
	data?: T;
	errors?: Array<{ message: string; extensions?: { code?: string } }>;
	extensions?: IDataObject;
}

export async function shopifyGraphql<T>(
	ctx: ApiContext,
	query: string,
	variables: IDataObject = {},
): Promise<T> {
	const credentials = await ctx.getCredentials('shopifyInventoryApi');
	const base = shopifyBaseUrl(String(credentials.shopDomain ?? ''));
	const version = String(credentials.apiVersion || DEFAULT_SHOPIFY_API_VERSION);
	const options: IHttpRequestOptions = {
		method: 'POST',
		url: `${base}/admin/api/${version}/graphql.json`,
		body: { query, variables },
		json: true,
		timeout: 10_000,
	};
	let response: GraphqlResponse<T>;
	try {
		response = (await ctx.helpers.httpRequestWithAuthentication.call(
			ctx,
			'shopifyInventoryApi',
			options,
		)) as GraphqlResponse<T>;
	} catch (error) {
		throw platformError(ctx, 'Shopify', error);
	}
	if (response.errors?.length || !response.data) {
		const first = response.errors?.[0];
		throw new NodeApiError(ctx.getNode(), { message: first?.message ?? 'no data' } as JsonObject, {
			message: `Shopify GraphQL error: ${first?.message ?? 'no data'}${first?.extensions?.code ? ` (${first.extensions.code})` : ''}`,
		});
	}
	return response.data;
}

export async function wooRequest<T>(
	ctx: ApiContext,
	method: IHttpRequestMethods,
	path: string,
	body?: IDataObject,
	qs?: IDataObject,
): Promise<T> {
	const credentials = await ctx.getCredentials('wooCommerceInventoryApi');
	const options: IHttpRequestOptions = {
		method,
		url: `${wooBaseUrl(String(credentials.siteUrl ?? ''))}/wp-json/wc/v3${path}`,
		body,
		qs,
		json: true,
		timeout: 15_000,
	};
	try {
		return (await ctx.helpers.httpRequestWithAuthentication.call(
			ctx,
			'wooCommerceInventoryApi',
			options,
		)) as T;
	} catch (error) {
		throw platformError(ctx, 'WooCommerce', error);
	}
}
