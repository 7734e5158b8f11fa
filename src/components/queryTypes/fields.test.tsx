import React, { useState } from 'react';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { FakeTemplateSrv, prepareDom, SCHEMA } from '../../testing/fakes';
import {
  DURATION_HINT,
  DurationField,
  FIELD_NEEDED,
  hasField,
  isValidDurationOption,
  LimitField,
  parseCount,
  QueryFieldPicker,
} from './fields';

let mockTemplateSrv = new FakeTemplateSrv();
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getTemplateSrv: () => mockTemplateSrv,
}));

beforeAll(prepareDom);

beforeEach(() => {
  mockTemplateSrv = new FakeTemplateSrv();
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

describe('parseCount', () => {
  it.each([
    ['', undefined],
    ['  ', undefined],
    ['12', 12],
    [' 7 ', 7],
    ['2.9', 2],
    ['0', 0],
    ['-1', undefined],
    ['abc', undefined],
    ['1e3', 1000],
  ])('%j: %s', (raw, want) => {
    expect(parseCount(raw)).toBe(want);
  });
});

describe('hasField', () => {
  it.each([
    [{}, false],
    [{ field: '' }, false],
    [{ field: '  ' }, false],
    [{ field: 'service' }, true],
    [{ field: '$field' }, true],
  ])('%j: %s', (query, want) => {
    expect(hasField(query)).toBe(want);
  });
});

describe('DurationField', () => {
  function Harness(props: { error?: string; onBlur?: () => void }) {
    const [value, setValue] = useState<string | undefined>();
    return (
      <DurationField
        id="d"
        label="Window"
        tooltip="t"
        placeholder="10m"
        value={value ?? ''}
        error={props.error}
        onChange={setValue}
        onBlur={props.onBlur ?? (() => {})}
      />
    );
  }

  it('flags text that is not a duration, and describes the input by the hint', async () => {
    const user = userEvent.setup({ delay: null });
    render(<Harness />);
    const input = screen.getByRole('textbox', { name: /Window/ });
    await user.type(input, '10 min');
    expect(input).toHaveAttribute('aria-invalid', 'true');
    expect(input).toHaveAccessibleDescription(DURATION_HINT);
    await user.clear(input);
    await user.type(input, '10m');
    expect(input).toHaveAttribute('aria-invalid', 'false');
    expect(screen.queryByText(DURATION_HINT)).not.toBeInTheDocument();
  });

  it('shows a problem beyond the form only when the form is right', async () => {
    const user = userEvent.setup({ delay: null });
    const onBlur = jest.fn();
    render(<Harness error="Too short." onBlur={onBlur} />);
    const input = screen.getByRole('textbox', { name: /Window/ });
    expect(input).toHaveAccessibleDescription('Too short.');
    await user.type(input, 'soon');
    expect(input).toHaveAccessibleDescription(DURATION_HINT);
    await user.tab();
    expect(onBlur).toHaveBeenCalledTimes(1);
  });
});

describe('LimitField', () => {
  it('sends counts, and nothing for an empty box', async () => {
    const user = userEvent.setup({ delay: null });
    const sent: Array<number | undefined> = [];
    render(<LimitField id="l" placeholder="200" onChange={(v) => sent.push(v)} onBlur={() => {}} />);
    const input = screen.getByLabelText(/Limit/);
    expect(input).toHaveAttribute('placeholder', '200');
    await user.type(input, '5');
    expect(sent).toEqual([5]);
  });
});

describe('QueryFieldPicker', () => {
  it('says a field is needed until one is chosen', async () => {
    const { rerender } = render(
      <QueryFieldPicker id="f" label="Field" schema={SCHEMA} value={undefined} onChange={() => {}} />
    );
    expect(screen.getByText(FIELD_NEEDED)).toBeInTheDocument();
    rerender(<QueryFieldPicker id="f" label="Field" schema={SCHEMA} value="service" onChange={() => {}} />);
    expect(screen.queryByText(FIELD_NEEDED)).not.toBeInTheDocument();
    expect(screen.getByRole('combobox', { name: 'Field' })).toHaveValue('service');
  });
});
