/**
 * Tools of the inbox e2e tests (test/e2e/inbox*.test.ts): workflow builders, a snapshot of dist/ (so a rebuild
 * while the tests run cannot pull files from under n8n), a small send pool, and the expected canonical items
 * of a sent delivery computed with the Webhook Trigger's own normaliser.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import type Redis from 'ioredis';
import { normalizeDelivery, pickHeaders } from '../../nodes/shared/events';
import { REPO_ROOT, type Execution, type N8nInstance } from './harness';

export const WEBHOOK_TRIGGER = 'Inventory Webhook Trigger';
export const INBOX_TRIGGER = 'Inventory Inbox Trigger';

/** A copy of dist/ inside the repository (so `ioredis` still resolves from its node_modules). */
export function snapshotDist(): { dir: string; dist: string; remove: () => void } {
	const dir = mkdtempSync(path.join(REPO_ROOT, '.e2e-tmp-inbox-'));
	// INVSYNC_E2E_DIST: a build of one's own (dist/ is shared while several people work in one checkout).
	const source = process.env.INVSYNC_E2E_DIST ?? path.join(REPO_ROOT, 'dist');
	cpSync(source, path.join(dir, 'dist'), { recursive: true });
	return {
		dir,
		dist: path.join(dir, 'dist'),
		remove: () => rmSync(dir, { recursive: true, force: true }),
	};
}

type Node = Record<string, unknown>;
let position = 0;
const at = (): [number, number] => [(position++ % 6) * 250, 0];

export function webhookTriggerNode(opts: {
	platform: 'shopify' | 'woocommerce';
	webhookId: string;
	delivery: 'run' | 'inbox';
	stream?: string;
	platformCredential: string;
	redisCredential?: string;
}): Node {
	const type = opts.platform === 'shopify' ? 'shopifyInventoryApi' : 'wooCommerceInventoryApi';
	return {
		id: `${opts.webhookId}-node`,
		name: WEBHOOK_TRIGGER,
		type: 'CUSTOM.inventoryWebhookTrigger',
		typeVersion: 1,
		position: at(),
		webhookId: opts.webhookId,
		parameters: {
			platform: opts.platform,
			delivery: opts.delivery,
			...(opts.stream ? { inboxStream: opts.stream } : {}),
			options: { manageSubscriptions: false },
		},
		credentials: {
			[type]: { id: opts.platformCredential, name: opts.platformCredential },
			...(opts.redisCredential
				? { inventoryRedisApi: { id: opts.redisCredential, name: opts.redisCredential } }
				: {}),
		},
	};
}

export function inboxTriggerNode(opts: {
	redisCredential: string;
	parameters: Record<string, unknown>;
	shopifyCredential?: string;
}): Node {
	return {
		id: `inbox-${Math.random().toString(36).slice(2, 10)}`,
		name: INBOX_TRIGGER,
		type: 'CUSTOM.inventoryInboxTrigger',
		typeVersion: 1,
		position: at(),
		parameters: opts.parameters,
		credentials: {
			inventoryRedisApi: { id: opts.redisCredential, name: opts.redisCredential },
			...(opts.shopifyCredential
				? { shopifyInventoryApi: { id: opts.shopifyCredential, name: opts.shopifyCredential } }
				: {}),
		},
	};
}

export function plainNode(
	name: string,
	type: string,
	parameters: Record<string, unknown> = {},
	typeVersion = 1,
	extra: Node = {},
): Node {
	return {
		id: `${name.replace(/\W/g, '')}-${Math.random().toString(36).slice(2, 8)}`,
		name,
		type,
		typeVersion,
		position: at(),
		parameters,
		...extra,
	};
}

export const noOp = (name: string): Node => plainNode(name, 'n8n-nodes-base.noOp');

/** `from` output i → `to[i]` (an empty name leaves that output unconnected). */
export function wire(connections: Record<string, unknown>, from: string, ...to: string[]): void {
	connections[from] = {
		main: to.map((name) => (name ? [{ node: name, type: 'main', index: 0 }] : [])),
	};
}

export function workflow(
	id: string,
	nodes: Node[],
	connections: Record<string, unknown>,
	active = true,
): object {
	return { id, name: id, active, nodes, connections, settings: { executionOrder: 'v1' } };
}

/** Runs `fn` over `items` with at most `concurrency` at once; results in input order. */
export async function pool<T, R>(
	items: readonly T[],
	concurrency: number,
	fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
	const out: R[] = new Array(items.length);
	let next = 0;
	const worker = async () => {
		while (next < items.length) {
			const i = next++;
			out[i] = await fn(items[i], i);
		}
	};
	await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
	return out;
}

export interface Sent {
	platform: 'shopify' | 'woocommerce';
	rawBody: string;
	requestHeaders: Record<string, string>;
	correlationId: string;
	status: number;
}

function lower(headers: Record<string, string>): Record<string, string> {
	return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

/** The canonical items per-request mode would emit for this delivery (receivedAt left out). */
export function expectedEvents(sent: Sent): Array<Record<string, unknown>> {
	const result = normalizeDelivery({
		platform: sent.platform,
		headers: pickHeaders(sent.platform, lower(sent.requestHeaders)),
		rawBody: sent.rawBody,
		receivedAt: '1970-01-01T00:00:00.000Z',
		via: 'webhook',
	});
	return result.events.map((e) => withoutReceivedAt(e as unknown as Record<string, unknown>));
}

/** An item without what differs by receipt path: receivedAt, and the inbox entry id only the Inbox Trigger adds. */
export function withoutReceivedAt(e: Record<string, unknown>): Record<string, unknown> {
	const { receivedAt: _drop, inboxEntryId: _entry, ...rest } = e;
	void _drop;
	void _entry;
	return rest;
}

/** Key-order independent text of a value, to compare multisets of items. */
export function canonical(value: unknown): string {
	if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
	if (value && typeof value === 'object') {
		return `{${Object.keys(value)
			.sort()
			.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
			.join(',')}}`;
	}
	return JSON.stringify(value);
}

/** Events of a node's first output over executions, grouped by correlationId (canonical texts, sorted). */
export function eventsByCorrelation(
	n8n: N8nInstance,
	executions: Execution[],
	nodeName: string,
): Map<string, string[]> {
	const out = new Map<string, string[]>();
	for (const e of executions) {
		const [events = []] = n8n.nodeOutput(e, nodeName);
		for (const ev of events) {
			const id = String(ev.correlationId);
			const list = out.get(id) ?? [];
			list.push(canonical(withoutReceivedAt(ev)));
			out.set(id, list);
		}
	}
	for (const list of out.values()) list.sort();
	return out;
}

export async function groupState(
	redis: Redis,
	stream: string,
	group: string,
): Promise<{ pending: number; lag: number | null }> {
	const groups = (await redis.xinfo('GROUPS', stream).catch(() => [])) as unknown[][];
	for (const raw of groups) {
		const g: Record<string, unknown> = {};
		for (let i = 0; i + 1 < raw.length; i += 2) g[String(raw[i])] = raw[i + 1];
		if (g.name === group)
			return { pending: Number(g.pending), lag: g.lag === null ? null : Number(g.lag) };
	}
	return { pending: -1, lag: -1 };
}
