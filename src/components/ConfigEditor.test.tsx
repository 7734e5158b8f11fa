import React, { useState } from 'react';
import { DataSourcePluginContextProvider, DataSourceSettings, EventBusSrv } from '@grafana/data';
import { config, setAppEvents } from '@grafana/runtime';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { FakeAnswer, instanceSettings, prepareDom, resourcePath, serveBackend } from '../testing/fakes';
import { TicketsOptions, TicketsSecureJsonData } from '../types';
import { ConfigEditor } from './ConfigEditor';
import { SCHEMA_TEMPLATE } from './schemaTemplate';

/** What the editor was asked to do through Monaco's API: markers set, lines revealed. */
interface MonacoCalls {
  markers: Array<{ owner: string; markers: Array<{ startLineNumber: number; message: string }> }>;
  revealed: number[];
  positions: Array<{ lineNumber: number; column: number }>;
}
const mockMonaco: MonacoCalls = { markers: [], revealed: [], positions: [] };

// Monaco does not run in jsdom: stand in a plain text area for Grafana's CodeEditor, the way
// Grafana's own plugin tests do, and hand the editor a recorder of the few Monaco calls it
// makes. Everything around it (validation, problems, markers) is the real thing.
jest.mock('@grafana/ui', () => {
  const actual = jest.requireActual('@grafana/ui');
  const mockReact = jest.requireActual('react');
  interface Props {
    value: string;
    onChange?: (v: string) => void;
    onEditorDidMount?: (editor: unknown, monaco: unknown) => void;
  }
  function FakeCodeEditor(props: Props) {
    // Like Monaco, report the mount once, whatever the callback's identity on later renders.
    const mounted = mockReact.useRef(false);
    mockReact.useEffect(() => {
      if (mounted.current) {
        return;
      }
      mounted.current = true;
      const model = { getLineMaxColumn: () => 40 };
      const editor = {
        getModel: () => model,
        revealLineInCenter: (line: number) => mockMonaco.revealed.push(line),
        setPosition: (p: { lineNumber: number; column: number }) => mockMonaco.positions.push(p),
        focus: () => {},
      };
      const monaco = {
        MarkerSeverity: { Error: 8 },
        editor: {
          setModelMarkers: (_: unknown, owner: string, markers: MonacoCalls['markers'][number]['markers']) =>
            mockMonaco.markers.push({ owner, markers }),
        },
      };
      props.onEditorDidMount?.(editor, monaco);
    });
    return mockReact.createElement('textarea', {
      'aria-label': 'Code editor',
      value: props.value,
      onChange: (e: { currentTarget: { value: string } }) => props.onChange?.(e.currentTarget.value),
    });
  }
  return { ...actual, CodeEditor: FakeCodeEditor };
});

type Settings = DataSourceSettings<TicketsOptions, TicketsSecureJsonData>;

function settings(jsonData: TicketsOptions = {}, extra: Partial<Settings> = {}): Settings {
  // Built without the deprecated "database" field, which Grafana still declares.
  const base: Omit<Settings, 'database'> = {
    id: 1,
    uid: 'spacetime-uid',
    orgId: 1,
    name: 'Spacetime',
    type: 'spacetime-tickets-datasource',
    typeName: 'Spacetime tickets',
    typeLogoUrl: '',
    access: 'proxy',
    url: '',
    user: '',
    basicAuth: false,
    basicAuthUser: '',
    isDefault: false,
    withCredentials: false,
    readOnly: false,
    version: 1,
    jsonData,
    secureJsonFields: {},
  };
  return { ...(base as Settings), ...extra };
}

function setup(initial: Settings = settings()) {
  const changes: Settings[] = [];
  function Harness() {
    const [options, setOptions] = useState(initial);
    return (
      <ConfigEditor
        options={options}
        onOptionsChange={(o) => {
          changes.push(o);
          setOptions(o);
        }}
      />
    );
  }
  // Grafana renders a plugin's settings page inside its plugin context; @grafana/aws-sdk needs it.
  render(
    <DataSourcePluginContextProvider instanceSettings={instanceSettings()}>
      <Harness />
    </DataSourcePluginContextProvider>
  );
  return { user: userEvent.setup({ delay: null }), changes, last: () => changes[changes.length - 1] };
}

