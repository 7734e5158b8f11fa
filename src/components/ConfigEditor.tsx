import React, { useRef, useState } from 'react';
import { DataSourcePluginOptionsEditorProps, DataSourceSettings, SelectableValue } from '@grafana/data';
import { AwsAuthDataSourceJsonData, AwsAuthDataSourceSecureJsonData, ConnectionConfig } from '@grafana/aws-sdk';
import { ConfigSection, ConfigSubSection } from '@grafana/plugin-ui';
import { Combobox, Divider, Field, Input, RadioButtonGroup, SecretInput, TextArea } from '@grafana/ui';

import { durationMs, isDuration } from '../duration';
import {
  // Aliased: DynamoDBSettings in this file is the component that edits these settings.
  DynamoDBSettings as DynamoDBJsonData,
  HttpAuth,
  HttpPreset,
  HttpSourceSettings,
  SourceSettings,
  SourceType,
  StoreKind,
  TicketsOptions,
  TicketsSecureJsonData,
} from '../types';
import { SchemaEditor } from './SchemaEditor';
import { SCHEMA_TEMPLATE } from './schemaTemplate';

type Props = DataSourcePluginOptionsEditorProps<TicketsOptions, TicketsSecureJsonData>;
type Settings = DataSourceSettings<TicketsOptions, TicketsSecureJsonData>;
type SecretKey = 'httpToken' | 'httpPassword' | 'httpHeaderValue' | 'webhookSecret';
type SchemaSource = 'default' | 'inline' | 'file';

const STORE_OPTIONS: Array<SelectableValue<StoreKind>> = [
  { value: 'embedded', label: 'Embedded file', description: 'A file on the Grafana server' },
  { value: 'dynamodb', label: 'Amazon DynamoDB', description: 'A DynamoDB table' },
];

const SCHEMA_OPTIONS: Array<SelectableValue<SchemaSource>> = [
  { value: 'default', label: 'Built-in', description: 'The default schema of high-severity tickets' },
  { value: 'inline', label: 'YAML here', description: 'Write the schema in this page' },
  { value: 'file', label: 'File on the server', description: 'A schema file that the Grafana server can read' },
];

const SOURCE_OPTIONS: Array<SelectableValue<SourceType>> = [
  { value: 'none', label: 'None', description: 'Tickets are imported with the spacetime command' },
  { value: 'demo', label: 'Demo', description: 'Generated tickets, to try Spacetime out' },
  { value: 'http', label: 'HTTP API', description: 'Poll a ticket system’s JSON API' },
  { value: 'files', label: 'Files', description: 'Read CSV or JSON lines files from a directory' },
];

const PRESET_OPTIONS: Array<{ value: HttpPreset; label: string; description: string }> = [
  { value: 'jira', label: 'Jira', description: 'Jira Cloud or Server search API' },
  { value: 'pagerduty', label: 'PagerDuty', description: 'PagerDuty incidents API' },
  { value: 'servicenow', label: 'ServiceNow', description: 'ServiceNow table API (incident)' },
  { value: 'github', label: 'GitHub', description: 'GitHub issues API' },
  { value: 'custom', label: 'Custom', description: 'Any JSON API, with your own mapping' },
];

const URL_PLACEHOLDERS: Record<HttpPreset, string> = {
  jira: 'https://example.atlassian.net',
  pagerduty: 'https://api.pagerduty.com',
  servicenow: 'https://example.service-now.com',
  github: 'https://api.github.com/repos/OWNER/REPO',
  custom: 'https://tickets.example.com/api/tickets',
};

const AUTH_OPTIONS: Array<SelectableValue<HttpAuth>> = [
  { value: 'none', label: 'None' },
  { value: 'bearer', label: 'Bearer token' },
  { value: 'basic', label: 'Basic' },
  { value: 'header', label: 'Header' },
];

/** The plain text field an authentication method sends beside its secret, bound to an HTTP setting. */
interface NameField {
  setting: 'username' | 'headerName';
  id: string;
  label: string;
  placeholder?: string;
  autoComplete?: 'off';
}

