import { screen, waitFor } from '@testing-library/react';

import { FakeTemplateSrv, prepareDom } from '../../testing/fakes';
import { chooseOption, renderTypeEditor } from '../../testing/harness';
import { levelFieldGuess, LogsEditor } from './LogsEditor';

let mockTemplateSrv = new FakeTemplateSrv();
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getTemplateSrv: () => mockTemplateSrv,
}));

beforeAll(prepareDom);

beforeEach(() => {
  mockTemplateSrv = new FakeTemplateSrv();
});

describe('LogsEditor', () => {
  it('labels its controls and offers number and string columns as the level field', async () => {
    const { user, last, onRunQuery } = renderTypeEditor(LogsEditor, { queryType: 'logs' });
    const level = await screen.findByRole('combobox', { name: /Level field/ });
    expect(screen.getByRole('combobox', { name: /Columns/ })).toBeInTheDocument();
    expect(screen.getByLabelText(/Limit/)).toBeInTheDocument();
    expect(screen.queryByLabelText(/Split by/)).not.toBeInTheDocument();
    // The backend's own choice, a number column named severity, shows as the placeholder.
    await waitFor(() => expect(level).toHaveAttribute('placeholder', 'severity'));

    await chooseOption(user, level, ['id', 'severity', 'status', 'service', 'region'], 'status');
    expect(last().levelField).toBe('status');
    expect(onRunQuery).toHaveBeenCalled();
  });

  it('edits the expanded fields and the limit, with the schema table limit as placeholder', async () => {
    const { user, last } = renderTypeEditor(LogsEditor, { queryType: 'logs' });
    const columns = await screen.findByRole('combobox', { name: /Columns/ });
    expect(columns).toHaveAttribute('placeholder', 'every column');
    await user.click(columns);
    await user.click(await screen.findByRole('option', { name: /^description/ }));
    expect(last().columns).toEqual(['description']);

    const limit = screen.getByLabelText(/Limit/);
    expect(limit).toHaveAttribute('placeholder', '200');
    await user.type(limit, '100');
    expect(last()).toEqual({ refId: 'A', queryType: 'logs', limit: 100, columns: ['description'] });
  });

  it('says "none" when no column can be the level', async () => {
    renderTypeEditor(LogsEditor, { queryType: 'logs' }, { schema: null });
    expect(await screen.findByRole('combobox', { name: /Level field/ })).toHaveAttribute('placeholder', 'none');
  });
});

describe('levelFieldGuess', () => {
  it.each([
    ['a number column named severity', [{ name: 'severity', type: 'number' }], 'severity'],
    [
      'severity before priority, whatever the column order',
      [
        { name: 'priority', type: 'string' },
        { name: 'Severity', type: 'string' },
      ],
      'Severity',
    ],
    ['not a text column', [{ name: 'level', type: 'text' }], undefined],
    ['no such column', [{ name: 'status', type: 'string' }], undefined],
  ] as const)('%s', (_, columns, want) => {
    expect(levelFieldGuess({ key: 'id', time: 'created', facets: [], columns: [...columns] })).toBe(want);
  });

  it('guesses nothing without a schema', () => {
    expect(levelFieldGuess(undefined)).toBeUndefined();
  });
});
