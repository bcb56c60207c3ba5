import { type PageArgs, paginateSorted } from './shopifyGraphql';
import { compareTerm, matchesSearch, parseSearchQuery, searchDateMs } from './shopifySearch';
import {
	GraphQLError,
	getDirectiveValues,
	type GraphQLResolveInfo,
	type GraphQLSchema,
} from 'graphql';

/**
 * The simulated Shopify inventory (shopify.dev/docs/api/admin-graphql 2026-04+, platform-facts "Admin GraphQL
 * API"): inventory items (id, sku, tracked) with one level per location (`available`, `updatedAt` to the ms), the
 * mutations `inventorySetQuantities` and `inventoryAdjustQuantities`, and the `@idempotent(key:)` directive.
 *
 * What the docs say and what the simulator does (searched shopify.dev, Nov 2026):
 * - `InventoryQuantityInput.changeFromQuantity` (2026-04+): "If the location's current quantity doesn't match the
 *   value you provide, then the mutation fails with a CHANGE_FROM_QUANTITY_STALE error"; "To skip the CAS check,
 *   pass null"; "This field is mandatory: you must explicitly pass in a value, even if that value is null, or the
 *   mutation returns an error". The docs say the *mutation* fails: the simulator treats the call as one unit —
 *   any userError (a stale quantity, an unknown item, …) means nothing is applied for any quantity, the payload's
 *   `inventoryAdjustmentGroup` is null and every offending quantity gets its own userError with its index in
 *   `field` (["input","quantities","3","changeFromQuantity"]). That is the stricter reading: a client must never
 *   assume the other quantities of the batch went through. An omitted `changeFromQuantity` is a userError too
 *   (code null — the docs name no code for it; simulator wording).
 * - `InventoryAdjustmentGroup { id createdAt reason referenceDocumentUri changes { name delta quantityAfterChange
 *   ledgerDocumentUri item { id } location { id } } }` as in the schema. Setting or adjusting `available` also
 *   moves `on_hand` by the same delta (Shopify's answers list both names); the simulator models neither
 *   committed nor unavailable units, so on_hand = available. A quantity set to the value already there is no
 *   change: no InventoryChange and no webhook.
 * - Idempotency (shopify.dev/changelog "Making idempotency mandatory for inventory adjustments and refund
 *   mutations", effective 2026-04; docs/api/usage/implementing-idempotency): from 2026-04 a call without
 *   `@idempotent(key:)` is an error at runtime (a GraphQL error, the field is null; the wording is ours). A
 *   repeated key with the same mutation and the same arguments returns the first result and applies nothing; the
 *   same key with other arguments → userError IDEMPOTENCY_KEY_PARAMETER_MISMATCH; a key whose first attempt
 *   failed (userErrors) → IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED (a new key is needed). Keys are kept for a limited
 *   time (`idempotencyTtlMs`, default 24 h on the simulator's clock); after that a key is new again.
 * - Valid `name`: "available" and "on_hand" for set (others INVALID_NAME), quantity names for adjust (others
 *   INVALID_QUANTITY_NAME). The simulator models `available` only: "on_hand" and the other names are refused
 *   with a userError saying so. `reason` must be one of Shopify's reasons (INVALID_REASON otherwise).
 * - The 250 cap on array inputs is enforced before execution for every operation (shopify.ts).
 */

export interface InventoryLevelRecord {
	available: number;
	/** ms since epoch (GraphQL `InventoryLevel.updatedAt` is precise; webhook `updated_at` has seconds). */
	updatedAt: number;
}

export interface InventoryItemRecord {
	id: string;
	sku: string | null;
	tracked: boolean;
	/** ms since epoch; `updatedAt` moves when sku or tracked change (not when a level does). */
	createdAt: number;
	updatedAt: number;
	/** locationId → level. */
	levels: Map<string, InventoryLevelRecord>;
}

export interface InventoryChangeRecord {
	inventoryItemId: string;
	locationId: string;
	available: number;
	delta: number;
	updatedAt: number;
}

export interface InventoryLogEntry {
	op: 'mutation';
	name: 'inventorySetQuantities' | 'inventoryAdjustQuantities';
	/** Quantities (set) or changes (adjust) in the call. */
	count: number;
	/** Levels changed (0 on error or replay). */
	applied: number;
	userErrors: Array<string | null>;
	idempotencyKey: string | null;
	replayed: boolean;
	apiVersion: string;
}

