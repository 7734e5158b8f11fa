import React from 'react';
import { css } from '@emotion/css';
import { SelectableValue } from '@grafana/data';
import { Button, Combobox, ComboboxOption, IconButton, RadioButtonGroup, Stack } from '@grafana/ui';

import { SortKey } from '../../types';

// Read by screen readers, not shown: the row's layout already says what each control is.
const visuallyHidden = css({
  position: 'absolute',
  width: 1,
  height: 1,
  overflow: 'hidden',
  clip: 'rect(0 0 0 0)',
  whiteSpace: 'nowrap',
});

const plainFieldset = css({ border: 0, margin: 0, padding: 0, minWidth: 0 });

const DIRECTIONS: Array<SelectableValue<'asc' | 'desc'>> = [
  { value: 'asc', label: 'Ascending', icon: 'sort-amount-up' },
  { value: 'desc', label: 'Descending', icon: 'sort-amount-down' },
];

/** describeSort says in words how rows are sorted when the query sets no sort keys. */
export function describeSort(fallback: SortKey[] | undefined): string {
  return fallback?.length
    ? fallback.map((k) => `${k.field} ${k.desc ? 'descending' : 'ascending'}`).join(', ')
    : 'the schema default';
}

/** SortEditor edits the sort keys one row each; every control is named by its position. */
export function SortEditor(props: {
  idPrefix: string;
  sort: SortKey[];
  fallback?: SortKey[];
  options: Array<ComboboxOption<string>>;
  onChange: (sort: SortKey[]) => void;
}) {
  const { idPrefix, sort, fallback, options, onChange } = props;
  const update = (i: number, patch: Partial<SortKey>) =>
    onChange(sort.map((k, j) => (j === i ? { ...k, ...patch } : k)));

  return (
    <fieldset aria-describedby={`${idPrefix}-hint`} className={plainFieldset}>
      <legend className={visuallyHidden}>Sort</legend>
      <Stack direction="column" gap={0.5}>
        <span id={`${idPrefix}-hint`}>
          {sort.length === 0 ? `Sort: ${describeSort(fallback)}.` : 'Sort by, in order:'}
        </span>
        {sort.map((key, i) => (
          <Stack key={i} direction="row" gap={1} alignItems="center">
            <label htmlFor={`${idPrefix}-${i}-field`} className={visuallyHidden}>
              Sort field {i + 1}
            </label>
            <Combobox<string>
              id={`${idPrefix}-${i}-field`}
              width={24}
              createCustomValue
              options={options}
              value={key.field || null}
              onChange={(o) => update(i, { field: o.value })}
            />
            <RadioButtonGroup<'asc' | 'desc'>
              aria-label={`Sort direction ${i + 1}`}
              options={DIRECTIONS}
              value={key.desc ? 'desc' : 'asc'}
              onChange={(d) => update(i, { desc: d === 'desc' || undefined })}
            />
            <IconButton
              name="trash-alt"
              aria-label={`Remove sort key ${i + 1}`}
              tooltip={`Remove sort key ${i + 1}`}
              onClick={() => onChange(sort.filter((_, j) => j !== i))}
            />
          </Stack>
        ))}
        <div>
          <Button
            size="sm"
            variant="secondary"
            icon="plus"
            onClick={() => onChange([...sort, { field: options[0]?.value ?? '', desc: true }])}
          >
            Add sort key
          </Button>
        </div>
      </Stack>
    </fieldset>
  );
}
