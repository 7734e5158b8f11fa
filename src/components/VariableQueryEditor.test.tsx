import React, { useState } from 'react';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { DataSource } from '../datasource';
import { FakeTemplateSrv, instanceSettings, prepareDom, resourcePath, SCHEMA, serveBackend } from '../testing/fakes';
import { VariableQuery } from '../types';
import { VariableQueryEditor } from './VariableQueryEditor';

let mockTemplateSrv = new FakeTemplateSrv();
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getTemplateSrv: () => mockTemplateSrv,
}));

function setup(initial: VariableQuery | string = { refId: 'SpacetimeVariable' }) {
  const changes: VariableQuery[] = [];
  const validated: string[] = [];
  serveBackend((req) => {
    if (resourcePath(req) === 'schema') {
      return { data: SCHEMA };
    }
    const filter = (req.data as { filter: string }).filter;
    validated.push(filter);
    return filter.includes('bogus')
      ? { data: { valid: false, error: { position: 0, message: 'unknown field "bogus"' } } }
      : { data: { valid: true } };
  });
  const datasource = new DataSource(instanceSettings());
  function Harness() {
    // A dashboard may hold a bare string as the variable's query.
    const [query, setQuery] = useState<VariableQuery>(initial as VariableQuery);
    return (
      <VariableQueryEditor
        datasource={datasource}
        query={query}
        onRunQuery={() => {}}
        onChange={(q) => {
          changes.push(q);
          setQuery(q);
        }}
      />
    );
  }
  render(<Harness />);
  return { user: userEvent.setup({ delay: null }), changes, validated, last: () => changes[changes.length - 1] };
}

beforeAll(prepareDom);
beforeEach(() => {
  mockTemplateSrv = new FakeTemplateSrv([{ name: 'region', value: 'eu', multi: false }]);
});

describe('VariableQueryEditor', () => {
  it('picks the field from the schema, with variables offered too', async () => {
    const { user, last } = setup();
    await user.click(await screen.findByRole('combobox', { name: 'Field' }));
    expect(await screen.findByRole('option', { name: /^\$region/ })).toBeInTheDocument();
    // Detail and time fields have no values worth listing.
    expect(screen.queryByRole('option', { name: /^created/ })).not.toBeInTheDocument();
    await user.click(screen.getByRole('option', { name: /^service/ }));
    expect(last()).toEqual({ refId: 'SpacetimeVariable', field: 'service' });
  });

  it('commits typed text when the user leaves the field, not on every key', async () => {
    const { user, changes, last } = setup({ refId: 'v', field: 'service' });
    await user.type(await screen.findByLabelText(/^Prefix/), 'check');
    expect(changes).toEqual([]);
    await user.type(screen.getByLabelText(/^Limit/), '20');
    expect(last()).toEqual({ refId: 'v', field: 'service', prefix: 'check' });
    await user.tab();
    expect(last()).toEqual({ refId: 'v', field: 'service', prefix: 'check', limit: 20 });
  });

  it('narrows the values by a validated filter', async () => {
    const { user, last, validated } = setup({ refId: 'v', field: 'service' });
    const filter = await screen.findByRole('textbox', { name: /Only tickets matching/ });
    await user.click(filter);
    await user.paste('bogus = 1 and region = "$region"');
    expect(await screen.findByTestId('filter-error')).toHaveTextContent('unknown field "bogus"');
    expect(validated).toEqual(['bogus = 1 and region = "eu"']);
    await user.tab();
    expect(last().filter).toBe('bogus = 1 and region = "$region"');
  });

  it('switches counts on and off, and removes cleared options', async () => {
    const { user, last } = setup({ refId: 'v', field: 'service', prefix: 'a' });
    await user.click(await screen.findByRole('switch', { name: 'Show counts' }));
    expect(last().showCounts).toBe(true);
    await user.click(screen.getByRole('switch', { name: 'Show counts' }));
    expect(last()).not.toHaveProperty('showCounts');
    await user.clear(screen.getByLabelText(/^Prefix/));
    await user.tab();
    expect(last()).toEqual({ refId: 'v', field: 'service' });
  });

  it('reads a bare string query as the field name', async () => {
    setup('status');
    expect(await screen.findByRole('combobox', { name: 'Field' })).toHaveValue('status');
  });
});
