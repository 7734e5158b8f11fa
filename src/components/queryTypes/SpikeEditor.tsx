import React from 'react';
import { EditorField, EditorFieldGroup, EditorRow } from '@grafana/plugin-ui';
import { ComboboxOption, IconButton, MultiCombobox, Stack, Tooltip } from '@grafana/ui';

import { durationMs } from '../../duration';
import { SpikeSeries, TicketsQuery } from '../../types';
import { AlertingNotice, TypeEditorProps } from './definition';
import { DEFAULT_TOP, DurationField, SeriesFields } from './fields';

// The backend's defaults of a spike query (pkg/query DefaultSpikeWindow, DefaultSpikeBaseline).
export const DEFAULT_SPIKE_WINDOW = '10m';
export const DEFAULT_SPIKE_BASELINE = '24h';

/** The options a spike query leaves to the backend, as the registry lists them. */
export const SPIKE_DEFAULTS: Partial<TicketsQuery> = {
  window: DEFAULT_SPIKE_WINDOW,
  baseline: DEFAULT_SPIKE_BASELINE,
  top: DEFAULT_TOP,
};

export const SERIES_OPTIONS: Array<ComboboxOption<SpikeSeries>> = [
  { value: 'rate', label: 'rate', description: 'Tickets of the window per minute' },
  { value: 'baseline', label: 'baseline', description: 'The usual rate: tickets of the baseline per minute' },
  { value: 'ratio', label: 'ratio', description: 'How many times more tickets the window holds than usual' },
];

const ONE_SERIES_ADVICE =
  'An alert rule should ask for one series, such as ratio: Grafana tells alert instances apart by their labels ' +
  'only, and the measures of one value share its labels. Then Reduce (last) and a Threshold, such as above 5.';

/**
 * spikeBaselineError says why a spike query's baseline cannot go with its window, as the
 * backend would refuse it: the usual rate needs a period at least as long as the window.
 * Empty options count as the backend's defaults; a variable or a typo is judged elsewhere.
 */
export function spikeBaselineError(window: string, baseline: string): string | undefined {
  const windowMs = durationMs(window || DEFAULT_SPIKE_WINDOW);
  const baselineMs = durationMs(baseline || DEFAULT_SPIKE_BASELINE);
  if (windowMs === undefined || baselineMs === undefined || baselineMs >= windowMs) {
    return undefined;
  }
  return `The baseline must be at least as long as the window (${window || DEFAULT_SPIKE_WINDOW}).`;
}

/**
 * spikeAlertingNotice asks an alert rule's author for one series: Grafana tells alert
 * instances apart by their labels only, and the three measures of one series share them.
 */
export function spikeAlertingNotice(query: TicketsQuery): AlertingNotice | undefined {
  if ((query.series ?? []).length === 1) {
    return undefined;
  }
  return {
    severity: 'warning',
    title: 'Ask for one series',
    text:
      'Grafana tells alert instances apart by their labels only, and the measures of one series share its labels: ' +
      'choose one series, such as ratio, and put a Reduce (last) and a Threshold on it.',
  };
}

/** SpikeEditor: the recent ticket rate against its usual rate, over time. */
export function SpikeEditor({ query, schema, id, onChange, onRunQuery }: TypeEditorProps) {
  return (
    <EditorRow>
      <EditorFieldGroup>
        <DurationField
          id={id('window')}
          label="Window"
          tooltip="The recent period that ends at each point, whose tickets are compared with the usual rate."
          placeholder={DEFAULT_SPIKE_WINDOW}
          value={query.window ?? ''}
          onChange={(window) => onChange({ window })}
          onBlur={onRunQuery}
        />
        <DurationField
          id={id('baseline')}
          label="Baseline"
          tooltip="The period just before the window that gives the usual rate. At least as long as the window."
          placeholder={DEFAULT_SPIKE_BASELINE}
          value={query.baseline ?? ''}
          error={spikeBaselineError(query.window ?? '', query.baseline ?? '')}
          onChange={(baseline) => onChange({ baseline })}
          onBlur={onRunQuery}
        />
        <EditorField
          label="Series"
          htmlFor={id('series')}
          optional
          tooltip={
            'rate: tickets of the window per minute; baseline: the usual rate per minute; ratio: how many ' +
            'times more tickets the window holds than usual. Empty: all three.'
          }
        >
          <Stack direction="row" gap={0.5} alignItems="center">
            <MultiCombobox<SpikeSeries>
              id={id('series')}
              width="auto"
              minWidth={24}
              isClearable
              placeholder="rate, baseline, ratio"
              options={SERIES_OPTIONS}
              value={query.series ?? []}
              onChange={(opts) => onChange({ series: opts.length ? opts.map((o) => o.value) : undefined }, true)}
            />
            {/* A button rather than the label's icon, so that the advice is reachable from the keyboard. */}
            <Tooltip content={ONE_SERIES_ADVICE} placement="top">
              <IconButton name="bell" aria-label="Series in alert rules" />
            </Tooltip>
          </Stack>
        </EditorField>
      </EditorFieldGroup>
      <EditorFieldGroup>
        <SeriesFields
          query={query}
          schema={schema}
          id={id}
          bucketTooltip="Spacing of the points. Empty: from the panel's interval, at least a minute."
          onChange={onChange}
          onRunQuery={onRunQuery}
        />
      </EditorFieldGroup>
    </EditorRow>
  );
}
