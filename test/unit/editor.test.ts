/**
 * What a user meets in n8n's editor, read from the package itself (issue 21): the node picker finds our nodes
 * for what a user types (codex aliases), no parameter is taken away from the panel for the credential-type
 * picker, canvas subtitles name operations as the panel does, numbers and units read as n8n writes them, and
 * the profile form asks in a merchant's order. The editor itself is checked in test/e2e/editor.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
	INodeProperties,
	INodePropertyCollection,
	INodePropertyOptions,
	INodeTypeDescription,
} from 'n8n-workflow';
import { InventoryGuard } from '../../nodes/InventoryGuard/InventoryGuard.node';
import { InventoryInboxTrigger } from '../../nodes/InventoryInboxTrigger/InventoryInboxTrigger.node';
import { InventoryLedger } from '../../nodes/InventoryLedger/InventoryLedger.node';
import { ProfileError, parseProfile, profileFromForm } from '../../nodes/InventoryLedger/profile';
import { InventoryWebhookTrigger } from '../../nodes/InventoryWebhookTrigger/InventoryWebhookTrigger.node';
import { ShopifyInventory } from '../../nodes/ShopifyInventory/ShopifyInventory.node';
import { WooCommerceInventory } from '../../nodes/WooCommerceInventory/WooCommerceInventory.node';

const ROOT = join(__dirname, '..', '..');
const NODES: Record<string, INodeTypeDescription> = Object.fromEntries(
	[
		new InventoryWebhookTrigger(),
		new InventoryInboxTrigger(),
		new InventoryGuard(),
		new InventoryLedger(),
		new ShopifyInventory(),
		new WooCommerceInventory(),
	].map((node) => [node.description.name, node.description]),
);

const folderOf = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

function codexOf(name: string): { node: string; alias: string[]; categories: string[] } {
	const folder = folderOf(name);
	return JSON.parse(
		readFileSync(join(ROOT, 'nodes', folder, `${folder}.node.json`), 'utf8'),
	) as ReturnType<typeof codexOf>;
}

/**
 * Whether a search text finds a node: every word of the text starts a word of the node's display name or of
 * one alias, in order. Stricter than n8n's picker (a fuzzy, in-order character match over the same two
 * fields), so what passes here is found there too.
 */
function finds(text: string, name: string): boolean {
	const words = text.toLowerCase().split(/\s+/).filter(Boolean);
	const candidates = [NODES[name].displayName, ...codexOf(name).alias];
	return candidates.some((candidate) => {
		const targets = candidate.toLowerCase().split(/[\s-]+/);
		let at = 0;
		for (const word of words) {
			while (at < targets.length && !targets[at].startsWith(word)) at++;
			if (at === targets.length) return false;
			at++;
		}
		return true;
	});
}

describe('node picker search (codex aliases)', () => {
	const SEARCHES: Array<[string, string[]]> = [
		['Shopify inventory', ['shopifyInventory', 'inventoryWebhookTrigger', 'inventoryLedger']],
		['Shopify stock', ['shopifyInventory']],
		['Shopify webhook', ['inventoryWebhookTrigger']],
		['WooCommerce stock', ['wooCommerceInventory', 'inventoryWebhookTrigger', 'inventoryLedger']],
		['WooCommerce inventory', ['wooCommerceInventory']],
		['Woo', ['wooCommerceInventory']],
		['stock sync', Object.keys(NODES)],
		['inventory sync', Object.keys(NODES).filter((n) => n !== 'inventoryGuard')],
		['oversell', ['inventoryLedger', 'shopifyInventory', 'wooCommerceInventory']],
		['multichannel inventory', ['inventoryLedger', 'shopifyInventory', 'wooCommerceInventory']],
		['safety buffer', ['inventoryLedger']],
		['deduplicate', ['inventoryGuard']],
		['webhook queue', ['inventoryInboxTrigger']],
	];

	it.each(SEARCHES)('"%s" finds %j', (text, names) => {
		for (const name of names)
			expect({ text, name, found: finds(text, name) }).toEqual({ text, name, found: true });
	});

	it('every codex names its node as the installed package does, with distinct aliases', () => {
		for (const name of Object.keys(NODES)) {
			const codex = codexOf(name);
			expect(codex.node).toBe(`n8n-nodes-inventory-sync.${name}`);
			const lower = codex.alias.map((a) => a.toLowerCase());
			expect(new Set(lower).size).toBe(lower.length);
			expect(codex.alias.every((a) => typeof a === 'string' && a.trim() === a && a)).toBe(true);
		}
	});
});

