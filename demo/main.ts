/**
 * `npm run demo`: the package doing its job in a real n8n 2.41.1, on two local shops.
 *
 * 1. Builds the package (unless a build is named), installs or reuses n8n 2.41.1 under Node 24 (test/e2e/
 *    install-n8n.sh, cached in ~/.cache/invsync-e2e), finds Redis (named, or a private redis-server).
 * 2. Starts the Shopify and WooCommerce simulators (test/simulators) with a catalogue of 500 SKUs, two locations
 *    and one mirror channel (demo/catalogue.ts), imports the templates' three credentials pointing at them and
 *    the templates of workflows/ (n8n import:credentials / import:workflow), activates the real-time, catch-up,
 *    dead-letter, nightly and monitor templates (activation registers the webhooks with both shops).
 * 3. Runs the first sync (dry run: it reports what each channel would get), switches the profile live, and lets
 *    the catch-up template publish the difference.
 * 4. Plays the stream (demo/traffic.ts) with a live line, then lets the sync settle: catch-up runs (the
 *    WooCommerce orders whose webhooks were lost), dead-letter replay (the outage), a reconciliation run, and
 *    the verdict: every SKU equal in the ledger and on both channels, with the numbers.
 * 5. Prints the editor URL and the owner login, and keeps n8n running until Ctrl-C (or exits with --exit).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Redis from 'ioredis';
import {
	N8N_VERSION,
	REPO_ROOT,
	e2eCacheDir,
	ensureN8nInstalled,
	startN8n,
	type N8nInstance,
} from '../test/e2e/harness';
import {
	TEMPLATE_DIR,
	TEMPLATE_PLACEHOLDERS,
	TEMPLATE_WORKFLOW_IDS,
	loadTemplate,
	templateCredentials,
	type Workflow,
} from '../test/e2e/templateSupport';
import { LeakyCostBucket, ShopifySimulator, WooCommerceSimulator } from '../test/simulators';
import { sleep } from '../test/support/wait';
import { ledgerKeys } from '../nodes/shared/keys';
import { breakerState } from '../nodes/shared/breaker';
import { saveProfile, applyEvents } from '../nodes/InventoryLedger/ledger';
import {
	SHOPIFY_SHOP,
	STORE_LOCATION,
	demoProfile,
	makeCatalogue,
	seedSimulators,
	storePlace,
	type Catalogue,
} from './catalogue';
import { DemoSetupError, demoRedis, type DemoRedis } from './redis';
import { executionError, outputsOf, runByHand } from './runs';
import { LiveLine, formatSample, lagAndDeadLetters } from './progress';
import { Traffic, type TrafficCounts } from './traffic';
import { compare, type Agreement } from './verdict';

export interface DemoOptions {
	/** Stop everything after the verdict instead of keeping n8n running until Ctrl-C. */
	exit?: boolean;
	/** A short stream (about 600 webhook requests instead of about 4,000). */
	small?: boolean;
	/** A running Redis (redis://host:port/db); default INVSYNC_REDIS_URL, else a private redis-server. */
	redisUrl?: string;
	/** n8n's expression engine; default legacy (see `engineReason`). */
	engine?: 'legacy' | 'vm';
	/** A build of the package (its dist/ folder); default: `npm run build`, then the repository's dist/. */
	dist?: string;
	seed?: number;
	/** How long WooCommerce's API is down halfway through the stream (default 15 s small, 30 s full). */
	outageMs?: number;
	/** Save a screenshot of the real-time template in the editor to this file (demo/screenshot.ts). */
	screenshot?: string;
	/** Where the demo writes (default stdout). */
	write?: (text: string) => void;
	/** Redraw the live line in place (default: stdout is a terminal). */
	tty?: boolean;
}

export interface DemoResult {
	verdict: 'all SKUs equal' | 'SKUs differ';
	agreement: Agreement;
	counts: TrafficCounts;
	webhookRequests: number;
	streamSeconds: number;
	lag: { p50: number | null; p99: number | null };
	deadLettersAfterOutage: number;
	catchUpRuns: number;
	/** SKUs still unequal when the real-time path, catch-up and replay were done (0: no reconciliation run). */
	unequalBeforeReconciliation: number;
	editorUrl: string;
}

