import { screen, waitFor } from '@testing-library/react';

import { chooseOption, renderTypeEditor } from '../../testing/harness';
import { FakeTemplateSrv, prepareDom } from '../../testing/fakes';
import { LocalizeEditor } from './LocalizeEditor';

let mockTemplateSrv = new FakeTemplateSrv();
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getTemplateSrv: () => mockTemplateSrv,
}));

beforeAll(prepareDom);

beforeEach(() => {
  mockTemplateSrv = new FakeTemplateSrv();
});

describe('LocalizeEditor', () => {
  it('picks dimensions among the facets, then edits the baseline and top', async () => {
    mockTemplateSrv = new FakeTemplateSrv([{ name: 'dims', value: ['service', 'region'], multi: true }]);
    const { user, last, onRunQuery } = renderTypeEditor(LocalizeEditor, { queryType: 'localize' });
    const picker = await screen.findByRole('combobox', { name: /Dimensions/ });
    // Empty: the backend combines the schema's facets, which the placeholder names.
    expect(picker).toHaveAttribute('placeholder', 'service, severity, status, region');
    await waitFor(() => expect(picker).not.toBeDisabled());
    // Only the facets (no id, no text or time field), then the dashboard's variables.
    await chooseOption(user, picker, ['severity', 'status', 'service', 'region', '$dims'], 'service');
    expect(last()).toEqual({ refId: 'A', queryType: 'localize', dimensions: ['service'] });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    await user.click(await screen.findByRole('option', { name: /^region/ }));
    expect(last()).toEqual({ refId: 'A', queryType: 'localize', dimensions: ['service', 'region'] });
    expect(onRunQuery).toHaveBeenCalledTimes(2);
    await user.keyboard('{Escape}');

    const baseline = screen.getByRole('textbox', { name: /Baseline/ });
    expect(baseline).toHaveAttribute('placeholder', 'same as range');
    await user.type(baseline, '1d');
    const top = screen.getByLabelText(/Top/);
    expect(top).toHaveAttribute('placeholder', '5');
    await user.type(top, '3');
    await user.tab();
    expect(onRunQuery).toHaveBeenCalledTimes(4);
    // The field names of pkg/query LocalizeQuery: dimensions, baseline, top.
    expect(last()).toEqual({
      refId: 'A',
      queryType: 'localize',
      dimensions: ['service', 'region'],
      baseline: '1d',
      top: 3,
    });
  }, 120000);

  it('keeps filterField, which dashboards set for data links, and clears the dimensions to the default', async () => {
    const { user, last } = renderTypeEditor(LocalizeEditor, {
      queryType: 'localize',
      filterField: true,
      dimensions: ['service', 'team'],
    });
    const picker = await screen.findByRole('combobox', { name: /Dimensions/ });
    await user.click(picker);
    // A dimension the schema does not list is kept and said to be so.
    const team = await screen.findByRole('option', { name: /^team/ });
    expect(team).toHaveTextContent('not in the schema');
    // A chosen option clicked again is dropped; with none left, the query falls back to the facets.
    await user.click(team);
    expect(last()).toEqual({ refId: 'A', queryType: 'localize', filterField: true, dimensions: ['service'] });
    await user.click(await screen.findByRole('option', { name: /^service/ }));
    expect(last()).toEqual({ refId: 'A', queryType: 'localize', filterField: true, dimensions: undefined });
  });

  it('switches the summary an alert rule reads, and drops it when switched off', async () => {
    const { user, last, onRunQuery } = renderTypeEditor(LocalizeEditor, { queryType: 'localize', top: 3 });
    const summary = await screen.findByRole('switch', { name: /For an alert/ });
    expect(summary).not.toBeChecked();
    await user.click(summary);
    // The field name of pkg/query LocalizeQuery: summary.
    expect(last()).toEqual({ refId: 'A', queryType: 'localize', top: 3, summary: true });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    await user.click(summary);
    expect(last()).toEqual({ refId: 'A', queryType: 'localize', top: 3, summary: undefined });
  });

  it('flags a baseline that is not a duration', async () => {
    const { user } = renderTypeEditor(LocalizeEditor, { queryType: 'localize' });
    await user.type(await screen.findByRole('textbox', { name: /Baseline/ }), 'a day');
    expect(await screen.findByText('Use a duration such as 1m, 5m, 1h or 1d.')).toBeInTheDocument();
  });

  it('falls back to words when the schema is not read yet', async () => {
    renderTypeEditor(LocalizeEditor, { queryType: 'localize' }, { schema: null });
    expect(await screen.findByRole('combobox', { name: /Dimensions/ })).toHaveAttribute('placeholder', 'schema facets');
  });
});
