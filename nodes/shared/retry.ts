import { sleep as n8nSleep } from 'n8n-workflow';
import { backoffDelay, type RandomSource } from './backoff';
import { parseQueryCost, retryAfterMs, shopifyWaitMs } from './pacing';
import { scrubSecrets } from './secrets';

export { scrubSecrets } from './secrets';

/**
 * The one retry policy of every channel call (design.md "Failure path"): exponential backoff with full
 * jitter (backoff.ts; base 1 s, cap 5 min) inside a time budget per run (default 30 s), honouring the wait a
 * server asks for (Retry-After, Shopify's bucket) when it is longer. What it cannot finish it hands back as a
 * ChannelFailure — never thrown — for the caller to dead-letter while the run goes on with other SKUs.
 *
 * Errors are told apart by classifyChannelError from the shapes the package meets: n8n's
 * `httpRequestWithAuthentication` throws a NodeApiError (`httpCode`, the AxiosError as `cause` with
 * `response.{status, headers, data}` and `code`), `httpRequest` throws the AxiosError itself, and our own
 * code throws plain `{ status | statusCode, headers, body }` objects or a GraphQL response
 * (`{ errors, data, extensions }`, e.g. THROTTLED in an HTTP 200). The AxiosError's `config` holds the
 * request — Authorization, Basic auth, WooCommerce keys in the query string — so no message is built from it,
 * from headers, or from raw text; only from status, code and the platform's own message fields, scrubbed.
 */

/**
 * - auth: 401/403, Shopify ACCESS_DENIED — the credential or the app's scopes; not retried.
 * - validation: 400/404/422 and other 4xx, GraphQL userErrors and validation errors; not retried.
 * - rateLimited: 429 — retried after Retry-After (or the backoff, whichever is longer).
 * - throttled: Shopify THROTTLED in an HTTP 200 — retried after the bucket's refill wait.
 * - transient: 5xx, 408, connection reset/refused/timed out, socket hang up — retried.
 * - unknown: anything else — retried once: an uncatalogued hiccup gets a second chance, a bug does not get
 *   to spend the budget (and hide its cause) retrying.
 * - aborted: the run was cancelled (our signal, or axios ERR_CANCELED) — never retried.
 */
export type ChannelErrorClass =
	| 'auth'
	| 'validation'
	| 'rateLimited'
	| 'throttled'
	| 'transient'
	| 'unknown'
	| 'aborted';

export type ChannelPlatform = 'shopify' | 'woocommerce';

export interface ChannelErrorInfo {
	readonly errorClass: ChannelErrorClass;
	/** How many retries a failure of this class earns (the budget and maxAttempts bound them further). */
	readonly retries: number;
	/** Safe to log and store: built from status, code and the platform's message, secrets scrubbed. */
	readonly message: string;
	/** HTTP status, when there was a response. */
	readonly status?: number;
	/** Error code: a Node/axios one (ECONNRESET) or a GraphQL one (THROTTLED). */
	readonly code?: string;
	/** The wait the server asked for, ms (Retry-After; Shopify: refill time of the reported bucket). */
	readonly waitMs?: number;
}

/** Retries a class earns: none for what a retry cannot fix, one for the unknown, else as the budget allows. */
const RETRIES: Record<ChannelErrorClass, number> = {
	auth: 0,
	validation: 0,
	aborted: 0,
	unknown: 1,
	rateLimited: Infinity,
	throttled: Infinity,
	transient: Infinity,
};

/**
 * Thrown by a call to say "do not retry this" (BullMQ's UnrecoverableError): e.g. a Shopify mutation that
 * answered with userErrors, or a credential found missing. Goes straight to the dead letters.
 */
export class NonRetryableError extends Error {
	constructor(
		message: string,
		readonly errorClass: 'auth' | 'validation' = 'validation',
	) {
		super(message);
		this.name = 'NonRetryableError';
	}
}

// ---------------------------------------------------------------------------------------------------------
// Scrubbing (shared/secrets.ts)

const MAX_DETAIL = 200;

function detail(text: unknown): string | undefined {
	if (typeof text !== 'string') return undefined;
	const clean = scrubSecrets(text.replace(/\s+/g, ' ').trim());
	if (!clean) return undefined;
	return clean.length > MAX_DETAIL ? `${clean.slice(0, MAX_DETAIL)}…` : clean;
}

