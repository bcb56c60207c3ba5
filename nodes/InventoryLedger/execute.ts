import type Redis from 'ioredis';
import {
	NodeOperationError,
	type ICredentialDataDecryptedObject,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type IPairedItemData,
} from 'n8n-workflow';
import {
	credentialFromData,
	describeRedisError,
	describeTarget,
	getRedis,
	keyPrefixOf,
	type InventoryRedisCredential,
} from '../shared/redis';
import { placeAvailability } from './aggregate';
import { LEDGER_OPERATIONS, configuredOutputs, type LedgerOperation } from './descriptions';
import { ProfileError, profileFromForm, type FormChannel, type FormLocation } from './profile';
import {
	NoProfileError,
	applyEvents,
	auditOf,
	getSkus,
	loadProfile,
	markSkus,
	saveProfile,
	setCounts,
	type ApplyResult,
	type CountInput,
} from './redisLedger';

/**
 * The Inventory Ledger's execute(): one Redis round trip per batch for Apply, Set, Get, Availability and the
 * marks; results routed to Applied / Skipped / Invalid (Apply, Set) or Done. A Redis or profile problem fails
 * the batch (or, with Continue On Fail, every item carries the error on the first output).
 */

export type LedgerContext = Pick<
	IExecuteFunctions,
	'getInputData' | 'getNodeParameter' | 'getCredentials' | 'continueOnFail' | 'getNode' | 'getExecutionId'
>;

export const CREDENTIAL = 'inventoryRedisApi';

function options(ctx: LedgerContext): IDataObject {
	return (ctx.getNodeParameter('options', 0, {}) as IDataObject) ?? {};
}

async function connect(ctx: LedgerContext): Promise<{ cred: InventoryRedisCredential; redis: Redis; prefix: string }> {
	const node = ctx.getNode();
	const cred = credentialFromData(await ctx.getCredentials<ICredentialDataDecryptedObject>(CREDENTIAL));
	let prefix: string;
	try {
		prefix = keyPrefixOf(cred);
	} catch (error) {
		throw new NodeOperationError(node, (error as Error).message, { description: 'Fix the Key Prefix in the Inventory Redis credential' });
	}
	try {
		return { cred, redis: await getRedis(cred), prefix };
	} catch (error) {
		throw new NodeOperationError(node, describeRedisError(error, cred), {
			description: `Check that Redis at ${describeTarget(cred)} is running and that the credential's host, port, TLS, user and password are right. The next run connects again.`,
		});
	}
}

function skuParam(ctx: LedgerContext, index: number): string {
	const raw = ctx.getNodeParameter('sku', index, '') as unknown;
	if (typeof raw === 'number') return String(raw);
	if (typeof raw !== 'string' || raw.trim() === '') throw new Error('SKU is empty');
	return raw;
}

function asOfParam(raw: unknown): number {
	if (typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0) return raw;
	if (typeof raw === 'string' && /^\d{1,16}$/.test(raw.trim())) return Number(raw.trim());
	const parsed = typeof raw === 'string' || raw instanceof Date ? Date.parse(String(raw instanceof Date ? raw.toISOString() : raw)) : NaN;
	if (!Number.isFinite(parsed) || parsed < 0) throw new Error(`As Of must be an ISO time or milliseconds since the epoch (got ${JSON.stringify(raw)?.slice(0, 40)})`);
	return parsed;
}

function resultItem(item: INodeExecutionData, index: number, field: string, value: IDataObject): INodeExecutionData {
	const out: INodeExecutionData = { json: { ...item.json, [field]: value }, pairedItem: { item: index } };
	if (item.binary) out.binary = item.binary;
	return out;
}

function describeResult(r: ApplyResult, dryRun: boolean | undefined): IDataObject {
	const out: IDataObject = {};
	for (const [k, v] of Object.entries(r)) if (k !== 'index' && v !== undefined) out[k] = v as IDataObject[string];
	if (dryRun !== undefined) out.dryRun = dryRun;
	return out;
}

