// Live panels: a query with `live` set keeps its panel current through a Grafana Live
// channel of the data source, as tickets are written (pkg/live). The channel's data is a
// live query (LiveSpec, pkg/live Spec) derived from the panel's interpolated query; its
// path comes from the plugin (POST live), which digests the query as Go encodes it.
//
// How it is subscribed follows Grafana's own data sources: Loki's live tail
// (public/app/plugins/datasource/loki/streaming.ts of grafana/grafana) subscribes with
// getGrafanaLiveSrv().getStream to a data source channel whose path is a digest of the
// query and whose data is the query, and grafana-plugin-examples'
// examples/datasource-streaming-backend-websocket/.../src/datasource.ts passes the query as
// the channel's data the same way. Grafana calls the plugin's SubscribeStream and
// RunStream with that data (pkg/services/live/features/plugin.go).
//
// The frames a channel sends are not the panel's whole answer: a feed or table frame holds
// the tickets just written, a counts frame the buckets they touched, a stats frame the new
// figures. They are merged into the panel's last answer here, by ticket key and by bucket
// time, because @grafana/data's StreamingDataFrame only appends rows or replaces the frame:
// an updated ticket would show twice and a recounted bucket would be a second point.

import {
  DataFrame,
  DataFrameJSON,
  DataQueryResponse,
  dataFrameFromJSON,
  Field,
  FieldType,
  LoadingState,
  TimeRange,
} from '@grafana/data';
import { concat, EMPTY, from, merge, Observable, of } from 'rxjs';
import { catchError, map, switchMap, throttleTime } from 'rxjs/operators';

import { AdHocFilter, TicketsQuery } from './types';

/** The kinds of live query (pkg/live). */
export type LiveKind = 'logs' | 'tickets' | 'counts' | 'stats';

/** The live query, the channel's data (pkg/live Spec): unknown members are refused. */
export interface LiveSpec {
  kind: LiveKind;
  filter?: string;
  adhocFilters?: AdHocFilter[];
  noDefaultFilter?: boolean;
  search?: string;
  timeField?: string;
  /** The panel's relative range, in seconds ("21600s"). */
  range: string;
  /** The counts bucket, in seconds. */
  bucket?: string;
  columns?: string[];
  limit?: number;
  levelField?: string;
  baseline?: string;
}

/** The longest range a channel streams (pkg/live MaxRange). */
export const MAX_LIVE_RANGE_MS = 7 * 24 * 3600 * 1000;

/** The fewest milliseconds between two runs of a split counts query that a channel triggers. */
export const REFRESH_MS = 1000;

/** The query types that can be live: the others refresh with the dashboard. */
export const LIVE_QUERY_TYPES = ['logs', 'tickets', 'counts', 'stats'] as const;

export function canBeLive(q: TicketsQuery): boolean {
  return (LIVE_QUERY_TYPES as readonly string[]).includes(q.queryType ?? 'counts');
}

/**
 * liveRange is the range a channel streams for the panel's time range, in seconds, or
 * undefined when the range does not end now (going back in time shows a fixed past) or is
 * longer than a channel streams.
 */
export function liveRange(range: TimeRange): string | undefined {
  const to = range.raw.to;
  if (typeof to !== 'string' || to !== 'now') {
    return undefined;
  }
  const ms = range.to.valueOf() - range.from.valueOf();
  if (ms <= 0 || ms > MAX_LIVE_RANGE_MS) {
    return undefined;
  }
  return `${Math.max(1, Math.round(ms / 1000))}s`;
}

function nonEmpty(s: string | undefined): s is string {
  return s !== undefined && s.trim() !== '';
}

/**
 * liveSpec is the live query of an interpolated panel query over a range (liveRange). A
 * counts query needs its bucket (the width of the answer's buckets, in milliseconds). The
 * viewer's filter is ANDed into the filter: a channel streams what the query shows. A counts
 * query split by a field streams its totals, which only tell the panel to run its query
 * again (see keepLive).
 */
