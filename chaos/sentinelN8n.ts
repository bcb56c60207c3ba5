import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { ensureN8nInstalled, startN8n, type N8nInstance } from '../test/e2e/harness';
import {
	TEMPLATE_CREDENTIALS,
	TEMPLATE_PLACEHOLDERS,
	everySeconds,
	loadTemplate,
	packageDist,
	templateCredentials,
} from '../test/e2e/templateSupport';
import { ShopifySimulator, WooCommerceSimulator } from '../test/simulators';
import { sleep, waitFor } from '../test/support/wait';
import { channelKeys, ledgerKeys } from '../nodes/shared/keys';
import { normalizeDelivery } from '../nodes/shared/events';
import { applyEvents, saveProfile } from '../nodes/InventoryLedger/ledger';
import { loadConfig } from '../receiver/config';
import { startReceiver, type RunningReceiver } from '../receiver/server';
import {
	LEDGER_WAREHOUSE,
	SHOPIFY_SHOP,
	STORE_LOCATION,
	STORE_START,
	WAREHOUSE_LOCATION,
	WAREHOUSE_START,
	demoProfile,
	makeCatalogue,
	seedSimulators,
	storePlace,
	type Catalogue,
} from '../demo/catalogue';
import { compare } from '../demo/verdict';
import { lagAndDeadLetters } from '../demo/progress';
import { Capture, History, SerialModel, type CapturedDelivery } from './history';
import { SentinelCluster } from './sentinelCluster';

/**
 * Sentinel failover through a real n8n 2.41.1 (issue 22): the run chaos/sentinelRun.ts makes with the package's
 * code called directly, here with n8n itself in the path.
 *
 * - Redis: a primary, one replica, three Sentinels on loopback (chaos/sentinelCluster.ts).
 * - n8n (regular mode, one process, never restarted) runs the real-time template (workflows/realtime-sync.json)
 *   with its Inventory Redis credential in Sentinel mode (the Sentinels' ports, the master name, Replicas to Wait
 *   For 1): its Webhook Triggers queue deliveries in the inbox, its Inbox Trigger reads them, Guard, Ledger and
 *   the channel nodes run on the same credential.
 * - The Inventory Receiver (receiver/), also on the Sentinels with Replicas to Wait For 1, takes half of
 *   Shopify's deliveries into the same inbox; the other half and all of WooCommerce's go to n8n's Webhook
 *   Triggers.
 * - The shops (test/simulators) sell, cancel and restock (chaos/history.ts, with its serial model); their
 *   webhooks, echoes of our own writes included, stream in at a steady pace. A delivery not answered 200 is sent
 *   again a second later, as Shopify retries (for WooCommerce this stands in for the catch-up poll).
 * - Mid-run the primary gets SIGKILL and is started again once Sentinel promoted the replica (as a supervisor
 *   with a restart delay would: a node without persistence that returns before the promotion would be taken for
 *   the primary, empty).
 *
 * Counted: failover_s (SIGKILL → the first 200 for a delivery first sent after it), lost_after_failover (deliveries
 * answered 200 with an event in neither the ledger's audit streams nor the dead letters), and the final ledger
 * and both shops against the serial model.
 */

export interface SentinelN8nOptions {
	skus?: number;
	/** Shop operations per second (default 6). */
	rate?: number;
	/** Seconds of stream before the SIGKILL (default 15). */
	before?: number;
	/** Seconds of stream after writes are accepted again (default 15). */
	after?: number;
	/** Bound on draining after the stream (default 180 s). */
	settleMs?: number;
	/** Replicas to Wait For, in the credential and the receiver (default 1). */
	replicasToWait?: number;
	/** The catch-up poll's schedule, seconds (default 15; the template's is a minute). */
	pollSeconds?: number;
	/** How long a refused delivery is re-sent (default 300 s). */
	retryMs?: number;
	/** Where n8n's log goes (default: its temporary folder, removed at the end). */
	n8nLog?: string;
	log?: (line: string) => void;
}

