import React, { useMemo } from 'react';
import { EditorField, EditorFieldGroup, EditorRow } from '@grafana/plugin-ui';
import { Combobox } from '@grafana/ui';

import { SchemaResponse } from '../../types';
import { fieldOptions } from '../fieldOptions';
import { TypeEditorProps } from './definition';
import { ColumnsField, LimitField } from './fields';

// The column names a logs query maps onto the level when it names none, in the backend's
// order of preference (pkg/query levelGuesses).
const LEVEL_GUESSES = ['severity', 'sev', 'priority', 'level'];

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

/** LogsEditor: the newest tickets as log lines, their expanded fields, how many, and their level. */
export function LogsEditor({ query, schema, id, onChange, onRunQuery }: TypeEditorProps) {
  const levelOptions = useMemo(
    () => fieldOptions(schema, { types: ['number', 'string'], current: query.levelField }),
    [schema, query.levelField]
  );
  return (
    <EditorRow>
      <EditorFieldGroup>
        <ColumnsField
          id={id('columns')}
          schema={schema}
          placeholder="every column"
          tooltip="The fields a line shows when it is expanded. Empty: every column."
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
            onChange={(o) => onChange({ levelField: o?.value || undefined }, true)}
          />
        </EditorField>
      </EditorFieldGroup>
    </EditorRow>
  );
}