// ---------------------------------------------------------------------------------------------------------
// Reading the error shapes

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
	return typeof value === 'object' && value !== null;
}

interface ErrorShape {
	status?: number;
	code?: string;
	headers?: unknown;
	body?: unknown;
	name?: string;
	/** The Error's own message: only ever shown for 'unknown' errors, scrubbed. */
	message?: string;
}

function statusOf(value: unknown): number | undefined {
	const n = typeof value === 'string' && /^\d{3}$/.test(value) ? Number(value) : value;
	return typeof n === 'number' && Number.isInteger(n) && n >= 100 && n <= 599 ? n : undefined;
}

/**
 * Collects status, code, headers and body from an error and the errors it wraps (`cause`: NodeApiError →
 * AxiosError), the outermost value of each winning. Never reads `config`/`request`/`options` (the request).
 */
function readShape(error: unknown): ErrorShape {
	const shape: ErrorShape = {};
	let current: unknown = error;
	for (let depth = 0; depth < 4 && isObj(current); depth++) {
		const e = current;
		const response = isObj(e.response) ? e.response : undefined;
		shape.status ??=
			statusOf(response?.status) ??
			statusOf(response?.statusCode) ??
			statusOf(e.statusCode) ??
			statusOf(e.status) ??
			statusOf(e.httpCode);
		// axios's ERR_BAD_REQUEST / ERR_BAD_RESPONSE only restate that the status was 4xx / 5xx.
		if (typeof e.code === 'string' && !/^(?:\d+|ERR_BAD_RE(?:QUEST|SPONSE))$/.test(e.code))
			shape.code ??= e.code;
		// NodeApiError puts a network error's code in httpCode (it looks for 'code' among status keys).
		if (typeof e.httpCode === 'string' && /^E[A-Z_]+$/.test(e.httpCode)) shape.code ??= e.httpCode;
		shape.headers ??= response?.headers ?? e.headers;
		shape.body ??=
			response?.data ??
			response?.body ??
			e.body ??
			(isObj(e.error) ? e.error : undefined) ??
			(isObj(e.context) && isObj(e.context.data) ? e.context.data : undefined) ??
			(isObj(e.errorResponse) ? e.errorResponse : undefined);
		if (e instanceof Error) {
			shape.name ??= e.name;
			shape.message ??= e.message;
		}
		current = e.cause;
	}
	// A GraphQL response thrown (or passed) as it came: `{ errors, data, extensions }`.
	if (shape.body === undefined && isObj(error) && (Array.isArray(error.errors) || 'data' in error))
		shape.body = error;
	if (typeof shape.body === 'string') shape.body = parseJsonObject(shape.body);
	return shape;
}

/** A string body that is a JSON object, parsed; any other string is dropped (HTML from a WAF, echoes). */
function parseJsonObject(text: string): Obj | undefined {
	const trimmed = text.trim();
	if (!trimmed.startsWith('{')) return undefined;
	try {
		const parsed: unknown = JSON.parse(trimmed);
		return isObj(parsed) ? parsed : undefined;
	} catch {
		return undefined;
	}
}

function headerValue(headers: unknown, name: string): unknown {
	if (!isObj(headers)) return undefined;
	if (typeof headers.get === 'function') {
		const got: unknown = (headers.get as (n: string) => unknown).call(headers, name);
		if (got !== undefined && got !== null) return got;
	}
	const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
	return key === undefined ? undefined : headers[key];
}

interface GraphqlError {
	message?: string;
	code?: string;
}

function graphqlErrors(body: Obj): GraphqlError[] {
	if (!Array.isArray(body.errors)) return [];
	return body.errors.filter(isObj).map((e) => ({
		message: typeof e.message === 'string' ? e.message : undefined,
		code:
			isObj(e.extensions) && typeof e.extensions.code === 'string' ? e.extensions.code : undefined,
	}));
}

