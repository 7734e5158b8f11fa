import React, { useState } from 'react';
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { prepareDom } from '../../testing/fakes';
import { SortKey } from '../../types';
import { describeSort, SortEditor } from './SortEditor';

beforeAll(prepareDom);

const OPTIONS = [
  { value: 'created', label: 'created' },
  { value: 'severity', label: 'severity' },
];

function setup(initial: SortKey[], fallback?: SortKey[]) {
  const changes: SortKey[][] = [];
  function Harness() {
    const [sort, setSort] = useState(initial);
    return (
      <SortEditor
        idPrefix="sort"
        sort={sort}
        fallback={fallback}
        options={OPTIONS}
        onChange={(s) => {
          changes.push(s);
          setSort(s);
        }}
      />
    );
  }
  render(<Harness />);
  return { user: userEvent.setup({ delay: null }), last: () => changes[changes.length - 1] };
}

describe('describeSort', () => {
  it.each([
    ['one key', [{ field: 'created', desc: true }], 'created descending'],
    [
      'keys in order',
      [
        { field: 'severity', desc: false },
        { field: 'created', desc: true },
      ],
      'severity ascending, created descending',
    ],
    ['no keys', [], 'the schema default'],
    ['nothing', undefined, 'the schema default'],
  ])('%s', (_, fallback, want) => {
    expect(describeSort(fallback)).toBe(want);
  });
});

describe('SortEditor', () => {
  it('says how rows are sorted when the query sets no keys, inside a named group', () => {
    setup([], [{ field: 'created', desc: true }]);
    const group = screen.getByRole('group', { name: 'Sort' });
    expect(group).toHaveAccessibleDescription('Sort: created descending.');
  });

  it('adds a key on the first field, descending, then edits and removes keys by position', async () => {
    const { user, last } = setup([{ field: 'severity' }]);
    expect(screen.getByText('Sort by, in order:')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Add sort key' }));
    expect(last()).toEqual([{ field: 'severity' }, { field: 'created', desc: true }]);

    // Direction of the first key only.
    const first = screen.getByRole('radiogroup', { name: 'Sort direction 1' });
    await user.click(within(first).getByRole('radio', { name: 'Descending' }));
    expect(last()).toEqual([
      { field: 'severity', desc: true },
      { field: 'created', desc: true },
    ]);

    await user.click(screen.getByRole('button', { name: 'Remove sort key 1' }));
    expect(last()).toEqual([{ field: 'created', desc: true }]);
    expect(screen.getByLabelText('Sort field 1')).toHaveValue('created');
    expect(screen.queryByLabelText('Sort field 2')).not.toBeInTheDocument();
  });

  it('adds a key with no field when there is nothing to offer', async () => {
    const changes: SortKey[][] = [];
    render(<SortEditor idPrefix="s" sort={[]} options={[]} onChange={(s) => changes.push(s)} />);
    await userEvent.setup({ delay: null }).click(screen.getByRole('button', { name: 'Add sort key' }));
    expect(changes).toEqual([[{ field: '', desc: true }]]);
  });
});