export function liveSpec(q: TicketsQuery, range: string, bucketMs?: number): LiveSpec | undefined {
  if (!canBeLive(q)) {
    return undefined;
  }
  const kind = (q.queryType ?? 'counts') as LiveKind;
  const spec: LiveSpec = { kind, range };
  const filters = [q.filter, q.viewerFilter].filter(nonEmpty);
  if (filters.length === 1) {
    spec.filter = filters[0];
  } else if (filters.length === 2) {
    spec.filter = filters.map((f) => `(${f})`).join(' and ');
  }
  if (q.adhocFilters && q.adhocFilters.length > 0) {
    spec.adhocFilters = q.adhocFilters;
  }
  if (q.noDefaultFilter) {
    spec.noDefaultFilter = true;
  }
  if (nonEmpty(q.timeField)) {
    spec.timeField = q.timeField;
  }
  if ((kind === 'logs' || kind === 'tickets') && nonEmpty(q.search)) {
    spec.search = q.search;
  }
  if ((kind === 'logs' || kind === 'tickets') && q.columns && q.columns.length > 0) {
    spec.columns = q.columns;
  }
  if ((kind === 'logs' || kind === 'tickets') && q.limit) {
    spec.limit = Math.min(q.limit, 1000);
  }
  if (kind === 'logs' && nonEmpty(q.levelField)) {
    spec.levelField = q.levelField;
  }
  if (kind === 'stats' && nonEmpty(q.baseline)) {
    spec.baseline = q.baseline;
  }
  if (kind === 'counts') {
    if (!bucketMs || bucketMs < 1000) {
      return undefined;
    }
    spec.bucket = `${Math.round(bucketMs / 1000)}s`;
  }
  return spec;
}

/** bucketOf is the bucket width of a counts frame: its time field's interval, in ms. */
export function bucketOf(frames: DataFrame[]): number | undefined {
  for (const fr of frames) {
    const t = fr.fields.find((f) => f.type === FieldType.time);
    if (t?.config.interval) {
      return t.config.interval;
    }
  }
  return undefined;
}

function withValues(field: Field, values: unknown[]): Field {
  return { ...field, values, state: undefined };
}

/**
 * mergeRows lays the rows of update (the tickets just written) over base, matched by the
 * key field: a written ticket's row replaces its old one and comes first, newest first as
 * the channel sends them, and the rows beyond limit go. Fields are those of base.
 */
export function mergeRows(base: DataFrame, update: DataFrame, key: string, limit: number): DataFrame {
  const baseKey = base.fields.find((f) => f.name === key);
  const updKey = update.fields.find((f) => f.name === key);
  if (!baseKey || !updKey) {
    return base;
  }
  const written = new Set(updKey.values.map(String));
  const keep: number[] = [];
  for (let i = 0; i < base.length; i++) {
    if (!written.has(String(baseKey.values[i]))) {
      keep.push(i);
    }
  }
  const n = Math.min(limit, update.length + keep.length);
  const fields = base.fields.map((f) => {
    const u = update.fields.find((x) => x.name === f.name);
    const values: unknown[] = [];
    for (let i = 0; i < update.length && values.length < n; i++) {
      values.push(u ? u.values[i] : null);
    }
    for (const i of keep) {
      if (values.length >= n) {
        break;
      }
      values.push(f.values[i]);
    }
    return withValues(f, values);
  });
  return { ...base, fields, length: n };
}

/**
 * mergeBuckets lays the buckets of update (recounted from the earliest one a write touched
 * to the current one) over base, by time, and drops the buckets older than fromMs: the
 * range moves on with the clock.
 */
export function mergeBuckets(base: DataFrame, update: DataFrame, fromMs: number): DataFrame {
  const bt = base.fields.find((f) => f.type === FieldType.time);
  const ut = update.fields.find((f) => f.type === FieldType.time);
  if (!bt || !ut) {
    return base;
  }
  const rows = new Map<number, Map<string, unknown>>();
  const put = (fr: DataFrame, t: Field) => {
    for (let i = 0; i < fr.length; i++) {
      const at = Number(t.values[i]);
      const row = new Map<string, unknown>();
      for (const f of fr.fields) {
        row.set(f.name, f.values[i]);
      }
      rows.set(at, row);
    }
  };
  put(base, bt);
  put(update, ut);
  const times = [...rows.keys()].filter((t) => t >= fromMs).sort((a, b) => a - b);
  const fields = base.fields.map((f) =>
    withValues(
      f,
      times.map((t) => rows.get(t)?.get(f.name) ?? (f === bt ? t : 0))
    )
  );
  return { ...base, fields, length: times.length };
}

