import { DataSourceApi, TimeRange } from '@grafana/data';
import { DataQuery } from '@grafana/schema';
import { AwsAuthDataSourceJsonData, AwsAuthDataSourceSecureJsonData } from '@grafana/aws-sdk';

// The wire format of a query mirrors pkg/query/model.go, which is the source of truth: keep
// the two in step. Every field but queryType is optional, and the backend ignores the ones
// that do not apply to the query type.

/**
 * The query types in the backend's documentation order (pkg/query Types). Each has its label,
 * defaults and editor in src/components/queryTypes/registry.ts: adding a name here makes the
 * compiler ask for that entry.
 */
export const QUERY_TYPES = [
  'counts',
  'breakdown',
  'tickets',
  'stats',
  'values',
  'logs',
  'spike',
  'movers',
  'patterns',
  'localize',
] as const;

export type QueryType = (typeof QUERY_TYPES)[number];

/** A measure of a spike query (pkg/frames SpikeMeasures). */
export type SpikeSeries = 'rate' | 'baseline' | 'ratio';

/** Grafana's ad hoc filter as the backend reads it (pkg/filter AdHocFilter). */
export interface AdHocFilter {
  key: string;
  operator: string;
  value: string;
  values?: string[];
}

export interface SortKey {
  field: string;
  desc?: boolean;
}

export interface TicketsQuery extends DataQuery {
  queryType?: QueryType;
  /** An expression in the filter language (pkg/filter). */
  filter?: string;
  /**
   * A filter expression typed by whoever views the dashboard (a text box variable), ANDed like
   * filter. With an error it is left out, with a notice, unless checkViewerFilter is set: one
   * panel shows the error and the others keep answering.
   */
  viewerFilter?: string;
  /** Fail with the error of viewerFilter rather than leave it out. */
  checkViewerFilter?: boolean;
  adhocFilters?: AdHocFilter[];
  search?: string;
  noDefaultFilter?: boolean;
  timeField?: string;
  /** The field of a breakdown, values or movers query. */
  field?: string;
  /** One series per value of this field (counts, spike). */
  splitBy?: string;
  /**
   * Series or slices kept before "other", movers or patterns listed (default 10), or the
   * combinations a localize query names (default 5).
   */
  top?: number;
  /**
   * Breakdown, movers, localize: add the field adhocFilter (localize: also adhocFilter2 and
   * adhocFilter3), each row's ad hoc filters in the dashboard URL's format, for data links.
   */
  filterField?: boolean;
  /**
   * Bucket width of a counts query, or the spacing of a spike query's points, a duration
   * such as "5m"; empty: from the panel's interval. A patterns query answers its counts
   * over time (a second frame) only when it has one.
   */
  bucket?: string;
  /** Columns of a tickets query, or the fields a logs line shows when expanded. */
  columns?: string[];
  sort?: SortKey[];
  /** Rows (tickets), lines (logs) or values (values). */
  limit?: number;
  prefix?: string;
  /** The recent period of a spike query, a duration (default "10m"). */
  window?: string;
  /**
   * The period before that a spike (default "24h", before the window), movers, stats or
   * localize query (default: as long as the range, before it) compares with, a duration.
   */
  baseline?: string;
  /** The measures a spike query returns; empty: all three. An alert rule asks for one. */
  series?: SpikeSeries[];
  /** The column a logs query maps onto each line's level; empty: one named like a severity. */
  levelField?: string;
  /**
   * Keep the panel current through a Grafana Live channel as tickets are written (logs,
   * tickets, counts and stats, over a range that ends now; see live.ts).
   */
  live?: boolean;
  /** The fields whose values a localize query combines; empty: the schema's facets. */
  dimensions?: string[];
  /**
   * Localize, for an alert rule: answer one number (the share of the window's tickets in
   * the most likely cause, in percent) whose labels name the cause, the window's tickets and
   * the verdict, for the rule's template ($values.REFID.Labels.cause). Never empty.
   */
  summary?: boolean;
}

export const DEFAULT_QUERY: Partial<TicketsQuery> = {
  queryType: 'counts',
};

/** The query of a template variable whose values are the values of one field. */
export interface VariableQuery extends DataQuery {
  field?: string;
  prefix?: string;
  filter?: string;
  limit?: number;
  /** Show each value's ticket count beside it in the variable's picker. */
  showCounts?: boolean;
}

// ---- Data source settings (pkg/plugin/settings.go) ----

export type StoreKind = 'embedded' | 'dynamodb';
export type SourceType = 'none' | 'demo' | 'http' | 'files';
export type HttpPreset = 'jira' | 'pagerduty' | 'servicenow' | 'github' | 'custom';
export type HttpAuth = 'none' | 'bearer' | 'basic' | 'header';

export interface DynamoDBSettings {
  table?: string;
  endpoint?: string;
  /**
   * How often this Grafana server reads what the other servers sharing the table wrote, a Go
   * duration such as "10s" (the default; at least 500ms): a ticket one server stores is
   * queryable on the others at most this much later.
   */
  follow?: string;
}