export interface InventoryHooks {
	nowMs(): number;
	/** How long idempotency keys are kept (ms). */
	idempotencyTtlMs(): number;
	/** Called once per changed level after a mutation applied. */
	onChange(change: InventoryChangeRecord): void;
	record(entry: InventoryLogEntry): void;
	/** Location.name in answers (default `Location <id>`). */
	locationName?(id: string): string;
}

/** What `execute` passes as context (shopify.ts). */
export interface ShopifyRequestContext {
	apiVersion: string;
}

export const INVENTORY_SDL = /* GraphQL */ `
	directive @idempotent(key: String!) on FIELD

	type InventoryItem implements Node {
		id: ID!
		legacyResourceId: UnsignedInt64!
		sku: String
		tracked: Boolean!
		createdAt: DateTime!
		updatedAt: DateTime!
		inventoryLevel(locationId: ID!): InventoryLevel
		inventoryLevels(
			first: Int
			after: String
			last: Int
			before: String
			reverse: Boolean = false
			query: String
		): InventoryLevelConnection!
	}

	type InventoryItemEdge {
		cursor: String!
		node: InventoryItem!
	}
	type InventoryItemConnection {
		edges: [InventoryItemEdge!]!
		nodes: [InventoryItem!]!
		pageInfo: PageInfo!
	}

	type InventoryQuantity implements Node {
		id: ID!
		name: String!
		quantity: Int!
		updatedAt: DateTime
	}

	type InventoryLevel implements Node {
		id: ID!
		createdAt: DateTime!
		updatedAt: DateTime!
		canDeactivate: Boolean!
		item: InventoryItem!
		location: Location!
		quantities(names: [String!]!): [InventoryQuantity!]!
	}

	type InventoryLevelEdge {
		cursor: String!
		node: InventoryLevel!
	}
	type InventoryLevelConnection {
		edges: [InventoryLevelEdge!]!
		nodes: [InventoryLevel!]!
		pageInfo: PageInfo!
	}

	type InventoryChange {
		name: String!
		delta: Int!
		quantityAfterChange: Int
		ledgerDocumentUri: String
		item: InventoryItem
		location: Location
	}

	type InventoryAdjustmentGroup implements Node {
		id: ID!
		createdAt: DateTime!
		reason: String!
		referenceDocumentUri: String
		changes(
			inventoryItemIds: [ID!]
			locationIds: [ID!]
			quantityNames: [String!]
		): [InventoryChange!]!
	}

	input InventoryQuantityInput {
		inventoryItemId: ID!
		locationId: ID!
		quantity: Int!
		changeFromQuantity: Int
	}

	input InventorySetQuantitiesInput {
		name: String!
		reason: String!
		referenceDocumentUri: String
		quantities: [InventoryQuantityInput!]!
	}

	input InventoryChangeInput {
		inventoryItemId: ID!
		locationId: ID!
		delta: Int!
		ledgerDocumentUri: String
	}

	input InventoryAdjustQuantitiesInput {
		name: String!
		reason: String!
		referenceDocumentUri: String
		changes: [InventoryChangeInput!]!
	}

	enum InventorySetQuantitiesUserErrorCode {
		CHANGE_FROM_QUANTITY_STALE
		COMPARE_QUANTITY_REQUIRED
		COMPARE_QUANTITY_STALE
		IDEMPOTENCY_CONCURRENT_REQUEST
		IDEMPOTENCY_KEY_PARAMETER_MISMATCH
		IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED
		INVALID_INVENTORY_ITEM
		INVALID_LOCATION
		INVALID_NAME
		INVALID_QUANTITY_NEGATIVE
		INVALID_QUANTITY_TOO_HIGH
		INVALID_QUANTITY_TOO_LOW
		INVALID_REASON
		INVALID_REFERENCE_DOCUMENT
		ITEM_NOT_STOCKED_AT_LOCATION
		NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR
		NON_MUTABLE_INVENTORY_ITEM
	}

	type InventorySetQuantitiesUserError {
		code: InventorySetQuantitiesUserErrorCode
		field: [String!]
		message: String!
	}

	type InventorySetQuantitiesPayload {
		inventoryAdjustmentGroup: InventoryAdjustmentGroup
		userErrors: [InventorySetQuantitiesUserError!]!
	}

	enum InventoryAdjustQuantitiesUserErrorCode {
		IDEMPOTENCY_CONCURRENT_REQUEST
		IDEMPOTENCY_KEY_PARAMETER_MISMATCH
		IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED
		INTERNAL_LEDGER_DOCUMENT
		INVALID_AVAILABLE_DOCUMENT
		INVALID_INVENTORY_ITEM
		INVALID_LEDGER_DOCUMENT
		INVALID_LOCATION
		INVALID_QUANTITY_DOCUMENT
		INVALID_QUANTITY_NAME
		INVALID_QUANTITY_NEGATIVE
		INVALID_QUANTITY_TOO_HIGH
		INVALID_REASON
		INVALID_REFERENCE_DOCUMENT
		ITEM_NOT_STOCKED_AT_LOCATION
		MAX_ONE_LEDGER_DOCUMENT
		NON_MUTABLE_INVENTORY_ITEM
	}

	type InventoryAdjustQuantitiesUserError {
		code: InventoryAdjustQuantitiesUserErrorCode
		field: [String!]
		message: String!
	}

	type InventoryAdjustQuantitiesPayload {
		inventoryAdjustmentGroup: InventoryAdjustmentGroup
		userErrors: [InventoryAdjustQuantitiesUserError!]!
	}

	extend type Query {
		inventoryItem(id: ID!): InventoryItem
		inventoryItems(
			first: Int
			after: String
			last: Int
			before: String
			reverse: Boolean = false
			query: String
		): InventoryItemConnection!
		inventoryLevel(id: ID!): InventoryLevel
	}

	extend type Mutation {
		inventorySetQuantities(input: InventorySetQuantitiesInput!): InventorySetQuantitiesPayload
		inventoryAdjustQuantities(
			input: InventoryAdjustQuantitiesInput!
		): InventoryAdjustQuantitiesPayload
	}
`;

