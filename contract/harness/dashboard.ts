// Opens a committed dashboard JSON file as a scenes dashboard, the way Grafana 12 and 13 open one
// (transformSaveModelToScene.ts, createPanelDataProvider.ts and DashboardGridItem.ts in
// public/app/features/dashboard-scene), with @grafana/scenes' own objects: the variables
// (createSceneVariableFromVariableModel), the time range, one SceneQueryRunner wrapped in a
// SceneDataTransformer per panel, repeated panels with a LocalValueVariable each, and the URL
// state read by scenes' URL sync. Panels are not rendered: what a panel draws from its data is
// display.ts's part.

import { DataSourceRef, DataTransformerConfig, LoadingState, PanelData, ScopedVars } from '@grafana/data';
import {
  AdHocFiltersVariable,
  CustomVariable,
  DataSourceVariable,
  EmbeddedScene,
  LocalValueVariable,
  MultiValueVariable,
  SceneDataTransformer,
  SceneFlexItem,
  SceneFlexLayout,
  SceneObject,
  SceneObjectBase,
  SceneObjectState,
  SceneQueryRunner,
  SceneTimeRange,
  SceneVariable,
  SceneVariableSet,
  TextBoxVariable,
  VariableValue,
  sceneGraph,
  sceneUtils,
} from '@grafana/scenes';
import { readFileSync } from 'fs';
import path from 'path';

import { REPO } from './bridge';
import { Grafana, pluginMeta } from './grafana';

export interface DataLinkJSON {
  title: string;
  url: string;
  targetBlank?: boolean;
}

export interface FieldConfigJSON {
  defaults: Record<string, unknown> & { links?: DataLinkJSON[]; custom?: Record<string, unknown> };
  overrides: Array<{ matcher: { id: string; options?: unknown }; properties: Array<{ id: string; value?: unknown }> }>;
}

export interface PanelJSON {
  id: number;
  type: string;
  title: string;
  description?: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: DataSourceRef;
  targets?: Array<Record<string, unknown> & { refId: string; datasource?: DataSourceRef }>;
  transformations?: DataTransformerConfig[];
  fieldConfig: FieldConfigJSON;
  options: Record<string, unknown>;
  links?: Array<{ title: string; url: string; targetBlank?: boolean }>;
  repeat?: string;
  repeatDirection?: string;
  maxPerRow?: number;
  maxDataPoints?: number;
  interval?: string;
  collapsed?: boolean;
  panels?: PanelJSON[];
}

export interface VariableJSON {
  name: string;
  type: string;
  label?: string;
  description?: string;
  query?: string;
  current?: { text?: string | string[]; value?: string | string[] };
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
  regex?: string;
  datasource?: DataSourceRef;
  filters?: Array<{ key: string; operator: string; value: string }>;
  hide?: number;
  skipUrlSync?: boolean;
}

export interface DashboardJSON {
  uid: string;
  title: string;
  time: { from: string; to: string };
  timezone?: string;
  links?: Array<{ title: string; type: string; url?: string; keepTime?: boolean; includeVars?: boolean }>;
  templating: { list: VariableJSON[] };
  panels: PanelJSON[];
}

export function loadDashboard(file: string): DashboardJSON {
  const d = JSON.parse(readFileSync(path.join(REPO, file), 'utf8')) as DashboardJSON;
  // A panel without field config or options gets empty ones, as Grafana's PanelModel gives it.
  for (const p of dataPanels(d)) {
    p.fieldConfig = p.fieldConfig ?? { defaults: {}, overrides: [] };
    p.fieldConfig.overrides = p.fieldConfig.overrides ?? [];
    p.options = p.options ?? {};
  }
  return d;
}

/** The panels that show data: rows' panels included, rows left out (rows hold no queries). */
export function dataPanels(d: DashboardJSON): PanelJSON[] {
  const out: PanelJSON[] = [];
  for (const p of d.panels) {
    if (p.type === 'row') {
      out.push(...(p.panels ?? []));
    } else {
      out.push(p);
    }
  }
  return out;
}

/**
 * createVariable is createSceneVariableFromVariableModel (transformSaveModelToScene.ts) for the
 * variable types the dashboards use. Any other type fails loudly rather than being half-made.
 */
