// The seven defects of issue 10, one case each, as a user meets them on the provisioned
// dashboards. Each case failed before its fix (the report of issue 10 holds the failures).

import { LoadingState } from '@grafana/data';
import { AdHocFiltersVariable } from '@grafana/scenes';

import { DataSource } from '../src/datasource';
import { readReady } from './harness/bridge';
import { OpenDashboard, PanelView, loadDashboard, openDashboard } from './harness/dashboard';
import { displayValues, frames, panelLinks, table } from './harness/display';
import { installGrafana } from './harness/grafana';
import { and, count, countBy, field, inRange, label, loadTickets } from './harness/truth';
import { click, dashboardSearch } from './harness/urls';

const ready = readReady();
const grafana = installGrafana(ready);
const provisioned = ready.datasources.find((d) => d.provisioned)!;
const tickets = loadTickets(provisioned);
const end = Date.parse(provisioned.dataset.end);
const HOUR = 3600e3;
const overview = loadDashboard('dashboards/spacetime-overview.json');
const ticketBoard = loadDashboard('dashboards/spacetime-ticket.json');

function panel(d: OpenDashboard, title: RegExp): PanelView {
  const p = d.panels.find((v) => title.test(v.title));
  if (!p) {
    throw new Error(`no panel titled ${title} among ${d.panels.map((v) => v.title).join(' | ')}`);
  }
  return p;
}

function total(d: OpenDashboard): number {
  return displayValues(panel(d, /^Tickets in range$/))[0].numeric;
}

/**
 * Tickets pushed into the provisioned data source an hour long, 400 days before the data set,
 * where no other test looks: regions whose values hold the URL format's separators, one whose
 * value is "other", tickets without a region, and enough small ones for a rest.
 */
const PUSH_FROM = end - 400 * 24 * HOUR;
const regions: Array<[string | null, number]> = [
  ['other', 30],
  [null, 20],
  ['Paris, FR', 15],
  ['a|b', 12],
  ...Array.from({ length: 9 }, (_, i): [string, number] => [`r${i + 1}`, 10 - i]),
];

beforeAll(async () => {
  const ds = (await grafana.dataSourceSrv.get(provisioned.uid)) as DataSource;
  const batch: Array<Record<string, unknown>> = [];
  for (const [region, n] of regions) {
    for (let i = 0; i < n; i++) {
      const at = new Date(PUSH_FROM + batch.length * 1000).toISOString();
      batch.push({
        id: `PUSHED-${batch.length}`,
        severity: (batch.length % 5) + 1,
        title: 'pushed for the contract suite',
        status: 'open',
        service: 'contract-svc',
        region,
        category: 'Availability',
        created: at,
        updated: at,
      });
    }
  }
  const res = await ds.postResource<{ accepted: number }>('push', batch);
  expect(res.accepted).toBe(batch.length);
});

describe('defect 1: pie slices and legend entries are named after their values', () => {
  test.each(['By severity', 'By region'])('%s', async (title) => {
    const d = await openDashboard(grafana, overview, {
      search: dashboardSearch(overview, { from: end - 6 * HOUR, to: end }),
    });
    try {
      const p = panel(d, new RegExp(`^${title}$`));
      const f = String(p.json.targets![0].field);
      const truth = countBy(tickets, inRange(end - 6 * HOUR, end), (t) => field(t, f));
      const names = displayValues(p).map((s) => s.name);
      expect(names.filter((n) => n !== 'other').sort()).toEqual(
        [...truth.keys()].filter((v) => names.includes(v)).sort()
      );
      expect(new Set(names).size).toBe(names.length);
    } finally {
      d.close();
    }
  });
});

