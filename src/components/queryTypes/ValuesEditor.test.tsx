import { screen } from '@testing-library/react';

import { chooseOption, renderTypeEditor } from '../../testing/harness';
import { FakeTemplateSrv, prepareDom } from '../../testing/fakes';
import { ValuesEditor } from './ValuesEditor';

let mockTemplateSrv = new FakeTemplateSrv();
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getTemplateSrv: () => mockTemplateSrv,
}));

beforeAll(prepareDom);

beforeEach(() => {
  mockTemplateSrv = new FakeTemplateSrv();
});

describe('ValuesEditor', () => {
  it('offers text fields too, since values of a title are worth listing', async () => {
    const { user, last } = renderTypeEditor(ValuesEditor, { queryType: 'values' });
    expect(await screen.findByText('Choose a field: the query runs once it has one.')).toBeInTheDocument();
    await chooseOption(
      user,
      screen.getByRole('combobox', { name: 'Field' }),
      ['severity', 'status', 'service', 'region', 'id', 'title', 'description'],
      'title'
    );
    expect(last().field).toBe('title');
  });

  it('edits the prefix and the limit, and runs when the prefix is left', async () => {
    const { user, last, onRunQuery } = renderTypeEditor(ValuesEditor, { queryType: 'values', field: 'service' });
    const prefix = await screen.findByRole('textbox', { name: /Prefix/ });
    await user.type(prefix, 'pay');
    expect(onRunQuery).not.toHaveBeenCalled();
    await user.tab();
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    await user.type(screen.getByLabelText(/Limit/), '50');
    expect(last()).toEqual({ refId: 'A', queryType: 'values', field: 'service', prefix: 'pay', limit: 50 });
    await user.clear(prefix);
    expect(last().prefix).toBeUndefined();
  });
});
