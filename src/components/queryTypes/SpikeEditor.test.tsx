import { CoreApp } from '@grafana/data';
import { act, screen } from '@testing-library/react';

import { FakeTemplateSrv, prepareDom } from '../../testing/fakes';
import { renderTypeEditor } from '../../testing/harness';
import {
  DEFAULT_SPIKE_BASELINE,
  DEFAULT_SPIKE_WINDOW,
  spikeAlertingNotice,
  spikeBaselineError,
  SpikeEditor,
} from './SpikeEditor';

let mockTemplateSrv = new FakeTemplateSrv();
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getTemplateSrv: () => mockTemplateSrv,
}));

beforeAll(prepareDom);

beforeEach(() => {
  mockTemplateSrv = new FakeTemplateSrv();
});

describe('SpikeEditor', () => {
  it('labels its controls and shows the backend defaults as placeholders', async () => {
    renderTypeEditor(SpikeEditor, { queryType: 'spike' });
    expect(await screen.findByRole('textbox', { name: /Window/ })).toHaveAttribute('placeholder', DEFAULT_SPIKE_WINDOW);
    expect(screen.getByRole('textbox', { name: /Baseline/ })).toHaveAttribute('placeholder', DEFAULT_SPIKE_BASELINE);
    expect(screen.getByRole('combobox', { name: /Series/ })).toBeInTheDocument();
    expect(screen.getByRole('combobox', { name: /Split by/ })).toBeInTheDocument();
    expect(screen.getByLabelText(/Top/)).toHaveAttribute('placeholder', '10');
    expect(screen.getByRole('textbox', { name: /Bucket/ })).toBeInTheDocument();
  });

  it('explains in a tooltip, reachable from the keyboard, that an alert rule asks for one series', async () => {
    const { user } = renderTypeEditor(SpikeEditor, { queryType: 'spike' });
    const button = await screen.findByRole('button', { name: 'Series in alert rules' });
    act(() => button.focus());
    const tooltip = await screen.findByRole('tooltip');
    expect(tooltip).toHaveTextContent(/An alert rule should ask for one series/);
    expect(button).toHaveAccessibleDescription(/An alert rule should ask for one series/);
    await user.keyboard('{Escape}');
  });

  it('edits the window, the baseline, the series, the split, top and bucket', async () => {
    const { user, last, onRunQuery } = renderTypeEditor(SpikeEditor, { queryType: 'spike' });
    await user.type(await screen.findByRole('textbox', { name: /Window/ }), '5m');
    await user.type(screen.getByRole('textbox', { name: /Baseline/ }), '7d');
    await user.click(screen.getByRole('combobox', { name: /Series/ }));
    await user.click(await screen.findByRole('option', { name: /^ratio/ }));
    await user.click(await screen.findByRole('option', { name: /^rate/ }));
    await user.keyboard('{Escape}');
    await user.click(screen.getByRole('combobox', { name: /Split by/ }));
    await user.click(await screen.findByRole('option', { name: /^service/ }));
    await user.type(screen.getByLabelText(/Top/), '50');
    await user.type(screen.getByRole('textbox', { name: /Bucket/ }), '1m');
    await user.tab();
    // Exactly the keys the user set: the JSON the backend reads.
    expect(last()).toEqual({
      refId: 'A',
      queryType: 'spike',
      window: '5m',
      baseline: '7d',
      series: ['ratio', 'rate'],
      splitBy: 'service',
      top: 50,
      bucket: '1m',
    });
    expect(onRunQuery).toHaveBeenCalled();
  }, 120000);

  it('flags a window or a baseline that is not a duration', async () => {
    const { user } = renderTypeEditor(SpikeEditor, { queryType: 'spike' });
    const window = await screen.findByRole('textbox', { name: /Window/ });
    await user.type(window, '10 minutes');
    expect(await screen.findByText('Use a duration such as 1m, 5m, 1h or 1d.')).toBeInTheDocument();
    expect(window).toHaveAttribute('aria-invalid', 'true');
    await user.clear(window);
    expect(screen.queryByText('Use a duration such as 1m, 5m, 1h or 1d.')).not.toBeInTheDocument();

    const baseline = screen.getByRole('textbox', { name: /Baseline/ });
    await user.type(baseline, 'yesterday');
    expect(await screen.findByText('Use a duration such as 1m, 5m, 1h or 1d.')).toBeInTheDocument();
    expect(baseline).toHaveAttribute('aria-invalid', 'true');
  });

  it('flags a baseline shorter than the window, as the backend would refuse it', async () => {
    const { user } = renderTypeEditor(SpikeEditor, { queryType: 'spike', window: '2h' });
    const baseline = await screen.findByRole('textbox', { name: /Baseline/ });
    await user.type(baseline, '1h');
    expect(await screen.findByText('The baseline must be at least as long as the window (2h).')).toBeInTheDocument();
    expect(baseline).toHaveAttribute('aria-invalid', 'true');
    // The reason is read out with the field, not only shown under it.
    expect(baseline).toHaveAccessibleDescription('The baseline must be at least as long as the window (2h).');
    // 1h30m: a compound duration, still shorter.
    await user.type(baseline, '30m');
    expect(screen.getByText('The baseline must be at least as long as the window (2h).')).toBeInTheDocument();
    await user.clear(baseline);
    await user.type(baseline, '2h');
    expect(screen.queryByText(/at least as long as the window/)).not.toBeInTheDocument();
    expect(baseline).toHaveAttribute('aria-invalid', 'false');
  });

  it('draws the same in an alert rule: the advice is the shell notice', async () => {
    renderTypeEditor(SpikeEditor, { queryType: 'spike' }, { app: CoreApp.UnifiedAlerting });
    expect(await screen.findByRole('textbox', { name: /Window/ })).toBeInTheDocument();
    expect(screen.queryByText('Ask for one series')).not.toBeInTheDocument();
  });
});

describe('spikeBaselineError', () => {
  it.each([
    ['the defaults (10m, 24h)', '', '', false],
    ['a baseline as long as the window', '1h', '60m', false],
    ['a baseline shorter than the window', '1h', '30m', true],
    ['a window longer than the default baseline', '2d', '', true],
    ['a baseline shorter than the default window', '', '5m', true],
    ['a variable, judged once replaced', '$window', '1m', false],
    ['a typo, flagged as not a duration instead', '1h', 'soon', false],
  ])('%s', (_, window, baseline, wantError) => {
    expect(spikeBaselineError(window, baseline) !== undefined).toBe(wantError);
  });

  it('names the default window when the query sets none', () => {
    expect(spikeBaselineError('', '5m')).toBe('The baseline must be at least as long as the window (10m).');
  });
});

describe('spikeAlertingNotice', () => {
  it.each([
    ['all three series (none chosen)', undefined, true],
    ['two series', ['rate', 'ratio'] as const, true],
    ['one series', ['ratio'] as const, false],
  ])('%s', (_, series, wantNotice) => {
    const notice = spikeAlertingNotice({ refId: 'A', queryType: 'spike', series: series && [...series] });
    expect(notice?.title === 'Ask for one series').toBe(wantNotice);
  });
});
