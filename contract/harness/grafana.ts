// The few services that Grafana's own application code (public/app, which is not published)
// gives the published packages at start-up, written here as small as the contract suite needs
// them, each after the Grafana source file named beside it. Everything else that runs is
// Grafana's published code: @grafana/runtime (DataSourceWithBackend), @grafana/data
// (transformations, field overrides, display, data links) and @grafana/scenes (variables,
// interpolation, query running, URL sync).

import {
  AdHocVariableFilter,
  DataQueryRequest,
  DataQueryResponse,
  DataSourceApi,
  DataSourceInstanceSettings,
  DataSourcePluginMeta,
  DataSourceRef,
  DataTopic,
  GrafanaConfig,
  LoadingState,
  PanelData,
  PluginType,
  ScopedVars,
  TimeRange,
  TypedVariableModel,
  getProcessedDataFrames,
  locationUtil,
  standardTransformers,
  standardTransformersRegistry,
  TransformerRegistryItem,
} from '@grafana/data';
import {
  BackendSrv,
  BackendSrvRequest,
  DataSourceSrv,
  FetchError,
  FetchResponse,
  GetDataSourceListFilters,
  TemplateSrv,
  config,
  setBackendSrv,
  setDataSourceSrv,
  setRunRequest,
  setTemplateSrv,
  toDataQueryError,
} from '@grafana/runtime';
import { SceneObject, sceneGraph } from '@grafana/scenes';
import { readFileSync } from 'fs';
import path from 'path';
import { Observable, from, lastValueFrom, of } from 'rxjs';
import { catchError, map } from 'rxjs/operators';

import { plugin } from '../../src/module';
import { BridgeReady, REPO } from './bridge';
import { initFieldConfigRegistry } from './fieldConfig';

/**
 * BridgeBackendSrv is Grafana's backend_srv (public/app/core/services/backend_srv.ts) reduced to
 * what the data source calls: fetch against the bridge. Params are serialized as
 * parseUrlFromOptions does (public/app/core/utils/fetch.ts: undefined and empty values left out,
 * encodeURIComponent, arrays repeated), a JSON body is sent as JSON, and an answer that is not 2xx
 * is thrown as a FetchError {status, statusText, data}, which is what DataSourceWithBackend and
 * toDataQueryResponse read.
 */
export class BridgeBackendSrv implements BackendSrv {
  /** Every request, for tests that look at what the frontend sent. */
  readonly requests: Array<{ method: string; url: string; body?: unknown }> = [];

  constructor(private readonly base: string) {}

  fetch<T>(options: BackendSrvRequest): Observable<FetchResponse<T>> {
    return from(this.send<T>(options));
  }

  private async send<T>(options: BackendSrvRequest): Promise<FetchResponse<T>> {
    const method = (options.method ?? 'GET').toUpperCase();
    const url = withParams(options.url, options.params);
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    let body: string | undefined;
    if (options.data !== undefined && method !== 'GET') {
      body = typeof options.data === 'string' ? options.data : JSON.stringify(options.data);
      headers['Content-Type'] = headers['Content-Type'] ?? 'application/json';
    }
    this.requests.push({ method, url, body: options.data });
    const res = await fetch(this.base + url, { method, headers, body });
    const text = await res.text();
    let data: unknown = text;
    try {
      data = JSON.parse(text);
    } catch {
      // a text body (an export) stays text, as backend_srv's parseResponseBody leaves it
    }
    const response: FetchResponse<T> = {
      data: data as T,
      status: res.status,
      statusText: res.statusText,
      ok: res.ok,
      headers: res.headers,
      redirected: res.redirected,
      type: res.type,
      url: res.url,
      config: options,
    };
    if (!res.ok) {
      const err: FetchError = { status: res.status, statusText: res.statusText, data, config: options };
      throw err;
    }
    return response;
  }