export interface SentinelN8nFigures {
	setup: string;
	skus: number;
	operations: number;
	/** Distinct deliveries (echoes of our writes included), and how they went. */
	deliveries: number;
	deliveries_via: { receiver: number; n8n_webhook: number };
	answered_200: number;
	/** Attempts not answered 200 (each re-sent a second later), by door and status (0: no answer). */
	refused: Record<string, number>;
	never_accepted: number;
	promoted_s: number;
	/** SIGKILL of the primary → the first 200 for a delivery first sent after it (either door). */
	failover_s: number;
	failover_s_by_door: { receiver: number | null; n8n_webhook: number | null };
	/** Deliveries answered 200 with an event in neither the audit streams nor the dead letters. */
	lost_after_failover: number;
	/** Events (order lines, the store's levels) of deliveries answered 200, looked up for the count above. */
	events_checked: number;
	dead_letters: number;
	mismatched_skus: number;
	n8n_restarts: number;
	executions: Record<string, number>;
	settled_s: number | null;
	examples: string[];
}

const SHOP_PATH = '/shopify/sentinel';

/** The ledger as a first sync leaves it: each SKU mapped, the warehouse counted, the store's level known. */
async function seedLedger(redis: Redis, prefix: string, catalogue: Catalogue): Promise<void> {
	const source = (topic: string) => ({
		platform: 'shopify',
		shop: SHOPIFY_SHOP,
		topic,
		via: 'reconciliation',
	});
	const events: object[] = [];
	for (const sku of catalogue.skus) {
		const item = catalogue.itemOf(sku);
		const base = { sku, occurredAt: '', receivedAt: '', version: 1 };
		events.push(
			{
				...base,
				kind: 'mapping',
				id: `shopify:${SHOPIFY_SHOP}:mapping:${item}`,
				source: source('inventory_items/update'),
				refs: { inventoryItemId: item },
				locationId: null,
				quantity: null,
			},
			{
				...base,
				kind: 'level',
				id: `manual:erp:level:${sku}`,
				source: { platform: 'manual', shop: 'erp', topic: 'count', via: 'manual' },
				refs: {},
				locationId: LEDGER_WAREHOUSE,
				quantity: WAREHOUSE_START,
			},
			{
				...base,
				kind: 'level',
				id: `shopify:${SHOPIFY_SHOP}:level:${item}:${STORE_LOCATION}`,
				source: source('inventory_levels/update'),
				refs: { inventoryItemId: item },
				locationId: storePlace(),
				quantity: STORE_START,
			},
		);
	}
	await applyEvents(redis, prefix, events as never);
}

const tenths = (ms: number) => Math.round(ms / 100) / 10;

