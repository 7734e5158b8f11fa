import { orderedColumns, tagKeys } from './schema';
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

  it('copes with a schema that lists no facets', () => {
    const schema = { ...SCHEMA, facets: undefined } as unknown as SchemaResponse;
    expect(names(tagKeys(schema))).toEqual(['id', 'severity', 'title', 'status', 'service', 'region']);
  });
});
