import React from 'react';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { prepareDom } from '../testing/fakes';
import { TicketsQuery } from '../types';
import { LiveField } from './LiveField';

beforeAll(prepareDom);

const query = (q: Partial<TicketsQuery>): TicketsQuery => ({ refId: 'A', ...q });

describe('LiveField', () => {
  it('switches the live option on and off for a type a channel streams', async () => {
    const onChange = jest.fn();
    const { rerender } = render(<LiveField id="live" query={query({ queryType: 'logs' })} onChange={onChange} />);
    const toggle = screen.getByLabelText('Live');
    expect(toggle).not.toBeChecked();
    await userEvent.click(toggle);
    expect(onChange).toHaveBeenLastCalledWith(true);

    rerender(<LiveField id="live" query={query({ queryType: 'logs', live: true })} onChange={onChange} />);
    expect(screen.getByLabelText('Live')).toBeChecked();
    await userEvent.click(screen.getByLabelText('Live'));
    expect(onChange).toHaveBeenLastCalledWith(false);
  });

  it('is not offered for a type no channel streams', () => {
    render(<LiveField id="live" query={query({ queryType: 'movers', field: 'service' })} onChange={jest.fn()} />);
    expect(screen.queryByLabelText('Live')).not.toBeInTheDocument();
  });
});
