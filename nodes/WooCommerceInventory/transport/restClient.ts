import type Redis from 'ioredis';
import {
	NodeApiError,
	type IDataObject,
	type IExecuteFunctions,
	type IHttpRequestMethods,
	type IHttpRequestOptions,
	type IN8nHttpFullResponse,
	type INode,
	type JsonObject,
} from 'n8n-workflow';
import { callChannel, type ChannelPacer, type ChannelRun } from '../../shared/channel/callPolicy';
import { channelRun, type ChannelRunOptions } from '../../shared/channel/runOptions';
import { hostOf } from '../../shared/events/common';
import { parseJsonExact } from '../../shared/json';
import type { ChannelFailure } from '../../shared/retry';
import { wooBaseUrl } from '../../shared/urls';

/**
 * The WooCommerce node's one REST transport (our GenericFunctions). Unlike platformApi.ts's one-shot helper it
 * keeps what the retry policy needs: every answer comes back whole (status, headers, body: n8n's
 * `returnFullResponse` with `ignoreHttpStatusErrors`), and an HTTP error is thrown as a plain
 * `{ status, headers, body }` — classifyChannelError reads its status, `Retry-After` and WooCommerce's own
 * `{ code, message }`, and never the request, which carries the consumer key and secret (Basic auth, or the
 * query string behind some proxies). Connection errors are rethrown as n8n gave them (their `code`).
 */

export const WOO_CREDENTIAL = 'wooCommerceInventoryApi';

/** Per request, ms: WordPress answers a batch of 100 in a few seconds; a hung connection is transient. */
const REQUEST_TIMEOUT_MS = 60_000;

/** One HTTP request as n8n's authenticated helper makes it, answered whole (never throws for a status). */
export type HttpSender = (options: IHttpRequestOptions) => Promise<IN8nHttpFullResponse>;

/** What a failed answer is thrown as: plain data the classifier reads (no request inside). */
export interface WooHttpError {
	readonly status: number;
	readonly headers: IDataObject;
	readonly body: unknown;
}

export interface WooAnswer<T> {
	readonly status: number;
	readonly headers: IDataObject;
	readonly body: T;
}

export interface RequestSpec {
	readonly method: IHttpRequestMethods;
	/** Below /wp-json/wc/v3, e.g. '/products/batch'. */
	readonly path: string;
	readonly qs?: IDataObject;
	readonly body?: IDataObject;
	readonly signal?: AbortSignal;
}

export class WooRestClient {
	constructor(
		private readonly send: HttpSender,
		/** The site URL as the credential gives it (a full http(s) base; the simulator's on loopback). */
		readonly siteUrl: string,
		private readonly timeoutMs: number = REQUEST_TIMEOUT_MS,
	) {}

	/** The shop as the events name it (`woocommerce:<shop>:…`): the site's lower-case host (with its port). */
	get shop(): string {
		return hostOf(this.siteUrl) ?? this.siteUrl.toLowerCase();
	}

	/** One request; a status ≥ 300 is thrown as a WooHttpError, a connection error as it came. */
	async request<T>(spec: RequestSpec): Promise<WooAnswer<T>> {
		const options: IHttpRequestOptions = {
			method: spec.method,
			url: `${wooBaseUrl(this.siteUrl)}/wp-json/wc/v3${spec.path}`,
			json: true,
			// The text, parsed here exactly: WooCommerce ids are MySQL BIGINTs, and JSON.parse would round any
			// above 2^53 into another id.
			encoding: 'text',
			headers: { Accept: 'application/json' },
			timeout: this.timeoutMs,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
		};
		if (spec.qs) options.qs = spec.qs;
		if (spec.body) options.body = spec.body;
		if (spec.signal) options.abortSignal = spec.signal;
		const answer = await this.send(options);
		const status = Number(answer.statusCode);
		const headers = (answer.headers ?? {}) as IDataObject;
		const body = parseBody(answer.body);
		if (!Number.isInteger(status) || status < 200 || status >= 300) {
			const error: WooHttpError = { status, headers, body };
			throw error;
		}
		return { status, headers, body: body as T };
	}
}

/** A JSON text parsed exactly (long integers kept as digit strings); other texts and objects as they are. */
function parseBody(body: unknown): unknown {
	const text = Buffer.isBuffer(body) ? body.toString('utf8') : body;
	if (typeof text !== 'string') return text;
	const trimmed = text.trim();
	if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return text;
	try {
		return parseJsonExact(trimmed);
	} catch {
		return text;
	}
}