/** The first non-empty `userErrors` of a mutation payload under `data` (Shopify reports per-input problems). */
function firstUserError(body: Obj): string | undefined {
	if (!isObj(body.data)) return undefined;
	for (const payload of Object.values(body.data)) {
		if (!isObj(payload) || !Array.isArray(payload.userErrors)) continue;
		const first: unknown = payload.userErrors[0];
		if (!isObj(first)) continue;
		const field = Array.isArray(first.field) ? first.field.join('.') : undefined;
		const message = typeof first.message === 'string' ? first.message : 'rejected';
		return field ? `${field}: ${message}` : message;
	}
	return undefined;
}

/**
 * The platform's own words for an HTTP error: Shopify `errors` (a string, a list of `{ message }`, or a map
 * of field → messages), WooCommerce/WordPress `{ code, message }` or a per-item `error: { code, message }`.
 */
function platformMessage(body: unknown): string | undefined {
	if (!isObj(body)) return undefined;
	const errors = body.errors;
	if (typeof errors === 'string') return errors;
	if (Array.isArray(errors)) {
		const first: unknown = errors[0];
		if (typeof first === 'string') return first;
		if (isObj(first) && typeof first.message === 'string') return first.message;
	}
	if (isObj(errors)) {
		const [field, messages] = Object.entries(errors)[0] ?? [];
		const text = Array.isArray(messages) ? messages[0] : messages;
		if (field !== undefined && typeof text === 'string') return `${field}: ${text}`;
	}
	if (typeof body.message === 'string')
		return typeof body.code === 'string' ? `${body.message} (${body.code})` : body.message;
	if (isObj(body.error) && typeof body.error.message === 'string') return body.error.message;
	return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Classification

const TRANSIENT_CODES = new Set([
	'ECONNRESET',
	'ETIMEDOUT',
	'ECONNREFUSED',
	'ECONNABORTED', // axios: "timeout of …ms exceeded"
	'ESOCKETTIMEDOUT',
	'EPIPE',
	'EAI_AGAIN', // DNS server busy: a retry usually resolves
	'ENETUNREACH',
	'ENETDOWN',
	'EHOSTUNREACH',
	'UND_ERR_SOCKET',
	'UND_ERR_CONNECT_TIMEOUT',
	'UND_ERR_HEADERS_TIMEOUT',
	'UND_ERR_BODY_TIMEOUT',
	'ERR_SOCKET_CONNECTION_TIMEOUT',
]);
const ABORT_CODES = new Set(['ERR_CANCELED', 'ABORT_ERR']);
const ABORT_NAMES = new Set(['AbortError', 'CanceledError']);
const TRANSIENT_MESSAGE = /socket hang up|timeout of \d+ms exceeded|network socket disconnected/i;

const PLATFORM_NAME: Record<ChannelPlatform, string> = {
	shopify: 'Shopify',
	woocommerce: 'WooCommerce',
};

/** Which credential fields to check, per platform and status (the credential types' display names). */
function authHint(platform: ChannelPlatform | undefined, status: number | undefined): string {
	if (platform === 'shopify')
		return status === 403
			? "access denied: the app lacks a scope this call needs (e.g. write_inventory); check the app's access scopes, then the Shopify Inventory API credential's Admin API Access Token or Client ID / Client Secret"
			: "the credential was refused: check the Shopify Inventory API credential's Admin API Access Token (legacy custom app) or Client ID and Client Secret (Dev Dashboard app), and its Shop Domain";
	if (platform === 'woocommerce')
		return status === 403
			? "access denied: check that the WooCommerce Inventory API credential's Consumer Key has Read/Write permission, and its Consumer Secret"
			: "the credential was refused: check the WooCommerce Inventory API credential's Consumer Key and Consumer Secret (behind a TLS-terminating proxy WordPress may see plain HTTP and refuse Basic auth)";
	return 'the credential was refused: check its token or keys and the app permissions';
}

function info(
	errorClass: ChannelErrorClass,
	message: string,
	extra: { status?: number; code?: string; waitMs?: number } = {},
): ChannelErrorInfo {
	const result: {
		errorClass: ChannelErrorClass;
		retries: number;
		message: string;
		status?: number;
		code?: string;
		waitMs?: number;
	} = { errorClass, retries: RETRIES[errorClass], message };
	if (extra.status !== undefined) result.status = extra.status;
	if (extra.code !== undefined) result.code = extra.code;
	if (extra.waitMs !== undefined) result.waitMs = extra.waitMs;
	return result;
}

export interface ClassifyContext {
	/** Names the platform and its credential fields in messages. */
	readonly platform?: ChannelPlatform;
	/** The clock, ms since epoch, for a Retry-After given as an HTTP-date. */
	readonly nowMs?: number;
}

/** The refill wait a THROTTLED response's own cost report implies, when it carries one. */
function throttledWaitMs(body: Obj): number | undefined {
	const cost = parseQueryCost(isObj(body.extensions) ? body.extensions.cost : undefined);
	const status = cost?.throttleStatus;
	const requested = cost?.requestedQueryCost;
	if (!status || requested === undefined || requested > status.maximumAvailable) return undefined;
	const wait = shopifyWaitMs(status, requested, 0);
	return Number.isFinite(wait) ? wait : undefined;
}

/**
 * What kind of failure `error` is, how often it may be retried, the wait the server asked for, and a
 * message safe to store. Pure given `context.nowMs` (only an HTTP-date Retry-After needs the clock; without
 * it, Date.now() is read).
 */
export function classifyChannelError(
	error: unknown,
	context: ClassifyContext = {},
): ChannelErrorInfo {
	const who = context.platform ? PLATFORM_NAME[context.platform] : 'Channel';
	if (error instanceof NonRetryableError) {
		const text = detail(error.message) ?? 'rejected';
		return info(error.errorClass, `${who}: ${text}`);
	}
	const shape = readShape(error);
	const body = isObj(shape.body) ? shape.body : undefined;
	const wooStatus = body && isObj(body.data) ? statusOf(body.data.status) : undefined;
	const status = shape.status ?? wooStatus;
	const said = detail(platformMessage(body));
	const http = status !== undefined ? `HTTP ${status}` : undefined;
	const withDetail = (base: string) => (said ? `${base}: ${said}` : base);
	const waitMs = retryAfterMs(
		headerValue(shape.headers, 'retry-after'),
		context.nowMs ?? Date.now(),
	);
	const extra = { status, code: shape.code, waitMs };

	if (status !== undefined && status >= 300) {
		if (status === 401 || status === 403)
			return info('auth', `${who} (${http}): ${authHint(context.platform, status)}`, extra);
		if (status === 429)
			return info('rateLimited', withDetail(`${who} (${http}): too many requests`), extra);
		if (status === 408 || status === 425 || status >= 500)
			return info('transient', withDetail(`${who} (${http}): the server failed`), extra);
		if (status >= 400)
			return info(
				'validation',
				withDetail(
					status === 404
						? `${who} (${http}): not found (check the shop domain / site URL, the API version and the ids)`
						: `${who} (${http}): the request was rejected`,
				),
				extra,
			);
	}

	if (body) {
		const errors = graphqlErrors(body);
		if (errors.some((e) => e.code === 'THROTTLED'))
			return info('throttled', `${who}: throttled (the cost bucket is short)`, {
				status,
				code: 'THROTTLED',
				waitMs: throttledWaitMs(body),
			});
		const first = errors[0];
		if (first) {
			const code = first.code;
			const text = detail(first.message) ?? 'error';
			const base = `${who} GraphQL${code ? ` ${code}` : ''}: ${text}`;
			if (code === 'ACCESS_DENIED')
				return info('auth', `${base} — ${authHint(context.platform, 403)}`, { status, code });
			if (code === 'INTERNAL_SERVER_ERROR') return info('transient', base, { status, code });
			if (code === 'MAX_COST_EXCEEDED')
				return info('validation', `${base} (split the query)`, { status, code });
			return info('validation', base, { status, code });
		}
		const userError = detail(firstUserError(body));
		if (userError) return info('validation', `${who} userErrors: ${userError}`, { status });
		if (isObj(body.error) && said)
			return info('validation', `${who}: ${said}`, { status, code: shape.code });
	}

	const code = shape.code;
	if ((code && ABORT_CODES.has(code)) || (shape.name !== undefined && ABORT_NAMES.has(shape.name)))
		return info('aborted', `${who}: the request was cancelled`, { code });
	if (code && TRANSIENT_CODES.has(code))
		return info('transient', `${who}: connection failed (${code})`, { code });
	if (shape.message !== undefined && TRANSIENT_MESSAGE.test(shape.message))
		return info(
			'transient',
			`${who}: connection failed (${detail(shape.message) ?? 'network error'})`,
			{ code },
		);
	if (code === 'ENOTFOUND')
		return info('unknown', `${who}: host not found (check the shop domain / site URL)`, { code });
	const what = detail(shape.message);
	const label = shape.name && shape.name !== 'Error' ? `${shape.name}: ` : '';
	return info(
		'unknown',
		`${who}: unexpected error${what ? ` (${label}${what})` : http ? ` (${http})` : ''}`,
		extra,
	);
}

// ---------------------------------------------------------------------------------------------------------
// The policy

export const DEFAULT_BUDGET_MS = 30_000;
export const DEFAULT_BASE_MS = 1_000;
export const DEFAULT_CAP_MS = 5 * 60_000;
/**
 * Attempts per withRetry call, whatever the budget: full jitter can draw delays of a millisecond several
 * times running, and a budget alone would then let a failing endpoint be hit hundreds of times.
 */
export const DEFAULT_MAX_ATTEMPTS = 10;

/** Why the policy stopped. */
export type GiveUpReason =
	/** The error's class earns no (more) retries: auth, validation, aborted, or a second unknown. */
	| 'notRetryable'
	/** The next wait would end past the budget (the caller dead-letters). */
	| 'budget'
	/** maxAttempts reached. */
	| 'attempts'
	/** The signal fired (or the sleep was cut short). */
	| 'aborted';

/** What the caller dead-letters: no request, no headers, no secrets; plain data, JSON-safe. */
export interface ChannelFailure {
	readonly errorClass: ChannelErrorClass;
	readonly reason: GiveUpReason;
	readonly message: string;
	/** Calls made (0 when pacing or the signal stopped it before the first). */
	readonly attempts: number;
	/** When the first and the last call failed, ms since epoch (when it gave up, if no call failed). */
	readonly firstFailureAt: number;
	readonly lastFailureAt: number;
	/** From the first call to giving up, ms. */
	readonly elapsedMs: number;
	readonly status?: number;
	readonly code?: string;
}

export type RetryResult<T> =
	| { readonly ok: true; readonly value: T; readonly attempts: number; readonly elapsedMs: number }
	| { readonly ok: false; readonly failure: ChannelFailure };

export interface RetryEvent {
	/** The attempt that failed (1 = the first call). */
	readonly attempt: number;
	/** The wait about to start, ms. */
	readonly delayMs: number;
	readonly error: ChannelErrorInfo;
}

export interface RetryOptions {
	/** Time for all attempts and waits, ms (default 30 s). A caller with a per-run budget passes what is left. */
	readonly budgetMs?: number;
	/** Backoff ceiling of the first retry, ms (default 1 s). */
	readonly baseMs?: number;
	/** Largest backoff ceiling, ms (default 5 min). */
	readonly capMs?: number;
	/** Calls at most (default 10). */
	readonly maxAttempts?: number;
	/** The clock, ms since epoch (default Date.now). */
	readonly now?: () => number;
	/** Waits `ms`; may reject when `signal` fires (n8n's sleep does). Default: n8n-workflow's sleep. */
	readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
	/** [0, 1) for the jitter (default Math.random). */
	readonly random?: RandomSource;
	/** Default: classifyChannelError with `platform`. */
	readonly classify?: (error: unknown, context: ClassifyContext) => ChannelErrorInfo;
	/** Names the platform (and its credential fields) in messages. */
	readonly platform?: ChannelPlatform;
	/**
	 * The wait before each call, ms — Shopify: `() => bucket.waitMs(cost)`, so no request is sent that the
	 * bucket cannot pay; or a promise of it (a reservation in Redis shared by every worker). Counted against
	 * the budget like the backoff. A throw (QueryCostError: the request must be split) is not a channel
	 * failure and propagates.
	 */
	readonly paceMs?: (maxWaitMs: number) => number | Promise<number>;
	/** Stops the retries (the drainer's lease was lost, the execution was cancelled). */
	readonly signal?: AbortSignal;
	/** Called before each backoff wait: e.g. extend the lease for its length, or log. */
	readonly onRetry?: (event: RetryEvent) => void | Promise<void>;
}

export interface CallContext {
	/** 1 for the first call. */
	readonly attempt: number;
	readonly signal?: AbortSignal;
}

/**
 * Runs `call` until it succeeds or the policy gives up, and says which. Between attempts it waits
 * `max(backoffDelay(n, full jitter), server's wait)`; a wait that would end past the budget is not started —
 * it gives up at once. Never throws for a failed call (only for a bug in `paceMs`/`onRetry`).
 */
export async function withRetry<T>(
	call: (context: CallContext) => Promise<T>,
	options: RetryOptions = {},
): Promise<RetryResult<T>> {
	const budgetMs = options.budgetMs ?? DEFAULT_BUDGET_MS;
	const backoff = {
		baseMs: options.baseMs ?? DEFAULT_BASE_MS,
		capMs: options.capMs ?? DEFAULT_CAP_MS,
		jitter: 'full',
	} as const;
	const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
	const now = options.now ?? Date.now;
	const sleep = options.sleep ?? n8nSleep;
	const random = options.random ?? Math.random;
	const classify = options.classify ?? classifyChannelError;
	const { signal, platform, paceMs, onRetry } = options;
	const who = platform ? PLATFORM_NAME[platform] : 'Channel';

	const startedAt = now();
	let attempts = 0;
	let firstFailureAt: number | undefined;
	let lastFailureAt: number | undefined;
	let last: ChannelErrorInfo | undefined;
	const failuresPerClass = new Map<ChannelErrorClass, number>();

	const giveUp = (reason: GiveUpReason, error?: ChannelErrorInfo): RetryResult<T> => {
		const at = now();
		const cause =
			error ??
			last ??
			(reason === 'aborted'
				? info('aborted', `${who}: cancelled before the request was sent`)
				: info(
						'throttled',
						`${who}: the rate limit would not let the request go within the budget`,
					));
		const failure: ChannelFailure = {
			errorClass: cause.errorClass,
			reason,
			message: cause.message,
			attempts,
			firstFailureAt: firstFailureAt ?? at,
			lastFailureAt: lastFailureAt ?? at,
			elapsedMs: at - startedAt,
			...(cause.status !== undefined ? { status: cause.status } : {}),
			...(cause.code !== undefined ? { code: cause.code } : {}),
		};
		return { ok: false, failure };
	};
	const fits = (waitMs: number) => now() - startedAt + waitMs <= budgetMs;
	// A sleep that rejects was cut short by the signal: how long it waited is unknown, so stop.
	const wait = async (ms: number) =>
		await sleep(ms, signal).then(
			() => signal?.aborted !== true,
			() => false,
		);

	for (;;) {
		if (signal?.aborted) return giveUp('aborted');
		// The pace is told what is left of the budget: a shared limit reserves nothing for a wait that cannot fit.
		const paced = paceMs ? await paceMs(Math.max(0, budgetMs - (now() - startedAt))) : 0;
		// A background pace may have slept (channel/callPolicy.ts paceBehindForeground) and been cancelled.
		if (signal?.aborted) return giveUp('aborted');
		if (paced > 0) {
			if (!fits(paced)) return giveUp('budget');
			if (!(await wait(paced))) return giveUp('aborted');
		}

		attempts++;
		let failed: ChannelErrorInfo;
		try {
			const value = await call({ attempt: attempts, signal });
			return { ok: true, value, attempts, elapsedMs: now() - startedAt };
		} catch (error) {
			failed = classify(error, { platform, nowMs: now() });
		}
		last = failed;
		lastFailureAt = now();
		firstFailureAt ??= lastFailureAt;
		if (signal?.aborted) return giveUp('aborted');

		const failures = (failuresPerClass.get(failed.errorClass) ?? 0) + 1;
		failuresPerClass.set(failed.errorClass, failures);
		if (failures > failed.retries) return giveUp('notRetryable');
		if (attempts >= maxAttempts) return giveUp('attempts');

		const delayMs = Math.max(backoffDelay(attempts - 1, backoff, random), failed.waitMs ?? 0);
		if (!fits(delayMs)) return giveUp('budget');
		if (onRetry) {
			await onRetry({ attempt: attempts, delayMs, error: failed });
			if (!fits(delayMs)) return giveUp('budget');
		}
		if (!(await wait(delayMs))) return giveUp('aborted');
	}
}