export function createVariable(v: VariableJSON): SceneVariable {
  const common = { name: v.name, label: v.label, description: v.description, hide: v.hide, skipUrlSync: v.skipUrlSync };
  const value = (v.current?.value ?? '') as VariableValue;
  const text = (v.current?.text ?? '') as VariableValue;
  switch (v.type) {
    case 'adhoc':
      return new AdHocFiltersVariable({
        ...common,
        datasource: v.datasource,
        applyMode: 'auto',
        filters: v.filters ?? [],
        baseFilters: [],
        useQueriesAsFilterForOptions: true,
        // Grafana turns on the multi-value operators for a data source whose plugin.json says so.
        supportsMultiValueOperators: Boolean(pluginMeta().multiValueFilterOperators),
      });
    case 'custom':
      return new CustomVariable({
        ...common,
        value,
        text,
        query: v.query ?? '',
        isMulti: v.multi,
        allValue: v.allValue || undefined,
        includeAll: v.includeAll,
        defaultToAll: Boolean(v.includeAll),
      });
    case 'datasource':
      return new DataSourceVariable({
        ...common,
        value,
        text,
        regex: v.regex ?? '',
        pluginId: v.query ?? '',
        allValue: v.allValue || undefined,
        includeAll: v.includeAll,
        defaultToAll: Boolean(v.includeAll),
        isMulti: v.multi,
      });
    case 'textbox': {
      const current = v.current?.value;
      const val = !current ? (v.query ?? '') : typeof current === 'string' ? current : current[0];
      return new TextBoxVariable({ ...common, value: val });
    }
  }
  throw new Error(`variable ${v.name}: type ${v.type} is not one the contract suite builds`);
}

interface ContractPanelState extends SceneObjectState {
  json: PanelJSON;
  $data: SceneDataTransformer;
  /** The value of the repeat variable a repeated panel stands for. */
  repeatValue?: string;
}

/**
 * ContractPanel stands where Grafana puts a VizPanel: it holds the panel's data provider and
 * interpolates in its own scope, as VizPanel.interpolate does (sceneGraph.interpolate(this, ...)),
 * which is what data links, titles and display names are interpolated with.
 */
export class ContractPanel extends SceneObjectBase<ContractPanelState> {
  interpolate = (text: string, scopedVars?: ScopedVars, format?: string | Function): string =>
    sceneGraph.interpolate(this, text, scopedVars, format as Parameters<typeof sceneGraph.interpolate>[3]);

  get runner(): SceneQueryRunner {
    return this.state.$data.state.$data as SceneQueryRunner;
  }
}

/** createPanel is buildGridItemForPanel + createPanelDataProvider for one panel's data. */
function createPanel(p: PanelJSON, local?: SceneVariableSet, repeatValue?: string): ContractPanel {
  const runner = new SceneQueryRunner({
    datasource: p.datasource,
    queries: structuredClone(p.targets ?? []),
    maxDataPoints: p.maxDataPoints,
    maxDataPointsFromWidth: true,
    minInterval: p.interval,
  });
  return new ContractPanel({
    key: `panel-${p.id}${repeatValue !== undefined ? '-' + repeatValue : ''}`,
    json: p,
    repeatValue,
    $variables: local,
    $data: new SceneDataTransformer({ $data: runner, transformations: structuredClone(p.transformations ?? []) }),
  });
}

export interface PanelView {
  json: PanelJSON;
  panel: ContractPanel;
  /** The panel's title as its header shows it (interpolated). */
  title: string;
  /** What the panel receives: the query runner's answer after the panel's transformations. */
  data: PanelData;
  repeatValue?: string;
}

export interface OpenDashboard {
  json: DashboardJSON;
  scene: EmbeddedScene;
  panels: PanelView[];
  variable<T extends SceneVariable>(name: string): T;
  /** close leaves the dashboard, as navigating away does: every scene object is deactivated. */
  close: () => void;
  /** reopen comes back to it (browser back): the objects are activated again, their data kept. */
  reopen: () => void;
}

export interface OpenOptions {
  /** The URL's query string, as a link or a bookmark opens the dashboard with. */
  search?: string;
  /** The width of the dashboard area in pixels: a panel is gridPos.w/24 of it. */
  width?: number;
}

/**
 * openDashboard builds the scene, applies the URL state through scenes' URL sync
 * (sceneUtils.syncStateFromSearchParams, what UrlSyncManager does when a dashboard opens), activates
 * it, repeats the repeated panels over their variable's values, gives each panel its width as the
 * panel renderer does (setContainerWidth: maxDataPoints follows the width) and waits until every
 * panel has its data.
 */
