import { createHash } from 'node:crypto';

/**
 * Redis key names (design.md "Redis layout"). Every key is built here, whole: text from items (SKUs, ids,
 * user keys) is escaped so that no `{`, `}`, `:`, space, newline or unicode can make two different texts
 * share a key or reach into another key's namespace.
 */

export const DEFAULT_PREFIX = 'invsync';

const PREFIX_SHAPE = /^[A-Za-z0-9._-]{1,64}(?::[A-Za-z0-9._-]{1,64})*$/;
const SAFE = /^[A-Za-z0-9._-]*$/;
/** Escaped parts longer than this are replaced by a digest, so a 10 KB key text stays a short key. */
const MAX_PART = 200;

export function validatePrefix(prefix: string | undefined): string {
	const value = (prefix ?? '').trim() || DEFAULT_PREFIX;
	if (!PREFIX_SHAPE.test(value)) {
		throw new Error(
			`Key prefix '${value.slice(0, 40)}' may contain only letters, digits, '.', '_', '-' and ':' between parts`,
		);
	}
	return value;
}

/** Per byte: kept as is (a safe ASCII character) or its %XX escape. */
const SAFE_BYTE: readonly boolean[] = Array.from(
	{ length: 256 },
	(_, b) => SAFE.test(String.fromCharCode(b)) && b < 0x80,
);
const HEX_ESCAPE: readonly string[] = Array.from(
	{ length: 256 },
	(_, b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
);

/**
 * A lone surrogate: a high half not followed by a low half, or a low half not preceded by a high half (code
 * units, no 'u' flag). JavaScript strings may hold them (JSON.parse accepts "\ud800"); UTF-8 cannot.
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

/**
 * The bytes of a key text: its UTF-8, except that each lone surrogate becomes its own three bytes
 * (ED A0..BF 80..BF, "WTF-8") instead of the EF BF BD of U+FFFD that `Buffer.from(text, 'utf8')` gives it,
 * so 'S\ud800', 'S\udfff' and 'S\ufffd' stay three texts. Well-formed UTF-8 never holds ED A0..BF (that
 * range is exactly the surrogates), so a well-formed text keeps its UTF-8 bytes and no two texts share bytes.
 */
export function keyTextBytes(text: string): Buffer {
	if (!LONE_SURROGATE.test(text)) return Buffer.from(text, 'utf8');
	const chunks: Buffer[] = [];
	let from = 0;
	for (const match of text.matchAll(LONE_SURROGATES)) {
		const at = match.index ?? 0;
		const unit = text.charCodeAt(at);
		// A slice between lone surrogates never splits a pair, so its UTF-8 is exact.
		chunks.push(Buffer.from(text.slice(from, at), 'utf8'));
		chunks.push(Buffer.of(0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)));
		from = at + 1;
	}
	chunks.push(Buffer.from(text.slice(from), 'utf8'));
	return Buffer.concat(chunks);
}

/**
 * Escapes one key part: bytes (keyTextBytes) outside [A-Za-z0-9._-] become %XX, so the mapping is injective
 * on every JavaScript string, lone surrogates included, and the result never contains ':' or braces. Long
 * parts become 'h~' + SHA-256 hex of the same bytes (no escaped part can start with '~', so a digest never
 * equals an escaped text).
 */
export function escapeKeyPart(text: string): string {
	if (SAFE.test(text) && text.length <= MAX_PART) return text;
	const bytes = keyTextBytes(text);
	let escaped = '';
	for (const byte of bytes) {
		escaped += SAFE_BYTE[byte] ? String.fromCharCode(byte) : HEX_ESCAPE[byte];
		if (escaped.length > MAX_PART) return `h~${createHash('sha256').update(bytes).digest('hex')}`;
	}
	return escaped;
}

export function key(prefix: string, ...parts: string[]): string {
	return [prefix, ...parts].join(':');
}

/** The default inbox stream of design.md; a workflow may name its own (same prefix). */
export function inboxKey(prefix: string, name = 'inbox'): string {
	return key(prefix, escapeKeyPart(name));
}

