import { dateTime, DataQueryRequest, DataQueryResponse, Field, TimeRange } from '@grafana/data';
import { lastValueFrom } from 'rxjs';

import { VariableQueryEditor } from './components/VariableQueryEditor';
import { DataSource } from './datasource';
import { FakeRoute, FakeTemplateSrv, instanceSettings, serveBackend } from './testing/fakes';
import { VariableQuery } from './types';
import { normalizeVariableQuery, TicketsVariableSupport, VARIABLE_VALUES_LIMIT } from './variables';

let mockTemplateSrv = new FakeTemplateSrv();

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getTemplateSrv: () => mockTemplateSrv,
}));

/** serve answers every backend request through route and returns the query parameters of each request, in order. */
function serve(route: FakeRoute): Array<Record<string, unknown>> {
  const seen: Array<Record<string, unknown>> = [];
  serveBackend((req) => {
    seen.push((req.params ?? {}) as Record<string, unknown>);
    return route(req);
  });
  return seen;
}

const range: TimeRange = {
  from: dateTime(Date.UTC(2024, 4, 1, 0, 0)),
  to: dateTime(Date.UTC(2024, 4, 1, 6, 0)),
  raw: { from: 'now-6h', to: 'now' },
};

beforeEach(() => {
  mockTemplateSrv = new FakeTemplateSrv();
  serve(() => ({ data: {} }));
});

describe('normalizeVariableQuery', () => {
  it('turns a bare field name into a query', () => {
    expect(normalizeVariableQuery('service')).toEqual({ refId: 'SpacetimeVariable', field: 'service' });
  });

  it('keeps a query object as it is', () => {
    const q: VariableQuery = { refId: 'v', field: 'region', limit: 5, showCounts: true };
    expect(normalizeVariableQuery(q)).toBe(q);
  });

  it('gives an empty query when there is none', () => {
    expect(normalizeVariableQuery(undefined)).toEqual({ refId: 'SpacetimeVariable' });
  });
});

describe('variable support', () => {
  function request(target: VariableQuery | string): DataQueryRequest<VariableQuery> {
    return {
      targets: [target as VariableQuery],
      range,
      scopedVars: {},
      requestId: 'v',
      interval: '1m',
      intervalMs: 60000,
      timezone: 'utc',
      app: 'dashboard',
      startTime: 0,
    };
  }

  function strings(res: DataQueryResponse, name: string): string[] {
    const field = res.data[0].fields.find((f: Field) => f.name === name);
    return field ? [...field.values] : [];
  }

  it('lists the values of the field as text and value', async () => {
    mockTemplateSrv = new FakeTemplateSrv([{ name: 'svc', value: ['checkout', 'payments'], multi: true }]);
    const seen = serve(() => {
      return {
        data: {
          field: 'region',
          values: [
            { value: 'eu-west-1', count: 9 },
            { value: 'us-east-1', count: 3 },
          ],
        },
      };
    });
    const vs = new TicketsVariableSupport(new DataSource(instanceSettings()));
    const res = await lastValueFrom(
      vs.query(request({ refId: 'v', field: 'region', filter: 'service in ($svc)', prefix: 'eu' }))
    );
    expect(strings(res, 'text')).toEqual(['eu-west-1', 'us-east-1']);
    expect(strings(res, 'value')).toEqual(['eu-west-1', 'us-east-1']);
    expect(seen[0]).toMatchObject({
      field: 'region',
      prefix: 'eu',
      filter: 'service in ("checkout", "payments")',
      limit: VARIABLE_VALUES_LIMIT,
      from: range.from.valueOf(),
    });
  });

  it('shows counts in the text when asked, never in the value', async () => {
    serve(() => ({ data: { field: 'region', values: [{ value: 'eu', count: 9 }] } }));
    const vs = new TicketsVariableSupport(new DataSource(instanceSettings()));
    const res = await lastValueFrom(vs.query(request({ refId: 'v', field: 'region', showCounts: true, limit: 5 })));
    expect(strings(res, 'text')).toEqual(['eu (9)']);
    expect(strings(res, 'value')).toEqual(['eu']);
  });

  it('accepts a bare field name, as hand-written dashboards have it', async () => {
    const seen = serve(() => {
      return { data: { field: 'status', values: [] } };
    });
    const vs = new TicketsVariableSupport(new DataSource(instanceSettings()));
    await lastValueFrom(vs.query(request('status')));
    expect(seen[0].field).toBe('status');
  });

  it('asks nothing without a field', async () => {
    serve(() => {
      throw new Error('no request expected');
    });
    const vs = new TicketsVariableSupport(new DataSource(instanceSettings()));
    const res = await lastValueFrom(vs.query(request({ refId: 'v' })));
    expect(res.data).toEqual([]);
  });
});

describe('TicketsVariableSupport', () => {
  it('is edited by the VariableQueryEditor', () => {
    const vs = new TicketsVariableSupport(new DataSource(instanceSettings()));
    expect(vs.editor).toBe(VariableQueryEditor);
    expect(vs.getType()).toBe('custom');
  });

  it('replaces variables in the field and the prefix, and keeps a limit the query sets', async () => {
    mockTemplateSrv = new FakeTemplateSrv([
      { name: 'f', value: ['service', 'region'], multi: true },
      { name: 'p', value: 'pay' },
    ]);
    const seen = serve(() => {
      return {
        data: {
          field: 'service',
          values: [
            { value: '', count: 2 },
            { value: 'payments', count: 1 },
          ],
        },
      };
    });
    const vs = new TicketsVariableSupport(new DataSource(instanceSettings()));
    const req: DataQueryRequest<VariableQuery> = {
      targets: [{ refId: 'v', field: '$f', prefix: '$p', limit: 7 }],
      range,
      scopedVars: {},
      requestId: 'v',
      interval: '1m',
      intervalMs: 60000,
      timezone: 'utc',
      app: 'dashboard',
      startTime: 0,
    };
    const res = await lastValueFrom(vs.query(req));
    // A multi-value variable gives its first value where one field is meant.
    expect(seen[0]).toMatchObject({ field: 'service', prefix: 'pay', limit: 7 });
    // An empty value is no option.
    expect(res.data[0].fields[1].values).toEqual(['payments']);
  });
});
