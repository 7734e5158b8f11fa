import { orderedColumns, patternColumn, tagKeys } from './schema';
import { SCHEMA } from './testing/fakes';
import { SchemaResponse } from './types';

const names = (cs: Array<{ name: string }>) => cs.map((c) => c.name);

describe('orderedColumns', () => {
  it("sorts by the schema's order", () => {
    expect(names(orderedColumns(SCHEMA))).toEqual([
      'id',
      'severity',
      'title',
      'status',
      'service',
      'region',
      'created',
      'resolved',
      'description',
    ]);
  });

  it('keeps ties, and columns without an order (0), in schema order', () => {
    const schema: SchemaResponse = {
      key: 'id',
      time: 't',
      facets: [],
      columns: [
        { name: 'b', type: 'string', order: 2 },
        { name: 'a', type: 'string', order: 2 },
        { name: 'z', type: 'string' },
        { name: 'y', type: 'string', order: 1 },
        { name: 'x', type: 'string' },
      ],
    };
    expect(names(orderedColumns(schema))).toEqual(['z', 'x', 'y', 'b', 'a']);
  });

  it('does not reorder the schema it was given', () => {
    const schema: SchemaResponse = {
      key: 'id',
      time: 't',
      facets: [],
      columns: [
        { name: 'b', type: 'string', order: 2 },
        { name: 'a', type: 'string', order: 1 },
      ],
    };
    orderedColumns(schema);
    expect(names(schema.columns)).toEqual(['b', 'a']);
  });
});

describe('tagKeys', () => {
  it('lists facets in the facet order, then the others in display order, without detail or time columns', () => {
    expect(names(tagKeys(SCHEMA))).toEqual(['service', 'severity', 'status', 'region', 'id', 'title']);
  });

  it('skips a facet the columns do not hold, or one that is a time or detail column', () => {
    const schema: SchemaResponse = {
      ...SCHEMA,
      facets: ['gone', 'created', 'description', 'region'],
    };
    expect(names(tagKeys(schema))).toEqual(['region', 'id', 'severity', 'title', 'status', 'service']);
  });

  it('offers the pattern field after the facets when the schema mines patterns', () => {
    // The schema resource as pkg/plugin writes it for `patterns: {field: title}`: the defaults
    // written out, and no column for the pattern (docs/schema.md, patterns).
    const schema: SchemaResponse = { ...SCHEMA, patterns: { field: 'title', name: 'pattern' } };
    const keys = tagKeys(schema);
    expect(names(keys)).toEqual(['service', 'severity', 'status', 'region', 'pattern', 'id', 'title']);
    expect(keys[4]).toMatchObject({ type: 'string', facet: true, title: 'Pattern of title' });
    expect(names(tagKeys({ ...SCHEMA, patterns: { field: 'summary', name: 'alarm' } }))).toContain('alarm');
  });

  it('offers no pattern field when the schema mines none', () => {
    expect(names(tagKeys(SCHEMA))).not.toContain('pattern');
    expect(patternColumn(SCHEMA)).toBeUndefined();
  });

  it('copes with a schema that lists no facets', () => {
    const schema = { ...SCHEMA, facets: undefined } as unknown as SchemaResponse;
    expect(names(tagKeys(schema))).toEqual(['id', 'severity', 'title', 'status', 'service', 'region']);
  });
});