/** What each authentication method asks for: a name for some, and always a secret. */
const CREDENTIALS: Record<Exclude<HttpAuth, 'none'>, { name?: NameField; secret: SecretProps }> = {
  bearer: { secret: { secret: 'httpToken', label: 'Token', placeholder: 'API token' } },
  basic: {
    name: { setting: 'username', id: 'spacetime-http-username', label: 'User', autoComplete: 'off' },
    secret: { secret: 'httpPassword', label: 'Password', placeholder: 'Password or API token' },
  },
  header: {
    name: { setting: 'headerName', id: 'spacetime-http-header-name', label: 'Header name', placeholder: 'X-API-Key' },
    secret: { secret: 'httpHeaderValue', label: 'Header value', placeholder: 'Header value' },
  },
};

// The shortest values the backend accepts: a shorter follow would query the table in a busy
// loop (pkg/plugin minFollow), a shorter lease would be renewed too often (pkg/source MinLeaseTTL).
const MIN_FOLLOW_MS = 500;
const MIN_LEASE_MS = 1000;

/**
 * isFollow reports whether text is a dynamodb.follow the backend accepts: it reads it with Go's
 * time.ParseDuration, which knows neither days nor weeks nor surrounding spaces.
 */
function isFollow(text: string): boolean {
  if (text !== text.trim() || /[dw]$/.test(text)) {
    return false;
  }
  const ms = durationMs(text);
  return ms !== undefined && ms >= MIN_FOLLOW_MS;
}

// The shortest window the backend accepts (pkg/plugin minWindow): the overview's ranges and
// their baselines reach back a day.
const MIN_WINDOW_MS = 86_400_000;

/** isWindow reports whether text is a window the backend accepts: a duration of a day or more. */
function isWindow(text: string): boolean {
  const ms = durationMs(text);
  return ms !== undefined && ms >= MIN_WINDOW_MS;
}

/** isLease reports whether text is a source.lease the backend accepts (read like source.interval). */
function isLease(text: string): boolean {
  const ms = durationMs(text);
  return ms !== undefined && ms >= MIN_LEASE_MS;
}

interface DurationFieldProps {
  id: string;
  label: string;
  description: string;
  placeholder: string;
  value: string;
  /** valid checks a non-empty value; empty always means the default. */
  valid: (text: string) => boolean;
  error: string;
  /** onChange gets undefined for an empty field, so that the key is not saved. */
  onChange: (value: string | undefined) => void;
}

/** DurationField is a short text field for a duration setting, flagged when it is not one. */
function DurationField(props: DurationFieldProps) {
  const ok = props.value === '' || props.valid(props.value);
  return (
    <Field
      label={props.label}
      htmlFor={props.id}
      description={props.description}
      invalid={!ok}
      error={ok ? undefined : props.error}
    >
      <Input
        id={props.id}
        width={12}
        placeholder={props.placeholder}
        value={props.value}
        invalid={!ok}
        onChange={(e) => props.onChange(e.currentTarget.value || undefined)}
      />
    </Field>
  );
}

interface TextFieldProps {
  id: string;
  label: string;
  description?: string;
  /** required only marks the field for the user: this page saves an empty value as it is. */
  required?: boolean;
  width: number;
  type?: 'url';
  placeholder?: string;
  /** autoComplete "off" keeps the browser from filling a user name into a data source setting. */
  autoComplete?: 'off';
  value: string;
  /** onChange gets the text as typed: an empty field is saved as an empty string. */
  onChange: (value: string) => void;
}

/** TextField is a labelled one-line text setting, the plain sibling of DurationField. */
function TextField(props: TextFieldProps) {
  return (
    <Field label={props.label} htmlFor={props.id} description={props.description} required={props.required}>
      <Input
        id={props.id}
        width={props.width}
        type={props.type}
        placeholder={props.placeholder}
        autoComplete={props.autoComplete}
        value={props.value}
        onChange={(e) => props.onChange(e.currentTarget.value)}
      />
    </Field>
  );
}

function schemaSourceOf(jsonData: TicketsOptions): SchemaSource {
  if (jsonData.schema && jsonData.schema.trim() !== '') {
    return 'inline';
  }
  return jsonData.schemaPath ? 'file' : 'default';
}

/**
 * ConfigEditor is the data source's settings page: where tickets are stored, the column
 * schema, and where tickets come from. Secrets go only to secureJsonData, which Grafana
 * encrypts and never sends back (only a "configured" flag in secureJsonFields).
 */