/** shopify.dev InventoryAdjustQuantitiesInput.reason: "The value must be one of the possible reasons." */
export const INVENTORY_REASONS = new Set([
	'correction',
	'cycle_count_available',
	'damaged',
	'movement_created',
	'movement_updated',
	'movement_received',
	'movement_canceled',
	'other',
	'promotion',
	'quality_control',
	'received',
	'reservation_created',
	'reservation_deleted',
	'reservation_updated',
	'restock',
	'safety_stock',
	'shrinkage',
]);

const ADJUST_NAMES = new Set([
	'available',
	'damaged',
	'incoming',
	'quality_control',
	'reserved',
	'safety_stock',
	'on_hand',
]);

const MAX_QUANTITY = 1_000_000_000;

/** Default key retention of the simulator (the docs call it "a limited time"). */
export const DEFAULT_IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

interface UserError {
	field: string[] | null;
	message: string;
	code: string | null;
}

interface Payload {
	inventoryAdjustmentGroup: unknown;
	userErrors: UserError[];
}

interface KeyRecord {
	fingerprint: string;
	payload: Payload;
	failed: boolean;
	expiresAt: number;
}

const GID = /^gid:\/\/shopify\/([A-Za-z]+)\/([0-9]+)(\?.*)?$/;

function gid(type: string, id: string): string {
	return `gid://shopify/${type}/${id}`;
}

/** Numeric id of a `type` GID, or null (a GID of another type, or a number given as text). */
function idOf(value: string, type: string): string | null {
	const m = GID.exec(value);
	if (!m) {
		throw new GraphQLError(`Invalid global id '${value}'`, {
			extensions: { code: 'argumentLiteralsIncompatible', typeName: 'CoercionError' },
		});
	}
	return m[1] === type ? m[2] : null;
}

/** Accepts 123, '123', 123n or a GID. */
export function numericId(v: string | number | bigint, type: string): string {
	const s = String(v);
	return s.startsWith('gid://') ? (idOf(s, type) ?? s) : s;
}

/** The quantity names InventoryLevel.quantities accepts (the simulator models available = on_hand). */
const QUANTITY_NAMES = new Set([
	'available',
	'committed',
	'damaged',
	'incoming',
	'on_hand',
	'quality_control',
	'reserved',
	'safety_stock',
]);

