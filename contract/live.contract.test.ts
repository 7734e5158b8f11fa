// The overview's live panels (issue 16), opened as Grafana opens the dashboard (its own
// range, now-6h to now): each one's query, interpolated by scenes and sent through the real
// src/datasource.ts, is accepted by the real plugin binary (POST live answers a channel
// path, which a refused live query would not), and the panel subscribes to that channel
// of the provisioned data source with the live query as the channel's data. Grafana Live
// itself does not run here: a stand-in for getGrafanaLiveSrv() records the subscriptions.

import { LiveChannelAddress, LiveChannelEvent } from '@grafana/data';
import { GrafanaLiveSrv, setGrafanaLiveSrv } from '@grafana/runtime';
import { NEVER, Observable } from 'rxjs';

import { LiveSpec } from '../src/live';
import { readReady } from './harness/bridge';
import { loadDashboard, openDashboard } from './harness/dashboard';
import { installGrafana } from './harness/grafana';

const ready = readReady();
const grafana = installGrafana(ready);
const provisioned = ready.datasources.find((d) => d.provisioned)!;
const overview = loadDashboard('dashboards/spacetime-overview.json');

const subscribed: LiveChannelAddress[] = [];
setGrafanaLiveSrv({
  getStream: <T>(addr: LiveChannelAddress): Observable<LiveChannelEvent<T>> => {
    subscribed.push(addr);
    return NEVER;
  },
} as unknown as GrafanaLiveSrv);

async function until(cond: () => boolean, what: string) {
  for (let i = 0; i < 200 && !cond(); i++) {
    await new Promise((r) => setTimeout(r, 25));
  }
  if (!cond()) {
    throw new Error(`timed out waiting for ${what}`);
  }
}

test("the overview's feed, spike chart and stat panels subscribe to channels the plugin gave", async () => {
  const live = overview.panels.filter((p) => p.targets?.some((t) => (t as { live?: boolean }).live));
  expect(live.map((p) => p.type).sort()).toEqual(['logs', 'stat', 'stat', 'stat', 'timeseries']);
  const d = await openDashboard(grafana, overview);
  try {
    await until(() => subscribed.length >= live.length, `${live.length} subscriptions (have ${subscribed.length})`);
    const specs = subscribed.map((a) => a.data as LiveSpec);
    for (const a of subscribed) {
      expect(a.scope).toBe('ds');
      expect(a.stream).toBe(provisioned.uid);
      expect(a.path).toMatch(new RegExp(`^v1/${(a.data as LiveSpec).kind}/[0-9a-f]{32}$`));
      expect((a.data as LiveSpec).range).toBe('21600s');
    }
    expect(specs.map((s) => s.kind).sort()).toEqual(['counts', 'logs', 'stats', 'stats', 'stats']);
    // The stat panels keep their usual rate's baseline; the spike chart streams at its bucket.
    expect(specs.filter((s) => s.kind === 'stats').every((s) => s.baseline === '24h')).toBe(true);
    expect(specs.find((s) => s.kind === 'counts')?.bucket).toMatch(/^\d+s$/);
    // The stat panels share one channel: the same live query, the same path.
    expect(new Set(subscribed.filter((a) => (a.data as LiveSpec).kind === 'stats').map((a) => a.path)).size).toBe(1);
  } finally {
    d.close();
  }
});
