import React, { FormEvent, useMemo } from 'react';
import { EditorField } from '@grafana/plugin-ui';
import { Combobox, Input, MultiCombobox } from '@grafana/ui';

import { isDuration } from '../../duration';
import { ColumnType, SchemaResponse } from '../../types';
import { fieldOptions } from '../fieldOptions';

// The controls that several query types' editors share. Each keeps the look and the ids the
// editor had before it was split per type (spacetime-<refId>-<name>).

export const DURATION_HINT = 'Use a duration such as 1m, 5m, 1h or 1d.';

/** How many series, slices or values the backend keeps when a query sets no top (pkg/query). */
export const DEFAULT_TOP = 10;

export const FIELD_NEEDED = 'Choose a field: the query runs once it has one.';

/**
 * isValidDurationOption accepts a duration, nothing (the default), or a variable
 * ($__interval), which is checked once it is replaced.
 */
export function isValidDurationOption(text: string): boolean {
  return text === '' || text.includes('$') || isDuration(text);
}

/** The column types a chart can group or split by: no free text, no times. */
export const CHARTABLE_TYPES: ColumnType[] = ['string', 'number', 'bool'];

/** The column types whose values a values query lists: free text too. */
export const VALUE_TYPES: ColumnType[] = ['string', 'text', 'number', 'bool'];

/** parseCount reads a count typed in a number box: empty, negative or not a number is no count. */
export function parseCount(raw: string): number | undefined {
  const text = raw.trim();
  if (text === '') {
    return undefined;
  }
  const n = Number(text);
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : undefined;
}

/** hasField says whether a query names its field, which a breakdown, values or movers query needs. */
export function hasField(query: { field?: string }): boolean {
  return Boolean(query.field && query.field.trim() !== '');
}

const countOf = (e: FormEvent<HTMLInputElement>) => parseCount(e.currentTarget.value);

/** DurationField edits a duration option; it says when the text is not a duration the backend reads. */
export function DurationField(props: {
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

/** TopField edits how many series, slices or values are kept. */
export function TopField(props: {
  id: string;
  tooltip: string;
  /** The backend's default when it is not DEFAULT_TOP. */
  placeholder?: number;
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
        placeholder={String(props.placeholder ?? DEFAULT_TOP)}
        value={props.value ?? ''}
        onChange={(e) => props.onChange(countOf(e))}
        onBlur={props.onBlur}
      />
    </EditorField>
  );
}

/** LimitField edits the most rows, lines or values returned. */
export function LimitField(props: {
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
        onChange={(e) => props.onChange(countOf(e))}
        onBlur={props.onBlur}
      />
    </EditorField>
  );
}

/** SplitByField picks the field whose values each get their own series. */
export function SplitByField(props: {
  id: string;
  schema?: SchemaResponse;
  value?: string;
  onChange: (v: string | undefined) => void;
}) {
  const { schema, value } = props;
  const options = useMemo(
    () => fieldOptions(schema, { types: CHARTABLE_TYPES, facetsFirst: true, current: value }),
    [schema, value]
  );
  return (
    <EditorField label="Split by" htmlFor={props.id} optional tooltip="One series per value of this field.">
      <Combobox<string>
        id={props.id}
        width={24}
        isClearable
        createCustomValue
        placeholder="no split"
        options={options}
        value={value || null}
        onChange={(o) => props.onChange(o?.value || undefined)}
      />
    </EditorField>
  );
}

/**
 * QueryFieldPicker picks the field a breakdown, values or movers query is about. The query
 * cannot run without one, and the picker says so in words.
 */
export function QueryFieldPicker(props: {
  id: string;
  label: string;
  schema?: SchemaResponse;
  /** The column types offered (a constant, not a new array each render); CHARTABLE_TYPES by default. */
  types?: ColumnType[];
  tooltip?: string;
  value?: string;
  onChange: (v: string) => void;
}) {
  const { schema, value, types = CHARTABLE_TYPES } = props;
  const options = useMemo(
    () => fieldOptions(schema, { types, facetsFirst: true, current: value }),
    [schema, value, types]
  );
  const needed = !value;
  return (
    <EditorField
      label={props.label}
      htmlFor={props.id}
      invalid={needed}
      error={needed ? FIELD_NEEDED : undefined}
      tooltip={props.tooltip}
    >
      <Combobox<string>
        id={props.id}
        width={24}
        createCustomValue
        placeholder="choose a field"
        options={options}
        value={value || null}
        invalid={needed}
        onChange={(o) => props.onChange(o.value)}
      />
    </EditorField>
  );
}

/** ColumnsField picks columns in order: a table's columns or a log line's expanded fields. */
export function ColumnsField(props: {
  id: string;
  schema?: SchemaResponse;
  placeholder: string;
  tooltip: string;
  value?: string[];
  onChange: (v: string[] | undefined) => void;
}) {
  const { schema, value } = props;
  const options = useMemo(() => fieldOptions(schema, { current: value }), [schema, value]);
  return (
    <EditorField label="Columns" htmlFor={props.id} optional tooltip={props.tooltip}>
      <MultiCombobox<string>
        id={props.id}
        width="auto"
        minWidth={30}
        maxWidth={80}
        createCustomValue
        isClearable
        placeholder={props.placeholder}
        options={options}
        value={value ?? []}
        onChange={(opts) => props.onChange(opts.length ? opts.map((o) => o.value) : undefined)}
      />
    </EditorField>
  );
}

/**
 * SeriesFields are the controls of a query drawn as series over time (counts, spike): the
 * field that splits it into series, how many are kept before "other", and the bucket.
 */
export function SeriesFields(props: {
  query: { splitBy?: string; top?: number; bucket?: string };
  schema?: SchemaResponse;
  id: (name: string) => string;
  bucketTooltip: string;
  onChange: (change: { splitBy?: string; top?: number; bucket?: string }, run?: boolean) => void;
  onRunQuery: () => void;
}) {
  const { query, schema, id, bucketTooltip, onChange, onRunQuery } = props;
  return (
    <>
      <SplitByField
        id={id('split-by')}
        schema={schema}
        value={query.splitBy}
        onChange={(splitBy) => onChange({ splitBy }, true)}
      />
      <TopField
        id={id('top')}
        tooltip="Series kept before the rest become other (default 10)."
        value={query.top}
        onChange={(top) => onChange({ top })}
        onBlur={onRunQuery}
      />
      <DurationField
        id={id('bucket')}
        label="Bucket"
        tooltip={bucketTooltip}
        placeholder="auto"
        value={query.bucket ?? ''}
        onChange={(bucket) => onChange({ bucket })}
        onBlur={onRunQuery}
      />
    </>
  );
}
