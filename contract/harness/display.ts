// What a panel shows a user, computed by Grafana's published code from the panel's data: field
// overrides (applyFieldOverrides, as VizPanel applies them), then the functions the core panels
// call to name and format what they draw. The core panels themselves (stat, pie chart, bar chart,
// table, time series, logs) are Grafana application code, not published; each function below
// names the panel code it follows, and the contract suite's report lists what stays unproven.

import {
  DataFrame,
  Field,
  FieldDisplay,
  FieldType,
  LinkModel,
  ReduceDataOptions,
  createTheme,
  formattedValueToString,
  getFieldDisplayName,
  getFieldDisplayValues,
  applyFieldOverrides,
  locationUtil,
  textUtil,
} from '@grafana/data';

import { VariableFormatID } from '@grafana/schema';

import { PanelView } from './dashboard';
import { panelFieldConfigRegistry } from './fieldConfig';

const theme = createTheme();

/** customPaths are the custom.* options a panel's JSON sets, for its field config registry. */
function customPaths(view: PanelView): string[] {
  const fc = view.json.fieldConfig;
  const paths = new Set(Object.keys(fc.defaults.custom ?? {}));
  for (const o of fc.overrides) {
    for (const p of o.properties) {
      if (p.id.startsWith('custom.')) {
        paths.add(p.id.slice('custom.'.length));
      }
    }
  }
  return [...paths];
}

/**
 * frames are the panel's frames after its field overrides, as VizPanel.applyFieldConfig makes them
 * (applyFieldOverrides with the panel's registry, its interpolation and the UTC time zone the
 * suite runs in): display names, display processors and data links are set.
 */
export function frames(view: PanelView): DataFrame[] {
  return applyFieldOverrides({
    data: view.data.series,
    fieldConfig: view.json.fieldConfig as Parameters<typeof applyFieldOverrides>[0]['fieldConfig'],
    fieldConfigRegistry: panelFieldConfigRegistry(customPaths(view)),
    replaceVariables: view.panel.interpolate,
    theme,
    timeZone: 'utc',
  });
}

export interface Shown {
  /** The name a slice, legend entry or stat carries. */
  name: string;
  /** The formatted value the user reads. */
  text: string;
  numeric: number;
  links: LinkModel[];
  rowIndex?: number;
}

/**
 * displayValues is what a stat panel (StatPanel.tsx) and a pie chart (PieChartPanel.tsx) draw and
 * list in their legend: getFieldDisplayValues over the panel's frames with its reduce options.
 */
export function displayValues(view: PanelView): Shown[] {
  const reduceOptions = view.json.options.reduceOptions as ReduceDataOptions;
  const values: FieldDisplay[] = getFieldDisplayValues({
    data: frames(view),
    reduceOptions,
    fieldConfig: view.json.fieldConfig as Parameters<typeof getFieldDisplayValues>[0]['fieldConfig'],
    replaceVariables: view.panel.interpolate,
    theme,
    timeZone: 'utc',
  });
  return values.map((v) => ({
    name: v.display.title ?? '',
    text: formattedValueToString(v.display),
    numeric: v.display.numeric,
    links: v.getLinks ? v.getLinks() : [],
    rowIndex: v.rowIndex,
  }));
}

/**
 * bars is what a bar chart draws: one bar per row, named by the x field's display text, sized by
 * each number field (prepareBarChartDisplayValues in public/app/plugins/panel/barchart/utils.ts
 * draws the x field and the number fields; hidden fields are left out), its links those of the
 * field under the pointer for that row (field.getLinks with valueRowIndex).
 */
export function bars(view: PanelView): Shown[] {
  const frame = frames(view)[0];
  const xName = view.json.options.xField as string | undefined;
  const x = frame.fields.find((f) => f.name === xName) ?? frame.fields.find((f) => f.type === FieldType.string);
  if (!x) {
    throw new Error(`panel ${view.title}: no x field`);
  }
  const value = frame.fields.find((f) => f.type === FieldType.number && !hiddenFromViz(f));
  if (!value) {
    throw new Error(`panel ${view.title}: no number field to draw`);
  }
  return x.values.map((_, i) => {
    const d = value.display!(value.values[i]);
    return {
      name: formattedValueToString(x.display!(x.values[i])),
      text: formattedValueToString(d),
      numeric: d.numeric,
      links: value.getLinks ? value.getLinks({ valueRowIndex: i }) : [],
      rowIndex: i,
    };
  });
}

