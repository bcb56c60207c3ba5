import type Redis from 'ioredis';
import { ledgerKeys } from '../../shared/keys';
import { UnexpectedReplyError, callPerChunk, chunk } from '../../shared/redisBatch';
import { LedgerCode, SKIP_REASON, toCode, type InvalidReason } from '../codes';
import { planEvent, type Plan } from '../orderLines';
import { dirtyRefs } from '../profile';
import { NoProfileError, loadProfile, type LoadedProfile } from './profileStore';
import type { ApplyResult, RemovedLine } from './results';
import {
	MAX_ITEMS_PER_SCRIPT,
	MAX_RETRIES,
	keyTable,
	num,
	ref,
	withLedgerScripts,
} from './scripts';
import { resolveSkus, unmappedMessage } from './skuMap';

/** Apply: canonical events planned against the profile (orderLines.ts), then lua/applyEvents.lua. */

const OP_LETTER: Record<Plan['op'], string> = {
	level: 'L',
	orderLine: 'O',
	observation: 'B',
	mapping: 'M',
	untrackedLine: 'U',
};
const APPLY_FIELDS = 20;
/** Reply entries per item. */
const APPLY_REPLY = 7;

export interface ApplyOptions {
	/**
	 * Items that are the re-read settling a tie (applied at an equal version), by input index. Default: the
	 * item carries `reread: true`.
	 */
	reread?: (index: number) => boolean;
}

/** Builds one script call for a chunk of plans (all SKUs resolved). */
function applyCall(
	prefix: string,
	loaded: LoadedProfile,
	plans: Plan[],
	reread: (i: number) => boolean,
	receivedAt: (i: number) => number | undefined,
) {
	const { profile, frozen } = loaded.index;
	const table = keyTable([ledgerKeys.profile(prefix), ledgerKeys.skus(prefix)]);
	const dirtyOf = (location: string) =>
		dirtyRefs(loaded.index, location, (c) => ref(table, ledgerKeys.dirty(prefix, c)));
	const args: Array<string | number> = [
		loaded.version,
		profile.auditMaxEntries,
		Math.round(profile.orderLineRetentionDays * 86_400_000),
		plans.length,
	];
	// Line-key lists, each once per call (every line of an order at one version carries the same list).
	const lists = new Map<string, { index: number; keys: string[] }>();
	const listOf = (keys: string[] | undefined): number => {
		if (!keys) return 0;
		const id = JSON.stringify(keys);
		let l = lists.get(id);
		if (!l) {
			l = { index: lists.size + 1, keys };
			lists.set(id, l);
		}
		return l.index;
	};
	for (const plan of plans) {
		const sku = plan.sku ?? '';
		let k2 = 0;
		let k3 = 0;
		let k4 = 0;
		let k5 = 0;
		let k6 = 0;
		let dirty = '';
		let where = '';
		let field = '';
		let qty = '';
		let mode = '';
		let owner = '';
		let lineList = 0;
		let placedAt = '';
		switch (plan.op) {
			case 'level':
				k2 = ref(table, ledgerKeys.ledger(prefix, sku));
				k3 = ref(table, ledgerKeys.audit(prefix, sku));
				dirty = dirtyOf(plan.location);
				where = plan.location;
				qty = String(plan.quantity);
				if (plan.map) {
					k6 = ref(table, ledgerKeys.map(prefix, plan.map.platform, plan.map.shop));
					field = plan.map.field;
				}
				break;
			case 'observation':
				k2 = ref(table, ledgerKeys.pub(prefix, sku));
				// A report below what we published is a hold for Publish to decide (and for the poll to release):
				// the script marks the SKU dirty for the mirror's channel then (lua/applyEvents.lua, B).
				if (plan.channel !== undefined)
					dirty = String(ref(table, ledgerKeys.dirty(prefix, plan.channel)));
				where = plan.observer;
				qty = String(plan.quantity);
				if (plan.map) {
					k6 = ref(table, ledgerKeys.map(prefix, plan.map.platform, plan.map.shop));
					field = plan.map.field;
				}
				break;
			case 'orderLine':
				k2 = ref(table, ledgerKeys.ledger(prefix, sku));
				k3 = ref(table, ledgerKeys.audit(prefix, sku));
				k4 = ref(
					table,
					ledgerKeys.orderLines(prefix, plan.order.platform, plan.order.shop, plan.order.orderId),
				);
				if (plan.mode === 'forward') k5 = ref(table, ledgerKeys.outbox(prefix, plan.owner));
				if (plan.mode !== 'owner') dirty = dirtyOf(plan.location);
				where = plan.location;
				field = plan.lineKey;
				qty = plan.quantity === null ? '' : String(plan.quantity);
				mode = plan.mode;
				owner = plan.owner;
				lineList = listOf(plan.lineIds);
				if (plan.placedAt !== undefined) placedAt = String(plan.placedAt);
				break;
			case 'untrackedLine':
				k4 = ref(
					table,
					ledgerKeys.orderLines(prefix, plan.order.platform, plan.order.shop, plan.order.orderId),
				);
				field = plan.lineKey;
				lineList = listOf(plan.lineIds);
				break;
			case 'mapping':
				k2 = ref(table, ledgerKeys.map(prefix, plan.map.platform, plan.map.shop));
				where = plan.map.field;
				break;
		}
		args.push(
			OP_LETTER[plan.op],
			k2,
			k3,
			k4,
			k5,
			k6,
			dirty,
			sku,
			where,
			field,
			qty,
			String(plan.version),
			// The script names removed lines '<id without its line key><their line key>'.
			plan.op === 'untrackedLine' ? plan.lineBase + plan.lineKey : plan.id,
			plan.source,
			mode,
			owner,
			frozen.has(sku) ? '1' : '0',
			reread(plan.index) ? '1' : '0',
			lineList,
			placedAt,
		);
	}
	if (args.length !== 4 + plans.length * APPLY_FIELDS)
		throw new Error('applyEvents: argument layout');
	// After the items: the prefix (a removed line's keys are named from it and its stored route), the
	// line-key lists; for the removed-line rule, the dirty zsets of every location (current profile) and the
	// profile's frozen SKUs (only when some item carries a list).
	args.push(prefix, lists.size);
	for (const l of lists.values()) args.push(l.keys.length, ...l.keys);
	if (lists.size > 0) {
		const locations = profile.locations.map((l) => l.id);
		args.push(locations.length);
		for (const loc of locations) args.push(loc, dirtyOf(loc));
		args.push(frozen.size, ...frozen);
	} else args.push(0, 0);
	// Last: the earliest receipt time of the chunk's events (ms; '' unknown). A SKU marked dirty keeps the
	// first such time until Publish confirms it ('<dirty>:at'), the start of the lag Health reports.
	let earliest: number | undefined;
	for (const plan of plans) {
		const at = receivedAt(plan.index);
		if (at !== undefined && (earliest === undefined || at < earliest)) earliest = at;
	}
	args.push(earliest === undefined ? '' : earliest);
	return { keys: table.keys, args };
}

