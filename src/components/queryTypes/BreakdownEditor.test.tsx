import { screen, waitFor } from '@testing-library/react';

import { chooseOption, renderTypeEditor } from '../../testing/harness';
import { FakeTemplateSrv, prepareDom } from '../../testing/fakes';
import { BreakdownEditor } from './BreakdownEditor';

let mockTemplateSrv = new FakeTemplateSrv();
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getTemplateSrv: () => mockTemplateSrv,
}));

beforeAll(prepareDom);

beforeEach(() => {
  mockTemplateSrv = new FakeTemplateSrv();
});

describe('BreakdownEditor', () => {
  it('needs a field to group by, offers the chartable fields facets first, and runs once chosen', async () => {
    const { user, last, onRunQuery } = renderTypeEditor(BreakdownEditor, { queryType: 'breakdown' });
    expect(await screen.findByText('Choose a field: the query runs once it has one.')).toBeInTheDocument();
    const picker = screen.getByRole('combobox', { name: 'Group by' });
    await waitFor(() => expect(picker).not.toBeDisabled());
    await chooseOption(user, picker, ['severity', 'status', 'service', 'region', 'id'], 'region');
    expect(last()).toEqual({ refId: 'A', queryType: 'breakdown', field: 'region' });
    expect(onRunQuery).toHaveBeenCalled();
    expect(screen.queryByText('Choose a field: the query runs once it has one.')).not.toBeInTheDocument();
  });

  it('edits top and keeps a field the schema does not list', async () => {
    const { user, last } = renderTypeEditor(BreakdownEditor, { queryType: 'breakdown', field: 'team' });
    const top = await screen.findByLabelText(/Top/);
    expect(top).toHaveAttribute('placeholder', '10');
    await user.type(top, '8');
    expect(last()).toEqual({ refId: 'A', queryType: 'breakdown', field: 'team', top: 8 });
    await user.click(screen.getByRole('combobox', { name: 'Group by' }));
    expect(await screen.findByRole('option', { name: /^team/ })).toHaveTextContent('not in the schema');
  });
});
