import React, { useState } from 'react';
import { CoreApp } from '@grafana/data';
import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent, { UserEvent } from '@testing-library/user-event';

import { DataSource } from '../datasource';
import {
  FakeAnswer,
  FakeTemplateSrv,
  instanceSettings,
  prepareDom,
  resourcePath,
  SCHEMA,
  serveBackend,
} from '../testing/fakes';
import { TicketsQuery } from '../types';
import { isValidDurationOption, levelFieldGuess, QueryEditor, spikeBaselineError } from './QueryEditor';

let mockTemplateSrv = new FakeTemplateSrv();
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getTemplateSrv: () => mockTemplateSrv,
}));

interface Backend {
  schema?: FakeAnswer;
  validate?: (filter: string) => FakeAnswer;
}

/** backend fakes the resources the editor reads and records the filters sent for validation. */
function backend({ schema = { data: SCHEMA }, validate = () => ({ data: { valid: true } }) }: Backend = {}) {
  const validated: string[] = [];
  serveBackend((req) => {
    switch (resourcePath(req)) {
      case 'schema':
        return schema;
      case 'validate': {
        const filter = (req.data as { filter: string }).filter;
        validated.push(filter);
        return validate(filter);
      }
      default:
        return { status: 404, error: `no resource ${req.url}` };
    }
  });
  return validated;
}

/** Harness keeps the query in state, as Grafana does, and records what the editor did. */
function setup(initial: Partial<TicketsQuery> = {}, app: CoreApp = CoreApp.PanelEditor) {
  const changes: TicketsQuery[] = [];
  const onRunQuery = jest.fn();
  const datasource = new DataSource(instanceSettings());
  function Harness() {
    const [query, setQuery] = useState<TicketsQuery>({ refId: 'A', queryType: 'counts', ...initial });
    return (
      <QueryEditor
        datasource={datasource}
        query={query}
        app={app}
        onRunQuery={onRunQuery}
        onChange={(q) => {
          changes.push(q);
          setQuery(q);
        }}
      />
    );
  }
  const user = userEvent.setup({ delay: null });
  render(<Harness />);
  return { changes, onRunQuery, user, last: () => changes[changes.length - 1] };
}

/**
 * chooseOption opens a field picker, checks that it offers exactly the fields offered, in that
 * order, and clicks choice. An option's name is its first text: its description (title, type,
 * facet) follows it.
 */
async function chooseOption(user: UserEvent, picker: HTMLElement, offered: string[], choice: string) {
  await user.click(picker);
  const options = await screen.findAllByRole('option');
  expect(options.map((o) => within(o).getAllByText(/.+/)[0].textContent)).toEqual(offered);
  expect(offered).toContain(choice);
  await user.click(options[offered.indexOf(choice)]);
}

beforeAll(prepareDom);

beforeEach(() => {
  mockTemplateSrv = new FakeTemplateSrv();
});

