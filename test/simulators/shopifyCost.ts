import {
	type DocumentNode,
	type FieldNode,
	type FragmentDefinitionNode,
	type GraphQLField,
	type GraphQLObjectType,
	type GraphQLSchema,
	type OperationDefinitionNode,
	type SelectionSetNode,
	Kind,
	getArgumentValues,
	getNamedType,
	getNullableType,
	isLeafType,
	isListType,
	isObjectType,
	isAbstractType,
} from 'graphql';

/**
 * Calculated query cost of the Shopify Admin GraphQL API (shopify.dev/docs/apps/build/apis/graphql-admin/
 * rate-limits, "Cost calculation"), and the bucket that pays for it.
 *
 * Field costs, as documented: scalar and enum 0; object 1; interface/union the maximum of the possible
 * selections; connection 2 plus its page size (`first`/`last`) times the cost of one node; a mutation's root
 * field 10. `requestedQueryCost` is computed statically from the page sizes asked for, before running;
 * `actualQueryCost` the same way from what was returned. A single query may cost at most 1,000 points
 * (MAX_COST_EXCEEDED); the bucket (leaky, `maximumAvailable`, `restoreRate`) pays the requested cost up front
 * and is refunded the difference after the run.
 *
 * Two rules are ours, the docs being silent: a plain list field with a `first` argument (Order.refunds) is sized
 * like a connection (page size × item cost), without the connection's 2 points; a list field with a list
 * argument and no page size (`nodes(ids:)`, `InventoryLevel.quantities(names:)`) is sized by that list's length
 * (each id or name asked for one object), as its actual cost is.
 */

export interface ThrottleStatus {
	maximumAvailable: number;
	currentlyAvailable: number;
	restoreRate: number;
}

/**
 * Where throttling plugs in. The simulator asks `take(requested)` before executing a query (false = answer
 * THROTTLED, nothing applied), `refund(requested − actual)` after, and reports `status()` in every response.
 */
export interface CostBucket {
	take(points: number, nowMs: number): boolean;
	refund(points: number, nowMs: number): void;
	status(nowMs: number): ThrottleStatus;
}

/**
 * The default: a bucket that is always full before each request (no throttling yet). Each response reports
 * the bucket as full minus the request's own cost, as Shopify's first request after idling does.
 */
export class UnmeteredCostBucket implements CostBucket {
	private last = 0;
	constructor(
		readonly maximumAvailable = 1000,
		readonly restoreRate = 100,
	) {}
	take(points: number): boolean {
		this.last = points;
		return true;
	}
	refund(points: number): void {
		this.last = Math.max(0, this.last - points);
	}
	status(): ThrottleStatus {
		return {
			maximumAvailable: this.maximumAvailable,
			currentlyAvailable: Math.max(0, this.maximumAvailable - this.last),
			restoreRate: this.restoreRate,
		};
	}
}

/**
 * A real leaky bucket (opt-in): `currentlyAvailable` restores at `restoreRate` points/s up to
 * `maximumAvailable`; a request whose requested cost exceeds what is available is throttled.
 */
export class LeakyCostBucket implements CostBucket {
	private available: number;
	private at: number;
	constructor(
		readonly maximumAvailable = 1000,
		readonly restoreRate = 100,
		nowMs = Date.now(),
	) {
		this.available = maximumAvailable;
		this.at = nowMs;
	}
	private restore(nowMs: number): void {
		const elapsed = Math.max(0, nowMs - this.at) / 1000;
		this.available = Math.min(this.maximumAvailable, this.available + elapsed * this.restoreRate);
		this.at = nowMs;
	}
	take(points: number, nowMs: number): boolean {
		this.restore(nowMs);
		if (points > this.available) return false;
		this.available -= points;
		return true;
	}
	refund(points: number, nowMs: number): void {
		this.restore(nowMs);
		this.available = Math.min(this.maximumAvailable, this.available + points);
	}
	status(nowMs: number): ThrottleStatus {
		this.restore(nowMs);
		return {
			maximumAvailable: this.maximumAvailable,
			currentlyAvailable: Math.floor(this.available),
			restoreRate: this.restoreRate,
		};
	}
}