describe('defects 2 and 3: clicking a pie slice narrows to exactly that slice', () => {
  const window = { from: PUSH_FROM, to: PUSH_FROM + HOUR };

  let d: OpenDashboard;
  beforeAll(async () => {
    d = await openDashboard(grafana, overview, { search: dashboardSearch(overview, window) });
  });
  afterAll(() => d.close());

  test('the slices: the ten largest regions, then the rest', () => {
    // "other" (a real value), "(none)", "Paris, FR", "a|b", r1..r6, and the rest: r7, r8, r9.
    expect(displayValues(panel(d, /^By region$/)).map((s) => [s.name, s.numeric])).toEqual([
      ...regions.slice(0, 10).map(([r, n]) => [label(r), n]),
      ['other', 4 + 3 + 2],
    ]);
  });

  async function clickSlice(row: number) {
    const s = displayValues(panel(d, /^By region$/)).find((v) => v.rowIndex === row)!;
    expect(s.links).toHaveLength(1);
    await click(grafana, d, s.links[0].href, (next) => {
      expect({ slice: s.name, total: total(next) }).toEqual({ slice: s.name, total: s.numeric });
    });
  }

  test.each([
    ['a real value "other"', 0],
    ['"(none)", the tickets without a region', 1],
  ])('%s', async (_, row) => clickSlice(row));

  // The "what changed" tables link their values too: the same values must arrive whole.
  test.each(['other', '(none)', 'Paris, FR', 'a|b'])('"what changed" by region: %s', async (value) => {
    const movers = d.panels.find((p) => p.repeatValue === 'region')!;
    const t = table(movers);
    const row = t.rows.findIndex((r) => r[0] === value);
    expect(row).toBeGreaterThanOrEqual(0);
    const links = t.links(row, t.columns[0]);
    expect(links).toHaveLength(1);
    await click(grafana, d, links[0].href, (next) => {
      expect({ value, total: total(next) }).toEqual({ value, total: regions.find(([r]) => label(r) === value)![1] });
    });
  });

  test.each([
    ['"Paris, FR", a value with a comma (defect 3)', 2],
    ['"a|b", a value with a pipe (defect 3)', 3],
    ['the rest, the last slice "other" (defect 2)', 10],
  ])('%s', async (_, row) => clickSlice(row));

  test('the rest of a numeric facet ("other" of severity with the top two shown)', async () => {
    const variant = structuredClone(overview);
    const sev = variant.panels.find((p) => p.title === 'By severity')!;
    sev.targets![0].top = 2;
    const from = end - 6 * HOUR;
    const d = await openDashboard(grafana, variant, { search: dashboardSearch(variant, { from, to: end }) });
    try {
      const slices = displayValues(panel(d, /^By severity$/));
      const rest = slices[slices.length - 1];
      const truth = countBy(tickets, inRange(from, end), (t) => t.severity);
      const shown = slices.slice(0, 2).reduce((n, s) => n + s.numeric, 0);
      expect(rest.numeric).toBe([...truth.values()].reduce((a, b) => a + b, 0) - shown);
      await click(grafana, d, rest.links[0].href, (next) => {
        for (const p of next.panels) {
          expect({ panel: p.title, state: p.data.state }).toEqual({ panel: p.title, state: LoadingState.Done });
        }
        expect(total(next)).toBe(rest.numeric);
      });
    } finally {
      d.close();
    }
  });

  test('the breakdown frame marks "(none)" and the rest apart from real values of those names', async () => {
    const d = await openDashboard(grafana, overview, { search: dashboardSearch(overview, window) });
    try {
      const [frame] = frames(panel(d, /^By region$/));
      const kind = frame.fields.find((f) => f.name === 'bucket');
      expect(kind).toBeDefined();
      const value = frame.fields[0].values as string[];
      const kinds = value.map((_, i) => kind!.display!(kind!.values[i]).text);
      expect(value.map((v, i) => [v, kinds[i]])).toEqual([
        ['other', 'value'],
        ['(none)', 'none'],
        ...regions.slice(2, 10).map(([r]) => [r, 'value']),
        ['other', 'rest'],
      ]);
    } finally {
      d.close();
    }
  });
});

describe('defect 4: the Ticket dashboard shows the whole ticket as a user reads it', () => {
  const newest = tickets.filter(inRange(end - 6 * HOUR, end)).reduce((a, b) => (b.created > a.created ? b : a));

  test('times as dates, no "Search match", the ticket system one click away', async () => {
    const d = await openDashboard(grafana, ticketBoard, {
      search: dashboardSearch(ticketBoard, { from: end - 6 * HOUR, to: end, values: { ticket: newest.id } }),
    });
    try {
      const summary = table(d.panels[0]);
      expect(summary.columns).not.toContain('Search match');
      expect(summary.rows).toHaveLength(1);
      const record = table(panel(d, /^All fields$/));
      // One line per field; the key heads the value column (the transpose takes its first field
      // as the header).
      expect(record.columns).toEqual(['Field', newest.id]);
      const rows = new Map(record.rows.map((r) => [r[0], r[1]]));
      expect([...rows.keys()]).not.toContain('Search match');
      const iso = (ms: number) =>
        new Date(ms)
          .toISOString()
          .replace('T', ' ')
          .replace(/\.\d+Z$/, '');
      expect(rows.get('Created')).toBe(iso(newest.created));
      expect(rows.get('Updated')).toBe(iso(newest.updated!));
      expect(rows.get('Title')).toBe(newest.title);
      expect(rows.get('Description')).toBe(newest.description);
      expect(panelLinks(panel(d, /^All fields$/))).toEqual([
        { title: `Open ${newest.id} in the ticket system`, href: `https://tickets.example.com/browse/${newest.id}` },
      ]);
    } finally {
      d.close();
    }
  });
});

