/**
 * The one secret scrubber of the package: text meant for logs, error messages and the dead-letter stream
 * passes through scrubSecrets, whoever built it (retry.ts's channel failures, deadLetters.ts's records). A
 * backstop: messages are built from safe fields in the first place. Pure: no I/O, no state.
 */

/** What stands where a secret was. */
export const REDACTED = '[redacted]';

/**
 * Names whose values are secrets in `name=value` (query strings, forms), `name: value` (header dumps) and
 * `"name": "value"` (JSON) pairs, matched case-insensitively. These are specific enough to count inside a
 * longer name too (`db_password`, `proxy-authorization`, `X-WC-Consumer-Key`).
 */
const EMBEDDED_SECRET_NAMES: readonly string[] = [
	'x-shopify-access-token',
	'proxy-authorization',
	'authorization',
	'set-cookie',
	'cookie',
	'consumer_key',
	'consumer_secret',
	'client_secret',
	'access_token',
	'refresh_token',
	'api_key',
	'password',
	'passwd',
];

/**
 * Names too generic to count inside a longer word (`monkey`, `idempotencyKey`): secret only as a word of
 * their own (after a space, quote, `?`, `&`, `-`, …). Any `oauth_…` parameter is secret as well.
 */
const WORD_SECRET_NAMES: readonly string[] = [
	'signature',
	'secret',
	'apikey',
	'token',
	'key',
	'sig',
];

/** Every literal secret name (the oauth_ prefix aside). */
export const SECRET_NAMES: readonly string[] = [...EMBEDDED_SECRET_NAMES, ...WORD_SECRET_NAMES];

/** HTTP auth schemes are case-insensitive; redacting the word after a stray "basic" is the safe mistake. */
export const AUTH_SCHEMES: readonly string[] = ['Bearer', 'Basic', 'Digest', 'OAuth'];

/** Known secrets shorter than this are not scrubbed as plain text (they would match ordinary words). */
export const MIN_KNOWN_SECRET_LENGTH = 6;

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const SCHEMES = AUTH_SCHEMES.join('|');
const NAME = `(?:${EMBEDDED_SECRET_NAMES.map(escape).join('|')})|\\b(?:${WORD_SECRET_NAMES.map(escape).join('|')}|oauth_[a-z_]*)`;

/** `name=value`, `name: value`, `"name":"value"`; the value of an Authorization header with its scheme. */
const SECRET_PAIR = new RegExp(
	`(${NAME})(["']?\\s*[=:]\\s*["']?)(?:(?:${SCHEMES})\\s+)?[^\\s"'&,;}]+`,
	'gi',
);
/** An auth scheme's credential anywhere else (not one already redacted). */
const AUTH_SCHEME = new RegExp(`\\b(${SCHEMES})\\s+(?!\\[redacted\\])[^\\s"',;]+`, 'gi');
/**
 * Shopify tokens and secrets (shpat_ Admin API, shpca_ / shppa_ custom / private apps, shpss_ shared secret,
 * shpua_) and WooCommerce REST keys (ck_, cs_), by their prefixes.
 */
const KNOWN_TOKENS = /\b(?:shp(?:at|ca|pa|ss|ua)_[A-Za-z0-9]+|c[ks]_[A-Za-z0-9]{8,})/g;
/** An http(s) URL: its user info, query string and fragment go (WooCommerce keys may ride in the query). */
const HTTP_URL = /\b(https?:\/\/)(?:[^\s/@"'<>]*@)?([^\s?#"'<>]*)(?:[?#][^\s"'<>]*)?/gi;
/** User info of a URL of any other scheme (redis://user:password@host). */
const URL_USER_INFO = /(\/\/)(?:[^\s/:@]+:[^\s/@]+|[^\s/@"'<>]+)@/g;

/**
 * `text` with what may be a secret removed: first every known secret (the node's own credential values, at
 * least MIN_KNOWN_SECRET_LENGTH long) wherever it occurs, then URL user info and http(s) query strings, the
 * values of secret-named pairs (SECRET_NAMES), Authorization schemes' credentials, and tokens known by their
 * prefix. What is replaced reads '[redacted]'; URL user info and query strings are dropped.
 */
export function scrubSecrets(text: string, knownSecrets: readonly string[] = []): string {
	let out = text;
	for (const secret of knownSecrets) {
		if (typeof secret === 'string' && secret.length >= MIN_KNOWN_SECRET_LENGTH)
			out = out.split(secret).join(REDACTED);
	}
	return out
		.replace(HTTP_URL, '$1$2')
		.replace(URL_USER_INFO, '$1')
		.replace(SECRET_PAIR, `$1$2${REDACTED}`)
		.replace(AUTH_SCHEME, `$1 ${REDACTED}`)
		.replace(KNOWN_TOKENS, REDACTED);
}