const LEVEL_GID = /^gid:\/\/shopify\/InventoryLevel\/([0-9]+)\?(.*)$/;

/** ISO time with milliseconds when the time has any (levels are stamped to the ms), else seconds. */
export function isoPrecise(ms: number): string {
	return ms % 1000 === 0 ? isoSeconds(ms) : new Date(ms).toISOString();
}

function isoSeconds(ms: number): string {
	return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.000Z$/, 'Z');
}

/** JSON with sorted keys: the same arguments give the same text whatever order they came in. */
function canonical(v: unknown): string {
	if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
	if (v !== null && typeof v === 'object') {
		const o = v as Record<string, unknown>;
		return `{${Object.keys(o)
			.sort()
			.map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
			.join(',')}}`;
	}
	return JSON.stringify(v) ?? 'undefined';
}

/** API versions from 2026-04 on (and unstable) require the directive and changeFromQuantity. */
export function isAtLeast202604(version: string): boolean {
	return version === 'unstable' || version >= '2026-04';
}

export class ShopifyInventory {
	readonly items = new Map<string, InventoryItemRecord>();
	private readonly keys = new Map<string, KeyRecord>();
	private groupSeq = 0;
	private schema?: GraphQLSchema;

	constructor(private readonly hooks: InventoryHooks) {}

	/** The schema the directive is read from (set once it is built). */
	bind(schema: GraphQLSchema): void {
		this.schema = schema;
	}

	putItem(id: string | number | bigint, sku: string | null, tracked = true): InventoryItemRecord {
		const key = numericId(id, 'InventoryItem');
		const existing = this.items.get(key);
		const now = this.hooks.nowMs();
		if (existing) {
			if (existing.sku !== sku || existing.tracked !== tracked) existing.updatedAt = now;
			existing.sku = sku;
			existing.tracked = tracked;
			return existing;
		}
		const rec: InventoryItemRecord = {
			id: key,
			sku,
			tracked,
			createdAt: now,
			updatedAt: now,
			levels: new Map(),
		};
		this.items.set(key, rec);
		return rec;
	}

	setLevel(
		itemId: string | number | bigint,
		locationId: string | number | bigint,
		available: number,
		atMs = this.hooks.nowMs(),
	): InventoryLevelRecord {
		const key = numericId(itemId, 'InventoryItem');
		const item = this.items.get(key) ?? this.putItem(key, null);
		const loc = numericId(locationId, 'Location');
		const level = { available, updatedAt: atMs };
		item.levels.set(loc, level);
		return level;
	}

	level(
		itemId: string | number | bigint,
		locationId: string | number | bigint,
	): InventoryLevelRecord | undefined {
		const item = this.items.get(numericId(itemId, 'InventoryItem'));
		const l = item?.levels.get(numericId(locationId, 'Location'));
		return l ? { ...l } : undefined;
	}

	/** Forget every idempotency key (as if the retention window had passed). */
	expireIdempotencyKeys(): void {
		this.keys.clear();
	}

	private locationOf(locId: string) {
		return {
			__typename: 'Location',
			id: gid('Location', locId),
			legacyResourceId: locId,
			name: this.hooks.locationName?.(locId) ?? `Location ${locId}`,
		};
	}

	/** An item as GraphQL serves it (resolver functions for its connections). */
	gqlItem(item: InventoryItemRecord): Record<string, unknown> {
		return {
			__typename: 'InventoryItem',
			id: gid('InventoryItem', item.id),
			legacyResourceId: item.id,
			sku: item.sku,
			tracked: item.tracked,
			createdAt: isoPrecise(item.createdAt),
			updatedAt: isoPrecise(item.updatedAt),
			inventoryLevel: (a: { locationId: string }) => {
				const locId = idOf(a.locationId, 'Location');
				const level = locId === null ? undefined : item.levels.get(locId);
				return level && locId !== null ? this.gqlLevel(item, locId, level) : null;
			},
			inventoryLevels: (a: PageArgs & { query?: string | null }) => {
				const q = parseSearchQuery(a.query, ['updated_at', 'created_at']);
				const list = [...item.levels.entries()].filter(([, l]) =>
					matchesSearch(q, (t) =>
						compareTerm(
							t.field === 'updated_at' ? l.updatedAt : item.createdAt,
							t,
							searchDateMs(t.value),
						),
					),
				);
				const page = paginateSorted(list, a, ([locId]) => locId);
				return {
					edges: page.edges.map((e) => ({
						cursor: e.cursor,
						node: this.gqlLevel(item, e.node[0], e.node[1]),
					})),
					nodes: page.nodes.map(([locId, l]) => this.gqlLevel(item, locId, l)),
					pageInfo: page.pageInfo,
				};
			},
		};
	}

