import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Redis from 'ioredis';
import { ensureN8nInstalled, startN8n, type N8nInstance } from '../test/e2e/harness';
import { ledgerView, seededRandom } from '../test/e2e/channelsSupport';
import {
	TEMPLATE_PLACEHOLDERS,
	TEMPLATE_WORKFLOW_IDS,
	everySeconds,
	loadTemplate,
	packageDist,
	templateCredentials,
} from '../test/e2e/templateSupport';
import { LeakyCostBucket, ShopifySimulator, WooCommerceSimulator } from '../test/simulators';
import { OwnRedis } from '../test/support/redisServer';
import { sleep } from '../test/support/wait';
import { channelKeys, ledgerKeys } from '../nodes/shared/keys';
import { applyEvents, saveProfile } from '../nodes/InventoryLedger/ledger';
import {
	LEDGER_WAREHOUSE,
	SHOPIFY_SHOP,
	STORE_LOCATION,
	WAREHOUSE_LOCATION,
	WOO_BUFFER,
	demoProfile,
	makeCatalogue,
	storePlace,
	type Catalogue,
} from '../demo/catalogue';
import { compare } from '../demo/verdict';
import { lagAndDeadLetters } from '../demo/progress';
import { executionError, runByHand } from '../demo/runs';
import { Capture, History, SerialModel, shuffle, type CapturedDelivery } from './history';

/**
 * `npm run chaos` (issue 22): the templates in n8n 2.41.1's queue mode (main + 2 workers, Postgres in a database
 * of the run's own, Bull on a Redis of its own) over an inventory Redis of the run's own with AOF and
 * `appendfsync always`, a stream of shop events delivered 1–4 times, shuffled and concurrent, with faults:
 * the inventory Redis SIGKILLed and restarted, Shopify answering 503 for a while, a worker SIGKILLed and
 * restarted, n8n killed and restarted. Then the catch-up poll, the dead-letter replay and one reconciliation,
 * and the count against the serial model (chaos/history.ts).
 */

export interface ChaosOptions {
	/** Distinct webhook events to send (echoes of our own writes included). */
	events: number;
	skus: number;
	seed?: number;
	/** Events per round: captured, multiplied 1–4×, shuffled, sent (default 40). */
	round?: number;
	/** Deliveries in flight at once (default 8). */
	concurrency?: number;
	shopifyOutageMs?: number;
	/** The stream lasts at least this long (default 0: as fast as n8n takes it). */
	minStreamSeconds?: number;
	/** Faults on (default true). */
	faults?: boolean;
	log?: (line: string) => void;
}

export interface Fault {
	kind: string;
	at_s: number;
	duration_s: number;
	note?: string;
}

export interface ChaosFigures {
	setup: string;
	skus: number;
	events_sent: number;
	/** Webhooks the simulators would send to a topic no template subscribes to (not sent). */
	events_without_subscriber: number;
	/** Captured events per platform and topic (those without a subscriber included). */
	events_by_topic: Record<string, number>;
	deliveries_sent: number;
	deliveries_accepted: number;
	woo_webhooks_dropped: number;
	shopify_retries: number;
	/** HTTP status of every delivery (0: no answer). */
	answers: Record<number, number>;
	history: Record<string, number>;
	faults: Fault[];
	stream_s: number;
	mismatched_skus: number;
	missing_events: number;
	double_applied: number;
	converge_s: number | null;
	dead_letters_before_replay: number;
	examples: string[];
	settle: string[];
}

const WAREHOUSE_START = 400;
const STORE_START = 250;

