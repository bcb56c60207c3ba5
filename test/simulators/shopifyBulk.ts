import {
	GraphQLError,
	Kind,
	getArgumentValues,
	getNamedType,
	getNullableType,
	isAbstractType,
	isLeafType,
	isListType,
	isObjectType,
	parse,
	validate,
	type DocumentNode,
	type FieldNode,
	type FragmentDefinitionNode,
	type GraphQLField,
	type GraphQLObjectType,
	type GraphQLSchema,
	type SelectionSetNode,
} from 'graphql';
import { isoPrecise } from './shopifyInventory';
import { splitGid } from './shopifyGraphql';

/**
 * Bulk query operations (shopify.dev/docs/api/usage/bulk-operations/queries, BulkOperation in the Admin
 * GraphQL reference), as the simulator serves them:
 *
 * - `bulkOperationRunQuery(query:, groupObjects:)` checks the inner query (parses and validates against the
 *   simulator's schema; one query operation; at least one connection; at most 5 connections; connections
 *   nested at most 2 deep; a nested connection's parent selects `id`) — any problem is a userError (code
 *   INVALID, wording the simulator's) and no operation is created. Connection page arguments in the inner
 *   query are ignored: every page is read.
 * - Concurrency: the mutation's reference (2026-07, unstable) says "one bulk query operation … at a time per
 *   shop", the bulk guide says up to five from 2026-01. Default 1 (`maxConcurrentBulkQueries`): a second run
 *   while one is CREATED/RUNNING answers the userError OPERATION_IN_PROGRESS "A bulk query operation for this
 *   app and shop is already in progress: <gid>."; with a higher limit, LIMIT_REACHED when it is reached.
 * - Status moves CREATED → RUNNING → COMPLETED on timers: `stepMs` after creation it is RUNNING (the data are
 *   read then, a snapshot), `objectCount`/`rootObjectCount` grow over `runningSteps` further steps, then it is
 *   COMPLETED with `completedAt`, `fileSize` and `url` (null when the query found no object, as Shopify
 *   answers). `currentBulkOperation(type: QUERY)` is the shop's most recent query operation; `node(id:)` finds
 *   any. `bulkOperationCancel` → CANCELING, then CANCELED at the next step. `failNext(errorCode)` makes the next
 *   operation FAILED with that code and a `partialDataUrl` of the first half of its lines.
 * - The JSONL (one object per line, "\/" escaped as Shopify's writer does): each node of a connection is its
 *   own line; nested connections are left out of their parent's line, their nodes follow it with
 *   `"__parentId"` = the parent's `id`; objects that are not connections stay inline. Children come after
 *   their parent (here directly after it).
 * - The URL (the simulator's own server, no auth — like Shopify's signed storage URL) expires 7 days after
 *   completion on the simulator's clock; then GET answers 403 as the storage does.
 */

export type BulkStatus =
	| 'CREATED'
	| 'RUNNING'
	| 'COMPLETED'
	| 'FAILED'
	| 'CANCELING'
	| 'CANCELED'
	| 'EXPIRED';

export interface BulkOperationRecord {
	/** Numeric id. */
	id: string;
	type: 'QUERY' | 'MUTATION';
	status: BulkStatus;
	errorCode: string | null;
	query: string;
	createdAt: number;
	completedAt: number | null;
	objectCount: number;
	rootObjectCount: number;
	/** The JSONL lines, read when the operation starts running. */
	lines: string[] | null;
	/** Lines served at `url` / `partialDataUrl` once finished. */
	file: Buffer | null;
	partial: boolean;
	/** Every status the operation had, in order, with when (simulator clock). */
	history: Array<{ status: BulkStatus; at: number }>;
}

