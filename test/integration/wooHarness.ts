import { randomBytes } from 'node:crypto';
import http from 'node:http';
import axios from 'axios';
import type Redis from 'ioredis';
import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	IHttpRequestOptions,
	INode,
	INodeExecutionData,
} from 'n8n-workflow';
import { applyEvents, saveProfile } from '../../nodes/InventoryLedger/ledger';
import {
	executeWooCommerceInventory,
	type WooContext,
} from '../../nodes/WooCommerceInventory/actions/router';
import { WooCommerceSimulator } from '../simulators/woocommerce';
import { TEST_REDIS, freePort } from '../support';

/**
 * Test tools of the WooCommerce Inventory node: a started WooCommerce simulator, a saved profile with one
 * WooCommerce channel over one ledger warehouse, manual levels, and the node's execute() in a small real
 * context. n8n's `httpRequestWithAuthentication` is done as n8n-core does it (axios, the credential's
 * generic Basic auth, `returnFullResponse` / `ignoreHttpStatusErrors`), against the simulator over HTTP.
 */

// Made up per run, in the platform's shapes (ck_/cs_ + 40 hex), so scrubbing is tested on realistic values.
export const CONSUMER_KEY = `ck_${randomBytes(20).toString('hex')}`;
export const CONSUMER_SECRET = `cs_${randomBytes(20).toString('hex')}`;
/** A consumer secret the simulator does not know (the 401 tests). */
export const WRONG_CONSUMER_SECRET = `cs_${randomBytes(20).toString('hex')}`;
export const WEBHOOK_SECRET = `whsec-${randomBytes(12).toString('hex')}`;
export const WAREHOUSE = 'ledger:wh';
export const CHANNEL = 'woo';

export const TEST_NODE: INode = {
	id: 'woo-node-id',
	name: 'WooCommerce Inventory',
	type: 'CUSTOM.wooCommerceInventory',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};

export async function startWoo(
	options: Partial<ConstructorParameters<typeof WooCommerceSimulator>[0]> = {},
): Promise<WooCommerceSimulator> {
	const sim = new WooCommerceSimulator({
		consumerKey: CONSUMER_KEY,
		consumerSecret: CONSUMER_SECRET,
		...options,
	});
	await sim.start();
	return sim;
}

/** The shop as events name it: the simulator's host and port. */
export function shopOf(sim: WooCommerceSimulator): string {
	return new URL(sim.baseUrl).host;
}

export function wooProfile(shop: string, extra: IDataObject = {}) {
	return {
		dryRun: false,
		locations: [{ id: WAREHOUSE, owner: 'ledger' }],
		channels: [
			{
				name: CHANNEL,
				platform: 'woocommerce',
				shop,
				salesLocation: WAREHOUSE,
				places: [{ id: `woocommerce:${shop}:default`, shows: [WAREHOUSE] }],
				...extra,
			},
		],
	};
}

export async function saveWooProfile(
	redis: Redis,
	prefix: string,
	shop: string,
	extra: IDataObject = {},
) {
	return await saveProfile(redis, prefix, wooProfile(shop, extra));
}

/** Manual (ERP) levels at the warehouse: the ledger's truth, each SKU marked dirty for the channel. */
export async function setLevels(
	redis: Redis,
	prefix: string,
	levels: Array<[string, number]>,
	version = Date.now(),
): Promise<void> {
	const events = levels.map(([sku, quantity]) => ({
		kind: 'level',
		id: `manual:erp:level:${sku}:${WAREHOUSE}`,
		version,
		source: { platform: 'manual', shop: 'erp', topic: 'feed', via: 'manual' },
		sku,
		refs: {},
		locationId: WAREHOUSE,
		quantity,
		occurredAt: new Date(version).toISOString(),
		receivedAt: new Date().toISOString(),
	}));
	for (let i = 0; i < events.length; i += 500) {
		const results = await applyEvents(redis, prefix, events.slice(i, i + 500));
		const bad = results.find((r) => r.outcome !== 'applied');
		if (bad) throw new Error(`level not applied: ${JSON.stringify(bad)}`);
	}
}

