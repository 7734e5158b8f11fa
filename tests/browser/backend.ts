// The backend the page's /api/... requests reach: the bridge (pkg/binaryhost/bridge), which
// answers Grafana's HTTP API by calling the real plugin binary over gRPC as Grafana does.
// globalSetup starts it once for the suite; each page forwards its /api/... requests to it.
import type { Route } from 'playwright-core';

import { BridgeDatasource, readReady } from '../../contract/harness/bridge';
import type { TicketsOptions } from '../../src/types';
import type { ApiHandler } from './harness';
import type { DataSourceRef } from './page/spec';

export interface Backend {
  api: ApiHandler;
  /** The provisioned Spacetime data source, as the page's DataSource instance sees it. */
  datasource: DataSourceRef;
  /** The same data source as the bridge reports it: its data set and where its tickets are. */
  bridged: BridgeDatasource;
}

/** PROVISIONED_UID is the uid of provisioning/datasources: the one the dashboards are wired to. */
export const PROVISIONED_UID = 'spacetime';

export function bridgeBackend(): Backend {
  const ready = readReady();
  const bridged = ready.datasources.find((d) => d.uid === PROVISIONED_UID);
  if (!bridged) {
    throw new Error(`the bridge serves no data source ${PROVISIONED_UID}: ${ready.datasources.map((d) => d.uid)}`);
  }
  const api: ApiHandler = {
    async handle(route: Route) {
      const url = new URL(route.request().url());
      const response = await route.fetch({ url: ready.url + url.pathname + url.search });
      await route.fulfill({ response });
    },
  };
  return { api, datasource: { uid: bridged.uid, jsonData: bridged.jsonData as TicketsOptions }, bridged };
}
