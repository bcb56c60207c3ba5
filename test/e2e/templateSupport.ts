/**
 * The workflow templates (workflows/*.json) in a real n8n 2.41.1, as a user imports them: loaded from the
 * folder, made to fit the test's n8n (node types, shop domains, location ids, schedules), imported with
 * `n8n import:workflow`, activated with `n8n publish:workflow` (or the public API), with the three credentials of
 * the templates (fixed ids and names: /tmp/plan contract, issue 18) pointing at the simulators and the test Redis.
 *
 * Node types: a user's n8n knows our nodes as `n8n-nodes-inventory-sync.<name>` (the installed package's name).
 * The harness loads the package through N8N_CUSTOM_EXTENSIONS, where n8n 2.41.1 names every node of the folder
 * `CUSTOM.<name>` (its custom directory loader's package name): a workflow naming the package's own type then
 * fails to load ("Unrecognized node type"). (Read in 2.41.1's load-nodes-and-credentials.js: the folder scan at
 * start loads only n8n-nodes-base and the langchain package; a community package under ~/.n8n/nodes is loaded by
 * name from the installed-packages table, so a test cannot get the package's own type names by placing the
 * build there.) So the templates' types are rewritten on the way in, nothing else.
 *
 * `INVSYNC_E2E_DIST` may name a build of the package (default: a snapshot of the repo's dist/).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT, startN8n, type N8nInstance, type StartOptions } from './harness';
import { snapshotDist } from './inboxSupport';

export const TEMPLATE_DIR = path.join(REPO_ROOT, 'workflows');
export const PACKAGE_NODE_PREFIX = 'n8n-nodes-inventory-sync.';
export const EXTENSION_NODE_PREFIX = 'CUSTOM.';

/** The credentials every template references (id AND name; users re-pick their own). */
export const TEMPLATE_CREDENTIALS = {
	redis: { type: 'inventoryRedisApi', id: 'invsyncRedis0001', name: 'Inventory Redis' },
	shopify: { type: 'shopifyInventoryApi', id: 'invsyncShopify01', name: 'Shopify Inventory' },
	woocommerce: {
		type: 'wooCommerceInventoryApi',
		id: 'invsyncWooComm01',
		name: 'WooCommerce Inventory',
	},
} as const;

/** The templates' workflow ids. */
export const TEMPLATE_WORKFLOW_IDS = {
	realtime: 'invsyncRealtime1',
	catchUp: 'invsyncCatchUp01',
	firstSync: 'invsyncFirstSyn1',
	nightly: 'invsyncNightly01',
	deadLetters: 'invsyncDeadLet01',
	monitor: 'invsyncMonitor01',
} as const;

/** The real-time template's Webhook Trigger webhookIds (their production paths start with these). */
export const TEMPLATE_WEBHOOK_IDS = {
	shopify: 'invsync-shopify',
	woocommerce: 'invsync-woocommerce',
} as const;

/** What the templates' example profile names, to be replaced by a test's own shop and locations. */
export const TEMPLATE_PLACEHOLDERS = {
	shopifyShop: 'your-shop.myshopify.com',
	wooShop: 'your-store.example.com',
	/** The Shopify location that shows the ledger's warehouse. */
	shopifyWarehouseLocation: '1001',
	/** The Shopify-owned store location. */
	shopifyStoreLocation: '1002',
} as const;

export type Workflow = Record<string, unknown> & {
	id: string;
	name: string;
	nodes: Array<Record<string, unknown>>;
	connections: Record<string, unknown>;
	active?: boolean;
};

/** Every workflows/*.json, sorted (file paths). */
export function templateFiles(): string[] {
	return fs
		.readdirSync(TEMPLATE_DIR)
		.filter((f) => f.endsWith('.json'))
		.sort()
		.map((f) => path.join(TEMPLATE_DIR, f));
}

