import {
  AdHocVariableFilter,
  CoreApp,
  DataFrameJSON,
  DataQueryRequest,
  DataQueryResponse,
  DataSourceGetTagKeysOptions,
  DataSourceGetTagValuesOptions,
  DataSourceInstanceSettings,
  GetTagResponse,
  isLiveChannelMessageEvent,
  LiveChannelScope,
  MetricFindValue,
  ScopedVars,
} from '@grafana/data';
import { DataSourceWithBackend, getGrafanaLiveSrv, getTemplateSrv } from '@grafana/runtime';
import { filter, map, Observable } from 'rxjs';

import {
  adHocFiltersToExpression,
  formatFilterVariable,
  formatListVariable,
  formatSearchVariable,
  formatSingleVariable,
} from './filterLanguage';
import { queryTypeDefinition } from './components/queryTypes/registry';
import { canBeLive, keepLive, LiveSpec, LiveTarget, liveRange } from './live';
import { errorMessage, QUIET } from './resources';
import { tagKeys } from './schema';
import {
  AdHocFilter,
  DEFAULT_QUERY,
  SchemaResponse,
  TicketsApi,
  TicketsOptions,
  TicketsQuery,
  ValidateResponse,
  ValueCount,
  ValuesRequest,
  ValuesResponse,
} from './types';
import { TicketsVariableSupport } from './variables';

/** How many values getTagValues asks for: enough to pick from, few enough to list. */
export const TAG_VALUES_LIMIT = 500;

/**
 * The string options that name one field or one duration: a variable in them stands for a
 * single value, so a multi-value variable gives its first (Grafana's single format).
 */
const SINGLE_VALUE_OPTIONS = [
  'field',
  'splitBy',
  'timeField',
  'bucket',
  'prefix',
  'window',
  'baseline',
  'levelField',
] as const;

export class DataSource extends DataSourceWithBackend<TicketsQuery, TicketsOptions> implements TicketsApi {
  private schemaRequest?: Promise<SchemaResponse>;

  constructor(instanceSettings: DataSourceInstanceSettings<TicketsOptions>) {
    super(instanceSettings);
    this.variables = new TicketsVariableSupport(this);
  }

  getDefaultQuery(_: CoreApp): Partial<TicketsQuery> {
    return DEFAULT_QUERY;
  }

  /**
   * query answers through the backend, then keeps the targets with `live` set current
   * through their Grafana Live channels (live.ts) while the range ends now.
   */
  query(request: DataQueryRequest<TicketsQuery>): Observable<DataQueryResponse> {
    const base$ = super.query(request);
    const range = liveRange(request.range);
    const targets: LiveTarget[] = [];
    if (range) {
      for (const t of request.targets) {
        if (t.live && !t.hide && canBeLive(t) && this.filterQuery(t)) {
          const q = this.applyTemplateVariables(t, request.scopedVars, request.filters);
          targets.push({
            refId: t.refId,
            query: q,
            refresh: (q.queryType ?? 'counts') === 'counts' && Boolean(q.splitBy),
          });
        }
      }
    }
    if (!range || targets.length === 0) {
      return base$;
    }
    return keepLive(base$, targets, {
      range,
      intervalMs: request.intervalMs,
      now: () => Date.now(),
      path: (spec) => this.livePath(spec),
      key: async () => (await this.getSchema()).key,
      stream: (path, spec) => this.liveStream(path, spec),
      rerun: (refId) => super.query({ ...request, targets: request.targets.filter((t) => t.refId === refId) }),
    });
  }

  private livePaths = new Map<string, Promise<string>>();

  /** livePath asks the plugin for a live query's channel path, once per distinct query. */
  livePath(spec: LiveSpec): Promise<string> {
    const key = JSON.stringify(spec);
    let p = this.livePaths.get(key);
    if (!p) {
      p = this.postResource<{ path: string }>('live', spec, QUIET).then((r) => r.path);
      p.catch(() => this.livePaths.delete(key));
      this.livePaths.set(key, p);
    }
    return p;
  }

  /** liveStream is the frames of a channel of this data source, with the live query as its data. */
  liveStream(path: string, spec: LiveSpec): Observable<DataFrameJSON> {
    return getGrafanaLiveSrv()
      .getStream<DataFrameJSON>({ scope: LiveChannelScope.DataSource, stream: this.uid, path, data: spec })
      .pipe(
        filter(isLiveChannelMessageEvent),
        map((evt) => evt.message)
      );
  }

  /**
   * filterQuery keeps hidden queries and queries that cannot run yet (each query type's
   * canRun in the registry: a breakdown, values or movers query without its field) from
   * reaching the backend, which would only answer with an error.
   */
  filterQuery(query: TicketsQuery): boolean {
    if (query.hide) {
      return false;
    }
    return queryTypeDefinition(query.queryType)?.canRun?.(query) ?? true;
  }

  /**
   * applyTemplateVariables interpolates variables and copies the dashboard's ad hoc filters
   * into the query JSON. The backend never sees Grafana's template or ad hoc variables (and
   * alert rules run no frontend code), so the query must carry everything it needs.
   */
  applyTemplateVariables(query: TicketsQuery, scopedVars: ScopedVars, filters?: AdHocVariableFilter[]): TicketsQuery {
    const templateSrv = getTemplateSrv();
    const single = (s: string | undefined): string | undefined =>
      s === undefined ? undefined : templateSrv.replace(s, scopedVars, formatSingleVariable);
    const out: TicketsQuery = { ...query };

    if (query.filter !== undefined) {
      out.filter = templateSrv.replace(query.filter, scopedVars, formatFilterVariable);
    }
    if (query.viewerFilter !== undefined) {
      out.viewerFilter = templateSrv.replace(query.viewerFilter, scopedVars, formatFilterVariable);
    }
    if (query.search !== undefined) {
      out.search = templateSrv.replace(query.search, scopedVars, formatSearchVariable);
    }
    for (const key of SINGLE_VALUE_OPTIONS) {
      out[key] = single(query[key]);
      if (out[key] === undefined) {
        delete out[key];
      }
    }
    // A multi-value variable in a list of fields stands for all its values.
    const fieldList = (names: string[]): string[] =>
      uniq(
        names.flatMap((c) =>
          templateSrv
            .replace(c, scopedVars, formatListVariable)
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== '')
        )
      );
    if (query.columns) {
      out.columns = fieldList(query.columns);
    }
    if (query.dimensions) {
      out.dimensions = fieldList(query.dimensions);
    }
    if (query.sort) {
      out.sort = query.sort.map((k) => ({ ...k, field: single(k.field) ?? '' }));
    }