export const BULK_SDL = /* GraphQL */ `
	enum BulkOperationStatus {
		CANCELED
		CANCELING
		COMPLETED
		CREATED
		EXPIRED
		FAILED
		RUNNING
	}
	enum BulkOperationErrorCode {
		ACCESS_DENIED
		INTERNAL_SERVER_ERROR
		TIMEOUT
	}
	enum BulkOperationType {
		MUTATION
		QUERY
	}
	enum BulkOperationUserErrorCode {
		INVALID
		LIMIT_REACHED
		OPERATION_IN_PROGRESS
	}

	type BulkOperation implements Node {
		id: ID!
		completedAt: DateTime
		createdAt: DateTime!
		errorCode: BulkOperationErrorCode
		fileSize: UnsignedInt64
		objectCount: UnsignedInt64!
		partialDataUrl: URL
		query: String!
		rootObjectCount: UnsignedInt64!
		status: BulkOperationStatus!
		type: BulkOperationType!
		url: URL
	}

	type BulkOperationUserError {
		code: BulkOperationUserErrorCode
		field: [String!]
		message: String!
	}

	type BulkOperationRunQueryPayload {
		bulkOperation: BulkOperation
		userErrors: [BulkOperationUserError!]!
	}

	type BulkOperationCancelPayload {
		bulkOperation: BulkOperation
		userErrors: [UserError!]!
	}

	extend type Query {
		currentBulkOperation(type: BulkOperationType = QUERY): BulkOperation
	}

	extend type Mutation {
		bulkOperationRunQuery(
			query: String!
			groupObjects: Boolean! = false
		): BulkOperationRunQueryPayload
		bulkOperationCancel(id: ID!): BulkOperationCancelPayload
	}
`;

export interface BulkHooks {
	nowMs(): number;
	/** Base URL of the simulator's server (the JSONL is served there). */
	baseUrl(): string;
	stepMs(): number;
	runningSteps(): number;
	maxConcurrent(): number;
	/** Called when an operation reaches COMPLETED, FAILED or CANCELED (bulk_operations/finish). */
	onFinish(op: BulkOperationRecord): void;
}

const MAX_CONNECTIONS = 5;
const MAX_DEPTH = 2;
const PAGE = 250;
const URL_LIFETIME_MS = 7 * 24 * 3600 * 1000;
const ACTIVE: BulkStatus[] = ['CREATED', 'RUNNING', 'CANCELING'];

function gidOf(id: string): string {
	return `gid://shopify/BulkOperation/${id}`;
}

function isConnection(t: GraphQLObjectType): boolean {
	return t.name.endsWith('Connection') && 'edges' in t.getFields();
}