describe('QueryEditor', () => {
  it('labels every control', async () => {
    backend();
    setup();
    expect(await screen.findByRole('radiogroup', { name: 'Query type' })).toBeInTheDocument();
    for (const name of ['Counts', 'Breakdown', 'Tickets', 'Stats', 'Field values', 'Logs', 'Spike', 'Movers']) {
      expect(screen.getByRole('radio', { name })).toBeInTheDocument();
    }
    expect(screen.getByLabelText(/Time field/)).toBeInTheDocument();
    expect(screen.getByRole('textbox', { name: 'Filter' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Filter syntax help' })).toBeInTheDocument();
    expect(screen.getByRole('textbox', { name: /Search/ })).toBeInTheDocument();
    expect(screen.getByRole('switch', { name: 'Default filter' })).toBeChecked();
    expect(screen.getByLabelText(/Split by/)).toBeInTheDocument();
    expect(screen.getByLabelText(/Top/)).toBeInTheDocument();
    expect(screen.getByLabelText(/Bucket/)).toBeInTheDocument();
  });

  it('changes the query type from the keyboard and runs the query', async () => {
    backend();
    const { user, last, onRunQuery } = setup();
    const counts = await screen.findByRole('radio', { name: 'Counts' });
    expect(counts).toBeChecked();
    act(() => counts.focus());
    await user.keyboard('{ArrowRight}');
    expect(last().queryType).toBe('breakdown');
    expect(onRunQuery).toHaveBeenCalled();
    expect(screen.getByRole('radio', { name: 'Breakdown' })).toBeChecked();
    // A breakdown needs a field and says so in words.
    expect(screen.getByText('Choose a field: the query runs once it has one.')).toBeInTheDocument();
  });

  it('reaches the new query types from the keyboard', async () => {
    backend();
    const { user, last } = setup({ queryType: 'values' });
    act(() => screen.getByRole('radio', { name: 'Field values' }).focus());
    await user.keyboard('{ArrowRight}');
    expect(last().queryType).toBe('logs');
    await user.keyboard('{ArrowRight}');
    expect(last().queryType).toBe('spike');
    expect(screen.getByRole('textbox', { name: /Window/ })).toBeInTheDocument();
    await user.keyboard('{ArrowRight}');
    expect(last().queryType).toBe('movers');
    expect(screen.getByRole('radio', { name: 'Movers' })).toBeChecked();
  });

  it('validates the filter as the user types and shows the error at its position', async () => {
    // The error is at the end of the text, which the backend gives as a byte offset.
    const validated = backend({
      validate: (f) =>
        f === 'sévérité ='
          ? {
              data: {
                valid: false,
                error: { position: 13, message: 'expected a value after "=", found end of input' },
              },
            }
          : { data: { valid: true } },
    });
    const { user, last } = setup();
    const input = await screen.findByRole('textbox', { name: 'Filter' });
    await user.type(input, 'sévérité =');
    expect(last().filter).toBe('sévérité =');

    const error = await screen.findByTestId('filter-error');
    // "sévérité =" is 13 bytes in UTF-8 but 10 characters: byte 13 is the 11th position.
    expect(error).toHaveTextContent('Filter error at position 11: expected a value after "=", found end of input');
    expect(input).toHaveAttribute('aria-invalid', 'true');
    // The message is in a live region that describes the input, so it is announced.
    const live = error.closest('[aria-live]');
    expect(live).toHaveAttribute('aria-live', 'polite');
    expect(input.getAttribute('aria-describedby')).toBe(live?.id);
    // Debounced: the half-typed texts were not all sent.
    expect(validated.length).toBeLessThan('sévérité ='.length);
    expect(validated[validated.length - 1]).toBe('sévérité =');

    // Go to error puts the cursor at the faulty character.
    await user.click(screen.getByRole('button', { name: 'Go to error' }));
    expect(input).toHaveFocus();
    expect((input as HTMLTextAreaElement).selectionStart).toBe(10);

    await user.type(input, ' 2');
    await waitFor(() => expect(screen.queryByTestId('filter-error')).not.toBeInTheDocument());
    expect(input).toHaveAttribute('aria-invalid', 'false');
  });

  it('validates the filter after replacing variables, and says so', async () => {
    mockTemplateSrv = new FakeTemplateSrv([{ name: 'svc', value: ['a', 'b'], multi: true }]);
    const validated = backend({
      validate: () => ({ data: { valid: false, error: { position: 7, message: 'unknown field "servce"' } } }),
    });
    const { user } = setup();
    const input = await screen.findByRole('textbox', { name: 'Filter' });
    await user.click(input);
    await user.paste('servce in ($svc)');
    const error = await screen.findByTestId('filter-error');
    expect(validated).toEqual(['servce in ("a", "b")']);
    expect(error).toHaveTextContent('(after variables were replaced)');
    expect(within(error).queryByRole('button', { name: 'Go to error' })).not.toBeInTheDocument();
  });

  it('says when the filter cannot be checked, without calling it wrong', async () => {
    backend({ validate: () => ({ status: 503, error: 'the data source is not set up: invalid schema' }) });
    const { user } = setup();
    const input = await screen.findByRole('textbox', { name: 'Filter' });
    await user.type(input, 'a');
    expect(
      await screen.findByText(/could not be checked: the data source is not set up: invalid schema/)
    ).toBeInTheDocument();
    expect(input).toHaveAttribute('aria-invalid', 'false');
  });

  it('runs the query on Shift+Enter in the filter', async () => {
    backend();
    const { user, onRunQuery } = setup();
    const input = await screen.findByRole('textbox', { name: 'Filter' });
    await user.type(input, 'severity <= 2{Shift>}{Enter}{/Shift}');
    expect(onRunQuery).toHaveBeenCalled();
    expect((input as HTMLTextAreaElement).value).toBe('severity <= 2');
  });

  it('explains the filter syntax', async () => {
    backend();
    const { user } = setup();
    await user.click(await screen.findByRole('button', { name: 'Filter syntax help' }));
    expect(await screen.findByText(/match or do not match a regular expression/)).toBeInTheDocument();
    expect(screen.getByText('service in ($service)')).toBeInTheDocument();
  });

  it('offers group-by fields from the schema, facets first', async () => {
    backend();
    const { user, last, onRunQuery } = setup({ queryType: 'breakdown' });
    const picker = await screen.findByRole('combobox', { name: 'Group by' });
    await waitFor(() => expect(picker).not.toBeDisabled());
    // Facets (in display order), then the other string, number and bool fields; no text or time fields.
    await chooseOption(user, picker, ['severity', 'status', 'service', 'region', 'id'], 'service');
    expect(last().field).toBe('service');
    expect(onRunQuery).toHaveBeenCalled();
  });

  it('turns the default filter off and on', async () => {
    backend();
    const { user, last } = setup();
    const toggle = await screen.findByRole('switch', { name: 'Default filter' });
    await user.click(toggle);
    expect(last().noDefaultFilter).toBe(true);
    await user.click(toggle);
    expect(last().noDefaultFilter).toBeUndefined();
  });

  it('edits search, top and bucket, and flags a bucket that is not a duration', async () => {
    backend();
    const { user, last, onRunQuery } = setup();
    await user.type(await screen.findByRole('textbox', { name: /Search/ }), 'db timeout');
    expect(last().search).toBe('db timeout');
    await user.type(screen.getByLabelText(/Top/), '5');
    expect(last().top).toBe(5);
    await user.type(screen.getByLabelText(/Bucket/), '5 minutes');
    expect(await screen.findByText('Use a duration such as 1m, 5m, 1h or 1d.')).toBeInTheDocument();
    await user.clear(screen.getByLabelText(/Bucket/));
    await user.type(screen.getByLabelText(/Bucket/), '5m');
    expect(screen.queryByText('Use a duration such as 1m, 5m, 1h or 1d.')).not.toBeInTheDocument();
    await user.tab();
    expect(last().bucket).toBe('5m');
    expect(onRunQuery).toHaveBeenCalled();
  });

  it('edits the columns, the limit and the sort of a tickets query', async () => {
    backend();
    const { user, last } = setup({ queryType: 'tickets' });
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
  });

  it('keeps working when the schema cannot be read: fields can be typed', async () => {
    backend({ schema: { status: 503, error: 'invalid schema: line 2: key: is required' } });
    const { user, last } = setup({ queryType: 'values' });
    expect(await screen.findByText(/line 2: key: is required/)).toBeInTheDocument();
    const picker = screen.getByRole('combobox', { name: 'Field' });
    await user.type(picker, 'service');
    await user.keyboard('{Enter}');
    expect(last().field).toBe('service');
  });

  it('works in Explore', async () => {
    backend();
    const { user, onRunQuery } = setup({ queryType: 'tickets' }, CoreApp.Explore);
    await user.click(await screen.findByRole('radio', { name: 'Stats' }));
    expect(onRunQuery).toHaveBeenCalled();
  });

  it('tells an alert rule author to use a time series', async () => {
    backend();
    setup({ queryType: 'tickets' }, CoreApp.UnifiedAlerting);
    expect(await screen.findByText('Alert rules need a time series')).toBeInTheDocument();
    expect(screen.getByText(/choose Spike/)).toBeInTheDocument();
  });

  it('tells an alert rule author to ask a spike query for one series', async () => {
    backend();
    const { user, last } = setup({ queryType: 'spike' }, CoreApp.UnifiedAlerting);
    expect(await screen.findByText('Ask for one series')).toBeInTheDocument();
    expect(screen.queryByText('Alert rules need a time series')).not.toBeInTheDocument();
    await user.click(screen.getByRole('combobox', { name: /Series/ }));
    await user.click(await screen.findByRole('option', { name: /^ratio/ }));
    expect(last().series).toEqual(['ratio']);
    expect(screen.queryByText('Ask for one series')).not.toBeInTheDocument();
  });

  it('says nothing about alerting outside alert rules', async () => {
    backend();
    setup({ queryType: 'spike' });
    expect(await screen.findByRole('radio', { name: 'Spike' })).toBeChecked();
    expect(screen.queryByText('Ask for one series')).not.toBeInTheDocument();
  });
});

describe('QueryEditor: logs', () => {
  it('labels its controls and offers number and string columns as the level field', async () => {
    backend();
    const { user, last, onRunQuery } = setup({ queryType: 'logs' });
    const level = await screen.findByRole('combobox', { name: /Level field/ });
    expect(screen.getByRole('combobox', { name: /Columns/ })).toBeInTheDocument();
    expect(screen.getByLabelText(/Limit/)).toBeInTheDocument();
    expect(screen.getByRole('textbox', { name: /Search/ })).toBeInTheDocument();
    expect(screen.queryByLabelText(/Split by/)).not.toBeInTheDocument();
    // The backend's own choice, a number column named severity, shows as the placeholder.
    await waitFor(() => expect(level).toHaveAttribute('placeholder', 'severity'));

    await chooseOption(user, level, ['id', 'severity', 'status', 'service', 'region'], 'status');
    expect(last().levelField).toBe('status');
    expect(onRunQuery).toHaveBeenCalled();
  });

  it('edits the search, the expanded fields and the limit', async () => {
    backend();
    const { user, last } = setup({ queryType: 'logs' });
    const columns = await screen.findByRole('combobox', { name: /Columns/ });
    expect(columns).toHaveAttribute('placeholder', 'every column');
    await user.click(columns);
    await user.click(await screen.findByRole('option', { name: /^description/ }));
    expect(last().columns).toEqual(['description']);

    await user.type(screen.getByLabelText(/Limit/), '100');
    expect(last().limit).toBe(100);
    await user.type(screen.getByRole('textbox', { name: /Search/ }), 'latency');
    expect(last()).toMatchObject({ queryType: 'logs', search: 'latency', limit: 100, columns: ['description'] });
  });
});

describe('QueryEditor: spike', () => {
  it('labels its controls', async () => {
    backend();
    setup({ queryType: 'spike' });
    expect(await screen.findByRole('textbox', { name: /Window/ })).toHaveAttribute('placeholder', '10m');
    expect(screen.getByRole('textbox', { name: /Baseline/ })).toHaveAttribute('placeholder', '24h');
    expect(screen.getByRole('combobox', { name: /Series/ })).toBeInTheDocument();
    expect(screen.getByRole('combobox', { name: /Split by/ })).toBeInTheDocument();
    expect(screen.getByLabelText(/Top/)).toBeInTheDocument();
    expect(screen.getByRole('textbox', { name: /Bucket/ })).toBeInTheDocument();
  });

  it('explains in a tooltip, reachable from the keyboard, that an alert rule asks for one series', async () => {
    backend();
    const { user } = setup({ queryType: 'spike' });
    const button = await screen.findByRole('button', { name: 'Series in alert rules' });
    act(() => button.focus());
    const tooltip = await screen.findByRole('tooltip');
    expect(tooltip).toHaveTextContent(/An alert rule should ask for one series/);
    expect(button).toHaveAccessibleDescription(/An alert rule should ask for one series/);
    await user.keyboard('{Escape}');
  });

  it('edits the window, the baseline, the series, the split, top and bucket', async () => {
    backend();
    const { user, last, onRunQuery } = setup({ queryType: 'spike' });
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
    expect(last()).toMatchObject({
      queryType: 'spike',
      window: '5m',
      baseline: '7d',
      series: ['ratio', 'rate'],
      splitBy: 'service',
      top: 50,
      bucket: '1m',
    });
    expect(onRunQuery).toHaveBeenCalled();
  });

  it('flags a window or a baseline that is not a duration', async () => {
    backend();
    const { user } = setup({ queryType: 'spike' });
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
    backend();
    const { user } = setup({ queryType: 'spike', window: '2h' });
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
});

describe('QueryEditor: movers', () => {
  it('needs a field, and edits it, top and the baseline', async () => {
    backend();
    const { user, last, onRunQuery } = setup({ queryType: 'movers' });
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
    expect(last()).toMatchObject({ queryType: 'movers', field: 'service', top: 5, baseline: '1w' });
    expect(screen.queryByText('Use a duration such as 1m, 5m, 1h or 1d.')).not.toBeInTheDocument();
  });

  it('flags a baseline that is not a duration', async () => {
    backend();
    const { user } = setup({ queryType: 'movers', field: 'service' });
    await user.type(await screen.findByRole('textbox', { name: /Baseline/ }), '1 week');
    expect(await screen.findByText('Use a duration such as 1m, 5m, 1h or 1d.')).toBeInTheDocument();
  });
});

describe('QueryEditor: stats', () => {
  it('edits the baseline and flags one that is not a duration', async () => {
    backend();
    const { user, last, onRunQuery } = setup({ queryType: 'stats' });
    const baseline = await screen.findByRole('textbox', { name: /Baseline/ });
    expect(screen.queryByLabelText(/Top/)).not.toBeInTheDocument();
    await user.type(baseline, '7 days');
    expect(await screen.findByText('Use a duration such as 1m, 5m, 1h or 1d.')).toBeInTheDocument();
    await user.clear(baseline);
    await user.type(baseline, '7d');
    await user.tab();
    expect(last().baseline).toBe('7d');
    expect(screen.queryByText('Use a duration such as 1m, 5m, 1h or 1d.')).not.toBeInTheDocument();
    expect(onRunQuery).toHaveBeenCalled();
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
});

describe('isValidDurationOption', () => {
  it.each([
    ['', true],
    ['5m', true],
    ['1h30m', true],
    ['90s', true],
    ['7d', true],
    ['2w', true],
    ['$__interval', true],
    ['5', false],
    ['5 minutes', false],
    ['1.5d', false],
    ['0m', false],
    ['0d', false],
  ])('%s: %s', (text, want) => {
    expect(isValidDurationOption(text)).toBe(want);
  });
});
