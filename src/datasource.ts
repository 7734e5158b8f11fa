import {
  AdHocVariableFilter,
  CoreApp,
  DataSourceGetTagKeysOptions,
  DataSourceGetTagValuesOptions,
  DataSourceInstanceSettings,
  GetTagResponse,
  MetricFindValue,
  ScopedVars,
  TimeRange,
} from '@grafana/data';
import { DataSourceWithBackend, getTemplateSrv } from '@grafana/runtime';

import {
  adHocFiltersToExpression,
  formatFilterVariable,
  formatListVariable,
  formatSearchVariable,
  formatSingleVariable,
} from './filterLanguage';
import { errorMessage, QUIET } from './resources';
import {
  AdHocFilter,
  DEFAULT_QUERY,
  SchemaColumn,
  SchemaResponse,
  TicketsOptions,
  TicketsQuery,
  ValidateResponse,
  ValueCount,
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

export interface ValuesRequest {
  field: string;
  prefix?: string;
  limit?: number;
  /** A filter expression that narrows the tickets whose values are counted. */
  filter?: string;
  range?: TimeRange;
}

export class DataSource extends DataSourceWithBackend<TicketsQuery, TicketsOptions> {
  private schemaRequest?: Promise<SchemaResponse>;

  constructor(instanceSettings: DataSourceInstanceSettings<TicketsOptions>) {
    super(instanceSettings);
    this.variables = new TicketsVariableSupport(this);
  }

  getDefaultQuery(_: CoreApp): Partial<TicketsQuery> {
    return DEFAULT_QUERY;
  }

  /**
   * filterQuery keeps hidden queries and queries that cannot run yet (a breakdown, values or
   * movers query without its field) from reaching the backend, which would only answer with
   * an error.
   */
  filterQuery(query: TicketsQuery): boolean {
    if (query.hide) {
      return false;
    }
    if (query.queryType === 'breakdown' || query.queryType === 'values' || query.queryType === 'movers') {
      return Boolean(query.field && query.field.trim() !== '');
    }
    return true;
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
    if (query.columns) {
      out.columns = uniq(
        query.columns.flatMap((c) =>
          templateSrv
            .replace(c, scopedVars, formatListVariable)
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== '')
        )
      );
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

/** orderedColumns sorts by the schema's order, ties kept in schema order (as pkg/schema does). */
export function orderedColumns(schema: SchemaResponse): SchemaColumn[] {
  return schema.columns
    .map((c, i) => ({ c, i }))
    .sort((a, b) => (a.c.order ?? 0) - (b.c.order ?? 0) || a.i - b.i)
    .map(({ c }) => c);
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
