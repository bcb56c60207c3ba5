import http from 'node:http';
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

/** Keep-alive connections, as n8n's request helper keeps them (one per simulator, reused). */
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

/** One HTTP request over node:http (the simulators are plain HTTP on loopback). */
function send(
	url: URL,
	method: string,
	headers: Record<string, string>,
	body: string | undefined,
	timeoutMs: number,
): Promise<{ status: number; headers: Record<string, string>; text: string }> {
	return new Promise((resolve, reject) => {
		const request = http.request(
			url,
			{
				method,
				headers:
					body === undefined
						? headers
						: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
				agent,
				timeout: timeoutMs,
			},
			(response) => {
				const chunks: Buffer[] = [];
				response.on('data', (c: Buffer) => chunks.push(c));
				response.on('error', reject);
				response.on('end', () => {
					const responseHeaders: Record<string, string> = {};
					for (const [k, v] of Object.entries(response.headers))
						if (v !== undefined) responseHeaders[k] = Array.isArray(v) ? v.join(', ') : v;
					resolve({
						status: response.statusCode ?? 0,
						headers: responseHeaders,
						text: Buffer.concat(chunks).toString('utf8'),
					});
				});
			},
		);
		request.on('timeout', () =>
			request.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })),
		);
		request.on('error', reject);
		request.end(body);
	});
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
		const response = await send(
			url,
			req.method ?? 'GET',
			headers,
			body,
			Number(req.timeout ?? 30_000),
		);
		const text = response.text;
		// As n8n's helper: `encoding: 'text'` hands the body over as text (the caller parses it, e.g. exactly).
		let parsed: unknown = text;
		if (req.encoding !== 'text') {
			try {
				parsed = text ? JSON.parse(text) : undefined;
			} catch {
				parsed = text;
			}
		}
		const responseHeaders = response.headers;
		if ((response.status < 200 || response.status >= 300) && !req.ignoreHttpStatusErrors)
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
