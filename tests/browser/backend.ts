// The backend the page's /api/... requests reach.
//
// INTERIM: until the bridge to the real plugin binary lands (branch contract,
// pkg/pluginhost/bridge), editors are rendered against this stand-in, which answers the three
// resources the editors call with a small schema in the backend's format. It is replaced by the
// bridge before this suite is done; nothing about frames is faked here.
import type { Route } from 'playwright-core';

import type { ApiHandler } from './harness';
import type { DataSourceRef } from './page/spec';

const SCHEMA = {
  key: 'id',
  time: 'created',
  columns: [
    { name: 'id', type: 'string', title: 'Ticket', table: true },
    { name: 'severity', type: 'number', title: 'Sev', table: true, facet: true },
    { name: 'title', type: 'text', title: 'Title', table: true },
    { name: 'service', type: 'string', title: 'Service', table: true, facet: true },
    { name: 'created', type: 'time', title: 'Created', table: true },
  ],
  table: { columns: ['id', 'severity', 'title', 'service', 'created'] },
  defaults: { filter: 'status != "resolved"' },
  facets: ['service', 'severity'],
};

export interface Backend {
  api: ApiHandler;
  datasource: DataSourceRef;
  close(): Promise<void>;
}

export async function startBackend(): Promise<Backend> {
  const api: ApiHandler = {
    async handle(route: Route) {
      const url = new URL(route.request().url());
      const json = (status: number, body: unknown) =>
        route.fulfill({ status, contentType: 'application/json', body: JSON.stringify(body) });
      if (url.pathname.endsWith('/resources/schema')) {
        return json(200, SCHEMA);
      }
      if (url.pathname.endsWith('/resources/values')) {
        return json(200, { field: url.searchParams.get('field'), values: [{ value: 'checkout', count: 3 }] });
      }
      if (url.pathname.endsWith('/resources/validate-schema')) {
        return json(200, { valid: true, columns: 12 });
      }
      if (url.pathname.endsWith('/resources/validate')) {
        return json(200, { valid: true });
      }
      return json(404, { error: `the stand-in backend does not serve ${url.pathname}` });
    },
  };
  return { api, datasource: { uid: 'spacetime', jsonData: {} }, close: async () => {} };
}
