/**
 * The Shopify Inventory credential's client-credentials token in a real n8n 2.41.1 (issue 17): when the 24-hour
 * token Shopify issued has expired, the next GraphQL call is answered 401, n8n runs the credential's
 * preAuthentication once more (its `sessionToken` is the expirable property), retries that call once with the
 * new token, and the run succeeds. One token request per expiry — not one per call, not a retry storm.
 *
 * How n8n 2.41.1 does it (read from n8n-core's request-helpers/authentication.js and the CLI's
 * credentials-helper.js): httpRequestWithAuthentication calls preAuthentication before every request, which
 * fetches only when the expirable property is empty (and persists the token in the stored credential); when
 * the request fails with HTTP 401 it calls preAuthentication with `credentialsExpired = true`, persists the new
 * token and sends the request once more.
 *
 * Workflow: Webhook (n8n's own, responds when the last node finished) → Shopify Inventory, Resolve SKUs of the
 * inventory item id in the request body: one cheap `nodes(ids:)` query per run. The token requests and the
 * GraphQL answers are counted in the simulator's operation log.
 *
 * `INVSYNC_E2E_DIST` may name another build of the package (default: a copy of the repo's dist/, from
 * `npm run build`).
 */
import Redis from 'ioredis';
import { startN8n, httpRequest, type Execution, type N8nInstance } from './harness';
import { plainNode, snapshotDist, wire, workflow } from './inboxSupport';
import { saveProfile } from '../../nodes/InventoryLedger/ledger/profileStore';
import { ShopifySimulator } from '../simulators';
import { TEST_REDIS } from '../support';

jest.setTimeout(240_000);

const PREFIX = `e2etoken${process.pid}`;
const WORKFLOW_ID = 'shopifyToken001';
const HOOK_PATH = 'shopify-token-run';
const NODE = 'Shopify Inventory';
const CHANNEL = 'shopify-token';
const ITEM_A = '44000000000001';
const ITEM_B = '44000000000002';

// Made up per run: the simulator accepts exactly these (no literal secret in the test).
const CLIENT_ID = `client-${process.pid}-${Date.now().toString(36)}`;
const CLIENT_SECRET = `secret-${Math.random().toString(36).slice(2)}`;

let n8n: N8nInstance;
let shopify: ShopifySimulator;
let snapshot: ReturnType<typeof snapshotDist> | undefined;
const redis = new Redis({ host: TEST_REDIS.host, port: TEST_REDIS.port, lazyConnect: true });

function tokenWorkflow(): object {
	const connections: Record<string, unknown> = {};
	wire(connections, 'Run', NODE);
	return workflow(
		WORKFLOW_ID,
		[
			plainNode(
				'Run',
				'n8n-nodes-base.webhook',
				{ httpMethod: 'POST', path: HOOK_PATH, responseMode: 'lastNode', options: {} },
				2,
				{ webhookId: 'shopify-token-run-hook' },
			),
			plainNode(
				NODE,
				'CUSTOM.shopifyInventory',
				{
					operation: 'resolveSkus',
					channel: CHANNEL,
					inventoryItemIds: '={{ $json.body.inventoryItemId }}',
				},
				1,
				{
					credentials: {
						inventoryRedisApi: { id: 'redisToken', name: 'redisToken' },
						shopifyInventoryApi: { id: 'shopifyToken', name: 'shopifyToken' },
					},
				},
			),
		],
		connections,
	);
}

