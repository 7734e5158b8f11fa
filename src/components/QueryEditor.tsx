import React, { FormEvent, useMemo } from 'react';
import { css } from '@emotion/css';
import { CoreApp, QueryEditorProps, SelectableValue } from '@grafana/data';
import { EditorField, EditorFieldGroup, EditorRow, EditorRows } from '@grafana/plugin-ui';
import {
  Alert,
  Button,
  Combobox,
  ComboboxOption,
  IconButton,
  Input,
  MultiCombobox,
  RadioButtonGroup,
  Stack,
  Switch,
  Tooltip,
} from '@grafana/ui';

import type { DataSource } from '../datasource';
import { durationMs, isDuration } from '../duration';
import { QueryType, SchemaResponse, SortKey, SpikeSeries, TicketsOptions, TicketsQuery } from '../types';
import { fieldOptions } from './fieldOptions';
import { FilterField } from './FilterField';
import { LiveField } from './LiveField';
import { useSchema } from './hooks';

type Props = QueryEditorProps<DataSource, TicketsQuery, TicketsOptions>;

export const QUERY_TYPE_OPTIONS: Array<SelectableValue<QueryType>> = [
  {
    value: 'counts',
    label: 'Counts',
    description: 'Tickets per time bucket, optionally one series per value of a field (charts over time, alerts)',
  },
  { value: 'breakdown', label: 'Breakdown', description: 'Tickets per value of a field, top N plus "other"' },
  { value: 'tickets', label: 'Tickets', description: 'Ticket rows with chosen columns, sorted and limited' },
  { value: 'stats', label: 'Stats', description: 'Total, open now, rate per minute and the usual rate' },
  { value: 'values', label: 'Field values', description: 'Distinct values of a field with their counts' },
  { value: 'logs', label: 'Logs', description: 'The newest tickets as log lines, for the logs panel (a ticket feed)' },
  {
    value: 'spike',
    label: 'Spike',
    description: 'The recent ticket rate against its usual rate, over time (alert rules, spike charts)',
  },
  {
    value: 'movers',
    label: 'Movers',
    description: 'What changed: the values of a field that rose most above their usual rate',
  },
];

export const SERIES_OPTIONS: Array<ComboboxOption<SpikeSeries>> = [
  { value: 'rate', label: 'rate', description: 'Tickets of the window per minute' },
  { value: 'baseline', label: 'baseline', description: 'The usual rate: tickets of the baseline per minute' },
  { value: 'ratio', label: 'ratio', description: 'How many times more tickets the window holds than usual' },
];

// The backend's defaults of a spike query (pkg/query DefaultSpikeWindow, DefaultSpikeBaseline).
export const DEFAULT_SPIKE_WINDOW = '10m';
export const DEFAULT_SPIKE_BASELINE = '24h';

const DURATION_HINT = 'Use a duration such as 1m, 5m, 1h or 1d.';

const ONE_SERIES_ADVICE =
  'An alert rule should ask for one series, such as ratio: Grafana tells alert instances apart by their labels ' +
  'only, and the measures of one value share its labels. Then Reduce (last) and a Threshold, such as above 5.';

// The column names a logs query maps onto the level when it names none, in the backend's
// order of preference (pkg/query levelGuesses).
const LEVEL_GUESSES = ['severity', 'sev', 'priority', 'level'];

/**
 * isValidDurationOption accepts a duration, nothing (the default), or a variable
 * ($__interval), which is checked once it is replaced.
 */
export function isValidDurationOption(text: string): boolean {
  return text === '' || text.includes('$') || isDuration(text);
}

/**
 * spikeBaselineError says why a spike query's baseline cannot go with its window, as the
 * backend would refuse it: the usual rate needs a period at least as long as the window.
 * Empty options count as the backend's defaults; a variable or a typo is judged elsewhere.
 */
