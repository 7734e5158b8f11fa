// The browser suite's page. It mounts one view at a time, chosen by the suite through
// window.spacetime.mount: one of the plugin's editors, or a panel of the overview dashboard
// drawn by @grafana/ui from the frames the real data source (src/datasource.ts) got from the
// bridge. Everything is inside @grafana/ui's theme context, as Grafana renders plugins.
import React, { useState } from 'react';
import { createRoot, Root } from 'react-dom/client';
import {
  CoreApp,
  createTheme,
  DataSourcePluginContextProvider,
  DataFrame,
  DataQueryRequest,
  DataSourceApi,
  DataSourceInstanceSettings,
  DisplayValueAlignmentFactors,
  EventBusSrv,
  DataSourceSettings,
  dateTime,
  FieldDisplay,
  getDisplayValueAlignmentFactors,
  getFieldDisplayName,
  getFieldDisplayValues,
  GrafanaTheme2,
  LoadingState,
  ReduceDataOptions,
  ThemeContext,
  VizOrientation,
} from '@grafana/data';
import {
  config,
  DataSourceSrv,
  setAppEvents,
  setBackendSrv,
  setDataSourceSrv,
  setTemplateSrv,
  TemplateSrv,
} from '@grafana/runtime';
import {
  BigValue,
  BigValueColorMode,
  BigValueGraphMode,
  BigValueJustifyMode,
  BigValueTextMode,
  GlobalStyles,
  VizRepeater,
} from '@grafana/ui';
import { TableNG } from '@grafana/ui/unstable';
import { TableCellHeight, TableSortByFieldState } from '@grafana/schema';
import { lastValueFrom } from 'rxjs';

import { ConfigEditor } from '../../../src/components/ConfigEditor';
import { QueryEditor } from '../../../src/components/QueryEditor';
import { VariableQueryEditor } from '../../../src/components/VariableQueryEditor';
import { DataSource } from '../../../src/datasource';
import type { TicketsOptions, TicketsQuery, TicketsSecureJsonData, VariableQuery } from '../../../src/types';
import { PageBackendSrv } from './backendSrv';
import { panelFrames } from './panels';
import type { DataSourceRef, MountResult, MountSpec, PageApi, PanelJSON } from './spec';

declare global {
  interface Window {
    spacetime: PageApi;
  }
}

const PLUGIN_ID = 'spacetime-tickets-datasource';

function instanceSettings(ref: DataSourceRef): DataSourceInstanceSettings<TicketsOptions> {
  return {
    id: 1,
    uid: ref.uid,
    type: PLUGIN_ID,
    name: 'Spacetime',
    access: 'proxy',
    readOnly: false,
    jsonData: ref.jsonData,
    meta: {
      id: PLUGIN_ID,
      name: 'Spacetime tickets',
      type: 'datasource',
      info: {
        author: { name: 'Spacetime' },
        description: '',
        links: [],
        logos: { small: '', large: '' },
        screenshots: [],
        updated: '',
        version: 'browser-suite',
      },
      module: '',
      baseUrl: '',
    },
  } as DataSourceInstanceSettings<TicketsOptions>;
}

/**
 * The page has no dashboard, so no variables: the suite sends targets whose variables it has
 * already replaced with the values a user would have chosen. This template service therefore
 * leaves text as it is, which is what Grafana's does for text without variables.
 */
const noVariables: TemplateSrv = {
  getVariables: () => [],
  replace: (target?: string) => target ?? '',
  containsTemplate: () => false,
  updateTimeRange: () => {},
};

let datasource: DataSource | undefined;

function dataSourceFor(ref: DataSourceRef): DataSource {
  if (!datasource || datasource.uid !== ref.uid) {
    datasource = new DataSource(instanceSettings(ref));
  }
  return datasource;
}

function setServices(ref: DataSourceRef) {
  setBackendSrv(new PageBackendSrv());
  // Grafana's application event bus is an EventBusSrv too (public/app/core/app_events.ts);
  // @grafana/aws-sdk's ConnectionConfig listens on it for the result of "Save & test".
  setAppEvents(new EventBusSrv());
  setTemplateSrv(noVariables);
  const settings = instanceSettings(ref);
  const srv: Partial<DataSourceSrv> = {
    get: async () => dataSourceFor(ref) as unknown as DataSourceApi,
    getInstanceSettings: () => settings,
    getList: () => [settings],
    reload: () => {},
  };
  setDataSourceSrv(srv as DataSourceSrv);
}