export const SKU_COUNT = 500;

export function engineReason(engine: 'legacy' | 'vm'): string {
	return engine === 'legacy'
		? 'n8n runs with N8N_EXPRESSION_ENGINE=legacy: every webhook request to a custom node costs n8n a fresh expression isolate under the default `vm` engine, which caps one main process at about 22 webhooks/s on 2 cores; `legacy` takes about 150/s (README, Sizing). Use it only where every workflow author is trusted, as here. `--engine vm` runs the default engine with a slower stream.'
		: 'n8n runs with its default expression engine (vm, isolated-vm): about 22 webhooks/s per main process on 2 cores (README, Sizing), so the stream is played slower; `--engine legacy` is five to seven times faster where every workflow author is trusted.';
}

class Cleanup {
	private readonly steps: Array<{ what: string; fn: () => Promise<void> }> = [];
	add(what: string, fn: () => Promise<void>): void {
		this.steps.push({ what, fn });
	}
	async run(): Promise<void> {
		while (this.steps.length) {
			const step = this.steps.pop()!;
			await step.fn().catch(() => undefined);
		}
	}
}

function buildPackage(write: (t: string) => void): Promise<string> {
	write('Building the package (npm run build) …\n');
	return new Promise((resolve, reject) =>
		execFile(
			'npm',
			['run', 'build'],
			{ cwd: REPO_ROOT, maxBuffer: 32 * 1024 * 1024, timeout: 10 * 60_000 },
			(err, stdout, stderr) => {
				if (err)
					reject(
						new DemoSetupError(
							`npm run build failed:\n${`${stdout}${stderr}`.split('\n').slice(-30).join('\n')}`,
						),
					);
				else resolve(path.join(REPO_ROOT, 'dist'));
			},
		),
	);
}

async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
	let cursor = '0';
	do {
		const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
		if (keys.length) await redis.del(...keys);
		cursor = next;
	} while (cursor !== '0');
}

/** One line of the first sync's report. */
function describeFirstSync(r: Record<string, unknown>): string {
	const get = (k: string) =>
		r[k] ??
		k
			.split('.')
			.reduce<unknown>((o, part) => (o as Record<string, unknown> | undefined)?.[part], r);
	return (
		`${get('dry_run') ? 'dry run' : 'live'}: Shopify ${get('shopify.inventory_items')} items, ${get('shopify.store_levels_seeded')} store levels and ` +
		`${get('shopify.warehouse_counts_seeded')} warehouse counts seeded; WooCommerce ${get('woocommerce.records_read')} records; ` +
		`diff: Shopify would write ${get('diff.shopify.would_write')}, WooCommerce ${get('diff.woocommerce.would_write')}; ` +
		`written ${get('written_to_channels')}.`
	);
}

/** A workflow's stored copy, changed by `edit` on its nodes, saved back through the public API. */
async function editWorkflow(
	n8n: N8nInstance,
	id: string,
	edit: (nodes: Array<Record<string, unknown> & { parameters?: Record<string, unknown> }>) => void,
): Promise<void> {
	const wf = await n8n.api<Workflow & { settings?: Record<string, unknown> }>(
		'GET',
		`/workflows/${id}`,
	);
	edit(wf.nodes);
	await n8n.api('PUT', `/workflows/${id}`, {
		name: wf.name,
		nodes: wf.nodes,
		connections: wf.connections,
		settings: { executionOrder: 'v1' },
	});
}

/** The merchant's go-live step of the first sync's sticky note: "dryRun": false in Save Profile. */
async function setDryRunOff(n8n: N8nInstance, id: string): Promise<void> {
	await editWorkflow(n8n, id, (nodes) => {
		const save = nodes.find((n) => n.name === 'Save Profile');
		const json = save?.parameters?.profileJson;
		if (typeof json !== 'string' || !/"dryRun":\s*true/.test(json))
			throw new Error('first sync: Save Profile holds no "dryRun": true');
		save!.parameters!.profileJson = json.replace(/"dryRun":\s*true/, '"dryRun": false');
	});
}

