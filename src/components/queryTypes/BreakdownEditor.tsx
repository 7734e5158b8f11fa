import React from 'react';
import { EditorFieldGroup, EditorRow } from '@grafana/plugin-ui';

import { TypeEditorProps } from './definition';
import { QueryFieldPicker, TopField } from './fields';

/** BreakdownEditor: tickets per value of a field, the top values plus "other". */
export function BreakdownEditor({ query, schema, id, onChange, onRunQuery }: TypeEditorProps) {
  return (
    <EditorRow>
      <EditorFieldGroup>
        <QueryFieldPicker
          id={id('field')}
          label="Group by"
          schema={schema}
          value={query.field}
          onChange={(field) => onChange({ field }, true)}
        />
        <TopField
          id={id('top')}
          tooltip="Values kept before the rest become other (default 10)."
          value={query.top}
          onChange={(top) => onChange({ top })}
          onBlur={onRunQuery}
        />
      </EditorFieldGroup>
    </EditorRow>
  );
}
