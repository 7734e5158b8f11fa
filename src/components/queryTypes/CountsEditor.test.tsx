import { screen } from '@testing-library/react';

import { chooseOption, renderTypeEditor } from '../../testing/harness';
import { FakeTemplateSrv, prepareDom } from '../../testing/fakes';
import { CountsEditor } from './CountsEditor';

let mockTemplateSrv = new FakeTemplateSrv();
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getTemplateSrv: () => mockTemplateSrv,
}));

beforeAll(prepareDom);

beforeEach(() => {
  mockTemplateSrv = new FakeTemplateSrv();
});

describe('CountsEditor', () => {
  it('splits by a chartable field, facets first, and runs the query', async () => {
    mockTemplateSrv = new FakeTemplateSrv([{ name: 'group', value: 'service' }]);
    const { user, last, onRunQuery } = renderTypeEditor(CountsEditor, { queryType: 'counts' });
    const picker = await screen.findByRole('combobox', { name: /Split by/ });
    expect(picker).toHaveAttribute('placeholder', 'no split');
    // The dashboard's variables follow the fields, so that a variable can choose the split.
    await chooseOption(user, picker, ['severity', 'status', 'service', 'region', 'id', '$group'], '$group');
    expect(last()).toEqual({ refId: 'A', queryType: 'counts', splitBy: '$group' });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('edits top and the bucket, runs on leaving the field, and flags a bucket that is not a duration', async () => {
    const { user, last, onRunQuery } = renderTypeEditor(CountsEditor, { queryType: 'counts' });
    await user.type(await screen.findByLabelText(/Top/), '5');
    expect(last().top).toBe(5);
    expect(onRunQuery).not.toHaveBeenCalled();
    const bucket = screen.getByRole('textbox', { name: /Bucket/ });
    expect(bucket).toHaveAttribute('placeholder', 'auto');
    await user.type(bucket, '5 minutes');
    expect(await screen.findByText('Use a duration such as 1m, 5m, 1h or 1d.')).toBeInTheDocument();
    await user.clear(bucket);
    await user.type(bucket, '$__interval');
    expect(screen.queryByText('Use a duration such as 1m, 5m, 1h or 1d.')).not.toBeInTheDocument();
    await user.tab();
    expect(onRunQuery).toHaveBeenCalled();
    expect(last()).toEqual({ refId: 'A', queryType: 'counts', top: 5, bucket: '$__interval' });
  });

  it('drops top when the box is emptied or holds no count', async () => {
    const { user, last } = renderTypeEditor(CountsEditor, { queryType: 'counts', top: 3 });
    const top = await screen.findByLabelText(/Top/);
    await user.clear(top);
    expect(last().top).toBeUndefined();
  });
});
