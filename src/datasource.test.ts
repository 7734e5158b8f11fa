import { AdHocVariableFilter, dateTime, TimeRange } from '@grafana/data';

import { DataSource, TAG_VALUES_LIMIT, toWireFilters } from './datasource';
import { FakeRoute, FakeTemplateSrv, instanceSettings, resourcePath, SCHEMA, serveBackend } from './testing/fakes';
import { TicketsQuery } from './types';
import { TicketsVariableSupport } from './variables';

let mockTemplateSrv = new FakeTemplateSrv();

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getTemplateSrv: () => mockTemplateSrv,
}));

function serve(route: FakeRoute) {
  serveBackend(route);
}

const range: TimeRange = {
  from: dateTime(Date.UTC(2024, 4, 1, 0, 0)),
  to: dateTime(Date.UTC(2024, 4, 1, 6, 0)),
  raw: { from: 'now-6h', to: 'now' },
};

function query(q: Partial<TicketsQuery> = {}): TicketsQuery {
  return { refId: 'A', queryType: 'counts', ...q };
}

beforeEach(() => {
  mockTemplateSrv = new FakeTemplateSrv();
  serve(() => ({ data: {} }));
});

describe('applyTemplateVariables: ad hoc filters', () => {
  const ds = new DataSource(instanceSettings());

  // Every operator of Grafana's ad hoc filter UI, with multiValueFilterOperators on.
  const cases: Array<[string, AdHocVariableFilter]> = [
    ['=', { key: 'service', operator: '=', value: 'checkout' }],
    ['!=', { key: 'service', operator: '!=', value: 'checkout' }],
    ['=~', { key: 'region', operator: '=~', value: '^eu-' }],
    ['!~', { key: 'region', operator: '!~', value: '^us-' }],
    ['=|', { key: 'service', operator: '=|', value: 'checkout', values: ['checkout', 'payments'] }],
    ['!=|', { key: 'service', operator: '!=|', value: 'checkout', values: ['checkout', 'payments'] }],
    ['<', { key: 'severity', operator: '<', value: '3' }],
    ['<=', { key: 'severity', operator: '<=', value: '3' }],
    ['>', { key: 'severity', operator: '>', value: '1' }],
    ['>=', { key: 'created', operator: '>=', value: '2024-05-01T00:00:00Z' }],
  ];

  it.each(cases)('copies a %s filter into adhocFilters as the backend reads it', (_, filter) => {
    const out = ds.applyTemplateVariables(query(), {}, [{ ...filter, origin: 'dashboard' }]);
    const want: Record<string, unknown> = { key: filter.key, operator: filter.operator, value: filter.value };
    if (filter.values) {
      want.values = filter.values;
    }
    // Exactly the backend's fields: key, operator, value and, for =| and !=|, values.
    expect(out.adhocFilters).toEqual([want]);
  });

  it('keeps the filters in order after those the query already holds', () => {
    const own = { key: 'status', operator: '!=', value: 'resolved' };
    const out = ds.applyTemplateVariables(query({ adhocFilters: [own] }), {}, [
      { key: 'service', operator: '=', value: 'a' },
      { key: 'region', operator: '=~', value: 'eu' },
    ]);
    expect(out.adhocFilters?.map((f) => f.key)).toEqual(['status', 'service', 'region']);
  });

  it('does not copy a filter still being added, nor a group-by key', () => {
    const out = ds.applyTemplateVariables(query(), {}, [
      { key: '', operator: '=', value: '' },
      { key: 'service', operator: 'groupBy', value: '' },
    ]);
    expect(out.adhocFilters).toBeUndefined();
  });

  it('does not touch the query it was given', () => {
    const q = query({ filter: 'severity <= 2' });
    ds.applyTemplateVariables(q, {}, [{ key: 'service', operator: '=', value: 'a' }]);
    expect(q.adhocFilters).toBeUndefined();
  });

  it('copies no values array for single-value operators', () => {
    expect(toWireFilters([{ key: 'a', operator: '=', value: 'x', values: [] }])).toEqual([
      { key: 'a', operator: '=', value: 'x' },
    ]);
  });
});

