import type { IDataObject, IHttpRequestOptions } from 'n8n-workflow';

/**
 * A node context for integration tests that call the channel code outside n8n: `getCredentials` returns the
 * given credential data, and `helpers.httpRequestWithAuthentication` makes the real HTTP request to the
 * simulator with the credential's authentication applied as n8n's `authenticate` blocks define it (Shopify:
 * the X-Shopify-Access-Token header; WooCommerce: Basic auth). A non-2xx answer throws what the retry policy
 * classifies: `{ status, headers, body }`. The real n8n paths (token refresh, expressions) are covered by the
 * e2e tests.
 */

export interface TestApiContextOptions {
	shopify?: IDataObject;
	woocommerce?: IDataObject;
	/** Counts every request made (by credential type). */
	calls?: Record<string, number>;
}

export function testApiContext(options: TestApiContextOptions) {
	const credentials: Record<string, IDataObject | undefined> = {
		shopifyInventoryApi: options.shopify,
		wooCommerceInventoryApi: options.woocommerce,
	};
	const node = {
		id: 'test',
		name: 'Test Node',
		type: 'test',
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
	};
	const request = async (type: string, req: IHttpRequestOptions): Promise<unknown> => {
		const cred = credentials[type];
		if (!cred) throw new Error(`no ${type} credential in this test context`);
		if (options.calls) options.calls[type] = (options.calls[type] ?? 0) + 1;
		const headers: Record<string, string> = {
			accept: 'application/json',
			...((req.headers as Record<string, string>) ?? {}),
		};
		if (type === 'shopifyInventoryApi')
			headers['x-shopify-access-token'] = String(cred.accessToken ?? cred.sessionToken ?? '');
		else
			headers.authorization = `Basic ${Buffer.from(`${String(cred.consumerKey)}:${String(cred.consumerSecret)}`).toString('base64')}`;
		const url = new URL(String(req.url));
		for (const [k, v] of Object.entries((req.qs as IDataObject) ?? {}))
			if (v !== undefined) url.searchParams.set(k, String(v));
		let body: string | undefined;
		if (req.body !== undefined && req.method !== 'GET') {
			body = JSON.stringify(req.body);
			headers['content-type'] = 'application/json';
		}
		const response = await fetch(url, {
			method: req.method ?? 'GET',
			headers,
			body,
			signal: AbortSignal.timeout(Number(req.timeout ?? 30_000)),
		});
		const text = await response.text();
		let parsed: unknown = text;
		try {
			parsed = text ? JSON.parse(text) : undefined;
		} catch {
			parsed = text;
		}
		const responseHeaders: Record<string, string> = {};
		response.headers.forEach((v, k) => (responseHeaders[k] = v));
		if (!response.ok && !req.ignoreHttpStatusErrors)
			throw { status: response.status, headers: responseHeaders, body: parsed };
		if (req.returnFullResponse)
			return { statusCode: response.status, headers: responseHeaders, body: parsed };
		return parsed;
	};
	const ctx = {
		getNode: () => node,
		getCredentials: async (type: string) => {
			const cred = credentials[type];
			if (!cred) throw new Error(`no ${type} credential in this test context`);
			return cred;
		},
		helpers: {
			httpRequestWithAuthentication: async function (type: string, req: IHttpRequestOptions) {
				return await request(type, req);
			},
			httpRequest: async (req: IHttpRequestOptions) => {
				const response = await fetch(String(req.url));
				return await response.text();
			},
		},
	};
	// The channel code takes an n8n context; only the members above are used.
	return ctx as unknown as import('n8n-workflow').IExecuteFunctions;
}
