// Harnesses that hold a query in state as Grafana does, render an editor, and record what it
// did: the queries it sent through onChange and whether it asked to run them.

import React, { ComponentType, useState } from 'react';
import { CoreApp } from '@grafana/data';
import { render, screen, within } from '@testing-library/react';
import userEvent, { UserEvent } from '@testing-library/user-event';

import { QueryEditor } from '../components/QueryEditor';
import { editorId, TypeEditorProps } from '../components/queryTypes/definition';
import { DataSource } from '../datasource';
import { SchemaResponse, TicketsQuery } from '../types';
import { instanceSettings, SCHEMA } from './fakes';

export interface EditorRun {
  /** Every query the editor sent through onChange, in order. */
  changes: TicketsQuery[];
  onRunQuery: jest.Mock;
  user: UserEvent;
  /** The last query sent; the initial one when none was sent. */
  last: () => TicketsQuery;
}

/**
 * renderTypeEditor renders one query type's editor as the QueryEditor shell does: patches are
 * merged into the query in state, and a patch sent with run also runs it. The schema is given
 * directly (the shell reads it from the data source).
 */
export function renderTypeEditor(
  Editor: ComponentType<TypeEditorProps>,
  initial: Omit<TicketsQuery, 'refId'>,
  opts: { schema?: SchemaResponse | null; app?: CoreApp } = {}
): EditorRun {
  const schema = opts.schema === null ? undefined : (opts.schema ?? SCHEMA);
  const changes: TicketsQuery[] = [];
  const onRunQuery = jest.fn();
  const start: TicketsQuery = { refId: 'A', ...initial };
  function Harness() {
    const [query, setQuery] = useState<TicketsQuery>(start);
    return (
      <Editor
        query={query}
        schema={schema}
        app={opts.app ?? CoreApp.PanelEditor}
        id={(name) => editorId(query.refId, name)}
        onRunQuery={onRunQuery}
        onChange={(patch, run) => {
          const next = { ...query, ...patch };
          changes.push(next);
          setQuery(next);
          if (run) {
            onRunQuery();
          }
        }}
      />
    );
  }
  const user = userEvent.setup({ delay: null });
  render(<Harness />);
  return { changes, onRunQuery, user, last: () => changes[changes.length - 1] ?? start };
}

/**
 * renderQueryEditor renders the whole QueryEditor with a real DataSource, whose resource calls
 * go to the backend a test installed with serveBackend.
 */
export function renderQueryEditor(initial: Partial<TicketsQuery> = {}, app: CoreApp = CoreApp.PanelEditor): EditorRun {
  const changes: TicketsQuery[] = [];
  const onRunQuery = jest.fn();
  const datasource = new DataSource(instanceSettings());
  const start: TicketsQuery = { refId: 'A', queryType: 'counts', ...initial };
  function Harness() {
    const [query, setQuery] = useState<TicketsQuery>(start);
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
  return { changes, onRunQuery, user, last: () => changes[changes.length - 1] ?? start };
}

/**
 * chooseOption opens a field picker, checks that it offers exactly the fields offered, in that
 * order, and clicks choice. An option's name is its first text: its description (title, type,
 * facet) follows it.
 */
export async function chooseOption(user: UserEvent, picker: HTMLElement, offered: string[], choice: string) {
  await user.click(picker);
  const options = await screen.findAllByRole('option');
  expect(options.map((o) => within(o).getAllByText(/.+/)[0].textContent)).toEqual(offered);
  expect(offered).toContain(choice);
  await user.click(options[offered.indexOf(choice)]);
}
