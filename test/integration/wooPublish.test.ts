import type Redis from 'ioredis';
import type { IDataObject } from 'n8n-workflow';
import { breakerState } from '../../nodes/shared/breaker';
import { readDeadLetters } from '../../nodes/shared/dlq';
import type { ChannelDeadLetter } from '../../nodes/shared/deadLetters';
import { ledgerKeys } from '../../nodes/shared/keys';
import { wooKeys } from '../../nodes/WooCommerceInventory/stock/idMap';
import { closeAllRedis } from '../../nodes/shared/redis';
import type { WooCommerceSimulator } from '../simulators/woocommerce';
import { deleteByPrefix, testClient, uniquePrefix } from '../support';
import {
	CHANNEL,
	CONSUMER_KEY,
	CONSUMER_SECRET,
	WRONG_CONSUMER_SECRET,
	resultsOf,
	runWoo,
	saveWooProfile,
	setLevels,
	shopOf,
	startWoo,
} from './wooHarness';

// Publish of the WooCommerce Inventory node against the WooCommerce simulator on the test Redis.
jest.setTimeout(60_000);

let redis: Redis;
const prefixes: string[] = [];
const sims: WooCommerceSimulator[] = [];

beforeAll(() => {
	redis = testClient();
});
afterAll(async () => {
	for (const p of prefixes) await deleteByPrefix(redis, p);
	for (const s of sims) await s.stop();
	await closeAllRedis();
	await redis.quit();
});

async function setup(name: string) {
	const prefix = uniquePrefix(name);
	prefixes.push(prefix);
	const sim = await startWoo();
	sims.push(sim);
	await saveWooProfile(redis, prefix, shopOf(sim));
	return { prefix, sim };
}

/** `simple` simple products S-0…, and `parents` variable products with `perParent` variations V-p-v. */
function catalogue(sim: WooCommerceSimulator, simple: number, parents: number, perParent: number) {
	const skus: string[] = [];
	for (let i = 0; i < simple; i++) {
		sim.putProduct({ id: 10_000 + i, sku: `S-${i}`, stock_quantity: 0, manage_stock: true });
		skus.push(`S-${i}`);
	}
	for (let p = 0; p < parents; p++) {
		const parentId = 50_000 + p * 1000;
		sim.putProduct({ id: parentId, sku: `P-${p}`, type: 'variable', manage_stock: false });
		for (let v = 0; v < perParent; v++) {
			sim.putProduct({
				id: parentId + 1 + v,
				parent_id: parentId,
				type: 'variation',
				sku: `V-${p}-${v}`,
				stock_quantity: 0,
				manage_stock: true,
			});
			skus.push(`V-${p}-${v}`);
		}
	}
	return skus;
}

const publish = (prefix: string, sim: WooCommerceSimulator, options: IDataObject = {}) =>
	runWoo({ prefix, sim, params: { operation: 'publish', options } });

function stockOf(sim: WooCommerceSimulator, sku: string): unknown {
	return [...sim.products.values()].find((p) => p.sku === sku)?.stock_quantity;
}

const batchCalls = (sim: WooCommerceSimulator) =>
	sim.countCalls(/^POST \/products\/(\d+\/variations\/)?batch$/);

async function channelLetters(prefix: string): Promise<ChannelDeadLetter[]> {
	const page = await readDeadLetters(redis, prefix, { kind: 'channel', count: 1000 });
	return page.letters as ChannelDeadLetter[];
}

it('1,000 dirty SKUs (simple products and variations of 3 parents) → 10 batch calls, every product at the ledger value; a second Publish makes no call', async () => {
	const { prefix, sim } = await setup('woo-pub-1000');
	const skus = catalogue(sim, 700, 3, 100);
	expect(skus).toHaveLength(1000);
	// The map first (as Resolve IDs fills it), so that the count below is the batch writes alone.
	const [resolved] = await runWoo({ prefix, sim, params: { operation: 'resolveIds' } });
	expect(resolved[0].json).toMatchObject({ mapped: 1003, duplicateSkus: 0 });
	await setLevels(
		redis,
		prefix,
		skus.map((sku, i) => [sku, (i % 37) + 1]),
	);
	const before = sim.countCalls();

	const [out, input] = await publish(prefix, sim);
	const report = out[0].json;
	expect(report).toMatchObject({
		channel: CHANNEL,
		skus: 1000,
		written: 1000,
		deadLettered: 0,
		unmapped: 0,
		remaining: 0,
		lookupCalls: 0,
	});
	// Σ per parent ceil(100/100) + ceil(700/100) = 10, the minimum.
	expect(batchCalls(sim)).toBe(10);
	expect(sim.countCalls() - before).toBe(10);
	expect(report.calls).toBe(10);
	expect(input).toHaveLength(1); // the signal passed through
	skus.forEach((sku, i) => expect(stockOf(sim, sku)).toBe((i % 37) + 1));

	const calls = sim.countCalls();
	const [again] = await publish(prefix, sim);
	expect(sim.countCalls()).toBe(calls);
	expect(again[0].json).toMatchObject({ written: 0, calls: 0, remaining: 0 });
});