/** The nightly template's Subscriptions nodes: this n8n's production webhook URLs (its sticky note's step). */
async function pointSubscriptionsAt(n8n: N8nInstance, id: string): Promise<void> {
	await editWorkflow(n8n, id, (nodes) => {
		for (const n of nodes) {
			const url = n.parameters?.deliveryUrl;
			if (typeof url === 'string')
				n.parameters!.deliveryUrl = url.replace(/^https?:\/\/[^/]+/, n8n.baseUrl);
		}
	});
}

const has = (file: string) => fs.existsSync(path.join(TEMPLATE_DIR, file));
export const manualTrigger = (wf: Workflow, fallback: string) =>
	String(
		wf.nodes.find((n) => n.type === 'n8n-nodes-base.manualTrigger')?.name ??
			wf.nodes.find((n) => n.name === fallback)?.name ??
			fallback,
	);

/** Temporary until first-sync.json is committed: the ledger seeded as a first sync would seed it. */
async function seedLedgerDirectly(redis: Redis, prefix: string, catalogue: Catalogue) {
	const events: object[] = [];
	for (const sku of catalogue.skus) {
		const item = catalogue.itemOf(sku);
		const base = { sku, occurredAt: '', receivedAt: '' };
		const shopify = (topic: string) => ({
			platform: 'shopify',
			shop: SHOPIFY_SHOP,
			topic,
			via: 'reconciliation',
		});
		events.push(
			{
				...base,
				kind: 'mapping',
				id: `shopify:${SHOPIFY_SHOP}:mapping:${item}`,
				version: 1,
				source: shopify('inventory_items/update'),
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
				locationId: 'ledger:warehouse',
				quantity: 40,
			},
			{
				...base,
				kind: 'level',
				id: `shopify:${SHOPIFY_SHOP}:level:${item}:${STORE_LOCATION}`,
				version: 1,
				source: shopify('inventory_levels/update'),
				refs: { inventoryItemId: item },
				locationId: storePlace(),
				quantity: 25,
			},
		);
	}
	await applyEvents(redis, prefix, events as never);
}

