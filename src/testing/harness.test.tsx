import React from 'react';
import { screen } from '@testing-library/react';

import { TypeEditorProps } from '../components/queryTypes/definition';
import { prepareDom } from './fakes';
import { renderTypeEditor } from './harness';

beforeAll(prepareDom);

/** A minimal type editor: one text box (runs on blur) and one button (runs at once). */
function Probe({ query, schema, id, onChange, onRunQuery }: TypeEditorProps) {
  return (
    <div>
      <label htmlFor={id('prefix')}>Prefix</label>
      <input
        id={id('prefix')}
        value={query.prefix ?? ''}
        onChange={(e) => onChange({ prefix: e.currentTarget.value })}
        onBlur={onRunQuery}
      />
      <button onClick={() => onChange({ top: 3 }, true)}>Top 3</button>
      <span>{schema ? `schema ${schema.key}` : 'no schema'}</span>
    </div>
  );
}

describe('renderTypeEditor', () => {
  it('merges patches into the query in state, as the shell does, and runs when asked', async () => {
    const { user, changes, last, onRunQuery } = renderTypeEditor(Probe, { queryType: 'values' });
    expect(last()).toEqual({ refId: 'A', queryType: 'values' });
    expect(screen.getByLabelText('Prefix')).toHaveAttribute('id', 'spacetime-A-prefix');
    await user.type(screen.getByLabelText('Prefix'), 'ab');
    expect(changes.map((q) => q.prefix)).toEqual(['a', 'ab']);
    expect(onRunQuery).not.toHaveBeenCalled();
    await user.click(screen.getByRole('button', { name: 'Top 3' }));
    expect(last()).toEqual({ refId: 'A', queryType: 'values', prefix: 'ab', top: 3 });
    // Leaving the box ran once, the button once more.
    expect(onRunQuery).toHaveBeenCalledTimes(2);
  });

  it('gives the test schema unless told there is none', () => {
    renderTypeEditor(Probe, {});
    expect(screen.getByText('schema id')).toBeInTheDocument();
  });

  it('can render without a schema', () => {
    renderTypeEditor(Probe, {}, { schema: null });
    expect(screen.getByText('no schema')).toBeInTheDocument();
  });
});
