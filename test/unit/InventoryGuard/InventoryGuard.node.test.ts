import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NodeHelpers, Workflow, type INodeType, type INodeTypes } from 'n8n-workflow';
import { InventoryGuard } from '../../../nodes/InventoryGuard/InventoryGuard.node';

const DIR = join(__dirname, '../../../nodes/InventoryGuard');

describe('Inventory Guard description', () => {
	const node = new InventoryGuard();
	const d = node.description;

	it('follows the package conventions (name, icons, codex, credential test)', () => {
		expect(d.name).toBe('inventoryGuard');
		expect(d.version).toBe(1);
		const icon = d.icon as { light: string; dark: string };
		expect(icon.light).toBe('file:inventoryGuard.svg');
		expect(icon.dark).toBe('file:inventoryGuard.dark.svg');
		for (const f of ['inventoryGuard.svg', 'inventoryGuard.dark.svg'])
			expect(existsSync(join(DIR, f))).toBe(true);
		const codex = JSON.parse(readFileSync(join(DIR, 'InventoryGuard.node.json'), 'utf8'));
		expect(codex.node).toBe('n8n-nodes-inventory-sync.inventoryGuard');
		expect(d.credentials).toEqual([
			{ name: 'inventoryRedisApi', required: true, testedBy: 'inventoryRedisApiTest' },
		]);
		expect(typeof node.methods.credentialTest.inventoryRedisApiTest).toBe('function');
	});

	it('has operation-dependent outputs as an expression n8n can evaluate', () => {
		expect(typeof d.outputs).toBe('string');
		const source = String(d.outputs);
		expect(source.startsWith('={{(')).toBe(true);
		const body = source.slice(3, -2);
		const evaluate = new Function('$parameter', `return ${body}`) as (
			p: object,
		) => Array<{ displayName: string }>;
		expect(evaluate({ operation: 'deduplicate' }).map((o) => o.displayName)).toEqual([
			'New',
			'Duplicate',
		]);
		expect(evaluate({ operation: 'lock' }).map((o) => o.displayName)).toEqual(['Acquired', 'Busy']);
		expect(evaluate({ operation: 'commit' }).map((o) => o.displayName)).toEqual(['Done']);
	});

	it('n8n-workflow resolves the outputs per operation (defaults filled in as n8n does)', () => {
		const nodeTypes = {
			getByName: () => node as INodeType,
			getByNameAndVersion: () => node as INodeType,
			getKnownTypes: () => ({}),
		} as unknown as INodeTypes;
		const outputsFor = (parameters: Record<string, string>) => {
			const workflow = new Workflow({
				nodes: [
					{
						id: '1',
						name: 'Guard',
						type: 'CUSTOM.inventoryGuard',
						typeVersion: 1,
						position: [0, 0],
						parameters,
					},
				],
				connections: {},
				active: false,
				nodeTypes,
			});
			return (
				NodeHelpers.getNodeOutputs(workflow, workflow.getNode('Guard')!, d) as Array<{
					displayName: string;
				}>
			).map((o) => o.displayName);
		};
		expect(outputsFor({})).toEqual(['New', 'Duplicate']);
		expect(outputsFor({ operation: 'lock' })).toEqual(['Acquired', 'Busy']);
		expect(outputsFor({ operation: 'extend' })).toEqual(['Extended', 'Lost']);
		expect(outputsFor({ operation: 'release' })).toEqual(['Done']);
	});

	it('operation values read like their names in the editor (Deduplicate is deduplicate)', () => {
		const ops = (d.properties.find((p) => p.name === 'operation')?.options ?? []) as Array<{
			name: string;
			value: string;
		}>;
		for (const o of ops) expect(o.value).toBe(o.name.toLowerCase());
	});

	it('defaults match the issue', () => {
		const get = (name: string) => d.properties.find((p) => p.name === name);
		expect(get('operation')?.default).toBe('deduplicate');
		expect(get('key')?.default).toBe('={{ $json.id }}@{{ $json.version }}:{{ $json.quantity }}');
		expect(get('lockKey')?.default).toBe('={{ $json.sku }}');
		expect(get('claimTtl')?.default).toBe(300);
		expect(get('commitTtl')?.default).toBe(72 * 3600);
		expect(get('lockTtl')?.default).toBe(30);
		expect(get('maxWait')?.default).toBe(5);
		const ops = (get('operation')?.options ?? []) as Array<{ value: string }>;
		expect(ops.map((o) => o.value).sort()).toEqual([
			'commit',
			'deduplicate',
			'extend',
			'lock',
			'release',
			'unlock',
		]);
	});
});