export interface TemplateOptions {
	/**
	 * Plain string replacements, applied in order to every string inside the nodes' parameters (the profile's
	 * JSON, note texts, URLs), never to numbers, names or ids of the workflow. E.g.
	 * `[['your-shop.myshopify.com', shop], ['1001', warehouseLocationId]]`.
	 */
	replace?: ReadonlyArray<readonly [string, string]>;
	/** Marks the workflow active, so startN8n() publishes it. Default false (as the file says). */
	active?: boolean;
	/**
	 * Rewrite `n8n-nodes-inventory-sync.` → `CUSTOM.` (n8n loads the package through N8N_CUSTOM_EXTENSIONS).
	 * Default true; false to keep the package's type names (an n8n with the package installed).
	 */
	extensionTypes?: boolean;
	/** Any further change, on the parsed copy, after the above (e.g. a shorter schedule). */
	transform?: (workflow: Workflow) => void;
}

function replaceStrings(
	value: unknown,
	replace: ReadonlyArray<readonly [string, string]>,
): unknown {
	if (typeof value === 'string') {
		let s = value;
		for (const [from, to] of replace) s = s.split(from).join(to);
		return s;
	}
	if (Array.isArray(value)) return value.map((v) => replaceStrings(v, replace));
	if (value && typeof value === 'object') {
		const out: Record<string, unknown> = {};
		for (const [k, v] of Object.entries(value)) out[k] = replaceStrings(v, replace);
		return out;
	}
	return value;
}

/** A template file (a name in workflows/ or a path), parsed and fitted to the test's n8n. */
export function loadTemplate(file: string, opts: TemplateOptions = {}): Workflow {
	const full = path.isAbsolute(file) ? file : path.join(TEMPLATE_DIR, file);
	const wf = JSON.parse(fs.readFileSync(full, 'utf8')) as Workflow;
	for (const node of wf.nodes) {
		if (opts.extensionTypes !== false && typeof node.type === 'string') {
			if (node.type.startsWith(PACKAGE_NODE_PREFIX))
				node.type = EXTENSION_NODE_PREFIX + node.type.slice(PACKAGE_NODE_PREFIX.length);
		}
		if (opts.replace?.length && node.parameters)
			node.parameters = replaceStrings(node.parameters, opts.replace);
	}
	if (opts.active !== undefined) wf.active = opts.active;
	opts.transform?.(wf);
	return wf;
}

/** The node called `name` of a workflow (throws with the names there are). */
export function nodeNamed(
	wf: Workflow,
	name: string,
): Record<string, unknown> & {
	parameters: Record<string, unknown>;
} {
	const node = wf.nodes.find((n) => n.name === name);
	if (!node)
		throw new Error(
			`${wf.name}: no node "${name}"; nodes: ${wf.nodes.map((n) => String(n.name)).join(', ')}`,
		);
	node.parameters ??= {};
	return node as Record<string, unknown> & { parameters: Record<string, unknown> };
}

/**
 * Sets a Schedule Trigger node (n8n-nodes-base.scheduleTrigger) to fire every `seconds` seconds: templates run
 * every minute or hour, a test cannot wait that long.
 */
export function everySeconds(wf: Workflow, nodeName: string, seconds: number): void {
	const node = nodeNamed(wf, nodeName);
	if (node.type !== 'n8n-nodes-base.scheduleTrigger')
		throw new Error(`${nodeName} is ${String(node.type)}, not a Schedule Trigger`);
	node.parameters.rule = { interval: [{ field: 'seconds', secondsInterval: seconds }] };
}

/** Disables a node (e.g. a schedule a test replaces by the manual path). */
export function disableNode(wf: Workflow, nodeName: string): void {
	nodeNamed(wf, nodeName).disabled = true;
}

/** Where the credentials of the templates point (all optional but Redis). */
export interface TemplateCredentialTargets {
	redis: { host: string; port: number; database?: number; keyPrefix: string };
	shopify?: {
		/** A shop domain or a full base URL (the simulator's `baseUrl`). */
		shopDomain: string;
		accessToken: string;
		webhookSecret: string;
		apiVersion?: string;
	};
	woocommerce?: {
		siteUrl: string;
		consumerKey: string;
		consumerSecret: string;
		webhookSecret: string;
	};
}