/**
 * The Inventory Ledger's keys (design.md "Redis layout"). SKU texts, shops, order ids, channel names are
 * escaped: a SKU with `{`, `}`, `:`, spaces or unicode never reaches another key. Hash fields and stream
 * values hold the raw texts (they are data, not key names).
 *
 * nodes/InventoryLedger/lua/applyEvents.lua names a removed order line's ledger hash, audit stream and outbox
 * from this same layout ('<prefix>:sku:<part>:ledger' | ':audit', '<prefix>:outbox:<part>') and the key parts
 * it stored with the line: change the layout there too.
 */
export const ledgerKeys = {
	profile: (prefix: string) => key(prefix, 'profile'),
	/** Every SKU the ledger has seen (for re-marking dirty after a profile change). */
	skus: (prefix: string) => key(prefix, 'skus'),
	/**
	 * `<prefix>:sku:<sku>:ledger`: `q:<loc>` units, `v:<loc>` level version, `p:<loc>` pending forwards, `rev`,
	 * `frozen`, and the SKU's sales rate for the buffer's reserve (InventoryLedger/salesRate.ts): `sr` units per
	 * second over all channels as of `st` (ms, Redis TIME), written by applyEvents.lua at each sale.
	 */
	ledger: (prefix: string, sku: string) => key(prefix, 'sku', escapeKeyPart(sku), 'ledger'),
	pub: (prefix: string, sku: string) => key(prefix, 'sku', escapeKeyPart(sku), 'pub'),
	audit: (prefix: string, sku: string) => key(prefix, 'sku', escapeKeyPart(sku), 'audit'),
	orderLines: (prefix: string, platform: string, shop: string, orderId: string) =>
		key(prefix, 'ol', escapeKeyPart(platform), escapeKeyPart(shop), escapeKeyPart(orderId)),
	outbox: (prefix: string, owner: string) => key(prefix, 'outbox', escapeKeyPart(owner)),
	dirty: (prefix: string, channel: string) => key(prefix, 'dirty', escapeKeyPart(channel)),
	map: (prefix: string, platform: string, shop: string) =>
		key(prefix, 'map', escapeKeyPart(platform), escapeKeyPart(shop)),
	/**
	 * `<prefix>:unmapped:<platform>:<shop>`: set of map fields ('item:<id>', …) an item named while the map had
	 * no SKU for them (the Ledger's Invalid `unmapped`), for Shopify Resolve SKUs' "All Unmapped" mode.
	 */
	unmapped: (prefix: string, platform: string, shop: string) =>
		key(prefix, 'unmapped', escapeKeyPart(platform), escapeKeyPart(shop)),
};

// ---------------------------------------------------------------------------------------------------------
// The Guard's keys. Item text is escaped (`{`, `}`, ':', spaces, newlines and unicode become %XX, texts over
// 200 escaped characters a digest). A scope, when given, is its own escaped part, so `guard:<key>` and
// `guard:<scope>:<key>` never meet (an escaped part holds no ':').

function guardParts(scope: string | undefined, text: string): string[] {
	return scope ? [escapeKeyPart(scope), escapeKeyPart(text)] : [escapeKeyPart(text)];
}

/** `<prefix>:guard:[<scope>:]<key>`: a dedupe claim ('c:<owner>') or commit ('d:<owner>'). */
export function guardKey(prefix: string, text: string, scope?: string): string {
	return key(prefix, 'guard', ...guardParts(scope, text));
}

/** `<prefix>:lock:[<scope>:]<key>`: the holder's token, with the lock TTL. */
export function lockKey(prefix: string, text: string, scope?: string): string {
	return key(prefix, 'lock', ...guardParts(scope, text));
}

/** `<prefix>:fence:[<scope>:]<key>`: the fencing counter, incremented with each acquisition; never expires. */
export function fenceKey(prefix: string, text: string, scope?: string): string {
	return key(prefix, 'fence', ...guardParts(scope, text));
}