/** The 7th reply entry of an order-line item: 9 entries per removed line. */
function removedOf(plan: Plan, raw: unknown): RemovedLine[] | undefined {
	if (!Array.isArray(raw) || raw.length === 0) return undefined;
	if (raw.length % 9 !== 0 || (plan.op !== 'orderLine' && plan.op !== 'untrackedLine'))
		throw new UnexpectedReplyError('applyEvents', raw);
	const base =
		plan.op === 'untrackedLine'
			? plan.lineBase
			: plan.id.slice(0, plan.id.length - plan.lineKey.length);
	const out: RemovedLine[] = [];
	for (let k = 0; k < raw.length; k += 9) {
		const [lineKey, sku, location, previous, delta, rev, effect, owner, code] = raw.slice(
			k,
			k + 9,
		) as unknown[];
		const line: RemovedLine = {
			id: base + String(lineKey),
			lineKey: String(lineKey),
			sku: String(sku),
			location: String(location),
			previous: Number(previous),
			delta: Number(delta),
			effect: String(effect),
			rev: Number(rev),
		};
		if (line.effect === 'forward') line.forwardedTo = String(owner);
		if (toCode('applyEvents', code) === LedgerCode.Frozen) line.frozen = true;
		out.push(line);
	}
	return out;
}

function resultOf(plan: Plan, reply: unknown[], at: number): ApplyResult {
	const code = toCode('applyEvents', reply[at]);
	const removed = removedOf(plan, reply[at + 6]);
	if (plan.op === 'untrackedLine') {
		// Its own outcome: no tracked line of its own (untracked, or an order version without any line).
		const reason = plan.emptyOrder ? 'emptyOrder' : 'untracked';
		const r: ApplyResult = {
			index: plan.index,
			outcome: 'skipped',
			reason,
			message: plan.message,
			heldVersion: num(reply[at + 5]),
		};
		if (code === LedgerCode.Tie)
			Object.assign(r, {
				reason: 'tie',
				reread: true,
				message: `${plan.message}; the order's line keys differ from another state at the same version: re-read the order`,
			});
		else if (code !== LedgerCode.Unchanged)
			throw new UnexpectedReplyError('applyEvents', reply[at]);
		if (removed) r.removed = removed;
		return r;
	}
	const base: ApplyResult = {
		index: plan.index,
		outcome: 'applied',
		sku: plan.sku ?? undefined,
		rev: Number(reply[at + 1] || 0),
		previous: plan.op === 'mapping' ? (reply[at + 2] as string) || null : num(reply[at + 2]),
		new: plan.op === 'mapping' ? plan.sku : num(reply[at + 3]),
		heldVersion: plan.op === 'mapping' ? num(reply[at + 5]) : num(reply[at + 5]),
	};
	const delta = num(reply[at + 4]);
	if (delta !== null) base.delta = delta;
	if (plan.op === 'level' || plan.op === 'orderLine') base.location = plan.location;
	if (removed) base.removed = removed;
	if (plan.op === 'orderLine') {
		base.effect = plan.mode;
		if (plan.mode === 'forward') base.forwardedTo = plan.owner;
	} else if (plan.op === 'level') base.effect = 'level';
	else if (plan.op === 'mapping') base.effect = 'mapped';
	else base.effect = 'observed';
	switch (code) {
		case LedgerCode.Applied:
			return base;
		case LedgerCode.DuplicateSku:
			return {
				...base,
				outcome: 'invalid',
				reason: 'duplicateSku',
				message: `another ${plan.op === 'mapping' ? plan.map.platform : ''} id already maps to SKU '${plan.sku}': duplicate SKUs are reported, never guessed`,
			};
		case LedgerCode.Tie:
			return { ...base, outcome: 'skipped', reason: 'tie', reread: true };
		case LedgerCode.Stale:
		case LedgerCode.Unchanged:
		case LedgerCode.Frozen:
		case LedgerCode.Observed:
		case LedgerCode.Counted:
			return { ...base, outcome: 'skipped', reason: SKIP_REASON[code] };
		default:
			throw new UnexpectedReplyError('applyEvents', reply[at]);
	}
}