	/** A level as GraphQL serves it; its id is `gid://shopify/InventoryLevel/<location>?inventory_item_id=<item>`. */
	gqlLevel(
		item: InventoryItemRecord,
		locId: string,
		level: InventoryLevelRecord,
	): Record<string, unknown> {
		return {
			__typename: 'InventoryLevel',
			id: `gid://shopify/InventoryLevel/${locId}?inventory_item_id=${item.id}`,
			createdAt: isoPrecise(item.createdAt),
			updatedAt: isoPrecise(level.updatedAt),
			canDeactivate: true,
			item: () => this.gqlItem(item),
			location: this.locationOf(locId),
			quantities: (a: { names: string[] }) =>
				a.names.map((name) => {
					if (!QUANTITY_NAMES.has(name)) {
						throw new GraphQLError(
							`Invalid quantity name: '${name}'. Valid names: ${[...QUANTITY_NAMES].join(', ')}.`,
							{ extensions: { code: 'BAD_REQUEST' } },
						);
					}
					const modelled = name === 'available' || name === 'on_hand';
					return {
						__typename: 'InventoryQuantity',
						id: `gid://shopify/InventoryQuantity/${locId}?inventory_item_id=${item.id}&name=${name}`,
						name,
						quantity: modelled ? level.available : 0,
						updatedAt: modelled ? isoPrecise(level.updatedAt) : null,
					};
				}),
		};
	}

	/** Items by ascending numeric id. */
	private sortedItems(): InventoryItemRecord[] {
		return [...this.items.values()].sort((a, b) => {
			const x = BigInt(a.id);
			const y = BigInt(b.id);
			return x < y ? -1 : x > y ? 1 : 0;
		});
	}

	/** Resolve a GID to an inventory object (`nodes`/`node`); null when unknown or of another type. */
	nodeById(type: string, id: string, query: string): Record<string, unknown> | null {
		if (type === 'InventoryItem') {
			const item = this.items.get(id);
			return item ? this.gqlItem(item) : null;
		}
		if (type === 'InventoryLevel') {
			const itemId = /(?:^|&)inventory_item_id=([0-9]+)/.exec(query)?.[1];
			const item = itemId ? this.items.get(itemId) : undefined;
			const level = item?.levels.get(id);
			return item && level ? this.gqlLevel(item, id, level) : null;
		}
		return null;
	}

	/**
	 * Idempotency bookkeeping around `run`. Returns what the field resolves to.
	 */
	private idempotent(
		field: 'inventorySetQuantities' | 'inventoryAdjustQuantities',
		args: Record<string, unknown>,
		ctx: ShopifyRequestContext | undefined,
		info: GraphQLResolveInfo,
		count: number,
		run: () => { payload: Payload; applied: number },
	): Payload {
		const apiVersion = ctx?.apiVersion ?? 'unstable';
		const directive = this.schema?.getDirective('idempotent');
		const values =
			directive && info.fieldNodes[0]
				? getDirectiveValues(directive, info.fieldNodes[0], info.variableValues)
				: undefined;
		const key = typeof values?.key === 'string' ? values.key : null;
		const log = (payload: Payload, applied: number, replayed: boolean) =>
			this.hooks.record({
				op: 'mutation',
				name: field,
				count,
				applied,
				userErrors: payload.userErrors.map((e) => e.code),
				idempotencyKey: key,
				replayed,
				apiVersion,
			});
		if (key === null) {
			if (isAtLeast202604(apiVersion)) {
				this.hooks.record({
					op: 'mutation',
					name: field,
					count,
					applied: 0,
					userErrors: ['(missing @idempotent)'],
					idempotencyKey: null,
					replayed: false,
					apiVersion,
				});
				throw new GraphQLError(
					`The @idempotent directive is required for ${field} from API version 2026-04.`,
					{ extensions: { code: 'BAD_REQUEST' } },
				);
			}
			const { payload, applied } = run();
			log(payload, applied, false);
			return payload;
		}
		const now = this.hooks.nowMs();
		for (const [k, r] of this.keys) if (r.expiresAt <= now) this.keys.delete(k);
		const fingerprint = `${field}:${canonical(args)}`;
		const seen = this.keys.get(key);
		if (seen) {
			let payload: Payload;
			if (seen.fingerprint !== fingerprint) {
				payload = {
					inventoryAdjustmentGroup: null,
					userErrors: [
						{
							field: null,
							message:
								'The same idempotency key cannot be used with different operation parameters.',
							code: 'IDEMPOTENCY_KEY_PARAMETER_MISMATCH',
						},
					],
				};
			} else if (seen.failed) {
				payload = {
					inventoryAdjustmentGroup: null,
					userErrors: [
						{
							field: null,
							message:
								'A previous request with this idempotency key failed. Retry with a new idempotency key.',
							code: 'IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED',
						},
					],
				};
			} else {
				payload = seen.payload;
			}
			log(payload, 0, true);
			return payload;
		}
		const { payload, applied } = run();
		this.keys.set(key, {
			fingerprint,
			payload,
			failed: payload.userErrors.length > 0,
			expiresAt: now + this.hooks.idempotencyTtlMs(),
		});
		log(payload, applied, false);
		return payload;
	}

