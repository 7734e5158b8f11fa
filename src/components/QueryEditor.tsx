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
} from '@grafana/ui';

import type { DataSource } from '../datasource';
import { isDuration } from '../duration';
import { QueryType, SortKey, TicketsOptions, TicketsQuery } from '../types';
import { fieldOptions } from './fieldOptions';
import { FilterField } from './FilterField';
import { useSchema } from './hooks';

type Props = QueryEditorProps<DataSource, TicketsQuery, TicketsOptions>;

export const QUERY_TYPE_OPTIONS: Array<SelectableValue<QueryType>> = [
  {
    value: 'counts',
    label: 'Counts',
    description: 'Tickets per time bucket, optionally one series per value of a field (spike charts, alerts)',
  },
  { value: 'breakdown', label: 'Breakdown', description: 'Tickets per value of a field, top N plus "other"' },
  { value: 'tickets', label: 'Tickets', description: 'Ticket rows with chosen columns, sorted and limited' },
  { value: 'stats', label: 'Stats', description: 'Total, open now, and rate per minute' },
  { value: 'values', label: 'Field values', description: 'Distinct values of a field with their counts' },
];

/** isValidBucket accepts a duration, nothing (automatic), or a variable ($__interval), checked later. */
export function isValidBucket(bucket: string): boolean {
  return bucket === '' || bucket.includes('$') || isDuration(bucket);
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

  const defaultFilter = schema?.defaults?.filter ?? '';
  const bucket = query.bucket ?? '';
  const bucketValid = isValidBucket(bucket);
  const needsField = (queryType === 'breakdown' || queryType === 'values') && !query.field;

  return (
    <EditorRows>
      {schemaError && (
        <Alert severity="warning" title="The column schema could not be read">
          {schemaError}. Field names can still be typed; the pickers fill in once the data source answers.
        </Alert>
      )}
      {app === CoreApp.UnifiedAlerting && queryType !== 'counts' && (
        <Alert severity="info" title="Alert rules need a counts query">
          An alert condition reads a time series: choose Counts, optionally split by a field.
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
              tooltip="Words every marked ticket contains. Search marks tickets; it removes none."
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
          </EditorFieldGroup>
        </Stack>
      </EditorRow>

      {queryType === 'counts' && (
        <EditorRow>
          <EditorFieldGroup>
            <EditorField
              label="Split by"
              htmlFor={id('split-by')}
              optional
              tooltip="One series per value of this field."
            >
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
            <EditorField
              label="Top"
              htmlFor={id('top')}
              optional
              tooltip="Series kept before the rest become other (default 10)."
            >
              <Input
                id={id('top')}
                type="number"
                min={1}
                width={10}
                placeholder="10"
                value={query.top ?? ''}
                onChange={(e) => change({ top: parseCount(e) })}
                onBlur={onRunQuery}
              />
            </EditorField>
            <EditorField
              label="Bucket"
              htmlFor={id('bucket')}
              optional
              invalid={!bucketValid}
              error={bucketValid ? undefined : 'Use a duration such as 1m, 5m, 1h or 1d.'}
              tooltip="Width of each time bucket. Empty: from the panel's interval, at least a minute."
            >
              <Input
                id={id('bucket')}
                width={12}
                placeholder="auto"
                value={bucket}
                invalid={!bucketValid}
                onChange={(e) => change({ bucket: e.currentTarget.value || undefined })}
                onBlur={onRunQuery}
              />
            </EditorField>
          </EditorFieldGroup>
        </EditorRow>
      )}

      {(queryType === 'breakdown' || queryType === 'values') && (
        <EditorRow>
          <EditorFieldGroup>
            <EditorField
              label={queryType === 'breakdown' ? 'Group by' : 'Field'}
              htmlFor={id('field')}
              invalid={needsField}
              error={needsField ? 'Choose a field: the query runs once it has one.' : undefined}
            >
              <Combobox<string>
                id={id('field')}
                width={24}
                createCustomValue
                placeholder="choose a field"
                options={queryType === 'breakdown' ? breakdownOptions : valuesOptions}
                value={query.field || null}
                invalid={needsField}
                onChange={(o) => change({ field: o.value }, true)}
              />
            </EditorField>
            {queryType === 'breakdown' ? (
              <EditorField
                label="Top"
                htmlFor={id('top')}
                optional
                tooltip="Values kept before the rest become other (default 10)."
              >
                <Input
                  id={id('top')}
                  type="number"
                  min={1}
                  width={10}
                  placeholder="10"
                  value={query.top ?? ''}
                  onChange={(e) => change({ top: parseCount(e) })}
                  onBlur={onRunQuery}
                />
              </EditorField>
            ) : (
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
              <EditorField
                label="Columns"
                htmlFor={id('columns')}
                optional
                tooltip="Columns in the order chosen. Empty: the schema's table columns."
              >
                <MultiCombobox<string>
                  id={id('columns')}
                  width="auto"
                  minWidth={30}
                  maxWidth={80}
                  createCustomValue
                  isClearable
                  placeholder={schema?.table?.columns?.join(', ') || 'schema default'}
                  options={columnOptions}
                  value={query.columns ?? []}
                  onChange={(opts) => change({ columns: opts.length ? opts.map((o) => o.value) : undefined }, true)}
                />
              </EditorField>
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
    </EditorRows>
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