it('SKUs the map does not know are looked up by ?sku= (variations too), written back as mappings and parents, and published', async () => {
	const { prefix, sim } = await setup('woo-pub-lookup');
	catalogue(sim, 3, 1, 3);
	await setLevels(redis, prefix, [
		['S-0', 5],
		['S-2', 7],
		['V-0-1', 9],
		['NOT-SOLD-HERE', 4],
	]);
	const [out] = await publish(prefix, sim, { timeBudget: 10 });
	expect(out[0].json).toMatchObject({ written: 3, unmapped: 1, mapped: 3, lookupCalls: 1 });
	expect(sim.countCalls('GET /products')).toBe(1);
	expect(stockOf(sim, 'S-0')).toBe(5);
	expect(stockOf(sim, 'S-2')).toBe(7);
	expect(stockOf(sim, 'V-0-1')).toBe(9);
	expect(sim.countCalls('POST /products/batch')).toBe(1);
	expect(sim.countCalls('POST /products/50000/variations/batch')).toBe(1);
	const shop = shopOf(sim);
	const map = await redis.hgetall(ledgerKeys.map(prefix, 'woocommerce', shop));
	expect(map).toMatchObject({
		'sku:S-0': 'product:10000',
		'sku:V-0-1': 'variant:50002',
		'variant:50002': 'V-0-1',
	});
	expect(await redis.hget(wooKeys.parents(prefix, shop), '50002')).toBe('50000');

	// The next change of the same SKUs: the map answers, no look-up; a SKU the shop lacks is not asked again soon.
	await setLevels(
		redis,
		prefix,
		[
			['S-0', 6],
			['V-0-1', 8],
			['NOT-SOLD-HERE', 3],
		],
		Date.now() + 1000,
	);
	const lookups = sim.countCalls('GET /products');
	const [next] = await publish(prefix, sim);
	expect(next[0].json).toMatchObject({ written: 2, unmapped: 1, lookupCalls: 0 });
	expect(sim.countCalls('GET /products')).toBe(lookups);
	expect(stockOf(sim, 'V-0-1')).toBe(8);
});

it('a per-item error inside a 200 batch answer dead-letters that SKU alone; the others are written', async () => {
	const { prefix, sim } = await setup('woo-pub-item');
	catalogue(sim, 5, 0, 0);
	await runWoo({ prefix, sim, params: { operation: 'resolveIds' } });
	sim.products.delete('10003'); // S-3 deleted at the shop after it was mapped
	await setLevels(
		redis,
		prefix,
		[0, 1, 2, 3, 4].map((i) => [`S-${i}`, 20 + i]),
	);
	const [out] = await publish(prefix, sim);
	expect(out[0].json).toMatchObject({ written: 4, deadLettered: 1, calls: 1, remaining: 0 });
	expect(sim.countCalls('POST /products/batch', 200)).toBe(1);
	for (const i of [0, 1, 2, 4]) expect(stockOf(sim, `S-${i}`)).toBe(20 + i);
	const letters = await channelLetters(prefix);
	expect(letters).toHaveLength(1);
	expect(letters[0]).toMatchObject({
		channel: CHANNEL,
		operation: 'publish',
		reason: 'rejected',
		errorClass: 'validation',
		items: [{ sku: 'S-3', quantity: 23 }],
	});
	expect(letters[0].errorMessage).toMatch(/woocommerce_rest_product_invalid_id.*Invalid ID/);
});

it('429 with Retry-After: every retry waits at least what the host asked, and everything is written', async () => {
	const { prefix, sim } = await setup('woo-pub-429');
	catalogue(sim, 250, 0, 0);
	await runWoo({ prefix, sim, params: { operation: 'resolveIds' } });
	await setLevels(
		redis,
		prefix,
		Array.from({ length: 250 }, (_, i) => [`S-${i}`, i + 1] as [string, number]),
	);
	sim.retryAfterSeconds = 1;
	sim.requestsPerSecond = 1;
	const from = sim.log.length;
	const [out] = await publish(prefix, sim, { timeBudget: 20 });
	sim.requestsPerSecond = undefined;
	expect(out[0].json).toMatchObject({ written: 250, deadLettered: 0, remaining: 0 });
	const log = sim.log.slice(from).filter((e) => e.op === 'rest');
	const limited = log.filter((e) => e.status === 429);
	expect(limited.length).toBeGreaterThan(0);
	for (const entry of limited) {
		const i = log.indexOf(entry);
		const next = log[i + 1];
		expect(next).toBeDefined();
		// The simulator's clock and ours are the same: the next request went ≥ 1 s after the 429.
		expect(Date.parse(next.at) - Date.parse(entry.at)).toBeGreaterThanOrEqual(950);
	}
	for (let i = 0; i < 250; i++) expect(stockOf(sim, `S-${i}`)).toBe(i + 1);
});