// ---------------------------------------------------------------------------------------------------------
// Channel-side keys of the design's layout (dead letters are shared by the inbox and the channel nodes).

export const channelKeys = {
	/** `<prefix>:dlq`: the dead-letter stream (shared/deadLetters.ts). */
	dlq: (prefix: string) => key(prefix, 'dlq'),
	/**
	 * `<prefix>:dlq:replayed:<id>`: the replay marker of one dead letter (shared/dlq.ts claimDeadLetter: the
	 * record as it was claimed, expiring after the marker lifetime).
	 */
	dlqReplayed: (prefix: string, id: string) => key(prefix, 'dlq', 'replayed', escapeKeyPart(id)),
	/**
	 * `<prefix>:pace:<platform>:<shop>`: the shop's rate limit as every worker paces on it (channel/sharedPace.ts:
	 * Shopify's bucket estimate, WooCommerce's next request slot and Retry-After).
	 */
	pace: (prefix: string, platform: string, shop: string) =>
		key(prefix, 'pace', escapeKeyPart(platform), escapeKeyPart(shop)),
	/** `<prefix>:breaker:<channel>`: the channel's circuit breaker (state, failures, opened-at). */
	breaker: (prefix: string, channel: string) => key(prefix, 'breaker', escapeKeyPart(channel)),
	/** `<prefix>:cursor:<channel>`: the catch-up poll's cursor. */
	cursor: (prefix: string, channel: string) => key(prefix, 'cursor', escapeKeyPart(channel)),
	/**
	 * `<prefix>:pollresume:<channel>`: where a poll that could not read everything stopped (the newest time it
	 * applied). The next poll continues from there instead of the cursor minus the overlap: with an overlap
	 * holding more orders than one poll reads, every poll would read the same window again and never finish.
	 * Deleted when a poll completes.
	 */
	pollResume: (prefix: string, channel: string) =>
		key(prefix, 'pollresume', escapeKeyPart(channel)),
	/** `<prefix>:lag:<channel>`: event → published latency samples. */
	lag: (prefix: string, channel: string) => key(prefix, 'lag', escapeKeyPart(channel)),
	/**
	 * `<prefix>:dirty:<channel>:at`: per dirty SKU, the receipt time (ms) of its first change not yet
	 * published (applyEvents.lua names it from the dirty zset's key: change both together).
	 */
	dirtyAt: (prefix: string, channel: string) => `${ledgerKeys.dirty(prefix, channel)}:at`,
	/** `<prefix>:polled:<channel>`: start time (ms) of the channel's last finished catch-up poll. */
	polled: (prefix: string, channel: string) => key(prefix, 'polled', escapeKeyPart(channel)),
	/**
	 * `<prefix>:held:<channel>`: SKUs whose mirror Publish holds lower than the ledger says (mirror safety), until
	 * a poll that started at or after the score (the hold's version) marks them dirty again (finishPoll-3.lua).
	 */
	held: (prefix: string, channel: string) => key(prefix, 'held', escapeKeyPart(channel)),
	/**
	 * `<prefix>:reserve:<channel>`: SKUs Publish showed lower because of the buffer's sales-rate reserve (zset,
	 * score = when the reserve reaches 0 if nothing more sells, ms, our clock). Every Publish of the channel first
	 * marks those whose time has come dirty again (releaseReserves-2.lua), so no event is needed to lift a reserve.
	 * Per SKU the earliest time (ZADD LT): a SKU looked at early is decided again and records itself again.
	 */
	reserve: (prefix: string, channel: string) => key(prefix, 'reserve', escapeKeyPart(channel)),
	/** `<prefix>:adjusting:<owner>`: the Adjust batch in flight (its idempotency key and entries). */
	adjusting: (prefix: string, owner: string) => key(prefix, 'adjusting', escapeKeyPart(owner)),
	/** `<prefix>:adjusted:<owner>`: outbox entry ids the owner confirmed (zset, score = ms), for replays. */
	adjusted: (prefix: string, owner: string) => key(prefix, 'adjusted', escapeKeyPart(owner)),
};