/** schemaBackend answers validate-schema and records the texts it was sent. */
function schemaBackend(answer: (schema: string) => FakeAnswer) {
  const sent: string[] = [];
  serveBackend((req) => {
    expect(resourcePath(req)).toBe('validate-schema');
    expect(req.url).toBe('/api/datasources/uid/spacetime-uid/resources/validate-schema');
    const schema = (req.data as { schema: string }).schema;
    sent.push(schema);
    return answer(schema);
  });
  return sent;
}

beforeAll(() => {
  prepareDom();
  // Grafana's event bus, on which @grafana/aws-sdk listens for Save & test results.
  setAppEvents(new EventBusSrv());
});

beforeEach(() => {
  mockMonaco.markers = [];
  mockMonaco.revealed = [];
  mockMonaco.positions = [];
  config.awsAllowedAuthProviders = ['default', 'keys', 'credentials'];
  serveBackend(() => ({ status: 404, error: 'no backend in this test' }));
});

describe('ConfigEditor: store', () => {
  it('labels the store choice and keeps the embedded file path', async () => {
    const { user, last } = setup();
    expect(screen.getByRole('radiogroup', { name: 'Store' })).toBeInTheDocument();
    expect(screen.getByRole('radio', { name: 'Embedded file' })).toBeChecked();
    await user.type(screen.getByLabelText(/^Store file/), '/data/t.db');
    expect(last().jsonData.storePath).toBe('/data/t.db');
  });

  it('sets up DynamoDB: table, AWS connection, and the endpoint override', async () => {
    const { user, last } = setup(settings({ authType: undefined }));
    await user.click(screen.getByRole('radio', { name: 'Amazon DynamoDB' }));
    expect(last().jsonData.store).toBe('dynamodb');
    expect(screen.queryByLabelText(/^Store file/)).not.toBeInTheDocument();

    await user.type(screen.getByLabelText(/Table/), 'tickets');
    expect(last().jsonData.dynamodb?.table).toBe('tickets');

    // @grafana/aws-sdk's ConnectionConfig edits its own fields on jsonData.
    expect(screen.getByText('Authentication Provider')).toBeInTheDocument();
    expect(screen.getByText('Default Region')).toBeInTheDocument();
    await user.type(screen.getByLabelText(/^Endpoint/), 'http://127.0.0.1:8000');
    expect(last().jsonData.endpoint).toBe('http://127.0.0.1:8000');
    expect(last().jsonData.dynamodb).toEqual({ table: 'tickets', endpoint: 'http://127.0.0.1:8000' });
  });

  it('sets the window, for either store', async () => {
    const { user, last } = setup(settings({ store: 'embedded' }));
    const window = screen.getByLabelText(/^Window/);
    await user.type(window, '30d');
    expect(last().jsonData.window).toBe('30d');
    expect(screen.queryByText(/at least a day/)).not.toBeInTheDocument();
    await user.click(screen.getByRole('radio', { name: 'Amazon DynamoDB' }));
    expect(screen.getByLabelText(/^Window/)).toHaveValue('30d');
  });

  // The backend refuses a window shorter than a day (pkg/plugin minWindow).
  it.each([
    ['not a duration', 'a month'],
    ['shorter than a day', '6h'],
  ])('flags a window %s', async (_, text) => {
    const { user } = setup(settings({}));
    await user.type(screen.getByLabelText(/^Window/), text);
    expect(screen.getByText('Use a duration of at least a day, such as 30d or 2w.')).toBeInTheDocument();
  });

  it('sets how often to follow the other servers, keeping the table and endpoint', async () => {
    const { user, last } = setup(settings({ store: 'dynamodb', dynamodb: { table: 'tickets' } }));
    const follow = screen.getByLabelText(/^Follow other servers every/);
    expect(follow).toHaveAttribute('placeholder', '10s');
    await user.type(follow, '2s');
    expect(last().jsonData.dynamodb).toEqual({ table: 'tickets', follow: '2s' });

    // An edit of the AWS connection rewrites jsonData.dynamodb.endpoint: the follow interval stays.
    await user.type(screen.getByLabelText(/^Endpoint/), 'http://127.0.0.1:8000');
    expect(last().jsonData.dynamodb).toEqual({ table: 'tickets', follow: '2s', endpoint: 'http://127.0.0.1:8000' });
    // And the other way round: a new follow interval keeps the endpoint.
    await user.clear(follow);
    await user.type(follow, '1m');
    expect(last().jsonData.dynamodb).toEqual({ table: 'tickets', follow: '1m', endpoint: 'http://127.0.0.1:8000' });
  });

  // The backend reads dynamodb.follow with Go's time.ParseDuration and refuses less than 500ms.
  it.each([
    ['not a duration', 'often'],
    ['in days, which Go durations do not have', '1d'],
    ['shorter than 500ms', '100ms'],
    ['without a unit', '10'],
  ])('flags a follow interval %s', async (_, text) => {
    const { user } = setup(settings({ store: 'dynamodb' }));
    const follow = screen.getByLabelText(/^Follow other servers every/);
    await user.type(follow, text);
    expect(screen.getByText('Use a duration of at least 500ms, such as 10s or 1m.')).toBeInTheDocument();
  });

  it.each(['500ms', '10s', '1m30s'])('accepts the follow interval %s', async (text) => {
    const { user, last } = setup(settings({ store: 'dynamodb' }));
    await user.type(screen.getByLabelText(/^Follow other servers every/), text);
    expect(screen.queryByText(/Use a duration of at least 500ms/)).not.toBeInTheDocument();
    expect(last().jsonData.dynamodb?.follow).toBe(text);
  });

  it('removes the follow interval when it is cleared, for the default', async () => {
    const { user, last } = setup(settings({ store: 'dynamodb', dynamodb: { table: 't', follow: '30s' } }));
    const follow = screen.getByLabelText(/^Follow other servers every/);
    expect(follow).toHaveValue('30s');
    await user.clear(follow);
    expect(last().jsonData.dynamodb?.follow).toBeUndefined();
    // What Grafana saves is JSON: the key is gone, the table stays.
    expect(JSON.parse(JSON.stringify(last().jsonData)).dynamodb).toEqual({ table: 't' });
  });

  it('keeps AWS access keys in secureJsonData', async () => {
    const { user, last } = setup(settings({ store: 'dynamodb', authType: 'keys' as TicketsOptions['authType'] }));
    await user.type(screen.getByLabelText('Secret Access Key'), 'very-secret');
    expect(last().secureJsonData?.secretKey).toBe('very-secret');
    expect(JSON.stringify(last().jsonData)).not.toContain('very-secret');
  });
});

