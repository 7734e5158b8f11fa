import React from 'react';
import { EditorFieldGroup, EditorRow } from '@grafana/plugin-ui';

import { TypeEditorProps } from './definition';
import { DurationField, SplitByField, TopField } from './fields';

/** CountsEditor: tickets per time bucket, optionally one series per value of a field. */
export function CountsEditor({ query, schema, id, onChange, onRunQuery }: TypeEditorProps) {
  return (
    <EditorRow>
      <EditorFieldGroup>
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
          tooltip="Width of each time bucket. Empty: from the panel's interval, at least a minute."
          placeholder="auto"
          value={query.bucket ?? ''}
          onChange={(bucket) => onChange({ bucket })}
          onBlur={onRunQuery}
        />
      </EditorFieldGroup>
    </EditorRow>
  );
}
