// The Ticket dashboard: one ticket's record, reached from the overview, and its link back.

import { locationUtil, textUtil, urlUtil } from '@grafana/data';

import { readReady } from './harness/bridge';
import { DashboardJSON, OpenDashboard, loadDashboard, openDashboard } from './harness/dashboard';
import { table } from './harness/display';
import { installGrafana } from './harness/grafana';
import { inRange, loadTickets } from './harness/truth';
import { click, dashboardSearch, target } from './harness/urls';

const ready = readReady();
const grafana = installGrafana(ready);
// A data source added in the UI, to see that the choice survives the way back.
const added = ready.datasources.find((d) => !d.provisioned)!;
const tickets = loadTickets(added);
const end = Date.parse(added.dataset.end);
const HOUR = 3600e3;
const board = loadDashboard('dashboards/spacetime-ticket.json');

/**
 * dashboardLinkUrl is a dashboard link's URL as LinkSrv.getLinkUrl makes it
 * (public/app/features/panel/panellinks/link_srv.ts): keepTime appends $__url_time_range,
 * includeVars $__all_variables, the whole is interpolated in the open dashboard, prefixed with
 * the sub-path and sanitized.
 */
function dashboardLinkUrl(link: NonNullable<DashboardJSON['links']>[number]): string {
  let url = link.url ?? '';
  if (link.keepTime) {
    url = urlUtil.appendQueryToUrl(url, '$__url_time_range');
  }
  if (link.includeVars) {
    url = urlUtil.appendQueryToUrl(url, '$__all_variables');
  }
  return textUtil.sanitizeUrl(locationUtil.assureBaseUrl(grafana.templateSrv.replace(url)));
}

describe('the Ticket dashboard', () => {
  const from = end - 6 * HOUR;
  const newest = tickets.filter(inRange(from, end)).reduce((a, b) => (b.created > a.created ? b : a));
  let d: OpenDashboard;
  beforeAll(async () => {
    d = await openDashboard(grafana, board, {
      search: dashboardSearch(board, { from, to: end, values: { ticket: newest.id, datasource: added.uid } }),
    });
  });
  afterAll(() => d.close());

  test('finds the ticket in the chosen data source, table columns first, then every field', () => {
    expect(d.panels.map((p) => p.title)).toEqual([`Ticket ${newest.id}`, 'All fields']);
    const summary = table(d.panels[0]);
    expect(summary.rows.map((r) => r[summary.columns.indexOf('Ticket')])).toEqual([newest.id]);
    const record = table(d.panels[1]);
    expect(record.rows.map((r) => r[0])).toEqual([
      'Sev',
      'Title',
      'Status',
      'Service',
      'Region',
      'Category',
      'Type',
      'Item',
      'Assignee group',
      'Created',
      'Updated',
      'Resolved',
      'Description',
    ]);
  });

  test('links back to the overview with the same time range and data source', async () => {
    const links = board.links ?? [];
    expect(links.map((l) => l.title)).toEqual(['Spacetime overview']);
    const href = dashboardLinkUrl(links[0]);
    expect(target(href).uid).toBe('spacetime-overview');
    await click(grafana, d, href, (next) => {
      const range = next.scene.state.$timeRange!.state.value;
      expect([range.from.valueOf(), range.to.valueOf()]).toEqual([from, end]);
      expect(next.variable('datasource').getValue()).toBe(added.uid);
    });
  });
});