function hiddenFromViz(f: Field): boolean {
  const hideFrom = f.config.custom?.hideFrom as { viz?: boolean } | undefined;
  return Boolean(hideFrom?.viz);
}

/**
 * hiddenInTable says whether the table panel hides a field. Grafana 12's table (TableNG) reads
 * custom.hideFrom.viz; a panel saved with the older custom.hidden is rewritten to it when the
 * panel loads (migrateHiddenFields in public/app/plugins/panel/table/migrations.ts), which this
 * harness does not run, so both count.
 */
function hiddenInTable(f: Field): boolean {
  return hiddenFromViz(f) || Boolean(f.config.custom?.hidden);
}

export interface TableView {
  /** The headers of the columns shown, in order: the fields' display names. */
  columns: string[];
  /** Fields the table hides (custom.hideFrom.viz, or the older custom.hidden). */
  hidden: string[];
  /** Each row's cells as the table shows them (field.display, formattedValueToString). */
  rows: string[][];
  /** The links a cell offers (field.getLinks with valueRowIndex). */
  links: (row: number, column: string) => LinkModel[];
  /** The value behind a cell, before formatting. */
  raw: (row: number, column: string) => unknown;
  frame: DataFrame;
}

/**
 * table is what the table panel shows: the fields that are not hidden, by display name
 * (getFieldDisplayName), each cell formatted by its field's display processor, as TableNG's cells
 * do (packages/grafana-ui/src/components/Table/TableNG), with the links of the cell's field.
 */
export function table(view: PanelView, frameIndex = 0): TableView {
  const frame = frames(view)[frameIndex];
  const shown = frame.fields.filter((f) => !hiddenInTable(f));
  const names = shown.map((f) => getFieldDisplayName(f, frame));
  const n = frame.length;
  const columnField = (column: string): Field => {
    const f = shown[names.indexOf(column)];
    if (!f) {
      throw new Error(`panel ${view.title}: no column ${column} among ${names.join(', ')}`);
    }
    return f;
  };
  return {
    frame,
    columns: names,
    hidden: frame.fields.filter(hiddenInTable).map((f) => getFieldDisplayName(f, frame)),
    rows: Array.from({ length: n }, (_, i) => shown.map((f) => formattedValueToString(f.display!(f.values[i])))),
    links: (row, column) => {
      const f = columnField(column);
      return f.getLinks ? f.getLinks({ valueRowIndex: row }) : [];
    },
    raw: (row, column) => columnField(column).values[row],
  };
}

/**
 * seriesNames are a time series panel's legend entries: every field but the time field, by
 * getFieldDisplayName (the legend of the TimeSeries panel in @grafana/ui names series so).
 */
export function seriesNames(view: PanelView): string[] {
  const fs = frames(view);
  return fs.flatMap((frame) =>
    frame.fields.filter((f) => f.type !== FieldType.time).map((f) => getFieldDisplayName(f, frame, fs))
  );
}

/**
 * panelLinks are the links in a panel's header, as LinkSrv.getDataLinkUIModel makes them
 * (public/app/features/panel/panellinks/link_srv.ts): interpolated in the panel's scope with the
 * URL-encode format, with the sub-path prefixed and the URL sanitized.
 */
export function panelLinks(view: PanelView): Array<{ title: string; href: string }> {
  return (view.json.links ?? []).map((l) => {
    const href = view.panel.interpolate(
      locationUtil.assureBaseUrl(l.url.replace(/\n/g, '')),
      undefined,
      VariableFormatID.UriEncode
    );
    return { title: view.panel.interpolate(l.title), href: textUtil.sanitizeUrl(href) };
  });
}
