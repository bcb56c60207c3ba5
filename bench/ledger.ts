import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import type { InventoryEvent } from '../nodes/shared/events/types';
import { applyEvents, saveProfile } from '../nodes/InventoryLedger/ledger';
import { table, writeResults } from './_results';
import { TEST_REDIS } from '../test/support/redis';

/**
 * Inventory Ledger benchmark (issue 5): `npm run bench -- ledger [--seconds 4] [--concurrency 8] [--skus 1000]`.
 *
 * Apply throughput in items/s on the local Redis at batch 1 and batch 100: `concurrency` applyEvents() calls
 * in flight on one shared client (as one n8n process would run its executions), each batch fresh order lines
 * (new orders, so every item is an effective change: order-line state, ledger level, rev, audit entry, dirty
 * marks) spread over `skus` SKUs, half at a ledger-owned location and half forwarded to a channel owner's
 * outbox. Round trips per batch: socket writes of the client during single batches (one write = one round trip).
 */

// The tests' Redis (bench/run.js starts a private one unless INVSYNC_TEST_REDIS names one).
const { host: HOST, port: PORT } = TEST_REDIS;

function arg(args: string[], name: string, fallback: number): number {
	const i = args.indexOf(`--${name}`);
	return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback;
}

const PROFILE = {
	locations: [
		{ id: 'ledger:wh', owner: 'ledger' },
		{ id: 'shopify:s.bench:1', owner: 'shopify' },
	],
	channels: [
		{
			name: 'shopify',
			platform: 'shopify',
			shop: 's.bench',
			salesLocation: 'shopify:s.bench:1',
			places: [{ id: 'shopify:s.bench:1', shows: ['shopify:s.bench:1', 'ledger:wh'] }],
		},
		{
			name: 'woo',
			platform: 'woocommerce',
			shop: 'w.bench',
			salesLocation: 'ledger:wh',
			places: [{ id: 'woocommerce:w.bench:default', shows: ['ledger:wh'] }],
		},
		{
			name: 'woo2',
			platform: 'woocommerce',
			shop: 'w2.bench',
			salesLocation: 'shopify:s.bench:1',
			places: [{ id: 'woocommerce:w2.bench:default', shows: ['ledger:wh', 'shopify:s.bench:1'] }],
		},
	],
};

let orderSeq = 0;
function batchOf(size: number, skus: number): InventoryEvent[] {
	const out: InventoryEvent[] = [];
	for (let i = 0; i < size; i++) {
		const shop = i % 2 ? 'w.bench' : 'w2.bench';
		const orderId = String(++orderSeq);
		out.push({
			kind: 'orderLine',
			id: `woocommerce:${shop}:order:${orderId}:line:1`,
			version: 1_700_000_000_000 + orderSeq,
			source: { platform: 'woocommerce', shop, topic: 'order.created', via: 'webhook' },
			lineIds: ['1'],
			sku: `BENCH-${orderSeq % skus}`,
			refs: { orderId },
			locationId: null,
			quantity: 1 + (orderSeq % 3),
			occurredAt: '2026-11-26T00:00:00.000Z',
			receivedAt: '2026-11-26T00:00:00.000Z',
		});
	}
	return out;
}

async function deleteByPrefix(redis: Redis, prefix: string): Promise<void> {
	let cursor = '0';
	do {
		const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 5000);
		cursor = next;
		if (keys.length) await redis.unlink(...keys);
	} while (cursor !== '0');
}

async function throughput(
	redis: Redis,
	prefix: string,
	batch: number,
	concurrency: number,
	ms: number,
	skus: number,
) {
	let items = 0;
	let batches = 0;
	const deadline = Date.now() + ms;
	const start = process.hrtime.bigint();
	await Promise.all(
		Array.from({ length: concurrency }, async () => {
			while (Date.now() < deadline) {
				const rs = await applyEvents(redis, prefix, batchOf(batch, skus));
				if (rs.some((r) => r.outcome !== 'applied'))
					throw new Error(
						`unexpected outcome: ${JSON.stringify(rs.find((r) => r.outcome !== 'applied'))}`,
					);
				items += rs.length;
				batches++;
			}
		}),
	);
	const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
	return {
		batch,
		items,
		batches,
		elapsedMs: Math.round(elapsed),
		itemsPerS: Math.round((items / elapsed) * 1000),
	};
}

async function roundTripsPerBatch(
	redis: Redis,
	prefix: string,
	batch: number,
	runs: number,
	skus: number,
): Promise<number> {
	const stream = (redis as unknown as { stream: { write: (...a: unknown[]) => boolean } }).stream;
	const original = stream.write;
	let writes = 0;
	stream.write = function (this: unknown, ...args: unknown[]) {
		writes++;
		return original.apply(this, args);
	};
	try {
		for (let i = 0; i < runs; i++) await applyEvents(redis, prefix, batchOf(batch, skus));
	} finally {
		stream.write = original;
	}
	return writes / runs;
}

export async function main(args: string[]): Promise<void> {
	const seconds = arg(args, 'seconds', 4);
	const concurrency = arg(args, 'concurrency', 8);
	const skus = arg(args, 'skus', 1000);
	const prefix = `bench-ledger-${randomBytes(3).toString('hex')}`;
	const redis = new Redis({ host: HOST, port: PORT });
	try {
		await saveProfile(redis, prefix, PROFILE);
		await applyEvents(redis, prefix, batchOf(10, skus)); // warm-up: scripts loaded, profile cached
		const b1 = await throughput(redis, prefix, 1, concurrency, seconds * 1000, skus);
		const b100 = await throughput(redis, prefix, 100, concurrency, seconds * 1000, skus);
		const rt1 = await roundTripsPerBatch(redis, prefix, 1, 20, skus);
		const rt100 = await roundTripsPerBatch(redis, prefix, 100, 20, skus);
		table([b1, b100].map((r) => ({ ...r, roundTripsPerBatch: r.batch === 1 ? rt1 : rt100 })));
		const file = writeResults('ledger', {
			events_per_s_batch1: b1.itemsPerS,
			events_per_s_batch100: b100.itemsPerS,
			round_trips_per_batch: Math.max(rt1, rt100),
			round_trips_per_batch_1: rt1,
			round_trips_per_batch_100: rt100,
			settings: {
				seconds,
				concurrency,
				skus,
				redis: `${HOST}:${PORT}`,
				workload:
					'fresh WooCommerce order lines, half ledger-owned, half forwarded to an owner outbox',
			},
			target: { events_per_s_batch100: 10_000, round_trips_per_batch: 1 },
		});
		console.log(`wrote ${file}`);
	} finally {
		await deleteByPrefix(redis, prefix);
		await redis.quit();
	}
}
