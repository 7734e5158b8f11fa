import { screen } from '@testing-library/react';

import { renderTypeEditor } from '../../testing/harness';
import { FakeTemplateSrv, prepareDom } from '../../testing/fakes';
import { StatsEditor } from './StatsEditor';

let mockTemplateSrv = new FakeTemplateSrv();
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getTemplateSrv: () => mockTemplateSrv,
}));

beforeAll(prepareDom);

beforeEach(() => {
  mockTemplateSrv = new FakeTemplateSrv();
});

describe('StatsEditor', () => {
  it('edits the baseline and flags one that is not a duration', async () => {
    const { user, last, onRunQuery } = renderTypeEditor(StatsEditor, { queryType: 'stats' });
    const baseline = await screen.findByRole('textbox', { name: /Baseline/ });
    expect(baseline).toHaveAttribute('placeholder', 'same as range');
    expect(screen.queryByLabelText(/Top/)).not.toBeInTheDocument();
    await user.type(baseline, '7 days');
    expect(await screen.findByText('Use a duration such as 1m, 5m, 1h or 1d.')).toBeInTheDocument();
    await user.clear(baseline);
    await user.type(baseline, '7d');
    await user.tab();
    expect(last()).toEqual({ refId: 'A', queryType: 'stats', baseline: '7d' });
    expect(screen.queryByText('Use a duration such as 1m, 5m, 1h or 1d.')).not.toBeInTheDocument();
    expect(onRunQuery).toHaveBeenCalled();
  });

  it('removes the baseline from the query when it is cleared', async () => {
    const { user, last } = renderTypeEditor(StatsEditor, { queryType: 'stats', baseline: '1d' });
    await user.clear(await screen.findByRole('textbox', { name: /Baseline/ }));
    expect(last().baseline).toBeUndefined();
    expect(JSON.parse(JSON.stringify(last()))).toEqual({ refId: 'A', queryType: 'stats' });
  });
});