export function spikeBaselineError(window: string, baseline: string): string | undefined {
  const windowMs = durationMs(window || DEFAULT_SPIKE_WINDOW);
  const baselineMs = durationMs(baseline || DEFAULT_SPIKE_BASELINE);
  if (windowMs === undefined || baselineMs === undefined || baselineMs >= windowMs) {
    return undefined;
  }
  return `The baseline must be at least as long as the window (${window || DEFAULT_SPIKE_WINDOW}).`;
}

/** levelFieldGuess is the column the backend maps onto a logs line's level when the query names none. */
export function levelFieldGuess(schema: SchemaResponse | undefined): string | undefined {
  for (const guess of LEVEL_GUESSES) {
    const column = schema?.columns.find(
      (c) => c.name.toLowerCase() === guess && (c.type === 'number' || c.type === 'string')
    );
    if (column) {
      return column.name;
    }
  }
  return undefined;
}

function parseCount(e: FormEvent<HTMLInputElement>): number | undefined {
  const raw = e.currentTarget.value.trim();
  if (raw === '') {
    return undefined;
  }
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : undefined;
}

export function QueryEditor({ query, onChange, onRunQuery, datasource, app }: Props) {
  const { schema, error: schemaError } = useSchema(datasource);
  const queryType: QueryType = query.queryType ?? 'counts';
  const id = (name: string) => `spacetime-${query.refId}-${name}`;

  const change = (patch: Partial<TicketsQuery>, run = false) => {
    onChange({ ...query, ...patch });
    if (run) {
      onRunQuery();
    }
  };

  const timeOptions = useMemo(
    () => fieldOptions(schema, { types: ['time'], current: query.timeField }),
    [schema, query.timeField]
  );
  const groupOptions = useMemo(
    () => fieldOptions(schema, { types: ['string', 'number', 'bool'], facetsFirst: true, current: query.splitBy }),
    [schema, query.splitBy]
  );
  const breakdownOptions = useMemo(
    () => fieldOptions(schema, { types: ['string', 'number', 'bool'], facetsFirst: true, current: query.field }),
    [schema, query.field]
  );
  const valuesOptions = useMemo(
    () =>
      fieldOptions(schema, { types: ['string', 'text', 'number', 'bool'], facetsFirst: true, current: query.field }),
    [schema, query.field]
  );
  const columnOptions = useMemo(() => fieldOptions(schema, { current: query.columns }), [schema, query.columns]);
  const levelOptions = useMemo(
    () => fieldOptions(schema, { types: ['number', 'string'], current: query.levelField }),
    [schema, query.levelField]
  );

  const defaultFilter = schema?.defaults?.filter ?? '';
  const needsField = (queryType === 'breakdown' || queryType === 'values' || queryType === 'movers') && !query.field;
  const series = query.series ?? [];
  const alerting = app === CoreApp.UnifiedAlerting;

  const topField = (tooltip: string) => (
    <TopField
      id={id('top')}
      tooltip={tooltip}
      value={query.top}
      onChange={(top) => change({ top })}
      onBlur={onRunQuery}
    />
  );
  const bucketField = (tooltip: string) => (
    <DurationField
      id={id('bucket')}
      label="Bucket"
      tooltip={tooltip}
      placeholder="auto"
      value={query.bucket ?? ''}
      onChange={(bucket) => change({ bucket })}
      onBlur={onRunQuery}
    />
  );
  const baselineField = (tooltip: string, placeholder: string, error?: string) => (
    <DurationField
      id={id('baseline')}
      label="Baseline"
      tooltip={tooltip}
      placeholder={placeholder}
      value={query.baseline ?? ''}
      error={error}
      onChange={(baseline) => change({ baseline })}
      onBlur={onRunQuery}
    />
  );
  const splitByField = (
    <EditorField label="Split by" htmlFor={id('split-by')} optional tooltip="One series per value of this field.">
      <Combobox<string>
        id={id('split-by')}
        width={24}
        isClearable
        createCustomValue
        placeholder="no split"
        options={groupOptions}
        value={query.splitBy || null}
        onChange={(o) => change({ splitBy: o?.value || undefined }, true)}
      />
    </EditorField>
  );
  const columnsField = (placeholder: string, tooltip: string) => (
    <EditorField label="Columns" htmlFor={id('columns')} optional tooltip={tooltip}>
      <MultiCombobox<string>
        id={id('columns')}
        width="auto"
        minWidth={30}
        maxWidth={80}
        createCustomValue
        isClearable
        placeholder={placeholder}
        options={columnOptions}
        value={query.columns ?? []}
        onChange={(opts) => change({ columns: opts.length ? opts.map((o) => o.value) : undefined }, true)}
      />
    </EditorField>
  );

  return (
    <EditorRows>
      {schemaError && (
        <Alert severity="warning" title="The column schema could not be read">
          {schemaError}. Field names can still be typed; the pickers fill in once the data source answers.
        </Alert>
      )}
      {alerting && queryType !== 'counts' && queryType !== 'spike' && (
        <Alert severity="info" title="Alert rules need a time series">
          An alert condition reads a time series: choose Spike (the ticket rate against its usual rate) or Counts,
          optionally split by a field.
        </Alert>
      )}
      {alerting && queryType === 'spike' && series.length !== 1 && (
        <Alert severity="warning" title="Ask for one series">
          Grafana tells alert instances apart by their labels only, and the measures of one series share its labels:
          choose one series, such as ratio, and put a Reduce (last) and a Threshold on it.
        </Alert>
      )}
      <EditorRow>
        <EditorFieldGroup>
          <EditorField label="Query type" htmlFor={id('type')}>
            <RadioButtonGroup<QueryType>
              id={id('type')}
              aria-label="Query type"
              options={QUERY_TYPE_OPTIONS}
              value={queryType}
              onChange={(v) => change({ queryType: v }, true)}
            />
          </EditorField>
          <EditorField
            label="Time field"
            htmlFor={id('time-field')}
            optional
            tooltip="The time column the dashboard's time range applies to. Empty: the schema's time column."
          >
            <Combobox<string>
              id={id('time-field')}
              width={22}
              isClearable
              createCustomValue
              placeholder={schema?.time ?? 'schema default'}
              options={timeOptions}
              value={query.timeField || null}
              onChange={(o) => change({ timeField: o?.value || undefined }, true)}
            />
          </EditorField>
        </EditorFieldGroup>
      </EditorRow>

      <EditorRow>
        <Stack direction="column" gap={1} grow={1}>
          <FilterField
            datasource={datasource}
            id={id('filter')}
            value={query.filter ?? ''}
            onChange={(filter) => change({ filter })}
            onCommit={onRunQuery}
          />
          <EditorFieldGroup>
            <EditorField
              label="Search"
              htmlFor={id('search')}
              optional
              tooltip={
                queryType === 'logs'
                  ? 'Words to highlight in the lines. Search removes no line: the filter does that.'
                  : 'Words every marked ticket contains. Search marks tickets; it removes none.'
              }
            >
              <Input
                id={id('search')}
                width={40}
                value={query.search ?? ''}
                placeholder="database timeout"
                onChange={(e) => change({ search: e.currentTarget.value })}
                onBlur={onRunQuery}
              />
            </EditorField>
            <EditorField
              label="Default filter"
              htmlFor={id('default-filter')}
              tooltip={
                defaultFilter
                  ? `The schema's default filter: ${defaultFilter}. Switch it off to see every ticket.`
                  : 'The schema sets no default filter.'
              }
            >
              <Switch
                id={id('default-filter')}
                value={!query.noDefaultFilter}
                onChange={(e) => change({ noDefaultFilter: e.currentTarget.checked ? undefined : true }, true)}
              />
            </EditorField>
            <LiveField id={id('live')} query={query} onChange={(on) => change({ live: on ? true : undefined }, true)} />
          </EditorFieldGroup>
        </Stack>
      </EditorRow>

      {queryType === 'counts' && (
        <EditorRow>
          <EditorFieldGroup>
            {splitByField}
            {topField('Series kept before the rest become other (default 10).')}
            {bucketField("Width of each time bucket. Empty: from the panel's interval, at least a minute.")}
          </EditorFieldGroup>
        </EditorRow>
      )}

      {(queryType === 'breakdown' || queryType === 'values' || queryType === 'movers') && (
        <EditorRow>
          <EditorFieldGroup>
            <EditorField
              label={queryType === 'breakdown' ? 'Group by' : 'Field'}
              htmlFor={id('field')}
              invalid={needsField}
              error={needsField ? 'Choose a field: the query runs once it has one.' : undefined}
              tooltip={
                queryType === 'movers' ? "Each of this field's values is compared with its usual rate." : undefined
              }
            >
              <Combobox<string>
                id={id('field')}
                width={24}
                createCustomValue
                placeholder="choose a field"
                options={queryType === 'values' ? valuesOptions : breakdownOptions}
                value={query.field || null}
                invalid={needsField}
                onChange={(o) => change({ field: o.value }, true)}
              />
            </EditorField>
            {queryType === 'breakdown' && topField('Values kept before the rest become other (default 10).')}
            {queryType === 'movers' && (
              <>
                {topField('Values listed, highest score first (default 10).')}
                {baselineField(
                  'The period just before the range that gives each value its usual rate. Empty: as long as the range.',
                  'same as range'
                )}
              </>
            )}
            {queryType === 'values' && (
              <>
                <EditorField
                  label="Prefix"
                  htmlFor={id('prefix')}
                  optional
                  tooltip="Keep the values that start with this text."
                >
                  <Input
                    id={id('prefix')}
                    width={20}
                    value={query.prefix ?? ''}
                    onChange={(e) => change({ prefix: e.currentTarget.value || undefined })}
                    onBlur={onRunQuery}
                  />
                </EditorField>
                <LimitField
                  id={id('limit')}
                  value={query.limit}
                  onChange={(limit) => change({ limit })}
                  onBlur={onRunQuery}
                />
              </>
            )}
          </EditorFieldGroup>
        </EditorRow>
      )}

      {queryType === 'tickets' && (
        <EditorRow>
          <Stack direction="column" gap={1}>
            <EditorFieldGroup>
              {columnsField(
                schema?.table?.columns?.join(', ') || 'schema default',
                "Columns in the order chosen. Empty: the schema's table columns."
              )}
              <LimitField
                id={id('limit')}
                value={query.limit}
                placeholder={schema?.table?.limit ? String(schema.table.limit) : undefined}
                onChange={(limit) => change({ limit })}
                onBlur={onRunQuery}
              />
            </EditorFieldGroup>
            <SortEditor
              idPrefix={id('sort')}
              sort={query.sort ?? []}
              fallback={schema?.table?.sort}
              options={columnOptions}
              onChange={(sort) => change({ sort: sort.length ? sort : undefined }, true)}
            />
          </Stack>
        </EditorRow>
      )}

      {queryType === 'stats' && (
        <EditorRow>
          <EditorFieldGroup>
            {baselineField(
              'The period just before the range that gives the usual rate per minute. Empty: as long as the range.',
              'same as range'
            )}
          </EditorFieldGroup>
        </EditorRow>
      )}

      {queryType === 'logs' && (
        <EditorRow>
          <EditorFieldGroup>
            {columnsField('every column', 'The fields a line shows when it is expanded. Empty: every column.')}
            <LimitField
              id={id('limit')}
              value={query.limit}
              placeholder={schema?.table?.limit ? String(schema.table.limit) : undefined}
              onChange={(limit) => change({ limit })}
              onBlur={onRunQuery}
            />
            <EditorField
              label="Level field"
              htmlFor={id('level-field')}
              optional
              tooltip={
                'The column that gives each line its level: numbers 1 (critical) to 5 (debug), or text such as ' +
                'SEV1, P2, high or low. Empty: a number or string column named severity, sev, priority or level.'
              }
            >
              <Combobox<string>
                id={id('level-field')}
                width={22}
                isClearable
                createCustomValue
                placeholder={levelFieldGuess(schema) ?? 'none'}
                options={levelOptions}
                value={query.levelField || null}
                onChange={(o) => change({ levelField: o?.value || undefined }, true)}
              />
            </EditorField>
          </EditorFieldGroup>
        </EditorRow>
      )}

      {queryType === 'spike' && (
        <EditorRow>
          <EditorFieldGroup>
            <DurationField
              id={id('window')}
              label="Window"
              tooltip="The recent period that ends at each point, whose tickets are compared with the usual rate."
              placeholder={DEFAULT_SPIKE_WINDOW}
              value={query.window ?? ''}
              onChange={(window) => change({ window })}
              onBlur={onRunQuery}
            />
            {baselineField(
              'The period just before the window that gives the usual rate. At least as long as the window.',
              DEFAULT_SPIKE_BASELINE,
              spikeBaselineError(query.window ?? '', query.baseline ?? '')
            )}
            <EditorField
              label="Series"
              htmlFor={id('series')}
              optional
              tooltip={
                'rate: tickets of the window per minute; baseline: the usual rate per minute; ratio: how many ' +
                'times more tickets the window holds than usual. Empty: all three.'
              }
            >
              <Stack direction="row" gap={0.5} alignItems="center">
                <MultiCombobox<SpikeSeries>
                  id={id('series')}
                  width="auto"
                  minWidth={24}
                  isClearable
                  placeholder="rate, baseline, ratio"
                  options={SERIES_OPTIONS}
                  value={series}
                  onChange={(opts) => change({ series: opts.length ? opts.map((o) => o.value) : undefined }, true)}
                />
                {/* A button rather than the label's icon, so that the advice is reachable from the keyboard. */}
                <Tooltip content={ONE_SERIES_ADVICE} placement="top">
                  <IconButton name="bell" aria-label="Series in alert rules" />
                </Tooltip>
              </Stack>
            </EditorField>
          </EditorFieldGroup>
          <EditorFieldGroup>
            {splitByField}
            {topField('Series kept before the rest become other (default 10).')}
            {bucketField("Spacing of the points. Empty: from the panel's interval, at least a minute.")}
          </EditorFieldGroup>
        </EditorRow>
      )}
    </EditorRows>
  );
}

