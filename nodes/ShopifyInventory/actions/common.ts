import type Redis from 'ioredis';
import {
	NodeApiError,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type JsonObject,
	sleep as n8nSleep,
} from 'n8n-workflow';
import { loadProfile } from '../../InventoryLedger/ledger/profileStore';
import {
	callChannel,
	paceBehindForeground,
	type ChannelRun,
} from '../../shared/channel/callPolicy';
import { SharedShopifyBucket } from '../../shared/channel/sharedPace';
import type { PacePriority } from '../../shared/pacing';
import { connectRedis, nodeOptions } from '../../shared/nodeKit';
import { SHOP_NAME_QUERY } from '../../shared/shopifyQueries';
import type { ChannelFailure, RetryResult } from '../../shared/retry';
import { readWholeShopifyOrder, type WholeOrderRead } from '../../shared/shopifyOrder';
import { ORDER_FOR_STOCK_COST } from '../reading/queries';
import {
	ShopifyGraphqlClient,
	bucketFor,
	shopifyEndpoint,
	shopifyRun,
	type ChannelRunOptions,
	type GraphqlAnswer,
	type ShopifyEndpoint,
} from '../transport/graphqlClient';

/**
 * What every Shopify Inventory operation starts from: the Redis connection, the channel's run (deadline,
 * breaker, cancel signal), the GraphQL client on the shop's process-wide bucket, and one call helper that
 * puts each request under the channel policy paced by its requested cost.
 */

export interface ShopifyChannel {
	readonly ctx: IExecuteFunctions;
	readonly redis: Redis;
	readonly prefix: string;
	readonly channel: string;
	readonly options: IDataObject;
	readonly run: ChannelRun;
	readonly client: ShopifyGraphqlClient;
	readonly endpoint: ShopifyEndpoint;
}

/**
 * Opens the channel of this execution (one per execution: the operations work per run, not per item).
 * `priority` 'background' for reads that can come later (Poll Orders, a full Get Levels, Resolve SKUs): their
 * calls yield the shop's bucket to the stock writes (channel/callPolicy.ts paceBehindForeground).
 */
export async function openShopifyChannel(
	ctx: IExecuteFunctions,
	priority: PacePriority = 'foreground',
): Promise<ShopifyChannel> {
	const node = ctx.getNode();
	const channel = String(ctx.getNodeParameter('channel', 0, '') ?? '').trim();
	if (!channel)
		throw new NodeOperationError(node, 'Channel is empty', {
			description: "Set Channel to the channel's name in the ledger profile",
		});
	const options = nodeOptions(ctx);
	const { redis, prefix } = await connectRedis(ctx);
	const endpoint = await shopifyEndpoint(ctx);
	const client = new ShopifyGraphqlClient(
		ctx,
		bucketFor(endpoint.baseUrl),
		undefined,
		new SharedShopifyBucket(redis, prefix, endpoint.shop),
	);
	const run = shopifyRun({
		redis,
		prefix,
		channel,
		options: options as ChannelRunOptions,
		ctx,
	});
	return {
		ctx,
		redis,
		prefix,
		channel,
		options,
		run: priority === 'background' ? { ...run, priority } : run,
		client,
		endpoint,
	};
}

/** Above this requested cost, an unknown bucket is probed first (a THROTTLED answer would waste a round trip). */
const PROBE_ABOVE_COST = 50;

/**
 * One GraphQL request under the channel policy: breaker, retries within the run's budget, and a pace that
 * waits until the shop's bucket can pay `cost` (the query's requested cost, estimated before sending) — for a
 * background run, until it can pay it and still keep the foreground callers' share.
 */
export async function callShopify<T>(
	ch: Pick<ShopifyChannel, 'run' | 'client'>,
	query: string,
	variables: IDataObject,
	cost: number,
	/**
	 * What the query is expected to cost once Shopify refunds the rest of `cost` (a background caller that has
	 * seen such answers: pacing.ts BACKGROUND_IN_FLIGHT_SHARE). Default `cost`.
	 */
	settledCost: number = cost,
): Promise<RetryResult<GraphqlAnswer<T>>> {
	// Knowing nothing of the shop's bucket yet (first call of this process), a costly query is preceded by a
	// 1-point one whose answer tells how full the bucket is: other apps' workers may have drained it.
	if (cost > PROBE_ABOVE_COST && !ch.client.bucket.lastStatus) {
		await callChannel(ch.run, async () => await ch.client.request(SHOP_NAME_QUERY), {
			paceMs: pacedBy(ch, 1, 1),
		});
	}
	return await callChannel(ch.run, async () => await ch.client.request<T>(query, variables), {
		paceMs: pacedBy(ch, cost, settledCost),
	});
}

/** The pace of a request of `cost` points, by the run's priority. */
function pacedBy(
	ch: Pick<ShopifyChannel, 'run' | 'client'>,
	cost: number,
	settledCost: number,
): (maxWaitMs: number) => Promise<number> {
	if (ch.run.priority === 'background')
		return async (maxWaitMs) =>
			await paceBehindForeground(
				ch.run,
				async (left) => await ch.client.paceInBackground(cost, left, settledCost),
				maxWaitMs,
			);
	return async (maxWaitMs) => await ch.client.paceMs(cost, maxWaitMs);
}

/** An order read back whole (shared/shopifyOrder.ts) under the channel policy, paced by its requested cost. */
export async function readOrderBack(
	ch: Pick<ShopifyChannel, 'run' | 'client'>,
	orderId: string,
): Promise<WholeOrderRead<ChannelFailure>> {
	return await readWholeShopifyOrder(orderId, async (query, variables) => {
		const answer = await callShopify<{ order: unknown }>(
			ch,
			query,
			variables,
			ORDER_FOR_STOCK_COST,
		);
		return answer.ok ? { ok: true, order: answer.value.data.order } : answer;
	});
}

/** A failed call as the node's error: the policy's scrubbed message, never the request. */
export function failureError(
	ctx: Pick<IExecuteFunctions, 'getNode'>,
	what: string,
	failure: ChannelFailure,
): NodeApiError {
	return new NodeApiError(ctx.getNode(), { message: failure.message } as JsonObject, {
		message: `${what}: ${failure.message}`,
		description: `${failure.errorClass}, gave up (${failure.reason}) after ${failure.attempts} attempt(s)`,
		...(failure.status !== undefined ? { httpCode: String(failure.status) } : {}),
	});
}

/** The call's value, or the node error for its failure. */
export function valueOrThrow<T>(
	ctx: Pick<IExecuteFunctions, 'getNode'>,
	what: string,
	result: RetryResult<T>,
): T {
	if (result.ok) return result.value;
	throw failureError(ctx, what, result.failure);
}

/**
 * The shop the events and the SKU map name: the profile channel's `shop` (what the trigger writes in
 * `source.shop`), else the credential's host.
 */
export async function eventShop(ch: ShopifyChannel): Promise<string> {
	const loaded = await loadProfile(ch.redis, ch.prefix);
	const channel = loaded?.index.profile.channels.find((c) => c.name === ch.channel);
	return channel?.shop || ch.endpoint.shop;
}

/** Waits `ms` (the run's sleep in tests, n8n's otherwise); false when the run was cancelled meanwhile. */
export async function pause(run: ChannelRun, ms: number): Promise<boolean> {
	const sleep = run.sleep ?? n8nSleep;
	try {
		await sleep(ms, run.signal);
	} catch {
		return false;
	}
	return run.signal?.aborted !== true;
}

/** Splits a list into runs of at most `size`. */
export function chunks<T>(list: readonly T[], size: number): T[][] {
	const out: T[][] = [];
	for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
	return out;
}