/** A header's value (names compared case-insensitively), as text. */
export function headerText(headers: IDataObject, name: string): string | undefined {
	const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
	if (key === undefined) return undefined;
	const value = headers[key];
	const first = Array.isArray(value) ? value[0] : value;
	return first === undefined || first === null ? undefined : String(first);
}

/** X-WP-TotalPages, or undefined when the answer does not say. */
export function totalPagesOf(headers: IDataObject): number | undefined {
	const n = Number(headerText(headers, 'x-wp-totalpages'));
	return Number.isInteger(n) && n >= 0 ? n : undefined;
}

/** The sender of a node execution: n8n's authenticated request with the WooCommerce credential. */
export function n8nSender(ctx: Pick<IExecuteFunctions, 'helpers'>): HttpSender {
	// The helper is called on the execute context it belongs to (n8n reads the node and credentials from it).
	const context = ctx as IExecuteFunctions;
	return async (options) =>
		(await context.helpers.httpRequestWithAuthentication.call(
			context,
			WOO_CREDENTIAL,
			options,
		)) as IN8nHttpFullResponse;
}

/** The credential's site URL and its secret values (scrubbed from dead letters). */
export async function wooCredential(
	ctx: Pick<IExecuteFunctions, 'getCredentials'>,
): Promise<{ siteUrl: string; secrets: string[]; webhookSecret: string }> {
	const credentials = await ctx.getCredentials(WOO_CREDENTIAL);
	const text = (v: unknown) => (typeof v === 'string' ? v : '');
	return {
		siteUrl: text(credentials.siteUrl).trim(),
		secrets: [
			text(credentials.consumerKey),
			text(credentials.consumerSecret),
			text(credentials.webhookSecret),
			text(credentials.previousWebhookSecret),
		].filter((s) => s.length >= 4),
		webhookSecret: text(credentials.webhookSecret),
	};
}

// ---------------------------------------------------------------------------------------------------------
// The run

export {
	DEFAULT_TIME_BUDGET_S,
	breakerFromOptions,
	type ChannelRunOptions,
} from '../../shared/channel/runOptions';

export interface WooRunInput {
	readonly redis: Redis;
	readonly prefix: string;
	readonly channel: string;
	readonly options?: ChannelRunOptions;
	readonly signal?: AbortSignal;
	readonly now?: () => number;
	readonly sleep?: ChannelRun['sleep'];
	/** The store's shared request pacing (sharedPace.ts WooRequestPacer): the nodes always pass one. */
	readonly pacer?: ChannelPacer;
}

/** The channel run of one execution (shared/channel/runOptions.ts), paced by the store's shared slots. */
export function wooRun(input: WooRunInput): ChannelRun {
	const run = channelRun({ ...input, platform: 'woocommerce' });
	return input.pacer ? { ...run, pacer: input.pacer } : run;
}

/** A read that failed under the policy: the operation ends with it (its message is already scrubbed). */
export class WooReadError extends Error {
	constructor(
		readonly what: string,
		readonly failure: ChannelFailure,
	) {
		super(`${what}: ${failure.message}`);
		this.name = 'WooReadError';
	}
}

/**
 * One read under the channel policy (breaker, retries, budget). A failure throws WooReadError: reads have no
 * dead letter, the operation stops and says why.
 */
export async function readChannel<T>(
	run: ChannelRun,
	client: WooRestClient,
	what: string,
	spec: Omit<RequestSpec, 'signal'>,
): Promise<WooAnswer<T>> {
	const result = await callChannel(run, async (context) =>
		client.request<T>({ ...spec, signal: context.signal }),
	);
	if (!result.ok) throw new WooReadError(what, result.failure);
	return result.value;
}

/** A WooReadError as the node's error: the status and the scrubbed message, never the request. */
export function readErrorToNodeError(node: INode, error: WooReadError): NodeApiError {
	const status = error.failure.status;
	const hint =
		error.failure.code === 'BREAKER_OPEN'
			? 'The channel had too many failed calls in a row; the breaker lets a probe through after its cool-down.'
			: error.failure.errorClass === 'auth'
				? 'Fix the WooCommerce Inventory API credential; the call is not retried.'
				: error.failure.reason === 'budget'
					? 'The Time Budget ran out while retrying; the next run tries again.'
					: undefined;
	return new NodeApiError(node, { message: error.message } as JsonObject, {
		message: error.message,
		...(status !== undefined ? { httpCode: String(status) } : {}),
		...(hint ? { description: hint } : {}),
	});
}