/** n8n-core's authenticated request, as far as this node uses it. */
function httpRequest(credential: ICredentialDataDecryptedObject) {
	return async (_type: string, options: IHttpRequestOptions) => {
		const response = await axios.request({
			method: options.method ?? 'GET',
			url: options.url,
			params: options.qs,
			data: options.body,
			auth: {
				username: String(credential.consumerKey ?? ''),
				password: String(credential.consumerSecret ?? ''),
			},
			headers: options.headers as Record<string, string> | undefined,
			responseType: options.encoding as 'text' | 'json' | undefined,
			timeout: options.timeout,
			signal: options.abortSignal as AbortSignal | undefined,
			validateStatus: options.ignoreHttpStatusErrors ? () => true : undefined,
		});
		if (options.returnFullResponse)
			return {
				body: response.data as unknown,
				headers: { ...(response.headers as Record<string, unknown>) },
				statusCode: response.status,
				statusMessage: response.statusText,
			};
		return response.data as unknown;
	};
}

export interface RunOptions {
	readonly prefix: string;
	readonly sim: WooCommerceSimulator;
	readonly params: Record<string, unknown>;
	readonly items?: IDataObject[];
	readonly consumerSecret?: string;
	readonly webhookSecret?: string;
	readonly continueOnFail?: boolean;
}

/** The node's execute() with a real context: the test Redis, the simulator, the given parameters. */
export async function runWoo(options: RunOptions): Promise<INodeExecutionData[][]> {
	const items: INodeExecutionData[] = (options.items ?? [{}]).map((json) => ({ json }));
	const redisCredential: ICredentialDataDecryptedObject = {
		host: TEST_REDIS.host,
		port: TEST_REDIS.port,
		database: 0,
		keyPrefix: options.prefix,
	};
	const wooCredential: ICredentialDataDecryptedObject = {
		siteUrl: options.sim.baseUrl,
		consumerKey: CONSUMER_KEY,
		consumerSecret: options.consumerSecret ?? CONSUMER_SECRET,
		webhookSecret: options.webhookSecret ?? WEBHOOK_SECRET,
	};
	const params: Record<string, unknown> = { channel: CHANNEL, ...options.params };
	const lookup = (name: string): unknown => {
		let value: unknown = params;
		for (const part of name.split('.'))
			value =
				value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
		return value;
	};
	const ctx = {
		getInputData: () => items,
		getNodeParameter: (name: string, _index: number, ...fallback: unknown[]) => {
			const value = lookup(name);
			if (value === undefined) {
				if (fallback.length === 0) throw new Error(`Could not get parameter '${name}'`);
				return fallback[0];
			}
			return value;
		},
		getCredentials: async (type: string) => {
			if (type === 'inventoryRedisApi') return redisCredential;
			if (type === 'wooCommerceInventoryApi') return wooCredential;
			throw new Error(`unexpected credential ${type}`);
		},
		continueOnFail: () => options.continueOnFail === true,
		getNode: () => TEST_NODE,
		getExecutionId: () => 'exec-woo',
		helpers: { httpRequestWithAuthentication: httpRequest(wooCredential) },
	};
	return await executeWooCommerceInventory(ctx as unknown as WooContext);
}

/** The first output's items' JSON. */
export function resultsOf(outputs: INodeExecutionData[][]): IDataObject[] {
	return outputs[0].map((i) => i.json);
}

/** A local endpoint that answers 200 to everything and keeps what it received (the deliveries). */
export async function startCollector(): Promise<{
	url: string;
	received: Array<{ headers: http.IncomingHttpHeaders; body: string }>;
	close: () => Promise<void>;
}> {
	const received: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
			res.writeHead(200, { 'Content-Type': 'text/plain' });
			res.end('ok');
		});
	});
	const port = await freePort();
	await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
	return {
		url: `http://127.0.0.1:${port}/woo`,
		received,
		close: async () => await new Promise<void>((resolve) => server.close(() => resolve())),
	};
}
