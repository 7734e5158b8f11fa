/**
 * @jest-environment-options {"customExportConditions": ["node", "require"]}
 */
// Under jsdom's default conditions, yaml resolves to its ES module browser build, which jest
// does not transform: read its CommonJS build, as node does.
import { parse } from 'yaml';

import { ColumnType } from '../types';
import { SCHEMA_TEMPLATE } from './schemaTemplate';

interface TemplateSchema {
  key: string;
  version: string;
  time: string;
  open: string;
  columns: Array<{ name: string; type: ColumnType; link?: string; facet?: boolean }>;
  table: { sort: Array<{ field: string; desc?: boolean }>; limit: number };
  defaults: { filter: string };
}

// The template is where a user starts an inline schema: it must parse, and every name it
// refers to must be one of its columns, of the type that role needs (pkg/schema checks the
// same when the data source is saved; the browser suite sends it to the real backend).
describe('SCHEMA_TEMPLATE', () => {
  const schema = parse(SCHEMA_TEMPLATE) as TemplateSchema;
  const column = (name: string) => schema.columns.find((c) => c.name === name);

  it('parses as YAML with the top-level keys of a schema', () => {
    expect(Object.keys(schema).sort()).toEqual(['columns', 'defaults', 'key', 'open', 'table', 'time', 'version']);
  });

  it('names columns of the right types as key, version and time', () => {
    expect(column(schema.key)?.type).toBe('string');
    expect(column(schema.version)?.type).toBe('time');
    expect(column(schema.time)?.type).toBe('time');
  });

  it('gives each column a unique name and a known type', () => {
    const names = schema.columns.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const c of schema.columns) {
      expect(['string', 'text', 'number', 'time', 'bool']).toContain(c.type);
    }
  });

  it("sorts the table by its own columns, and keeps Grafana's link variable unexpanded", () => {
    for (const k of schema.table.sort) {
      expect(column(k.field)).toBeDefined();
    }
    expect(column('id')?.link).toContain('${__value.raw}');
  });

  it('marks some facets and leaves the default filter empty', () => {
    expect(schema.columns.filter((c) => c.facet).length).toBeGreaterThan(0);
    expect(schema.defaults.filter).toBe('');
  });
});