/** Both simulators stocked (Shopify: warehouse and store; WooCommerce: warehouse + store − buffer, a few stale). */
function seedSimulators(
	catalogue: Catalogue,
	shopify: ShopifySimulator,
	woo: WooCommerceSimulator,
) {
	shopify.putLocation(WAREHOUSE_LOCATION, 'Warehouse');
	shopify.putLocation(STORE_LOCATION, 'Store');
	for (const sku of catalogue.skus) {
		shopify.putInventoryItem(catalogue.itemOf(sku), sku);
		shopify.setLevel(catalogue.itemOf(sku), WAREHOUSE_LOCATION, WAREHOUSE_START);
		shopify.setLevel(catalogue.itemOf(sku), STORE_LOCATION, STORE_START);
	}
	const stale = new Set(catalogue.staleOnWoo);
	const shown = (sku: string) =>
		WAREHOUSE_START + STORE_START - WOO_BUFFER + (stale.has(sku) ? 3 : 0);
	const ids = new Map<string, string>();
	const variations = catalogue.skus.filter((s) => catalogue.variations.has(s));
	for (let p = 0; p < variations.length; p += 10) {
		const parent = woo.putProduct({
			sku: `CHAOS-PARENT-${p / 10 + 1}`,
			type: 'variable',
			manage_stock: false,
		});
		for (const sku of variations.slice(p, p + 10)) {
			const v = woo.putProduct({
				sku,
				type: 'variation',
				parent_id: parent.id as bigint,
				manage_stock: true,
				stock_quantity: shown(sku),
			});
			ids.set(sku, String(v.id));
		}
	}
	for (const sku of catalogue.skus.filter((s) => !catalogue.variations.has(s))) {
		ids.set(
			sku,
			String(woo.putProduct({ sku, manage_stock: true, stock_quantity: shown(sku) }).id),
		);
	}
	catalogue.wooIdOf = (sku) => ids.get(sku)!;
}

/** The ledger as the first sync leaves it: mappings, the warehouse count, the store's Shopify level. */
async function seedLedger(redis: Redis, prefix: string, catalogue: Catalogue): Promise<void> {
	const events: object[] = [];
	const source = (topic: string) => ({
		platform: 'shopify',
		shop: SHOPIFY_SHOP,
		topic,
		via: 'reconciliation',
	});
	for (const sku of catalogue.skus) {
		const item = catalogue.itemOf(sku);
		const base = { sku, occurredAt: '', receivedAt: '' };
		events.push(
			{
				...base,
				kind: 'mapping',
				id: `shopify:${SHOPIFY_SHOP}:mapping:${item}`,
				version: 1,
				source: source('inventory_items/update'),
				refs: { inventoryItemId: item },
				locationId: null,
				quantity: null,
			},
			{
				...base,
				kind: 'level',
				id: `manual:erp:level:${sku}`,
				version: 1,
				source: { platform: 'manual', shop: 'erp', topic: 'count', via: 'manual' },
				refs: {},
				locationId: LEDGER_WAREHOUSE,
				quantity: WAREHOUSE_START,
			},
			{
				...base,
				kind: 'level',
				id: `shopify:${SHOPIFY_SHOP}:level:${item}:${STORE_LOCATION}`,
				version: 1,
				source: source('inventory_levels/update'),
				refs: { inventoryItemId: item },
				locationId: storePlace(),
				quantity: STORE_START,
			},
		);
	}
	await applyEvents(redis, prefix, events as never);
}

class Cleanup {
	private readonly steps: Array<() => Promise<unknown>> = [];
	add(fn: () => Promise<unknown>): void {
		this.steps.push(fn);
	}
	async run(): Promise<void> {
		while (this.steps.length) await this.steps.pop()!().catch(() => undefined);
	}
}

