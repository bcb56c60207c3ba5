import type { ICredentialDataDecryptedObject, IDataObject, INodeProperties } from 'n8n-workflow';
import { REDIS_CREDENTIAL } from '../../shared/nodeKit';
import { credentialFromData, describeTarget } from '../../shared/redis';
import { DEFAULT_HEALTH_THRESHOLDS } from '../health';
import { readHealth } from '../ledger/health';
import type { LedgerRun } from './common';

/**
 * Health: one item with the sync's figures — per channel lag p50/p95/p99, dirty backlog, breaker, dead letters
 * and catch-up cursor; each owner's outbox; dead letters by kind; the inbox's backlog; Redis's checks — and
 * `ok` / `problems` (ledger/health.ts, health.ts). Reads only; runs once, with or without input.
 */

const show = { show: { operation: ['health'] } };

export const description: INodeProperties[] = [
	{
		displayName: 'Inbox Stream',
		name: 'healthInboxStream',
		type: 'string',
		default: 'inbox',
		displayOptions: show,
		description: "The inbox stream's name after the key prefix, as in the Inbox Trigger",
	},
	{
		displayName: 'Inbox Consumer Group',
		name: 'healthInboxGroup',
		type: 'string',
		default: 'inbox-trigger',
		displayOptions: show,
		description: "The Inbox Trigger's consumer group",
	},
	{
		displayName: 'Lag Window (Minutes)',
		name: 'healthLagWindow',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 10080, numberPrecision: 0 },
		default: 15,
		displayOptions: show,
		description: 'Lag percentiles over the samples of this many minutes back from now',
	},
	{
		// Defaults are literals (the lint rule reads them) and equal health.ts DEFAULT_HEALTH_THRESHOLDS (a unit
		// test checks).
		displayName: 'Thresholds',
		name: 'healthThresholds',
		type: 'collection',
		placeholder: 'Add threshold',
		default: {},
		displayOptions: show,
		options: [
			{
				displayName: 'Dirty Backlog',
				name: 'dirtyBacklog',
				type: 'number',
				typeOptions: { minValue: 0, numberPrecision: 0 },
				default: 1000,
				description: "A channel's SKUs waiting to be published above this is a problem",
			},
			{
				displayName: 'Inbox Backlog',
				name: 'inboxBacklog',
				type: 'number',
				typeOptions: { minValue: 0, numberPrecision: 0 },
				default: 10000,
				description: 'Inbox entries waiting (undelivered + pending) above this is a problem',
			},
			{
				// eslint-disable-next-line n8n-nodes-base/node-param-display-name-miscased -- n8n writes milliseconds as "(ms)" (HTTP Request: Batch Interval (ms))
				displayName: 'Lag P99 (ms)',
				name: 'lagP99Ms',
				type: 'number',
				typeOptions: { minValue: 0, numberPrecision: 0 },
				default: 60000,
				description: "A channel's lag p99 above this is a problem (0: not checked)",
			},
			{
				displayName: 'Outbox Backlog',
				name: 'outboxBacklog',
				type: 'number',
				typeOptions: { minValue: 0, numberPrecision: 0 },
				default: 1000,
				description: "An owner's adjustments waiting above this is a problem",
			},
		],
	},
];

function count(raw: unknown, fallback: number): number {
	const n = Number(raw);
	return Number.isFinite(n) && n >= 0 ? Math.floor(n) : fallback;
}

export async function execute(run: LedgerRun): Promise<void> {
	const { ctx } = run;
	const thresholds = (ctx.getNodeParameter('healthThresholds', 0, {}) as IDataObject) ?? {};
	const minutes = count(ctx.getNodeParameter('healthLagWindow', 0, 15), 15) || 15;
	// Redis is named in the eviction-policy finding as the connection error would name it (host:port, no secret).
	const target = describeTarget(
		credentialFromData(await ctx.getCredentials<ICredentialDataDecryptedObject>(REDIS_CREDENTIAL)),
	);
	const report = await readHealth(run.redis, run.prefix, {
		inboxStream: String(ctx.getNodeParameter('healthInboxStream', 0, 'inbox') ?? '').trim(),
		inboxGroup: String(ctx.getNodeParameter('healthInboxGroup', 0, 'inbox-trigger') ?? '').trim(),
		lagWindowMs: minutes * 60_000,
		thresholds: {
			dirtyBacklog: count(thresholds.dirtyBacklog, DEFAULT_HEALTH_THRESHOLDS.dirtyBacklog),
			outboxBacklog: count(thresholds.outboxBacklog, DEFAULT_HEALTH_THRESHOLDS.outboxBacklog),
			inboxBacklog: count(thresholds.inboxBacklog, DEFAULT_HEALTH_THRESHOLDS.inboxBacklog),
			lagP99Ms: count(thresholds.lagP99Ms, DEFAULT_HEALTH_THRESHOLDS.lagP99Ms),
		},
		target,
	});
	run.out.outputs[0].push({
		json: report as unknown as IDataObject,
		pairedItem: { item: 0 },
	});
}
