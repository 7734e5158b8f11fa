import React, { useMemo, useState } from 'react';
import { QueryEditorProps } from '@grafana/data';
import { EditorField, EditorFieldGroup, EditorRow, EditorRows } from '@grafana/plugin-ui';
import { Alert, Combobox, Input, Switch } from '@grafana/ui';

import { TicketsDataSourceApi, TicketsOptions, TicketsQuery, VariableQuery } from '../types';
import { fieldOptions } from './fieldOptions';
import { FilterField } from './FilterField';
import { useSchema } from './hooks';

type Props = QueryEditorProps<TicketsDataSourceApi, TicketsQuery, TicketsOptions, VariableQuery>;

/**
 * VariableQueryEditor defines a template variable whose options are the values of one field,
 * most frequent first. Text is committed when the user leaves a field, so the variable's
 * preview is not re-read on every keystroke.
 */
export function VariableQueryEditor({ query: raw, onChange, datasource }: Props) {
  const query: VariableQuery = typeof raw === 'string' ? { refId: 'SpacetimeVariable', field: raw } : raw;
  const { schema, error: schemaError } = useSchema(datasource);
  // Drafts hold what is being typed; undefined means "show the saved query".
  const [filterDraft, setFilter] = useState<string>();
  const [prefixDraft, setPrefix] = useState<string>();
  const [limitDraft, setLimit] = useState<string>();
  const filter = filterDraft ?? query.filter ?? '';
  const prefix = prefixDraft ?? query.prefix ?? '';
  const limit = limitDraft ?? (query.limit ? String(query.limit) : '');

  const options = useMemo(
    () =>
      fieldOptions(schema, { types: ['string', 'text', 'number', 'bool'], facetsFirst: true, current: query.field }),
    [schema, query.field]
  );

  const commit = (patch: Partial<VariableQuery>) => {
    const next: VariableQuery = { ...query, ...patch };
    (Object.keys(patch) as Array<keyof VariableQuery>).forEach((k) => {
      if (next[k] === undefined || next[k] === '') {
        delete next[k];
      }
    });
    onChange(next);
    setFilter(undefined);
    setPrefix(undefined);
    setLimit(undefined);
  };

  const commitLimit = () => {
    const n = Number(limit);
    commit({ limit: limit.trim() !== '' && Number.isFinite(n) && n > 0 ? Math.floor(n) : undefined });
  };

  return (
    <EditorRows>
      {schemaError && (
        <Alert severity="warning" title="The column schema could not be read">
          {schemaError}. The field name can still be typed.
        </Alert>
      )}
      <EditorRow>
        <EditorFieldGroup>
          <EditorField
            label="Field"
            htmlFor="spacetime-variable-field"
            tooltip="The variable's options are this field's values."
          >
            <Combobox<string>
              id="spacetime-variable-field"
              width={26}
              createCustomValue
              placeholder="choose a field"
              options={options}
              value={query.field || null}
              onChange={(o) => commit({ field: o.value })}
            />
          </EditorField>
          <EditorField
            label="Prefix"
            htmlFor="spacetime-variable-prefix"
            optional
            tooltip="Keep the values that start with this text."
          >
            <Input
              id="spacetime-variable-prefix"
              width={20}
              value={prefix}
              onChange={(e) => setPrefix(e.currentTarget.value)}
              onBlur={() => commit({ prefix })}
            />
          </EditorField>
          <EditorField
            label="Limit"
            htmlFor="spacetime-variable-limit"
            optional
            tooltip="The most values listed (default 1000)."
          >
            <Input
              id="spacetime-variable-limit"
              type="number"
              min={1}
              width={12}
              placeholder="1000"
              value={limit}
              onChange={(e) => setLimit(e.currentTarget.value)}
              onBlur={commitLimit}
            />
          </EditorField>
          <EditorField
            label="Show counts"
            htmlFor="spacetime-variable-counts"
            tooltip="Show each value's ticket count in the picker."
          >
            <Switch
              id="spacetime-variable-counts"
              value={Boolean(query.showCounts)}
              onChange={(e) => commit({ showCounts: e.currentTarget.checked || undefined })}
            />
          </EditorField>
        </EditorFieldGroup>
      </EditorRow>
      <EditorRow>
        <FilterField
          datasource={datasource}
          id="spacetime-variable-filter"
          label="Only tickets matching (optional)"
          value={filter}
          onChange={setFilter}
          onCommit={() => commit({ filter })}
        />
      </EditorRow>
    </EditorRows>
  );
}