describe('ConfigEditor: column schema', () => {
  it('starts an inline schema from the template and says when the backend accepts it', async () => {
    const sent = schemaBackend(() => ({ data: { valid: true, columns: 10 } }));
    const { user, last } = setup();
    expect(screen.getByRole('radio', { name: 'Built-in' })).toBeChecked();
    await user.click(screen.getByRole('radio', { name: 'YAML here' }));
    expect(last().jsonData.schema).toBe(SCHEMA_TEMPLATE);
    expect(screen.getByLabelText('Code editor')).toHaveValue(SCHEMA_TEMPLATE);
    expect(await screen.findByText(/The schema is valid: 10 columns/)).toBeInTheDocument();
    expect(sent).toEqual([SCHEMA_TEMPLATE]);
  });

  it('shows each problem at its line, announced in a live region', async () => {
    schemaBackend((text) =>
      text.includes('strng')
        ? {
            data: {
              valid: false,
              problems: [
                {
                  path: 'columns[0].type',
                  line: 3,
                  message: 'unknown type "strng"; the types are string, text, number, time, bool',
                },
                { path: 'time', message: 'is required' },
              ],
            },
          }
        : { data: { valid: true, columns: 1 } }
    );
    const { user } = setup(settings({ schema: 'key: id\ncolumns:\n  - {name: id, type: string}\n' }));
    expect(screen.getByRole('radio', { name: 'YAML here' })).toBeChecked();
    const editor = screen.getByLabelText('Code editor');
    await user.clear(editor);
    await user.click(editor);
    await user.paste('key: id\ncolumns:\n  - {name: id, type: strng}\n');

    const status = screen.getByTestId('schema-status');
    expect(status).toHaveAttribute('aria-live', 'polite');
    await waitFor(() => expect(status).toHaveTextContent('The schema has 2 problems'));
    expect(status).toHaveTextContent('Line 3: columns[0].type unknown type "strng"');
    expect(status).toHaveTextContent('time is required');

    // In the editor: an error marker on line 3 (the problem without a line gets none).
    const last = mockMonaco.markers[mockMonaco.markers.length - 1];
    expect(last.owner).toBe('spacetime-schema');
    expect(last.markers.map((m) => [m.startLineNumber, m.message])).toEqual([
      [3, 'columns[0].type: unknown type "strng"; the types are string, text, number, time, bool'],
    ]);
    await user.click(screen.getByRole('button', { name: 'Go to line 3' }));
    expect(mockMonaco.revealed).toEqual([3]);
    expect(mockMonaco.positions).toEqual([{ lineNumber: 3, column: 1 }]);
  });

  it('says that validation comes after Save & test when the backend cannot be reached', async () => {
    schemaBackend(() => ({ status: 502, error: 'plugin unavailable' }));
    const { user } = setup();
    await user.click(screen.getByRole('radio', { name: 'YAML here' }));
    expect(await screen.findByText(/plugin unavailable/)).toHaveTextContent('available after "Save & test"');
  });

  it('does not call a backend for a data source that has none yet', async () => {
    const sent = schemaBackend(() => ({ data: { valid: true, columns: 1 } }));
    const { user } = setup(settings({}, { uid: '' }));
    await user.click(screen.getByRole('radio', { name: 'YAML here' }));
    expect(screen.getByText(/has not been saved yet/)).toHaveTextContent('available after "Save & test"');
    expect(sent).toEqual([]);
  });

  it('switches to a schema file and back without losing the YAML', async () => {
    schemaBackend(() => ({ data: { valid: true, columns: 1 } }));
    const yaml = 'key: id\n';
    const { user, last } = setup(settings({ schema: yaml }));
    await user.click(screen.getByRole('radio', { name: 'File on the server' }));
    expect(last().jsonData.schema).toBe('');
    await user.type(screen.getByLabelText(/^Schema file/), '/etc/s.yaml');
    expect(last().jsonData.schemaPath).toBe('/etc/s.yaml');
    await user.click(screen.getByRole('radio', { name: 'YAML here' }));
    expect(last().jsonData).toMatchObject({ schema: yaml, schemaPath: '' });
    await user.click(screen.getByRole('radio', { name: 'Built-in' }));
    expect(last().jsonData).toMatchObject({ schema: '', schemaPath: '' });
  });
});

