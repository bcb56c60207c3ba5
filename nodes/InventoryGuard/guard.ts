import { newToken } from '../shared/locks';

/**
 * Pure pieces of the Inventory Guard (its key names are built in shared/keys.ts): batching, settings, tokens and
 * the operation-dependent outputs. No Redis here.
 */

export type GuardOperation = 'deduplicate' | 'commit' | 'release' | 'lock' | 'unlock' | 'extend';

export const OPERATIONS: readonly GuardOperation[] = [
	'deduplicate',
	'commit',
	'release',
	'lock',
	'unlock',
	'extend',
];

export function isGuardOperation(value: unknown): value is GuardOperation {
	return typeof value === 'string' && (OPERATIONS as readonly string[]).includes(value);
}

export class GuardInputError extends Error {}

/** The Key's default: an event's line at its version with its units (defaultKeyOf renders it without n8n). */
export const DEFAULT_DEDUPE_KEY = '={{ $json.id }}@{{ $json.version }}:{{ $json.quantity }}';

/**
 * The default Key (DEFAULT_DEDUPE_KEY) of one item, rendered as n8n renders that expression —
 * each part as text, null and missing as '' — for an item whose three fields are text, finite numbers, null or
 * missing; undefined for any other item (n8n evaluates the expression then). Rendering it here saves n8n's
 * expression engine three evaluations per item: in the flash-sale bench those took 11 % of the n8n process's CPU
 * (Deduplicate and Commit see every event).
 */
export function defaultKeyOf(json: Record<string, unknown>): string | undefined {
	const part = (value: unknown): string | undefined => {
		if (value === null || value === undefined) return '';
		if (typeof value === 'string') return value;
		if (typeof value === 'number' && Number.isFinite(value)) return String(value);
		return undefined;
	};
	const id = part(json.id);
	const version = part(json.version);
	const quantity = part(json.quantity);
	if (id === undefined || version === undefined || quantity === undefined) return undefined;
	return `${id}@${version}:${quantity}`;
}

/**
 * The key text an item resolved to. Refuses what would silently merge unrelated items into one key: an empty
 * text, `undefined` or `null`, or an `@`-joined text with an empty, `undefined` or `null` part (the default
 * `{{$json.id}}@{{$json.version}}:{{$json.quantity}}` on an item that lacks an id or a version).
 */
export function keyText(value: unknown, what = 'Key'): string {
	if (value === null || value === undefined) throw new GuardInputError(`${what} is empty`);
	if (typeof value === 'object') {
		throw new GuardInputError(
			`${what} must be text, not an ${Array.isArray(value) ? 'array' : 'object'}`,
		);
	}
	const text = String(value);
	if (text.trim() === '') throw new GuardInputError(`${what} is empty`);
	const empty = (text: string) => ['', 'undefined', 'null'].includes(text.trim());
	// A part counts as blank also when what comes before its first ':' is (the default's `version:quantity`
	// on an item without a version); a null quantity after it is a real value (a status that moves no stock).
	const blank = (part: string) => empty(part) || empty(part.split(':')[0]);
	const parts = text.split('@');
	if (parts.every(blank) || (parts.length > 1 && parts.some(blank))) {
		throw new GuardInputError(
			`${what} resolved to '${text.slice(0, 60)}': the expression found no value on this item`,
		);
	}
	return text;
}

export function tokenText(value: unknown): string {
	if (typeof value !== 'string' || !/^[0-9a-f]{32}$/.test(value)) {
		throw new GuardInputError(
			value === undefined || value === null || value === ''
				? 'Token is empty: pass the token the Lock operation put on the item (lock.token)'
				: 'Token is not a lock token (32 hex characters from the Lock operation)',
		);
	}
	return value;
}

/** Who claims: the n8n instance and execution, so a run's Release gives back only its own claims. */
export function ownerOf(
	instanceId: string | undefined,
	executionId: string | undefined,
	random = newToken,
): string {
	const execution = executionId ? String(executionId) : `anonymous-${random()}`;
	return `${instanceId ?? ''}/${execution}`;
}

/** A Redis stream entry id ('<ms>-<seq>'), as the Inventory Inbox Trigger puts on its items. */
const ENTRY_ID = /^[0-9]{1,20}-[0-9]{1,20}$/;

/**
 * Who owns an item's claim: what will be delivered again if this run dies. An item from the Inventory Inbox
 * Trigger carries its inbox entry id (`inboxEntryId`); the entry stays pending until a run that processed it
 * succeeds and then comes back with the same id, so the claim belongs to the entry ('inbox:<entry id>') and
 * its redelivery takes the claim again instead of finding it "in flight" and being acknowledged unapplied.
 * Any other item belongs to the run (nothing redelivers it before the claim TTL but a new delivery).
 */