    const adhoc = [...(query.adhocFilters ?? []), ...toWireFilters(filters ?? [])];
    if (adhoc.length > 0) {
      out.adhocFilters = adhoc;
    }
    return out;
  }

  interpolateVariablesInQueries(
    queries: TicketsQuery[],
    scopedVars: ScopedVars,
    filters?: AdHocVariableFilter[]
  ): TicketsQuery[] {
    return queries.map((q) => ({ ...this.applyTemplateVariables(q, scopedVars, filters), datasource: this.getRef() }));
  }

  /** interpolateFilter replaces the variables of a filter expression as a query would. */
  interpolateFilter(filter: string, scopedVars?: ScopedVars): string {
    return getTemplateSrv().replace(filter, scopedVars, formatFilterVariable);
  }

  /** getSchema reads the column schema once per data source instance; a failure is retried next time. */
  getSchema(): Promise<SchemaResponse> {
    if (!this.schemaRequest) {
      this.schemaRequest = this.getResource<SchemaResponse>('schema', undefined, QUIET);
      this.schemaRequest.catch(() => {
        this.schemaRequest = undefined;
      });
    }
    return this.schemaRequest;
  }

  async getValues(req: ValuesRequest): Promise<ValueCount[]> {
    const params: Record<string, string | number> = { field: req.field };
    if (req.prefix) {
      params.prefix = req.prefix;
    }
    if (req.limit) {
      params.limit = req.limit;
    }
    if (req.filter) {
      params.filter = req.filter;
    }
    if (req.range) {
      params.from = req.range.from.valueOf();
      params.to = req.range.to.valueOf();
    }
    const res = await this.getResource<ValuesResponse>('values', params, QUIET);
    return res.values ?? [];
  }

  validateFilter(filter: string): Promise<ValidateResponse> {
    return this.postResource<ValidateResponse>('validate', { filter }, QUIET);
  }

  /**
   * getTagKeys offers the schema's fields as ad hoc filter keys, facets first (they are the
   * dimensions worth filtering on), then the other fields in display order. Detail fields
   * (a description) are left out: the engine does not hold them in memory. Time fields are
   * left out too: the key picker then lists a key's values (getTagValues), and a time has
   * none worth listing; the time range and the filter expression filter on times. Grafana's ad hoc
   * filter variable (grafana/scenes AdHocFiltersVariable, toSelectableValue) shows `text` and
   * stores `value ?? text` as the key, so both are the field's name, which filters use.
   */
  async getTagKeys(_options?: DataSourceGetTagKeysOptions<TicketsQuery>): Promise<GetTagResponse> {
    try {
      const schema = await this.getSchema();
      return { data: tagKeys(schema).map((c) => ({ text: c.name, value: c.name })) };
    } catch (err) {
      return { data: [], error: { message: `Could not read the column schema: ${errorMessage(err)}` } };
    }
  }

  /**
   * getTagValues lists the most frequent values of a field in the dashboard's time range,
   * among the tickets that the other ad hoc filters leave. Should those filters not be
   * accepted (a regex still being typed), the values are read without them.
   */
  async getTagValues(options: DataSourceGetTagValuesOptions<TicketsQuery>): Promise<GetTagResponse> {
    const others = toWireFilters(options.filters ?? []).filter((f) => f.key !== options.key);
    const base: ValuesRequest = { field: options.key, limit: TAG_VALUES_LIMIT, range: options.timeRange };
    const filter = adHocFiltersToExpression(others);
    let values: ValueCount[];
    try {
      try {
        values = await this.getValues({ ...base, filter: filter || undefined });
      } catch (err) {
        if (!filter) {
          throw err;
        }
        values = await this.getValues(base);
      }
    } catch (err) {
      return { data: [], error: { message: `Could not read the values of ${options.key}: ${errorMessage(err)}` } };
    }
    return { data: values.filter((v) => v.value !== '').map(toMetricFindValue) };
  }
}

function toMetricFindValue(v: ValueCount): MetricFindValue {
  // The count rides along in properties: putting it in the text would make it part of the
  // label that Grafana stores with the filter (and in the URL), where it goes stale.
  return { text: v.value, value: v.value, properties: { count: String(v.count) } };
}

/**
 * toWireFilters keeps the fields of Grafana's ad hoc filters that the backend reads. Filters
 * without a key (one still being added) and scenes' group-by pseudo filters are not filters.
 */
export function toWireFilters(filters: AdHocVariableFilter[]): AdHocFilter[] {
  return filters
    .filter((f) => f.key !== '' && f.operator !== 'groupBy')
    .map((f) => {
      const out: AdHocFilter = { key: f.key, operator: f.operator, value: f.value ?? '' };
      if (f.values && f.values.length > 0) {
        out.values = [...f.values];
      }
      return out;
    });
}

function uniq(xs: string[]): string[] {
  return Array.from(new Set(xs));
}
