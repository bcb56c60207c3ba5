import type Redis from 'ioredis';
import type { IDataObject, IExecuteFunctions, IHttpRequestOptions } from 'n8n-workflow';
import type { ChannelRun } from '../../shared/channel/callPolicy';
import { channelRun, type ChannelRunOptions } from '../../shared/channel/runOptions';
import type { SharedShopifyBucket } from '../../shared/channel/sharedPace';
import {
	ShopifyBucket,
	parseQueryCost,
	type BackgroundPace,
	type QueryCost,
} from '../../shared/pacing';
import type { ApiContext } from '../../shared/platformApi';
import { DEFAULT_SHOPIFY_API_VERSION, shopifyBaseUrl } from '../../shared/urls';

/**
 * The Shopify node's one GraphQL transport. Unlike platformApi.ts's one-shot helper it keeps what the retry
 * policy needs: an HTTP error is rethrown as n8n gave it (classifyChannelError reads its status and
 * Retry-After), and a GraphQL error answer (HTTP 200 with `errors`) is thrown as the response body itself, so
 * THROTTLED is classified 'throttled' with the refill wait of its `extensions.cost`, INTERNAL_SERVER_ERROR
 * 'transient', MAX_COST_EXCEEDED / ACCESS_DENIED / anything else not retried. Every answer's
 * `extensions.cost` feeds the shop's bucket, so the next call waits for what it needs instead of being
 * refused. With a shared bucket (the nodes always pass one) the pace is a reservation in Redis that every
 * worker and overlapping execution pays from; the in-process bucket then only tells whether anything is
 * known yet.
 */

export const SHOPIFY_CREDENTIAL = 'shopifyInventoryApi';

/** Per request, ms: a Shopify query answers in well under this; a hung connection is a transient failure. */
const REQUEST_TIMEOUT_MS = 30_000;

export interface ShopifyEndpoint {
	/** e.g. https://my-shop.myshopify.com (or a simulator's http://127.0.0.1:port). */
	readonly baseUrl: string;
	/** The shop as the events name it (`shopify:<shop>:…`): the host of the base URL. */
	readonly shop: string;
	readonly apiVersion: string;
	/** The GraphQL endpoint. */
	readonly url: string;
}

/** The credential's shop and API version, read as platformApi.ts reads them. */
export async function shopifyEndpoint(ctx: ApiContext): Promise<ShopifyEndpoint> {
	const credentials = await ctx.getCredentials(SHOPIFY_CREDENTIAL);
	const baseUrl = shopifyBaseUrl(String(credentials.shopDomain ?? ''));
	const apiVersion = String(credentials.apiVersion || DEFAULT_SHOPIFY_API_VERSION);
	return {
		baseUrl,
		shop: shopOfBaseUrl(baseUrl),
		apiVersion,
		url: `${baseUrl}/admin/api/${apiVersion}/graphql.json`,
	};
}

/** The host (with port, if any) of a base URL: what the trigger's X-Shopify-Shop-Domain names the shop. */
export function shopOfBaseUrl(baseUrl: string): string {
	try {
		return new URL(baseUrl).host.toLowerCase();
	} catch {
		return baseUrl.toLowerCase();
	}
}

export interface GraphqlErrorEntry {
	readonly message?: string;
	readonly extensions?: { readonly code?: string } & IDataObject;
}

/** A GraphQL answer's body as Shopify sends it. */
export interface GraphqlBody<T> {
	readonly data?: T | null;
	readonly errors?: GraphqlErrorEntry[];
	readonly extensions?: IDataObject;
}

export interface GraphqlAnswer<T> {
	readonly data: T;
	readonly cost?: QueryCost;
}

function isThrottled(body: GraphqlBody<unknown>): boolean {
	return (body.errors ?? []).some((e) => e?.extensions?.code === 'THROTTLED');
}

export class ShopifyGraphqlClient {
	private endpoint: Promise<ShopifyEndpoint> | undefined;
	/**
	 * Points reserved in the shared bucket for the next request (paceMs), settled by its answer. One request at
	 * a time per client: an execution's calls are sequential.
	 */
	private reserved = 0;

	constructor(
		private readonly ctx: ApiContext,
		readonly bucket: ShopifyBucket,
		private readonly timeoutMs: number = REQUEST_TIMEOUT_MS,
		readonly shared?: SharedShopifyBucket,
	) {}

	/** The endpoint, read from the credential once per client. */
	async target(): Promise<ShopifyEndpoint> {
		this.endpoint ??= shopifyEndpoint(this.ctx);
		return await this.endpoint;
	}

