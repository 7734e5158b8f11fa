// The bridge answers as Grafana's API would, through the data source's real frontend class.
import { CoreApp, DataQueryRequest, LoadingState, dateTime } from '@grafana/data';
import { EmbeddedScene, SceneFlexLayout } from '@grafana/scenes';
import { readFileSync } from 'fs';
import { lastValueFrom } from 'rxjs';
import { satisfies } from 'semver';

import { DataSource } from '../src/datasource';
import { TicketsQuery } from '../src/types';
import { readReady } from './harness/bridge';
import { grafanaMajor, installGrafana, pluginMeta } from './harness/grafana';

const ready = readReady();
const grafana = installGrafana(ready);

test('health, schema and a breakdown through src/datasource.ts', async () => {
  const ds = (await grafana.dataSourceSrv.get('spacetime')) as DataSource;
  const health = await ds.testDatasource();
  expect(health.status).toBe('success');
  const schema = await ds.getSchema();
  expect(schema.key).toBe('id');
  // Outside a dashboard, Grafana interpolates in the scene that is open: an empty one here.
  grafana.templateSrv.scene = new EmbeddedScene({ body: new SceneFlexLayout({ children: [] }) });
  const end = dateTime(ready.datasources[0].dataset.end);
  const req: DataQueryRequest<TicketsQuery> = {
    app: CoreApp.Dashboard,
    requestId: 'smoke',
    interval: '1m',
    intervalMs: 60000,
    range: { from: dateTime(end).subtract(6, 'h'), to: end, raw: { from: 'now-6h', to: 'now' } },
    scopedVars: {},
    targets: [{ refId: 'A', queryType: 'breakdown', field: 'severity' }],
    timezone: 'utc',
    startTime: 0,
  };
  const res = await lastValueFrom(ds.query(req));
  expect(res.error).toBeUndefined();
  expect(res.data[0].fields.map((f: { name: string }) => f.name)).toContain('severity');
  expect(LoadingState.Done).toBe('Done');
});

// plugin.json's grafanaDependency says which Grafana versions the plugin works with: the suite
// runs on the 12.4 line and on the newest 13.x (contract/grafana13), and each run checks that
// the Grafana it ran is one the plugin claims, so the claim cannot drift from what was tested.
test('the Grafana this suite runs is one plugin.json claims', () => {
  const version = (
    JSON.parse(readFileSync(require.resolve('@grafana/data/package.json'), 'utf8')) as { version: string }
  ).version;
  expect([12, 13]).toContain(grafanaMajor());
  const claim = pluginMeta().dependencies?.grafanaDependency ?? '';
  expect(claim).not.toBe('');
  expect({ version, claimed: satisfies(version, claim) }).toEqual({
    version,
    claimed: true,
  });
});