describe('applyTemplateVariables: variables', () => {
  const ds = new DataSource(instanceSettings());

  beforeEach(() => {
    mockTemplateSrv = new FakeTemplateSrv([
      { name: 'services', value: ['checkout', 'pay "now"'], multi: true },
      { name: 'one', value: 'checkout', multi: false },
      { name: 'picked', value: 'checkout', multi: true },
      { name: 'quoted', value: 'say "hi"', multi: false },
      { name: 'sev', value: '2' },
      { name: 'words', value: ['database', 'timeout'], multi: true },
      { name: 'dim', value: 'region' },
      { name: 'dims', value: ['region', 'service'], multi: true },
      { name: 'cols', value: ['id', 'title'], multi: true },
      { name: 'interval', value: '5m' },
    ]);
  });

  it.each([
    ['a multi-value variable inside in (...)', 'service in ($services)', 'service in ("checkout", "pay \\"now\\"")'],
    ['a multi-value variable with one value selected', 'service in (${picked})', 'service in ("checkout")'],
    ['a single-value variable inside quotes', 'service = "$one"', 'service = "checkout"'],
    ['a single-value variable holding quotes', 'title = "$quoted"', 'title = "say \\"hi\\""'],
    ['a number', 'severity <= $sev', 'severity <= 2'],
    ['the [[var]] syntax', 'service = "[[one]]"', 'service = "checkout"'],
    ['an unknown variable, left for the backend to reject', 'service = "$nope"', 'service = "$nope"'],
  ])('filter: %s', (_, filter, want) => {
    expect(ds.applyTemplateVariables(query({ filter }), {}).filter).toBe(want);
  });

  it('interpolates the viewer filter like the filter, and keeps whether it is checked', () => {
    const out = ds.applyTemplateVariables(
      query({ viewerFilter: 'service in ($services) and title = "$quoted"', checkViewerFilter: true }),
      {}
    );
    expect(out.viewerFilter).toBe('service in ("checkout", "pay \\"now\\"") and title = "say \\"hi\\""');
    expect(out.checkViewerFilter).toBe(true);
  });

  it('joins a multi-value search with spaces', () => {
    expect(ds.applyTemplateVariables(query({ search: '$words' }), {}).search).toBe('database timeout');
  });

  it('interpolates the group-by field, the split, the time field, the bucket and the prefix', () => {
    const out = ds.applyTemplateVariables(
      query({ field: '$dim', splitBy: '${dims}', timeField: '$nope', bucket: '$interval', prefix: '$one' }),
      {}
    );
    expect(out).toMatchObject({
      field: 'region',
      splitBy: 'region',
      timeField: '$nope',
      bucket: '5m',
      prefix: 'checkout',
    });
  });

  it('interpolates the window, the baseline and the level field', () => {
    const out = ds.applyTemplateVariables(
      query({ queryType: 'spike', window: '$interval', baseline: '${sev}d', levelField: '$dims', series: ['ratio'] }),
      {}
    );
    expect(out).toMatchObject({ window: '5m', baseline: '2d', levelField: 'region', series: ['ratio'] });
  });

  it('interpolates the new options with scoped variables too', () => {
    const out = ds.applyTemplateVariables(query({ queryType: 'stats', baseline: '$span' }), {
      span: { text: '7d', value: '7d' },
    });
    expect(out.baseline).toBe('7d');
  });

  it('expands a multi-value variable among the columns into several columns, without repeats', () => {
    const out = ds.applyTemplateVariables(query({ queryType: 'tickets', columns: ['id', '$cols', 'severity'] }), {});
    expect(out.columns).toEqual(['id', 'title', 'severity']);
  });

  it('expands a multi-value variable among the dimensions of a localize query, without repeats', () => {
    const out = ds.applyTemplateVariables(
      query({ queryType: 'localize', dimensions: ['service', '$cols', '$dim', 'region'] }),
      {}
    );
    expect(out.dimensions).toEqual(['service', 'id', 'title', 'region']);
  });

  it('interpolates sort fields', () => {
    const out = ds.applyTemplateVariables(query({ sort: [{ field: '$dim', desc: true }] }), {});
    expect(out.sort).toEqual([{ field: 'region', desc: true }]);
  });

  it('prefers scoped variables (a repeated panel) over the dashboard value', () => {
    const out = ds.applyTemplateVariables(query({ filter: 'service = "$one"', field: '$dim' }), {
      one: { text: 'payments', value: 'payments' },
      dim: { text: 'status', value: 'status' },
    });
    expect(out.filter).toBe('service = "payments"');
    expect(out.field).toBe('status');
  });

  it('leaves options the query does not set unset', () => {
    const out = ds.applyTemplateVariables(query(), {});
    expect(Object.keys(out).sort()).toEqual(['queryType', 'refId']);
  });

  it('interpolates queries for Explore with the ad hoc filters', () => {
    const [out] = ds.interpolateVariablesInQueries([query({ filter: 'service = "$one"' })], {}, [
      { key: 'region', operator: '=', value: 'eu-west-1' },
    ]);
    expect(out.filter).toBe('service = "checkout"');
    expect(out.adhocFilters).toEqual([{ key: 'region', operator: '=', value: 'eu-west-1' }]);
    expect(out.datasource).toEqual({ type: 'spacetime-tickets-datasource', uid: 'spacetime-uid' });
  });
});

