import type {
	ICredentialDataDecryptedObject,
	ICredentialTestFunctions,
	ICredentialsDecrypted,
	INodeCredentialTestResult,
} from 'n8n-workflow';
import {
	ProbeError,
	bodyExcerpt,
	describeUnreachable,
	probe,
	statusLine,
	withoutSecrets,
	type ProbeAnswer,
} from './httpProbe';
import { DEFAULT_SHOPIFY_API_VERSION, shopifyBaseUrl, wooBaseUrl } from './urls';

/**
 * The Test buttons of the Shopify and WooCommerce credentials (`testedBy` on every node that lists them; a
 * declarative `test` cannot tell a wrong host from a wrong secret). Each makes the calls a run makes first —
 * Shopify: the client credentials grant when that is the way in, then `{ shop { name } }`; WooCommerce: one
 * product — and says which of these it is: cannot reach the host (name, port), TLS, the secret refused (which
 * field), wrong shop / path / API version (404), or any other status, shown as it came.
 */

type Result = INodeCredentialTestResult;
const ok = (message: string): Result => ({ status: 'OK', message });
const fail = (message: string): Result => ({ status: 'Error', message });

function readJsonValue(body: string): unknown {
	try {
		return JSON.parse(body) as unknown;
	} catch {
		return undefined;
	}
}