beforeAll(async () => {
	shopify = new ShopifySimulator({
		webhookSecret: CLIENT_SECRET,
		accessToken: null, // only tokens from the client credentials grant are accepted
		clientId: CLIENT_ID,
		clientSecret: CLIENT_SECRET,
		inventoryWebhooks: false,
	});
	shopify.inventory.putItem(ITEM_A, 'TOKEN-A');
	shopify.inventory.putItem(ITEM_B, 'TOKEN-B');
	await shopify.start();
	await redis.connect();
	// Resolve SKUs writes into the ledger's SKU map, which needs a saved profile naming the channel.
	const place = `shopify:${shopify.shop}:1`;
	await saveProfile(redis, PREFIX, {
		locations: [{ id: place, owner: CHANNEL }],
		channels: [
			{
				name: CHANNEL,
				platform: 'shopify',
				shop: shopify.shop,
				salesLocation: place,
				places: [{ id: place, shows: [place] }],
			},
		],
	});
	let dist = process.env.INVSYNC_E2E_DIST;
	if (!dist) {
		snapshot = snapshotDist();
		dist = snapshot.dist;
	}
	n8n = await startN8n({
		extensions: [dist],
		activateVia: 'api',
		credentials: [
			{
				id: 'shopifyToken',
				name: 'shopifyToken',
				type: 'shopifyInventoryApi',
				data: {
					shopDomain: shopify.baseUrl,
					authentication: 'clientCredentials',
					clientId: CLIENT_ID,
					clientSecret: CLIENT_SECRET,
					apiVersion: '2026-10',
				},
			},
			{
				id: 'redisToken',
				name: 'redisToken',
				type: 'inventoryRedisApi',
				data: { host: TEST_REDIS.host, port: TEST_REDIS.port, database: 0, keyPrefix: PREFIX },
			},
		],
		workflows: [tokenWorkflow()],
	});
});

afterAll(async () => {
	await n8n?.stop();
	await shopify?.stop();
	snapshot?.remove();
	const keys = await redis.keys(`${PREFIX}:*`).catch(() => [] as string[]);
	if (keys.length) await redis.del(...keys);
	await redis.quit().catch(() => undefined);
});

const tokenRequests = () => shopify.log.filter((e) => e.op === 'token');
const graphqlAnswers = () =>
	shopify.log.filter((e) => e.op === 'graphql').map((e) => e.status as number);

/** Starts one run through the production webhook; resolves with the finished execution (the nth). */
async function runOnce(inventoryItemId: string, nth: number) {
	const r = await httpRequest(
		'POST',
		`${n8n.baseUrl}/webhook/${HOOK_PATH}`,
		JSON.stringify({ inventoryItemId }),
		{ 'content-type': 'application/json' },
		{ timeoutMs: 60_000 },
	);
	const runs = await n8n.waitForExecutions({
		workflowId: WORKFLOW_ID,
		count: nth,
		timeoutMs: 60_000,
	});
	const run = runs[nth - 1];
	return { response: r, run };
}

/** The run's status with its error message when it failed (so a failure says why). */
function outcome(run: Execution): { status: string; error?: string } {
	const error = run.data?.resultData?.error as
		| { message?: string; description?: string }
		| undefined;
	return error
		? { status: run.status, error: `${error.message ?? ''} ${error.description ?? ''}`.trim() }
		: { status: run.status };
}

it('an expired client-credentials token refreshed once and the call succeeds', async () => {
	// First run: the credential has no token yet → one client credentials grant, then the query.
	const first = await runOnce(ITEM_A, 1);
	expect(outcome(first.run)).toEqual({ status: 'success' });
	expect(tokenRequests().map((e) => e.status)).toEqual([200]);
	expect(graphqlAnswers()).toEqual([200]);
	expect(n8n.nodeOutput(first.run, NODE)[0]).toEqual([
		expect.objectContaining({ summary: expect.objectContaining({ calls: 1, mapped: 1 }) }),
		{ inventoryItemId: ITEM_A, sku: 'TOKEN-A', outcome: 'mapped' },
	]);
	expect(shopify.validIssuedTokens()).toHaveLength(1);

	// Every issued token expires; the stored credential still holds the old one.
	shopify.expireTokens();
	expect(shopify.validIssuedTokens()).toHaveLength(0);

	const second = await runOnce(ITEM_B, 2);
	expect(outcome(second.run)).toEqual({ status: 'success' });
	expect(second.response.status).toBe(200);
	// Exactly one more grant; the query was refused once with the expired token and answered with the new one.
	expect(tokenRequests().map((e) => e.status)).toEqual([200, 200]);
	expect(graphqlAnswers()).toEqual([200, 401, 200]);
	expect(n8n.nodeOutput(second.run, NODE)[0]).toEqual([
		expect.objectContaining({ summary: expect.objectContaining({ calls: 1, mapped: 1 }) }),
		{ inventoryItemId: ITEM_B, sku: 'TOKEN-B', outcome: 'mapped' },
	]);
	expect(shopify.validIssuedTokens()).toHaveLength(1);
});
