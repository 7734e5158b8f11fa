import React, { useMemo } from 'react';
import { EditorField, EditorFieldGroup, EditorRow } from '@grafana/plugin-ui';
import { MultiCombobox, Switch } from '@grafana/ui';

import { fieldOptions } from '../fieldOptions';
import { TypeEditorProps } from './definition';
import { CHARTABLE_TYPES, DurationField, TopField } from './fields';

/** How many combinations a localize query names when it sets no top (pkg/localize). */
export const LOCALIZE_DEFAULT_TOP = 5;

/**
 * LocalizeEditor: the combinations of the dimensions' values that explain a rise of the
 * range against its baseline. The dimensions offered are the schema's facets (a localize
 * query combines string, number and bool fields); a field the schema does not list, or a
 * variable, can still be typed. filterField is not edited here, as for breakdown and movers:
 * the dashboards that draw data links set it in the query JSON, and the editor keeps it.
 * "For an alert" sets summary: in an alert rule, the answer is one number whose labels name
 * the cause, for the rule's template ($values.REFID.Labels.cause), as the provisioned Ticket
 * spike rule's query D.
 */
export function LocalizeEditor({ query, schema, id, onChange, onRunQuery }: TypeEditorProps) {
  const { dimensions } = query;
  const options = useMemo(
    () => fieldOptions(schema, { types: CHARTABLE_TYPES, facetsOnly: true, current: dimensions }),
    [schema, dimensions]
  );
  const dimensionsId = id('dimensions');
  return (
    <EditorRow>
      <EditorFieldGroup>
        <EditorField
          label="Dimensions"
          htmlFor={dimensionsId}
          optional
          tooltip={
            'The fields whose values are combined, up to three at a time. Empty: every facet of the schema. ' +
            'Leave out a field that changes with a ticket\u2019s age, such as its status: recent tickets always differ in it.'
          }
        >
          <MultiCombobox<string>
            id={dimensionsId}
            width="auto"
            minWidth={30}
            maxWidth={80}
            createCustomValue
            isClearable
            placeholder={schema?.facets?.length ? schema.facets.join(', ') : 'schema facets'}
            options={options}
            value={dimensions ?? []}
            onChange={(opts) => onChange({ dimensions: opts.length ? opts.map((o) => o.value) : undefined }, true)}
          />
        </EditorField>
        <DurationField
          id={id('baseline')}
          label="Baseline"
          tooltip="The period just before the range that gives the usual rate. Empty: as long as the range."
          placeholder="same as range"
          value={query.baseline ?? ''}
          onChange={(baseline) => onChange({ baseline })}
          onBlur={onRunQuery}
        />
        <TopField
          id={id('top')}
          tooltip="The most combinations named, largest excess first (default 5, at most 32)."
          placeholder={LOCALIZE_DEFAULT_TOP}
          value={query.top}
          onChange={(top) => onChange({ top })}
          onBlur={onRunQuery}
        />
        <EditorField
          label="For an alert"
          htmlFor={id('summary')}
          tooltip={
            'Answer one number, the share of the range\u2019s tickets in the most likely cause (%), whose labels name it ' +
            '(cause, tickets, expected, verdict), for an alert rule\u2019s template: $values.D.Labels.cause. ' +
            'Never empty, so it cannot turn the rule into No data.'
          }
        >
          <Switch
            id={id('summary')}
            value={Boolean(query.summary)}
            onChange={(e) => onChange({ summary: e.currentTarget.checked || undefined }, true)}
          />
        </EditorField>
      </EditorFieldGroup>
    </EditorRow>
  );
}