export function ConfigEditor(props: Props) {
  const { options, onOptionsChange } = props;
  const jsonData = options.jsonData;
  const store: StoreKind = jsonData.store ?? 'embedded';
  const [schemaSource, setSchemaSource] = useState<SchemaSource>(() => schemaSourceOf(jsonData));
  // What the user had under the other schema choices, so that switching back loses nothing.
  const kept = useRef({ schema: jsonData.schema ?? '', schemaPath: jsonData.schemaPath ?? '' });

  const setJson = (patch: Partial<TicketsOptions>) =>
    onOptionsChange({ ...options, jsonData: { ...options.jsonData, ...patch } });
  const source: SourceSettings = jsonData.source ?? {};
  const setSource = (patch: Partial<SourceSettings>) => setJson({ source: { ...source, ...patch } });
  const http: HttpSourceSettings = source.http ?? {};
  const setHttp = (patch: Partial<HttpSourceSettings>) => setSource({ http: { ...http, ...patch } });

  const onSchemaSource = (next: SchemaSource) => {
    if (schemaSource === 'inline') {
      kept.current.schema = jsonData.schema ?? '';
    }
    if (schemaSource === 'file') {
      kept.current.schemaPath = jsonData.schemaPath ?? '';
    }
    setSchemaSource(next);
    switch (next) {
      case 'default':
        setJson({ schema: '', schemaPath: '' });
        break;
      case 'inline':
        setJson({ schema: kept.current.schema.trim() !== '' ? kept.current.schema : SCHEMA_TEMPLATE, schemaPath: '' });
        break;
      case 'file':
        setJson({ schema: '', schemaPath: kept.current.schemaPath });
        break;
    }
  };

  const preset: HttpPreset = http.preset ?? 'custom';
  const auth: HttpAuth = http.auth ?? 'none';
  const credentials = auth === 'none' ? undefined : CREDENTIALS[auth];
  const nameField = credentials?.name;

  return (
    <>
      <ConfigSection title="Store" description="Where the tickets are kept between polls and restarts.">
        <Field label="Store" htmlFor="spacetime-store">
          <RadioButtonGroup<StoreKind>
            id="spacetime-store"
            aria-label="Store"
            options={STORE_OPTIONS}
            value={store}
            onChange={(v) => setJson({ store: v })}
          />
        </Field>
        {store === 'embedded' ? (
          <TextField
            id="spacetime-store-path"
            label="Store file"
            description="A file the Grafana server can write. Empty: spacetime/<data source UID>.db in Grafana's data directory (GF_PATHS_DATA), else in the user's data directory."
            width={60}
            placeholder="/var/lib/grafana/spacetime/tickets.db"
            value={jsonData.storePath ?? ''}
            onChange={(storePath) => setJson({ storePath })}
          />
        ) : (
          <DynamoDBSettings {...props} />
        )}
        <DurationField
          id="spacetime-window"
          label="Window"
          description="How far back this Grafana server holds tickets in memory, such as 30d or 2w: tickets created before it are left out, so that a table with years of history loads in proportion to the window. Queries cannot reach further back. Empty: every ticket of the store."
          placeholder="all"
          value={jsonData.window ?? ''}
          valid={isWindow}
          error="Use a duration of at least a day, such as 30d or 2w."
          onChange={(window) => setJson({ window })}
        />
      </ConfigSection>

      <Divider />

      <ConfigSection
        title="Column schema"
        description="Which fields a ticket has, their types and display, the facets to chart, and the default table and filter."
      >
        <Field label="Schema" htmlFor="spacetime-schema-source">
          <RadioButtonGroup<SchemaSource>
            id="spacetime-schema-source"
            aria-label="Schema"
            options={SCHEMA_OPTIONS}
            value={schemaSource}
            onChange={onSchemaSource}
          />
        </Field>
        {schemaSource === 'inline' && (
          <SchemaEditor uid={options.uid} value={jsonData.schema ?? ''} onChange={(schema) => setJson({ schema })} />
        )}
        {schemaSource === 'file' && (
          <TextField
            id="spacetime-schema-path"
            label="Schema file"
            description="A YAML or JSON file on the Grafana server. It is read when the data source starts; Save & test checks it."
            width={60}
            placeholder="/etc/grafana/spacetime/schema.yaml"
            value={jsonData.schemaPath ?? ''}
            onChange={(schemaPath) => setJson({ schemaPath })}
          />
        )}
      </ConfigSection>

      <Divider />

      <ConfigSection title="Ticket source" description="Where new and updated tickets come from.">
        <Field label="Source" htmlFor="spacetime-source-type">
          <RadioButtonGroup<SourceType>
            id="spacetime-source-type"
            aria-label="Source"
            options={SOURCE_OPTIONS}
            value={source.type ?? 'none'}
            onChange={(v) => setSource({ type: v })}
          />
        </Field>
        {source.type && source.type !== 'none' && (
          <DurationField
            id="spacetime-source-interval"
            label="Poll interval"
            description="How often the source is read, such as 30s, 1m or 5m. Empty: the default, 1m."
            placeholder="1m"
            value={source.interval ?? ''}
            valid={isDuration}
            error="Use a duration such as 30s, 1m or 5m."
            onChange={(interval) => setSource({ interval })}
          />
        )}
        {store === 'dynamodb' && source.type && source.type !== 'none' && (
          <DurationField
            id="spacetime-source-lease"
            label="Polling lease"
            description="When several Grafana servers share the DynamoDB table, only one of them polls the source, and it renews its lease every third of this length. If that server stops, another one takes over one to one and a third lease lengths later. Empty: the default, 30s."
            placeholder="30s"
            value={source.lease ?? ''}
            valid={isLease}
            error="Use a duration of at least 1s, such as 30s or 1m."
            onChange={(lease) => setSource({ lease })}
          />
        )}
        {source.type === 'demo' && (
          <DurationField
            id="spacetime-demo-backfill"
            label="Backfill"
            description="How far back the demo generates tickets when it starts on an empty store, such as 1d or 7d."
            placeholder="7d"
            value={source.demo?.backfill ?? ''}
            valid={isDuration}
            error="Use a duration such as 1d or 7d."
            onChange={(backfill) => setSource({ demo: { ...source.demo, backfill } })}
          />
        )}
        {source.type === 'files' && (
          <TextField
            id="spacetime-files-dir"
            label="Directory"
            description="A directory on the Grafana server that holds CSV or JSON lines files of tickets."
            width={60}
            placeholder="/var/lib/grafana/spacetime/inbox"
            value={source.files?.dir ?? ''}
            onChange={(dir) => setSource({ files: { dir } })}
          />
        )}
        {source.type === 'http' && (
          <ConfigSubSection title="HTTP API">
            <Field
              label="Preset"
              htmlFor="spacetime-http-preset"
              description="A known ticket system, or Custom with your own mapping."
            >
              <Combobox<HttpPreset>
                id="spacetime-http-preset"
                width={30}
                options={PRESET_OPTIONS}
                value={preset}
                onChange={(o) => setHttp({ preset: o.value })}
              />
            </Field>
            <TextField
              id="spacetime-http-url"
              label="URL"
              required
              width={60}
              type="url"
              placeholder={URL_PLACEHOLDERS[preset]}
              value={http.url ?? ''}
              onChange={(url) => setHttp({ url })}
            />
            <Field label="Authentication" htmlFor="spacetime-http-auth">
              <RadioButtonGroup<HttpAuth>
                id="spacetime-http-auth"
                aria-label="Authentication"
                options={AUTH_OPTIONS}
                value={auth}
                onChange={(v) => setHttp({ auth: v })}
              />
            </Field>
            {credentials && (
              // Keyed by method, so that a switch of method mounts its own fields rather than reusing the last ones.
              <React.Fragment key={auth}>
                {nameField && (
                  <TextField
                    id={nameField.id}
                    label={nameField.label}
                    width={40}
                    placeholder={nameField.placeholder}
                    autoComplete={nameField.autoComplete}
                    value={http[nameField.setting] ?? ''}
                    onChange={(text) => setHttp({ [nameField.setting]: text })}
                  />
                )}
                <Secret {...props} {...credentials.secret} />
              </React.Fragment>
            )}
            <Field
              label="Mapping"
              htmlFor="spacetime-http-mapping"
              description={`YAML, one line per schema column: "column: JSON path" into each ticket. ${
                preset === 'custom' ? 'Required for a custom API.' : 'Optional: it overrides the preset’s mapping.'
              }`}
            >
              <TextArea
                id="spacetime-http-mapping"
                rows={6}
                spellCheck={false}
                placeholder={'id: key\ntitle: fields.summary\ncreated: fields.created'}
                value={http.mapping ?? ''}
                onChange={(e) => setHttp({ mapping: e.currentTarget.value || undefined })}
              />
            </Field>
          </ConfigSubSection>
        )}
      </ConfigSection>

      <Divider />

      <ConfigSection
        title="Webhooks"
        description="Tickets the ticket system posts as they change (GitHub, PagerDuty, Jira, ServiceNow), at this data source's resources webhooks/github, webhooks/pagerduty, webhooks/jira and webhooks/servicenow. Deliveries must be signed with this secret (ServiceNow: basic authentication, user spacetime). Empty: webhooks are off."
      >
        <Secret {...props} secret="webhookSecret" label="Webhook secret" placeholder="at least 16 random characters" />
      </ConfigSection>
    </>
  );
}

