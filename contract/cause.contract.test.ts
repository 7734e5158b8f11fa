// The overview's "Most likely cause" panel (query type localize) as a responder uses it during an
// outage of the generated data set: the generator plans each outage as one service in one region
// (gen.PlanOutages, which the bridge prints), so the truth is known. The panel's cells are compared
// with counts made from the data set itself, and each row's link is followed: its URL is read back
// by scenes' URL sync, and the next state must hold exactly the combination as ad hoc filters, keep
// the rest of the view, and count exactly the combination's tickets.

import { AdHocVariableFilter, LinkModel } from '@grafana/data';

import { readReady } from './harness/bridge';
import { OpenDashboard, PanelView, loadDashboard, openDashboard } from './harness/dashboard';
import { displayValues, table } from './harness/display';
import { installGrafana } from './harness/grafana';
import { Predicate, and, count, field, inRange, label, loadTickets } from './harness/truth';
import { click, dashboardSearch, filtersOf } from './harness/urls';

const ready = readReady();
const grafana = installGrafana(ready);
const provisioned = ready.datasources.find((d) => d.provisioned)!;
const tickets = loadTickets(provisioned);
const overview = loadDashboard('dashboards/spacetime-overview.json');
// The newest outage: the one a responder looks at, with days of ordinary tickets before it.
const outage = provisioned.dataset.planned[provisioned.dataset.planned.length - 1];
const start = Date.parse(outage.start);
const stop = Date.parse(outage.end);
const DAY = 24 * 3600e3;

function panel(d: OpenDashboard, title: RegExp): PanelView {
  const p = d.panels.find((v) => title.test(v.title));
  if (!p) {
    throw new Error(`no panel titled ${title} among ${d.panels.map((v) => v.title).join(' | ')}`);
  }
  return p;
}

/**
 * terms reads a combination as the panel shows it, `service = "a" and severity = 2 and region is
 * null`, into the ad hoc filters a click should apply ("(none)" for no value, as the frames write
 * it). The generated values hold no quote, so a pattern does; this is no filter language parser.
 */
function terms(cause: string): AdHocVariableFilter[] {
  return cause.split(' and ').map((t) => {
    const m = /^(\w+) (?:= "([^"]*)"|= ([\w.-]+)|(is null))$/.exec(t);
    if (!m) {
      throw new Error(`cannot read the term ${t} of ${cause}`);
    }
    return { key: m[1], operator: '=', value: m[4] ? '(none)' : (m[2] ?? m[3]) };
  });
}

/** holds is the truth of a combination: every term's field has the term's value. */
function holds(filters: AdHocVariableFilter[]): Predicate {
  return (t) => filters.every((f) => label(field(t, f.key)) === f.value);
}

function onlyLink(links: LinkModel[], what: string): LinkModel {
  expect({ what, links: links.length }).toEqual({ what, links: 1 });
  return links[0];
}

interface Scenario {
  name: string;
  from: number;
  to: number;
  filters: AdHocVariableFilter[];
  values: Record<string, string | string[]>;
  /** What the filters select, written by hand. */
  keep: Predicate;
  /** The combination the first row must name, when the truth says which. */
  first?: AdHocVariableFilter[];
}

const scenarios: Scenario[] = [
  {
    name: 'during the newest outage, other variables set',
    from: start,
    to: stop,
    filters: [],
    values: { search: 'latency', stack: 'service', changed: ['service', 'region'] },
    keep: () => true,
    first: [
      { key: 'service', operator: '=', value: outage.service },
      { key: 'region', operator: '=', value: outage.region },
    ],
  },
  {
    name: 'during the newest outage, an ad hoc filter already applied',
    from: start,
    to: stop,
    filters: [{ key: 'severity', operator: '!=', value: '4' }],
    values: {},
    keep: (t) => t.severity !== 4,
    first: [
      { key: 'service', operator: '=', value: outage.service },
      { key: 'region', operator: '=', value: outage.region },
    ],
  },
  {
    // A responder who clicked the service first: the cause left is the region, one value, so
    // the link's second and third filter fields are empty.
    name: 'during the newest outage, narrowed to its service',
    from: start,
    to: stop,
    filters: [{ key: 'service', operator: '=', value: outage.service }],
    values: {},
    keep: (t) => t.service === outage.service,
    first: [{ key: 'region', operator: '=', value: outage.region }],
  },
];

test('the panel is at the top of the overview, the "what changed" tables below it', () => {
  const byPosition = [...overview.panels].sort((a, b) => a.gridPos.y - b.gridPos.y || a.gridPos.x - b.gridPos.x);
  const titles = byPosition.filter((p) => p.type !== 'row').map((p) => p.title);
  expect(titles.slice(0, 2)).toEqual(['Most likely cause', 'What changed: ${changed}']);
});

