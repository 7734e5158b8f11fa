// What the suite asks the page to mount, shared by the page (tests/browser/page) and the suite
// that drives it from node (tests/browser/*.test.ts). Plain data only: it crosses into the
// browser through page.evaluate.
import type { DataSourceJsonData, FieldConfigSource } from '@grafana/data';

import type { TicketsOptions, TicketsQuery, TicketsSecureJsonData, VariableQuery } from '../../../src/types';

export type ThemeMode = 'light' | 'dark';

/** The data source instance the page talks to: the uid its resource and query URLs carry. */
export interface DataSourceRef {
  uid: string;
  jsonData: TicketsOptions;
}

/** A panel as the committed dashboard JSON holds it (the parts a panel's rendering reads). */
export interface PanelJSON {
  id: number;
  type: string;
  title: string;
  targets: TicketsQuery[];
  transformations?: Array<{ id: string; options: unknown }>;
  fieldConfig: FieldConfigSource;
  options: Record<string, unknown>;
}

/** An absolute time range, as epoch milliseconds. */
export interface RangeSpec {
  from: number;
  to: number;
}

export type MountSpec =
  | {
      view: 'query-editor';
      theme: ThemeMode;
      datasource: DataSourceRef;
      /** One editor per query, one under the other, each in a section named query-editor-REFID. */
      queries: TicketsQuery[];
      alerting?: boolean;
    }
  | {
      view: 'config-editor';
      theme: ThemeMode;
      datasource: DataSourceRef;
      jsonData: TicketsOptions;
      secureJsonFields?: Record<string, boolean>;
    }
  | { view: 'variable-editor'; theme: ThemeMode; datasource: DataSourceRef; query: VariableQuery }
  | {
      view: 'panels';
      theme: ThemeMode;
      datasource: DataSourceRef;
      /** Panels side by side, each drawn at width x height, all from the answer to one query. */
      panels: PanelJSON[];
      /** The panels' target with the dashboard's variables replaced by the values a user chose. */
      query: TicketsQuery;
      range: RangeSpec;
      width: number;
      height: number;
    };

/** What the page reports once a view has mounted: for a panel, what its query answered. */
export interface MountResult {
  /** For each panel, in order, the frames it draws: its query's answer after its transformations and field config. */
  panels?: Array<Array<{ name?: string; fields: Array<{ name: string; displayName: string; values: unknown[] }> }>>;
}

/** The page's entry point, as window.spacetime. */
export interface PageApi {
  mount(spec: MountSpec): Promise<MountResult>;
}

// Only the type is needed by the page's settings object; re-exported for the suite.
export type { TicketsSecureJsonData, DataSourceJsonData };