export async function runSentinelN8n(
	options: SentinelN8nOptions = {},
): Promise<SentinelN8nFigures> {
	const log = options.log ?? (() => undefined);
	const rate = options.rate ?? 6;
	const prefix = 'invsync';
	const undo: Array<() => Promise<unknown>> = [];
	let stopping = false;
	let stream: Promise<void> | undefined;
	try {
		await ensureN8nInstalled();
		const build = packageDist();
		undo.push(async () => build.remove());
		const cluster = await SentinelCluster.start();
		undo.push(() => cluster.stop());
		log(
			`Sentinel cluster up: data nodes ${cluster.nodes.map((n) => n.port).join(', ')}, Sentinels ${cluster.sentinelList}`,
		);
		// The run's own view of the data (seeding, counting): a Sentinel client like the nodes', patient.
		const admin = new Redis({
			sentinels: cluster.sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
			name: cluster.masterName,
			maxRetriesPerRequest: 50,
		});
		admin.on('error', () => undefined);
		undo.push(async () => admin.disconnect());

		const shopifySecret = randomBytes(16).toString('hex');
		const wooSecret = randomBytes(16).toString('hex');
		const wooKey = `ck_${randomBytes(12).toString('hex')}`;
		const wooKeySecret = `cs_${randomBytes(12).toString('hex')}`;
		const shopify = new ShopifySimulator({
			shop: SHOPIFY_SHOP,
			webhookSecret: shopifySecret,
			salesLocationId: WAREHOUSE_LOCATION,
		});
		const woo = new WooCommerceSimulator({
			consumerKey: wooKey,
			consumerSecret: wooKeySecret,
			// WooCommerce disables a webhook after 5 failed deliveries in a row, and a failover refuses more than
			// that: its catch-up poll then finds the orders (the chaos run covers that). Here the webhook stays on,
			// so the failover is measured on WooCommerce's deliveries too.
			maxDeliveryFailures: 1_000_000,
		});
		await Promise.all([shopify.start(), woo.start()]);
		undo.push(async () => {
			await shopify.stop();
			await woo.stop();
		});
		const wooShop = new URL(woo.baseUrl).host.toLowerCase();
		const catalogue = makeCatalogue(options.skus ?? 40);
		// Both shops start in agreement with the ledger: nothing for a first publish to correct.
		catalogue.staleOnWoo = [];
		seedSimulators(catalogue, shopify, woo);
		await saveProfile(admin, prefix, demoProfile(wooShop, false));
		await seedLedger(admin, prefix, catalogue);

		const redisCredential = {
			...TEMPLATE_CREDENTIALS.redis,
			data: {
				host: '127.0.0.1',
				port: 6379,
				database: 0,
				keyPrefix: prefix,
				sentinels: cluster.sentinelList,
				sentinelName: cluster.masterName,
				replicasToWait: options.replicasToWait ?? 1,
				replicaWaitTimeoutMs: 500,
			},
		};
		const shopCredentials = templateCredentials({
			redis: { host: '127.0.0.1', port: 0, keyPrefix: prefix },
			shopify: {
				shopDomain: shopify.baseUrl,
				accessToken: 'shpat_test',
				webhookSecret: shopifySecret,
			},
			woocommerce: {
				siteUrl: woo.baseUrl,
				consumerKey: wooKey,
				consumerSecret: wooKeySecret,
				webhookSecret: wooSecret,
			},
		}).slice(1);
		const replace: Array<[string, string]> = [
			[TEMPLATE_PLACEHOLDERS.shopifyShop, SHOPIFY_SHOP],
			[TEMPLATE_PLACEHOLDERS.wooShop, wooShop],
		];
		const startedN8n = Date.now();
		const n8n: N8nInstance = await startN8n({
			engine: 'legacy',
			extensions: [build.dist],
			activateVia: 'api',
			credentials: [redisCredential, ...shopCredentials],
			workflows: [
				loadTemplate('realtime-sync.json', { replace, active: true }),
				// Activated with real-time-sync, as its note says: it drains dirty SKUs and the outbox.
				loadTemplate('catch-up-poll.json', {
					replace,
					active: true,
					transform: (wf) => everySeconds(wf, 'Every Minute', options.pollSeconds ?? 15),
				}),
			],
			...(options.n8nLog ? { logFile: options.n8nLog } : {}),
		});
		undo.push(() => n8n.stop());
		const n8nPid = n8n.pids().main;
		log(`n8n up in ${((Date.now() - startedN8n) / 1000).toFixed(0)} s (pid ${n8nPid})`);

		const receiver: RunningReceiver = await startReceiver(
			loadConfig({
				listen: { host: '127.0.0.1', port: 0 },
				redis: {
					sentinels: cluster.sentinelList,
					sentinelName: cluster.masterName,
					keyPrefix: prefix,
					replicasToWait: options.replicasToWait ?? 1,
					replicaWaitTimeoutMs: 500,
				},
				shops: [
					{ platform: 'shopify', shop: SHOPIFY_SHOP, path: SHOP_PATH, secret: shopifySecret },
				],
			}),
			{ logger: () => undefined },
		);
		undo.push(() => receiver.close());

		// --- the stream -------------------------------------------------------------------------------------
		const capture = new Capture(shopify, woo);
		const model = new SerialModel(catalogue.skus, WAREHOUSE_START, STORE_START);
		const history = new History(catalogue, shopify, woo, model, 22);
		type Door = 'receiver' | 'n8n_webhook';
		interface Accepted {
			d: CapturedDelivery;
			door: Door;
		}
		const accepted: Accepted[] = [];
		const refused: Record<string, number> = {};
		const via = { receiver: 0, n8n_webhook: 0 };
		let deliveries = 0;
		let neverAccepted = 0;
		let killedAt = 0;
		const firstAfterKill: Record<Door, number> = { receiver: 0, n8n_webhook: 0 };
		const inFlight = new Set<Promise<void>>();

		const attempt = async (d: CapturedDelivery, door: Door): Promise<number> => {
			if (door === 'receiver') {
				const r = await shopify.sendWebhook(receiver.url + SHOP_PATH, d.topic, d.body, {
					eventId: d.eventId,
					triggeredAt: d.triggeredAt,
					timeoutMs: 10_000,
				});
				return r.status;
			}
			const statuses = await capture.send(d).catch(() => [0]);
			// One subscription per topic (n8n's Webhook Trigger): its status is the answer.
			return statuses.length === 1 ? statuses[0] : -statuses.length;
		};
		const deliver = async (d: CapturedDelivery) => {
			deliveries++;
			const door: Door = d.platform === 'shopify' && d.seq % 2 === 0 ? 'receiver' : 'n8n_webhook';
			via[door]++;
			const firstSentAt = Date.now();
			for (const deadline = Date.now() + (options.retryMs ?? 300_000); Date.now() < deadline; ) {
				const status = await attempt(d, door);
				if (status === 200) {
					accepted.push({ d, door });
					if (killedAt && firstSentAt > killedAt && !firstAfterKill[door])
						firstAfterKill[door] = Date.now();
					return;
				}
				const why = `${door} ${status}`;
				refused[why] = (refused[why] ?? 0) + 1;
				// Shopify's retry, shortened (its own waits grow from seconds to hours).
				await sleep(1_000);
			}
			neverAccepted++;
		};
		const launch = (d: CapturedDelivery) => {
			const p = deliver(d).finally(() => inFlight.delete(p));
			inFlight.add(p);
		};
		const flush = async () => {
			await woo.flushDeliveries();
			await shopify.webhooksIdle();
			for (const d of capture.take()) launch(d);
		};
		let operations = 0;
		const streamStart = Date.now();
		let ticked = Date.now();
		stream = (async () => {
			while (!stopping) {
				if (Date.now() - ticked >= 5_000) {
					ticked = Date.now();
					log(
						`${tenths(ticked - streamStart)} s: ${accepted.length} answered 200, in flight ${inFlight.size}, refused ${JSON.stringify(refused)}`,
					);
				}
				history.step();
				operations++;
				await flush();
				const due = streamStart + (operations * 1000) / rate;
				if (due > Date.now()) await sleep(due - Date.now());
			}
		})();
		await sleep((options.before ?? 15) * 1000);
		const oldPort = await cluster.killPrimary();
		killedAt = Date.now();
		log(`SIGKILL primary :${oldPort} after ${operations} operations, ${deliveries} deliveries`);
		const newPort = await cluster.waitForPromotion(oldPort);
		const promotedAt = Date.now();
		log(`Sentinel promoted :${newPort} after ${tenths(promotedAt - killedAt)} s`);
		await cluster.restartNode(oldPort);
		await waitFor(
			() => firstAfterKill.receiver && firstAfterKill.n8n_webhook,
			(t) => t > 0,
			90_000,
			'both doors answer 200 again',
			100,
		);
		log(
			`writes accepted again: receiver after ${tenths(firstAfterKill.receiver - killedAt)} s, n8n after ${tenths(firstAfterKill.n8n_webhook - killedAt)} s`,
		);
		await sleep((options.after ?? 15) * 1000);
		stopping = true;
		await stream;
		while (inFlight.size) await Promise.allSettled([...inFlight]);
		log(`stream over: ${operations} operations, ${deliveries} deliveries`);

		// --- settle: every delivery in, the inbox drained, nothing left to publish ---------------------------
		const settleStart = Date.now();
		let settledAt: number | null = null;
		for (const deadline = Date.now() + (options.settleMs ?? 180_000); Date.now() < deadline; ) {
			await flush();
			while (inFlight.size) await Promise.allSettled([...inFlight]);
			try {
				const [health, running, dirtyS, dirtyW] = await Promise.all([
					lagAndDeadLetters(admin, prefix, streamStart),
					n8n.executions({ status: 'running' }),
					admin.zcard(ledgerKeys.dirty(prefix, 'shopify')),
					admin.zcard(ledgerKeys.dirty(prefix, 'woocommerce')),
				]);
				if (
					capture.pending.length === 0 &&
					health.inboxBacklog === 0 &&
					running.length === 0 &&
					dirtyS + dirtyW === 0
				) {
					const agreement = await compare(admin, prefix, catalogue, shopify, woo, wooShop, model);
					if (agreement.allEqual === agreement.skus) {
						settledAt = Date.now();
						break;
					}
				}
			} catch {
				// a reply cut by a reconnect: ask again
			}
			await sleep(1_000);
		}
		if (settledAt) log(`settled ${tenths(settledAt - settleStart)} s after the stream`);
		else {
			const [health, running, dirtyS, dirtyW] = await Promise.all([
				lagAndDeadLetters(admin, prefix, streamStart),
				n8n.executions({ status: 'running' }),
				admin.zcard(ledgerKeys.dirty(prefix, 'shopify')),
				admin.zcard(ledgerKeys.dirty(prefix, 'woocommerce')),
			]);
			log(
				`not settled in time: ${capture.pending.length} deliveries pending, inbox backlog ${health.inboxBacklog}, ${running.length} runs, dirty SKUs ${dirtyS} Shopify ${dirtyW} WooCommerce`,
			);
		}

		// --- count ---------------------------------------------------------------------------------------
		const audited = new Set<string>();
		for (const sku of catalogue.skus) {
			for (const [, f] of await admin.xrange(ledgerKeys.audit(prefix, sku), '-', '+')) {
				const field = (name: string) => f[f.indexOf(name) + 1];
				audited.add(`${field('id')}|${field('ver')}`);
			}
		}
		const dlqText = (await admin.xrange(channelKeys.dlq(prefix), '-', '+'))
			.map(([, f]) => f.join(' '))
			.join('\n');
		const examples: string[] = [];
		let lost = 0;
		let checked = 0;
		for (const a of accepted) {
			const [resource, event] = a.d.topic.split('.');
			const headers: Record<string, string | undefined> =
				a.d.platform === 'shopify'
					? {
							'x-shopify-topic': a.d.topic,
							'x-shopify-shop-domain': SHOPIFY_SHOP,
							'x-shopify-api-version': shopify.apiVersion,
							'x-shopify-event-id': a.d.eventId,
							'x-shopify-triggered-at': a.d.triggeredAt,
						}
					: {
							'x-wc-webhook-source': `${woo.baseUrl}/`,
							'x-wc-webhook-topic': a.d.topic,
							'x-wc-webhook-resource': resource,
							'x-wc-webhook-event': event,
						};
			const { events } = normalizeDelivery({
				platform: a.d.platform,
				headers,
				rawBody: a.d.body.toString('utf8'),
				receivedAt: new Date().toISOString(),
			});
			// What the shops did (orders, the store's counts); echoes of our own writes (the warehouse level
			// Shopify shows, WooCommerce's product updates) are observations the ledger does not audit.
			const counted = events.filter(
				(e) =>
					e.kind === 'orderLine' ||
					(e.kind === 'level' && e.locationId?.endsWith(`:${STORE_LOCATION}`)),
			);
			checked += counted.length;
			const missing = counted.filter(
				(e) => !audited.has(`${e.id}|${e.version}`) && !dlqText.includes(e.id),
			);
			if (missing.length) {
				lost++;
				if (examples.length < 5)
					examples.push(`${a.d.platform} ${a.d.topic} via ${a.door}: ${missing[0].id}`);
			}
		}
		const agreement = await compare(admin, prefix, catalogue, shopify, woo, wooShop, model);
		const executions: Record<string, number> = {};
		for (const e of await n8n.executions()) executions[e.status] = (executions[e.status] ?? 0) + 1;
		const kills = () => (n8n.pids().main === n8nPid ? 0 : 1);
		const firstAny = Math.min(
			...[firstAfterKill.receiver, firstAfterKill.n8n_webhook].filter((t) => t > 0),
		);
		return {
			setup:
				'n8n 2.41.1 regular mode (legacy expression engine), realtime-sync template, Inventory Redis credential in Sentinel mode (3 Sentinels, Replicas to Wait For 1, 500 ms); Inventory Receiver on the same Sentinels (Replicas to Wait For 1); primary + 1 replica, no persistence; the killed primary restarted once the replica was promoted',
			skus: catalogue.skus.length,
			operations,
			deliveries,
			deliveries_via: via,
			answered_200: accepted.length,
			refused,
			never_accepted: neverAccepted,
			promoted_s: tenths(promotedAt - killedAt),
			failover_s: tenths(firstAny - killedAt),
			failover_s_by_door: {
				receiver: firstAfterKill.receiver ? tenths(firstAfterKill.receiver - killedAt) : null,
				n8n_webhook: firstAfterKill.n8n_webhook
					? tenths(firstAfterKill.n8n_webhook - killedAt)
					: null,
			},
			lost_after_failover: lost,
			events_checked: checked,
			dead_letters: (await lagAndDeadLetters(admin, prefix, streamStart)).deadLetters,
			mismatched_skus: agreement.skus - agreement.allEqual,
			n8n_restarts: kills(),
			executions,
			settled_s: settledAt === null ? null : tenths(settledAt - settleStart),
			examples: [...examples, ...agreement.examples.slice(0, 5)],
		};
	} finally {
		stopping = true;
		await stream?.catch(() => undefined);
		while (undo.length) await undo.pop()!().catch(() => undefined);
	}
}

/**
 * `npm run chaos`'s part: the run above with Replicas to Wait For 1 (nothing answered 200 may be lost: its
 * failover_s and lost_after_failover are the headline), then with 0 (how fast n8n and the receiver follow the
 * promoted replica when no replica wait holds them back; a loss there is possible).
 */
export async function runSentinelN8nScenario(
	options: Omit<SentinelN8nOptions, 'replicasToWait'> = {},
): Promise<
	Pick<SentinelN8nFigures, 'failover_s' | 'lost_after_failover' | 'mismatched_skus'> & {
		replicas_to_wait_1: SentinelN8nFigures;
		replicas_to_wait_0: SentinelN8nFigures;
	}
> {
	const wait1 = await runSentinelN8n({ ...options, replicasToWait: 1 });
	const wait0 = await runSentinelN8n({ ...options, replicasToWait: 0 });
	return {
		failover_s: wait1.failover_s,
		lost_after_failover: wait1.lost_after_failover,
		mismatched_skus: wait1.mismatched_skus,
		replicas_to_wait_1: wait1,
		replicas_to_wait_0: wait0,
	};
}