describe.each(scenarios)('most likely cause, $name', (sc) => {
  const keep = and(inRange(sc.from, sc.to), sc.keep);
  // The usual rate: the day before the range (the panel's baseline, 24h), scaled to the range.
  const before = and(inRange(sc.from - DAY, sc.from), sc.keep);
  const scale = (sc.to - sc.from) / DAY;
  let d: OpenDashboard;

  beforeAll(async () => {
    d = await openDashboard(grafana, overview, {
      search: dashboardSearch(overview, { from: sc.from, to: sc.to, filters: sc.filters, values: sc.values }),
    });
  });
  afterAll(() => d.close());

  test('each row names a combination with its tickets now and at the usual rate, the filters hidden', () => {
    const t = table(panel(d, /^Most likely cause$/));
    expect(t.columns).toEqual([
      'Most likely cause',
      'Tickets now',
      'Expected at the usual rate',
      'Above the rest',
      'Share of the rise',
      'Rate ratio',
      'Score',
    ]);
    expect(t.hidden).toEqual(['Ad hoc filter', 'Ad hoc filter 2', 'Ad hoc filter 3']);
    expect(t.rows.length).toBeGreaterThan(0);
    if (sc.first) {
      expect(terms(t.rows[0][0])).toEqual(sc.first);
    }
    t.rows.forEach((row, i) => {
      const combination = terms(row[0]);
      const now = count(tickets, and(keep, holds(combination)));
      const usual = count(tickets, and(before, holds(combination)));
      expect({ cause: row[0], now: t.raw(i, 'Tickets now'), shown: row[1] }).toEqual({
        cause: row[0],
        now,
        shown: String(now),
      });
      expect({ cause: row[0], expected: t.raw(i, 'Expected at the usual rate') }).toEqual({
        cause: row[0],
        expected: expect.closeTo(usual * scale, 9),
      });
      // The share of the rise is a fraction the table shows as a percentage.
      const share = t.raw(i, 'Share of the rise') as number;
      expect(share).toBeGreaterThan(0);
      expect(share).toBeLessThanOrEqual(1);
      expect(row[4]).toMatch(/%$/);
    });
  });

  test('a click on a row applies its whole combination, keeps the view and counts its tickets', async () => {
    const t = table(panel(d, /^Most likely cause$/));
    const variables = ['search', 'stack', 'changed'].map((n) => [n, d.variable(n).getValue()]);
    for (let i = 0; i < t.rows.length; i++) {
      const cause = t.rows[i][0];
      const combination = terms(cause);
      // Every cell of the row links, the same way: a click anywhere on it.
      const link = onlyLink(t.links(i, 'Most likely cause'), cause);
      for (const column of t.columns) {
        expect({ cause, column, href: onlyLink(t.links(i, column), cause).href }).toEqual({
          cause,
          column,
          href: link.href,
        });
      }
      expect(link.title).toBe(`Narrow to ${cause}`);
      await click(grafana, d, link.href, (next) => {
        // Exactly the filters before the click and the combination's: the empty filter fields of
        // a combination shorter than three (every one here) add none.
        expect({ cause, filters: filtersOf(next) }).toEqual({ cause, filters: [...sc.filters, ...combination] });
        const { from, to } = next.scene.state.$timeRange!.state.value;
        expect([from.valueOf(), to.valueOf()]).toEqual([sc.from, sc.to]);
        expect(['search', 'stack', 'changed'].map((n) => [n, next.variable(n).getValue()])).toEqual(variables);
        // The next state's queries count exactly the combination's tickets: the stat, and the
        // cause panel's own total.
        const total = displayValues(panel(next, /^Tickets in range$/))[0].numeric;
        expect({ cause, total }).toEqual({ cause, total: t.raw(i, 'Tickets now') });
        expect({ cause, total }).toEqual({ cause, total: count(tickets, and(keep, holds(combination))) });
      });
    }
  });
});

describe('most likely cause, the same hour a day before the outage', () => {
  let d: OpenDashboard;
  beforeAll(async () => {
    d = await openDashboard(grafana, overview, {
      search: dashboardSearch(overview, { from: start - DAY, to: stop - DAY }),
    });
  });
  afterAll(() => d.close());

  test('names no cause and says why', () => {
    const p = panel(d, /^Most likely cause$/);
    expect(table(p).rows).toEqual([]);
    const notices = p.data.series.flatMap((f) => f.meta?.notices ?? []).map((n) => n.text);
    expect(notices).toEqual([expect.stringMatching(/^No localized cause: the tickets /)]);
  });
});