/** The templates' three credentials with their fixed ids and names, for startN8n({ credentials }). */
export function templateCredentials(t: TemplateCredentialTargets): object[] {
	const out: object[] = [
		{
			...TEMPLATE_CREDENTIALS.redis,
			data: {
				host: t.redis.host,
				port: t.redis.port,
				database: t.redis.database ?? 0,
				keyPrefix: t.redis.keyPrefix,
			},
		},
	];
	if (t.shopify)
		out.push({
			...TEMPLATE_CREDENTIALS.shopify,
			data: {
				shopDomain: t.shopify.shopDomain,
				authentication: 'accessToken',
				accessToken: t.shopify.accessToken,
				apiVersion: t.shopify.apiVersion ?? '2026-10',
				webhookSecret: t.shopify.webhookSecret,
			},
		});
	if (t.woocommerce)
		out.push({
			...TEMPLATE_CREDENTIALS.woocommerce,
			data: {
				siteUrl: t.woocommerce.siteUrl,
				consumerKey: t.woocommerce.consumerKey,
				consumerSecret: t.woocommerce.consumerSecret,
				webhookSecret: t.woocommerce.webhookSecret,
			},
		});
	return out;
}

/** The package build n8n loads: INVSYNC_E2E_DIST, else a snapshot of dist/ (removed by `remove`). */
export function packageDist(): { dist: string; remove: () => void } {
	const given = process.env.INVSYNC_E2E_DIST;
	if (given) return { dist: path.resolve(given), remove: () => undefined };
	const snap = snapshotDist();
	return { dist: snap.dist, remove: snap.remove };
}

export interface TemplateN8n {
	n8n: N8nInstance;
	/** Stops n8n and removes the dist snapshot. */
	stop: () => Promise<void>;
}

/**
 * Starts n8n with the given (already loaded) templates imported by `n8n import:workflow` and the credentials by
 * `n8n import:credentials`; active ones are published by `n8n publish:workflow` (default) or through the API.
 */
export async function startWithTemplates(
	opts: {
		workflows: Workflow[];
		credentials: object[];
	} & Omit<StartOptions, 'workflows' | 'credentials' | 'extensions'>,
): Promise<TemplateN8n> {
	const build = packageDist();
	const n8n = await startN8n({ ...opts, extensions: [build.dist] }).catch((e: unknown) => {
		build.remove();
		return Promise.reject(e instanceof Error ? e : new Error(String(e)));
	});
	return {
		n8n,
		stop: async () => {
			try {
				await n8n.stop();
			} finally {
				build.remove();
			}
		},
	};
}

/**
 * The templates' example profile (the contract first-sync.json saves), for a test's own shops and locations: a
 * ledger-owned warehouse that Shopify also lists as `warehouseLocation` (alias), a Shopify-owned store
 * `storeLocation` whose shortfall the warehouse covers; channel `shopify` sells from the warehouse and shows it;
 * channel `woocommerce` sells from the store and shows warehouse + store less a fixed buffer of 2.
 */
export function exampleProfile(opts: {
	shopifyShop: string;
	wooShop: string;
	warehouseLocation: string;
	storeLocation: string;
	dryRun: boolean;
}) {
	const warehouse = 'ledger:warehouse';
	const shopifyWarehouse = `shopify:${opts.shopifyShop}:${opts.warehouseLocation}`;
	const store = `shopify:${opts.shopifyShop}:${opts.storeLocation}`;
	return {
		dryRun: opts.dryRun,
		locations: [
			{ id: warehouse, owner: 'ledger', aliases: [shopifyWarehouse] },
			// What WooCommerce sells beyond the store ships from the warehouse (docs/ledger.md, shortfall cover).
			{ id: store, owner: 'shopify', coverShortfallFrom: warehouse },
		],
		channels: [
			{
				name: 'shopify',
				platform: 'shopify',
				shop: opts.shopifyShop,
				credential: TEMPLATE_CREDENTIALS.shopify.name,
				salesLocation: warehouse,
				places: [{ id: shopifyWarehouse, shows: [warehouse] }],
			},
			{
				name: 'woocommerce',
				platform: 'woocommerce',
				shop: opts.wooShop,
				credential: TEMPLATE_CREDENTIALS.woocommerce.name,
				salesLocation: store,
				places: [{ id: `woocommerce:${opts.wooShop}:default`, shows: [warehouse, store] }],
				buffer: { type: 'fixed', value: 2 },
			},
		],
	};
}