export async function runChaos(options: ChaosOptions): Promise<ChaosFigures> {
	const log = options.log ?? (() => undefined);
	const seed = options.seed ?? 22;
	const withFaults = options.faults ?? true;
	const rnd = seededRandom(seed + 7);
	const cleanup = new Cleanup();
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'invsync-chaos-'));
	cleanup.add(async () => fs.rmSync(dir, { recursive: true, force: true }));
	try {
		await ensureN8nInstalled();
		const build = packageDist();
		cleanup.add(async () => build.remove());
		// The inventory data: AOF with an fsync per write, so a SIGKILL loses nothing Redis acknowledged.
		const inventory = await OwnRedis.start({
			args: ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir],
		});
		cleanup.add(() => inventory.stop());
		const bull = await OwnRedis.start();
		cleanup.add(() => bull.stop());
		const prefix = 'invsync';
		const redis = new Redis({ host: '127.0.0.1', port: inventory.port, maxRetriesPerRequest: 20 });
		redis.on('error', () => undefined);
		cleanup.add(async () => redis.disconnect());

		const shopifySecret = randomBytes(16).toString('hex');
		const wooSecret = randomBytes(16).toString('hex');
		const wooKey = `ck_${randomBytes(12).toString('hex')}`;
		const wooKeySecret = `cs_${randomBytes(12).toString('hex')}`;
		const shopify = new ShopifySimulator({
			shop: SHOPIFY_SHOP,
			webhookSecret: shopifySecret,
			costBucket: new LeakyCostBucket(),
			salesLocationId: WAREHOUSE_LOCATION,
		});
		const woo = new WooCommerceSimulator({ consumerKey: wooKey, consumerSecret: wooKeySecret });
		await Promise.all([shopify.start(), woo.start()]);
		cleanup.add(async () => {
			await shopify.stop();
			await woo.stop();
		});
		const wooShop = new URL(woo.baseUrl).host.toLowerCase();
		const catalogue = makeCatalogue(options.skus);
		seedSimulators(catalogue, shopify, woo);
		await saveProfile(redis, prefix, demoProfile(wooShop, false));
		await seedLedger(redis, prefix, catalogue);

		const replace: Array<[string, string]> = [
			[TEMPLATE_PLACEHOLDERS.shopifyShop, SHOPIFY_SHOP],
			[TEMPLATE_PLACEHOLDERS.wooShop, wooShop],
		];
		const postgresDb = `invsync_chaos_${process.pid}`;
		const startedN8n = Date.now();
		const n8n: N8nInstance = await startN8n({
			engine: 'legacy',
			extensions: [build.dist],
			activateVia: 'api',
			startTimeoutMs: 400_000,
			queue: {
				redisHost: '127.0.0.1',
				redisPort: bull.port,
				redisDb: 0,
				workers: 2,
				postgresDb,
			},
			env: {
				// ../shared/n8n-e2e.md "Queue mode": with n8n's default 0 a finished job can vanish before main waits
				// for it, and that run's inbox entries are never acknowledged.
				N8N_EXECUTIONS_QUEUE_KEEP_LAST_COMPLETED: '1000',
				N8N_EXECUTIONS_QUEUE_KEEP_LAST_FAILED: '1000',
			},
			credentials: templateCredentials({
				redis: { host: '127.0.0.1', port: inventory.port, keyPrefix: prefix },
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
			}),
			workflows: [
				loadTemplate('realtime-sync.json', { replace, active: true }),
				loadTemplate('catch-up-poll.json', {
					replace,
					active: true,
					transform: (wf) => everySeconds(wf, 'Every Minute', 30),
				}),
				loadTemplate('dead-letter-replay.json', { replace }),
				loadTemplate('nightly-reconciliation.json', { replace }),
			],
		});
		cleanup.add(() => n8n.stop());
		log(
			`n8n queue mode up in ${((Date.now() - startedN8n) / 1000).toFixed(0)} s (main + 2 workers, Postgres ${postgresDb}); inventory Redis :${inventory.port} (AOF always), Bull Redis :${bull.port}`,
		);

		const settle: string[] = [];
		const byHand = async (id: string, trigger: string, what: string) => {
			const started = Date.now();
			try {
				const run = await runByHand(n8n, id, trigger, 400_000);
				const error = executionError(run);
				settle.push(`${what}: ${error ?? 'ok'} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
			} catch (error) {
				settle.push(`${what}: ${(error as Error).message}`);
			}
		};
		const quiet = async (timeoutMs: number) => {
			for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
				try {
					await woo.flushDeliveries();
					await shopify.webhooksIdle();
					const [health, running, dirtyS, dirtyW] = await Promise.all([
						lagAndDeadLetters(redis, prefix, Date.now() - 60_000),
						n8n.executions({ status: 'running' }),
						redis.zcard(ledgerKeys.dirty(prefix, 'shopify')),
						redis.zcard(ledgerKeys.dirty(prefix, 'woocommerce')),
					]);
					if (
						capture.pending.length === 0 &&
						health.inboxBacklog === 0 &&
						running.length === 0 &&
						dirtyS + dirtyW === 0
					)
						return true;
				} catch {
					// n8n or Redis restarting: ask again
				}
				await flushCaptured();
				await sleep(1_000);
			}
			return false;
		};

		// --- the first publish (the stale WooCommerce figures), before the stream ---------------------------
		const capture = new Capture(shopify, woo);
		const flushCaptured = async () => {
			// Echoes of our own writes while settling: delivered once each, in order.
			for (const d of capture.take()) await deliverOnce(d);
		};
		let deliveriesSent = 0;
		let deliveriesAccepted = 0;
		let shopifyRetries = 0;
		const answers: Record<number, number> = {};
		const unsubscribed = new Set<number>();
		const accepted = new Map<string, CapturedDelivery>();
		const retries = new Set<Promise<void>>();
		const deliverOnce = async (d: CapturedDelivery): Promise<boolean> => {
			deliveriesSent++;
			const statuses = await capture.send(d).catch(() => [0]);
			if (statuses.length === 0) {
				// A topic nobody subscribed to (the templates subscribe to what they use): nothing was sent.
				deliveriesSent--;
				unsubscribed.add(d.seq);
				return true;
			}
			for (const st of statuses) answers[st] = (answers[st] ?? 0) + 1;
			const ok = statuses.length > 0 && statuses.every((s) => s === 200);
			if (ok) {
				deliveriesAccepted++;
				if (d.orderId) accepted.set(`${d.platform}:${d.orderId}`, d);
			}
			return ok;
		};
		/**
		 * Shopify retries a delivery that was not answered 200, with growing pauses (here 2 s doubling up to 60 s,
		 * for up to 15 minutes) and not all at once: at most `concurrency` retries in flight. (A first version
		 * retried every 2 s without a limit: after n8n's restart the flood exhausted main's Postgres pool and n8n
		 * exited — Shopify's own backoff is far gentler.)
		 */
		let retrySlots = options.concurrency ?? 8;
		const slotWaiters: Array<() => void> = [];
		const withRetrySlot = async <T>(fn: () => Promise<T>): Promise<T> => {
			while (retrySlots === 0) await new Promise<void>((r) => slotWaiters.push(r));
			retrySlots--;
			try {
				return await fn();
			} finally {
				retrySlots++;
				slotWaiters.shift()?.();
			}
		};
		const deliverShopify = async (d: CapturedDelivery) => {
			if (await deliverOnce(d)) return;
			const retry = (async () => {
				let pause = 2_000;
				for (const deadline = Date.now() + 900_000; Date.now() < deadline; ) {
					await sleep(pause);
					pause = Math.min(pause * 2, 60_000);
					shopifyRetries++;
					if (await withRetrySlot(async () => await deliverOnce(d))) return;
				}
			})();
			retries.add(retry);
			void retry.finally(() => retries.delete(retry));
		};
		await byHand(TEMPLATE_WORKFLOW_IDS.catchUp, 'Every Minute', 'first publish (catch-up)');
		await quiet(300_000);

		// --- the stream, with the faults ---------------------------------------------------------------------
		const model = new SerialModel(catalogue.skus, WAREHOUSE_START, STORE_START);
		const history = new History(catalogue, shopify, woo, model, seed);
		const faults: Fault[] = [];
		const faultTasks: Array<Promise<void>> = [];
		const streamStart = Date.now();
		const since = () => Math.round((Date.now() - streamStart) / 100) / 10;
		let lastFaultEnd = 0;
		// One fault at a time: each starts when its point in the stream is reached and the one before has ended.
		let faultChain: Promise<void> = Promise.resolve();
		const fault = (kind: string, task: () => Promise<string | void>) => {
			faultChain = faultChain.then(async () => await runFault(kind, task));
			faultTasks.push(faultChain);
		};
		const runFault = async (kind: string, task: () => Promise<string | void>) => {
			const at = Date.now();
			log(`fault: ${kind} at ${since()} s`);
			await task().then(
				(note) => {
					lastFaultEnd = Math.max(lastFaultEnd, Date.now());
					faults.push({
						kind,
						at_s: Math.round((at - streamStart) / 100) / 10,
						duration_s: Math.round((Date.now() - at) / 100) / 10,
						...(note ? { note } : {}),
					});
				},
				(error: unknown) => {
					faults.push({
						kind,
						at_s: Math.round((at - streamStart) / 100) / 10,
						duration_s: -1,
						note: `failed: ${(error as Error).message.slice(0, 200)}`,
					});
				},
			);
			log(`fault over: ${kind} at ${since()} s`);
		};
		const outageMs = options.shopifyOutageMs ?? 30_000;
		const plan: Array<{ at: number; kind: string; run: () => Promise<string | void> }> = withFaults
			? [
					{
						at: 0.1,
						kind: 'inventory Redis SIGKILL + restart (AOF, appendfsync always)',
						run: async () => {
							await inventory.kill();
							await sleep(2_000);
							await inventory.restart();
						},
					},
					{
						at: 0.3,
						kind: `Shopify API 503 for ${outageMs / 1000} s`,
						run: async () => {
							shopify.unavailableFor(outageMs);
							await sleep(outageMs);
						},
					},
					{
						at: 0.5,
						kind: 'worker SIGKILL + restart',
						run: async () => {
							await n8n.killWorker(1);
							await sleep(2_000);
							await n8n.restartWorker(1);
						},
					},
					{
						at: 0.7,
						kind: 'n8n SIGKILL + restart',
						run: async () => {
							await n8n.kill();
							await n8n.restart();
							return 'the harness kills and restarts main and both workers together';
						},
					},
				]
			: [];
		const round = options.round ?? 40;
		const concurrency = options.concurrency ?? 8;
		let wooDropped = 0;
		let eventsSent = 0;
		let reported = 0;
		const eventsByTopic: Record<string, number> = {};
		while (eventsSent < options.events) {
			for (let tries = 0; capture.pending.length < round && tries < round * 4; tries++)
				history.step();
			await woo.flushDeliveries();
			await shopify.webhooksIdle();
			const events = capture.take();
			eventsSent += events.length;
			const copies: CapturedDelivery[] = [];
			for (const d of events) {
				const tally = `${d.platform} ${d.topic}`;
				eventsByTopic[tally] = (eventsByTopic[tally] ?? 0) + 1;
				if (d.platform === 'woocommerce' && rnd() < 0.05) {
					wooDropped++;
					continue;
				}
				const n = 1 + Math.floor(rnd() * 4);
				for (let i = 0; i < n; i++) copies.push(d);
			}
			shuffle(copies, rnd);
			let next = 0;
			await Promise.all(
				Array.from({ length: concurrency }, async () => {
					while (next < copies.length) {
						const d = copies[next++];
						if (unsubscribed.has(d.seq)) continue;
						if (d.platform === 'shopify') await deliverShopify(d);
						else await deliverOnce(d);
					}
				}),
			);
			if (Math.floor((eventsSent / options.events) * 10) > reported) {
				reported = Math.floor((eventsSent / options.events) * 10);
				log(
					`${since()} s: ${eventsSent} events, ${deliveriesSent} deliveries, answers ${JSON.stringify(answers)}`,
				);
			}
			while (plan.length && eventsSent >= plan[0].at * options.events) {
				const f = plan.shift()!;
				fault(f.kind, f.run);
			}
			// A short stream is stretched over minStreamSeconds, so that the faults happen while it flows.
			const due =
				streamStart + (eventsSent / options.events) * (options.minStreamSeconds ?? 0) * 1000;
			if (due > Date.now()) await sleep(due - Date.now());
		}
		const streamSeconds = (Date.now() - streamStart) / 1000;
		log(
			`stream done: ${eventsSent} events, ${deliveriesSent} deliveries in ${streamSeconds.toFixed(0)} s`,
		);
		await Promise.all(faultTasks);
		while (retries.size) await Promise.allSettled([...retries]);

		// --- settle: drained, catch-up poll, dead-letter replay, reconciliation --------------------------------
		if (!(await quiet(600_000))) settle.push('not quiet after the stream (10 min)');
		await byHand(TEMPLATE_WORKFLOW_IDS.catchUp, 'Every Minute', 'catch-up poll');
		await quiet(300_000);
		const deadLetters = (await lagAndDeadLetters(redis, prefix, streamStart)).deadLetters;
		if (deadLetters > 0) {
			await byHand(TEMPLATE_WORKFLOW_IDS.deadLetters, 'Replay Now', 'dead-letter replay');
			await quiet(300_000);
		}
		await byHand(TEMPLATE_WORKFLOW_IDS.nightly, 'Run Now', 'reconciliation');
		await quiet(300_000);
		let agreement = await compare(redis, prefix, catalogue, shopify, woo, wooShop, model);
		for (let i = 0; i < 3 && agreement.allEqual < agreement.skus; i++) {
			await byHand(TEMPLATE_WORKFLOW_IDS.catchUp, 'Every Minute', 'catch-up poll (again)');
			await quiet(300_000);
			agreement = await compare(redis, prefix, catalogue, shopify, woo, wooShop, model);
		}
		const convergedAt = agreement.allEqual === agreement.skus ? Date.now() : null;

		// --- missing events and double counts ------------------------------------------------------------
		const dlqText = (await redis.xrange(channelKeys.dlq(prefix), '-', '+'))
			.map(([, f]) => f.join(' '))
			.join('\n');
		let missing = 0;
		const missingExamples: string[] = [];
		for (const d of accepted.values()) {
			const shop = d.platform === 'shopify' ? SHOPIFY_SHOP : wooShop;
			const known = await redis.exists(ledgerKeys.orderLines(prefix, d.platform, shop, d.orderId!));
			if (!known && !dlqText.includes(d.orderId!)) {
				missing++;
				if (missingExamples.length < 5)
					missingExamples.push(`${d.platform} order ${d.orderId} (${d.topic})`);
			}
		}
		const view = await ledgerView(redis, prefix, catalogue.skus);
		let doubleApplied = 0;
		for (const sku of catalogue.skus) {
			const l = view.get(sku);
			const w = l?.quantities[LEDGER_WAREHOUSE] ?? 0;
			const s = l?.quantities[storePlace()] ?? 0;
			doubleApplied += Math.max(0, model.warehouse.get(sku)! - w);
			doubleApplied += Math.max(0, model.store.get(sku)! - s);
		}
		return {
			setup:
				'n8n 2.41.1 queue mode: main + 2 workers (concurrency 10), Postgres 127.0.0.1:5432 (own database), Bull on its own redis-server; inventory redis-server of its own, appendonly yes, appendfsync always; templates realtime-sync (inbox mode), catch-up-poll (every 30 s), dead-letter-replay and nightly-reconciliation (by hand); legacy expression engine',
			skus: options.skus,
			events_sent: eventsSent - unsubscribed.size,
			events_without_subscriber: unsubscribed.size,
			events_by_topic: eventsByTopic,
			deliveries_sent: deliveriesSent,
			deliveries_accepted: deliveriesAccepted,
			woo_webhooks_dropped: wooDropped,
			shopify_retries: shopifyRetries,
			answers,
			history: { ...history.counts },
			faults,
			stream_s: Math.round(streamSeconds),
			mismatched_skus: agreement.skus - agreement.allEqual,
			missing_events: missing,
			double_applied: doubleApplied,
			converge_s:
				convergedAt === null
					? null
					: Math.round((convergedAt - (lastFaultEnd || streamStart)) / 1000),
			dead_letters_before_replay: deadLetters,
			examples: [...agreement.examples, ...missingExamples],
			settle,
		};
	} finally {
		await cleanup.run();
	}
}