export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
	const write = options.write ?? ((t: string) => void process.stdout.write(t));
	const say = (line: string) => write(`${line}\n`);
	const engine = options.engine ?? 'legacy';
	const small = options.small ?? false;
	const seed = options.seed ?? 20261128;
	const cleanup = new Cleanup();
	let stopRequested: (() => void) | undefined;
	// Ctrl-C while waiting ends the wait; earlier, it stops what was started and exits (no orphan processes).
	const onSignal = () => {
		if (stopRequested) return stopRequested();
		write('\nStopping …\n');
		void cleanup.run().finally(() => process.exit(130));
	};
	process.on('SIGINT', onSignal);
	process.on('SIGTERM', onSignal);
	try {
		// --- 1. build, n8n, Redis -------------------------------------------------------------------------
		const redisTarget: DemoRedis = await demoRedis(
			options.redisUrl ?? process.env.INVSYNC_REDIS_URL,
		);
		cleanup.add('redis', redisTarget.stop);
		say(`Redis: ${redisTarget.described}.`);
		const dist = options.dist ?? process.env.INVSYNC_E2E_DIST ?? (await buildPackage(write));
		const cached = fs.existsSync(path.join(e2eCacheDir(), `n8n-${N8N_VERSION}`, '.installed'));
		say(
			cached
				? `n8n ${N8N_VERSION} under Node 24: the cached install in ${e2eCacheDir()}.`
				: `n8n ${N8N_VERSION} under Node 24: installing into ${e2eCacheDir()} (once, about 5 minutes) …`,
		);
		await ensureN8nInstalled();
		const prefix = redisTarget.owned ? 'invsync' : `invsync-demo-${randomBytes(3).toString('hex')}`;
		const redis = new Redis({
			host: redisTarget.host,
			port: redisTarget.port,
			db: redisTarget.database,
			password: redisTarget.password,
			maxRetriesPerRequest: 2,
		});
		redis.on('error', () => undefined);
		cleanup.add('redis client', async () => {
			if (!redisTarget.owned) await deletePrefix(redis, prefix);
			redis.disconnect();
		});

		// --- 2. the shops ----------------------------------------------------------------------------------
		const shopifySecret = randomBytes(16).toString('hex');
		const wooSecret = randomBytes(16).toString('hex');
		const wooKey = `ck_${randomBytes(12).toString('hex')}`;
		const wooKeySecret = `cs_${randomBytes(12).toString('hex')}`;
		// The stream is made once the shops exist; the WooCommerce simulator asks it which deliveries to lose.
		const stream: { traffic?: Traffic } = {};
		const shopify = new ShopifySimulator({
			shop: SHOPIFY_SHOP,
			webhookSecret: shopifySecret,
			costBucket: new LeakyCostBucket(),
			salesLocationId: '1001',
		});
		const woo = new WooCommerceSimulator({
			consumerKey: wooKey,
			consumerSecret: wooKeySecret,
			dropDelivery: (d) => stream.traffic?.dropDelivery(d) ?? false,
		});
		await Promise.all([shopify.start(), woo.start()]);
		cleanup.add('simulators', async () => {
			await shopify.stop();
			await woo.stop();
		});
		const wooShop = new URL(woo.baseUrl).host.toLowerCase();
		const catalogue = makeCatalogue(SKU_COUNT);
		seedSimulators(catalogue, shopify, woo);
		say(
			`Shops: Shopify simulator ${shopify.baseUrl} (${SHOPIFY_SHOP}: warehouse location 1001, store 1002), ` +
				`WooCommerce simulator ${woo.baseUrl}; ${catalogue.skus.length} SKUs (${catalogue.variations.size} of them WooCommerce variations).`,
		);

		// --- the templates, fitted to these shops ------------------------------------------------------------
		const replace: Array<[string, string]> = [
			[TEMPLATE_PLACEHOLDERS.shopifyShop, SHOPIFY_SHOP],
			[TEMPLATE_PLACEHOLDERS.wooShop, wooShop],
		];
		const active = [
			'realtime-sync.json',
			'catch-up-poll.json',
			'dead-letter-replay.json',
			'sync-monitor.json',
			'nightly-reconciliation.json',
		];
		const files = [...active, 'first-sync.json'].filter(has);
		const workflows = files.map((f) => loadTemplate(f, { replace, active: active.includes(f) }));
		say(`Templates: ${workflows.map((w) => w.name).join('; ')}.`);
		say(`Expression engine: ${engineReason(engine)}`);
		say('Starting n8n (import credentials and templates, activate, start: about a minute) …');
		const n8n: N8nInstance = await startN8n({
			engine,
			extensions: [path.resolve(dist)],
			activateVia: 'api',
			credentials: templateCredentials({
				redis: {
					host: redisTarget.host,
					port: redisTarget.port,
					database: redisTarget.database,
					keyPrefix: prefix,
				},
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
			workflows,
			startTimeoutMs: 240_000,
		});
		cleanup.add('n8n', () => n8n.stop());
		const editorUrl = `${n8n.baseUrl}/workflow/${TEMPLATE_WORKFLOW_IDS.realtime}`;
		say(
			`n8n is up at ${n8n.baseUrl} (log: ${path.join(n8n.userFolder, 'n8n-main.log')}); ` +
				`webhook subscriptions: Shopify ${shopify.subscriptions.length}, WooCommerce ${woo.webhooks.size}.`,
		);

		// --- 3. first sync, then live ---------------------------------------------------------------------------
		const firstSync = workflows.find((w) => w.id === TEMPLATE_WORKFLOW_IDS.firstSync);
		if (firstSync) {
			const trigger = manualTrigger(firstSync, 'Run First Sync');
			say(
				'First sync (dry run): saves the profile, reads both shops, builds the SKU map, seeds the ledger …',
			);
			const dry = await runByHand(n8n, firstSync.id, trigger, 300_000);
			const report = outputsOf(dry, 'First Sync Report')[0]?.[0];
			if (executionError(dry) || !report)
				throw new Error(`the first sync failed: ${executionError(dry) ?? 'no report'}`);
			say(`  ${describeFirstSync(report)}`);
			say(
				'Going live: "dryRun": false in Save Profile, and the first sync once more (it writes the diff) …',
			);
			await setDryRunOff(n8n, firstSync.id);
			const wet = await runByHand(n8n, firstSync.id, trigger, 300_000);
			const wetReport = outputsOf(wet, 'First Sync Report')[0]?.[0];
			if (executionError(wet) || !wetReport)
				throw new Error(`the live first sync failed: ${executionError(wet) ?? 'no report'}`);
			say(`  ${describeFirstSync(wetReport)}`);
		} else {
			say('First sync (temporary: the ledger seeded directly until first-sync.json lands) …');
			await saveProfile(redis, prefix, demoProfile(wooShop, true));
			await seedLedgerDirectly(redis, prefix, catalogue);
			const live = await saveProfile(redis, prefix, demoProfile(wooShop, false));
			say(
				`Profile switched live (version ${live.version}): ${live.markedSkus} SKUs to publish to ${live.affectedChannels.join(' and ')}.`,
			);
		}
		const nightly = workflows.find((w) => w.id === TEMPLATE_WORKFLOW_IDS.nightly);
		if (nightly) await pointSubscriptionsAt(n8n, nightly.id);
		let catchUpRuns = 0;
		const catchUp = async () => {
			const run = await runByHand(n8n, TEMPLATE_WORKFLOW_IDS.catchUp, 'Every Minute');
			catchUpRuns++;
			const error = executionError(run);
			if (error) say(`  catch-up run: ${error}`);
			return run;
		};
		await catchUp();
		const before = await compare(redis, prefix, catalogue, shopify, woo, wooShop);
		say(
			`After the first publish: Shopify shows the ledger's figures for ${before.shopifyEqual} SKUs, WooCommerce for ${before.wooEqual} of ${before.skus}.`,
		);

		// --- 4. the stream --------------------------------------------------------------------------------
		const traffic = new Traffic(catalogue, shopify, woo, seed);
		stream.traffic = traffic;
		const target = small ? 600 : engine === 'vm' ? 1500 : 4000;
		const stepsPerSecond = engine === 'vm' ? 4 : small ? 15 : 20;
		const line = new LiveLine(write, options.tty ?? Boolean(process.stdout.isTTY));
		say(
			`Playing the stream: about ${target} webhook requests — orders on both channels, cancellations, returns, restocks, duplicates, out-of-order deliveries, ~5 % of WooCommerce order webhooks lost, a WooCommerce outage halfway.`,
		);
		const started = Date.now();
		let outageDone = false;
		let outageEndsAt = 0;
		const ended: { at?: number } = {};
		let deadLettersAfterOutage = 0;
		let lastSample = { p50: null as number | null, p99: null as number | null, deadLetters: 0 };
		let sampling: Promise<void> | undefined;
		const sample = async (phase: string) => {
			const [health, agreement] = await Promise.all([
				lagAndDeadLetters(redis, prefix, started),
				compare(redis, prefix, catalogue, shopify, woo, wooShop),
			]);
			lastSample = health;
			const seconds = ((ended.at ?? Date.now()) - started) / 1000;
			line.show(
				formatSample(
					{
						sent: traffic.sent,
						perSecond: traffic.sent / Math.max(seconds, 0.001),
						lagP50: health.p50,
						lagP99: health.p99,
						agreementPct:
							(100 * Math.min(agreement.shopifyEqual, agreement.wooEqual)) / agreement.skus,
						deadLetters: health.deadLetters,
					},
					phase,
				),
			);
		};
		traffic.dropping = true;
		let step = 0;
		while (traffic.sent < target) {
			await traffic.step();
			step++;
			if (!outageDone && traffic.sent >= target / 2) {
				outageDone = true;
				const outageMs = options.outageMs ?? (small ? 15_000 : 30_000);
				woo.unavailableFor(outageMs);
				outageEndsAt = Date.now() + outageMs;
			}
			const due = started + (step * 1000) / stepsPerSecond;
			if (due > Date.now()) await sleep(due - Date.now());
			if (!sampling) sampling = sample('streaming').finally(() => (sampling = undefined));
		}
		traffic.dropping = false;
		await traffic.finish();
		ended.at = Date.now();
		const streamSeconds = (ended.at - started) / 1000;
		await sampling;

		// --- settle: inbox drained, then catch-up, replay, reconciliation -------------------------------------
		const breakers = () =>
			Promise.all(['shopify', 'woocommerce'].map((ch) => breakerState(redis, prefix, ch)));
		/**
		 * Quiet: the shops have sent what they queued, the inbox is drained, no run is in flight, nothing is dirty,
		 * and no channel's breaker refuses calls (open, or half-open with its one probe out): replaying or
		 * reconciling before that would only dead-letter again.
		 */
		const quiet = async () => {
			let quietSince: number | undefined;
			for (const deadline = Date.now() + 180_000; Date.now() < deadline; ) {
				await shopify.webhooksIdle();
				await woo.flushDeliveries();
				const [inbox, running, dirtyShopify, dirtyWoo, states] = await Promise.all([
					lagAndDeadLetters(redis, prefix, started),
					n8n.executions({ status: 'running' }),
					redis.zcard(ledgerKeys.dirty(prefix, 'shopify')),
					redis.zcard(ledgerKeys.dirty(prefix, 'woocommerce')),
					breakers(),
				]);
				await sample('settling');
				const refusing = states.some((b) => b.state === 'open' || b.probeInFlight);
				const still =
					inbox.inboxBacklog === 0 &&
					running.length === 0 &&
					dirtyShopify + dirtyWoo === 0 &&
					!refusing;
				// Twice in a row, a second apart: a batch the Inbox Trigger has just read is in no list yet.
				if (still && quietSince !== undefined && Date.now() - quietSince >= 1000) return;
				quietSince = still ? (quietSince ?? Date.now()) : undefined;
				await sleep(500);
			}
		};
		// The shop's API must be back before anything is replayed or reconciled (a merchant waits for that too).
		while (Date.now() < outageEndsAt) {
			await sample('outage');
			await sleep(1000);
		}
		await quiet();
		deadLettersAfterOutage = lastSample.deadLetters;
		// The catch-up template (every minute on its own) polls the orders whose webhooks were lost, and its calls
		// are the probe that closes a half-open breaker.
		await catchUp();
		let agreement = await compare(
			redis,
			prefix,
			catalogue,
			shopify,
			woo,
			wooShop,
			traffic.expected,
		);
		let drift: Record<string, unknown> | undefined;
		let replays = 0;
		let beforeReconciliation: Agreement | undefined;
		for (let round = 0; round < 8; round++) {
			await quiet();
			if ((await breakers()).some((b) => b.state !== 'closed')) {
				await catchUp();
				continue;
			}
			if (lastSample.deadLetters > 0 && has('dead-letter-replay.json') && replays < 3) {
				const replay = await runByHand(n8n, TEMPLATE_WORKFLOW_IDS.deadLetters, 'Replay Now');
				replays++;
				const error = executionError(replay);
				if (error) say(`\n  dead-letter replay: ${error}`);
				continue;
			}
			agreement = await compare(redis, prefix, catalogue, shopify, woo, wooShop, traffic.expected);
			if (agreement.allEqual === agreement.skus) break;
			if (nightly && !drift) {
				beforeReconciliation = agreement;
				// What the real-time path still left unequal is what the nightly reconciliation is for: run it now
				// rather than at 02:00.
				const run = await runByHand(n8n, nightly.id, manualTrigger(nightly, 'Run Now'), 300_000);
				const error = executionError(run);
				if (error) say(`\n  reconciliation: ${error}`);
				drift = outputsOf(run, 'Drift Report')[0]?.[0] ?? {};
				continue;
			}
			await catchUp();
		}
		await sample('done');
		line.done();

		// --- 5. verdict ------------------------------------------------------------------------------------
		const c = traffic.counts;
		const verdict = agreement.allEqual === agreement.skus ? 'all SKUs equal' : 'SKUs differ';
		say('');
		say(
			`Stream: ${traffic.sent} webhook requests in ${streamSeconds.toFixed(0)} s — Shopify ${c.shopifyOrders} web orders, ${c.shopifyPosOrders} POS orders, ` +
				`${c.shopifyCancelled} cancellations, ${c.shopifyReturns} returns, ${c.storeRestocks} store restocks; WooCommerce ${c.wooOrders} orders, ` +
				`${c.wooCancelled} cancellations; ${c.duplicates} duplicate deliveries, ${c.shopifyReordered + c.wooReordered} out-of-order, ` +
				`${c.wooWebhooksDropped} WooCommerce webhooks lost, ${c.refusedOutOfStock} checkouts refused (out of stock); ` +
				`deliveries n8n did not answer with 200 in the platform's time (Shopify 5 s): ${traffic.tap.delivered.filter((d) => d.status !== 200).length}.`,
		);
		say(
			`Sync: lag (webhook received → shop confirmed the write) p50 ${lastSample.p50 ?? '–'} ms, p99 ${lastSample.p99 ?? '–'} ms; ` +
				`dead letters after the outage ${deadLettersAfterOutage}, ${deadLettersAfterOutage > 0 ? 'replayed by the dead-letter template, ' : ''}now ${lastSample.deadLetters}; ` +
				`catch-up runs ${catchUpRuns} (started by hand here, every minute on their own: the lost WooCommerce webhooks' orders came from its poll).`,
		);
		say(
			`Verdict: ${verdict} — ${agreement.allEqual} of ${agreement.skus} SKUs: ledger = orders accepted ${agreement.ledgerEqual}, ` +
				`Shopify = ledger ${agreement.shopifyEqual}, WooCommerce = ledger ${agreement.wooEqual}.`,
		);
		for (const e of agreement.examples) say(`  ${e}`);
		if (verdict !== 'all SKUs equal') {
			// What the shops answered since the outage ended, and the breakers: where to look first.
			const after = new Date(outageEndsAt).toISOString();
			const answers = (
				log: Array<{ op: string; at: string; status?: unknown; name: string }>,
				op: string,
			) =>
				log
					.filter((e) => e.op === op && e.at >= after && e.status !== 200 && e.status !== 201)
					.map((e) => `${e.name} → ${String(e.status)}`)
					.slice(-8);
			const breakers = await Promise.all(
				['shopify', 'woocommerce'].map(async (ch) => ({
					ch,
					...(await breakerState(redis, prefix, ch)),
				})),
			);
			say(
				`  WooCommerce calls not answered 2xx after the outage: ${JSON.stringify(answers(woo.log, 'rest'))}`,
			);
			say(
				`  Shopify calls not answered 200 after the outage: ${JSON.stringify(answers(shopify.log, 'graphql'))}`,
			);
			say(
				`  breakers: ${breakers.map((b) => `${b.ch} ${b.state} (failures ${b.failures}, last failure ${b.lastFailureAt ? new Date(b.lastFailureAt).toISOString() : '–'})`).join(', ')}; outage ended ${after}`,
			);
		}
		if (drift && beforeReconciliation) {
			say(
				`The real-time path, the catch-up poll and the replay had left ${beforeReconciliation.skus - beforeReconciliation.allEqual} SKUs unequal; ` +
					`the nightly reconciliation template, run now: ${JSON.stringify({ skus_checked: drift.skus_checked, drift: drift.drift, repaired: drift.repaired, unresolved: drift.unresolved })}.`,
			);
			for (const e of beforeReconciliation.examples) say(`  before: ${e}`);
		}

		const result: DemoResult = {
			verdict,
			agreement,
			counts: c,
			webhookRequests: traffic.sent,
			streamSeconds,
			lag: { p50: lastSample.p50, p99: lastSample.p99 },
			deadLettersAfterOutage,
			catchUpRuns,
			unequalBeforeReconciliation: beforeReconciliation
				? beforeReconciliation.skus - beforeReconciliation.allEqual
				: 0,
			editorUrl,
		};
		if (options.screenshot) {
			const { screenshotWorkflow } = await import('./screenshot');
			await screenshotWorkflow({
				baseUrl: n8n.baseUrl,
				owner: n8n.owner,
				workflowId: TEMPLATE_WORKFLOW_IDS.realtime,
				file: path.resolve(options.screenshot),
				say,
			});
		}
		say('');
		say(`Editor: ${editorUrl}`);
		say(`Log in as ${n8n.owner.email} / ${n8n.owner.password}`);
		if (!options.exit) {
			say('n8n keeps running; Ctrl-C stops everything.');
			await new Promise<void>((resolve) => (stopRequested = resolve));
			say('\nStopping …');
		}
		return result;
	} finally {
		process.off('SIGINT', onSignal);
		process.off('SIGTERM', onSignal);
		await cleanup.run();
	}
}
