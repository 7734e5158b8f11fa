import { screen } from '@testing-library/react';

import { renderTypeEditor } from '../../testing/harness';
import { FakeTemplateSrv, prepareDom } from '../../testing/fakes';
import { PatternsEditor } from './PatternsEditor';

let mockTemplateSrv = new FakeTemplateSrv();
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getTemplateSrv: () => mockTemplateSrv,
}));

beforeAll(prepareDom);

beforeEach(() => {
  mockTemplateSrv = new FakeTemplateSrv();
});

describe('PatternsEditor', () => {
  it('edits top and the bucket of the counts over time, and runs on leaving a field', async () => {
    const { user, last, onRunQuery } = renderTypeEditor(PatternsEditor, { queryType: 'patterns' });
    const top = await screen.findByLabelText(/Top/);
    expect(top).toHaveAttribute('placeholder', '10');
    await user.type(top, '20');
    expect(last()).toEqual({ refId: 'A', queryType: 'patterns', top: 20 });
    expect(onRunQuery).not.toHaveBeenCalled();

    const bucket = screen.getByRole('textbox', { name: /Bucket/ });
    expect(bucket).toHaveAttribute('placeholder', 'no trend');
    await user.type(bucket, '6h');
    await user.tab();
    expect(onRunQuery).toHaveBeenCalled();
    // The field names of pkg/query PatternsQuery: top, bucket.
    expect(last()).toEqual({ refId: 'A', queryType: 'patterns', top: 20, bucket: '6h' });
    expect(screen.queryByText('Use a duration such as 1m, 5m, 1h or 1d.')).not.toBeInTheDocument();
  });

  it('flags a bucket that is not a duration, and drops an emptied one', async () => {
    const { user, last } = renderTypeEditor(PatternsEditor, { queryType: 'patterns', bucket: '1h' });
    const bucket = await screen.findByRole('textbox', { name: /Bucket/ });
    await user.type(bucket, ' or so');
    expect(await screen.findByText('Use a duration such as 1m, 5m, 1h or 1d.')).toBeInTheDocument();
    await user.clear(bucket);
    expect(last()).toEqual({ refId: 'A', queryType: 'patterns', bucket: undefined });
    expect(JSON.parse(JSON.stringify(last()))).toEqual({ refId: 'A', queryType: 'patterns' });
  });
});
