import fc from 'fast-check';
import { NodeApiError, type INode, type JsonObject } from 'n8n-workflow';
import {
	NonRetryableError,
	classifyChannelError,
	scrubSecrets,
	withRetry,
	type ChannelErrorClass,
	type RetryOptions,
} from '../../../nodes/shared/retry';

const node: INode = {
	id: 'node-1',
	name: 'Shopify Inventory',
	type: 'CUSTOM.shopifyInventory',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};

/**
 * An error with the fields axios 1.x gives a failed request (axios is not a dependency of this package, so
 * the class is written out): the request in `config` (headers, Basic auth, query parameters), the answer in
 * `response`. The class name matters: NodeApiError reads `httpCode` from errors named AxiosError.
 */
class AxiosError extends Error {
	readonly isAxiosError = true;

	constructor(
		message: string,
		readonly code: string | undefined,
		readonly config: Record<string, unknown>,
		readonly response?: {
			status: number;
			statusText: string;
			headers: Record<string, unknown>;
			data: unknown;
		},
	) {
		super(message);
		this.name = 'AxiosError';
	}
}

const requestConfig = (secret = 'shpat_0123456789abcdef0123456789abcdef') => ({
	method: 'post',
	url: `https://shop.example.com/wp-json/wc/v3/products/batch?consumer_key=ck_${secret}&consumer_secret=cs_${secret}`,
	headers: { Authorization: `Bearer ${secret}`, 'X-Shopify-Access-Token': secret },
	auth: { username: `ck_${secret}`, password: `cs_${secret}` },
	params: { consumer_key: secret },
});

/** What `this.helpers.httpRequestWithAuthentication` throws for an HTTP error: NodeApiError(AxiosError). */
function n8nHttpError(status: number, data: unknown = {}, headers: Record<string, unknown> = {}) {
	const axios = new AxiosError(
		`Request failed with status code ${status}`,
		status >= 500 ? 'ERR_BAD_RESPONSE' : 'ERR_BAD_REQUEST',
		requestConfig(),
		{ status, statusText: 'x', headers, data },
	);
	return new NodeApiError(node, axios as unknown as JsonObject);
}

/** …and for a connection that failed before any answer. */
function n8nNetworkError(code: string, message = `connect ${code} 10.0.0.1:443`) {
	return new NodeApiError(
		node,
		new AxiosError(message, code, requestConfig()) as unknown as JsonObject,
	);
}

function codeError(code: string, message = code) {
	return Object.assign(new Error(message), { code });
}

const throttledBody = {
	errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED' } }],
	extensions: {
		cost: {
			requestedQueryCost: 400,
			actualQueryCost: null,
			throttleStatus: { maximumAvailable: 1_000, currentlyAvailable: 150, restoreRate: 100 },
		},
	},
};

/** A fake clock and a recording sleep that moves it: no timers anywhere. */
function fakeTime(start = 1_700_000_000_000) {
	const clock = { t: start, slept: [] as number[] };
	const options = {
		now: () => clock.t,
		sleep: async (ms: number) => {
			clock.slept.push(ms);
			clock.t += ms;
		},
	};
	return { clock, options };
}

/** A call failing with each error of `errors` in turn, then succeeding with 'done'. */
function failing(errors: unknown[], clock?: { t: number }, callMs = 0) {
	let calls = 0;
	const call = async () => {
		calls++;
		if (clock) clock.t += callMs;
		if (calls <= errors.length) throw errors[calls - 1];
		return 'done';
	};
	return { call, calls: () => calls };
}

