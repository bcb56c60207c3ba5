import fc from 'fast-check';
import { Workflow, type INodeTypes } from 'n8n-workflow';
import { DEFAULT_DEDUPE_KEY, defaultKeyOf } from '../../../nodes/InventoryGuard/guard';

/*
 * The Guard renders its default Key itself (guard.ts defaultKeyOf) instead of having n8n's expression engine
 * evaluate it for every item. Whatever it renders must be exactly what n8n renders for that expression, or
 * a claim and its commit made by different versions would name different events.
 */
const nodeTypes = {
	getByName: () => ({ description: { properties: [] } }),
	getByNameAndVersion: () => ({
		description: { properties: [], inputs: ['main'], outputs: ['main'] },
	}),
	getKnownTypes: () => ({}),
} as unknown as INodeTypes;
const workflow = new Workflow({
	id: 'w',
	nodes: [{ id: 'g', name: 'Guard', type: 't', typeVersion: 1, position: [0, 0], parameters: {} }],
	connections: {},
	active: false,
	nodeTypes,
});
const rendered = (json: Record<string, unknown>) =>
	workflow.expression.getParameterValue(
		DEFAULT_DEDUPE_KEY,
		null,
		0,
		0,
		'Guard',
		[{ json: json as never }],
		'internal',
		{},
	);

describe('the default Key rendered without n8n', () => {
	it('equals what n8n renders for text, finite numbers, null and missing fields', () => {
		const part = fc.oneof(
			fc.string(),
			fc.double({ noNaN: true, noDefaultInfinity: true }),
			fc.integer(),
			fc.constant(null),
			fc.constant(undefined),
		);
		fc.assert(
			fc.property(part, part, part, (id, version, quantity) => {
				const json: Record<string, unknown> = {};
				if (id !== undefined) json.id = id;
				if (version !== undefined) json.version = version;
				if (quantity !== undefined) json.quantity = quantity;
				expect(defaultKeyOf(json)).toBe(rendered(json));
			}),
			{ numRuns: 300 },
		);
	});

	it('a canonical event: its line at its version with its units', () => {
		const json = { id: 'shopify:s:order:1:line:2', version: 1_700_000_000_000, quantity: 3 };
		expect(defaultKeyOf(json)).toBe('shopify:s:order:1:line:2@1700000000000:3');
		expect(defaultKeyOf({ ...json, quantity: null })).toBe(
			'shopify:s:order:1:line:2@1700000000000:',
		);
	});

	it('leaves any other field shape to n8n (undefined)', () => {
		expect(defaultKeyOf({ id: 'x', version: 1, quantity: { a: 1 } })).toBeUndefined();
		expect(defaultKeyOf({ id: ['x'], version: 1, quantity: 1 })).toBeUndefined();
		expect(defaultKeyOf({ id: 'x', version: true, quantity: 1 })).toBeUndefined();
		expect(defaultKeyOf({ id: 'x', version: Number.NaN, quantity: 1 })).toBeUndefined();
	});
});