describe('filterQuery', () => {
  const ds = new DataSource(instanceSettings());
  it.each([
    ['a counts query', query(), true],
    ['a query without a type (counts by default)', { refId: 'A' }, true],
    ['a hidden query', query({ hide: true }), false],
    ['a breakdown without its field', query({ queryType: 'breakdown' }), false],
    ['a breakdown with a blank field', query({ queryType: 'breakdown', field: '  ' }), false],
    ['a breakdown with its field', query({ queryType: 'breakdown', field: 'service' }), true],
    ['a values query without its field', query({ queryType: 'values' }), false],
    ['a tickets query', query({ queryType: 'tickets' }), true],
    ['a movers query without its field', query({ queryType: 'movers' }), false],
    ['a movers query with a blank field', query({ queryType: 'movers', field: ' ' }), false],
    ['a movers query with its field', query({ queryType: 'movers', field: 'service' }), true],
    ['a logs query', query({ queryType: 'logs' }), true],
    ['a spike query, whose options all have defaults', query({ queryType: 'spike' }), true],
    ['a stats query with a baseline', query({ queryType: 'stats', baseline: '7d' }), true],
  ])('%s', (_, q, want) => {
    expect(ds.filterQuery(q)).toBe(want);
  });
});

describe('getTagKeys', () => {
  it('lists facets first, in the order the schema gives them, then the other fields; no detail or time fields', async () => {
    serve((req) => (resourcePath(req) === 'schema' ? { data: SCHEMA } : { status: 404, error: 'not found' }));
    const ds = new DataSource(instanceSettings());
    const res = await ds.getTagKeys();
    expect(res.data.map((k) => k.text)).toEqual(['service', 'severity', 'status', 'region', 'id', 'title']);
    expect(res.data.every((k) => k.value === k.text)).toBe(true);
    expect(res.error).toBeUndefined();
  });

  it('offers the pattern field, after the facets, when the schema mines patterns', async () => {
    const schema = { ...SCHEMA, patterns: { field: 'title', name: 'pattern' } };
    serve((req) => (resourcePath(req) === 'schema' ? { data: schema } : { status: 404, error: 'not found' }));
    const ds = new DataSource(instanceSettings());
    const res = await ds.getTagKeys();
    expect(res.data.map((k) => k.text)).toEqual(['service', 'severity', 'status', 'region', 'pattern', 'id', 'title']);
    expect(res.data.find((k) => k.text === 'pattern')?.value).toBe('pattern');
  });

  it('reports why there are no keys when the schema cannot be read', async () => {
    serve(() => ({ status: 503, error: 'invalid schema: line 3: columns[0].type: unknown type "strng"' }));
    const ds = new DataSource(instanceSettings());
    const res = await ds.getTagKeys();
    expect(res.data).toEqual([]);
    expect(res.error?.message).toContain('unknown type "strng"');
  });

  it('reads the schema once, and again after a failure', async () => {
    let calls = 0;
    let fail = true;
    serve(() => {
      calls++;
      return fail ? { status: 503, error: 'starting' } : { data: SCHEMA };
    });
    const ds = new DataSource(instanceSettings());
    await expect(ds.getSchema()).rejects.toBeDefined();
    fail = false;
    await ds.getSchema();
    await ds.getSchema();
    await ds.getTagKeys();
    expect(calls).toBe(2);
  });
});