export function claimOwnerOf(json: Record<string, unknown> | undefined, runOwner: string): string {
	const entryId = json?.inboxEntryId;
	return typeof entryId === 'string' && ENTRY_ID.test(entryId) ? `inbox:${entryId}` : runOwner;
}

// ---------------------------------------------------------------------------------------------------------
// Batching

/** Keys per claim/commit/release script call: larger batches become several calls in one pipeline (shared/redisBatch.ts callPerChunk). */
export const MAX_KEYS_PER_SCRIPT = 1000;

/** Groups item indexes by a string id, in first-seen order (one lock call per distinct key or key+token). */
export function groupBy<T>(
	items: readonly T[],
	id: (item: T) => string,
): Array<{ id: string; indexes: number[] }> {
	const groups = new Map<string, number[]>();
	items.forEach((item, index) => {
		const k = id(item);
		const list = groups.get(k);
		if (list) list.push(index);
		else groups.set(k, [index]);
	});
	return [...groups].map(([k, indexes]) => ({ id: k, indexes }));
}

// ---------------------------------------------------------------------------------------------------------
// Settings (node-redlock style: readonly, frozen defaults, Partial in, each field checked)

export interface GuardSettings {
	/** How long a claim stays in flight without commit or release. */
	readonly claimTtlMs: number;
	/** How long a committed key stays a duplicate. 72 h: longer than Shopify's 4 h of retries and n8n's. */
	readonly commitTtlMs: number;
	/** Lock TTL, and the TTL Extend sets. */
	readonly lockTtlMs: number;
	/** How long Lock waits for a busy key before the item goes to Busy. */
	readonly maxWaitMs: number;
	/** First retry delay of a busy lock; doubles per attempt up to retryCapMs, jittered. */
	readonly retryBaseMs: number;
	readonly retryCapMs: number;
}

export const DEFAULT_SETTINGS: GuardSettings = Object.freeze({
	claimTtlMs: 5 * 60_000,
	commitTtlMs: 72 * 3_600_000,
	lockTtlMs: 30_000,
	maxWaitMs: 5_000,
	retryBaseMs: 50,
	retryCapMs: 1_000,
});

/** Largest TTL we accept: 10 years (PX takes a 64-bit integer, but a typo of 1e20 should be refused). */
const MAX_TTL_MS = 10 * 365 * 24 * 3_600_000;

const LIMITS: Record<keyof GuardSettings, { min: number; max: number }> = {
	claimTtlMs: { min: 1, max: MAX_TTL_MS },
	commitTtlMs: { min: 1, max: MAX_TTL_MS },
	lockTtlMs: { min: 1, max: MAX_TTL_MS },
	maxWaitMs: { min: 0, max: 10 * 60_000 },
	retryBaseMs: { min: 1, max: 60_000 },
	retryCapMs: { min: 1, max: 60_000 },
};

export function guardSettings(partial: Partial<GuardSettings> = {}): GuardSettings {
	const out: Record<string, number> = { ...DEFAULT_SETTINGS };
	for (const [name, value] of Object.entries(partial) as Array<[keyof GuardSettings, unknown]>) {
		if (value === undefined) continue;
		const limit = LIMITS[name];
		if (!limit) throw new GuardInputError(`Unknown setting '${String(name)}'`);
		if (typeof value !== 'number' || !Number.isFinite(value)) {
			throw new GuardInputError(`${name} must be a number, got ${JSON.stringify(value)}`);
		}
		const ms = Math.round(value);
		if (ms < limit.min || ms > limit.max) {
			throw new GuardInputError(
				`${name} must be between ${limit.min} and ${limit.max} ms, got ${value}`,
			);
		}
		out[name] = ms;
	}
	if (out.retryCapMs < out.retryBaseMs) out.retryCapMs = out.retryBaseMs;
	return Object.freeze(out) as unknown as GuardSettings;
}

/** A node parameter in seconds (fractions allowed) → milliseconds; undefined when unset. */
export function secondsParam(value: unknown, name: string): number | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	const n = typeof value === 'number' ? value : Number(value);
	if (!Number.isFinite(n))
		throw new GuardInputError(`${name} must be a number of seconds, got '${String(value)}'`);
	return n * 1000;
}

// ---------------------------------------------------------------------------------------------------------
// Outputs per operation. n8n evaluates `outputs: '={{(' + configuredOutputs + ')($parameter)}}'` (as the
// Switch node does): this function is sent as source text, so it must use nothing from outside its body.

export const configuredOutputs = (parameters: { operation?: string }) => {
	const operation = parameters.operation || 'deduplicate';
	const names =
		operation === 'deduplicate' || operation === 'claim'
			? ['New', 'Duplicate']
			: operation === 'lock'
				? ['Acquired', 'Busy']
				: operation === 'extend'
					? ['Extended', 'Lost']
					: ['Done'];
	return names.map((displayName) => ({ type: 'main', displayName }));
};