interface SecretProps {
  secret: SecretKey;
  label: string;
  placeholder: string;
}

/**
 * Secret is a write-only field bound to one key of secureJsonData: it shows only whether the key
 * is configured, and its reset clears both the value and that flag.
 */
function Secret(props: Props & SecretProps) {
  const { options, onOptionsChange, secret, label, placeholder } = props;
  const id = `spacetime-${secret}`;
  return (
    <Field label={label} htmlFor={id}>
      <SecretInput
        id={id}
        width={40}
        placeholder={placeholder}
        isConfigured={Boolean(options.secureJsonFields?.[secret])}
        value={options.secureJsonData?.[secret] ?? ''}
        onChange={(e) =>
          onOptionsChange({
            ...options,
            secureJsonData: { ...options.secureJsonData, [secret]: e.currentTarget.value },
          })
        }
        onReset={() =>
          onOptionsChange({
            ...options,
            secureJsonFields: { ...options.secureJsonFields, [secret]: false },
            secureJsonData: { ...options.secureJsonData, [secret]: '' },
          })
        }
      />
    </Field>
  );
}

/**
 * DynamoDBSettings: the table, how often to read the other servers' writes, and the AWS
 * connection from @grafana/aws-sdk's ConnectionConfig (authentication, region, endpoint), whose
 * fields live on jsonData and whose keys live in secureJsonData as that package defines them. Its
 * endpoint is mirrored into jsonData.dynamodb.endpoint, where the store's settings are read.
 */