export async function openDashboard(
  grafana: Grafana,
  json: DashboardJSON,
  opts: OpenOptions = {}
): Promise<OpenDashboard> {
  const variables = new SceneVariableSet({ variables: json.templating.list.map(createVariable) });
  const plain = dataPanels(json).filter((p) => !p.repeat);
  const repeated = dataPanels(json).filter((p) => p.repeat);
  const layout = new SceneFlexLayout({ children: plain.map((p) => new SceneFlexItem({ body: createPanel(p) })) });
  const scene = new EmbeddedScene({
    $timeRange: new SceneTimeRange({ from: json.time.from, to: json.time.to, timeZone: json.timezone }),
    $variables: variables,
    body: layout,
  });
  if (opts.search !== undefined) {
    sceneUtils.syncStateFromSearchParams(scene, new URLSearchParams(opts.search));
  }
  // Opening a dashboard leaves the one that was open, as navigating does: scenes finds a
  // panel's ad hoc filters among the active ad hoc variables, and two open dashboards would
  // share them.
  grafana.current?.close();
  grafana.templateSrv.scene = scene;
  const deactivate: Array<() => void> = [scene.activate()];
  // The dashboard's controls render every variable, and rendering activates it
  // (VariableValueSelectWrapper: useSceneObjectState(variable, { shouldActivateOrKeepAlive: true })
  // in scenes' VariableValueSelectors.tsx). An ad hoc variable applies its filters only while it
  // is active (patchGetAdhocFilters.ts keeps the set of active ones that query runners look in).
  for (const v of variables.state.variables) {
    deactivate.push(v.activate());
  }
  await until(
    () => json.templating.list.every((v) => !variables.isVariableLoadingOrWaitingToUpdate(variableOf(scene, v.name))),
    'variables'
  );

  // DashboardGridItem.performRepeat: one panel per value, each with the value in a LocalValueVariable.
  for (const p of repeated) {
    const v = variableOf(scene, p.repeat!);
    if (!(v instanceof MultiValueVariable)) {
      throw new Error(`panel ${p.id} repeats over ${p.repeat}, which is not a multi-value variable`);
    }
    const values = toArray(v.getValue());
    const texts = toArray(v.getValueText());
    const items = values.map(
      (value, i) =>
        new SceneFlexItem({
          body: createPanel(
            p,
            new SceneVariableSet({
              variables: [
                new LocalValueVariable({
                  name: v.state.name,
                  value,
                  text: texts[i] ?? value,
                  isMulti: v.state.isMulti,
                  includeAll: v.state.includeAll,
                }),
              ],
            }),
            value
          ),
        })
    );
    layout.setState({ children: [...layout.state.children, ...items] });
  }

  const width = opts.width ?? 1800;
  const panels: ContractPanel[] = [];
  for (const item of layout.state.children) {
    const panel = (item as SceneFlexItem).state.body as ContractPanel;
    panels.push(panel);
    deactivate.push(panel.activate());
    // A panel repeated across shares the row, at most maxPerRow to a row (DashboardGridItem).
    const copies = layout.state.children.filter(
      (c) => ((c as SceneFlexItem).state.body as ContractPanel).state.json.id === panel.state.json.id
    ).length;
    const w =
      panel.state.repeatValue !== undefined && panel.state.json.repeatDirection === 'h'
        ? 24 / Math.min(panel.state.json.maxPerRow ?? 4, copies)
        : panel.state.json.gridPos.w;
    panel.state.$data.setContainerWidth(Math.round((w / 24) * width));
  }
  await Promise.all(panels.map((p) => dataOf(p)));
  const views = panels.map((panel) => ({
    json: panel.state.json,
    panel,
    title: panel.interpolate(panel.state.json.title),
    data: panel.state.$data.state.data!,
    repeatValue: panel.state.repeatValue,
  }));
  let active = deactivate;
  const objects: SceneObject[] = [scene, ...variables.state.variables, ...panels];
  const open: OpenDashboard = {
    json,
    scene,
    panels: views,
    variable: <T extends SceneVariable>(name: string) => variableOf(scene, name) as T,
    close: () => {
      active.reverse().forEach((d) => d());
      active = [];
      if (grafana.current === open) {
        grafana.current = undefined;
      }
    },
    reopen: () => {
      if (active.length === 0) {
        grafana.current?.close();
        grafana.templateSrv.scene = scene;
        active = objects.map((o) => o.activate());
        grafana.current = open;
      }
    },
  };
  grafana.current = open;
  return open;
}

function variableOf(scene: SceneObject, name: string): SceneVariable {
  const v = sceneGraph.lookupVariable(name, scene);
  if (!v) {
    throw new Error(`the dashboard has no variable ${name}`);
  }
  return v;
}

function toArray(v: VariableValue | undefined | null): string[] {
  if (Array.isArray(v)) {
    return v.map(String);
  }
  return v === undefined || v === null ? [] : [String(v)];
}

/** dataOf waits until the panel's query runner has answered and the transformations have run. */
async function dataOf(panel: ContractPanel): Promise<PanelData> {
  // An answer has its request; a failure before the request (no such data source) has none.
  const done = (d?: PanelData) =>
    d !== undefined && ((d.state === LoadingState.Done && d.request !== undefined) || d.state === LoadingState.Error);
  await until(() => {
    const raw = panel.runner.state.data;
    const shown = panel.state.$data.state.data;
    return done(raw) && done(shown) && shown!.request === raw!.request;
  }, `panel ${panel.state.json.id} (${panel.state.json.title})`);
  return panel.state.$data.state.data!;
}

async function until(cond: () => boolean, what: string, timeoutMs = 60000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) {
      throw new Error(`${what}: not ready after ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}