  async get<T = unknown>(url: string, params?: BackendSrvRequest['params']): Promise<T> {
    return (await lastValueFrom(this.fetch<T>({ url, params, method: 'GET' }))).data;
  }
  async delete<T = unknown>(url: string, data?: unknown): Promise<T> {
    return (await lastValueFrom(this.fetch<T>({ url, data, method: 'DELETE' }))).data;
  }
  async post<T = unknown>(url: string, data?: unknown): Promise<T> {
    return (await lastValueFrom(this.fetch<T>({ url, data, method: 'POST' }))).data;
  }
  async patch<T = unknown>(url: string, data?: unknown): Promise<T> {
    return (await lastValueFrom(this.fetch<T>({ url, data, method: 'PATCH' }))).data;
  }
  async put<T = unknown>(url: string, data?: unknown): Promise<T> {
    return (await lastValueFrom(this.fetch<T>({ url, data, method: 'PUT' }))).data;
  }
  async request<T = unknown>(options: BackendSrvRequest): Promise<T> {
    return (await lastValueFrom(this.fetch<T>(options))).data;
  }
  datasourceRequest<T = unknown>(options: BackendSrvRequest): Promise<FetchResponse<T>> {
    return lastValueFrom(this.fetch<T>(options));
  }
  chunked(): Observable<FetchResponse<Uint8Array | undefined>> {
    throw new Error('chunked requests are not used by Spacetime');
  }
}