it('503 for a while: retries, then the breaker opens and every batch goes to the dead letters; nothing is written', async () => {
	const { prefix, sim } = await setup('woo-pub-503');
	catalogue(sim, 250, 0, 0);
	await runWoo({ prefix, sim, params: { operation: 'resolveIds' } });
	await setLevels(
		redis,
		prefix,
		Array.from({ length: 250 }, (_, i) => [`S-${i}`, 3] as [string, number]),
	);
	sim.unavailableFor(60_000);
	const started = Date.now();
	const [out] = await publish(prefix, sim, {
		timeBudget: 10,
		breakerFailureThreshold: 3,
		breakerCoolDown: 60,
	});
	sim.clearFaults();
	expect(Date.now() - started).toBeLessThan(10_000);
	const report = out[0].json;
	expect(report).toMatchObject({ written: 0, deadLettered: 250, remaining: 0 });
	// Three calls (the threshold) reached the host; then the breaker refused the rest without a request.
	expect(sim.countCalls('POST /products/batch', 503)).toBe(3);
	expect(sim.countCalls('POST /products/batch')).toBe(3);
	const state = await breakerState(redis, prefix, CHANNEL);
	expect(state.state).toBe('open');
	const letters = await channelLetters(prefix);
	expect(letters).toHaveLength(3);
	expect(letters.map((l) => l.reason).sort()).toEqual([
		'breakerOpen',
		'breakerOpen',
		'breakerOpen',
	]);
	expect(letters[0].attempts).toBeGreaterThanOrEqual(3);
	expect(letters.flatMap((l) => l.items.map((i) => i.sku)).sort()).toEqual(
		Array.from({ length: 250 }, (_, i) => `S-${i}`).sort(),
	);
	for (let i = 0; i < 250; i++) expect(stockOf(sim, `S-${i}`)).toBe(0);
});

it('a 401 is not retried: one call, dead-lettered with a clear message and no secret', async () => {
	const { prefix, sim } = await setup('woo-pub-401');
	catalogue(sim, 5, 0, 0);
	await runWoo({ prefix, sim, params: { operation: 'resolveIds' } });
	await setLevels(
		redis,
		prefix,
		[0, 1, 2, 3, 4].map((i) => [`S-${i}`, 9]),
	);
	const [out] = await runWoo({
		prefix,
		sim,
		params: { operation: 'publish', options: { timeBudget: 10 } },
		consumerSecret: WRONG_CONSUMER_SECRET,
	});
	expect(out[0].json).toMatchObject({ written: 0, deadLettered: 5, calls: 1 });
	expect(sim.countCalls('POST /products/batch')).toBe(1);
	expect(sim.countCalls('POST /products/batch', 401)).toBe(1);
	const [letter] = await channelLetters(prefix);
	expect(letter).toMatchObject({ errorClass: 'auth', reason: 'notRetryable', attempts: 1 });
	expect(letter.errorMessage).toMatch(/HTTP 401.*Consumer Key and Consumer Secret/);
	const text = JSON.stringify(letter);
	expect(text).not.toContain(CONSUMER_KEY);
	expect(text).not.toContain(WRONG_CONSUMER_SECRET);
	expect(text).not.toContain(CONSUMER_SECRET);
	for (let i = 0; i < 5; i++) expect(stockOf(sim, `S-${i}`)).toBe(0);
});

it('a read with a refused credential fails the run with a clear NodeApiError (Get Stock)', async () => {
	const { prefix, sim } = await setup('woo-read-401');
	catalogue(sim, 2, 0, 0);
	const run = runWoo({
		prefix,
		sim,
		params: { operation: 'getStock' },
		consumerSecret: WRONG_CONSUMER_SECRET,
	});
	await expect(run).rejects.toThrow(
		/Reading products: WooCommerce \(HTTP 401\): the credential was refused/,
	);
	await expect(run).rejects.not.toThrow(WRONG_CONSUMER_SECRET);
	expect(sim.countCalls('GET /products', 401)).toBe(1);
	const failed = await runWoo({
		prefix,
		sim,
		params: { operation: 'getStock' },
		consumerSecret: WRONG_CONSUMER_SECRET,
		continueOnFail: true,
	});
	expect(resultsOf(failed)[0].error).toMatch(/HTTP 401/);
});