describe('ConfigEditor: ticket source', () => {
  it('sets the poll interval and flags one that is not a duration', async () => {
    const { user, last } = setup();
    await user.click(screen.getByRole('radio', { name: 'Demo' }));
    expect(last().jsonData.source?.type).toBe('demo');
    await user.type(screen.getByLabelText(/^Poll interval/), 'often');
    expect(screen.getByText('Use a duration such as 30s, 1m or 5m.')).toBeInTheDocument();
    await user.clear(screen.getByLabelText(/^Poll interval/));
    await user.type(screen.getByLabelText(/^Poll interval/), '30s');
    expect(screen.queryByText('Use a duration such as 30s, 1m or 5m.')).not.toBeInTheDocument();
    await user.type(screen.getByLabelText(/^Backfill/), '1d');
    expect(last().jsonData.source).toEqual({ type: 'demo', interval: '30s', demo: { backfill: '1d' } });
  });

  it('sets the polling lease of a source over a DynamoDB store', async () => {
    const { user, last } = setup(settings({ store: 'dynamodb' }));
    expect(screen.queryByLabelText(/^Polling lease/)).not.toBeInTheDocument();
    await user.click(screen.getByRole('radio', { name: 'HTTP API' }));
    const lease = screen.getByLabelText(/^Polling lease/);
    expect(lease).toHaveAttribute('placeholder', '30s');
    await user.type(lease, '45s');
    expect(last().jsonData.source).toEqual({ type: 'http', lease: '45s' });

    // Clearing it goes back to the default: the key is not saved.
    await user.clear(lease);
    expect(JSON.parse(JSON.stringify(last().jsonData)).source).toEqual({ type: 'http' });

    // No source, no one to poll: no lease.
    await user.click(within(screen.getByRole('radiogroup', { name: 'Source' })).getByRole('radio', { name: 'None' }));
    expect(screen.queryByLabelText(/^Polling lease/)).not.toBeInTheDocument();
  });

  // The lease is read like source.interval (days are fine) and must be at least 1s.
  it.each([
    ['not a duration', 'long', false],
    ['shorter than 1s', '500ms', false],
    ['of one second', '1s', true],
    ['in days', '1d', true],
  ])('checks a polling lease %s', async (_, text, valid) => {
    const { user, last } = setup(settings({ store: 'dynamodb', source: { type: 'demo' } }));
    await user.type(screen.getByLabelText(/^Polling lease/), text);
    expect(last().jsonData.source?.lease).toBe(text);
    const error = screen.queryByText('Use a duration of at least 1s, such as 30s or 1m.');
    if (valid) {
      expect(error).not.toBeInTheDocument();
    } else {
      expect(error).toBeInTheDocument();
    }
  });

  it('has no polling lease over the embedded store, where one server polls', () => {
    setup(settings({ store: 'embedded', source: { type: 'demo' } }));
    expect(screen.getByLabelText(/^Poll interval/)).toBeInTheDocument();
    expect(screen.queryByLabelText(/^Polling lease/)).not.toBeInTheDocument();
    expect(screen.queryByLabelText(/^Follow other servers every/)).not.toBeInTheDocument();
  });

  it('keeps the files directory', async () => {
    const { user, last } = setup();
    await user.click(screen.getByRole('radio', { name: 'Files' }));
    await user.type(screen.getByLabelText(/^Directory/), '/in');
    expect(last().jsonData.source?.files).toEqual({ dir: '/in' });
  });

  it('puts the HTTP settings in jsonData and the bearer token only in secureJsonData', async () => {
    const { user, last } = setup();
    await user.click(screen.getByRole('radio', { name: 'HTTP API' }));
    await user.type(screen.getByRole('textbox', { name: /URL/ }), 'https://t.example.com/api');
    await user.click(screen.getByRole('radio', { name: 'Bearer token' }));
    await user.type(screen.getByLabelText('Token'), 's3cr3t');
    await user.type(screen.getByLabelText(/^Mapping/), 'id: key');

    const saved = last();
    expect(saved.jsonData.source?.http).toMatchObject({
      url: 'https://t.example.com/api',
      auth: 'bearer',
      mapping: 'id: key',
    });
    expect(saved.secureJsonData?.httpToken).toBe('s3cr3t');
    expect(JSON.stringify(saved.jsonData)).not.toContain('s3cr3t');
  });

  it('keeps the basic user in jsonData and the password in secureJsonData', async () => {
    const { user, last } = setup(settings({ source: { type: 'http', http: { auth: 'basic' } } }));
    await user.type(screen.getByLabelText('User'), 'ada');
    await user.type(screen.getByLabelText('Password'), 'pw');
    expect(last().jsonData.source?.http?.username).toBe('ada');
    expect(last().secureJsonData?.httpPassword).toBe('pw');
    expect(JSON.stringify(last().jsonData)).not.toContain('"pw"');
  });

  it('keeps the header name in jsonData and its value in secureJsonData', async () => {
    const { user, last } = setup(settings({ source: { type: 'http', http: { auth: 'header' } } }));
    await user.type(screen.getByLabelText('Header name'), 'X-Key');
    await user.type(screen.getByLabelText('Header value'), 'v');
    expect(last().jsonData.source?.http?.headerName).toBe('X-Key');
    expect(last().secureJsonData?.httpHeaderValue).toBe('v');
  });

  it('shows a saved secret as configured and resets it', async () => {
    const { user, last } = setup(
      settings({ source: { type: 'http', http: { auth: 'bearer' } } }, { secureJsonFields: { httpToken: true } })
    );
    expect(screen.getByLabelText('Token')).toHaveValue('configured');
    expect(screen.getByLabelText('Token')).toBeDisabled();
    await user.click(screen.getByRole('button', { name: 'Reset' }));
    expect(last().secureJsonFields.httpToken).toBe(false);
    expect(last().secureJsonData?.httpToken).toBe('');
    expect(screen.getByLabelText('Token')).toBeEnabled();
  });

  it('keeps the webhook secret only in secureJsonData, whatever the source', async () => {
    const { user, last } = setup();
    await user.type(screen.getByLabelText('Webhook secret'), 'whsec-0123456789abcdef');
    expect(last().secureJsonData?.webhookSecret).toBe('whsec-0123456789abcdef');
    expect(JSON.stringify(last().jsonData)).not.toContain('whsec');
  });

  it('offers the ticket system presets', async () => {
    const { user, last } = setup(settings({ source: { type: 'http' } }));
    await user.click(screen.getByRole('combobox', { name: /Preset/ }));
    await user.click(await screen.findByRole('option', { name: /ServiceNow/ }));
    expect(last().jsonData.source?.http?.preset).toBe('servicenow');
    expect(screen.getByRole('textbox', { name: /URL/ })).toHaveAttribute(
      'placeholder',
      'https://example.service-now.com'
    );
  });
});