	/**
	 * One POST to the GraphQL endpoint through n8n's authenticated request (n8n adds the token, and refreshes
	 * an expired client-credentials token on a 401). Throws: the original error for HTTP failures, the body
	 * for GraphQL errors (after telling the bucket about a THROTTLED one), never anything built from the
	 * request (it carries the token).
	 */
	async request<T>(query: string, variables: IDataObject = {}): Promise<GraphqlAnswer<T>> {
		const { url } = await this.target();
		const options: IHttpRequestOptions = {
			method: 'POST',
			url,
			body: { query, variables },
			json: true,
			timeout: this.timeoutMs,
		};
		const reserved = this.reserved;
		this.reserved = 0;
		let body: GraphqlBody<T> | undefined;
		try {
			body = (await this.ctx.helpers.httpRequestWithAuthentication.call(
				this.ctx,
				SHOPIFY_CREDENTIAL,
				options,
			)) as GraphqlBody<T>;
		} finally {
			// No GraphQL answer (a 5xx, a refused connection, a timeout): nothing tells what was charged, and a
			// refused request costs nothing. The points go back, or every failed attempt of an outage would stay
			// reserved and hold back every caller long after it (the next answer's status corrects the estimate).
			if (body === undefined) await this.shared?.release(reserved).catch(() => undefined);
		}
		if (typeof body !== 'object' || body === null) {
			await this.shared?.release(reserved).catch(() => undefined);
			throw { errors: [{ message: 'Shopify answered without a JSON body' }] };
		}
		const rawCost = body.extensions?.cost;
		if (isThrottled(body)) {
			this.bucket.throttled(rawCost);
			await this.shared?.settle(rawCost, reserved, true);
			throw body;
		}
		this.bucket.update(rawCost);
		await this.shared?.settle(rawCost, reserved);
		// Shopify answers a query with partial data and errors together (e.g. a null field it may not show):
		// a GraphQL error is never silently dropped here.
		if ((body.errors?.length ?? 0) > 0 || body.data === undefined || body.data === null) {
			throw body.errors?.length ? body : { errors: [{ message: 'Shopify answered without data' }] };
		}
		return { data: body.data, cost: parseQueryCost(rawCost) };
	}

	/**
	 * How long to wait before a query of `cost` points can be paid (0: now). Throws QueryCostError. With the
	 * shared bucket the points are reserved for the next request of this client (its answer settles them).
	 */
	async paceMs(cost: number, maxWaitMs = Infinity): Promise<number> {
		if (!this.shared) return this.bucket.waitMs(cost);
		const wait = await this.shared.reserve(cost, maxWaitMs);
		// A wait beyond what the caller can afford reserved nothing (the caller gives up without sending).
		if (wait <= maxWaitMs) this.reserved += cost;
		return wait;
	}

	/**
	 * paceMs for a background caller (sharedPace.ts reserveInBackground): points are taken only while the
	 * shop's estimate keeps the foreground callers' share (`settledCost`: what the query is expected to cost
	 * once settled, when the caller knows); else nothing is taken and the answer says when to ask again.
	 */
	async paceInBackground(
		cost: number,
		maxWaitMs = Infinity,
		settledCost = cost,
	): Promise<BackgroundPace> {
		if (!this.shared) return { taken: true, waitMs: this.bucket.waitMs(cost) };
		const pace = await this.shared.reserveInBackground(cost, maxWaitMs, settledCost);
		if (pace.taken) this.reserved += cost;
		return pace;
	}
}

/**
 * One bucket per shop per process: every execution in this process paces on the same picture of the shop's
 * bucket (the bucket is Shopify's per app × store; other processes spend from it too, and a THROTTLED then
 * resets the picture).
 */
const BUCKETS = new Map<string, ShopifyBucket>();

export function bucketFor(shopBaseUrl: string): ShopifyBucket {
	const key = shopBaseUrl.trim().replace(/\/+$/, '').toLowerCase();
	let bucket = BUCKETS.get(key);
	if (!bucket) {
		bucket = new ShopifyBucket();
		BUCKETS.set(key, bucket);
	}
	return bucket;
}

export {
	DEFAULT_TIME_BUDGET_S,
	breakerFromOptions,
	type ChannelRunOptions,
} from '../../shared/channel/runOptions';

export interface ShopifyRunInput {
	readonly redis: Redis;
	readonly prefix: string;
	/** The profile's channel name. */
	readonly channel: string;
	readonly options?: ChannelRunOptions;
	/** The execution's context: its cancel signal stops waits and retries. */
	readonly ctx?: Pick<IExecuteFunctions, 'getExecutionCancelSignal'>;
	readonly now?: () => number;
	readonly sleep?: ChannelRun['sleep'];
}

/** The channel run of one execution (shared/channel/runOptions.ts) with the execution's cancel signal. */
export function shopifyRun(input: ShopifyRunInput): ChannelRun {
	let signal: AbortSignal | undefined;
	try {
		signal = input.ctx?.getExecutionCancelSignal?.();
	} catch {
		signal = undefined;
	}
	return channelRun({ ...input, platform: 'shopify', signal });
}
