import { CoreApp } from '@grafana/data';
import { act, screen, waitFor, within } from '@testing-library/react';

import { FakeAnswer, FakeTemplateSrv, prepareDom, resourcePath, SCHEMA, serveBackend } from '../testing/fakes';
import { chooseOption, renderQueryEditor as setup } from '../testing/harness';
import { QUERY_TYPES, QueryType } from '../types';
import { QUERY_TYPE_OPTIONS } from './QueryEditor';
import { QUERY_TYPE_REGISTRY } from './queryTypes/registry';

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

// Every test here renders the whole editor and reads the schema through the data source:
// the slowest of the suite on a loaded machine (see jest.config.js).
jest.setTimeout(120000);

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

describe('QueryEditor: one editor per query type', () => {
  // The controls each type's own editor draws, by the name in their ids (spacetime-<refId>-<name>).
  const OWN_CONTROLS: Record<QueryType, string[]> = {
    counts: ['split-by', 'top', 'bucket'],
    breakdown: ['field', 'top'],
    tickets: ['columns', 'limit'],
    stats: ['baseline'],
    values: ['field', 'prefix', 'limit'],
    logs: ['columns', 'limit', 'level-field'],
    spike: ['window', 'baseline', 'series', 'split-by', 'top', 'bucket'],
    movers: ['field', 'top', 'baseline'],
    patterns: ['top', 'bucket'],
    localize: ['dimensions', 'baseline', 'top', 'summary'],
  };
  // live is the shell's too, drawn for the types a channel streams (LiveField.test.tsx).
  const SHARED_CONTROLS = ['type', 'time-field', 'filter', 'search', 'default-filter', 'live'];

  /** controlNames lists the names of the inputs drawn for query A, the shared ones apart. */
  function controlNames(): string[] {
    return Array.from(document.querySelectorAll<HTMLElement>('input[id^="spacetime-A-"], textarea[id^="spacetime-A-"]'))
      .map((el) => el.id.slice('spacetime-A-'.length))
      .filter((name) => !SHARED_CONTROLS.includes(name));
  }

  it('offers the registered types in the backend order, with their labels and descriptions', () => {
    expect(QUERY_TYPE_OPTIONS.map((o) => o.value)).toEqual([...QUERY_TYPES]);
    for (const o of QUERY_TYPE_OPTIONS) {
      const def = QUERY_TYPE_REGISTRY[o.value!];
      expect(o).toEqual({ value: def.type, label: def.label, description: def.description });
    }
  });

  it.each([...QUERY_TYPES])('draws the %s editor below the shared controls, and no other', async (type) => {
    backend();
    setup({ queryType: type });
    expect(await screen.findByRole('radio', { name: QUERY_TYPE_REGISTRY[type].label })).toBeChecked();
    expect(screen.getByRole('textbox', { name: 'Filter' })).toBeInTheDocument();
    expect(controlNames()).toEqual(OWN_CONTROLS[type]);
  });

  it('draws no type editor for a type it does not know, and picks no type', async () => {
    backend();
    setup({ queryType: 'forecast' as QueryType });
    const group = await screen.findByRole('radiogroup', { name: 'Query type' });
    expect(within(group).queryAllByRole('radio', { checked: true })).toEqual([]);
    expect(screen.getByRole('textbox', { name: 'Filter' })).toBeInTheDocument();
    expect(controlNames()).toEqual([]);
  });

  // The dashboards, the Go backend and the contract suite read this JSON: switching the type
  // changes queryType only (no defaults are written in), and each edit adds only its own key.
  it('changes only queryType when the type is switched, and keeps the options already set', async () => {
    backend();
    const { user, changes } = setup({ queryType: 'counts', splitBy: 'service', filter: 'severity <= 2' });
    for (const type of QUERY_TYPES.filter((t) => t !== 'counts')) {
      await user.click(await screen.findByRole('radio', { name: QUERY_TYPE_REGISTRY[type].label }));
      expect(changes[changes.length - 1]).toEqual({
        refId: 'A',
        queryType: type,
        splitBy: 'service',
        filter: 'severity <= 2',
      });
    }
    // Nine re-renders of the whole editor: minutes on a loaded two-core machine.
  }, 240000);

  it('sends a logs query with its search, which highlights words there', async () => {
    backend();
    const { user, last } = setup({ queryType: 'logs' });
    await user.type(await screen.findByRole('textbox', { name: /Search/ }), 'latency');
    await user.type(screen.getByLabelText(/Limit/), '100');
    expect(last()).toEqual({ refId: 'A', queryType: 'logs', search: 'latency', limit: 100 });
  });
});