describe('defect 5: the dashboards work with a Spacetime data source added in the UI', () => {
  const other = ready.datasources.find((d) => !d.provisioned)!;
  const otherTickets = loadTickets(other);
  const otherEnd = Date.parse(other.dataset.end);

  test('every panel, link and download follows the chosen data source', async () => {
    const from = otherEnd - 6 * HOUR;
    const search = dashboardSearch(overview, { from, to: otherEnd, values: { datasource: other.uid } });
    const before = grafana.backendSrv.requests.length;
    const d = await openDashboard(grafana, overview, { search });
    try {
      const uids = new Set(
        grafana.backendSrv.requests
          .slice(before)
          .filter((r) => r.url.startsWith('/api/ds/query'))
          .flatMap((r) =>
            (r.body as { queries: Array<{ datasource: { uid: string } }> }).queries.map((q) => q.datasource.uid)
          )
      );
      expect([...uids]).toEqual([other.uid]);
      expect(total(d)).toBe(count(otherTickets, inRange(from, otherEnd)));
      for (const l of panelLinks(panel(d, /^Tickets$/))) {
        expect(l.href.startsWith(`/api/datasources/uid/${other.uid}/resources/export?`)).toBe(true);
      }
      const slice = displayValues(panel(d, /^By severity$/))[0];
      await click(grafana, d, slice.links[0].href, (next) => {
        expect(next.variable('datasource').getValue()).toBe(other.uid);
        expect(total(next)).toBe(
          count(
            otherTickets,
            and(inRange(from, otherEnd), (t) => label(t.severity) === slice.name)
          )
        );
      });
    } finally {
      d.close();
    }
  });
});

describe('defect 6: a bad filter expression shows its error once and the other panels keep answering', () => {
  test('a typo in the Filter expression box', async () => {
    const from = end - 6 * HOUR;
    const d = await openDashboard(grafana, overview, {
      search: dashboardSearch(overview, { from, to: end, values: { filter: 'service = ' } }),
    });
    try {
      const failed = d.panels.filter((p) => p.data.state === LoadingState.Error);
      expect(failed.map((p) => p.title)).toEqual(['Tickets in range']);
      expect(failed[0].data.errors?.[0].message).toMatch(/filter expression/i);
      expect(failed[0].data.errors?.[0].message).toMatch(/position|column|at /i);
      for (const p of d.panels.filter((v) => v !== failed[0])) {
        expect({ panel: p.title, errors: p.data.errors }).toEqual({ panel: p.title, errors: undefined });
        // The panel says, in its header's notices, that the expression is not applied; it does
        // not repeat the error.
        const notices = p.data.series.flatMap((f) => f.meta?.notices ?? []).map((n) => n.text);
        expect({ panel: p.title, notices: notices.filter((n) => /filter expression/.test(n)) }).toEqual({
          panel: p.title,
          notices: ['The filter expression is not applied: it has an error, shown where it is checked.'],
        });
      }
      // The others answer without the expression: "Open now" counts every open ticket.
      expect(displayValues(panel(d, /^Open now$/))[0].numeric).toBe(
        count(
          tickets,
          and(inRange(from, end), (t) => t.resolved === null)
        )
      );
    } finally {
      d.close();
    }
  });
});

describe('defect 7: the ad hoc key picker offers keys whose values can be listed', () => {
  test('no time columns; every key offered lists its values; a display name works as a key', async () => {
    const d = await openDashboard(grafana, overview, {
      search: dashboardSearch(overview, { from: end - 6 * HOUR, to: end }),
    });
    try {
      const filters = d.variable<AdHocFiltersVariable>('filters');
      const keys = (await filters._getKeys(null)).map((k) => String(k.value));
      for (const time of ['created', 'updated', 'resolved']) {
        expect(keys).not.toContain(time);
      }
      for (const key of [...keys, 'Service']) {
        const values = await filters._getValuesFor({ key, operator: '=', value: '' });
        expect({ key, error: filters.state.error, some: values.length > 0 }).toEqual({
          key,
          error: undefined,
          some: true,
        });
      }
      const byTitle = (await filters._getValuesFor({ key: 'Service', operator: '=', value: '' })).map((v) => v.value);
      const byName = (await filters._getValuesFor({ key: 'service', operator: '=', value: '' })).map((v) => v.value);
      expect(byTitle).toEqual(byName);
    } finally {
      d.close();
    }
  });
});
