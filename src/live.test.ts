import {
  DataFrame,
  DataFrameJSON,
  DataQueryRequest,
  DataQueryResponse,
  dataFrameToJSON,
  dateTime,
  FieldType,
  LiveChannelAddress,
  LiveChannelEvent,
  LiveChannelEventType,
  LoadingState,
  TimeRange,
  toDataFrame,
} from '@grafana/data';
import { Subject } from 'rxjs';

import { DataSource } from './datasource';
import { liveRange, liveSpec, mergeBuckets, mergeRows } from './live';
import { FakeTemplateSrv, instanceSettings, resourcePath, SCHEMA, serveBackend } from './testing/fakes';
import { TicketsQuery } from './types';

const mockTemplateSrv = new FakeTemplateSrv();
const channels: Array<{ addr: LiveChannelAddress; events: Subject<LiveChannelEvent<DataFrameJSON>> }> = [];

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getTemplateSrv: () => mockTemplateSrv,
  getGrafanaLiveSrv: () => ({
    getStream: (addr: LiveChannelAddress) => {
      const events = new Subject<LiveChannelEvent<DataFrameJSON>>();
      channels.push({ addr, events });
      return events.asObservable();
    },
  }),
}));

const HOUR = 3600 * 1000;
const NOW = Date.UTC(2026, 11, 2, 12, 0);

function rangeOf(fromMs: number, toMs: number, rawTo = 'now'): TimeRange {
  return { from: dateTime(fromMs), to: dateTime(toMs), raw: { from: 'now-6h', to: rawTo } };
}

describe('liveRange and liveSpec', () => {
  it('streams only a range that ends now and is at most 7 days long', () => {
    expect(liveRange(rangeOf(NOW - 6 * HOUR, NOW))).toBe('21600s');
    expect(liveRange(rangeOf(NOW - 6 * HOUR, NOW, 'now-1h'))).toBeUndefined();
    expect(liveRange(rangeOf(NOW - 8 * 24 * HOUR, NOW))).toBeUndefined();
  });

  it('ANDs the viewer filter into the filter and keeps what the kind takes', () => {
    const q: TicketsQuery = {
      refId: 'A',
      queryType: 'logs',
      filter: 'severity <= 2',
      viewerFilter: 'service = "db"',
      search: 'disk',
      limit: 5000,
      live: true,
      baseline: '24h',
      adhocFilters: [{ key: 'region', operator: '=', value: 'eu' }],
    };
    expect(liveSpec(q, '3600s')).toEqual({
      kind: 'logs',
      range: '3600s',
      filter: '(severity <= 2) and (service = "db")',
      search: 'disk',
      limit: 1000,
      adhocFilters: [{ key: 'region', operator: '=', value: 'eu' }],
    });
    expect(liveSpec({ refId: 'A', queryType: 'stats', baseline: '24h', search: 'x' }, '3600s')).toEqual({
      kind: 'stats',
      range: '3600s',
      baseline: '24h',
    });
    expect(liveSpec({ refId: 'A', queryType: 'counts' }, '3600s')).toBeUndefined();
    expect(liveSpec({ refId: 'A', queryType: 'counts' }, '3600s', 60000)?.bucket).toBe('60s');
    expect(liveSpec({ refId: 'A', queryType: 'breakdown', field: 'service' }, '3600s', 60000)).toBeUndefined();
  });
});

function rows(ids: string[], titles: string[]): DataFrame {
  return toDataFrame({
    fields: [
      { name: 'id', type: FieldType.string, values: ids },
      { name: 'title', type: FieldType.string, values: titles },
    ],
  });
}

function values(fr: DataFrame, name: string): unknown[] {
  return [...(fr.fields.find((f) => f.name === name)?.values ?? [])];
}

describe('merging a channel frame into the answer', () => {
  it('lays written tickets over the rows by key, newest first, within the limit', () => {
    const base = rows(['T-3', 'T-2', 'T-1'], ['three', 'two', 'one']);
    const out = mergeRows(base, rows(['T-4', 'T-2'], ['four', 'two, updated']), 'id', 4);
    expect(values(out, 'id')).toEqual(['T-4', 'T-2', 'T-3', 'T-1']);
    expect(values(out, 'title')).toEqual(['four', 'two, updated', 'three', 'one']);
    expect(out.length).toBe(4);
    expect(values(mergeRows(base, rows(['T-4'], ['four']), 'id', 2), 'id')).toEqual(['T-4', 'T-3']);
  });

  it('replaces recounted buckets, appends new ones and drops those out of the range', () => {
    const counts = (times: number[], n: number[]) =>
      toDataFrame({
        fields: [
          { name: 'time', type: FieldType.time, values: times, config: { interval: 60000 } },
          { name: 'count', type: FieldType.number, values: n },
        ],
      });
    const base = counts([NOW - 3 * 60000, NOW - 2 * 60000, NOW - 60000], [1, 2, 3]);
    // A ticket lowered the bucket a minute ago (it left the filter) and one landed now.
    const out = mergeBuckets(base, counts([NOW - 60000, NOW], [2, 1]), NOW - 2 * 60000);
    expect(values(out, 'time')).toEqual([NOW - 2 * 60000, NOW - 60000, NOW]);
    expect(values(out, 'count')).toEqual([2, 2, 1]);
  });
});

