import React from 'react';
import { EditorFieldGroup, EditorRow } from '@grafana/plugin-ui';

import { TypeEditorProps } from './definition';
import { SeriesFields } from './fields';

/** CountsEditor: tickets per time bucket, optionally one series per value of a field. */
export function CountsEditor({ query, schema, id, onChange, onRunQuery }: TypeEditorProps) {
  return (
    <EditorRow>
      <EditorFieldGroup>
        <SeriesFields
          query={query}
          schema={schema}
          id={id}
          bucketTooltip="Width of each time bucket. Empty: from the panel's interval, at least a minute."
          onChange={onChange}
          onRunQuery={onRunQuery}
        />
      </EditorFieldGroup>
    </EditorRow>
  );
}