function withParams(url: string, params: BackendSrvRequest['params']): string {
  if (!params || typeof params !== 'object') {
    return url;
  }
  const parts: string[] = [];
  for (const [key, value] of Object.entries(params as Record<string, unknown>)) {
    if (value === undefined || ((typeof value === 'string' || Array.isArray(value)) && value.length === 0)) {
      continue;
    }
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(v))}`);
    }
  }
  return parts.length > 0 ? `${url}?${parts.join('&')}` : url;
}

/**
 * ContractDataSourceSrv is Grafana's DatasourceSrv (public/app/features/plugins/datasource_srv.ts)
 * for the bridge's data sources: instance settings by uid or name, a "$variable" uid resolved
 * through the template service to the current data source (with rawRef set to the real one, which
 * DataSourceWithBackend sends), and instances of the plugin's real DataSource class, made from
 * src/module.ts as loadDatasource makes them from the plugin's module.
 */
export class ContractDataSourceSrv implements DataSourceSrv {
  private readonly byUid = new Map<string, DataSourceInstanceSettings>();
  private readonly instances = new Map<string, DataSourceApi>();
  private readonly defaultUid: string;

  constructor(settings: DataSourceInstanceSettings[], defaultUid: string) {
    for (const s of settings) {
      this.byUid.set(s.uid, s);
    }
    this.defaultUid = defaultUid;
  }

  getInstanceSettings(
    ref?: DataSourceRef | string | null,
    scopedVars?: ScopedVars
  ): DataSourceInstanceSettings | undefined {
    const nameOrUid = typeof ref === 'string' ? ref : ref?.uid;
    if (nameOrUid === undefined || nameOrUid === null || nameOrUid === 'default') {
      return this.byUid.get(this.defaultUid);
    }
    if (nameOrUid.startsWith('$')) {
      const uid = getTemplateSrvInstance().replace(nameOrUid, scopedVars, firstValue);
      const s = this.lookup(uid);
      if (!s) {
        return undefined;
      }
      return { ...s, isDefault: false, name: nameOrUid, uid: nameOrUid, rawRef: { type: s.type, uid: s.uid } };
    }
    return this.lookup(nameOrUid);
  }

  private lookup(nameOrUid: string): DataSourceInstanceSettings | undefined {
    return this.byUid.get(nameOrUid) ?? [...this.byUid.values()].find((s) => s.name === nameOrUid);
  }

  async get(ref?: DataSourceRef | string | null, scopedVars?: ScopedVars): Promise<DataSourceApi> {
    let nameOrUid = (typeof ref === 'string' ? ref : ref?.uid) ?? this.defaultUid;
    // As in datasource_srv.ts: a known uid or name needs no interpolation; a variable does.
    if (!this.lookup(nameOrUid)) {
      nameOrUid = getTemplateSrvInstance().replace(nameOrUid, scopedVars, firstValue);
    }
    const settings = this.lookup(nameOrUid === 'default' ? this.defaultUid : nameOrUid);
    if (!settings) {
      throw { message: `Datasource ${nameOrUid} was not found` };
    }
    let ds = this.instances.get(settings.uid);
    if (!ds) {
      ds = new plugin.DataSourceClass(settings as DataSourceInstanceSettings<never>) as unknown as DataSourceApi;
      this.instances.set(settings.uid, ds);
    }
    return ds;
  }

  getList(filters: GetDataSourceListFilters = {}): DataSourceInstanceSettings[] {
    return [...this.byUid.values()]
      .filter((s) => !filters.pluginId || s.meta.id === filters.pluginId)
      .filter(
        (s) => !filters.type || (Array.isArray(filters.type) ? filters.type.includes(s.type) : s.type === filters.type)
      )
      .filter((s) => !filters.metrics || s.meta.metrics)
      .filter((s) => !filters.alerting || s.meta.alerting)
      .sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
  }

  reload(): void {}

  registerRuntimeDataSource(): void {
    throw new Error('runtime data sources are not used by Spacetime');
  }
}

/** variableInterpolation in datasource_srv.ts: a multi-value data source variable gives its first value. */
function firstValue(value: unknown): string {
  return String(Array.isArray(value) ? value[0] : value);
}

/**
 * SceneTemplateSrv is Grafana's TemplateSrv (public/app/features/templating/template_srv.ts) as it
 * behaves under scenes dashboards: replace() interpolates with scenes' sceneGraph.interpolate in
 * the scope of scopedVars.__sceneObject, or else of the dashboard scene that is open.
 */
export class SceneTemplateSrv implements TemplateSrv {
  scene?: SceneObject;

  replace(target?: string, scopedVars?: ScopedVars, format?: string | Function): string {
    const owner = scopedVars?.__sceneObject?.value;
    const scope = owner && typeof owner.valueOf === 'function' ? (owner.valueOf() as SceneObject) : this.scene;
    if (!scope) {
      throw new Error('no scene to interpolate in: open a dashboard first');
    }
    return sceneGraph.interpolate(scope, target, scopedVars, format as Parameters<typeof sceneGraph.interpolate>[3]);
  }

  getVariables(): TypedVariableModel[] {
    return [];
  }

  /**
   * The deprecated getAdhocFilters that core's TemplateSrv still has: scenes replaces it on the
   * instance with one that reads the active ad hoc variables (patchGetAdhocFilters.ts).
   */
  getAdhocFilters(_: string): AdHocVariableFilter[] {
    return [];
  }

  containsTemplate(target?: string): boolean {
    return target !== undefined && /\$\w+|\[\[\w+|\$\{\w+/.test(target);
  }

  updateTimeRange(_: TimeRange): void {}
}

let templateSrv: SceneTemplateSrv | undefined;
let registriesFilled = false;

function getTemplateSrvInstance(): SceneTemplateSrv {
  if (!templateSrv) {
    throw new Error('installGrafana has not run');
  }
  return templateSrv;
}

/**
 * runRequest is Grafana's runRequest (public/app/features/query/state/runRequest.ts) without
 * its loading-state timer and analytics: the data source's query() answers become PanelData, the
 * frames through getProcessedDataFrames (published in @grafana/data), annotation frames apart,
 * an error or errors turn the state to Error, as processResponsePacket does.
 */
export function runRequest(ds: DataSourceApi, request: DataQueryRequest): Observable<PanelData> {
  const started = ds.query(request);
  const answers: Observable<DataQueryResponse> = started instanceof Observable ? started : from(started);
  return answers.pipe(
    map((packet): PanelData => {
      const data = packet.data ?? [];
      const series = data.filter((d) => d?.meta?.dataTopic !== DataTopic.Annotations);
      const annotations = data.filter((d) => d?.meta?.dataTopic === DataTopic.Annotations);
      const failed = Boolean(packet.error || packet.errors?.length);
      return {
        state: failed ? LoadingState.Error : (packet.state ?? LoadingState.Done),
        series: getProcessedDataFrames(series),
        annotations: getProcessedDataFrames(annotations),
        error: packet.error,
        errors: packet.errors,
        request,
        timeRange: request.range,
      };
    }),
    catchError((err: unknown) =>
      of<PanelData>({
        state: LoadingState.Error,
        series: [],
        error: toDataQueryError(err as Parameters<typeof toDataQueryError>[0]),
        errors: [toDataQueryError(err as Parameters<typeof toDataQueryError>[0])],
        request,
        timeRange: request.range,
      })
    )
  );
}

/** grafanaMajor is the major version of the @grafana/data that runs: 12 or 13. */
export function grafanaMajor(): number {
  const file = require.resolve('@grafana/data/package.json');
  return Number((JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version.split('.')[0]);
}

/** pluginMeta is the plugin's meta as Grafana reads it from src/plugin.json. */
export function pluginMeta(): DataSourcePluginMeta {
  const json = JSON.parse(readFileSync(path.join(REPO, 'src', 'plugin.json'), 'utf8')) as DataSourcePluginMeta;
  return {
    ...json,
    type: PluginType.datasource,
    module: 'plugins/' + json.id + '/module',
    baseUrl: 'public/plugins/' + json.id,
  };
}

export interface Grafana {
  backendSrv: BridgeBackendSrv;
  dataSourceSrv: ContractDataSourceSrv;
  templateSrv: SceneTemplateSrv;
  settings: DataSourceInstanceSettings[];
  /** The dashboard open now: Grafana shows one at a time, and openDashboard closes the last. */
  current?: { close: () => void };
}

/**
 * installGrafana wires the services above into @grafana/runtime, fills the registries Grafana
 * fills at start-up (the standard transformations: standardTransformers of @grafana/data, as
 * public/app/features/transformers/standardTransformers.ts registers them; the standard field
 * options, fieldConfig.ts) and initializes locationUtil as public/app/app.ts does, for the
 * bridge's data sources.
 */
export function installGrafana(ready: BridgeReady): Grafana {
  const meta = pluginMeta();
  const provisioned = ready.datasources.find((d) => d.provisioned);
  if (!provisioned) {
    throw new Error('the bridge serves no provisioned data source');
  }
  const settings: DataSourceInstanceSettings[] = ready.datasources.map((d) => ({
    id: d.id,
    uid: d.uid,
    type: d.type,
    name: d.name,
    meta,
    jsonData: d.jsonData,
    access: 'proxy',
    readOnly: false,
    isDefault: d.uid === provisioned.uid,
  }));
  const backendSrv = new BridgeBackendSrv(ready.url);
  const dataSourceSrv = new ContractDataSourceSrv(settings, provisioned.uid);
  templateSrv = new SceneTemplateSrv();
  setBackendSrv(backendSrv);
  setDataSourceSrv(dataSourceSrv);
  setTemplateSrv(templateSrv);
  setRunRequest(runRequest);
  config.appSubUrl = '';
  locationUtil.initialize({
    // The published types of runtime's boot config lag behind GrafanaConfig's; app.ts passes it.
    config: config as unknown as GrafanaConfig,
    getTimeRangeForUrl: () => ({ from: 'now-6h', to: 'now' }),
    getVariablesUrlParams: () => ({}),
  });
  if (!registriesFilled) {
    registriesFilled = true;
    // standardTransformers lists joinByField twice (once under its old name): register each id once.
    const byId = new Map(Object.values(standardTransformers).map((t) => [t.id, t]));
    standardTransformersRegistry.setInit(() =>
      [...byId.values()].map((t): TransformerRegistryItem => ({
        id: t.id,
        name: t.name,
        description: t.description,
        // Grafana 12 registers the transformation itself; Grafana 13 a function that resolves to
        // it (TransformerRegistryItem.transformation in standardTransformersRegistry.ts, called
        // by transformDataFrame.ts), its default options beside it.
        transformation: grafanaMajor() >= 13 ? ((() => Promise.resolve(t)) as unknown as typeof t) : t,
        ...{ defaultOptions: t.defaultOptions },
        editor: () => null,
        imageDark: '',
        imageLight: '',
      }))
    );
    initFieldConfigRegistry();
  }
  return { backendSrv, dataSourceSrv, templateSrv, settings };
}
