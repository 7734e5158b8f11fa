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
 * tagKeys orders the columns an ad hoc filter offers: facets in the schema's facet order, then
 * the rest, without detail and time columns.
 */
export function tagKeys(schema: SchemaResponse): SchemaColumn[] {
  const byName = new Map(schema.columns.map((c) => [c.name, c]));
  const offered = (c: SchemaColumn) => !c.detail && c.type !== 'time';
  const facets = (schema.facets ?? [])
    .map((n) => byName.get(n))
    .filter((c): c is SchemaColumn => c !== undefined && offered(c));
  const facetNames = new Set(facets.map((c) => c.name));
  const rest = orderedColumns(schema).filter((c) => !facetNames.has(c.name) && offered(c));
  return [...facets, ...rest];
}
