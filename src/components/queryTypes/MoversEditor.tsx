import React from 'react';
import { EditorFieldGroup, EditorRow } from '@grafana/plugin-ui';

import { TypeEditorProps } from './definition';
import { DurationField, QueryFieldPicker, TopField } from './fields';

/** MoversEditor: the values of a field whose rate rose most above their usual rate. */
export function MoversEditor({ query, schema, id, onChange, onRunQuery }: TypeEditorProps) {
  return (
    <EditorRow>
      <EditorFieldGroup>
        <QueryFieldPicker
          id={id('field')}
          label="Field"
          schema={schema}
          tooltip="Each of this field's values is compared with its usual rate."
          value={query.field}
          onChange={(field) => onChange({ field }, true)}
        />
        <TopField
          id={id('top')}
          tooltip="Values listed, highest score first (default 10)."
          value={query.top}
          onChange={(top) => onChange({ top })}
          onBlur={onRunQuery}
        />
        <DurationField
          id={id('baseline')}
          label="Baseline"
          tooltip="The period just before the range that gives each value its usual rate. Empty: as long as the range."
          placeholder="same as range"
          value={query.baseline ?? ''}
          onChange={(baseline) => onChange({ baseline })}
          onBlur={onRunQuery}
        />
      </EditorFieldGroup>
    </EditorRow>
  );
}
