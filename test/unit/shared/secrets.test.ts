import fc from 'fast-check';
import {
	AUTH_SCHEMES,
	MIN_KNOWN_SECRET_LENGTH,
	REDACTED,
	SECRET_NAMES,
	scrubSecrets,
} from '../../../nodes/shared/secrets';

// The one scrubber shared by retry.ts (channel failures) and deadLetters.ts (dead-letter records): the
// cases both modules' suites held, then properties over every kind of place a secret rides in.

describe('scrubSecrets', () => {
	it.each([
		// From retry.test.ts.
		[
			'an http URL: user info and query string dropped',
			'GET https://u:p@shop.test/wp-json/wc/v3/products?consumer_key=ck_1&consumer_secret=cs_2 failed',
			'GET https://shop.test/wp-json/wc/v3/products failed',
		],
		[
			'oauth_ parameters',
			'oauth_signature=abc&oauth_nonce=def',
			`oauth_signature=${REDACTED}&oauth_nonce=${REDACTED}`,
		],
		['a header with its scheme', 'Authorization: Bearer abc.def', `Authorization: ${REDACTED}`],
		['a JSON pair', '{"consumer_secret":"cs_abc"}', `{"consumer_secret":"${REDACTED}"}`],
		[
			'tokens known by their prefix',
			'token shpat_abcdef123 and ck_0123456789abcdef',
			`token ${REDACTED} and ${REDACTED}`,
		],
		[
			'a validation message',
			'Invalid parameter(s): stock_quantity',
			'Invalid parameter(s): stock_quantity',
		],
		// From channelDeadLetters.test.ts.
		['a Shopify Admin token', 'token shpat_abcdef0123456789 used', `token ${REDACTED} used`],
		['a Shopify shared secret', 'shpss_00ffEE11aa', REDACTED],
		['WooCommerce keys', 'ck_0123456789abcdef / cs_fedcba9876543210', `${REDACTED} / ${REDACTED}`],
		['a bearer token', 'Authorization: Bearer abc.def-ghi', `Authorization: ${REDACTED}`],
		['basic auth', 'sent Basic dXNlcjpwYXNz, refused', `sent Basic ${REDACTED}, refused`],
		[
			'query parameters of a path',
			'/products?consumer_key=k1&consumer_secret=s2&page=1',
			`/products?consumer_key=${REDACTED}&consumer_secret=${REDACTED}&page=1`,
		],
		[
			'a JSON header dump',
			'{"X-Shopify-Access-Token":"tok123"}',
			`{"X-Shopify-Access-Token":"${REDACTED}"}`,
		],
		// Was `https://[redacted]@shop.example/x` in deadLetters.ts; dropping it (retry.ts) removes more.
		['URL user info', 'https://me:pw@shop.example/x', 'https://shop.example/x'],
		[
			'nothing secret',
			'HTTP 503 from shop.example (SKU A-1)',
			'HTTP 503 from shop.example (SKU A-1)',
		],
		// What the union of the two adds.
		['user info of another scheme', 'redis://default:pw-123@cache:6379/0', 'redis://cache:6379/0'],
		['a Shopify shpua_ token', 'sent shpua_0a1b2c3d', `sent ${REDACTED}`],
		['a specific name inside a longer one', 'db_password: hunter2', `db_password: ${REDACTED}`],
		[
			'a generic name only as a word of its own',
			'idempotencyKey: must be unique; monkey=banana',
			'idempotencyKey: must be unique; monkey=banana',
		],
		['a header-like pair', 'X-Api-Key: abc123, next', `X-Api-Key: ${REDACTED}, next`],
	])('%s', (_what, text, expected) => {
		expect(scrubSecrets(text)).toBe(expected);
	});

	it("the node's own credential values wherever they occur (not too-short ones)", () => {
		expect(scrubSecrets('a my-secret-value b my-secret-value', ['my-secret-value'])).toBe(
			`a ${REDACTED} b ${REDACTED}`,
		);
		expect(scrubSecrets('abc abc', ['abc', ''])).toBe('abc abc');
		expect(scrubSecrets('abcdef', ['abcdef'])).toBe(REDACTED);
		expect('abcdef').toHaveLength(MIN_KNOWN_SECRET_LENGTH);
	});
});

describe('scrubSecrets properties', () => {
	const TOKEN_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-'.split('');
	const token = fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 8, maxLength: 40 });
	const name = fc.mixedCase(
		fc.constantFrom(...SECRET_NAMES, 'oauth_signature', 'oauth_token', 'oauth_consumer_key'),
	);
	const scheme = fc.mixedCase(fc.constantFrom(...AUTH_SCHEMES));
	const before = fc.constantFrom('', 'failed: ', 'GET /p ', 'x\n', '(', '{"a":1,');
	const after = fc.constantFrom('', ' failed', '&page=1', ', retry', '\n', ';', '}', ')');

	/** Each way a secret rides in text, as a function of the secret. */
	type Plant = [what: string, build: (secret: string) => string];
	const planted: fc.Arbitrary<Plant> = fc.oneof(
		fc
			.tuple(name, fc.constantFrom('https://shop.test/p?', '/p?a=1&', '?', ''))
			.map(([n, head]): Plant => [`query parameter ${n}`, (s: string) => `${head}${n}=${s}`]),
		fc
			.tuple(name, fc.constantFrom(': ', ':', ' = ', '='))
			.map(([n, sep]): Plant => [`header-like ${n}`, (s: string) => `${n}${sep}${s}`]),
		fc
			.tuple(name, fc.constantFrom('":"', '": "', "':'"))
			.map(([n, sep]): Plant => [`JSON ${n}`, (s: string) => `{"${n}${sep}${s}"}`]),
		fc
			.tuple(scheme, fc.constantFrom('', 'Authorization: ', '"authorization":"', 'sent '))
			.map(([sc, head]): Plant => [`scheme ${sc}`, (s: string) => `${head}${sc} ${s}`]),
		fc
			.tuple(
				fc.constantFrom('https', 'http', 'redis', 'rediss', 'ftp'),
				fc.stringMatching(/^[a-z][a-z0-9._-]{0,11}$/),
			)
			.map(
				([sc, user]): Plant => [
					`URL ${sc} user:password`,
					(s: string) => `${sc}://${user}:${s}@host.example:443/x`,
				],
			),
	);

	it('a token planted as the value of any secret-named pair, scheme or URL password never survives', () => {
		fc.assert(
			fc.property(planted, before, after, token, ([, build], head, tail, secret) => {
				const skeleton = `${head}${build('')}${tail}`;
				// A token that is a piece of the text around it (a name, '[redacted]') is not a secret there.
				fc.pre(!skeleton.includes(secret) && !REDACTED.includes(secret));
				expect(scrubSecrets(`${head}${build(secret)}${tail}`)).not.toContain(secret);
			}),
			{ numRuns: 500 },
		);
	});

	it('a token passed in knownSecrets never survives, whatever the text around it', () => {
		fc.assert(
			fc.property(fc.string(), fc.string(), token, (head, tail, secret) => {
				fc.pre(!REDACTED.includes(secret));
				const text = `${head}${secret}${tail}${secret}`;
				expect(scrubSecrets(text, [secret])).not.toContain(secret);
			}),
			{ numRuns: 300 },
		);
	});
});
