import React from 'react';
import { EditorFieldGroup, EditorRow } from '@grafana/plugin-ui';

import { TypeEditorProps } from './definition';
import { DurationField, TopField } from './fields';

/** PatternsEditor: the top patterns of the titles in scope, optionally with their counts over time. */
export function PatternsEditor({ query, id, onChange, onRunQuery }: TypeEditorProps) {
  return (
    <EditorRow>
      <EditorFieldGroup>
        <TopField
          id={id('top')}
          tooltip="Patterns listed, most tickets first (default 10, at most 100)."
          value={query.top}
          onChange={(top) => onChange({ top })}
          onBlur={onRunQuery}
        />
        <DurationField
          id={id('bucket')}
          label="Bucket"
          tooltip={
            "Also answer each pattern's tickets over time in buckets of this width, as a second frame " +
            '(sparklines; a table panel shows the first frame only). Empty: the table of patterns alone.'
          }
          placeholder="no trend"
          value={query.bucket ?? ''}
          onChange={(bucket) => onChange({ bucket })}
          onBlur={onRunQuery}
        />
      </EditorFieldGroup>
    </EditorRow>
  );
}
