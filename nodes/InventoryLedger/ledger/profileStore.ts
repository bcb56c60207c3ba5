import type Redis from 'ioredis';
import { ledgerKeys } from '../../shared/keys';
import { execAll } from '../../shared/redisBatch';
import { LedgerCode } from '../codes';
import {
	ProfileError,
	affectedChannels,
	indexProfile,
	parseProfile,
	profileText,
	type Profile,
	type ProfileIndex,
} from '../profile';
import { withLedgerScripts } from './scripts';

/** Profile: the stored sync profile (cached per client and prefix), saving it, re-marking SKUs dirty. */

export interface LoadedProfile {
	version: string;
	index: ProfileIndex;
	updatedAt?: string;
}

export class NoProfileError extends Error {
	constructor() {
		super(
			'No sync profile is saved yet: run the Inventory Ledger node with the Profile operation (Save) first',
		);
	}
}

const profiles = new WeakMap<Redis, Map<string, LoadedProfile>>();

/** The stored profile (cached per client and prefix unless `fresh`); undefined when none is saved. */
export async function loadProfile(
	redis: Redis,
	prefix: string,
	fresh = false,
): Promise<LoadedProfile | undefined> {
	let byPrefix = profiles.get(redis);
	if (!byPrefix) {
		byPrefix = new Map();
		profiles.set(redis, byPrefix);
	}
	const cached = byPrefix.get(prefix);
	if (cached && !fresh) return cached;
	const [version, json, updatedAt] = await redis.hmget(
		ledgerKeys.profile(prefix),
		'version',
		'json',
		'updatedAt',
	);
	if (!version || !json) {
		byPrefix.delete(prefix);
		return undefined;
	}
	if (cached && cached.version === version) return cached;
	let profile: Profile | undefined;
	let problem: ProfileError | undefined;
	try {
		profile = parseProfile(json);
	} catch (error) {
		problem = error instanceof ProfileError ? error : new ProfileError([String(error)]);
	}
	if (!profile)
		throw new ProfileError([
			`the stored profile (version ${version}) is not valid any more`,
			...(problem?.problems ?? []),
		]);
	const loaded: LoadedProfile = {
		version,
		index: indexProfile(profile),
		updatedAt: updatedAt ?? undefined,
	};
	byPrefix.set(prefix, loaded);
	return loaded;
}

export interface SaveProfileResult {
	saved: boolean;
	version: number;
	/** Channels re-marked dirty (their published figures may change). */
	affectedChannels: string[];
	/** SKUs marked dirty per affected channel. */
	markedSkus: number;
	conflict?: boolean;
}

/**
 * Validates and stores a profile (a new version when it differs from the stored one), then marks every SKU
 * the ledger knows dirty for the channels the change affects. `expectedVersion`: compare-and-set.
 */
export async function saveProfile(
	redis: Redis,
	prefix: string,
	input: unknown,
	options: { expectedVersion?: number; now?: () => Date } = {},
): Promise<SaveProfileResult & { profile: Profile }> {
	withLedgerScripts(redis);
	const profile = parseProfile(input);
	const reply = (await redis.ledgerSaveProfile(
		ledgerKeys.profile(prefix),
		profileText(profile),
		options.expectedVersion === undefined ? '' : String(options.expectedVersion),
		(options.now?.() ?? new Date()).toISOString(),
	)) as [number, number | string, string];
	const code = Number(reply[0]);
	const version = Number(reply[1]);
	if (code === LedgerCode.VersionConflict)
		return { saved: false, conflict: true, version, affectedChannels: [], markedSkus: 0, profile };
	if (code === LedgerCode.Unchanged)
		return { saved: false, version, affectedChannels: [], markedSkus: 0, profile };
	let before: Profile | undefined;
	try {
		before = reply[2] ? parseProfile(reply[2]) : undefined;
	} catch {
		before = undefined;
	}
	const channels = affectedChannels(before, profile);
	const markedSkus = await markAllDirty(redis, prefix, channels);
	return { saved: true, version, affectedChannels: channels, markedSkus, profile };
}

/** Marks every known SKU dirty (score = its rev) for these channels; SSCAN in pages, one pipeline per page. */
export async function markAllDirty(
	redis: Redis,
	prefix: string,
	channels: string[],
): Promise<number> {
	if (channels.length === 0) return 0;
	let cursor = '0';
	let count = 0;
	do {
		const [next, skus] = await redis.sscan(ledgerKeys.skus(prefix), cursor, 'COUNT', 1000);
		cursor = next;
		if (skus.length === 0) continue;
		const revs = await execAll(
			skus.reduce((p, sku) => p.hget(ledgerKeys.ledger(prefix, sku), 'rev'), redis.pipeline()),
		);
		const pipeline = redis.pipeline();
		for (const channel of channels) {
			const args: Array<string | number> = [];
			skus.forEach((sku, i) => args.push(Number(revs[i] ?? 0), sku));
			pipeline.zadd(ledgerKeys.dirty(prefix, channel), ...args);
		}
		await execAll(pipeline);
		count += skus.length;
	} while (cursor !== '0');
	return count;
}
