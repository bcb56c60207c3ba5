import { inboxSettings } from '../nodes/InventoryInboxTrigger/batching';
import { InboxConsumer } from '../nodes/InventoryInboxTrigger/consumer';
import { inboxKey, key } from '../nodes/shared/keys';
import {
	closeAllRedis,
	credentialFromData,
	describeRedisError,
	getRedis,
	type InventoryRedisCredential,
} from '../nodes/shared/redis';
import { loadConfig } from '../receiver/config';
import { startReceiver, type RunningReceiver } from '../receiver/server';
import { ShopifySimulator, shopifyInventoryLevel } from '../test/simulators';
import { sleep, waitFor } from '../test/support/wait';
import { SentinelCluster } from './sentinelCluster';

/**
 * The Sentinel failover scenario (issue 22), shared by `npm run chaos` and test/integration/sentinel.test.ts:
 *
 * 1. A primary, one replica, three Sentinels on loopback (chaos/sentinelCluster.ts).
 * 2. The Inventory Receiver and the Inbox Trigger's consumer loop, both on the credential's Sentinel settings
 *    (the receiver with Replicas to Wait For = 1), the consumer on the package's shared client (getRedis).
 * 3. Ack latency: the same signed webhooks answered with and without WAIT.
 * 4. Signed webhooks at a steady pace, each with its own id; mid-run the primary gets SIGKILL and is started
 *    again a second later, as a supervisor would (Sentinel makes it a replica of the promoted node).
 * 5. Every webhook answered 200 must be in the inbox of the new primary and reach the consumer; failover_s is
 *    SIGKILL → the first 200 for a webhook sent after it.
 */

export interface SentinelFigures {
	topology: string;
	webhooks_sent: number;
	answered_200: number;
	answered_other: number;
	/** SIGKILL of the primary → the Sentinels name the replica as primary. */
	promoted_s: number;
	/** SIGKILL of the primary → a webhook sent after it is answered 200 (writes accepted again). */
	failover_s: number;
	/** Webhooks answered 200 whose entry is missing from the new primary's inbox. */
	lost_after_failover: number;
	/** Webhooks answered 200 that the consumer never received (it follows the new primary without restart). */
	not_consumed: number;
	/** The same webhooks to a receiver with Replicas to Wait For 0 (informational: a loss there is possible). */
	without_wait: { answered_200: number; failover_s: number; lost_after_failover: number };
	ack_latency_ms: {
		without_wait: { p50: number; p99: number };
		wait_1_replica: { p50: number; p99: number };
	};
	/** Only when something was lost: what the Sentinels and data nodes logged about roles, to see why. */
	role_events?: string[];
}

const SECRET = 'sentinel-chaos-secret';
const SHOP_PATH = '/shopify/sentinel';

function percentile(values: number[], p: number): number {
	const sorted = [...values].sort((a, b) => a - b);
	if (sorted.length === 0) return 0;
	return (
		Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] * 10) /
		10
	);
}

function receiverOn(
	cluster: SentinelCluster,
	prefix: string,
	replicasToWait: number,
): Promise<RunningReceiver> {
	return startReceiver(
		loadConfig({
			listen: { host: '127.0.0.1', port: 0 },
			redis: {
				sentinels: cluster.sentinelList,
				sentinelName: cluster.masterName,
				keyPrefix: prefix,
				replicasToWait,
				replicaWaitTimeoutMs: 500,
			},
			shops: [
				{ platform: 'shopify', shop: 'demo-shop.myshopify.com', path: SHOP_PATH, secret: SECRET },
			],
		}),
		{ logger: () => undefined },
	);
}