const OUTPUT_OF: Record<ApplyResult['outcome'], number> = { applied: 0, skipped: 1, invalid: 2 };

export async function executeLedger(ctx: LedgerContext): Promise<INodeExecutionData[][]> {
	const node = ctx.getNode();
	const items = ctx.getInputData();
	const operation = ctx.getNodeParameter('operation', 0) as LedgerOperation;
	if (!(LEDGER_OPERATIONS as readonly string[]).includes(operation)) throw new NodeOperationError(node, `Unknown operation '${operation}'`);
	const outputs: INodeExecutionData[][] = configuredOutputs({ operation }).map(() => []);
	if (items.length === 0 && operation !== 'profile') return outputs;
	const continueOnFail = ctx.continueOnFail();
	const fieldRaw = options(ctx).resultField;
	const field = typeof fieldRaw === 'string' && fieldRaw.trim() ? fieldRaw.trim() : 'ledger';
	if (field === 'error') throw new NodeOperationError(node, "Result field cannot be 'error' (n8n uses it for failed items)");

	const failAll = (error: unknown) => {
		const nodeError =
			error instanceof NodeOperationError
				? error
				: error instanceof ProfileError
					? new NodeOperationError(node, error.message, { description: error.problems.join('\n') })
					: error instanceof NoProfileError
						? new NodeOperationError(node, error.message, { description: 'Add an Inventory Ledger node with Operation = Profile, Action = Save, and run it once.' })
						: new NodeOperationError(node, error instanceof Error ? error.message : String(error));
		if (!continueOnFail) throw nodeError;
		(items.length ? items : [{ json: {} }]).forEach((_, index) =>
			outputs[0].push({ json: { error: nodeError.message }, error: nodeError, pairedItem: { item: index } }),
		);
	};

	let connection: Awaited<ReturnType<typeof connect>>;
	try {
		connection = await connect(ctx);
	} catch (error) {
		failAll(error);
		return outputs;
	}
	const { redis, prefix, cred } = connection;
	const source = `manual:n8n:${operation}:execution ${ctx.getExecutionId()}`;

	try {
		switch (operation) {
			case 'apply': {
				const eventField = String(options(ctx).eventField ?? '').trim();
				const events = items.map((item) => (eventField ? item.json[eventField] : item.json));
				const results = await applyEvents(redis, prefix, events);
				const dryRun = (await loadProfile(redis, prefix))?.index.profile.dryRun;
				for (const r of results) outputs[OUTPUT_OF[r.outcome]].push(resultItem(items[r.index], r.index, field, describeResult(r, dryRun)));
				break;
			}
			case 'set': {
				const counts: CountInput[] = [];
				items.forEach((item, index) => {
					try {
						const sku = skuParam(ctx, index);
						const location = String(ctx.getNodeParameter('location', index, '') ?? '').trim();
						if (!location) throw new Error('Location is empty');
						const quantity = Number(ctx.getNodeParameter('quantity', index));
						if (!Number.isInteger(quantity) || Math.abs(quantity) > 1e9) throw new Error('Counted Quantity must be a whole number within ±1e9');
						counts.push({ index, sku, location, quantity, asOf: asOfParam(ctx.getNodeParameter('asOf', index)), id: `count:${location}`, source });
					} catch (error) {
						outputs[2].push(resultItem(item, index, field, { outcome: 'invalid', reason: 'badInput', message: (error as Error).message }));
					}
				});
				const results = await setCounts(redis, prefix, counts);
				for (const r of results) outputs[OUTPUT_OF[r.outcome]].push(resultItem(items[r.index], r.index, field, describeResult(r, undefined)));
				break;
			}
			case 'get':
			case 'availability': {
				const skus = items.map((_, index) => skuParam(ctx, index));
				const { states, profile } = await getSkus(redis, prefix, skus);
				if (operation === 'availability' && !profile) throw new NoProfileError();
				states.forEach((state, index) => {
					if (operation === 'get') {
						outputs[0].push(resultItem(items[index], index, field, state as unknown as IDataObject));
						return;
					}
					const channel = String(ctx.getNodeParameter('channel', index, '') ?? '').trim() || undefined;
					const places = placeAvailability(profile!.index.profile, state, channel);
					outputs[0].push(
						resultItem(items[index], index, field, {
							sku: state.sku,
							rev: state.rev,
							frozen: state.frozen || state.frozenByProfile,
							dryRun: profile!.index.profile.dryRun,
							places: places as unknown as IDataObject[],
						}),
					);
				});
				break;
			}
			case 'audit': {
				for (let index = 0; index < items.length; index++) {
					const sku = skuParam(ctx, index);
					const limit = Math.max(1, Math.min(10_000, Number(ctx.getNodeParameter('limit', index, 50)) || 50));
					const entries = await auditOf(redis, prefix, sku, limit);
					outputs[0].push(resultItem(items[index], index, field, { sku, entries: entries as unknown as IDataObject[] }));
				}
				break;
			}
			case 'freeze':
			case 'unfreeze':
			case 'resync': {
				const skus = items.map((_, index) => skuParam(ctx, index));
				const marks = await markSkus(redis, prefix, skus, operation, source);
				marks.forEach((m, index) => outputs[0].push(resultItem(items[index], index, field, { ...m, action: operation })));
				break;
			}
			case 'profile': {
				const action = ctx.getNodeParameter('profileAction', 0, 'get') as string;
				const base = items[0] ?? { json: {} };
				if (action === 'save') {
					const mode = ctx.getNodeParameter('profileMode', 0, 'form') as string;
					let input: unknown;
					if (mode === 'json') input = ctx.getNodeParameter('profileJson', 0);
					else {
						const locations = (ctx.getNodeParameter('locations', 0, {}) as { location?: FormLocation[] }).location ?? [];
						const channels = (ctx.getNodeParameter('channels', 0, {}) as { channel?: FormChannel[] }).channel ?? [];
						input = profileFromForm({
							dryRun: ctx.getNodeParameter('dryRun', 0, true) as boolean,
							locations,
							channels,
							frozen: ctx.getNodeParameter('frozen', 0, '') as string,
						});
					}
					const saved = await saveProfile(redis, prefix, input);
					if (saved.conflict) throw new Error('The profile changed while saving: run again');
					outputs[0].push(
						resultItem(base, 0, field, {
							saved: saved.saved,
							version: saved.version,
							affectedChannels: saved.affectedChannels,
							markedSkus: saved.markedSkus,
							dryRun: saved.profile.dryRun,
							profile: saved.profile as unknown as IDataObject,
						}),
					);
				} else {
					const loaded = await loadProfile(redis, prefix, true);
					if (!loaded) throw new NoProfileError();
					outputs[0].push(
						resultItem(base, 0, field, {
							version: Number(loaded.version),
							updatedAt: loaded.updatedAt ?? null,
							dryRun: loaded.index.profile.dryRun,
							profile: loaded.index.profile as unknown as IDataObject,
						}),
					);
				}
				break;
			}
		}
	} catch (error) {
		const isOwn = error instanceof ProfileError || error instanceof NoProfileError || error instanceof NodeOperationError;
		const isRedis = !isOwn && /ECONN|Connection|timed? ?out|NOSCRIPT|READONLY|LOADING|ERR /i.test(error instanceof Error ? error.message : String(error));
		outputs.forEach((o) => (o.length = 0));
		failAll(
			isRedis
				? new NodeOperationError(node, describeRedisError(error, cred, redis), {
						description: `The ${operation} step did not complete. Check that Redis at ${describeTarget(cred)} is running; the node reconnects by itself.`,
					})
				: error,
		);
	}
	for (const output of outputs) output.sort((a, b) => (a.pairedItem as IPairedItemData).item - (b.pairedItem as IPairedItemData).item);
	return outputs;
}