function readJson(body: string): Record<string, unknown> | undefined {
	const value = readJsonValue(body);
	return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Shopify

const SHOPIFY_SCOPES =
	'read_inventory, write_inventory, read_orders, read_products, read_locations';

/** What a Shopify answer other than 200 means, for the credential's fields. */
export function describeShopifyAnswer(
	answer: ProbeAnswer,
	step: { kind: 'grant' | 'graphql'; url: string; apiVersion: string; legacyToken: boolean },
): string {
	const status = statusLine(answer);
	const excerpt = bodyExcerpt(answer.body);
	if (step.kind === 'grant') {
		if (answer.status === 400 || answer.status === 401) {
			const error = readJson(answer.body)?.error;
			return `Shopify refused the client credentials grant (${status}${typeof error === 'string' ? `, ${error}` : ''}): check Client ID and Client Secret, and that the app is installed in this shop.`;
		}
		if (answer.status === 404)
			return `No Shopify token endpoint at ${step.url} (${status}): check Shop Domain (your-shop.myshopify.com).`;
		return `Shopify's token endpoint answered ${status}${excerpt ? `: ${excerpt}` : ''}.`;
	}
	if (answer.status === 401)
		return step.legacyToken
			? `Shopify refused the access token (${status}): check Admin API Access Token (shpat_…) and that it belongs to this shop.`
			: `Shopify refused the token of the client credentials grant (${status}): check that the app is installed in this shop (Client ID and Client Secret were accepted).`;
	if (answer.status === 403)
		return `Shopify answered ${status}: the token is valid but may not do this. Give the app the scopes ${SHOPIFY_SCOPES} and install it again.`;
	if (answer.status === 404)
		return `Shopify answered ${status} for ${step.url}: check Shop Domain and API Version (${step.apiVersion}; 2026-04 or later, in the form YYYY-MM).`;
	return `Shopify answered ${status}${excerpt ? `: ${excerpt}` : ''}.`;
}

async function shopifyTest(data: ICredentialDataDecryptedObject): Promise<Result> {
	const base = shopifyBaseUrl(String(data.shopDomain ?? ''));
	if (!String(data.shopDomain ?? '').trim()) return fail('Shop Domain is empty.');
	const apiVersion = String(data.apiVersion || DEFAULT_SHOPIFY_API_VERSION).trim();
	const legacyToken = data.authentication === 'accessToken';
	let token = String(data.accessToken ?? '');
	if (!legacyToken) {
		const url = `${base}/admin/oauth/access_token`;
		const answer = await probe({
			url,
			method: 'POST',
			headers: {
				'content-type': 'application/x-www-form-urlencoded',
				accept: 'application/json',
			},
			body: new URLSearchParams({
				client_id: String(data.clientId ?? ''),
				client_secret: String(data.clientSecret ?? ''),
				grant_type: 'client_credentials',
			}).toString(),
		});
		if (answer.status !== 200)
			return fail(describeShopifyAnswer(answer, { kind: 'grant', url, apiVersion, legacyToken }));
		const granted = readJson(answer.body)?.access_token;
		if (typeof granted !== 'string' || !granted)
			return fail(`Shopify's token answer from ${url} carried no access_token.`);
		token = granted;
	} else if (!token) return fail('Admin API Access Token is empty.');
	const url = `${base}/admin/api/${apiVersion}/graphql.json`;
	const answer = await probe({
		url,
		method: 'POST',
		headers: {
			'content-type': 'application/json',
			accept: 'application/json',
			'X-Shopify-Access-Token': token,
		},
		body: JSON.stringify({ query: 'query CredentialTest { shop { name myshopifyDomain } }' }),
	});
	if (answer.status !== 200)
		return fail(describeShopifyAnswer(answer, { kind: 'graphql', url, apiVersion, legacyToken }));
	const reply = readJson(answer.body) as
		| { data?: { shop?: { name?: string } }; errors?: Array<{ message?: string }> }
		| undefined;
	const problem = reply?.errors?.[0]?.message;
	if (problem || !reply?.data?.shop)
		return fail(`Shopify answered with an error: ${bodyExcerpt(problem ?? answer.body)}.`);
	return ok(`Connected to the Shopify shop ${String(reply.data.shop.name ?? '')}`.trim());
}

/**
 * Why the client credentials grant of a run (the credential's preAuthentication, through n8n's request helper)
 * failed, in the Test button's words. Reads only the error's code and status: the error itself carries the
 * request body, which holds the client secret.
 */
export function describeGrantFailure(error: unknown, base: string): string {
	const e = (error ?? {}) as {
		code?: unknown;
		cause?: { code?: unknown };
		httpCode?: unknown;
		statusCode?: unknown;
		response?: { status?: unknown; statusText?: unknown };
	};
	const status = Number(e.response?.status ?? e.httpCode ?? e.statusCode);
	const url = `${base}/admin/oauth/access_token`;
	if (Number.isInteger(status) && status > 0)
		return describeShopifyAnswer(
			{ status, statusText: String(e.response?.statusText ?? ''), body: '' },
			{ kind: 'grant', url, apiVersion: '', legacyToken: false },
		);
	const code = [e.code, e.cause?.code].find((c) => typeof c === 'string') as string | undefined;
	if (code) {
		const target = new URL(url);
		const tls = target.protocol === 'https:';
		return describeUnreachable(
			new ProbeError(
				code,
				{ host: target.hostname, port: Number(target.port) || (tls ? 443 : 80), tls },
				code,
			),
			'Shop Domain',
		);
	}
	return `Shopify's client credentials grant at ${url} failed: check Shop Domain, Client ID and Client Secret.`;
}

// ---------------------------------------------------------------------------------------------------------
// WooCommerce

/** What a WooCommerce answer other than 200 means, for the credential's fields. */
export function describeWooAnswer(answer: ProbeAnswer, apiUrl: string): string {
	const status = statusLine(answer);
	const reply = readJson(answer.body);
	const code = typeof reply?.code === 'string' ? reply.code : undefined;
	const said = typeof reply?.message === 'string' ? reply.message : bodyExcerpt(answer.body);
	const because = `${status}${code ? `, ${code}` : ''}${said ? `: ${said}` : ''}`;
	if (answer.status === 401) {
		if (code === 'woocommerce_rest_authentication_error' && /secret/i.test(said))
			return `WooCommerce refused the keys (${because}). Check Consumer Secret.`;
		return `WooCommerce refused the keys (${because}). Check Consumer Key and Consumer Secret (a key with Read or Read/Write permission, WooCommerce → Settings → Advanced → REST API), and that Site URL starts with https://.`;
	}
	if (answer.status === 403)
		return `WooCommerce answered ${because}. The key may lack permission, or a security plugin or firewall blocks /wp-json: check the key's permissions and the site's security settings.`;
	if (answer.status === 404)
		return `No WooCommerce REST API at ${apiUrl} (${because}). Check Site URL (the shop's home address), that WooCommerce is active, and that permalinks are not "Plain".`;
	return `WooCommerce answered ${because}.`;
}

async function wooTest(data: ICredentialDataDecryptedObject): Promise<Result> {
	const base = wooBaseUrl(String(data.siteUrl ?? ''));
	if (!base) return fail('Site URL is empty.');
	if (!/^https?:\/\//i.test(base))
		return fail(`Site URL must start with https:// (got ${bodyExcerpt(base, 80)}).`);
	if (!data.consumerKey || !data.consumerSecret)
		return fail('Consumer Key and Consumer Secret are both needed.');
	const apiUrl = `${base}/wp-json/wc/v3`;
	const basic = Buffer.from(`${String(data.consumerKey)}:${String(data.consumerSecret)}`).toString(
		'base64',
	);
	const answer = await probe({
		url: `${apiUrl}/products?per_page=1`,
		headers: { authorization: `Basic ${basic}`, accept: 'application/json' },
	});
	if (answer.status !== 200) return fail(describeWooAnswer(answer, apiUrl));
	if (!Array.isArray(readJsonValue(answer.body)))
		return fail(
			`${apiUrl}/products did not answer with a product list: is Site URL the WooCommerce site?`,
		);
	return ok(`Connected to the WooCommerce REST API at ${apiUrl}`);
}

// ---------------------------------------------------------------------------------------------------------

async function guarded(
	run: () => Promise<Result>,
	field: string,
	secrets: unknown[],
): Promise<Result> {
	try {
		const result = await run();
		return { ...result, message: withoutSecrets(result.message, secrets) };
	} catch (error) {
		if (error instanceof ProbeError)
			return fail(withoutSecrets(describeUnreachable(error, field), secrets));
		return fail(withoutSecrets(`The test failed: ${(error as Error).message}`, secrets));
	}
}

/** Test of the Shopify Inventory API credential (n8n calls it with the decrypted credential). */
export async function testShopifyCredential(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const data = credential.data ?? {};
	return await guarded(async () => await shopifyTest(data), 'Shop Domain', [
		data.clientSecret,
		data.accessToken,
		data.webhookSecret,
		data.previousWebhookSecret,
	]);
}

/** Test of the WooCommerce Inventory API credential. */
export async function testWooCommerceCredential(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const data = credential.data ?? {};
	return await guarded(async () => await wooTest(data), 'Site URL', [
		data.consumerSecret,
		data.consumerKey,
		data.webhookSecret,
		data.previousWebhookSecret,
	]);
}

/** `methods.credentialTest` entries of the nodes that list the platform credentials (`testedBy` names). */
export const platformCredentialTests = {
	async shopifyInventoryApiTest(
		this: ICredentialTestFunctions,
		credential: ICredentialsDecrypted,
	): Promise<INodeCredentialTestResult> {
		return await testShopifyCredential.call(this, credential);
	},
	async wooCommerceInventoryApiTest(
		this: ICredentialTestFunctions,
		credential: ICredentialsDecrypted,
	): Promise<INodeCredentialTestResult> {
		return await testWooCommerceCredential.call(this, credential);
	},
};