/** Shopify's JSONL writer escapes forward slashes ("gid:\/\/shopify\/…"). */
function jsonLine(o: Record<string, unknown>): string {
	return JSON.stringify(o).replace(/\//g, '\\/');
}

type Resolved = Record<string, unknown>;

export class ShopifyBulk {
	readonly operations = new Map<string, BulkOperationRecord>();
	private seq = 0;
	private schema?: GraphQLSchema;
	private rootValue?: Record<string, unknown>;
	private readonly timers = new Set<NodeJS.Timeout>();
	private failNextCode: string | null = null;

	constructor(private readonly hooks: BulkHooks) {}

	bind(schema: GraphQLSchema, rootValue: Record<string, unknown>): void {
		this.schema = schema;
		this.rootValue = rootValue;
	}

	/** The next operation fails (FAILED, `errorCode`) with a partial file of half its lines. */
	failNext(
		errorCode: 'INTERNAL_SERVER_ERROR' | 'TIMEOUT' | 'ACCESS_DENIED' = 'INTERNAL_SERVER_ERROR',
	): void {
		this.failNextCode = errorCode;
	}

	/** Stop every timer (the simulator is stopping). */
	close(): void {
		for (const t of this.timers) clearTimeout(t);
		this.timers.clear();
	}

	/** The file of operation `id` for GET, or a status to answer. */
	download(id: string, partial: boolean): { status: number; body: Buffer } {
		const op = this.operations.get(id);
		if (!op || !op.file || op.partial !== partial || op.completedAt === null) {
			return {
				status: 404,
				body: Buffer.from(
					'<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>',
				),
			};
		}
		if (this.hooks.nowMs() > op.completedAt + URL_LIFETIME_MS) {
			return {
				status: 403,
				body: Buffer.from(
					'<?xml version="1.0" encoding="UTF-8"?><Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message></Error>',
				),
			};
		}
		return { status: 200, body: op.file };
	}

	private fileUrl(op: BulkOperationRecord): string {
		const expires = Math.floor(((op.completedAt ?? 0) + URL_LIFETIME_MS) / 1000);
		const kind = op.partial ? 'partial' : 'result';
		return `${this.hooks.baseUrl()}/bulk-operations/${op.id}/${kind}.jsonl?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Expires=604800&X-Goog-Signature=${op.id}${expires}`;
	}

	gql(op: BulkOperationRecord): Record<string, unknown> {
		const done = op.status === 'COMPLETED' || op.status === 'FAILED';
		return {
			__typename: 'BulkOperation',
			id: gidOf(op.id),
			completedAt:
				op.completedAt === null ? null : isoPrecise(Math.floor(op.completedAt / 1000) * 1000),
			createdAt: isoPrecise(Math.floor(op.createdAt / 1000) * 1000),
			errorCode: op.errorCode,
			fileSize: done && op.file && op.file.length > 0 ? String(op.file.length) : null,
			objectCount: String(op.objectCount),
			rootObjectCount: String(op.rootObjectCount),
			partialDataUrl:
				op.status === 'FAILED' && op.file && op.file.length > 0 ? this.fileUrl(op) : null,
			url: op.status === 'COMPLETED' && op.file && op.file.length > 0 ? this.fileUrl(op) : null,
			query: op.query,
			status: op.status,
			type: op.type,
		};
	}

	nodeById(id: string): Record<string, unknown> | null {
		const op = this.operations.get(id);
		return op ? this.gql(op) : null;
	}

	private schedule(fn: () => void): void {
		const t = setTimeout(() => {
			this.timers.delete(t);
			fn();
		}, this.hooks.stepMs());
		this.timers.add(t);
	}

	private setStatus(op: BulkOperationRecord, status: BulkStatus): void {
		op.status = status;
		op.history.push({ status, at: this.hooks.nowMs() });
	}

	private finish(op: BulkOperationRecord, status: BulkStatus): void {
		this.setStatus(op, status);
		op.completedAt = this.hooks.nowMs();
		this.hooks.onFinish(op);
	}

	private advance(op: BulkOperationRecord, step: number): void {
		if (op.status === 'CANCELING') {
			op.lines = null;
			this.finish(op, 'CANCELED');
			return;
		}
		if (op.status === 'CREATED') {
			this.setStatus(op, 'RUNNING');
			try {
				op.lines = this.run(op.query);
			} catch {
				op.lines = [];
				op.errorCode = 'INTERNAL_SERVER_ERROR';
				op.file = Buffer.alloc(0);
				op.partial = true;
				this.finish(op, 'FAILED');
				return;
			}
			this.schedule(() => this.advance(op, 1));
			return;
		}
		const lines = op.lines ?? [];
		const steps = Math.max(1, this.hooks.runningSteps());
		const failing = op.errorCode !== null;
		const shown = failing
			? Math.floor(lines.length / 2)
			: Math.floor((lines.length * Math.min(step, steps)) / steps);
		op.objectCount = shown;
		op.rootObjectCount = lines.slice(0, shown).filter((l) => !l.includes('"__parentId"')).length;
		if (failing) {
			op.file = Buffer.from(
				lines
					.slice(0, shown)
					.map((l) => `${l}\n`)
					.join(''),
			);
			op.partial = true;
			op.lines = null;
			this.finish(op, 'FAILED');
			return;
		}
		if (step >= steps) {
			op.file = Buffer.from(lines.map((l) => `${l}\n`).join(''));
			op.partial = false;
			op.lines = null;
			this.finish(op, 'COMPLETED');
			return;
		}
		this.schedule(() => this.advance(op, step + 1));
	}

	/* ---------------------------------------------------------------------------- the inner query ---- */

	private fragments: Record<string, FragmentDefinitionNode> = {};

	private fieldsOf(
		selectionSet: SelectionSetNode,
		typeName: string,
		out: FieldNode[] = [],
	): FieldNode[] {
		for (const sel of selectionSet.selections) {
			if (sel.kind === Kind.FIELD) out.push(sel);
			else if (sel.kind === Kind.INLINE_FRAGMENT) {
				const cond = sel.typeCondition?.name.value;
				if (!cond || this.typeMatches(cond, typeName))
					this.fieldsOf(sel.selectionSet, typeName, out);
			} else {
				const frag = this.fragments[sel.name.value];
				if (frag && this.typeMatches(frag.typeCondition.name.value, typeName))
					this.fieldsOf(frag.selectionSet, typeName, out);
			}
		}
		return out;
	}

	private typeMatches(cond: string, typeName: string): boolean {
		if (cond === typeName) return true;
		const t = this.schema?.getType(typeName);
		return isObjectType(t) && t.getInterfaces().some((i) => i.name === cond);
	}

	/** Problems of an inner query, as Shopify's checks name them (wording the simulator's). */
	check(document: DocumentNode): string | null {
		const schema = this.schema as GraphQLSchema;
		const errors = validate(schema, document);
		if (errors.length > 0) return `Invalid bulk query: ${errors[0].message}`;
		const ops = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
		if (
			ops.length !== 1 ||
			ops[0].kind !== Kind.OPERATION_DEFINITION ||
			ops[0].operation !== 'query'
		)
			return 'Bulk queries must contain exactly one query operation.';
		if ((ops[0].variableDefinitions ?? []).length > 0) return 'Bulk queries cannot use variables.';
		this.fragments = {};
		for (const d of document.definitions)
			if (d.kind === Kind.FRAGMENT_DEFINITION) this.fragments[d.name.value] = d;
		const root = schema.getQueryType() as GraphQLObjectType;
		const top = this.fieldsOf(ops[0].selectionSet, root.name);
		if (top.length !== 1) return 'Bulk queries must select a single top-level field.';
		let connections = 0;
		let problem: string | null = null;
		const walk = (
			sel: SelectionSetNode,
			type: GraphQLObjectType,
			depth: number,
			inList: boolean,
		) => {
			for (const f of this.fieldsOf(sel, type.name)) {
				const def = type.getFields()[f.name.value];
				if (!def || !f.selectionSet) continue;
				const named = getNamedType(def.type);
				const targets = isObjectType(named)
					? [named]
					: isAbstractType(named)
						? [...schema.getPossibleTypes(named)]
						: [];
				for (const t of targets) {
					if (isConnection(t)) {
						connections++;
						if (depth + 1 > MAX_DEPTH)
							problem ??= `Bulk queries cannot contain connections with a nesting depth greater than ${MAX_DEPTH}.`;
						if (depth >= 1) {
							const parentFields = this.fieldsOf(sel, type.name).map((x) =>
								x.alias ? '' : x.name.value,
							);
							if (!parentFields.includes('id'))
								problem ??= `The parent 'node' field for a nested connection must select the 'id' field without an alias and must be of 'ID' return type. Connection fields without 'id': ${f.name.value}.`;
						}
						if (inList)
							problem ??=
								'Queries that contain a connection field within a list field are not currently supported.';
						for (const node of this.connectionNodeSelections(f, t))
							walk(node.selectionSet, node.type, depth + 1, false);
					} else {
						walk(f.selectionSet, t, depth, inList || isListType(getNullableType(def.type)));
					}
				}
			}
		};
		walk(ops[0].selectionSet, root, 0, false);
		if (problem) return problem;
		if (connections === 0) return 'Bulk queries must contain at least one connection.';
		if (connections > MAX_CONNECTIONS)
			return `Bulk queries cannot contain more than ${MAX_CONNECTIONS} connections.`;
		return null;
	}

	/** The `edges { node { … } }` and `nodes { … }` selections of a connection field. */
	private connectionNodeSelections(
		field: FieldNode,
		conn: GraphQLObjectType,
	): Array<{ selectionSet: SelectionSetNode; type: GraphQLObjectType }> {
		const out: Array<{ selectionSet: SelectionSetNode; type: GraphQLObjectType }> = [];
		if (!field.selectionSet) return out;
		const nodeType = getNamedType(conn.getFields().nodes?.type ?? conn.getFields().edges.type);
		const nodeTypes = (t: ReturnType<typeof getNamedType>): GraphQLObjectType[] =>
			isObjectType(t)
				? [t]
				: isAbstractType(t)
					? [...(this.schema as GraphQLSchema).getPossibleTypes(t)]
					: [];
		for (const f of this.fieldsOf(field.selectionSet, conn.name)) {
			if (f.name.value === 'edges' && f.selectionSet) {
				const edgeType = getNamedType(conn.getFields().edges.type) as GraphQLObjectType;
				for (const ef of this.fieldsOf(f.selectionSet, edgeType.name)) {
					if (ef.name.value === 'node' && ef.selectionSet)
						for (const t of nodeTypes(getNamedType(edgeType.getFields().node.type)))
							out.push({ selectionSet: ef.selectionSet, type: t });
				}
			} else if (f.name.value === 'nodes' && f.selectionSet) {
				for (const t of nodeTypes(nodeType)) out.push({ selectionSet: f.selectionSet, type: t });
			}
		}
		return out;
	}

	/** Run a checked inner query: every page of every connection, flattened to JSONL lines. */
	private run(query: string): string[] {
		const schema = this.schema as GraphQLSchema;
		const document = parse(query);
		this.fragments = {};
		for (const d of document.definitions)
			if (d.kind === Kind.FRAGMENT_DEFINITION) this.fragments[d.name.value] = d;
		const op = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
		if (!op || op.kind !== Kind.OPERATION_DEFINITION) return [];
		const lines: string[] = [];
		const root = schema.getQueryType() as GraphQLObjectType;
		const pending: Array<() => void> = [];
		const top = this.project(this.rootValue ?? {}, root, op.selectionSet, null, lines, pending);
		void top;
		for (const p of pending) p();
		return lines;
	}

	/** Call a field's value (a resolver function takes the arguments) and return what it resolves to. */
	private resolve(obj: Resolved, key: string, args: Record<string, unknown>): unknown {
		const v = obj[key];
		return typeof v === 'function'
			? (v as (a: unknown, c: unknown) => unknown)(args, { apiVersion: 'unstable' })
			: v;
	}

	/**
	 * The inline JSON of `obj` for `selectionSet` on `type`; connection fields are not inlined: a job that emits
	 * their nodes (each with `__parentId` = `parentIdForChildren`) is pushed to `pending`.
	 */
	private project(
		obj: Resolved,
		type: GraphQLObjectType,
		selectionSet: SelectionSetNode,
		parentIdForChildren: string | null,
		lines: string[],
		pending: Array<() => void>,
	): Record<string, unknown> {
		const out: Record<string, unknown> = {};
		// Nested connections name the node of the enclosing connection as their parent (not an inline object).
		const myId = parentIdForChildren;
		for (const f of this.fieldsOf(selectionSet, type.name)) {
			const key = f.alias?.value ?? f.name.value;
			if (f.name.value === '__typename') {
				out[key] = (obj.__typename as string | undefined) ?? type.name;
				continue;
			}
			const def = type.getFields()[f.name.value] as GraphQLField<unknown, unknown>;
			const args = getArgumentValues(def, f, {});
			const named = getNamedType(def.type);
			if (isObjectType(named) && isConnection(named)) {
				const parentId = type === this.schema?.getQueryType() ? null : myId;
				pending.push(() => this.emitConnection(obj, f, def, named, args, parentId, lines));
				continue;
			}
			const value = this.resolve(obj, f.name.value, args);
			out[key] = this.shape(value, def, f, lines, pending, myId);
		}
		return out;
	}

	private shape(
		value: unknown,
		def: GraphQLField<unknown, unknown>,
		f: FieldNode,
		lines: string[],
		pending: Array<() => void>,
		parentId: string | null,
	): unknown {
		if (value === null || value === undefined) return null;
		const named = getNamedType(def.type);
		if (isLeafType(named) || !f.selectionSet) return value;
		const one = (v: unknown) => {
			if (v === null || v === undefined) return null;
			const o = v as Resolved;
			const t = isObjectType(named)
				? named
				: ((this.schema as GraphQLSchema).getType(String(o.__typename)) as GraphQLObjectType);
			return this.project(o, t, f.selectionSet as SelectionSetNode, parentId, lines, pending);
		};
		return Array.isArray(value) ? value.map(one) : one(value);
	}

	private emitConnection(
		obj: Resolved,
		f: FieldNode,
		def: GraphQLField<unknown, unknown>,
		conn: GraphQLObjectType,
		args: Record<string, unknown>,
		parentId: string | null,
		lines: string[],
	): void {
		const selections = this.connectionNodeSelections(f, conn);
		const base = { ...args };
		delete base.first;
		delete base.last;
		delete base.before;
		let after: string | null = null;
		for (;;) {
			const page = this.resolve(obj, f.name.value, { ...base, first: PAGE, after }) as {
				edges: Array<{ cursor: string; node: Resolved }>;
				pageInfo: { hasNextPage: boolean; endCursor: string | null };
			};
			for (const e of page.edges) {
				const node = e.node;
				const typeName =
					(node.__typename as string | undefined) ?? getNamedType(conn.getFields().edges.type).name;
				for (const s of selections) {
					if (s.type.name !== typeName && selections.length > 1) continue;
					const pending: Array<() => void> = [];
					const line = this.project(
						node,
						s.type,
						s.selectionSet,
						typeof node.id === 'string' ? node.id : null,
						lines,
						pending,
					);
					if (parentId !== null) line.__parentId = parentId;
					lines.push(jsonLine(line));
					for (const p of pending) p();
					break;
				}
			}
			if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) break;
			after = page.pageInfo.endCursor;
		}
		void def;
	}

	/* ---------------------------------------------------------------------------- resolvers ---- */

	resolvers(): Record<string, unknown> {
		return {
			currentBulkOperation: (args: { type?: string }) => {
				const type = args.type ?? 'QUERY';
				const mine = [...this.operations.values()].filter((o) => o.type === type);
				const last = mine[mine.length - 1];
				return last ? this.gql(last) : null;
			},

			bulkOperationRunQuery: (args: { query: string; groupObjects?: boolean }) => {
				const userError = (code: string, message: string, field: string[] | null = ['query']) => ({
					bulkOperation: null,
					userErrors: [{ code, field, message }],
				});
				let document: DocumentNode;
				try {
					document = parse(args.query);
				} catch (e) {
					return userError(
						'INVALID',
						`Invalid bulk query: ${e instanceof GraphQLError ? e.message : String(e)}`,
					);
				}
				const problem = this.check(document);
				if (problem) return userError('INVALID', problem);
				const active = [...this.operations.values()].filter(
					(o) => o.type === 'QUERY' && ACTIVE.includes(o.status),
				);
				const limit = this.hooks.maxConcurrent();
				if (active.length >= limit) {
					return limit <= 1
						? userError(
								'OPERATION_IN_PROGRESS',
								`A bulk query operation for this app and shop is already in progress: ${gidOf(active[0].id)}.`,
								null,
							)
						: userError(
								'LIMIT_REACHED',
								'Bulk operations limit reached. Please try again later.',
								null,
							);
				}
				const op: BulkOperationRecord = {
					id: String(4_400_000_000_000 + ++this.seq),
					type: 'QUERY',
					status: 'CREATED',
					errorCode: null,
					query: args.query,
					createdAt: this.hooks.nowMs(),
					completedAt: null,
					objectCount: 0,
					rootObjectCount: 0,
					lines: null,
					file: null,
					partial: false,
					history: [{ status: 'CREATED', at: this.hooks.nowMs() }],
				};
				if (this.failNextCode) {
					op.errorCode = this.failNextCode;
					this.failNextCode = null;
				}
				this.operations.set(op.id, op);
				this.schedule(() => this.advance(op, 0));
				return { bulkOperation: this.gql(op), userErrors: [] };
			},

			bulkOperationCancel: (args: { id: string }) => {
				const p = splitGid(args.id);
				const op = p.type === 'BulkOperation' ? this.operations.get(p.id) : undefined;
				if (!op) {
					return {
						bulkOperation: null,
						userErrors: [{ field: ['id'], message: 'Bulk operation does not exist' }],
					};
				}
				if (op.status !== 'CREATED' && op.status !== 'RUNNING') {
					return {
						bulkOperation: this.gql(op),
						userErrors: [
							{
								field: null,
								message: `A bulk operation cannot be canceled when it is ${op.status.toLowerCase()}`,
							},
						],
					};
				}
				this.setStatus(op, 'CANCELING');
				return { bulkOperation: this.gql(op), userErrors: [] };
			},
		};
	}
}