function DynamoDBSettings(props: Props) {
  const { options, onOptionsChange } = props;
  const dynamodb: DynamoDBJsonData = options.jsonData.dynamodb ?? {};
  const setDynamodb = (patch: Partial<DynamoDBJsonData>) =>
    onOptionsChange({ ...options, jsonData: { ...options.jsonData, dynamodb: { ...dynamodb, ...patch } } });

  const onAwsChange = (aws: DataSourceSettings<AwsAuthDataSourceJsonData, AwsAuthDataSourceSecureJsonData>) => {
    const merged: Settings = {
      ...options,
      ...aws,
      jsonData: { ...options.jsonData, ...aws.jsonData },
      secureJsonData: { ...options.secureJsonData, ...aws.secureJsonData },
    };
    // Spread first, so that the table and follow interval survive an edit of the connection.
    merged.jsonData.dynamodb = { ...dynamodb, endpoint: merged.jsonData.endpoint || undefined };
    onOptionsChange(merged);
  };

  return (
    <>
      <TextField
        id="spacetime-dynamodb-table"
        label="Table"
        required
        description="The DynamoDB table that holds the tickets."
        width={40}
        placeholder="spacetime-tickets"
        value={dynamodb.table ?? ''}
        onChange={(table) => setDynamodb({ table })}
      />
      <DurationField
        id="spacetime-dynamodb-follow"
        label="Follow other servers every"
        description="How often this Grafana server reads what the other servers sharing the table wrote, such as 10s or 1m: a ticket one server stores can be queried on the others at most this much later. Empty: the default, 10s."
        placeholder="10s"
        value={dynamodb.follow ?? ''}
        valid={isFollow}
        error="Use a duration of at least 500ms, such as 10s or 1m."
        onChange={(follow) => setDynamodb({ follow })}
      />
      <ConnectionConfig
        options={options}
        onOptionsChange={onAwsChange}
        defaultEndpoint="https://dynamodb.{region}.amazonaws.com"
      />
    </>
  );
}
