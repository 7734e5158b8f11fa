import React from 'react';
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { prepareDom } from '../testing/fakes';
import { FilterHelpButton, FilterSyntax } from './FilterHelp';

beforeAll(prepareDom);

describe('FilterSyntax', () => {
  it('lists every operator of the filter language with its meaning', () => {
    render(<FilterSyntax />);
    const table = screen.getByRole('table', { name: 'Operators' });
    const rows = within(table).getAllByRole('row');
    expect(rows.map((r) => within(r).getByRole('rowheader').textContent)).toEqual([
      '= != < <= > >=',
      '=~ !~',
      'contains, not contains',
      'in (…), not in (…)',
      'is null, is not null',
      'and, or, not, ( )',
    ]);
    expect(within(rows[1]).getByRole('cell')).toHaveTextContent(/regular expression \(RE2/);
  });

  it('shows the examples as the filter field takes them', () => {
    render(<FilterSyntax />);
    expect(screen.getByText('service = "checkout" and severity <= 2')).toBeInTheDocument();
    // A regex backslash is doubled inside a string.
    expect(screen.getByText('id =~ "^INC\\\\d+$"')).toBeInTheDocument();
    expect(screen.getByText('service in ($service)')).toBeInTheDocument();
  });
});

describe('FilterHelpButton', () => {
  it('opens the syntax help from the keyboard and closes it on Escape', async () => {
    const user = userEvent.setup({ delay: null });
    render(<FilterHelpButton />);
    const button = screen.getByRole('button', { name: 'Filter syntax help' });
    button.focus();
    await user.keyboard('{Enter}');
    expect(await screen.findByRole('table', { name: 'Operators' })).toBeInTheDocument();
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('table', { name: 'Operators' })).not.toBeInTheDocument();
  });
});
