import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InventoryLedger } from '../../../nodes/InventoryLedger/InventoryLedger.node';
import { parseScriptFileName } from '../../../nodes/shared/scripts';

const DIR = join(__dirname, '../../../nodes/InventoryLedger');

describe('Inventory Ledger description', () => {
	const node = new InventoryLedger();
	const d = node.description;

	it('follows the package conventions (name, icons, codex, credential test)', () => {
		expect(d.name).toBe('inventoryLedger');
		for (const f of ['inventoryLedger.svg', 'inventoryLedger.dark.svg'])
			expect(existsSync(join(DIR, f))).toBe(true);
		const codex = JSON.parse(readFileSync(join(DIR, 'InventoryLedger.node.json'), 'utf8'));
		expect(codex.node).toBe('n8n-nodes-inventory-sync.inventoryLedger');
		expect(d.credentials).toEqual([
			{ name: 'inventoryRedisApi', required: true, testedBy: 'inventoryRedisApiTest' },
		]);
	});

	it('has operation-dependent outputs as an expression n8n can evaluate', () => {
		const source = String(d.outputs);
		const evaluate = new Function('$parameter', `return ${source.slice(3, -2)}`) as (
			p: object,
		) => Array<{ displayName: string }>;
		expect(evaluate({ operation: 'apply' }).map((o) => o.displayName)).toEqual([
			'Applied',
			'Skipped',
			'Invalid',
		]);
		expect(evaluate({ operation: 'set' }).map((o) => o.displayName)).toEqual([
			'Applied',
			'Skipped',
			'Invalid',
		]);
		expect(evaluate({ operation: 'get' }).map((o) => o.displayName)).toEqual(['Done']);
		expect(evaluate({}).map((o) => o.displayName)).toEqual(['Applied', 'Skipped', 'Invalid']);
	});

	it('Lua files follow <verb><Object>[-<N>].lua and carry a header comment', () => {
		for (const file of ['applyEvents.lua', 'setCounts.lua', 'markSkus.lua', 'saveProfile-1.lua']) {
			expect(() => parseScriptFileName(file)).not.toThrow();
			const text = readFileSync(join(DIR, 'lua', file), 'utf8');
			expect(text.startsWith('--[[')).toBe(true);
			expect(text).toMatch(/Output/);
		}
	});
});
