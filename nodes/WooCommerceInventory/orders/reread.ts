import type Redis from 'ioredis';
import { applyEvents } from '../../InventoryLedger/ledger/apply';
import type { ApplyResult } from '../../InventoryLedger/ledger/results';
import { callChannel, type ChannelRun } from '../../shared/channel/callPolicy';
import type { InventoryEvent } from '../../shared/events/types';
import { WooReadError, type WooRestClient } from '../transport/restClient';
import { readOrderLines } from './orderLines';

/**
 * Re-Read Orders (design.md "Order version ties"): WooCommerce order times have one-second resolution, so two
 * changes of one order in one second carry one version; the Ledger skips the second as a `tie`. The order is
 * read now (GET /orders?include=, ≤ 100 ids a call, under the channel policy), normalised by the trigger's own
 * wooOrderLines and applied with `reread: true`, which the Ledger applies even at an equal version.
 */

const PER_CALL = 100;

export interface RereadSummary {
	orders: number;
	found: number;
	events: number;
	applied: number;
	skipped: number;
	invalid: number;
	/** Asked for but not returned (deleted meanwhile). */
	missing: string[];
	problems: string[];
}

export interface RereadResult {
	summary: RereadSummary;
	events: InventoryEvent[];
	results: ApplyResult[];
}

/** Throws WooReadError when a call fails (nothing of this run is applied then: the tie stays in the audit). */
export async function rereadWooOrders(
	redis: Redis,
	prefix: string,
	run: ChannelRun,
	client: WooRestClient,
	shop: string,
	orderIds: readonly string[],
): Promise<RereadResult> {
	const now = run.now ?? Date.now;
	const receivedAt = new Date(now()).toISOString();
	const summary: RereadSummary = {
		orders: orderIds.length,
		found: 0,
		events: 0,
		applied: 0,
		skipped: 0,
		invalid: 0,
		missing: [],
		problems: [],
	};
	const found = new Set<string>();
	const events: InventoryEvent[] = [];
	for (let i = 0; i < orderIds.length; i += PER_CALL) {
		const ids = orderIds.slice(i, i + PER_CALL);
		const answer = await callChannel(run, async (context) =>
			client.request<unknown>({
				method: 'GET',
				path: '/orders',
				// `status: any`: a cancelled or trashed-status order is exactly what a tie may have become.
				qs: { include: ids.join(','), per_page: PER_CALL, status: 'any' },
				signal: context.signal,
			}),
		);
		if (!answer.ok) throw new WooReadError('Re-reading orders', answer.failure);
		const list = Array.isArray(answer.value.body) ? answer.value.body : [];
		for (const order of list) {
			const id = String((order as { id?: unknown })?.id ?? '');
			found.add(id);
			const lines = readOrderLines(order, shop, receivedAt);
			if (Array.isArray(lines))
				for (const event of lines) events.push({ ...event, reread: true } as InventoryEvent);
			else summary.problems.push(`order ${id}: ${lines.problem}`);
		}
	}
	summary.found = found.size;
	summary.missing = orderIds.filter((id) => !found.has(id));
	summary.events = events.length;
	const results = events.length ? await applyEvents(redis, prefix, events) : [];
	for (const r of results) summary[r.outcome]++;
	return { summary, events, results };
}
