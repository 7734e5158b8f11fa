// Dashboard URLs as scenes writes and reads them: the state a user sets becomes a URL through the
// variables' and the time range's URL sync handlers (sceneUtils.getUrlState), and a link's URL
// becomes the next dashboard state through the same handlers (openDashboard applies it with
// sceneUtils.syncStateFromSearchParams: AdHocFiltersVariableUrlSyncHandler.updateFromUrl for the
// ad hoc filters).

import { AdHocVariableFilter } from '@grafana/data';
import {
  AdHocFiltersVariable,
  EmbeddedScene,
  MultiValueVariable,
  SceneFlexLayout,
  SceneTimeRange,
  SceneVariableSet,
  TextBoxVariable,
  VariableValue,
  sceneUtils,
} from '@grafana/scenes';

import { DashboardJSON, OpenDashboard, createVariable, loadDashboard, openDashboard } from './dashboard';
import { Grafana } from './grafana';

export interface DashboardState {
  from: number;
  to: number;
  filters?: AdHocVariableFilter[];
  /** Values of other variables (text boxes, lists, the data source), by name. */
  values?: Record<string, string | string[]>;
}

/** dashboardSearch is the query string of a dashboard URL in the given state, as scenes writes it. */
export function dashboardSearch(json: DashboardJSON, state: DashboardState): string {
  const variables = json.templating.list.map(createVariable);
  const scene = new EmbeddedScene({
    $timeRange: new SceneTimeRange({ from: String(state.from), to: String(state.to) }),
    $variables: new SceneVariableSet({ variables }),
    body: new SceneFlexLayout({ children: [] }),
  });
  for (const v of variables) {
    const value = state.values?.[v.state.name];
    if (v instanceof AdHocFiltersVariable && state.filters) {
      v.setState({ filters: state.filters });
    } else if (value !== undefined && v instanceof TextBoxVariable) {
      v.setValue(String(value));
    } else if (value !== undefined && v instanceof MultiValueVariable) {
      v.setState({ value: value as VariableValue, text: value as VariableValue });
    }
  }
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(sceneUtils.getUrlState(scene))) {
    for (const v of Array.isArray(value) ? value : [value]) {
      params.append(key, v === null || v === undefined ? '' : String(v));
    }
  }
  return params.toString();
}

/** The dashboards a link may lead to, by uid. */
const DASHBOARD_FILES: Record<string, string> = {
  'spacetime-overview': 'dashboards/spacetime-overview.json',
  'spacetime-ticket': 'dashboards/spacetime-ticket.json',
};

export interface Target {
  uid: string;
  search: string;
  params: URLSearchParams;
}

/** target reads a link's href: which dashboard (/d/UID/slug) and its query string. */
export function target(href: string): Target {
  const u = new URL(href, 'http://grafana.invalid');
  const m = /^\/d\/([^/]+)(\/[^/]*)?$/.exec(u.pathname);
  if (!m) {
    throw new Error(`${href} is not a dashboard URL`);
  }
  return { uid: m[1], search: u.search.replace(/^\?/, ''), params: u.searchParams };
}

/**
 * click follows a link from an open dashboard as a user's click does: Grafana leaves the dashboard
 * (only one is active at a time: scenes looks for ad hoc filters among the active variables) and
 * opens the one the link leads to, in the state its URL holds. check looks at that next state;
 * then the first dashboard is reopened, as the browser's back button would.
 */
export async function click(
  grafana: Grafana,
  from: OpenDashboard,
  href: string,
  check: (next: OpenDashboard) => void | Promise<void>
): Promise<void> {
  const t = target(href);
  const file = DASHBOARD_FILES[t.uid];
  if (!file) {
    throw new Error(`${href} leads to dashboard ${t.uid}, which is no Spacetime dashboard`);
  }
  from.close();
  try {
    const next = await openDashboard(grafana, loadDashboard(file), { search: t.search });
    try {
      await check(next);
    } finally {
      next.close();
    }
  } finally {
    from.reopen();
  }
}

/** filtersOf reads an open dashboard's ad hoc filters. */
export function filtersOf(d: OpenDashboard, name = 'filters'): AdHocVariableFilter[] {
  return d.variable<AdHocFiltersVariable>(name).state.filters.map((f) => ({
    key: f.key,
    operator: f.operator,
    value: f.value,
    ...(f.values ? { values: f.values } : {}),
  }));
}
