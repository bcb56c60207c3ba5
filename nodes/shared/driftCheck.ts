import type Redis from 'ioredis';
import { loadProfile } from '../InventoryLedger/ledger/profileStore';
import { SALES_RATE_FIELD, parseSalesRate, redisTimeMs } from '../InventoryLedger/salesRate';
import { ledgerKeys } from './keys';
import { execAll } from './redisBatch';
import { pollFinishedFrom } from './channel/pollMarker';
import { decidePlaces, type SkuLedgerView } from './channel/publishPlan';
import { withChannelScripts } from './channel/scripts';

/**
 * The reconciliation's check of one channel (issue 18, nightly template): every SKU the ledger knows that is
 * mapped for the channel's platform and shop is decided as Publish would decide it (publishPlan.decidePlaces:
 * the profile's availability, what the mirror showed in its last report or our last confirmed write, mirror
 * holds released only by a poll that started after the report), and a SKU whose channel place needs a write is
 * marked dirty for this channel alone (score = its rev, as every mark). Publish then repairs exactly those: a
 * mirror that reported less than we published stays held (never raised) until the order poll has run, so the
 * nightly template reads the mirrors, polls the orders, and only then runs this check.
 *
 * SKUs not mapped for the channel are counted apart and not marked: they are not on that channel (or their
 * mapping is missing, which the first sync and Resolve report), and marking them would only produce an
 * "unmapped" every night.
 */

export interface DriftCheck {
	/** SKUs of the ledger looked at. */
	skus: number;
	/** Of them, mapped for this channel (checked). */
	checked: number;
	/** SKUs whose channel place needs a write (marked dirty for this channel). */
	drifting: number;
	/** Channel places of those SKUs that need a write. */
	driftingPlaces: number;
	/** Checked places held lower than the ledger says (a mirror's report waits for the order poll). */
	held: number;
	/** SKUs the ledger knows but the channel's SKU map does not (not checked). */
	unmapped: number;
	/** Up to `listLimit` drifting SKUs with what the ledger wants and what the channel is known to show. */
	examples: Array<{ sku: string; place: string; desired: number; shown: number | null }>;
}

/** SKUs per read (one script call for their ledger and pub hashes, one HMGET of the map). */
const CHUNK = 500;

export async function markDrifting(
	redis: Redis,
	prefix: string,
	channel: string,
	opts: { listLimit?: number } = {},
): Promise<DriftCheck> {
	withChannelScripts(redis);
	const loaded = await loadProfile(redis, prefix, true);
	if (!loaded)
		throw new Error('no sync profile is saved: save one with the Inventory Ledger first');
	const profile = loaded.index.profile;
	const def = profile.channels.find((c) => c.name === channel);
	if (!def) throw new Error(`channel '${channel}' is not in the sync profile`);
	const mapKey = ledgerKeys.map(prefix, def.platform, def.shop);
	const dirtyKey = ledgerKeys.dirty(prefix, channel);
	const polled = await pollFinishedFrom(redis, prefix, channel);
	const listLimit = opts.listLimit ?? 20;
	const out: DriftCheck = {
		skus: 0,
		checked: 0,
		drifting: 0,
		driftingPlaces: 0,
		held: 0,
		unmapped: 0,
		examples: [],
	};
	let cursor = '0';
	do {
		const [next, skus] = await redis.sscan(ledgerKeys.skus(prefix), cursor, 'COUNT', CHUNK);
		cursor = next;
		if (skus.length === 0) continue;
		out.skus += skus.length;
		const mapped = await redis.hmget(mapKey, ...skus.map((sku) => `sku:${sku}`));
		const checked = skus.filter((_, i) => typeof mapped[i] === 'string' && mapped[i] !== '');
		out.unmapped += skus.length - checked.length;
		if (checked.length === 0) continue;
		out.checked += checked.length;
		const keys: string[] = [];
		for (const sku of checked)
			keys.push(ledgerKeys.ledger(prefix, sku), ledgerKeys.pub(prefix, sku));
		const pipeline = redis.pipeline();
		pipeline.channelReadSkuStates(keys.length, ...keys);
		// Redis's clock, which stamped the sales rates (the buffer's reserve decays by it), in the same round trip.
		pipeline.time();
		const [hashes, time] = (await execAll(pipeline)) as [string[][], [string, string]];
		const clock = redisTimeMs(time);
		const marks: Array<string | number> = [];
		checked.forEach((sku, i) => {
			const { view, rev } = viewOf(sku, hashes[2 * i], hashes[2 * i + 1]);
			let needsWrite = false;
			for (const d of decidePlaces(profile, channel, view, polled, false, clock)) {
				if (d.held) out.held++;
				if (d.unchanged) continue;
				needsWrite = true;
				out.driftingPlaces++;
				if (out.examples.length < listLimit)
					out.examples.push({ sku, place: d.place, desired: d.quantity, shown: d.expected });
			}
			if (needsWrite) {
				out.drifting++;
				marks.push(rev, sku);
			}
		});
		if (marks.length > 0) await redis.zadd(dirtyKey, ...marks);
	} while (cursor !== '0');
	return out;
}

function viewOf(
	sku: string,
	ledger: string[],
	pubFlat: string[],
): { view: SkuLedgerView; rev: number } {
	const quantities: Record<string, number> = {};
	const pending: Record<string, number> = {};
	let rev = 0;
	let frozen = false;
	let rate: string | undefined;
	let rateAt: string | undefined;
	for (let f = 0; f < ledger.length; f += 2) {
		const field = ledger[f];
		const value = ledger[f + 1];
		if (field.startsWith('q:')) quantities[field.slice(2)] = Number(value);
		else if (field.startsWith('p:')) pending[field.slice(2)] = Number(value);
		else if (field === 'rev') rev = Number(value);
		else if (field === 'frozen') frozen = value === '1';
		else if (field === SALES_RATE_FIELD.rate) rate = value;
		else if (field === SALES_RATE_FIELD.at) rateAt = value;
	}
	const pub: Record<string, string> = {};
	for (let f = 0; f < pubFlat.length; f += 2) pub[pubFlat[f]] = pubFlat[f + 1];
	const view: SkuLedgerView = { sku, quantities, pending, frozen, pub };
	const salesRate = parseSalesRate(rate, rateAt);
	if (salesRate) view.salesRate = salesRate;
	return { view, rev };
}
