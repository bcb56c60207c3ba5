/**
 * The credentials' Test buttons (issue 21) against the simulators, a closed port, a name that does not
 * resolve, a self-signed HTTPS server and Redis servers of the test's own: each failure is told apart — the
 * host cannot be reached (name, port), TLS, the secret refused (which field), wrong shop / path / API version
 * (404), any other status (shown) — and no message carries a secret.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
	ICredentialDataDecryptedObject,
	ICredentialTestFunctions,
	INodeCredentialTestResult,
} from 'n8n-workflow';
import {
	testShopifyCredential,
	testWooCommerceCredential,
} from '../../nodes/shared/credentialTests';
import {
	closeAllRedis,
	credentialFromData,
	getRedis,
	logRedisWarningsOnce,
	testRedisCredential,
} from '../../nodes/shared/redis';
import { ShopifySimulator } from '../simulators/shopify';
import { WooCommerceSimulator } from '../simulators/woocommerce';
import { OwnRedis, freePort } from '../support';

jest.setTimeout(60_000);

const secret = () => randomBytes(12).toString('hex');
const SHOPIFY = { token: `shpat_${secret()}`, clientId: secret(), clientSecret: secret() };
const WOO = { key: `ck_${secret()}`, secret: `cs_${secret()}` };

let shopify: ShopifySimulator;
let woo: WooCommerceSimulator;
let closedPort: number;
let tlsDir: string;
let tlsServer: https.Server;
let tlsPort: number;

const context = {} as ICredentialTestFunctions;
const credential = (type: string, data: ICredentialDataDecryptedObject) => ({
	id: 'c',
	name: 'test',
	type,
	data,
});

async function testShopify(
	data: ICredentialDataDecryptedObject,
): Promise<INodeCredentialTestResult> {
	const result = await testShopifyCredential.call(
		context,
		credential('shopifyInventoryApi', {
			shopDomain: shopify.baseUrl,
			authentication: 'accessToken',
			accessToken: SHOPIFY.token,
			apiVersion: '2026-10',
			...data,
		}),
	);
	for (const s of [SHOPIFY.token, SHOPIFY.clientSecret, 'wrong-secret-text'])
		expect(result.message).not.toContain(s);
	return result;
}

async function testWoo(data: ICredentialDataDecryptedObject): Promise<INodeCredentialTestResult> {
	const result = await testWooCommerceCredential.call(
		context,
		credential('wooCommerceInventoryApi', {
			siteUrl: woo.baseUrl,
			consumerKey: WOO.key,
			consumerSecret: WOO.secret,
			...data,
		}),
	);
	for (const s of [WOO.secret, 'cs_wrong-secret-text']) expect(result.message).not.toContain(s);
	return result;
}

beforeAll(async () => {
	shopify = new ShopifySimulator({
		webhookSecret: secret(),
		accessToken: SHOPIFY.token,
		clientId: SHOPIFY.clientId,
		clientSecret: SHOPIFY.clientSecret,
	});
	await shopify.start();
	woo = new WooCommerceSimulator({ consumerKey: WOO.key, consumerSecret: WOO.secret });
	await woo.start();
	closedPort = await freePort();
	// A self-signed HTTPS server: what a shop behind a private certificate looks like to n8n.
	tlsDir = mkdtempSync(join(tmpdir(), 'cred-tls-'));
	execFileSync(
		'openssl',
		[
			'req',
			'-x509',
			'-newkey',
			'rsa:2048',
			'-nodes',
			'-days',
			'1',
			'-keyout',
			join(tlsDir, 'key.pem'),
			'-out',
			join(tlsDir, 'cert.pem'),
			'-subj',
			'/CN=127.0.0.1',
		],
		{ stdio: 'ignore' },
	);
	tlsServer = https.createServer(
		{ key: readFileSync(join(tlsDir, 'key.pem')), cert: readFileSync(join(tlsDir, 'cert.pem')) },
		(_req, res) => res.end('{}'),
	);
	tlsPort = await new Promise<number>((resolve) =>
		tlsServer.listen(0, '127.0.0.1', () => resolve((tlsServer.address() as { port: number }).port)),
	);
});

afterAll(async () => {
	await shopify?.stop();
	await woo?.stop();
	await new Promise((resolve) => tlsServer?.close(resolve));
	rmSync(tlsDir, { recursive: true, force: true });
	await closeAllRedis();
});

describe('Shopify Inventory API', () => {
	it('passes with the legacy token and with the client credentials grant', async () => {
		expect(await testShopify({})).toMatchObject({ status: 'OK' });
		expect(
			await testShopify({
				authentication: 'clientCredentials',
				clientId: SHOPIFY.clientId,
				clientSecret: SHOPIFY.clientSecret,
			}),
		).toMatchObject({ status: 'OK' });
	});

	it('a refused token: 401, names Admin API Access Token', async () => {
		const result = await testShopify({ accessToken: 'shpat_wrong-secret-text' });
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/refused the access token \(HTTP 401/);
		expect(result.message).toContain('Admin API Access Token');
	});

	it('a refused client secret: the grant, with its status and error, names Client ID and Client Secret', async () => {
		const result = await testShopify({
			authentication: 'clientCredentials',
			clientId: SHOPIFY.clientId,
			clientSecret: 'wrong-secret-text',
		});
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/client credentials grant \(HTTP 400.*invalid_client\)/);
		expect(result.message).toContain('Client ID and Client Secret');
	});

	it('a wrong API version: 404, names Shop Domain and API Version', async () => {
		const result = await testShopify({ apiVersion: '2026-13' });
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/HTTP 404/);
		expect(result.message).toMatch(/Shop Domain and API Version \(2026-13/);
	});

	it('any other status is shown as it came', async () => {
		shopify.failNext(1, 503);
		const result = await testShopify({});
		expect(result).toMatchObject({ status: 'Error' });
		expect(result.message).toMatch(/^Shopify answered HTTP 503 Service Unavailable/);
	});

	it('a closed port: cannot reach host:port, connection refused — not the secret', async () => {
		const result = await testShopify({ shopDomain: `http://127.0.0.1:${closedPort}` });
		expect(result.message).toBe(
			`Cannot reach 127.0.0.1:${closedPort}: connection refused, nothing listens there. Check Shop Domain and its port.`,
		);
		// Same for the grant: the client secret is not blamed for a host that is not there.
		const grant = await testShopify({
			shopDomain: `http://127.0.0.1:${closedPort}`,
			authentication: 'clientCredentials',
			clientId: SHOPIFY.clientId,
			clientSecret: SHOPIFY.clientSecret,
		});
		expect(grant.message).toMatch(/^Cannot reach .*connection refused/);
		expect(grant.message).not.toMatch(/Client Secret/);
	});

	it('a name that does not resolve', async () => {
		const result = await testShopify({ shopDomain: 'no-such-shop.invalid' });
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(
			/^Cannot reach no-such-shop\.invalid: the name does not resolve \((ENOTFOUND|EAI_AGAIN)\)\. Check Shop Domain\.$/,
		);
	});

	it("a certificate n8n does not trust: TLS, with the server's code", async () => {
		const result = await testShopify({ shopDomain: `https://127.0.0.1:${tlsPort}` });
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(
			new RegExp(`^TLS with 127\\.0\\.0\\.1:${tlsPort} failed \\(DEPTH_ZERO_SELF_SIGNED_CERT\\)`),
		);
	});

	it('https:// to a port that speaks plain HTTP: TLS, says so', async () => {
		const port = Number(new URL(shopify.baseUrl).port);
		const result = await testShopify({ shopDomain: `https://127.0.0.1:${port}` });
		expect(result.message).toMatch(/^TLS with .* does not speak HTTPS on this port/);
	});
});

describe('WooCommerce Inventory API', () => {
	it('passes with the right keys', async () => {
		expect(await testWoo({})).toMatchObject({ status: 'OK' });
	});

	it('a wrong secret: 401, names Consumer Secret', async () => {
		const result = await testWoo({ consumerSecret: 'cs_wrong-secret-text' });
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(
			/refused the keys \(HTTP 401.*woocommerce_rest_authentication_error/,
		);
		expect(result.message).toMatch(/Check Consumer Secret\.$/);
	});

	it('an unknown key: 401, names Consumer Key and Consumer Secret', async () => {
		const result = await testWoo({ consumerKey: 'ck_unknown' });
		expect(result.message).toMatch(/refused the keys \(HTTP 401/);
		expect(result.message).toContain('Check Consumer Key and Consumer Secret');
	});

	it('a wrong site path: 404, no WooCommerce REST API there', async () => {
		const result = await testWoo({ siteUrl: `${woo.baseUrl}/shop` });
		expect(result.message).toMatch(
			new RegExp(`^No WooCommerce REST API at ${woo.baseUrl}/shop/wp-json/wc/v3 \\(HTTP 404`),
		);
	});

	it('any other status is shown as it came', async () => {
		woo.failNext(1, 502);
		const result = await testWoo({});
		expect(result.message).toMatch(/^WooCommerce answered HTTP 502 Bad Gateway/);
	});

	it('a closed port and a missing scheme', async () => {
		expect((await testWoo({ siteUrl: `http://127.0.0.1:${closedPort}` })).message).toBe(
			`Cannot reach 127.0.0.1:${closedPort}: connection refused, nothing listens there. Check Site URL and its port.`,
		);
		expect((await testWoo({ siteUrl: 'shop.example.com' })).message).toMatch(
			/^Site URL must start with https:\/\//,
		);
	});
});

describe('Inventory Redis', () => {
	const redisTest = async (data: ICredentialDataDecryptedObject) =>
		await testRedisCredential.call(context, credential('inventoryRedisApi', data));

	it('a password sent to a Redis without one: said, not passed silently', async () => {
		const server = await OwnRedis.start();
		try {
			const password = secret();
			const result = await redisTest({ host: '127.0.0.1', port: server.port, password });
			expect(result.status).toBe('Error');
			expect(result.message).toBe(
				`Redis at 127.0.0.1:${server.port} has no password, but this credential sends one: Redis ignores it, and anyone who can reach this Redis can read and change the inventory. If this is the Redis you meant, clear Password here or protect the server (requirepass or an ACL user); if not, check Host and Port.`,
			);
			expect(result.message).not.toContain(password);
			// Without the password the same server passes.
			expect(await redisTest({ host: '127.0.0.1', port: server.port })).toMatchObject({
				status: 'OK',
			});
		} finally {
			await server.kill();
		}
	});

	it('a password the server checks passes', async () => {
		const password = secret();
		const server = await OwnRedis.start({ args: ['--requirepass', password] });
		try {
			expect(await redisTest({ host: '127.0.0.1', port: server.port, password })).toMatchObject({
				status: 'OK',
			});
		} finally {
			await server.kill();
		}
	});

	it('persistence off: the first run logs it once (the modal shows no message for a passed test)', async () => {
		const server = await OwnRedis.start();
		try {
			const cred = credentialFromData({ host: '127.0.0.1', port: server.port });
			const redis = await getRedis(cred);
			const logged: string[] = [];
			const logger = { warn: (message: string) => logged.push(message) };
			logRedisWarningsOnce(logger, redis);
			logRedisWarningsOnce(logger, redis);
			expect(logged).toEqual([
				`Inventory Redis: Redis at 127.0.0.1:${server.port}: persistence is off (no AOF, no RDB saves): a Redis restart loses the inbox and the ledger. Turn on appendonly yes.`,
			]);
		} finally {
			await closeAllRedis();
			await server.kill();
		}
	});
});