/** The frame of the page: Grafana's global styles and theme, and a box the suite can find. */
function Frame({ theme, children }: { theme: GrafanaTheme2; children: React.ReactNode }) {
  return (
    <ThemeContext.Provider value={theme}>
      <GlobalStyles />
      <main
        data-testid="view"
        style={{ padding: 16, background: theme.colors.background.primary, display: 'inline-block', minWidth: 900 }}
      >
        {children}
      </main>
    </ThemeContext.Provider>
  );
}

function QueryEditorView({ ds, initial, alerting }: { ds: DataSource; initial: TicketsQuery; alerting?: boolean }) {
  const [query, setQuery] = useState(initial);
  return (
    <QueryEditor
      datasource={ds}
      query={query}
      onChange={setQuery}
      onRunQuery={() => {}}
      app={alerting ? CoreApp.UnifiedAlerting : CoreApp.PanelEditor}
    />
  );
}

function VariableEditorView({ ds, initial }: { ds: DataSource; initial: VariableQuery }) {
  const [query, setQuery] = useState(initial);
  return (
    <VariableQueryEditor
      datasource={ds}
      query={query as unknown as TicketsQuery}
      onChange={(q) => setQuery(q as unknown as VariableQuery)}
      onRunQuery={() => {}}
    />
  );
}

function ConfigEditorView({ initial }: { initial: DataSourceSettings<TicketsOptions, TicketsSecureJsonData> }) {
  const [options, setOptions] = useState(initial);
  return <ConfigEditor options={options} onOptionsChange={setOptions} />;
}

function settingsOf(
  ref: DataSourceRef,
  jsonData: TicketsOptions,
  secureJsonFields: Record<string, boolean> = {}
): DataSourceSettings<TicketsOptions, TicketsSecureJsonData> {
  return {
    id: 1,
    uid: ref.uid,
    orgId: 1,
    name: 'Spacetime',
    type: PLUGIN_ID,
    typeName: 'Spacetime tickets',
    typeLogoUrl: '',
    access: 'proxy',
    url: '',
    user: '',
    database: '',
    basicAuth: false,
    basicAuthUser: '',
    isDefault: false,
    jsonData,
    secureJsonFields,
    readOnly: false,
    withCredentials: false,
  };
}

/** TicketTable draws frames as Grafana 12's table panel does (TablePanel.tsx renders TableNG). */
function TicketTable({
  panel,
  frame,
  width,
  height,
}: {
  panel: PanelJSON;
  frame: DataFrame;
  width: number;
  height: number;
}) {
  const options = panel.options as {
    sortBy?: TableSortByFieldState[];
    cellHeight?: TableCellHeight;
    showHeader?: boolean;
  };
  // A panel's body has a fixed size, which the table fills (its grid is 100% high) and
  // within which it draws only the rows in view.
  return (
    <div style={{ width, height }}>
      <TableNG
        data={frame}
        width={width}
        height={height}
        noHeader={options.showHeader === false}
        resizable
        initialSortBy={options.sortBy}
        cellHeight={options.cellHeight}
        fieldConfig={panel.fieldConfig}
      />
    </div>
  );
}

interface StatOptions {
  reduceOptions: ReduceDataOptions;
  colorMode: BigValueColorMode;
  graphMode: BigValueGraphMode;
  justifyMode: BigValueJustifyMode;
  textMode: BigValueTextMode;
  wideLayout?: boolean;
}

/** StatValues draws one stat panel as StatPanel.tsx does: getFieldDisplayValues, BigValue each. */
function StatValues({
  panel,
  frames,
  theme,
  width,
  height,
}: {
  panel: PanelJSON;
  frames: DataFrame[];
  theme: GrafanaTheme2;
  width: number;
  height: number;
}) {
  const options = panel.options as unknown as StatOptions;
  const getValues = (): FieldDisplay[] =>
    getFieldDisplayValues({
      fieldConfig: panel.fieldConfig,
      reduceOptions: options.reduceOptions,
      replaceVariables: (value: string) => value,
      theme,
      data: frames,
      sparkline: options.graphMode !== BigValueGraphMode.None,
      timeZone: 'utc',
    });
  return (
    <section aria-label={panel.title} data-testid={`stat-${panel.id}`} style={{ width, marginBottom: 8 }}>
      <h2 style={{ fontSize: theme.typography.h6.fontSize, margin: '4px 0' }}>{panel.title}</h2>
      <div style={{ height }}>
        <VizRepeater<FieldDisplay, DisplayValueAlignmentFactors>
          source={frames}
          renderCounter={0}
          getValues={getValues}
          getAlignmentFactors={getDisplayValueAlignmentFactors}
          width={width}
          height={height}
          itemSpacing={3}
          autoGrid
          orientation={VizOrientation.Auto}
          renderValue={({ value, alignmentFactors, width: w, height: h, count }) => (
            <BigValue
              value={value.display}
              count={count}
              colorMode={options.colorMode}
              graphMode={options.graphMode}
              justifyMode={options.justifyMode}
              textMode={options.textMode}
              alignmentFactors={alignmentFactors}
              width={w}
              height={h}
              theme={theme}
              disableWideLayout={!options.wideLayout}
            />
          )}
        />
      </div>
    </section>
  );
}

