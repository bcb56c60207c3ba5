import type Redis from 'ioredis';
import {
	inboxSettings,
	type InboxSettings,
	type RunOutcome,
} from '../../nodes/InventoryInboxTrigger/batching';
import {
	InboxConsumer,
	type BatchItems,
	type ConsumerLogger,
} from '../../nodes/InventoryInboxTrigger/consumer';
import type { Delivery } from '../../nodes/shared/events';
import { appendToInbox } from '../../nodes/shared/inbox';
import { inboxKey, key } from '../../nodes/shared/keys';
import { credentialFromData, describeRedisError, getRedis } from '../../nodes/shared/redis';
import { TEST_REDIS, sleep } from '../support';

/**
 * Test tools for the Inbox Trigger's consumer against a real Redis: entries written exactly as the Webhook
 * Trigger writes them (shared/inbox.ts), a consumer on the package's shared client, and a `run` that plays the
 * workflow: it records every batch and succeeds or fails by what the batch holds (a poison item fails it).
 */

/** A Shopify inventory_levels/update whose single event carries `n` as its inventory item id. */
export function levelDelivery(n: number, receivedAt = new Date().toISOString()): Delivery {
	return {
		platform: 'shopify',
		headers: {
			'x-shopify-topic': 'inventory_levels/update',
			'x-shopify-shop-domain': 'demo-shop.myshopify.com',
			'x-shopify-event-id': `evt-${n}`,
			'x-shopify-triggered-at': '2026-11-26T15:00:00.123Z',
		},
		rawBody: `{"inventory_item_id":${n},"location_id":655441491,"available":${n % 100},"updated_at":"2026-11-26T10:00:00-05:00"}`,
		receivedAt,
	};
}

/** The inventory item id of an event (`n` of levelDelivery). */
export function itemOf(event: { refs: { inventoryItemId?: string } }): number {
	return Number(event.refs.inventoryItemId);
}

export async function fill(redis: Redis, stream: string, numbers: number[]): Promise<string[]> {
	const ids: string[] = [];
	for (const n of numbers) {
		const d = levelDelivery(n);
		ids.push(await appendToInbox(redis, stream, d, Buffer.from(d.rawBody)));
	}
	return ids;
}

export interface RecordedRun {
	items: number[];
	invalid: number;
	ok: boolean;
	startedAt: number;
	endedAt: number;
}

export interface TestConsumer {
	consumer: InboxConsumer;
	runs: RecordedRun[];
	logs: string[];
	keys: { stream: string; dlq: string };
	settings: InboxSettings;
	/** Items of every successful run. */
	processed(): number[];
	/** Most runs that were in flight at the same time. */
	maxConcurrent(): number;
	/** The package's shared client of this consumer's credential (getRedis), the one the consumer uses. */
	shared(): Promise<Redis>;
}

export function makeConsumer(options: {
	prefix: string;
	port?: number;
	settings?: Partial<Record<keyof InboxSettings, unknown>>;
	/** Items whose run fails (a poison event). */
	poison?: Set<number>;
	/** Fails every run while it returns true. */
	failAll?: () => boolean;
	/** How long a run takes (ms). */
	runMs?: number;
	/** Never ends the run (a process that dies mid-run). */
	hang?: boolean;
	consumerName?: string;
}): TestConsumer {
	const cred = credentialFromData({
		host: TEST_REDIS.host,
		port: options.port ?? TEST_REDIS.port,
		database: 0,
		keyPrefix: options.prefix,
	});
	const settings = inboxSettings({ blockMs: 200, ...options.settings });
	const keys = {
		stream: inboxKey(options.prefix, settings.stream),
		dlq: key(options.prefix, 'dlq'),
	};
	const runs: RecordedRun[] = [];
	const logs: string[] = [];
	let inFlight = 0;
	let maxInFlight = 0;
	const logger: ConsumerLogger = {
		debug: (m) => logs.push(`debug ${m}`),
		info: (m) => logs.push(`info ${m}`),
		warn: (m) => logs.push(`warn ${m}`),
		error: (m) => logs.push(`error ${m}`),
	};
	const run = async (batch: BatchItems): Promise<RunOutcome> => {
		const startedAt = Date.now();
		inFlight++;
		maxInFlight = Math.max(maxInFlight, inFlight);
		try {
			if (options.hang) await new Promise(() => undefined);
			if (options.runMs) await sleep(options.runMs);
			const items = batch.events.map(itemOf);
			const failed = (options.failAll?.() ?? false) || items.some((n) => options.poison?.has(n));
			runs.push({
				items,
				invalid: batch.invalid.length,
				ok: !failed,
				startedAt,
				endedAt: Date.now(),
			});
			return failed ? { ok: false, error: `poison in batch of ${items.length}` } : { ok: true };
		} finally {
			inFlight--;
		}
	};
	const consumer = new InboxConsumer({
		connect: async () => await getRedis(cred),
		keys,
		settings,
		consumer: options.consumerName,
		run,
		logger,
		describeError: (error) => describeRedisError(error, cred),
	});
	return {
		consumer,
		runs,
		logs,
		keys,
		settings,
		processed: () => runs.filter((r) => r.ok).flatMap((r) => r.items),
		maxConcurrent: () => maxInFlight,
		shared: async () => await getRedis(cred),
	};
}

/** XPENDING summary count of a group (0 when the group or stream is missing). */
export async function pendingCount(redis: Redis, stream: string, group: string): Promise<number> {
	try {
		const summary = (await redis.xpending(stream, group)) as [number, ...unknown[]];
		return Number(summary[0]);
	} catch {
		return 0;
	}
}

/** The group's lag (entries not yet delivered), from XINFO GROUPS. */
export async function groupInfo(
	redis: Redis,
	stream: string,
	group: string,
): Promise<Record<string, unknown> | undefined> {
	const groups = (await redis.xinfo('GROUPS', stream)) as unknown[][];
	for (const raw of groups) {
		const g: Record<string, unknown> = {};
		for (let i = 0; i + 1 < raw.length; i += 2) g[String(raw[i])] = raw[i + 1];
		if (g.name === group) return g;
	}
	return undefined;
}

/**
 * True once the group exists and at least `readers` inbox connections are blocked in XREADGROUP (CLIENT LIST:
 * the consumer's own connection, named 'n8n-nodes-inventory-sync:inbox'). Redis 7.0 registers a consumer only
 * when a read returns something, so XINFO CONSUMERS cannot say it.
 */
export async function isReading(
	redis: Redis,
	stream: string,
	group: string,
	readers = 1,
): Promise<boolean> {
	if (!(await groupInfo(redis, stream, group).catch(() => undefined))) return false;
	const clients = String(await redis.client('LIST')).split('\n');
	const blocked = clients.filter(
		(c) =>
			/\bname=n8n-nodes-inventory-sync:inbox\b/.test(c) &&
			/\bcmd=xreadgroup\b/.test(c) &&
			/\bflags=\S*b/.test(c),
	);
	return blocked.length >= readers;
}

export function range(from: number, count: number): number[] {
	return Array.from({ length: count }, (_, i) => from + i);
}
