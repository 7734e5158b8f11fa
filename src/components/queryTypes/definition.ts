import { ComponentType } from 'react';
import { CoreApp } from '@grafana/data';

import { QueryType, SchemaResponse, TicketsQuery } from '../../types';

// The shape of one entry of the query type registry (registry.ts) and the props of a query
// type's editor. They sit in a module of their own so that the editors and the registry both
// import them without importing each other.

/** TypeEditorProps are what the QueryEditor shell gives the editor of the query's type. */
export interface TypeEditorProps {
  query: TicketsQuery;
  /** The column schema, once read; the pickers offer its fields and fields can still be typed. */
  schema?: SchemaResponse;
  app?: CoreApp;
  /** The id of one of the editor's controls, unique on the page (the query's refId is in it). */
  id: (name: string) => string;
  /**
   * Merges patch into the query. A choice from a list runs the query at once (run); typed
   * text runs it when the user leaves the field (onRunQuery on blur).
   */
  onChange: (patch: Partial<TicketsQuery>, run?: boolean) => void;
  onRunQuery: () => void;
}

/** A notice the QueryEditor shell shows above the editor when the query is an alert rule's. */
export interface AlertingNotice {
  severity: 'info' | 'warning';
  title: string;
  text: string;
}

/** QueryTypeDefinition is everything the frontend knows about one query type. */
export interface QueryTypeDefinition {
  type: QueryType;
  /** The name in the query type picker. */
  label: string;
  /** What the query answers, under the picker's option. */
  description: string;
  /**
   * The options the backend assumes when the query leaves them out (pkg/query). The editor
   * shows them as placeholders; they are never written into the query, whose JSON keeps only
   * what the user set.
   */
  defaults: Partial<TicketsQuery>;
  /** Whether the answer is a time series, which an alert condition can read. */
  timeSeries: boolean;
  /** What the Search box does for this type, when it is not marking tickets. */
  searchTooltip?: string;
  /** Whether the query can run yet; the data source does not send one that cannot (filterQuery). */
  canRun?: (query: TicketsQuery) => boolean;
  /** Advice for an alert rule's author beyond "use a time series", such as asking for one series. */
  alertingNotice?: (query: TicketsQuery) => AlertingNotice | undefined;
  /** The controls of this type's own options, below the ones every type shares. */
  Editor: ComponentType<TypeEditorProps>;
}

/** What an alert rule's author is told when the query's answer is not a time series. */
export const NOT_A_TIME_SERIES: AlertingNotice = {
  severity: 'info',
  title: 'Alert rules need a time series',
  text:
    'An alert condition reads a time series: choose Spike (the ticket rate against its usual rate) or Counts, ' +
    'optionally split by a field.',
};

/**
 * alertingNotices lists what the QueryEditor shell tells the author of an alert rule about
 * the query: nothing outside alert rules; that the answer must be a time series when the
 * type's is not (or the type is unknown); then the type's own advice.
 */
export function alertingNotices(
  definition: QueryTypeDefinition | undefined,
  query: TicketsQuery,
  app: CoreApp | undefined
): AlertingNotice[] {
  if (app !== CoreApp.UnifiedAlerting) {
    return [];
  }
  const notices: AlertingNotice[] = [];
  if (!definition?.timeSeries) {
    notices.push(NOT_A_TIME_SERIES);
  }
  const own = definition?.alertingNotice?.(query);
  if (own) {
    notices.push(own);
  }
  return notices;
}

/** editorId names a control of one query's editor: unique on a page that edits several queries. */
export function editorId(refId: string, name: string): string {
  return `spacetime-${refId}-${name}`;
}
