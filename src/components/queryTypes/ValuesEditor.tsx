import React from 'react';
import { EditorField, EditorFieldGroup, EditorRow } from '@grafana/plugin-ui';
import { Input } from '@grafana/ui';

import { TypeEditorProps } from './definition';
import { LimitField, QueryFieldPicker, VALUE_TYPES } from './fields';

/** ValuesEditor: the distinct values of a field (text fields too), with their counts. */
export function ValuesEditor({ query, schema, id, onChange, onRunQuery }: TypeEditorProps) {
  return (
    <EditorRow>
      <EditorFieldGroup>
        <QueryFieldPicker
          id={id('field')}
          label="Field"
          schema={schema}
          types={VALUE_TYPES}
          value={query.field}
          onChange={(field) => onChange({ field }, true)}
        />
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
            onChange={(e) => onChange({ prefix: e.currentTarget.value || undefined })}
            onBlur={onRunQuery}
          />
        </EditorField>
        <LimitField
          id={id('limit')}
          value={query.limit}
          onChange={(limit) => onChange({ limit })}
          onBlur={onRunQuery}
        />
      </EditorFieldGroup>
    </EditorRow>
  );
}
