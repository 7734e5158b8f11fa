import { SchemaColumn, SchemaResponse } from './types';

// Pure functions over the column schema the backend's schema resource returns. They live apart
// from the data source so that the editors' field pickers can use them without importing
// src/datasource.ts (which imports the editors through its variable support).

/** orderedColumns sorts by the schema's order, ties kept in schema order (as pkg/schema does). */
export function orderedColumns(schema: SchemaResponse): SchemaColumn[] {
  return schema.columns
    .map((c, i) => ({ c, i }))
    .sort((a, b) => (a.c.order ?? 0) - (b.c.order ?? 0) || a.i - b.i)
    .map(({ c }) => c);
}

/**
 * patternColumn describes the pattern dimension as a string facet, as the backend's
 * Schema.Column does (pkg/schema): filters, ad hoc filters and breakdowns take its name like
 * a column's, though the records never carry it and the schema's columns do not list it.
 * Nothing when the schema mines no patterns.
 */
export function patternColumn(schema: SchemaResponse): SchemaColumn | undefined {
  const p = schema.patterns;
  if (!p?.name) {
    return undefined;
  }
  return { name: p.name, type: 'string', title: `Pattern of ${p.field || 'title'}`, facet: true };
}

/**
 * tagKeys orders the columns an ad hoc filter offers: facets in the schema's facet order, the
 * pattern field when the schema mines patterns (an alarm is a dimension worth filtering on),
 * then the rest, without detail and time columns.
 */
export function tagKeys(schema: SchemaResponse): SchemaColumn[] {
  const byName = new Map(schema.columns.map((c) => [c.name, c]));
  const offered = (c: SchemaColumn) => !c.detail && c.type !== 'time';
  const facets = (schema.facets ?? [])
    .map((n) => byName.get(n))
    .filter((c): c is SchemaColumn => c !== undefined && offered(c));
  const pattern = patternColumn(schema);
  if (pattern && !byName.has(pattern.name)) {
    facets.push(pattern);
  }
  const facetNames = new Set(facets.map((c) => c.name));
  const rest = orderedColumns(schema).filter((c) => !facetNames.has(c.name) && offered(c));
  return [...facets, ...rest];
}