/**
 * Applies canonical events: plans each against the profile, resolves SKUs through the map, and runs the
 * script once per chunk (all chunks in one pipeline). Returns one result per input, in input order.
 */
export async function applyEvents(
	redis: Redis,
	prefix: string,
	events: readonly unknown[],
	options: ApplyOptions = {},
): Promise<ApplyResult[]> {
	withLedgerScripts(redis);
	const results: ApplyResult[] = new Array(events.length);
	const reread =
		options.reread ??
		((i: number) => {
			const e = events[i];
			return typeof e === 'object' && e !== null && (e as { reread?: unknown }).reread === true;
		});
	const receivedAtOf = (i: number): number | undefined => {
		const e = events[i];
		const text =
			typeof e === 'object' && e !== null ? (e as { receivedAt?: unknown }).receivedAt : undefined;
		const at = typeof text === 'string' ? Date.parse(text) : NaN;
		return Number.isFinite(at) ? at : undefined;
	};
	let loaded = await loadProfile(redis, prefix);
	if (!loaded) throw new NoProfileError();
	let pending = events.map((_, i) => i);
	const freshMap = new Set<number>();
	for (let attempt = 0; pending.length > 0; attempt++) {
		if (attempt > MAX_RETRIES) {
			// The profile or the map kept changing under us: fail the stragglers clearly, apply nothing for them.
			throw new Error(
				`The profile or SKU map changed ${MAX_RETRIES} times during one Apply; run it again`,
			);
		}
		const plans: Plan[] = [];
		for (const i of pending) {
			const planned = planEvent(i, events[i], loaded.index);
			if ('plan' in planned) plans.push(planned.plan);
			else if ('invalid' in planned)
				results[i] = {
					index: i,
					outcome: 'invalid',
					reason: planned.invalid,
					message: planned.message,
				};
			else
				results[i] = {
					index: i,
					outcome: 'skipped',
					reason: planned.skipped,
					message: planned.message,
				};
		}
		const unmapped = await resolveSkus(redis, prefix, plans, freshMap);
		const ready = plans.filter((p) => {
			if (!unmapped.has(p.index)) return true;
			results[p.index] = {
				index: p.index,
				outcome: 'invalid',
				reason: 'unmapped' satisfies InvalidReason,
				message: unmappedMessage(p),
			};
			return false;
		});
		if (ready.length === 0) break;
		const parts = chunk(ready, MAX_ITEMS_PER_SCRIPT);
		const calls = parts.map((part) => applyCall(prefix, loaded!, part, reread, receivedAtOf));
		// One call per chunk already built: a direct call for one, a pipeline for more.
		const replies = await callPerChunk(redis, calls, 1, (target, [c]) =>
			target.ledgerApplyEvents(c.keys.length, ...c.keys, ...c.args),
		);
		const retry: number[] = [];
		let profileChanged = false;
		parts.forEach((part, n) => {
			const reply = replies[n];
			if (!Array.isArray(reply)) throw new UnexpectedReplyError('applyEvents', reply);
			if (Number(reply[0]) === LedgerCode.ProfileChanged && reply.length === 2) {
				profileChanged = true;
				retry.push(...part.map((p) => p.index));
				return;
			}
			if (reply.length !== part.length * APPLY_REPLY)
				throw new UnexpectedReplyError('applyEvents', reply);
			part.forEach((plan, j) => {
				if (Number(reply[j * APPLY_REPLY]) === LedgerCode.Remapped) {
					freshMap.add(plan.index);
					retry.push(plan.index);
					return;
				}
				results[plan.index] = resultOf(plan, reply, j * APPLY_REPLY);
			});
		});
		if (profileChanged) {
			loaded = await loadProfile(redis, prefix, true);
			if (!loaded) throw new NoProfileError();
		}
		pending = retry;
	}
	return results;
}
