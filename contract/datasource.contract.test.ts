// Issue 10, defect 5, in a Grafana that has no data source with the provisioned uid: only a
// Spacetime data source added in the UI, with a uid of its own. The dashboards must show it
// without any change, as they did not before the data source variable (every panel asked for
// the uid "spacetime").

import { LoadingState } from '@grafana/data';

import { readReady } from './harness/bridge';
import { loadDashboard, openDashboard } from './harness/dashboard';
import { displayValues, table } from './harness/display';
import { installGrafana } from './harness/grafana';
import { count, inRange, loadTickets } from './harness/truth';
import { click, dashboardSearch } from './harness/urls';

const all = readReady();
const added = all.datasources.find((d) => !d.provisioned)!;
// This Grafana knows the added data source only.
const grafana = installGrafana({ ...all, datasources: [{ ...added, provisioned: true }] });
const tickets = loadTickets(added);
const end = Date.parse(added.dataset.end);
const HOUR = 3600e3;

test('the overview and the ticket dashboard show the only Spacetime data source there is', async () => {
  const overview = loadDashboard('dashboards/spacetime-overview.json');
  const from = end - 6 * HOUR;
  // The URL a user has: the dashboard's own defaults and a time range, nothing about data sources.
  const d = await openDashboard(grafana, overview, { search: `from=${from}&to=${end}` });
  try {
    expect(d.variable('datasource').getValue()).toBe(added.uid);
    for (const p of d.panels) {
      expect({ panel: p.title, state: p.data.state, errors: p.data.errors }).toEqual({
        panel: p.title,
        state: LoadingState.Done,
        errors: undefined,
      });
    }
    expect(displayValues(d.panels.find((p) => p.title === 'Tickets in range')!)[0].numeric).toBe(
      count(tickets, inRange(from, end))
    );
    const t = table(d.panels.find((p) => p.title === 'Tickets')!);
    const own = t.links(0, 'Ticket').find((l) => l.href.startsWith('/d/spacetime-ticket/'))!;
    await click(grafana, d, own.href, (next) => {
      expect(next.variable('datasource').getValue()).toBe(added.uid);
      expect(table(next.panels[0]).rows).toHaveLength(1);
    });
  } finally {
    d.close();
  }
  expect(dashboardSearch(overview, { from, to: end })).toContain('var-datasource=');
});
