import { NodeOperationError, type INodeExecutionData } from 'n8n-workflow';
import type { ChannelRun } from '../../shared/channel/callPolicy';
import {
	connectRedis,
	nodeOptions,
	redisStepError,
	type RedisConnection,
} from '../../shared/nodeKit';
import { classifyRedisError } from '../../shared/redis';
import { WOO_OPERATIONS, type WooOperation } from '../descriptions';
import { MissingWebhookSecretError } from '../subscriptions';
import {
	WooReadError,
	n8nSender,
	readErrorToNodeError,
	wooCredential,
	type HttpSender,
} from '../transport/restClient';
import { openWooChannel, type WooChannel, type WooContext } from './common';
import * as getStock from './getStock.operation';
import * as pollOrders from './pollOrders.operation';
import * as publish from './publish.operation';
import * as rereadOrders from './rereadOrders.operation';
import * as resolveIds from './resolveIds.operation';
import * as subscriptions from './subscriptions.operation';

export type { WooContext } from './common';

/**
 * The WooCommerce Inventory node's execute(): one run of the chosen operation per execution (input items are
 * only the signal), its items on the first output, the input passed through on the second. A failed read, a
 * missing profile or a Redis problem fails the run with a clear error (with Continue On Fail: one error item).
 */

const OPERATIONS: Record<WooOperation, { execute: (ch: WooChannel) => Promise<void> }> = {
	publish,
	getStock,
	resolveIds,
	pollOrders,
	rereadOrders,
	subscriptions,
};

/**
 * Reads that can come later (the catch-up poll, the nightly and first-sync reads): their requests yield the
 * store's slots to Publish (channel/callPolicy.ts paceBehindForeground). Re-Read Orders stays foreground: the
 * real-time template runs it for the orders whose stock Publish writes next.
 */
const BACKGROUND_OPERATIONS: ReadonlySet<WooOperation> = new Set([
	'getStock',
	'resolveIds',
	'pollOrders',
]);

/** For tests: the clock and the sleep of the retry policy. */
export interface WooOverrides {
	readonly now?: () => number;
	readonly sleep?: ChannelRun['sleep'];
	readonly sender?: HttpSender;
}

export async function executeWooCommerceInventory(
	ctx: WooContext,
	overrides: WooOverrides = {},
): Promise<INodeExecutionData[][]> {
	const node = ctx.getNode();
	const items = ctx.getInputData();
	const operation = ctx.getNodeParameter('operation', 0) as WooOperation;
	if (!(WOO_OPERATIONS as readonly string[]).includes(operation))
		throw new NodeOperationError(node, `Unknown operation '${operation}'`);
	const passThrough = items.map((item, index) => ({ ...item, pairedItem: { item: index } }));
	const fail = (error: NodeOperationError | ReturnType<typeof readErrorToNodeError>) => {
		if (!ctx.continueOnFail()) throw error;
		return [
			[{ json: { error: error.message }, error, pairedItem: { item: 0 } }],
			passThrough,
		] as INodeExecutionData[][];
	};

	let connection: RedisConnection;
	try {
		connection = await connectRedis(ctx);
	} catch (error) {
		return fail(error as NodeOperationError);
	}
	try {
		const credential = await wooCredential(ctx);
		const ch = await openWooChannel({
			ctx,
			redis: connection.redis,
			prefix: connection.prefix,
			siteUrl: credential.siteUrl,
			secrets: credential.secrets,
			webhookSecret: credential.webhookSecret,
			sender: overrides.sender ?? n8nSender(ctx),
			options: nodeOptions(ctx),
			profileRequired: operation !== 'subscriptions',
			now: overrides.now,
			sleep: overrides.sleep,
			priority: BACKGROUND_OPERATIONS.has(operation) ? 'background' : 'foreground',
		});
		await OPERATIONS[operation].execute(ch);
		return [ch.out, passThrough];
	} catch (error) {
		if (error instanceof WooReadError) return fail(readErrorToNodeError(node, error));
		if (error instanceof NodeOperationError) return fail(error);
		if (error instanceof MissingWebhookSecretError)
			return fail(
				new NodeOperationError(node, error.message, {
					description:
						'WooCommerce signs each delivery with the secret given when the webhook is created.',
				}),
			);
		const kind = classifyRedisError(error);
		if (kind.fromRedis || kind.kind === 'timeout')
			return fail(redisStepError(node, error, connection, operation));
		return fail(
			new NodeOperationError(node, error instanceof Error ? error.message : String(error)),
		);
	}
}