const MUTATION_COST = 10;
const CONNECTION_COST = 2;

interface CostContext {
	schema: GraphQLSchema;
	fragments: Record<string, FragmentDefinitionNode>;
	variables: Record<string, unknown>;
}

function isConnectionType(t: GraphQLObjectType): boolean {
	return t.name.endsWith('Connection') && 'edges' in t.getFields();
}

function pageSize(args: Record<string, unknown>): number {
	const first = args.first;
	const last = args.last;
	if (typeof first === 'number') return first;
	if (typeof last === 'number') return last;
	return 0;
}

function fieldsOf(
	ctx: CostContext,
	selectionSet: SelectionSetNode,
	type: GraphQLObjectType,
	out: FieldNode[] = [],
): FieldNode[] {
	for (const sel of selectionSet.selections) {
		if (sel.kind === Kind.FIELD) out.push(sel);
		else if (sel.kind === Kind.INLINE_FRAGMENT) {
			const cond = sel.typeCondition?.name.value;
			if (!cond || cond === type.name || type.getInterfaces().some((i) => i.name === cond)) {
				fieldsOf(ctx, sel.selectionSet, type, out);
			}
		} else if (sel.kind === Kind.FRAGMENT_SPREAD) {
			const frag = ctx.fragments[sel.name.value];
			if (frag) fieldsOf(ctx, frag.selectionSet, type, out);
		}
	}
	return out;
}

/**
 * Cost of `selectionSet` on an object of `type`. With `data` (the result object for this selection), page
 * sizes are what was returned (actual cost); without it, what was asked (requested cost).
 */
function selectionCost(
	ctx: CostContext,
	selectionSet: SelectionSetNode,
	type: GraphQLObjectType,
	data: Record<string, unknown> | null | undefined,
	actual: boolean,
): number {
	let total = 0;
	for (const node of fieldsOf(ctx, selectionSet, type)) {
		const name = node.name.value;
		if (name.startsWith('__')) continue;
		const def = type.getFields()[name];
		if (!def) continue;
		const value = data ? data[node.alias?.value ?? name] : undefined;
		total += fieldCost(ctx, node, def, value, actual);
	}
	return total;
}

function objectTypesOf(
	ctx: CostContext,
	named: ReturnType<typeof getNamedType>,
): GraphQLObjectType[] {
	if (isObjectType(named)) return [named];
	if (isAbstractType(named)) return [...ctx.schema.getPossibleTypes(named)];
	return [];
}

function maxOver(
	ctx: CostContext,
	types: GraphQLObjectType[],
	selectionSet: SelectionSetNode,
	data: Record<string, unknown> | null | undefined,
	actual: boolean,
): number {
	let best = 0;
	for (const t of types) best = Math.max(best, selectionCost(ctx, selectionSet, t, data, actual));
	return best;
}