describe('panels', () => {
	/**
	 * n8n's editor removes from the panel the parameter it takes for the credential-type picker: one named in a
	 * credential's `displayOptions.show` whose options are all covered by the credentials' `show` values (or
	 * named `authentication`). None of ours may qualify: Platform and Re-Read Refunded Orders must stay visible.
	 */
	it('no parameter is taken for the credential-type picker', () => {
		for (const [name, d] of Object.entries(NODES)) {
			const covered: Record<string, string[]> = {};
			for (const credential of d.credentials ?? [])
				for (const [field, values] of Object.entries(credential.displayOptions?.show ?? {}))
					covered[field] = [...(covered[field] ?? []), ...(values ?? []).map(String)];
			for (const property of d.properties.filter((p) => p.name in covered)) {
				const options = (property.options ?? []) as INodePropertyOptions[];
				const allCovered = options.every((o) => covered[property.name].includes(String(o.value)));
				expect({ node: name, parameter: property.name, picker: allCovered }).toEqual({
					node: name,
					parameter: property.name,
					picker: false,
				});
			}
		}
	});

	it('the Webhook Trigger: Platform first, its credential follows it, the stored values unchanged', () => {
		const d = NODES.inventoryWebhookTrigger;
		expect(d.properties[0]).toMatchObject({ name: 'platform', default: 'shopify' });
		expect((d.properties[0].options as INodePropertyOptions[]).map((o) => o.value)).toEqual([
			'shopify',
			'woocommerce',
		]);
		const byName = Object.fromEntries((d.credentials ?? []).map((c) => [c.name, c]));
		expect(byName.shopifyInventoryApi.displayOptions).toEqual({
			hide: { platform: ['woocommerce'] },
		});
		expect(byName.wooCommerceInventoryApi.displayOptions).toEqual({
			hide: { platform: ['shopify'] },
		});
	});

	it('the Inbox Trigger 1.1: credentials, then the stream; tuning under Options with the same names and defaults as 1', () => {
		const d = NODES.inventoryInboxTrigger;
		expect(d.version).toEqual([1, 1.1]);
		expect(d.properties[0].type).toBe('credentials');
		expect(d.properties[1].name).toBe('inboxStream');
		const options = d.properties.find((p) => p.name === 'options');
		expect(options?.displayOptions?.show?.['@version']).toBeDefined();
		const nested = options?.options as INodeProperties[];
		for (const field of nested) {
			const top = d.properties.find((p) => p.name === field.name);
			expect(top?.displayOptions).toEqual({ show: { '@version': [1] } });
			expect(top?.default).toBe(field.default);
		}
		expect(nested.map((f) => f.name).sort()).toEqual(
			[
				'batchSize',
				'consumerGroup',
				'maxDeliveries',
				'maxWait',
				'parallelBatches',
				'reclaimAfter',
			].sort(),
		);
		expect(d.eventTriggerDescription).toMatch(/Waiting for a delivery/);
	});
});

/** Every property, with those inside collections and fixed collections. */
function allProperties(properties: INodeProperties[]): INodeProperties[] {
	return properties.flatMap((p) => [
		p,
		...(p.type === 'collection' ? allProperties(p.options as INodeProperties[]) : []),
		...(p.type === 'fixedCollection'
			? (p.options as INodePropertyCollection[]).flatMap((o) => allProperties(o.values))
			: []),
	]);
}

describe('numbers and wording', () => {
	it('units read as n8n writes them: (ms), (Seconds), (Minutes), (Hours)', () => {
		for (const [name, d] of Object.entries(NODES))
			for (const p of allProperties(d.properties))
				expect({
					node: name,
					label: p.displayName,
					bad: /\((Ms|S|H|Min|s)\)$/.test(p.displayName),
				}).toEqual({
					node: name,
					label: p.displayName,
					bad: false,
				});
	});

	it('no number field shows a fixed number of decimals ("300.000", "60.0")', () => {
		for (const [name, d] of Object.entries(NODES))
			for (const p of allProperties(d.properties).filter((q) => q.type === 'number'))
				expect({
					node: name,
					field: p.name,
					precision: p.typeOptions?.numberPrecision ?? 0,
				}).toEqual({
					node: name,
					field: p.name,
					precision: 0,
				});
	});

	it('operation descriptions speak of shops, not internals', () => {
		for (const [name, d] of Object.entries(NODES)) {
			const operation = d.properties.find((p) => p.name === 'operation');
			for (const option of (operation?.options ?? []) as INodePropertyOptions[]) {
				expect(option.description).toBeTruthy();
				expect({ node: name, op: option.value, text: option.description }).not.toEqual(
					expect.objectContaining({
						text: expect.stringMatching(/Σ|dirty|channel place|owner outbox|\brev\b/i),
					}),
				);
			}
		}
	});

	/** The subtitle expression evaluated as n8n's editor does, for a node's parameters. */
	function subtitle(d: INodeTypeDescription, parameters: Record<string, string>): string {
		const text = String(d.subtitle);
		expect(text.startsWith('={{') && text.endsWith('}}')).toBe(true);
		return (new Function('$parameter', `return ${text.slice(3, -2)}`) as (p: object) => string)(
			parameters,
		);
	}

	it('canvas subtitles name the operation as the panel does', () => {
		for (const name of [
			'inventoryGuard',
			'inventoryLedger',
			'shopifyInventory',
			'wooCommerceInventory',
		]) {
			const d = NODES[name];
			const operation = d.properties.find((p) => p.name === 'operation');
			for (const option of operation?.options as INodePropertyOptions[]) {
				const shown = subtitle(d, { operation: String(option.value), channel: 'shopify' });
				expect(shown).toBe(name.endsWith('Inventory') ? `${option.name}: shopify` : option.name);
			}
		}
		expect(subtitle(NODES.inventoryGuard, { operation: 'claim' })).toBe('Deduplicate');
		expect(subtitle(NODES.inventoryLedger, { operation: 'somethingNew' })).toBe('somethingNew');
	});
});