/** DurationField edits a duration option; it says when the text is not a duration the backend reads. */
function DurationField(props: {
  id: string;
  label: string;
  tooltip: string;
  placeholder: string;
  value: string;
  /** A problem beyond the duration's form, such as a baseline shorter than its window. */
  error?: string;
  onChange: (v: string | undefined) => void;
  onBlur: () => void;
}) {
  const error = isValidDurationOption(props.value) ? props.error : DURATION_HINT;
  const errorId = `${props.id}-error`;
  return (
    <EditorField
      label={props.label}
      htmlFor={props.id}
      optional
      invalid={error !== undefined}
      error={error && <span id={errorId}>{error}</span>}
      tooltip={props.tooltip}
    >
      <Input
        id={props.id}
        width={14}
        placeholder={props.placeholder}
        value={props.value}
        invalid={error !== undefined}
        aria-invalid={error !== undefined}
        aria-describedby={error ? errorId : undefined}
        onChange={(e) => props.onChange(e.currentTarget.value || undefined)}
        onBlur={props.onBlur}
      />
    </EditorField>
  );
}

function TopField(props: {
  id: string;
  tooltip: string;
  value?: number;
  onChange: (v: number | undefined) => void;
  onBlur: () => void;
}) {
  return (
    <EditorField label="Top" htmlFor={props.id} optional tooltip={props.tooltip}>
      <Input
        id={props.id}
        type="number"
        min={1}
        width={10}
        placeholder="10"
        value={props.value ?? ''}
        onChange={(e) => props.onChange(parseCount(e))}
        onBlur={props.onBlur}
      />
    </EditorField>
  );
}

