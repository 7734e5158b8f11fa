import React from 'react';
import { EditorFieldGroup, EditorRow } from '@grafana/plugin-ui';

import { TypeEditorProps } from './definition';
import { DurationField } from './fields';

/** StatsEditor: total, open now, rate per minute and the usual rate, whose baseline it edits. */
export function StatsEditor({ query, id, onChange, onRunQuery }: TypeEditorProps) {
  return (
    <EditorRow>
      <EditorFieldGroup>
        <DurationField
          id={id('baseline')}
          label="Baseline"
          tooltip="The period just before the range that gives the usual rate per minute. Empty: as long as the range."
          placeholder="same as range"
          value={query.baseline ?? ''}
          onChange={(baseline) => onChange({ baseline })}
          onBlur={onRunQuery}
        />
      </EditorFieldGroup>
    </EditorRow>
  );
}