describe('the profile form', () => {
	const channelFields = () => {
		const channels = NODES.inventoryLedger.properties.find((p) => p.name === 'channels');
		return (channels?.options as INodePropertyCollection[])[0].values;
	};

	it('asks as a merchant thinks: which shop → where it sells from → what it shows → buffer', () => {
		expect(channelFields().map((f) => f.name)).toEqual([
			'name',
			'platform',
			'shop',
			'credential',
			'salesLocation',
			'placeId',
			'shows',
			'bufferType',
			'bufferValue',
			'salesRateSeconds',
			'cap',
			'outOfStockThreshold',
		]);
	});

	it('explains every field, marks the required ones, and offers the owner as a choice', () => {
		for (const field of channelFields())
			expect({ field: field.name, described: !!field.description }).toEqual({
				field: field.name,
				described: true,
			});
		const required = channelFields()
			.filter((f) => f.required)
			.map((f) => f.name);
		expect(required).toEqual(['name', 'salesLocation', 'shows']);
		const locations = NODES.inventoryLedger.properties.find((p) => p.name === 'locations');
		const owner = (locations?.options as INodePropertyCollection[])[0].values.find(
			(f) => f.name === 'owner',
		);
		expect(owner).toMatchObject({
			type: 'options',
			default: 'ledger',
			typeOptions: { loadOptionsMethod: 'profileOwners' },
		});
		expect(typeof new InventoryLedger().methods.loadOptions.profileOwners).toBe('function');
	});

	it('points to the First Sync template as the place to set up a profile', () => {
		const notice = NODES.inventoryLedger.properties.find((p) => p.name === 'profileSetupNotice');
		expect(notice?.type).toBe('notice');
		expect(notice?.displayName).toContain('workflows/first-sync.json');
	});
});

describe('the profile form validates as JSON profiles do', () => {
	const problemsOf = (input: unknown): string[] => {
		try {
			parseProfile(input);
			return [];
		} catch (error) {
			return (error as ProfileError).problems;
		}
	};

	it('the same problems, in the same words, for the same mistakes', () => {
		const form = profileFromForm({
			locations: [{ id: 'ledger:warehouse' }, { id: 'shopify:x.myshopify.com:2', owner: 'shop' }],
			channels: [{ name: '', platform: 'shopify', salesLocation: 'ledger:store', shows: '' }],
		});
		const json = {
			dryRun: true,
			locations: [
				{ id: 'ledger:warehouse', owner: 'ledger' },
				{ id: 'shopify:x.myshopify.com:2', owner: 'shop' },
			],
			channels: [
				{
					name: '',
					platform: 'shopify',
					shop: '',
					salesLocation: 'ledger:store',
					places: [{ id: 'ledger:store', shows: [] }],
					buffer: { type: 'fixed', value: 0 },
					cap: null,
					outOfStockThreshold: 0,
				},
			],
			frozen: [],
		};
		const problems = problemsOf(form);
		expect(problems).toEqual(problemsOf(json));
		expect(problems).toEqual(
			expect.arrayContaining([
				"channels[0].name: letters, digits, '.', '_', '-' only (1–64)",
				"channels[0].salesLocation: unknown location 'ledger:store'",
				"location 'shopify:x.myshopify.com:2': owner 'shop' is neither 'ledger' nor a channel",
			]),
		);
	});
});