	/** Check one (item, location) pair; pushes userErrors; returns the level when usable. */
	private lookup(
		itemGid: string,
		locationGid: string,
		path: string[],
		errors: UserError[],
	): InventoryLevelRecord | undefined {
		const itemId = idOf(itemGid, 'InventoryItem');
		const item = itemId === null ? undefined : this.items.get(itemId);
		if (!item) {
			errors.push({
				field: [...path, 'inventoryItemId'],
				message: 'The specified inventory item could not be found.',
				code: 'INVALID_INVENTORY_ITEM',
			});
			return undefined;
		}
		const locId = idOf(locationGid, 'Location');
		const level = locId === null ? undefined : item.levels.get(locId);
		if (!level) {
			errors.push({
				field: [...path, 'locationId'],
				message: 'The specified inventory item is not stocked at the location.',
				code: 'ITEM_NOT_STOCKED_AT_LOCATION',
			});
			return undefined;
		}
		return level;
	}

	private group(
		reason: string,
		referenceDocumentUri: string | null,
		changes: Array<{
			itemId: string;
			locId: string;
			delta: number;
			after: number;
			ledger: string | null;
		}>,
	) {
		const id = String(31_000_000_000 + ++this.groupSeq);
		const createdAt = isoSeconds(this.hooks.nowMs());
		const list = changes.flatMap((c) =>
			['available', 'on_hand'].map((name) => ({
				name,
				delta: c.delta,
				quantityAfterChange: c.after,
				ledgerDocumentUri: name === 'available' ? null : c.ledger,
				item: this.gqlItem(this.items.get(c.itemId) as InventoryItemRecord) as { id: string },
				location: this.locationOf(c.locId),
			})),
		);
		return {
			id: gid('InventoryAdjustmentGroup', id),
			createdAt,
			reason,
			referenceDocumentUri,
			changes: (a: {
				inventoryItemIds?: string[] | null;
				locationIds?: string[] | null;
				quantityNames?: string[] | null;
			}) =>
				list.filter(
					(c) =>
						(!a.inventoryItemIds || a.inventoryItemIds.includes(c.item.id)) &&
						(!a.locationIds || a.locationIds.includes(c.location.id)) &&
						(!a.quantityNames || a.quantityNames.includes(c.name)),
				),
		};
	}

	private apply(
		itemId: string,
		locId: string,
		level: InventoryLevelRecord,
		after: number,
		now: number,
	): InventoryChangeRecord {
		const delta = after - level.available;
		level.available = after;
		level.updatedAt = now;
		return { inventoryItemId: itemId, locationId: locId, available: after, delta, updatedAt: now };
	}

