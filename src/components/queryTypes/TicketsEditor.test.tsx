import { screen } from '@testing-library/react';

import { renderTypeEditor } from '../../testing/harness';
import { FakeTemplateSrv, prepareDom } from '../../testing/fakes';
import { TicketsEditor } from './TicketsEditor';

let mockTemplateSrv = new FakeTemplateSrv();
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getTemplateSrv: () => mockTemplateSrv,
}));

beforeAll(prepareDom);

beforeEach(() => {
  mockTemplateSrv = new FakeTemplateSrv();
});

describe('TicketsEditor', () => {
  it('edits the columns, the limit and the sort of a tickets query', async () => {
    const { user, last } = renderTypeEditor(TicketsEditor, { queryType: 'tickets' });
    expect(await screen.findByText('Sort: created descending.')).toBeInTheDocument();

    await user.type(screen.getByLabelText(/Limit/), '50');
    expect(last().limit).toBe(50);

    await user.click(screen.getByRole('button', { name: 'Add sort key' }));
    expect(last().sort).toEqual([{ field: 'id', desc: true }]);
    await user.click(screen.getByRole('radio', { name: 'Ascending' }));
    expect(last().sort).toEqual([{ field: 'id', desc: undefined }]);
    expect(screen.getByLabelText('Sort field 1')).toBeInTheDocument();
    expect(screen.getByRole('radiogroup', { name: 'Sort direction 1' })).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Remove sort key 1' }));
    expect(last().sort).toBeUndefined();

    const columns = screen.getByRole('combobox', { name: /Columns/ });
    await user.click(columns);
    await user.click(await screen.findByRole('option', { name: /^title/ }));
    expect(last().columns).toEqual(['title']);
  }, 120000);

  it("shows the schema's table columns and limit as what an empty query gets", async () => {
    renderTypeEditor(TicketsEditor, { queryType: 'tickets' });
    expect(await screen.findByRole('combobox', { name: /Columns/ })).toHaveAttribute(
      'placeholder',
      'id, severity, title, status, service, created'
    );
    expect(screen.getByLabelText(/Limit/)).toHaveAttribute('placeholder', '200');
  });

  it('falls back to words when the schema is not read yet', async () => {
    renderTypeEditor(TicketsEditor, { queryType: 'tickets' }, { schema: null });
    expect(await screen.findByRole('combobox', { name: /Columns/ })).toHaveAttribute('placeholder', 'schema default');
    expect(screen.getByLabelText(/Limit/)).toHaveAttribute('placeholder', 'default');
    expect(screen.getByText('Sort: the schema default.')).toBeInTheDocument();
  });
});
