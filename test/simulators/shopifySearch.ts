import { GraphQLError } from 'graphql';

/**
 * Shopify's search syntax for the `query:` argument of connections (shopify.dev/docs/api/usage/search-syntax),
 * the part the simulator needs: terms `field:value` with the comparators `:`, `:<`, `:<=`, `:>`, `:>=`;
 * values bare, in double quotes (backslash escapes) or in single quotes; terms joined by whitespace or `AND`
 * (both: and) and by `OR` (binds weaker than AND, as documented: `a OR b c` is `a OR (b AND c)`); a term
 * prefixed with `-` or `NOT ` is negated. Parentheses are not supported (the simulator answers a GraphQL
 * error rather than guess). A term whose field the resource does not filter on, or a term without a field, is
 * ignored, as Shopify ignores invalid filters (it adds a warning to `extensions.search`; the simulator keeps
 * the warnings in `SearchQuery.warnings`).
 */

export type Comparator = ':' | ':<' | ':<=' | ':>' | ':>=';

export interface SearchTerm {
	field: string | null;
	comparator: Comparator;
	value: string;
	negated: boolean;
}

export interface SearchQuery {
	/** OR of ANDs. An empty query matches everything. */
	anyOf: SearchTerm[][];
	warnings: string[];
}

function bad(message: string): never {
	throw new GraphQLError(message, { extensions: { code: 'BAD_REQUEST' } });
}

/** Split a query text into words; quoted values stay whole (quotes removed, escapes resolved). */
function tokenize(text: string): Array<{ raw: string; quoted: boolean; term?: SearchTerm }> {
	const out: Array<{ raw: string; quoted: boolean; term?: SearchTerm }> = [];
	let i = 0;
	const n = text.length;
	while (i < n) {
		while (i < n && /\s/.test(text[i])) i++;
		if (i >= n) break;
		if (text[i] === '(' || text[i] === ')')
			bad('Parentheses in search queries are not supported by the simulator.');
		let negated = false;
		if (text[i] === '-' && i + 1 < n && !/\s/.test(text[i + 1])) {
			negated = true;
			i++;
		}
		// field (letters, digits, _ and .) followed by a comparator, or a bare word
		const fm = /^([A-Za-z_][A-Za-z0-9_.]*)(:<=|:>=|:<|:>|:)/.exec(text.slice(i));
		let field: string | null = null;
		let comparator: Comparator = ':';
		if (fm) {
			field = fm[1];
			comparator = fm[2] as Comparator;
			i += fm[0].length;
		}
		let value = '';
		let quoted = false;
		if (text[i] === '"' || text[i] === "'") {
			const q = text[i++];
			quoted = true;
			while (i < n && text[i] !== q) {
				if (text[i] === '\\' && q === '"' && i + 1 < n) i++;
				value += text[i++];
			}
			if (i >= n) bad(`Unterminated quoted value in search query: ${text}`);
			i++;
		} else {
			while (i < n && !/\s/.test(text[i])) value += text[i++];
		}
		if (
			field === null &&
			!quoted &&
			!negated &&
			(value === 'OR' || value === 'AND' || value === 'NOT')
		) {
			out.push({ raw: value, quoted: false });
		} else {
			out.push({ raw: value, quoted, term: { field, comparator, value, negated } });
		}
	}
	return out;
}

/** Parse a search query; `fields` are the filters the resource supports (others become warnings). */
export function parseSearchQuery(
	text: string | null | undefined,
	fields: readonly string[],
): SearchQuery {
	const warnings: string[] = [];
	if (text == null || text.trim() === '') return { anyOf: [], warnings };
	const tokens = tokenize(text);
	const groups: SearchTerm[][] = [[]];
	let negateNext = false;
	for (const t of tokens) {
		if (!t.term) {
			if (t.raw === 'OR') groups.push([]);
			else if (t.raw === 'NOT') negateNext = true;
			continue;
		}
		const term = { ...t.term, negated: t.term.negated !== negateNext };
		negateNext = false;
		if (term.field === null) {
			warnings.push(`Free-text term '${term.value}' is not supported here and was ignored.`);
			continue;
		}
		if (!fields.includes(term.field)) {
			warnings.push(`Invalid search field for this query: '${term.field}'.`);
			continue;
		}
		groups[groups.length - 1].push(term);
	}
	const anyOf = groups.filter((g) => g.length > 0);
	return { anyOf, warnings };
}

/** ms of a search date value: ISO with or without zone (a zone-less value is read as UTC), or a date. */
export function searchDateMs(value: string): number {
	const v = /^\d{4}-\d{2}-\d{2}$/.test(value)
		? `${value}T00:00:00Z`
		: /[zZ]|[+-]\d{2}:?\d{2}$/.test(value)
			? value
			: `${value}Z`;
	const ms = new Date(v).getTime();
	if (Number.isNaN(ms)) bad(`Invalid date in search query: '${value}'`);
	return ms;
}

/** Compare a number (a date's ms, an id) with a term. */
export function compareTerm(
	actual: number | bigint,
	term: SearchTerm,
	expected: number | bigint,
): boolean {
	switch (term.comparator) {
		case ':':
			return actual === expected;
		case ':<':
			return actual < expected;
		case ':<=':
			return actual <= expected;
		case ':>':
			return actual > expected;
		case ':>=':
			return actual >= expected;
	}
}

/** Whether `matchTerm` holds for the query (OR of ANDs, negation applied); an empty query matches. */
export function matchesSearch(query: SearchQuery, matchTerm: (t: SearchTerm) => boolean): boolean {
	if (query.anyOf.length === 0) return true;
	return query.anyOf.some((all) => all.every((t) => matchTerm(t) !== t.negated));
}