describe('DataSource.query with live', () => {
  const logsFrame = (ids: string[]) =>
    dataFrameToJSON(
      toDataFrame({
        refId: 'A',
        fields: [
          { name: 'timestamp', type: FieldType.time, values: ids.map(() => NOW) },
          { name: 'body', type: FieldType.string, values: ids.map((id) => `ticket ${id}`) },
          { name: 'id', type: FieldType.string, values: ids },
        ],
      })
    );
  const posted: unknown[] = [];
  beforeEach(() => {
    channels.length = 0;
    posted.length = 0;
    serveBackend((req) => {
      if (req.url.startsWith('/api/ds/query')) {
        return { data: { results: { A: { status: 200, frames: [logsFrame(['T-2', 'T-1'])] } } } };
      }
      switch (resourcePath(req)) {
        case 'live':
          posted.push(req.data);
          return { data: { path: 'v1/logs/0123456789abcdef0123456789abcdef' } };
        case 'schema':
          return { data: SCHEMA };
      }
      return { error: 'no route', status: 404 };
    });
  });

  function request(
    target: TicketsQuery,
    range = rangeOf(Date.now() - HOUR, Date.now())
  ): DataQueryRequest<TicketsQuery> {
    return {
      targets: [target],
      range,
      scopedVars: {},
      requestId: 'q',
      interval: '1m',
      intervalMs: 60000,
      timezone: 'utc',
      app: 'dashboard',
      startTime: 0,
    };
  }

  async function until(cond: () => boolean) {
    for (let i = 0; i < 100 && !cond(); i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(cond()).toBe(true);
  }

  it('subscribes to the channel of the live query and merges its frames into the answer', async () => {
    const ds = new DataSource(instanceSettings());
    const seen: DataQueryResponse[] = [];
    const sub = ds
      .query(request({ refId: 'A', queryType: 'logs', filter: 'severity <= 2', live: true }))
      .subscribe((r) => seen.push(r));
    await until(() => channels.length === 1);
    expect(seen).toHaveLength(1);
    expect(values(seen[0].data[0], 'id')).toEqual(['T-2', 'T-1']);
    const { addr, events } = channels[0];
    // Grafana Live's data source scope, this data source, the plugin's path, the live
    // query as the channel's data (what SubscribeStream and RunStream receive).
    expect(addr).toEqual({
      scope: 'ds',
      stream: 'spacetime-uid',
      path: 'v1/logs/0123456789abcdef0123456789abcdef',
      data: { kind: 'logs', range: '3600s', filter: 'severity <= 2' },
    });
    expect(posted).toEqual([addr.data]);

    events.next({ type: LiveChannelEventType.Message, message: logsFrame(['T-3', 'T-1']) });
    expect(seen).toHaveLength(2);
    expect(seen[1].state).toBe(LoadingState.Streaming);
    expect(values(seen[1].data[0], 'id')).toEqual(['T-3', 'T-1', 'T-2']);
    expect(seen[1].data[0].refId).toBe('A');
    sub.unsubscribe();
    expect(events.observed).toBe(false);
  });

  it('runs a split counts query again when its channel says tickets were written', async () => {
    let runs = 0;
    serveBackend((req) => {
      if (req.url.startsWith('/api/ds/query')) {
        runs++;
        const frame = toDataFrame({
          refId: 'A',
          fields: [
            { name: 'time', type: FieldType.time, values: [NOW], config: { interval: 60000 } },
            { name: 'db', type: FieldType.number, values: [runs] },
          ],
        });
        return { data: { results: { A: { status: 200, frames: [dataFrameToJSON(frame)] } } } };
      }
      posted.push(req.data);
      return { data: { path: 'v1/counts/0123456789abcdef0123456789abcdef' } };
    });
    const ds = new DataSource(instanceSettings());
    const seen: DataQueryResponse[] = [];
    const sub = ds
      .query(request({ refId: 'A', queryType: 'counts', splitBy: 'service', live: true }))
      .subscribe((r) => seen.push(r));
    await until(() => channels.length === 1);
    // The channel streams the totals at the answer's bucket; the split is not its to keep.
    expect(channels[0].addr.data).toEqual({ kind: 'counts', range: '3600s', bucket: '60s' });
    channels[0].events.next({ type: LiveChannelEventType.Message, message: {} as DataFrameJSON });
    await until(() => seen.length === 2);
    expect(runs).toBe(2);
    expect(values(seen[1].data[0], 'db')).toEqual([2]);
    sub.unsubscribe();
  });

  it('does not subscribe without the option or for a range in the past', async () => {
    const ds = new DataSource(instanceSettings());
    const past = rangeOf(NOW - 2 * HOUR, NOW - HOUR, 'now-1h');
    for (const r of [
      request({ refId: 'A', queryType: 'logs' }),
      request({ refId: 'A', queryType: 'logs', live: true }, past),
    ]) {
      const seen: DataQueryResponse[] = [];
      ds.query(r).subscribe((x) => seen.push(x));
      await until(() => seen.length === 1);
    }
    await new Promise((r) => setTimeout(r, 20));
    expect(channels).toHaveLength(0);
    expect(posted).toHaveLength(0);
  });
});