	resolvers(): Record<string, unknown> {
		return {
			inventoryItem: (args: { id: string }) => {
				const id = idOf(args.id, 'InventoryItem');
				const item = id === null ? undefined : this.items.get(id);
				return item ? this.gqlItem(item) : null;
			},

			inventoryLevel: (args: { id: string }) => {
				const m = LEVEL_GID.exec(args.id);
				if (!m) idOf(args.id, 'InventoryLevel');
				return m ? this.nodeById('InventoryLevel', m[1], m[2]) : null;
			},

			inventoryItems: (args: PageArgs & { query?: string | null }) => {
				const q = parseSearchQuery(args.query, ['sku', 'updated_at', 'created_at', 'id']);
				const list = this.sortedItems().filter((item) =>
					matchesSearch(q, (t) => {
						switch (t.field) {
							case 'sku':
								return (
									t.comparator === ':' &&
									item.sku !== null &&
									item.sku.toLowerCase() === t.value.toLowerCase()
								);
							case 'updated_at':
								return compareTerm(item.updatedAt, t, searchDateMs(t.value));
							case 'created_at':
								return compareTerm(item.createdAt, t, searchDateMs(t.value));
							case 'id':
								return /^[0-9]+$/.test(t.value) && compareTerm(BigInt(item.id), t, BigInt(t.value));
							default:
								return false;
						}
					}),
				);
				const page = paginateSorted(list, args, (i) => i.id);
				const nodes = page.nodes.map((i) => this.gqlItem(i));
				return {
					edges: page.edges.map((e, k) => ({ cursor: e.cursor, node: nodes[k] })),
					nodes,
					pageInfo: page.pageInfo,
				};
			},

			inventorySetQuantities: (
				args: { input: Record<string, unknown> },
				ctx: ShopifyRequestContext | undefined,
				info: GraphQLResolveInfo,
			) => {
				const input = args.input as {
					name: string;
					reason: string;
					referenceDocumentUri?: string | null;
					quantities: Array<Record<string, unknown>>;
				};
				return this.idempotent(
					'inventorySetQuantities',
					args,
					ctx,
					info,
					input.quantities.length,
					() => {
						const errors: UserError[] = [];
						if (input.name !== 'available') {
							errors.push({
								field: ['input', 'name'],
								message:
									input.name === 'on_hand'
										? 'The simulator models the available quantity only.'
										: "The quantity name must be either 'available' or 'on_hand'.",
								code: 'INVALID_NAME',
							});
						}
						if (!INVENTORY_REASONS.has(input.reason)) {
							errors.push({
								field: ['input', 'reason'],
								message: 'The specified reason is invalid.',
								code: 'INVALID_REASON',
							});
						}
						const seen = new Set<string>();
						const plan: Array<{
							itemId: string;
							locId: string;
							level: InventoryLevelRecord;
							quantity: number;
						}> = [];
						input.quantities.forEach((q, i) => {
							const path = ['input', 'quantities', String(i)];
							const itemGid = q.inventoryItemId as string;
							const locGid = q.locationId as string;
							const quantity = q.quantity as number;
							const pair = `${itemGid}|${locGid}`;
							if (seen.has(pair)) {
								errors.push({
									field: path,
									message: 'The combination of inventoryItemId and locationId must be unique.',
									code: 'NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR',
								});
								return;
							}
							seen.add(pair);
							const level = this.lookup(itemGid, locGid, path, errors);
							if (quantity > MAX_QUANTITY) {
								errors.push({
									field: [...path, 'quantity'],
									message: 'The quantity can\u2019t be higher than 1,000,000,000.',
									code: 'INVALID_QUANTITY_TOO_HIGH',
								});
							}
							if (!('changeFromQuantity' in q)) {
								if (isAtLeast202604(ctx?.apiVersion ?? 'unstable')) {
									errors.push({
										field: [...path, 'changeFromQuantity'],
										message:
											'changeFromQuantity is required: pass the quantity you expect, or null to skip the check.',
										code: null,
									});
								}
							} else if (
								level &&
								q.changeFromQuantity !== null &&
								q.changeFromQuantity !== level.available
							) {
								errors.push({
									field: [...path, 'changeFromQuantity'],
									message: 'The changeFromQuantity value does not match persisted value.',
									code: 'CHANGE_FROM_QUANTITY_STALE',
								});
							}
							if (level) {
								plan.push({
									itemId: idOf(itemGid, 'InventoryItem') as string,
									locId: idOf(locGid, 'Location') as string,
									level,
									quantity,
								});
							}
						});
						if (errors.length > 0)
							return {
								payload: { inventoryAdjustmentGroup: null, userErrors: errors },
								applied: 0,
							};
						const now = this.hooks.nowMs();
						const changed: InventoryChangeRecord[] = [];
						for (const p of plan) {
							if (p.level.available === p.quantity) continue;
							changed.push(this.apply(p.itemId, p.locId, p.level, p.quantity, now));
						}
						for (const c of changed) this.hooks.onChange(c);
						const group = this.group(
							input.reason,
							input.referenceDocumentUri ?? null,
							changed.map((c) => ({
								itemId: c.inventoryItemId,
								locId: c.locationId,
								delta: c.delta,
								after: c.available,
								ledger: null,
							})),
						);
						return {
							payload: { inventoryAdjustmentGroup: group, userErrors: [] },
							applied: changed.length,
						};
					},
				);
			},

			inventoryAdjustQuantities: (
				args: { input: Record<string, unknown> },
				ctx: ShopifyRequestContext | undefined,
				info: GraphQLResolveInfo,
			) => {
				const input = args.input as {
					name: string;
					reason: string;
					referenceDocumentUri?: string | null;
					changes: Array<Record<string, unknown>>;
				};
				return this.idempotent(
					'inventoryAdjustQuantities',
					args,
					ctx,
					info,
					input.changes.length,
					() => {
						const errors: UserError[] = [];
						if (input.name !== 'available') {
							errors.push({
								field: ['input', 'name'],
								message: ADJUST_NAMES.has(input.name)
									? 'The simulator models the available quantity only.'
									: 'The quantity name is invalid.',
								code: 'INVALID_QUANTITY_NAME',
							});
						}
						if (!INVENTORY_REASONS.has(input.reason)) {
							errors.push({
								field: ['input', 'reason'],
								message: 'The specified reason is invalid.',
								code: 'INVALID_REASON',
							});
						}
						const plan: Array<{
							itemId: string;
							locId: string;
							level: InventoryLevelRecord;
							delta: number;
							ledger: string | null;
						}> = [];
						input.changes.forEach((c, i) => {
							const path = ['input', 'changes', String(i)];
							const level = this.lookup(
								c.inventoryItemId as string,
								c.locationId as string,
								path,
								errors,
							);
							if (level) {
								plan.push({
									itemId: idOf(c.inventoryItemId as string, 'InventoryItem') as string,
									locId: idOf(c.locationId as string, 'Location') as string,
									level,
									delta: c.delta as number,
									ledger: (c.ledgerDocumentUri as string | null | undefined) ?? null,
								});
							}
						});
						// Deltas on one level add up; the total must stay within Shopify's bound.
						const totals = new Map<InventoryLevelRecord, number>();
						for (const p of plan)
							totals.set(p.level, (totals.get(p.level) ?? p.level.available) + p.delta);
						plan.forEach((p, i) => {
							if ((totals.get(p.level) ?? 0) > MAX_QUANTITY) {
								errors.push({
									field: ['input', 'changes', String(i), 'delta'],
									message: 'The quantity can\u2019t be higher than 1,000,000,000.',
									code: 'INVALID_QUANTITY_TOO_HIGH',
								});
							}
						});
						if (errors.length > 0)
							return {
								payload: { inventoryAdjustmentGroup: null, userErrors: errors },
								applied: 0,
							};
						const now = this.hooks.nowMs();
						const changes: Array<{
							itemId: string;
							locId: string;
							delta: number;
							after: number;
							ledger: string | null;
						}> = [];
						const changed = new Map<InventoryLevelRecord, InventoryChangeRecord>();
						for (const p of plan) {
							if (p.delta === 0) continue;
							const rec = this.apply(p.itemId, p.locId, p.level, p.level.available + p.delta, now);
							changed.set(p.level, rec);
							changes.push({
								itemId: p.itemId,
								locId: p.locId,
								delta: p.delta,
								after: rec.available,
								ledger: p.ledger,
							});
						}
						for (const c of changed.values()) this.hooks.onChange(c);
						const group = this.group(input.reason, input.referenceDocumentUri ?? null, changes);
						return {
							payload: { inventoryAdjustmentGroup: group, userErrors: [] },
							applied: changed.size,
						};
					},
				);
			},
		};
	}
}
