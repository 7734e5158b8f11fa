import React, { useMemo } from 'react';
import { EditorFieldGroup, EditorRow } from '@grafana/plugin-ui';
import { Stack } from '@grafana/ui';

import { fieldOptions } from '../fieldOptions';
import { TypeEditorProps } from './definition';
import { ColumnsField, LimitField } from './fields';
import { SortEditor } from './SortEditor';

/** TicketsEditor: ticket rows with chosen columns, sorted and limited; the schema's table settings by default. */
export function TicketsEditor({ query, schema, id, onChange, onRunQuery }: TypeEditorProps) {
  const sortOptions = useMemo(() => fieldOptions(schema, { current: query.columns }), [schema, query.columns]);
  return (
    <EditorRow>
      <Stack direction="column" gap={1}>
        <EditorFieldGroup>
          <ColumnsField
            id={id('columns')}
            schema={schema}
            placeholder={schema?.table?.columns?.join(', ') || 'schema default'}
            tooltip="Columns in the order chosen. Empty: the schema's table columns."
            value={query.columns}
            onChange={(columns) => onChange({ columns }, true)}
          />
          <LimitField
            id={id('limit')}
            value={query.limit}
            placeholder={schema?.table?.limit ? String(schema.table.limit) : undefined}
            onChange={(limit) => onChange({ limit })}
            onBlur={onRunQuery}
          />
        </EditorFieldGroup>
        <SortEditor
          idPrefix={id('sort')}
          sort={query.sort ?? []}
          fallback={schema?.table?.sort}
          options={sortOptions}
          onChange={(sort) => onChange({ sort: sort.length ? sort : undefined }, true)}
        />
      </Stack>
    </EditorRow>
  );
}