export interface HttpSourceSettings {
  preset?: HttpPreset;
  url?: string;
  auth?: HttpAuth;
  headerName?: string;
  username?: string;
  /** YAML: schema column -> JSON path. */
  mapping?: string;
}

export interface SourceSettings {
  type?: SourceType;
  /** How often the source is polled, a duration such as "1m". */
  interval?: string;
  /**
   * When several Grafana servers share a DynamoDB store, only the holder of a lease in the table
   * polls the source, renewing it every third of this length, a duration such as "30s" (the
   * default; at least 1s). When the holder dies, another server takes over one to one and a
   * third lease lengths later.
   */
  lease?: string;
  demo?: { backfill?: string };
  http?: HttpSourceSettings;
  files?: { dir?: string };
}

/**
 * jsonData. The AWS connection fields (authType, defaultRegion, profile, assumeRoleArn,
 * externalId, endpoint) are @grafana/aws-sdk's, so its ConnectionConfig edits them in place.
 */
export interface TicketsOptions extends AwsAuthDataSourceJsonData {
  store?: StoreKind;
  storePath?: string;
  /** The column schema as YAML (or JSON) text; empty: schemaPath, else the built-in schema. */
  schema?: string;
  schemaPath?: string;
  dynamodb?: DynamoDBSettings;
  /** How far back tickets are held in memory, such as 30d; empty: every ticket of the store. */
  window?: string;
  source?: SourceSettings;
}

/** secureJsonData: write-only; Grafana never sends it back, only secureJsonFields flags. */
export interface TicketsSecureJsonData extends AwsAuthDataSourceSecureJsonData {
  httpToken?: string;
  httpPassword?: string;
  httpHeaderValue?: string;
  /** The secret webhook deliveries are signed with (pkg/plugin/webhooks.go). */
  webhookSecret?: string;
}

// ---- Backend resources (pkg/plugin/resources.go) ----

export type ColumnType = 'string' | 'text' | 'number' | 'time' | 'bool';

export interface SchemaColumn {
  name: string;
  type: ColumnType;
  title?: string;
  unit?: string;
  format?: string;
  order?: number;
  table?: boolean;
  detail?: boolean;
  facet?: boolean;
  /** A facet whose values follow a ticket's age (a status): the dashboards' cause search leaves it out. */
  lifecycle?: boolean;
  link?: string;
}

/** GET schema */
export interface SchemaResponse {
  key: string;
  version?: string;
  time: string;
  open?: string;
  nulls?: string[];
  columns: SchemaColumn[];
  table?: { columns?: string[]; sort?: SortKey[]; limit?: number };
  defaults?: { filter?: string };
  facets: string[];
  /**
   * The pattern dimension, when the schema mines patterns (pkg/schema Patterns): the column
   * mined and the name of the field holding each ticket's pattern id. That field is not a
   * column (records never carry it) but filters, ad hoc filters and breakdowns take it.
   */
  patterns?: { field: string; name: string };
}

export interface ValueCount {
  value: string;
  count: number;
}

/** GET values */
export interface ValuesResponse {
  field: string;
  values: ValueCount[];
}

export interface FilterError {
  /** 0-based byte offset into the filter text (UTF-8), as the Go backend counts. */
  position: number;
  message: string;
}

/** POST validate */
export interface ValidateResponse {
  valid: boolean;
  error?: FilterError;
}

export interface SchemaProblem {
  path: string;
  line?: number;
  message: string;
}

/** POST validate-schema */
export interface ValidateSchemaResponse {
  valid: boolean;
  columns?: number;
  problems?: SchemaProblem[];
}

// ---- What the editors and the variable support ask of the data source ----

export interface ValuesRequest {
  field: string;
  prefix?: string;
  limit?: number;
  /** A filter expression that narrows the tickets whose values are counted. */
  filter?: string;
  range?: TimeRange;
}

/**
 * TicketsApi is the part of the data source (src/datasource.ts) that the editors, their hooks
 * and the variable support call. They depend on this interface rather than on the DataSource
 * class, so that the data source can build its variable support and pick editors without an
 * import cycle (datasource -> variables -> editors -> datasource), which `npm run lint` refuses.
 */
export interface TicketsApi {
  /** The column schema, read once per data source instance. */
  getSchema(): Promise<SchemaResponse>;
  /** The most frequent values of a field, with their counts. */
  getValues(req: ValuesRequest): Promise<ValueCount[]>;
  /** Whether a filter (variables already replaced) parses and fits the schema. */
  validateFilter(filter: string): Promise<ValidateResponse>;
  /** A filter with its variables replaced, as a query would send it. */
  interpolateFilter(filter: string): string;
}

/** The data source as the editors see it: Grafana's DataSourceApi plus TicketsApi. */
export type TicketsDataSourceApi = DataSourceApi<TicketsQuery, TicketsOptions> & TicketsApi;
