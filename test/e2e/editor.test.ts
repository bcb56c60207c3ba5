/**
 * The editor as a new user meets it (issue 21), in a real n8n 2.41.1 and headless Chromium: the real-time
 * template opened on the canvas, every node of the package drawn with its own icon (none as an "install this
 * node" placeholder), the Inventory Webhook Trigger's panel showing Platform as a choice of its own, and the
 * node picker finding our nodes for what a user types.
 *
 * INVSYNC_E2E_SCREENSHOTS=<folder> keeps screenshots of the canvas, the panel and each search.
 */
import type { INodePropertyOptions, INodeTypeDescription } from 'n8n-workflow';
import { InventoryGuard } from '../../nodes/InventoryGuard/InventoryGuard.node';
import { InventoryLedger } from '../../nodes/InventoryLedger/InventoryLedger.node';
import { ShopifyInventory } from '../../nodes/ShopifyInventory/ShopifyInventory.node';
import { WooCommerceInventory } from '../../nodes/WooCommerceInventory/WooCommerceInventory.node';
import { TEST_REDIS, uniquePrefix } from '../support';
import { visitEditor, type EditorReport } from './browserSupport';
import {
	EXTENSION_NODE_PREFIX,
	TEMPLATE_WORKFLOW_IDS,
	loadTemplate,
	startWithTemplates,
	templateCredentials,
	type Workflow,
} from './templateSupport';

jest.setTimeout(420_000);

/** What a user types in the node picker → the node it must list (display names). */
const SEARCHES: Record<string, string> = {
	'shopify inventory': 'Shopify Inventory',
	'woocommerce stock': 'WooCommerce Inventory',
	'stock sync': 'Inventory Ledger',
	oversell: 'Inventory Ledger',
};

/** The name the panel shows for an operation value of one of our node types (the option's name). */
function operationName(type: string, value: string): string {
	const descriptions: INodeTypeDescription[] = [
		new InventoryGuard().description,
		new InventoryLedger().description,
		new ShopifyInventory().description,
		new WooCommerceInventory().description,
	];
	const description = descriptions.find((d) => `${EXTENSION_NODE_PREFIX}${d.name}` === type);
	const options = description?.properties.find((p) => p.name === 'operation')?.options as
		| INodePropertyOptions[]
		| undefined;
	return options?.find((o) => o.value === value)?.name ?? value;
}

let template: Workflow;
let report: EditorReport;

beforeAll(async () => {
	template = loadTemplate('realtime-sync.json');
	const started = await startWithTemplates({
		workflows: [template],
		credentials: templateCredentials({
			redis: { host: TEST_REDIS.host, port: TEST_REDIS.port, keyPrefix: uniquePrefix('editor') },
		}),
	});
	try {
		const trigger = template.nodes.find(
			(n) => n.type === `${EXTENSION_NODE_PREFIX}inventoryWebhookTrigger`,
		);
		report = await visitEditor({
			baseUrl: started.n8n.baseUrl,
			email: started.n8n.owner.email,
			password: started.n8n.owner.password,
			workflowId: TEMPLATE_WORKFLOW_IDS.realtime,
			panelNode: String(trigger?.name),
			searches: Object.keys(SEARCHES),
			listenNode: String(
				template.nodes.find((n) => n.type === `${EXTENSION_NODE_PREFIX}inventoryInboxTrigger`)
					?.name,
			),
			listenText: 'An empty inbox waits for that delivery',
			screenshots: process.env.INVSYNC_E2E_SCREENSHOTS || undefined,
		});
	} finally {
		await started.stop();
	}
});

it('draws every node of the real-time template, ours each with its own icon file', () => {
	const drawn = new Map(report.canvas.map((node) => [node.name, node]));
	const notes = template.nodes.filter((n) => n.type === 'n8n-nodes-base.stickyNote');
	expect(drawn.size).toBe(template.nodes.length - notes.length);
	const ours = template.nodes.filter((n) => String(n.type).startsWith(EXTENSION_NODE_PREFIX));
	expect(ours.length).toBeGreaterThanOrEqual(6);
	for (const node of ours) {
		const name = String(node.type).slice(EXTENSION_NODE_PREFIX.length);
		const onCanvas = drawn.get(String(node.name));
		expect({ node: node.name, type: onCanvas?.type }).toEqual({ node: node.name, type: node.type });
		// Its own SVG (nodes/<Name>/<name>.svg, served under /icons/CUSTOM/), loaded: not n8n's placeholder.
		expect({ node: node.name, icons: onCanvas?.icons }).toEqual({
			node: node.name,
			icons: [{ src: expect.stringMatching(new RegExp(`/${name}\\.svg$`, 'i')), loaded: true }],
		});
	}
});

it("subtitles name each node's operation as the panel does, not its stored value", () => {
	const withOperation = template.nodes.filter(
		(n) =>
			String(n.type).startsWith(EXTENSION_NODE_PREFIX) &&
			n.parameters &&
			'operation' in (n.parameters as object),
	);
	expect(withOperation.length).toBeGreaterThanOrEqual(4);
	for (const node of withOperation) {
		const { operation, channel } = node.parameters as { operation: string; channel?: string };
		const expected = `${operationName(String(node.type), operation)}${channel ? `: ${channel}` : ''}`;
		const text = report.canvas.find((c) => c.name === node.name)?.text ?? '';
		expect({ node: node.name, subtitle: text.endsWith(expected) ? expected : text }).toEqual({
			node: node.name,
			subtitle: expected,
		});
	}
});

it('shows Platform in the Inventory Webhook Trigger panel, with the credential after it', () => {
	expect(report.panel.notInstalled).toBe(false);
	expect(report.panel.parameters).toEqual(expect.arrayContaining(['platform', 'delivery']));
	expect(report.panel.labels).toContain('Platform');
	// Platform first, then the credentials it selects, then the delivery settings.
	expect(report.panel.parameters[0]).toBe('platform');
});

it('lists our nodes for what a user types in the node picker', () => {
	for (const [text, node] of Object.entries(SEARCHES)) {
		expect({ text, found: report.searches[text].some((item) => item.includes(node)) }).toEqual({
			text,
			found: true,
		});
	}
});

it('a manual run of the Inbox Trigger on an empty inbox waits, and its panel says so and how to send a delivery', () => {
	expect(report.listening).toMatchObject({ waiting: true, found: true });
	expect(report.listening?.excerpt).toMatch(/^An empty inbox waits for that delivery/);
	expect(report.listening?.excerpt).toContain('workflows/first-sync.json');
});
