import { ShopifySimulator } from '../simulators/shopify';

/* Fault injection on the Shopify simulator's GraphQL endpoint (5xx, a 503 window, latency, dropped
   connections) and counting calls per operation name — the same API as the WooCommerce simulator's. */

const SECRET = 'shpss_faults_secret';
const SHOP = 'query ShopName { shop { name } }';
const ITEM = 'query Item { inventoryItem(id: "gid://shopify/InventoryItem/1") { id } }';

async function post(
	sim: ShopifySimulator,
	query: string,
): Promise<{ status: number; text: string; headers: Headers }> {
	const res = await fetch(sim.graphqlUrl(), {
		method: 'POST',
		headers: { 'Content-Type': 'application/json', 'X-Shopify-Access-Token': 'shpat_test' },
		body: JSON.stringify({ query }),
	});
	return { status: res.status, text: await res.text(), headers: res.headers };
}

describe('Shopify simulator: faults and call counts', () => {
	let sim: ShopifySimulator;
	let clock: number;

	beforeEach(async () => {
		clock = Date.parse('2026-06-01T00:00:00Z');
		sim = new ShopifySimulator({ webhookSecret: SECRET, now: () => clock });
		await sim.start();
	});
	afterEach(() => sim.stop());

	it('answers injected 5xx to the next N matching calls only, then normally', async () => {
		sim.failNext(2, 502, 'ShopName');
		expect((await post(sim, ITEM)).status).toBe(200);
		const a = await post(sim, SHOP);
		expect(a.status).toBe(502);
		expect(JSON.parse(a.text)).toEqual({ errors: 'Bad Gateway' });
		expect((await post(sim, SHOP)).status).toBe(502);
		expect((await post(sim, SHOP)).status).toBe(200);
		expect(sim.countCalls('ShopName')).toBe(3);
		expect(sim.countCalls('ShopName', 502)).toBe(2);
		expect(sim.countCalls(/^(ShopName|Item)$/)).toBe(4);
		expect(sim.countCalls()).toBe(4);
	});

	it('answers 503 (with Retry-After) for a window on the simulator clock, then recovers', async () => {
		sim.unavailableFor(30_000, 5);
		const r = await post(sim, SHOP);
		expect(r.status).toBe(503);
		expect(r.headers.get('retry-after')).toBe('5');
		clock += 29_999;
		expect((await post(sim, ITEM)).status).toBe(503);
		clock += 1;
		expect((await post(sim, SHOP)).status).toBe(200);
		expect(sim.countCalls(undefined, 503)).toBe(2);
		expect(sim.log.filter((e) => e.fault === 'unavailable')).toHaveLength(2);
	});

	it('drops connections without an answer, then answers', async () => {
		sim.dropNextConnections(1);
		await expect(post(sim, SHOP)).rejects.toThrow();
		expect((await post(sim, SHOP)).status).toBe(200);
		expect(sim.countCalls('ShopName', 0)).toBe(1);
	});

	it('adds latency to every call', async () => {
		sim.latencyMs = 150;
		const started = Date.now();
		expect((await post(sim, SHOP)).status).toBe(200);
		expect(Date.now() - started).toBeGreaterThanOrEqual(140);
	});

	it('clearFaults removes pending faults and the window', async () => {
		sim.failNext(5);
		sim.unavailableFor(60_000);
		sim.clearFaults();
		expect((await post(sim, SHOP)).status).toBe(200);
	});
});
