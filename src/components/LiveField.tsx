import React from 'react';
import { EditorField } from '@grafana/plugin-ui';
import { Switch } from '@grafana/ui';

import { canBeLive } from '../live';
import { TicketsQuery } from '../types';

interface Props {
  id: string;
  query: TicketsQuery;
  onChange: (live: boolean) => void;
}

/** LiveField switches a query's live option, for the query types a channel can stream. */
export function LiveField({ id, query, onChange }: Props) {
  if (!canBeLive(query)) {
    return null;
  }
  return (
    <EditorField
      label="Live"
      htmlFor={id}
      tooltip="Keep the panel current as tickets are written (Grafana Live), while the time range ends now. Off: the panel refreshes with the dashboard."
    >
      <Switch id={id} value={Boolean(query.live)} onChange={(e) => onChange(e.currentTarget.checked)} />
    </EditorField>
  );
}
