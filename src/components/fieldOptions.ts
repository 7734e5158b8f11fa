import { ComboboxOption } from '@grafana/ui';
import { getTemplateSrv } from '@grafana/runtime';

import { orderedColumns, patternColumn } from '../schema';
import { ColumnType, SchemaColumn, SchemaResponse } from '../types';

function describe(c: SchemaColumn): string {
  const parts: string[] = [];
  if (c.title && c.title !== c.name) {
    parts.push(c.title);
  }
  parts.push(c.type);
  if (c.facet) {
    parts.push('facet');
  }
  return parts.join(' · ');
}

/**
 * fieldOptions lists the schema's columns of the given types for a field picker, facets
 * first (then the pattern field, when the schema mines patterns) or only facets when asked, followed by the dashboard's variables so that a field can be chosen
 * by a variable ($field). The current value is kept even when the schema does not list it.
 */
export function fieldOptions(
  schema: SchemaResponse | undefined,
  opts: { types?: ColumnType[]; facetsFirst?: boolean; facetsOnly?: boolean; current?: string | string[] } = {}
): Array<ComboboxOption<string>> {
  let columns = schema ? orderedColumns(schema) : [];
  if (opts.facetsOnly) {
    columns = columns.filter((c) => c.facet);
  }
  if (opts.types) {
    const types = opts.types;
    columns = columns.filter((c) => types.includes(c.type));
  }
  if (opts.facetsFirst) {
    // The pattern of the titles is a dimension like a facet (the backend splits, breaks down
    // and filters by it), so a dimension picker offers it right after the facets.
    const pattern = schema ? patternColumn(schema) : undefined;
    const extra = pattern && (!opts.types || opts.types.includes(pattern.type)) ? [pattern] : [];
    columns = [...columns.filter((c) => c.facet), ...extra, ...columns.filter((c) => !c.facet)];
  }
  const options: Array<ComboboxOption<string>> = columns.map((c) => ({
    value: c.name,
    label: c.name,
    description: describe(c),
  }));
  for (const v of getTemplateSrv().getVariables()) {
    options.push({ value: `$${v.name}`, label: `$${v.name}`, description: 'variable', group: 'Variables' });
  }
  const current = opts.current === undefined ? [] : Array.isArray(opts.current) ? opts.current : [opts.current];
  for (const c of current) {
    if (c !== '' && !options.some((o) => o.value === c)) {
      options.push({ value: c, label: c, description: 'not in the schema' });
    }
  }
  return options;
}
