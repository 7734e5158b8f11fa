import React, { useState } from 'react';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { DataSource } from '../datasource';
import { FakeAnswer, FakeTemplateSrv, instanceSettings, prepareDom, serveBackend } from '../testing/fakes';
import { FilterField } from './FilterField';

let mockTemplateSrv = new FakeTemplateSrv();
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getTemplateSrv: () => mockTemplateSrv,
}));

beforeAll(prepareDom);

beforeEach(() => {
  mockTemplateSrv = new FakeTemplateSrv();
});

function setup(validate: (filter: string) => FakeAnswer, initial = '', label?: string) {
  serveBackend((req) => validate((req.data as { filter: string }).filter));
  const onCommit = jest.fn();
  const typed: string[] = [];
  const datasource = new DataSource(instanceSettings());
  function Harness() {
    const [value, setValue] = useState(initial);
    return (
      <FilterField
        datasource={datasource}
        id="f"
        label={label}
        value={value}
        onChange={(v) => {
          typed.push(v);
          setValue(v);
        }}
        onCommit={onCommit}
      />
    );
  }
  render(<Harness />);
  return { user: userEvent.setup({ delay: null }), onCommit, typed };
}

describe('FilterField', () => {
  it('is a labelled text area with the syntax help beside it', () => {
    setup(() => ({ data: { valid: true } }), '', 'Only tickets matching');
    expect(screen.getByRole('textbox', { name: 'Only tickets matching' })).toHaveAttribute(
      'placeholder',
      'service = "checkout" and severity <= 2'
    );
    expect(screen.getByRole('button', { name: 'Filter syntax help' })).toBeInTheDocument();
  });

  it('marks the character at fault, and Go to error selects it', async () => {
    // "é" is two bytes: the backend's byte offset 9 is the 8th character, the second "=".
    const { user } = setup((f) =>
      f === 'sévé = ='
        ? { data: { valid: false, error: { position: 9, message: 'unexpected "="' } } }
        : { data: { valid: true } }
    );
    const input = screen.getByRole('textbox', { name: 'Filter' });
    await user.type(input, 'sévé = =');
    const error = await screen.findByTestId('filter-error');
    expect(error).toHaveTextContent('Filter error at position 8: unexpected "="');
    expect(error.querySelector('mark')).toHaveTextContent('=');
    expect(input).toHaveAttribute('aria-invalid', 'true');
    await user.click(screen.getByRole('button', { name: 'Go to error' }));
    expect(input).toHaveFocus();
    const area = input as HTMLTextAreaElement;
    expect([area.selectionStart, area.selectionEnd]).toEqual([7, 8]);
  });

  it('commits on leaving the field and on Ctrl+Enter, without adding a line', async () => {
    const { user, onCommit, typed } = setup(() => ({ data: { valid: true } }));
    const input = screen.getByRole('textbox', { name: 'Filter' });
    await user.type(input, 'a{Control>}{Enter}{/Control}');
    expect(onCommit).toHaveBeenCalledTimes(1);
    expect(typed[typed.length - 1]).toBe('a');
    await user.tab();
    expect(onCommit).toHaveBeenCalledTimes(2);
  });

  it('says when the filter cannot be checked, without calling it wrong', async () => {
    const { user } = setup(() => ({ status: 503, error: 'store loading' }));
    const input = screen.getByRole('textbox', { name: 'Filter' });
    await user.type(input, 'x');
    expect(await screen.findByText(/The filter could not be checked: store loading/)).toBeInTheDocument();
    expect(input).toHaveAttribute('aria-invalid', 'false');
    await waitFor(() => expect(screen.queryByTestId('filter-error')).not.toBeInTheDocument());
  });
});