function fieldCost(
	ctx: CostContext,
	node: FieldNode,
	def: GraphQLField<unknown, unknown>,
	value: unknown,
	actual: boolean,
): number {
	const named = getNamedType(def.type);
	if (isLeafType(named) || !node.selectionSet) return 0;
	const args = getArgumentValues(def, node, ctx.variables);
	const types = objectTypesOf(ctx, named);
	if (isObjectType(named) && isConnectionType(named)) {
		// Connection: 2 + page size × one node (edges.node and nodes are the same objects: count the dearer).
		const edgeField = named.getFields().edges;
		const nodesField = named.getFields().nodes;
		let perNode = 0;
		const conn = (value ?? null) as Record<string, unknown> | null;
		for (const f of fieldsOf(ctx, node.selectionSet, named)) {
			if (f.name.value === 'edges' && edgeField && f.selectionSet) {
				const edgeType = getNamedType(edgeField.type) as GraphQLObjectType;
				for (const ef of fieldsOf(ctx, f.selectionSet, edgeType)) {
					if (ef.name.value !== 'node' || !ef.selectionSet) continue;
					const nodeTypes = objectTypesOf(ctx, getNamedType(edgeType.getFields().node.type));
					const edges = conn ? ((conn[f.alias?.value ?? 'edges'] as unknown[]) ?? []) : [];
					if (actual) {
						let sum = 0;
						for (const e of edges) {
							const n = (e as Record<string, unknown>)[ef.alias?.value ?? 'node'] as Record<
								string,
								unknown
							>;
							sum += 1 + maxOver(ctx, nodeTypes, ef.selectionSet, n, true);
						}
						perNode = Math.max(perNode, sum);
					} else {
						perNode = Math.max(perNode, 1 + maxOver(ctx, nodeTypes, ef.selectionSet, null, false));
					}
				}
			} else if (f.name.value === 'nodes' && nodesField && f.selectionSet) {
				const nodeTypes = objectTypesOf(ctx, getNamedType(nodesField.type));
				const nodes = conn ? ((conn[f.alias?.value ?? 'nodes'] as unknown[]) ?? []) : [];
				if (actual) {
					let sum = 0;
					for (const n of nodes)
						sum += 1 + maxOver(ctx, nodeTypes, f.selectionSet, n as Record<string, unknown>, true);
					perNode = Math.max(perNode, sum);
				} else {
					perNode = Math.max(perNode, 1 + maxOver(ctx, nodeTypes, f.selectionSet, null, false));
				}
			}
		}
		if (actual) return value == null ? 0 : CONNECTION_COST + perNode;
		return CONNECTION_COST + pageSize(args) * perNode;
	}
	if (isListType(getNullableType(def.type))) {
		if (actual) {
			const list = Array.isArray(value) ? value : [];
			let sum = 0;
			for (const item of list)
				sum += 1 + maxOver(ctx, types, node.selectionSet, item as Record<string, unknown>, true);
			return sum;
		}
		const listArg = Object.values(args).find((a) => Array.isArray(a)) as unknown[] | undefined;
		const size = 'first' in args || 'last' in args ? pageSize(args) : listArg ? listArg.length : 1;
		return size * (1 + maxOver(ctx, types, node.selectionSet, null, false));
	}
	if (actual && value == null) return 0;
	return (
		1 +
		maxOver(
			ctx,
			types,
			node.selectionSet,
			actual ? (value as Record<string, unknown>) : null,
			actual,
		)
	);
}

export interface QueryCost {
	requested: number;
	actual: (data: Record<string, unknown> | null | undefined) => number;
}

/** Cost of one operation of a validated document, with coerced variables. */
export function queryCost(
	schema: GraphQLSchema,
	document: DocumentNode,
	operation: OperationDefinitionNode,
	variables: Record<string, unknown>,
): QueryCost {
	const fragments: Record<string, FragmentDefinitionNode> = {};
	for (const def of document.definitions) {
		if (def.kind === Kind.FRAGMENT_DEFINITION) fragments[def.name.value] = def;
	}
	const ctx: CostContext = { schema, fragments, variables };
	if (operation.operation === 'mutation') {
		const rootType = schema.getMutationType() as GraphQLObjectType;
		const n = fieldsOf(ctx, operation.selectionSet, rootType).filter(
			(f) => !f.name.value.startsWith('__'),
		).length;
		return { requested: n * MUTATION_COST, actual: () => n * MUTATION_COST };
	}
	const rootType = schema.getQueryType() as GraphQLObjectType;
	return {
		requested: selectionCost(ctx, operation.selectionSet, rootType, null, false),
		actual: (data) => selectionCost(ctx, operation.selectionSet, rootType, data ?? {}, true),
	};
}
