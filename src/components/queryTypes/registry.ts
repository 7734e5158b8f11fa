import { QUERY_TYPES, QueryType, TicketsQuery } from '../../types';
import { BreakdownEditor } from './BreakdownEditor';
import { CountsEditor } from './CountsEditor';
import { QueryTypeDefinition } from './definition';
import { DEFAULT_TOP, hasField } from './fields';
import { LOCALIZE_DEFAULT_TOP, LocalizeEditor } from './LocalizeEditor';
import { LogsEditor } from './LogsEditor';
import { MoversEditor } from './MoversEditor';
import { PatternsEditor } from './PatternsEditor';
import { SPIKE_DEFAULTS, spikeAlertingNotice, SpikeEditor } from './SpikeEditor';
import { StatsEditor } from './StatsEditor';
import { TicketsEditor } from './TicketsEditor';
import { ValuesEditor } from './ValuesEditor';

/**
 * The query types, registered once: label, description, the backend's defaults, whether the
 * query can run yet, and the editor of the type's own options. The QueryEditor shell draws the
 * controls every type shares and then the entry's Editor; the data source asks canRun before
 * sending a query.
 *
 * Adding a query type: add its name to QUERY_TYPES (src/types.ts, the wire format shared with
 * pkg/query), write its editor in one new file here (<Name>Editor.tsx, props TypeEditorProps),
 * and add one entry below; the compiler refuses a type without its entry. Nothing else in the
 * frontend branches on the query type.
 *
 * Entries are typed Record<QueryType, ...> on purpose (as grafana/github-datasource's
 * QueryEditor maps each query type to its editor): a missing type is a compile error.
 */
export const QUERY_TYPE_REGISTRY: Record<QueryType, QueryTypeDefinition> = {
  counts: {
    type: 'counts',
    label: 'Counts',
    description: 'Tickets per time bucket, optionally one series per value of a field (charts over time, alerts)',
    defaults: { top: DEFAULT_TOP },
    timeSeries: true,
    Editor: CountsEditor,
  },
  breakdown: {
    type: 'breakdown',
    label: 'Breakdown',
    description: 'Tickets per value of a field, top N plus "other"',
    defaults: { top: DEFAULT_TOP },
    timeSeries: false,
    canRun: hasField,
    Editor: BreakdownEditor,
  },
  tickets: {
    type: 'tickets',
    label: 'Tickets',
    description: 'Ticket rows with chosen columns, sorted and limited',
    defaults: {},
    timeSeries: false,
    Editor: TicketsEditor,
  },
  stats: {
    type: 'stats',
    label: 'Stats',
    description: 'Total, open now, rate per minute and the usual rate',
    defaults: {},
    timeSeries: false,
    Editor: StatsEditor,
  },
  values: {
    type: 'values',
    label: 'Field values',
    description: 'Distinct values of a field with their counts',
    defaults: {},
    timeSeries: false,
    canRun: hasField,
    Editor: ValuesEditor,
  },
  logs: {
    type: 'logs',
    label: 'Logs',
    description: 'The newest tickets as log lines, for the logs panel (a ticket feed)',
    defaults: {},
    timeSeries: false,
    searchTooltip: 'Words to highlight in the lines. Search removes no line: the filter does that.',
    Editor: LogsEditor,
  },
  spike: {
    type: 'spike',
    label: 'Spike',
    description: 'The recent ticket rate against its usual rate, over time (alert rules, spike charts)',
    defaults: SPIKE_DEFAULTS,
    timeSeries: true,
    alertingNotice: spikeAlertingNotice,
    Editor: SpikeEditor,
  },
  movers: {
    type: 'movers',
    label: 'Movers',
    description: 'What changed: the values of a field that rose most above their usual rate',
    defaults: { top: DEFAULT_TOP },
    timeSeries: false,
    canRun: hasField,
    Editor: MoversEditor,
  },
  patterns: {
    type: 'patterns',
    label: 'Patterns',
    description: 'The top patterns of the titles: the alarms behind the tickets, with counts, first and last seen',
    defaults: { top: DEFAULT_TOP },
    timeSeries: false,
    Editor: PatternsEditor,
  },
  localize: {
    type: 'localize',
    label: 'Localize',
    description: 'Where is the rise: the combinations of values that explain it against the baseline',
    defaults: { top: LOCALIZE_DEFAULT_TOP },
    timeSeries: false,
    Editor: LocalizeEditor,
  },
};

/** The query type a query without one has (DEFAULT_QUERY in src/types.ts). */
export const DEFAULT_QUERY_TYPE: QueryType = 'counts';

function isQueryType(type: string): type is QueryType {
  return Object.prototype.hasOwnProperty.call(QUERY_TYPE_REGISTRY, type);
}

/**
 * queryTypeDefinition is the entry of a query's type: counts when it names none, nothing when
 * it names a type this frontend does not know (a dashboard from a newer version).
 */
export function queryTypeDefinition(type: TicketsQuery['queryType'] | string): QueryTypeDefinition | undefined {
  const t = type ?? DEFAULT_QUERY_TYPE;
  return isQueryType(t) ? QUERY_TYPE_REGISTRY[t] : undefined;
}

/** The registered types in the backend's documentation order. */
export function queryTypeDefinitions(): QueryTypeDefinition[] {
  return QUERY_TYPES.map((t) => QUERY_TYPE_REGISTRY[t]);
}