export async function runSentinelScenario(
	options: {
		prefix?: string;
		/** Webhooks per second during the failover phase (default 40). */
		rate?: number;
		/** Seconds of traffic before the kill (default 3). */
		before?: number;
		/** Webhooks per latency sample (default 200). */
		latencySamples?: number;
		log?: (line: string) => void;
	} = {},
): Promise<SentinelFigures> {
	const prefix = options.prefix ?? `chaossentinel${process.pid}`;
	const log = options.log ?? (() => undefined);
	const rate = options.rate ?? 40;
	const cluster = await SentinelCluster.start();
	const shopify = new ShopifySimulator({ webhookSecret: SECRET });
	const receivers: RunningReceiver[] = [];
	let stopping = false;
	let traffic: Promise<void> | undefined;
	let consumer: InboxConsumer | undefined;
	try {
		log(
			`Sentinel cluster up: data nodes ${cluster.nodes.map((n) => n.port).join(', ')}, Sentinels ${cluster.sentinelList}`,
		);
		const cred: InventoryRedisCredential = credentialFromData({
			sentinels: cluster.sentinelList,
			sentinelName: cluster.masterName,
			keyPrefix: prefix,
			replicasToWait: 1,
		});
		const waiting = await receiverOn(cluster, prefix, 1);
		const plain = await receiverOn(cluster, `${prefix}plain`, 0);
		receivers.push(waiting, plain);

		// --- ack latency, one request at a time so queueing does not blur it --------------------------------
		const samples = options.latencySamples ?? 200;
		// Alternating, so a busy moment of the shared machine weighs on both alike.
		const latency = { plain: [] as number[], waiting: [] as number[] };
		for (let i = 0; i < samples; i++) {
			for (const [name, r] of [
				['plain', plain],
				['waiting', waiting],
			] as const) {
				const res = await shopify.sendWebhook(
					r.url + SHOP_PATH,
					'inventory_levels/update',
					shopifyInventoryLevel({ inventoryItemId: 9_000_000 + i, locationId: 1, available: 1 }),
				);
				if (res.status !== 200) throw new Error(`latency sample answered ${res.status}`);
				latency[name].push(res.durationMs);
			}
		}
		const stats = (ms: number[]) => ({ p50: percentile(ms, 50), p99: percentile(ms, 99) });
		const withoutWait = stats(latency.plain);
		const withWait = stats(latency.waiting);
		log(
			`ack latency: without WAIT p50 ${withoutWait.p50} ms p99 ${withoutWait.p99} ms; WAIT 1 p50 ${withWait.p50} ms p99 ${withWait.p99} ms`,
		);

		// --- the consumer: the Inbox Trigger's loop on the shared Sentinel client --------------------------
		const consumed = new Set<number>();
		const stream = inboxKey(prefix, 'inbox');
		const shared = await getRedis(cred);
		await shared.del(stream); // the latency samples: not part of the failover count
		// A second group that never acknowledges: the consumer trims what every group acknowledged, and the
		// count below reads every entry the new primary holds.
		await shared.xgroup('CREATE', stream, 'chaos-audit', '0', 'MKSTREAM');
		consumer = new InboxConsumer({
			connect: async () => await getRedis(cred),
			keys: { stream, dlq: key(prefix, 'dlq') },
			settings: inboxSettings({ blockMs: 200, reclaimAfterMs: 5_000 }),
			run: async (items) => {
				for (const e of items.events) consumed.add(Number(e.refs.inventoryItemId));
				return { ok: true };
			},
			describeError: (error) => describeRedisError(error, cred),
			logger: {
				debug: () => undefined,
				info: () => undefined,
				warn: () => undefined,
				error: () => undefined,
			},
		});
		consumer.start();

		// --- traffic, SIGKILL of the primary, restart of the dead node ----------------------------------------
		const accepted: number[] = [];
		let sent = 0;
		let other = 0;
		let killedAt = 0;
		let firstAcceptAfterKill = 0;
		const inFlight = new Set<Promise<void>>();
		// The same webhooks also go to a receiver that does not wait for replicas (its own stream): how long
		// it is refused, and what it loses, is the other side of the setting.
		const plainSide = { accepted: [] as number[], firstAcceptAfterKill: 0 };
		const sendOne = async (n: number) => {
			const startedAt = Date.now();
			const payload = shopifyInventoryLevel({
				inventoryItemId: n,
				locationId: 1,
				available: n % 50,
			});
			const [res, plainRes] = await Promise.all(
				[waiting, plain].map(
					async (r) =>
						await shopify.sendWebhook(r.url + SHOP_PATH, 'inventory_levels/update', payload, {
							timeoutMs: 5_000,
						}),
				),
			);
			if (res.status === 200) {
				accepted.push(n);
				if (killedAt && startedAt > killedAt && !firstAcceptAfterKill)
					firstAcceptAfterKill = Date.now();
			} else other++;
			if (plainRes.status === 200) {
				plainSide.accepted.push(n);
				if (killedAt && startedAt > killedAt && !plainSide.firstAcceptAfterKill)
					plainSide.firstAcceptAfterKill = Date.now();
			}
		};
		traffic = (async () => {
			const t0 = Date.now();
			while (!stopping) {
				sent++;
				const p = sendOne(sent).finally(() => inFlight.delete(p));
				inFlight.add(p);
				const due = t0 + (sent * 1000) / rate;
				if (due > Date.now()) await sleep(due - Date.now());
			}
			await Promise.all([...inFlight]);
		})();
		await sleep((options.before ?? 3) * 1000);
		const oldPort = await cluster.killPrimary();
		killedAt = Date.now();
		log(`SIGKILL primary on ${oldPort} after ${sent} webhooks`);
		const newPort = await cluster.waitForPromotion(oldPort);
		const promotedAt = Date.now();
		log(`Sentinel promoted ${newPort} after ${((promotedAt - killedAt) / 1000).toFixed(1)} s`);
		// Started again only after the promotion, as a supervisor with a restart delay would: a node without
		// persistence that is back before the Sentinels agree it is down is taken for the primary, empty, and the
		// replica resyncs from it (everything lost). Here it returns as a replica of the promoted node.
		await cluster.restartNode(oldPort);
		await waitFor(
			() => firstAcceptAfterKill,
			(t) => t > 0,
			60_000,
			'writes accepted again',
			100,
		);
		await sleep(2_000);
		stopping = true;
		await traffic;

		// --- count ---------------------------------------------------------------------------------------
		const primary = await getRedis(cred);
		await waitFor(
			async () => (await primary.call('ROLE')) as unknown[],
			(r) => r[0] === 'master',
			10_000,
			'shared client on the primary',
		);
		const storedIn = async (streamKey: string) => {
			const stored = new Set<number>();
			for (const [, fields] of await primary.xrange(streamKey, '-', '+')) {
				const body = fields[fields.indexOf('body') + 1];
				stored.add(Number((JSON.parse(body) as { inventory_item_id: number }).inventory_item_id));
			}
			return stored;
		};
		const stored = await storedIn(stream);
		const lost = accepted.filter((n) => !stored.has(n));
		const plainStored = await storedIn(inboxKey(`${prefix}plain`, 'inbox'));
		const plainLost = plainSide.accepted.filter((n) => !plainStored.has(n));
		await waitFor(
			() => accepted.filter((n) => !consumed.has(n)).length,
			(missing) => missing === 0,
			30_000,
			'consumer received every accepted webhook',
			100,
		).catch(() => undefined);
		const notConsumed = accepted.filter((n) => !consumed.has(n)).length;
		return {
			topology:
				'primary + 1 replica + 3 Sentinels on loopback; receiver Replicas to Wait For 1 (timeout 500 ms); dead primary restarted once Sentinel promoted the replica',
			webhooks_sent: sent,
			answered_200: accepted.length,
			answered_other: other,
			promoted_s: Math.round((promotedAt - killedAt) / 100) / 10,
			failover_s: Math.round((firstAcceptAfterKill - killedAt) / 100) / 10,
			lost_after_failover: lost.length,
			not_consumed: notConsumed,
			ack_latency_ms: { without_wait: withoutWait, wait_1_replica: withWait },
			without_wait: {
				answered_200: plainSide.accepted.length,
				failover_s: Math.round((plainSide.firstAcceptAfterKill - killedAt) / 100) / 10,
				lost_after_failover: plainLost.length,
			},
			...(lost.length > 0 || notConsumed > 0 ? { role_events: cluster.roleEvents() } : {}),
		};
	} finally {
		stopping = true;
		await traffic?.catch(() => undefined);
		await consumer?.close(1_000).catch(() => undefined);
		for (const r of receivers) await r.close().catch(() => undefined);
		await closeAllRedis();
		await cluster.stop();
	}
}