describe('getTagValues', () => {
  function valuesServer(answer: (params: Record<string, unknown>) => ReturnType<FakeRoute>) {
    const seen: Array<Record<string, unknown>> = [];
    serve((req) => {
      expect(resourcePath(req)).toBe('values');
      expect(req.method).toBe('GET');
      const params = (req.params ?? {}) as Record<string, unknown>;
      seen.push(params);
      return answer(params);
    });
    return seen;
  }

  it('reads the most frequent values of the key in the time range, under the other filters', async () => {
    const seen = valuesServer(() => ({
      data: {
        field: 'service',
        values: [
          { value: 'checkout', count: 120 },
          { value: '', count: 4 },
          { value: 'payments', count: 80 },
        ],
      },
    }));
    const ds = new DataSource(instanceSettings());
    const res = await ds.getTagValues({
      key: 'service',
      timeRange: range,
      filters: [
        { key: 'region', operator: '=~', value: '^eu-' },
        { key: 'severity', operator: '=|', value: '1', values: ['1', '2'] },
      ],
    });
    expect(seen).toEqual([
      {
        field: 'service',
        limit: TAG_VALUES_LIMIT,
        from: Date.UTC(2024, 4, 1, 0, 0),
        to: Date.UTC(2024, 4, 1, 6, 0),
        filter: 'region =~ "^eu-" and severity in ("1", "2")',
      },
    ]);
    // Empty values are dropped: "=" with an empty value means "is null" to the backend.
    expect(res.data).toEqual([
      { text: 'checkout', value: 'checkout', properties: { count: '120' } },
      { text: 'payments', value: 'payments', properties: { count: '80' } },
    ]);
  });

  it('reads the values without the other filters when the backend rejects them', async () => {
    const seen = valuesServer((p) =>
      p.filter
        ? { status: 400, error: 'bad regex' }
        : { data: { field: 'service', values: [{ value: 'a', count: 1 }] } }
    );
    const ds = new DataSource(instanceSettings());
    const res = await ds.getTagValues({ key: 'service', filters: [{ key: 'region', operator: '=~', value: '(' }] });
    expect(seen.map((p) => p.filter)).toEqual(['region =~ "("', undefined]);
    expect(res.data.map((v) => v.text)).toEqual(['a']);
  });

  it('says why there are no values', async () => {
    valuesServer(() => ({ status: 503, error: 'the store is still loading' }));
    const ds = new DataSource(instanceSettings());
    const res = await ds.getTagValues({ key: 'service', filters: [] });
    expect(res.data).toEqual([]);
    expect(res.error?.message).toBe('Could not read the values of service: the store is still loading');
  });
});

describe('validateFilter', () => {
  it('posts the filter to the validate resource', async () => {
    const bodies: unknown[] = [];
    serve((req) => {
      expect(resourcePath(req)).toBe('validate');
      expect(req.method).toBe('POST');
      bodies.push(req.data);
      return { data: { valid: false, error: { position: 10, message: 'expected a value' } } };
    });
    const ds = new DataSource(instanceSettings());
    const res = await ds.validateFilter('severity =');
    expect(bodies).toEqual([{ filter: 'severity =' }]);
    expect(res.error).toEqual({ position: 10, message: 'expected a value' });
  });
});

describe('variable support', () => {
  it('is the values of a field, read through this data source', () => {
    const ds = new DataSource(instanceSettings());
    expect(ds.variables).toBeInstanceOf(TicketsVariableSupport);
  });
});