/** A panel target kept live. */
export interface LiveTarget {
  refId: string;
  query: TicketsQuery;
  /** The channel streams only a signal: the target's query runs again (a split counts query). */
  refresh: boolean;
}

/** What keepLive needs from Grafana and the plugin. */
export interface LiveDeps {
  /** The live query's channel path (the plugin's POST live). */
  path(spec: LiveSpec): Promise<string>;
  /** The frames of a channel (Grafana Live), as the plugin sends them. */
  stream(path: string, spec: LiveSpec): Observable<DataFrameJSON>;
  /** Runs the target's query again. */
  rerun(refId: string): Observable<DataQueryResponse>;
  /** The ticket key column (the schema's key), for the tickets frames. */
  key(): Promise<string>;
  /** The panel's range in seconds (liveRange) and its start now. */
  range: string;
  now(): number;
  /** The request's interval, for a counts answer whose frames do not say their bucket. */
  intervalMs: number;
}

/**
 * keepLive passes the panel's answer on, then merges into it each frame of the live
 * targets' channels and passes the result on again (a DataQueryResponse with the same key
 * replaces the previous one in the panel). A channel that cannot be had (Grafana Live off,
 * a query that cannot stream) is left out quietly: the panel refreshes as without live.
 */
export function keepLive(
  base$: Observable<DataQueryResponse>,
  targets: LiveTarget[],
  deps: LiveDeps
): Observable<DataQueryResponse> {
  return base$.pipe(
    switchMap((first) => {
      if (first.errors?.length || first.state === LoadingState.Error) {
        return of(first);
      }
      let data: DataFrame[] = [...first.data];
      const framesOf = (refId: string) => data.filter((f) => f.refId === refId);
      const replace = (refId: string, frames: DataFrame[]) => {
        const at = data.findIndex((f) => f.refId === refId);
        const rest = data.filter((f) => f.refId !== refId);
        rest.splice(at < 0 ? rest.length : at, 0, ...frames.map((f) => ({ ...f, refId })));
        data = rest;
      };
      const updates = targets.map((t) => {
        const spec = liveSpec(t.query, deps.range, bucketOf(framesOf(t.refId)) ?? deps.intervalMs);
        if (!spec) {
          return EMPTY;
        }
        const frames$ = from(
          Promise.all([deps.path(spec), spec.kind === 'tickets' ? deps.key() : Promise.resolve('id')])
        ).pipe(switchMap(([path, key]) => deps.stream(path, spec).pipe(map((msg) => ({ msg, key })))));
        if (t.refresh) {
          return frames$.pipe(
            throttleTime(REFRESH_MS, undefined, { leading: true, trailing: true }),
            switchMap(() => deps.rerun(t.refId)),
            map((resp) => replace(t.refId, resp.data)),
            catchError(() => EMPTY)
          );
        }
        return frames$.pipe(
          map(({ msg, key }) => {
            const update = dataFrameFromJSON(msg);
            const old = framesOf(t.refId)[0];
            if (!old || spec.kind === 'stats') {
              replace(t.refId, [update]);
            } else if (spec.kind === 'counts') {
              const fromMs = deps.now() - Number.parseInt(deps.range, 10) * 1000;
              replace(t.refId, [mergeBuckets(old, update, fromMs)]);
            } else {
              replace(t.refId, [mergeRows(old, update, key, spec.limit ?? t.query.limit ?? 200)]);
            }
          }),
          catchError(() => EMPTY)
        );
      });
      return concat(
        of(first),
        merge(...updates).pipe(map((): DataQueryResponse => ({ ...first, data, state: LoadingState.Streaming })))
      );
    })
  );
}