describe('classifyChannelError', () => {
	const cases: Array<[string, unknown, ChannelErrorClass, number | undefined]> = [
		['n8n 401', n8nHttpError(401), 'auth', 401],
		['n8n 403', n8nHttpError(403), 'auth', 403],
		['n8n 400', n8nHttpError(400, { errors: 'Bad Request' }), 'validation', 400],
		['n8n 404', n8nHttpError(404, { errors: 'Not Found' }), 'validation', 404],
		[
			'WooCommerce 400 (WP_Error body)',
			n8nHttpError(400, {
				code: 'woocommerce_rest_invalid_param',
				message: 'Invalid parameter(s): stock_quantity',
				data: { status: 400 },
			}),
			'validation',
			400,
		],
		[
			'plain 422',
			{ statusCode: 422, body: { errors: { sku: ['is invalid'] } } },
			'validation',
			422,
		],
		['n8n 429', n8nHttpError(429, {}, { 'retry-after': '5' }), 'rateLimited', 429],
		['plain 429', { status: 429, headers: { 'Retry-After': '2' } }, 'rateLimited', 429],
		['n8n 500', n8nHttpError(500), 'transient', 500],
		['n8n 502', n8nHttpError(502, '<html>Bad gateway</html>'), 'transient', 502],
		[
			'plain 503 (cache)',
			{ status: 503, headers: {}, body: 'Service Unavailable' },
			'transient',
			503,
		],
		['plain 408', { status: 408 }, 'transient', 408],
		['THROTTLED in a 200', { status: 200, body: throttledBody }, 'throttled', 200],
		['THROTTLED response thrown as is', throttledBody, 'throttled', undefined],
		[
			'GraphQL validation error',
			{
				errors: [{ message: "Field 'foo' doesn't exist", extensions: { code: 'undefinedField' } }],
			},
			'validation',
			undefined,
		],
		[
			'GraphQL ACCESS_DENIED',
			{
				status: 200,
				body: { errors: [{ message: 'denied', extensions: { code: 'ACCESS_DENIED' } }] },
			},
			'auth',
			200,
		],
		[
			'GraphQL INTERNAL_SERVER_ERROR',
			{ errors: [{ message: 'Internal error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] },
			'transient',
			undefined,
		],
		[
			'userErrors',
			{
				status: 200,
				body: {
					data: {
						inventorySetQuantities: {
							inventoryAdjustmentGroup: null,
							userErrors: [
								{
									field: ['input', 'quantities', '0', 'changeFromQuantity'],
									message: 'The quantity has changed',
									code: 'CHANGE_FROM_QUANTITY_STALE',
								},
							],
						},
					},
				},
			},
			'validation',
			200,
		],
		['n8n ECONNRESET', n8nNetworkError('ECONNRESET'), 'transient', undefined],
		['n8n ETIMEDOUT', n8nNetworkError('ETIMEDOUT'), 'transient', undefined],
		['n8n ECONNREFUSED', n8nNetworkError('ECONNREFUSED'), 'transient', undefined],
		[
			'axios timeout',
			new AxiosError('timeout of 10000ms exceeded', 'ECONNABORTED', requestConfig()),
			'transient',
			undefined,
		],
		['ECONNRESET', codeError('ECONNRESET', 'read ECONNRESET'), 'transient', undefined],
		['socket hang up', new Error('socket hang up'), 'transient', undefined],
		['cancelled', n8nNetworkError('ERR_CANCELED', 'canceled'), 'aborted', undefined],
		['ENOTFOUND', codeError('ENOTFOUND', 'getaddrinfo ENOTFOUND shop'), 'unknown', undefined],
		[
			'TypeError',
			new TypeError("Cannot read properties of undefined (reading 'x')"),
			'unknown',
			undefined,
		],
		['a string', 'boom', 'unknown', undefined],
		['NonRetryableError', new NonRetryableError('sku missing'), 'validation', undefined],
		['NonRetryableError(auth)', new NonRetryableError('no token', 'auth'), 'auth', undefined],
	];

	it.each(cases)('%s', (_name, error, errorClass, status) => {
		const info = classifyChannelError(error, { platform: 'shopify', nowMs: 0 });
		expect(info.errorClass).toBe(errorClass);
		expect(info.status).toBe(status);
		const retries = { auth: 0, validation: 0, aborted: 0, unknown: 1 } as Record<string, number>;
		expect(info.retries).toBe(retries[errorClass] ?? Infinity);
	});

	it('auth messages name the credential fields to check, per platform', () => {
		const shopify = classifyChannelError(n8nHttpError(401), { platform: 'shopify' }).message;
		expect(shopify).toContain('Admin API Access Token');
		expect(shopify).toContain('Client Secret');
		expect(classifyChannelError(n8nHttpError(403), { platform: 'shopify' }).message).toContain(
			'scope',
		);
		const woo = classifyChannelError({ status: 401 }, { platform: 'woocommerce' }).message;
		expect(woo).toContain('Consumer Key');
		expect(woo).toContain('Consumer Secret');
		expect(woo).toMatch(/^WooCommerce \(HTTP 401\)/);
		expect(
			classifyChannelError(
				{ body: { code: 'woocommerce_rest_cannot_view', message: 'no', data: { status: 401 } } },
				{ platform: 'woocommerce' },
			).errorClass,
		).toBe('auth');
	});

	it('the server-given wait: Retry-After (seconds or date, any header case) and the THROTTLED refill time', () => {
		const now = Date.parse('2026-11-28T12:00:00Z');
		expect(classifyChannelError(n8nHttpError(429, {}, { 'retry-after': '5' })).waitMs).toBe(5_000);
		expect(
			classifyChannelError(
				{ status: 503, headers: { 'Retry-After': 'Sat, 28 Nov 2026 12:00:12 GMT' } },
				{ nowMs: now },
			).waitMs,
		).toBe(12_000);
		// 400 points wanted, 150 there, 100/s: 2.5 s (+1 ms for rounding).
		expect(classifyChannelError({ status: 200, body: throttledBody }).waitMs).toBe(2_501);
		expect(classifyChannelError({ status: 429 }).waitMs).toBeUndefined();
	});

	it("messages carry the platform's own words, not the transport's", () => {
		expect(
			classifyChannelError(
				n8nHttpError(400, {
					code: 'woocommerce_rest_invalid_param',
					message: 'Invalid parameter(s)',
				}),
				{ platform: 'woocommerce' },
			).message,
		).toBe(
			'WooCommerce (HTTP 400): the request was rejected: Invalid parameter(s) (woocommerce_rest_invalid_param)',
		);
		expect(
			classifyChannelError(n8nNetworkError('ECONNRESET'), { platform: 'shopify' }).message,
		).toBe('Shopify: connection failed (ECONNRESET)');
		expect(classifyChannelError(n8nHttpError(502, '<html>x</html>')).message).toBe(
			'Channel (HTTP 502): the server failed',
		);
	});
});

describe('secrets never reach a message', () => {
	const secretPlacements = (token: string, status: number | undefined) => {
		const config = requestConfig(token);
		const body = {
			message: `Sorry, you cannot list resources. https://shop.example.com/wp-json/wc/v3/products?consumer_key=${token}&oauth_signature=${token}`,
			errors: [
				{ message: `Authorization: Bearer ${token} refused; X-Shopify-Access-Token: ${token}` },
			],
			data: { params: { consumer_secret: token }, status },
			echo: token,
		};
		const headers = { 'set-cookie': `session=${token}`, 'x-request-id': token };
		const message = `request to https://ck_${token}:cs_${token}@shop.example.com/x?oauth_consumer_key=${token} failed, key=${token}`;
		return [
			status === undefined
				? new AxiosError(message, 'ECONNRESET', config)
				: new AxiosError(message, undefined, config, {
						status,
						statusText: '',
						headers,
						data: body,
					}),
			{
				status,
				statusCode: status,
				headers: { ...headers, authorization: `Basic ${token}` },
				body,
				config,
			},
			Object.assign(new Error(message), { config, body }),
			new NonRetryableError(`stale quantity; api_key=${token} secret: ${token}`),
		];
	};

	it('a random token placed in the headers, URL, query, auth or body of the error never appears', () => {
		fc.assert(
			fc.property(
				fc.stringMatching(/^[a-f0-9]{24,48}$/),
				fc.constantFrom(undefined, 200, 400, 401, 403, 404, 422, 429, 500, 503),
				fc.constantFrom('shopify', 'woocommerce', undefined),
				(token, status, platform) => {
					for (const raw of secretPlacements(token, status)) {
						for (const error of [raw, new NodeApiError(node, raw as unknown as JsonObject)]) {
							const { message } = classifyChannelError(error, {
								platform: platform as 'shopify' | 'woocommerce' | undefined,
								nowMs: 0,
							});
							expect(message).not.toContain(token);
						}
					}
				},
			),
			{ numRuns: 300 },
		);
	});

	it('nor a failure message of withRetry', async () => {
		await fc.assert(
			fc.asyncProperty(fc.stringMatching(/^[a-f0-9]{24,48}$/), async (token) => {
				const { options } = fakeTime();
				for (const error of secretPlacements(token, 500)) {
					const result = await withRetry(failing([error, error, error]).call, {
						...options,
						maxAttempts: 2,
						random: () => 0.5,
					});
					expect(result.ok).toBe(false);
					if (!result.ok) expect(JSON.stringify(result.failure)).not.toContain(token);
				}
			}),
			{ numRuns: 50 },
		);
	});

	it('scrubSecrets: query strings, user info, secret pairs, auth schemes and known token prefixes', () => {
		expect(
			scrubSecrets(
				'GET https://u:p@shop.test/wp-json/wc/v3/products?consumer_key=ck_1&consumer_secret=cs_2 failed',
			),
		).toBe('GET https://shop.test/wp-json/wc/v3/products failed');
		expect(scrubSecrets('oauth_signature=abc&oauth_nonce=def')).toBe(
			'oauth_signature=[redacted]&oauth_nonce=[redacted]',
		);
		expect(scrubSecrets('Authorization: Bearer abc.def')).toBe('Authorization: [redacted]');
		expect(scrubSecrets('{"consumer_secret":"cs_abc"}')).toBe('{"consumer_secret":"[redacted]"}');
		expect(scrubSecrets('token shpat_abcdef123 and ck_0123456789abcdef')).toBe(
			'token [redacted] and [redacted]',
		);
		expect(scrubSecrets('Invalid parameter(s): stock_quantity')).toBe(
			'Invalid parameter(s): stock_quantity',
		);
	});
});

describe('withRetry', () => {
	const transient = () => ({ status: 503 });

	it('returns the first success, having slept nothing', async () => {
		const { clock, options } = fakeTime();
		const result = await withRetry(async ({ attempt }) => `hello ${attempt}`, options);
		expect(result).toEqual({ ok: true, value: 'hello 1', attempts: 1, elapsedMs: 0 });
		expect(clock.slept).toEqual([]);
	});

	it('retries transient failures with full-jitter backoff, then returns the result', async () => {
		const { clock, options } = fakeTime();
		const calls = failing([transient(), n8nNetworkError('ECONNRESET'), transient()]);
		const result = await withRetry(calls.call, { ...options, random: () => 0.5 });
		expect(result).toMatchObject({ ok: true, value: 'done', attempts: 4 });
		// Ceilings 1 s, 2 s, 4 s; the random draw 0.5 takes half of each.
		expect(clock.slept).toEqual([500, 1_000, 2_000]);
	});

	it('backoff bounds: every delay in [0, min(cap, base·2^attempt)]', async () => {
		await fc.assert(
			fc.asyncProperty(
				fc.array(fc.double({ min: 0, max: 0.9999999, noNaN: true }), {
					minLength: 1,
					maxLength: 40,
				}),
				fc.integer({ min: 1, max: 5_000 }),
				fc.integer({ min: 1, max: 400_000 }),
				async (draws, baseMs, capMs) => {
					const { clock, options } = fakeTime();
					let n = 0;
					await withRetry(failing(Array.from({ length: 30 }, transient)).call, {
						...options,
						budgetMs: Number.MAX_SAFE_INTEGER,
						maxAttempts: 25,
						baseMs,
						capMs,
						random: () => draws[n++ % draws.length],
					});
					expect(clock.slept).toHaveLength(24);
					clock.slept.forEach((delay, attempt) => {
						expect(delay).toBeGreaterThanOrEqual(0);
						expect(delay).toBeLessThanOrEqual(Math.max(1, Math.min(capMs, baseMs * 2 ** attempt)));
					});
				},
			),
			{ numRuns: 200 },
		);
	});

	const failure = fc.oneof(
		fc.constant<unknown>({ status: 503 }),
		fc.constant<unknown>(codeError('ECONNRESET')),
		fc
			.nat({ max: 400 })
			.map((s): unknown => ({ status: 429, headers: { 'retry-after': String(s) } })),
		fc.constant<unknown>({ status: 200, body: throttledBody }),
		fc.constant<unknown>(new TypeError('bug')),
		fc.constant<unknown>({ status: 401 }),
	);

	it('the budget is never exceeded: for any failures, call times and random draws, total slept ≤ budget and attempts stop', async () => {
		await fc.assert(
			fc.asyncProperty(
				fc.array(failure, { maxLength: 40 }),
				fc.array(fc.double({ min: 0, max: 0.9999999, noNaN: true }), {
					minLength: 1,
					maxLength: 20,
				}),
				fc.integer({ min: 0, max: 120_000 }),
				fc.integer({ min: 0, max: 5_000 }),
				fc.integer({ min: 1, max: 15 }),
				async (errors, draws, budgetMs, callMs, maxAttempts) => {
					const { clock, options } = fakeTime();
					const start = clock.t;
					const calls = failing(errors, clock, callMs);
					let n = 0;
					const ends: number[] = [];
					const result = await withRetry(calls.call, {
						...options,
						sleep: async (ms) => {
							clock.slept.push(ms);
							clock.t += ms;
							ends.push(clock.t - start);
						},
						budgetMs,
						maxAttempts,
						random: () => draws[n++ % draws.length],
					});
					const slept = clock.slept.reduce((a, b) => a + b, 0);
					expect(slept).toBeLessThanOrEqual(budgetMs);
					for (const end of ends) expect(end).toBeLessThanOrEqual(budgetMs);
					expect(calls.calls()).toBeLessThanOrEqual(maxAttempts);
					if (result.ok) expect(result.attempts).toBe(calls.calls());
					else expect(result.failure.attempts).toBe(calls.calls());
				},
			),
			{ numRuns: 500 },
		);
	});

	it.each([
		['401', { status: 401 }, 'auth'],
		['403 (n8n)', n8nHttpError(403), 'auth'],
		['400', { status: 400 }, 'validation'],
		['404', { statusCode: 404 }, 'validation'],
		['422', n8nHttpError(422), 'validation'],
		[
			'userErrors',
			{ data: { m: { userErrors: [{ field: ['x'], message: 'bad' }] } } },
			'validation',
		],
		['GraphQL validation', { errors: [{ message: 'syntax error' }] }, 'validation'],
		['NonRetryableError', new NonRetryableError('nope'), 'validation'],
		['cancelled', codeError('ERR_CANCELED'), 'aborted'],
	])('non-retryable (%s) is attempted exactly once', async (_name, error, errorClass) => {
		const { clock, options } = fakeTime();
		const calls = failing([error]);
		const result = await withRetry(calls.call, options);
		expect(calls.calls()).toBe(1);
		expect(clock.slept).toEqual([]);
		expect(result).toMatchObject({
			ok: false,
			failure: { errorClass, reason: 'notRetryable', attempts: 1 },
		});
	});

	it("an unknown error is retried once: a second gives up ('unknown' earns one retry)", async () => {
		const { clock, options } = fakeTime();
		const twice = failing([new TypeError('x'), new TypeError('y')]);
		const result = await withRetry(twice.call, { ...options, random: () => 0 });
		expect(twice.calls()).toBe(2);
		expect(clock.slept).toEqual([1]);
		expect(result).toMatchObject({
			ok: false,
			failure: { errorClass: 'unknown', reason: 'notRetryable', attempts: 2 },
		});
		const once = failing([new TypeError('x')]);
		expect(await withRetry(once.call, options)).toMatchObject({ ok: true, attempts: 2 });
	});

	it('Retry-After is honoured when longer than the backoff, and the backoff when longer', async () => {
		const { clock, options } = fakeTime();
		const calls = failing([
			n8nHttpError(429, {}, { 'retry-after': '7' }),
			{ status: 429, headers: { 'Retry-After': '1' } },
		]);
		const result = await withRetry(calls.call, { ...options, random: () => 0.99 });
		expect(result).toMatchObject({ ok: true, attempts: 3 });
		// 7 s asked > 990 ms drawn; then 1 s asked < 1,980 ms drawn.
		expect(clock.slept).toEqual([7_000, 1_980]);
	});

	it('Retry-After as an HTTP-date is read against the injected clock', async () => {
		const { clock, options } = fakeTime(Date.parse('2026-11-28T12:00:00Z'));
		const calls = failing([
			{ status: 503, headers: { 'retry-after': 'Sat, 28 Nov 2026 12:00:20 GMT' } },
		]);
		await withRetry(calls.call, { ...options, random: () => 0 });
		expect(clock.slept).toEqual([20_000]);
	});

	it('a wait that would end past the budget is not slept: it gives up at once', async () => {
		const { clock, options } = fakeTime();
		const calls = failing([{ status: 429, headers: { 'retry-after': '60' } }]);
		const result = await withRetry(calls.call, { ...options, budgetMs: 30_000 });
		expect(clock.slept).toEqual([]);
		expect(calls.calls()).toBe(1);
		expect(result).toMatchObject({
			ok: false,
			failure: { errorClass: 'rateLimited', reason: 'budget', attempts: 1, status: 429 },
		});
	});

	it('THROTTLED waits for the refill its cost report implies', async () => {
		const { clock, options } = fakeTime();
		const calls = failing([{ status: 200, body: throttledBody }]);
		const result = await withRetry(calls.call, { ...options, random: () => 0 });
		expect(result).toMatchObject({ ok: true, attempts: 2 });
		expect(clock.slept).toEqual([2_501]);
	});

	it('paceMs: the bucket wait comes before each call and counts against the budget', async () => {
		const { clock, options } = fakeTime();
		const waits = [1_500, 0];
		const calls = failing([transient()]);
		const result = await withRetry(calls.call, {
			...options,
			random: () => 0.5,
			paceMs: () => waits.shift() ?? 0,
		});
		expect(result).toMatchObject({ ok: true, attempts: 2 });
		expect(clock.slept).toEqual([1_500, 500]);

		const never = failing([]);
		const starved = await withRetry(never.call, { ...options, paceMs: () => 45_000 });
		expect(never.calls()).toBe(0);
		expect(starved).toMatchObject({
			ok: false,
			failure: { errorClass: 'throttled', reason: 'budget', attempts: 0 },
		});
	});

	it('the failure carries the error class, attempts, first and last failure time and elapsed time', async () => {
		const { clock, options } = fakeTime(10_000);
		const calls = failing(Array.from({ length: 10 }, transient), clock, 100);
		const result = await withRetry(calls.call, { ...options, random: () => 0.5, maxAttempts: 3 });
		// Call 100 ms, sleep 500, call 100, sleep 1,000, call 100.
		expect(result).toEqual({
			ok: false,
			failure: {
				errorClass: 'transient',
				reason: 'attempts',
				message: 'Channel (HTTP 503): the server failed',
				attempts: 3,
				firstFailureAt: 10_100,
				lastFailureAt: 11_800,
				elapsedMs: 1_800,
				status: 503,
			},
		});
	});

	it('the signal stops it: before a call, and during a wait', async () => {
		const { options } = fakeTime();
		const controller = new AbortController();
		controller.abort();
		const never = failing([]);
		expect(await withRetry(never.call, { ...options, signal: controller.signal })).toMatchObject({
			ok: false,
			failure: { errorClass: 'aborted', reason: 'aborted', attempts: 0 },
		});
		expect(never.calls()).toBe(0);

		const during = new AbortController();
		const calls = failing([transient(), transient()]);
		const result = await withRetry(calls.call, {
			...options,
			signal: during.signal,
			// As n8n's sleep does: the signal fires, the sleep rejects.
			sleep: async () => {
				during.abort();
				throw new Error('aborted');
			},
		});
		expect(calls.calls()).toBe(1);
		expect(result).toMatchObject({
			ok: false,
			failure: { errorClass: 'transient', reason: 'aborted', attempts: 1 },
		});
	});

	it('onRetry hears of each wait before it starts (e.g. to extend the lease)', async () => {
		const { options } = fakeTime();
		const heard: Array<[number, number, string]> = [];
		const opts: RetryOptions = {
			...options,
			random: () => 0.5,
			platform: 'woocommerce',
			onRetry: ({ attempt, delayMs, error }) => {
				heard.push([attempt, delayMs, error.errorClass]);
			},
		};
		await withRetry(
			failing([transient(), { status: 429, headers: { 'retry-after': '3' } }]).call,
			opts,
		);
		expect(heard).toEqual([
			[1, 500, 'transient'],
			[2, 3_000, 'rateLimited'],
		]);
	});
});