function LimitField(props: {
  id: string;
  value?: number;
  placeholder?: string;
  onChange: (v: number | undefined) => void;
  onBlur: () => void;
}) {
  return (
    <EditorField
      label="Limit"
      htmlFor={props.id}
      optional
      tooltip="The most rows or values returned. Empty: the default."
    >
      <Input
        id={props.id}
        type="number"
        min={1}
        width={12}
        placeholder={props.placeholder ?? 'default'}
        value={props.value ?? ''}
        onChange={(e) => props.onChange(parseCount(e))}
        onBlur={props.onBlur}
      />
    </EditorField>
  );
}

// Read by screen readers, not shown: the row's layout already says what each control is.
const visuallyHidden = css({
  position: 'absolute',
  width: 1,
  height: 1,
  overflow: 'hidden',
  clip: 'rect(0 0 0 0)',
  whiteSpace: 'nowrap',
});

const plainFieldset = css({ border: 0, margin: 0, padding: 0, minWidth: 0 });

const DIRECTIONS: Array<SelectableValue<'asc' | 'desc'>> = [
  { value: 'asc', label: 'Ascending', icon: 'sort-amount-up' },
  { value: 'desc', label: 'Descending', icon: 'sort-amount-down' },
];

/** SortEditor edits the sort keys one row each; every control is named by its position. */
export function SortEditor(props: {
  idPrefix: string;
  sort: SortKey[];
  fallback?: SortKey[];
  options: Array<ComboboxOption<string>>;
  onChange: (sort: SortKey[]) => void;
}) {
  const { idPrefix, sort, fallback, options, onChange } = props;
  const update = (i: number, patch: Partial<SortKey>) =>
    onChange(sort.map((k, j) => (j === i ? { ...k, ...patch } : k)));
  const fallbackText = fallback?.length
    ? fallback.map((k) => `${k.field} ${k.desc ? 'descending' : 'ascending'}`).join(', ')
    : 'the schema default';

  return (
    <fieldset aria-describedby={`${idPrefix}-hint`} className={plainFieldset}>
      <legend className={visuallyHidden}>Sort</legend>
      <Stack direction="column" gap={0.5}>
        <span id={`${idPrefix}-hint`}>{sort.length === 0 ? `Sort: ${fallbackText}.` : 'Sort by, in order:'}</span>
        {sort.map((key, i) => (
          <Stack key={i} direction="row" gap={1} alignItems="center">
            <label htmlFor={`${idPrefix}-${i}-field`} className={visuallyHidden}>
              Sort field {i + 1}
            </label>
            <Combobox<string>
              id={`${idPrefix}-${i}-field`}
              width={24}
              createCustomValue
              options={options}
              value={key.field || null}
              onChange={(o) => update(i, { field: o.value })}
            />
            <RadioButtonGroup<'asc' | 'desc'>
              aria-label={`Sort direction ${i + 1}`}
              options={DIRECTIONS}
              value={key.desc ? 'desc' : 'asc'}
              onChange={(d) => update(i, { desc: d === 'desc' || undefined })}
            />
            <IconButton
              name="trash-alt"
              aria-label={`Remove sort key ${i + 1}`}
              tooltip={`Remove sort key ${i + 1}`}
              onClick={() => onChange(sort.filter((_, j) => j !== i))}
            />
          </Stack>
        ))}
        <div>
          <Button
            size="sm"
            variant="secondary"
            icon="plus"
            onClick={() => onChange([...sort, { field: options[0]?.value ?? '', desc: true }])}
          >
            Add sort key
          </Button>
        </div>
      </Stack>
    </fieldset>
  );
}
