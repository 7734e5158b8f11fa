import { screen, waitFor } from '@testing-library/react';

import { chooseOption, renderTypeEditor } from '../../testing/harness';
import { FakeTemplateSrv, prepareDom } from '../../testing/fakes';
import { MoversEditor } from './MoversEditor';

let mockTemplateSrv = new FakeTemplateSrv();
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getTemplateSrv: () => mockTemplateSrv,
}));

beforeAll(prepareDom);

beforeEach(() => {
  mockTemplateSrv = new FakeTemplateSrv();
});

describe('MoversEditor', () => {
  it('needs a field, and edits it, top and the baseline', async () => {
    const { user, last, onRunQuery } = renderTypeEditor(MoversEditor, { queryType: 'movers' });
    expect(await screen.findByText('Choose a field: the query runs once it has one.')).toBeInTheDocument();
    const picker = screen.getByRole('combobox', { name: /Field/ });
    await waitFor(() => expect(picker).not.toBeDisabled());
    // The chartable fields, facets first; no text or time fields.
    await chooseOption(user, picker, ['severity', 'status', 'service', 'region', 'id'], 'service');
    expect(last().field).toBe('service');
    expect(onRunQuery).toHaveBeenCalled();
    expect(screen.queryByText('Choose a field: the query runs once it has one.')).not.toBeInTheDocument();

    await user.type(screen.getByLabelText(/Top/), '5');
    const baseline = screen.getByRole('textbox', { name: /Baseline/ });
    expect(baseline).toHaveAttribute('placeholder', 'same as range');
    await user.type(baseline, '1w');
    expect(last()).toEqual({ refId: 'A', queryType: 'movers', field: 'service', top: 5, baseline: '1w' });
    expect(screen.queryByText('Use a duration such as 1m, 5m, 1h or 1d.')).not.toBeInTheDocument();
  }, 120000);

  it('flags a baseline that is not a duration', async () => {
    const { user } = renderTypeEditor(MoversEditor, { queryType: 'movers', field: 'service' });
    await user.type(await screen.findByRole('textbox', { name: /Baseline/ }), '1 week');
    expect(await screen.findByText('Use a duration such as 1m, 5m, 1h or 1d.')).toBeInTheDocument();
  });
});
