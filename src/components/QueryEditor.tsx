import React, { useMemo } from 'react';
import { QueryEditorProps, SelectableValue } from '@grafana/data';
import { EditorField, EditorFieldGroup, EditorRow, EditorRows } from '@grafana/plugin-ui';
import { Alert, Combobox, Input, RadioButtonGroup, Stack, Switch } from '@grafana/ui';

import { QueryType, TicketsDataSourceApi, TicketsOptions, TicketsQuery } from '../types';
import { fieldOptions } from './fieldOptions';
import { FilterField } from './FilterField';
import { LiveField } from './LiveField';
import { useSchema } from './hooks';
import { alertingNotices, editorId } from './queryTypes/definition';
import { queryTypeDefinition, queryTypeDefinitions } from './queryTypes/registry';

// The data source is typed by what the editor calls (TicketsDataSourceApi), not as the
// DataSource class, so that this module does not import src/datasource.ts.
type Props = QueryEditorProps<TicketsDataSourceApi, TicketsQuery, TicketsOptions>;

/** The query type picker's options, from the registry (src/components/queryTypes/registry.ts). */
export const QUERY_TYPE_OPTIONS: Array<SelectableValue<QueryType>> = queryTypeDefinitions().map((d) => ({
  value: d.type,
  label: d.label,
  description: d.description,
}));

const MARK_SEARCH_TOOLTIP = 'Words every marked ticket contains. Search marks tickets; it removes none.';

/**
 * QueryEditor is the shell every query type shares: the type picker, the time field, the
 * filter, search and the default filter switch, and the notices for alert rules. Below them
 * it draws the editor that the query's type registered (queryTypes/registry.ts); it knows no
 * query type by name.
 */
export function QueryEditor({ query, onChange, onRunQuery, datasource, app }: Props) {
  const { schema, error: schemaError } = useSchema(datasource);
  const definition = queryTypeDefinition(query.queryType);
  const id = (name: string) => editorId(query.refId, name);

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

  const defaultFilter = schema?.defaults?.filter ?? '';
  const TypeEditor = definition?.Editor;

  return (
    <EditorRows>
      {schemaError && (
        <Alert severity="warning" title="The column schema could not be read">
          {schemaError}. Field names can still be typed; the pickers fill in once the data source answers.
        </Alert>
      )}
      {alertingNotices(definition, query, app).map((notice) => (
        <Alert key={notice.title} severity={notice.severity} title={notice.title}>
          {notice.text}
        </Alert>
      ))}
      <EditorRow>
        <EditorFieldGroup>
          <EditorField label="Query type" htmlFor={id('type')}>
            <RadioButtonGroup<QueryType>
              id={id('type')}
              aria-label="Query type"
              options={QUERY_TYPE_OPTIONS}
              value={definition?.type}
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
              tooltip={definition?.searchTooltip ?? MARK_SEARCH_TOOLTIP}
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

      {TypeEditor && (
        <TypeEditor query={query} schema={schema} app={app} id={id} onChange={change} onRunQuery={onRunQuery} />
      )}
    </EditorRows>
  );
}
