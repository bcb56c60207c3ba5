import {
	NodeOperationError,
	type ICredentialDataDecryptedObject,
	type IDataObject,
	type INodeExecutionData,
	type IRun,
	type ITriggerFunctions,
	type ITriggerResponse,
} from 'n8n-workflow';
import { channelKeys, inboxKey } from '../shared/keys';
import { rereadShopifyOrder } from '../shared/shopifyOrder';
import {
	classifyRedisError,
	credentialFromData,
	describeRedisError,
	getRedis,
	keyPrefixOf,
	logRedisWarningsOnce,
	type InventoryRedisCredential,
} from '../shared/redis';
import { SettingsError, inboxSettings, runOutcome, type InboxSettings } from './batching';
import { InboxConsumer, type Reread } from './consumer';
import { itemsOf } from './entries';

/**
 * trigger() of the Inventory Inbox Trigger: reads the parameters and the credential, and runs an InboxConsumer
 * whose batches become runs through `this.emit(…, undefined, donePromise)` — the run's end decides whether the
 * batch is acknowledged, as the RabbitMQ Trigger does with "When to acknowledge: execution finishes".
 */

function settingsOf(ctx: ITriggerFunctions): InboxSettings {
	const health = ctx.getNodeParameter('healthOutput', false) === true;
	// Version 1 stored the tuning fields at the top level; 1.1 keeps them under Options.
	const underOptions = ctx.getNode().typeVersion >= 1.1;
	const tuning = (name: string, fallback: number | string) =>
		ctx.getNodeParameter(underOptions ? `options.${name}` : name, fallback);
	try {
		return inboxSettings({
			stream: ctx.getNodeParameter('inboxStream', 'inbox'),
			group: tuning('consumerGroup', 'inbox-trigger'),
			batchSize: tuning('batchSize', 500),
			maxWaitMs: tuning('maxWait', 100),
			parallelBatches: tuning('parallelBatches', 2),
			reclaimAfterMs: Number(tuning('reclaimAfter', 60)) * 1000,
			maxDeliveries: tuning('maxDeliveries', 5),
			healthIntervalMs: health ? Number(ctx.getNodeParameter('healthInterval', 60)) * 1000 : 0,
		});
	} catch (error) {
		const message =
			error instanceof SettingsError ? error.message : `invalid settings (${String(error)})`;
		throw new NodeOperationError(ctx.getNode(), message);
	}
}

/** Shopify refunds/create → the order read back, as the Webhook Trigger does in per-request mode. */
function shopifyReread(ctx: ITriggerFunctions): Reread {
	return async (delivery, orderId) => await rereadShopifyOrder(ctx, delivery, orderId);
}

function toItems(records: readonly object[]): INodeExecutionData[] {
	return records.map((json) => ({ json: json as IDataObject }));
}

export async function startInboxTrigger(ctx: ITriggerFunctions): Promise<ITriggerResponse> {
	const node = ctx.getNode();
	const settings = settingsOf(ctx);
	const healthOutput = ctx.getNodeParameter('healthOutput', false) === true;
	const cred: InventoryRedisCredential = credentialFromData(
		await ctx.getCredentials<ICredentialDataDecryptedObject>('inventoryRedisApi'),
	);
	let prefix: string;
	try {
		prefix = keyPrefixOf(cred);
	} catch (error) {
		throw new NodeOperationError(node, (error as Error).message);
	}
	const keys = { stream: inboxKey(prefix, settings.stream), dlq: channelKeys.dlq(prefix) };
	const manual = ctx.getMode() === 'manual';

	try {
		logRedisWarningsOnce(ctx.logger, await getRedis(cred));
	} catch (error) {
		const message = describeRedisError(error, cred);
		// Errors a user must fix refuse to start at once; anything else is an outage to wait out.
		if (manual || classifyRedisError(error).configuration)
			throw new NodeOperationError(node, message);
		// Redis away at activation (n8n started first, a restart): start anyway and keep trying.
		ctx.logger.warn(
			`Inventory Inbox Trigger: ${message}; started, reading as soon as Redis answers`,
		);
	}

	const outputs = (
		items: { events: object[]; invalid: object[] },
		health?: object,
	): INodeExecutionData[][] => {
		const data = [toItems(items.events), toItems(items.invalid)];
		if (healthOutput) data.push(health ? toItems([health]) : []);
		return data;
	};

	const consumer = new InboxConsumer({
		connect: async () => await getRedis(cred),
		keys,
		settings,
		// `ctx.emit` is looked up at each call: in manual mode n8n replaces it after trigger() returned.
		run: async (items) => {
			const done = ctx.helpers.createDeferredPromise<IRun>();
			ctx.emit(outputs(items), undefined, done);
			try {
				return runOutcome(await done.promise);
			} catch (error) {
				return { ok: false, error: error instanceof Error ? error.message : String(error) };
			}
		},
		reread:
			ctx.getNodeParameter('rereadRefundedOrders', false) === true ? shopifyReread(ctx) : undefined,
		describeError: (error) => describeRedisError(error, cred),
		logger: ctx.logger,
		onHealth: (health) => ctx.emit(outputs({ events: [], invalid: [] }, health)),
	});

	if (manual) {
		// One batch of what the group has not read yet; nothing is delivered to the group or acknowledged.
		const manualTriggerFunction = async () => {
			void consumer.peekBatch().then(
				async (prepared) => {
					if (consumer.closed) return;
					const health = healthOutput ? await consumer.health().catch(() => undefined) : undefined;
					ctx.emit(outputs(itemsOf(prepared), health));
				},
				(error: unknown) => {
					if (!consumer.closed)
						ctx.emitError(new NodeOperationError(node, describeRedisError(error, cred)));
				},
			);
		};
		return { closeFunction: async () => await consumer.close(0), manualTriggerFunction };
	}

	consumer.start();
	return { closeFunction: async () => await consumer.close() };
}