let root: Root | undefined;

async function runQuery(
  ds: DataSource,
  query: TicketsQuery,
  range: { from: number; to: number }
): Promise<DataFrame[]> {
  const from = dateTime(range.from);
  const to = dateTime(range.to);
  const request: DataQueryRequest<TicketsQuery> = {
    requestId: 'browser-suite',
    interval: '1m',
    intervalMs: 60_000,
    maxDataPoints: 500,
    range: { from, to, raw: { from, to } },
    scopedVars: {},
    targets: [query],
    timezone: 'utc',
    app: CoreApp.Dashboard,
    startTime: Date.now(),
  };
  const res = await lastValueFrom(ds.query(request));
  if (res.state === LoadingState.Error || res.errors?.length || res.error) {
    const err = res.errors?.[0] ?? res.error;
    throw new Error(`the query failed: ${err?.message ?? 'unknown error'}`);
  }
  return res.data as DataFrame[];
}

async function mount(spec: MountSpec): Promise<MountResult> {
  setServices(spec.datasource);
  const theme = createTheme({ colors: { mode: spec.theme } });
  // Components that read the theme from the config rather than the context see the same one.
  config.theme2 = theme;
  config.theme = theme.v1;
  document.body.style.background = theme.colors.background.primary;
  const ds = dataSourceFor(spec.datasource);
  root?.unmount();
  const container = document.getElementById('root');
  if (!container) {
    throw new Error('the page has no #root');
  }
  root = createRoot(container);

  let view: React.ReactNode;
  const result: MountResult = {};
  switch (spec.view) {
    // Grafana gives its editors the data source's plugin context (QueryEditorRow and
    // EditDataSource wrap them in DataSourcePluginContextProvider); @grafana/aws-sdk's
    // ConnectionConfig, for one, refuses to render without it.
    case 'query-editor':
      view = (
        <DataSourcePluginContextProvider instanceSettings={instanceSettings(spec.datasource)}>
          {spec.queries.map((q) => (
            <section key={q.refId} data-testid={`query-editor-${q.refId}`} style={{ marginBottom: 16 }}>
              <QueryEditorView ds={ds} initial={q} alerting={spec.alerting} />
            </section>
          ))}
        </DataSourcePluginContextProvider>
      );
      break;
    case 'variable-editor':
      view = (
        <DataSourcePluginContextProvider instanceSettings={instanceSettings(spec.datasource)}>
          <VariableEditorView ds={ds} initial={spec.query} />
        </DataSourcePluginContextProvider>
      );
      break;
    case 'config-editor':
      view = (
        <DataSourcePluginContextProvider instanceSettings={instanceSettings(spec.datasource)}>
          <ConfigEditorView initial={settingsOf(spec.datasource, spec.jsonData, spec.secureJsonFields)} />
        </DataSourcePluginContextProvider>
      );
      break;
    case 'panels': {
      // The panels share one target (the overview's stat panels do), so the query runs once.
      const raw = await runQuery(ds, spec.query, spec.range);
      const drawn: React.ReactNode[] = [];
      result.panels = [];
      for (const panel of spec.panels) {
        const frames = await panelFrames(panel, raw, theme);
        result.panels.push(
          frames.map((f) => ({
            name: f.name,
            fields: f.fields.map((x) => ({
              name: x.name,
              displayName: getFieldDisplayName(x, f, frames),
              values: Array.from(x.values),
            })),
          }))
        );
        drawn.push(
          panel.type === 'table' ? (
            <TicketTable key={panel.id} panel={panel} frame={frames[0]} width={spec.width} height={spec.height} />
          ) : (
            <StatValues
              key={panel.id}
              panel={panel}
              frames={frames}
              theme={theme}
              width={spec.width}
              height={spec.height}
            />
          )
        );
      }
      view = <div style={{ display: 'flex', gap: 16, alignItems: 'flex-start' }}>{drawn}</div>;
      break;
    }
  }
  root.render(<Frame theme={theme}>{view}</Frame>);
  return result;
}

window.spacetime = { mount };
