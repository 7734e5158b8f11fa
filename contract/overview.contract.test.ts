// The overview dashboard as a user sees it, in four states a responder is likely in: every panel
// of dashboards/spacetime-overview.json run through scenes, src/datasource.ts and the plugin
// binary, drawn by @grafana/data, and compared with counts made from the data set itself. Clicks
// are followed: the link's URL is read back by scenes' URL sync and the next state must count
// exactly what was clicked.

import {
  AdHocVariableFilter,
  LinkModel,
  LoadingState,
  fieldMatchers,
  findHighlightChunksInText,
  textUtil,
} from '@grafana/data';

import { readReady } from './harness/bridge';
import { OpenDashboard, PanelView, loadDashboard, openDashboard } from './harness/dashboard';
import { Shown, bars, displayValues, frames, panelLinks, seriesNames, table } from './harness/display';
import { installGrafana } from './harness/grafana';
import { Predicate, and, count, countBy, field, inRange, label, loadTickets } from './harness/truth';
import { click, dashboardSearch, filtersOf, target } from './harness/urls';

const ready = readReady();
const grafana = installGrafana(ready);
const provisioned = ready.datasources.find((d) => d.provisioned)!;
const tickets = loadTickets(provisioned);
const end = Date.parse(provisioned.dataset.end);
const HOUR = 3600e3;
const overview = loadDashboard('dashboards/spacetime-overview.json');

interface Scenario {
  name: string;
  hours: number;
  filters: AdHocVariableFilter[];
  values: Record<string, string | string[]>;
  /** What the filters select, written by hand (the filter language is not parsed here). */
  keep: Predicate;
}

function topService(from: number, to: number): string {
  const counts = [...countBy(tickets, inRange(from, to), (t) => t.service).entries()];
  counts.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return counts[0][0];
}

const top = topService(end - HOUR, end);
const scenarios: Scenario[] = [
  { name: 'last 6 hours, no filter', hours: 6, filters: [], values: {}, keep: () => true },
  {
    name: 'last hour, a clicked service',
    hours: 1,
    filters: [{ key: 'service', operator: '=', value: top }],
    values: {},
    keep: (t) => t.service === top,
  },
  {
    name: 'last 24 hours, a regex, one-of and negation, a union expression, a search, other columns',
    hours: 24,
    filters: [
      // A backslash in a regular expression, and the URL format's own separators in none.
      { key: 'region', operator: '=~', value: '^(eu|us)-\\w+-\\d$' },
      { key: 'severity', operator: '=|', value: '1', values: ['1', '2', '3'] },
      { key: 'status', operator: '!=', value: 'resolved' },
    ],
    values: {
      filter: `(service = "${top}" or category != "Network") and not (severity > 2 and region =~ "^eu-")`,
      search: 'latency',
      stack: 'service',
      columns: ['created', 'id', 'title', 'severity', 'service', 'updated'],
      changed: ['service', 'region', 'assignee_group'],
    },
    keep: (t) =>
      /^(eu|us)-\w+-\d$/.test(t.region ?? '') &&
      [1, 2, 3].includes(t.severity ?? 0) &&
      t.status !== 'resolved' &&
      (t.service === top || t.category !== 'Network') &&
      !((t.severity ?? 0) > 2 && /^eu-/.test(t.region ?? '')),
  },
  { name: 'last 7 days, a search', hours: 7 * 24, filters: [], values: { search: 'disk' }, keep: () => true },
];

function panel(d: OpenDashboard, title: RegExp): PanelView {
  const p = d.panels.find((v) => title.test(v.title));
  if (!p) {
    throw new Error(`no panel titled ${title} among ${d.panels.map((v) => v.title).join(' | ')}`);
  }
  return p;
}

function panels(d: OpenDashboard, type: string): PanelView[] {
  return d.panels.filter((p) => p.json.type === type);
}

/** The field a breakdown panel charts, from its query (a variable in it is resolved by the panel). */
function chartedField(p: PanelView): string {
  return p.panel.interpolate(String(p.json.targets![0].field));
}

/** expectBreakdown checks slices or bars against the truth: each shown value's count, "other" the rest. */
function expectBreakdown(shown: Shown[], truth: Map<string, number>, what: string) {
  const total = [...truth.values()].reduce((a, b) => a + b, 0);
  const named = shown.filter((s) => s.name !== 'other');
  for (const s of named) {
    expect({ what, value: s.name, count: s.numeric }).toEqual({ what, value: s.name, count: truth.get(s.name) });
  }
  const rest = total - named.reduce((a, s) => a + s.numeric, 0);
  const other = shown.find((s) => s.name === 'other');
  expect({ what, other: other?.numeric ?? 0 }).toEqual({ what, other: rest });
  // The values shown are the most frequent ones: none left out counts more than one shown.
  const least = Math.min(...named.map((s) => s.numeric));
  for (const [v, n] of truth) {
    if (!named.some((s) => s.name === v)) {
      expect({ what, leftOut: v, count: n <= least }).toEqual({ what, leftOut: v, count: true });
    }
  }
}

function onlyLink(links: LinkModel[], what: string): LinkModel {
  expect({ what, links: links.length }).toEqual({ what, links: 1 });
  return links[0];
}

/**
 * Grafana 13, with the @braintree/sanitize-url 7.1 that @grafana/data 13 allows, percent-decodes
 * the URL of every link before it is followed (getLinksSupplier and LinkSrv call
 * locationUtil.processUrl / textUtil.sanitizeUrl, and sanitizeUrl 7.1 runs decodeURIComponent on
 * the whole URL). A "+" in a filter value then reads back as a space ("&" and "#" would cut the
 * URL): the filters of a state that holds one do not survive a click or a download. That is
 * Grafana's doing, for every data source; the cases are marked failing where the running
 * @grafana/data decodes, so that the suite says so the day it stops.
 */
const linksDecoded = textUtil.sanitizeUrl('/d/x?v=%2B') !== '/d/x?v=%2B';

describe.each(scenarios)('overview, $name', (sc) => {
  const linkTest = linksDecoded && sc.filters.some((f) => /[+&#%]/.test(f.value)) ? test.failing : test;
  const from = end - sc.hours * HOUR;
  const to = end;
  const keep = and(inRange(from, to), sc.keep);
  let d: OpenDashboard;

  beforeAll(async () => {
    d = await openDashboard(grafana, overview, {
      search: dashboardSearch(overview, { from, to, filters: sc.filters, values: sc.values }),
    });
  });
  afterAll(() => d.close());

  test('every panel answers, in the frame shape its panel reads', () => {
    const shapes: Record<string, string[]> = {
      timeseries: ['timeseries-wide', 'timeseries-multi'],
      piechart: ['numeric-long'],
      barchart: ['numeric-long'],
      stat: ['numeric-wide'],
      logs: ['log-lines'],
      table: ['table', 'numeric-long'],
    };
    for (const p of d.panels) {
      for (const f of p.data.series) {
        const type = f.meta?.type ?? '';
        expect({ panel: p.title, type }).toEqual({
          panel: p.title,
          type: shapes[p.json.type].includes(type) ? type : shapes[p.json.type].join(' or '),
        });
      }
      expect({ panel: p.title, state: p.data.state, errors: p.data.errors?.map((e) => e.message) }).toEqual({
        panel: p.title,
        state: LoadingState.Done,
        errors: undefined,
      });
      expect({ panel: p.title, frames: p.data.series.length > 0 }).toEqual({ panel: p.title, frames: true });
    }
  });

  test('every field override of every panel matches a field of its answer', () => {
    for (const p of d.panels) {
      for (const o of p.json.fieldConfig.overrides) {
        const match = fieldMatchers.get(o.matcher.id).get(o.matcher.options);
        const hits = p.data.series.flatMap((f) => f.fields.filter((field) => match(field, f, p.data.series)));
        expect({ panel: p.title, matcher: o.matcher, hits: hits.length > 0 }).toEqual({
          panel: p.title,
          matcher: o.matcher,
          hits: true,
        });
      }
    }
  });

  test('no variable reference is left in what was sent, titles or links', () => {
    const unresolved = /\$\{[^}]*\}|\[\[\w+\]\]|\$(?!\d)\w+/;
    for (const r of grafana.backendSrv.requests.filter((q) => q.url.startsWith('/api/ds/query'))) {
      for (const q of (r.body as { queries: Array<Record<string, unknown>> }).queries) {
        const { filter, ...rest } = q;
        expect({ query: rest, leftover: unresolved.exec(JSON.stringify(rest))?.[0] }).toEqual({
          query: rest,
          leftover: undefined,
        });
        expect(String(filter ?? '')).not.toMatch(/\$\{/);
      }
    }
    for (const p of d.panels) {
      expect(p.title).not.toMatch(unresolved);
      const links = [
        ...panelLinks(p).map((l) => l.href),
        ...frames(p).flatMap((f) =>
          f.fields.flatMap((field) =>
            field.getLinks && f.length > 0 ? field.getLinks({ valueRowIndex: 0 }).map((l) => l.href) : []
          )
        ),
      ];
      for (const href of links) {
        expect({ panel: p.title, href, leftover: unresolved.exec(decodeURIComponent(href))?.[0] }).toEqual({
          panel: p.title,
          href,
          leftover: undefined,
        });
      }
    }
  });

  test('the stats count the tickets of the filters', () => {
    const total = count(tickets, keep);
    expect(displayValues(panel(d, /^Tickets in range$/)).map((s) => [s.name, s.numeric])).toEqual([
      ['Tickets in range', total],
    ]);
    expect(displayValues(panel(d, /^Open now$/)).map((s) => [s.name, s.numeric])).toEqual([
      [
        'Open now',
        count(
          tickets,
          and(keep, (t) => t.resolved === null)
        ),
      ],
    ]);
    const usual = count(tickets, and(inRange(from - 24 * HOUR, from), sc.keep));
    const rate = displayValues(panel(d, /^Tickets per minute/));
    expect(rate.map((s) => s.name)).toEqual(['Tickets per minute', 'Usual tickets per minute']);
    expect(rate[0].numeric).toBeCloseTo(total / (sc.hours * 60), 9);
    expect(rate[1].numeric).toBeCloseTo(usual / (24 * 60), 9);
    // The panel shows one decimal (decimals: 1), as the stat's display processor formats it.
    expect(rate.map((s) => s.text.split('.')[1]?.length)).toEqual([1, 1]);
  });

  test('the rate against the usual rate is the spike measure at each point', () => {
    const p = panel(d, /^Rate against the usual rate$/);
    expect(seriesNames(p)).toEqual(['Tickets per minute, last 10m', 'Usual tickets per minute, 1d before']);
    const [frame] = frames(p);
    const times = frame.fields[0].values as number[];
    const window = 10 * 60e3;
    for (const i of [0, Math.floor(times.length / 2), times.length - 1]) {
      const t = times[i];
      const recent = count(tickets, and(inRange(t - window, t), sc.keep));
      expect({ at: t, rate: frame.fields[1].values[i] }).toEqual({ at: t, rate: expect.closeTo(recent / 10, 9) });
    }
  });

  test('the counts over time add up to the tickets of each stacked value', () => {
    const p = panel(d, /^Tickets over time, by /);
    const stack = String(sc.values.stack ?? 'severity');
    expect(p.title).toBe(`Tickets over time, by ${stack}`);
    const truth = countBy(tickets, keep, (t) => field(t, stack));
    const [frame] = frames(p);
    const shown: Shown[] = frame.fields.slice(1).map((f, i) => ({
      name: seriesNames(p)[i],
      text: '',
      numeric: (f.values as number[]).reduce((a, b) => a + (b ?? 0), 0),
      links: [],
    }));
    expectBreakdown(shown, truth, p.title);
  });

  test('the pie charts name each slice and legend entry after its value and count it', () => {
    const pies = panels(d, 'piechart');
    expect(pies.length).toBeGreaterThan(0);
    for (const p of pies) {
      const f = chartedField(p);
      expectBreakdown(
        displayValues(p),
        countBy(tickets, keep, (t) => field(t, f)),
        p.title
      );
    }
  });

  test('the bar charts name each bar after its value and count it', () => {
    const charts = panels(d, 'barchart');
    expect(charts.length).toBeGreaterThan(0);
    for (const p of charts) {
      const f = chartedField(p);
      expectBreakdown(
        bars(p),
        countBy(tickets, keep, (t) => field(t, f)),
        p.title
      );
    }
  });

  test('each "what changed" table lists values of its field with their counts, the baseline and filter hidden', () => {
    const movers = d.panels.filter((p) => p.json.repeat);
    const changed = ([] as string[]).concat(sc.values.changed ?? ['service', 'region', 'category']);
    expect(movers.map((p) => p.repeatValue)).toEqual(changed);
    for (const p of movers) {
      expect(p.title).toBe(`What changed: ${p.repeatValue}`);
      const t = table(p);
      expect(t.hidden).toEqual(['Tickets before', 'Ad hoc filter']);
      const truth = countBy(tickets, keep, (tk) => field(tk, p.repeatValue!));
      const current = t.columns.indexOf('Tickets now');
      expect(current).toBeGreaterThan(0);
      t.rows.forEach((row, i) => {
        expect({ value: row[0], current: t.raw(i, 'Tickets now') }).toEqual({
          value: row[0],
          current: truth.get(row[0]),
        });
      });
    }
  });

  test('the ticket table shows the chosen columns of the newest tickets, the match field hidden', () => {
    const p = panel(d, /^Tickets$/);
    const t = table(p);
    const total = count(tickets, keep);
    expect(t.rows.length).toBe(Math.min(500, total));
    const titles: Record<string, string> = {
      id: 'Ticket',
      severity: 'Sev',
      title: 'Title',
      status: 'Status',
      service: 'Service',
      region: 'Region',
      category: 'Category',
      assignee_group: 'Assignee group',
      created: 'Created',
      updated: 'Updated',
    };
    const chosen = ([] as string[]).concat(
      sc.values.columns ?? [
        'id',
        'severity',
        'title',
        'status',
        'service',
        'region',
        'category',
        'assignee_group',
        'created',
      ]
    );
    expect(t.columns).toEqual(chosen.map((c) => titles[c]));
    expect(t.hidden).toEqual(['Search match']);
    const ids = new Set(tickets.filter(keep).map((tk) => tk.id));
    const id = t.columns.indexOf('Ticket');
    for (const row of t.rows) {
      expect(ids.has(row[id])).toBe(true);
    }
    const newest = tickets.filter(keep).reduce((a, b) => (b.created > a.created ? b : a));
    expect(t.rows[0][id]).toBe(newest.id);
    // A dimension's cells offer "filter for value" and "filter out value" (field.config.filterable,
    // which the table's cell actions read); a title or a time does not.
    const filterable = t.frame.fields.filter((f) => f.config.filterable).map((f) => f.name);
    const dimensions = ['id', 'severity', 'status', 'service', 'region', 'category', 'assignee_group'];
    expect(filterable).toEqual(chosen.filter((c) => dimensions.includes(c)));
  });

  test('the tables sort by columns they show', () => {
    for (const p of d.panels.filter((v) => v.json.type === 'table')) {
      const sortBy = (p.json.options.sortBy ?? []) as Array<{ displayName: string }>;
      expect(sortBy.length).toBeGreaterThan(0);
      for (const k of sortBy) {
        expect({ panel: p.title, sortBy: k.displayName, shown: table(p).columns.includes(k.displayName) }).toEqual({
          panel: p.title,
          sortBy: k.displayName,
          shown: true,
        });
      }
    }
  });

  test('the feed holds the newest tickets as log lines, the search words marked', () => {
    const p = panel(d, /^Ticket feed$/);
    const [frame] = p.data.series;
    expect(frame.meta?.type).toBe('log-lines');
    expect(frame.length).toBe(Math.min(200, count(tickets, keep)));
    const words = (frame.meta?.custom as { searchWords?: string[] } | undefined)?.searchWords ?? [];
    expect(words.length).toBe(sc.values.search ? String(sc.values.search).split(' ').length : 0);
    if (sc.values.search) {
      // The logs panel highlights each search word in a line with findHighlightChunksInText,
      // which reads the words as regular expressions, (?i) and all (@grafana/data text/text.ts).
      const body = frame.fields.find((f) => f.name === 'body')!;
      const lines = (body.values as string[]).filter((l) => l.toLowerCase().includes(String(sc.values.search)));
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) {
        expect(findHighlightChunksInText({ searchWords: words, textToHighlight: line }).length).toBeGreaterThan(0);
      }
    }
  });

  linkTest('clicking a slice or bar narrows every panel to it, keeping the other filters', async () => {
    for (const p of [...panels(d, 'piechart'), ...panels(d, 'barchart')]) {
      const shown = p.json.type === 'piechart' ? displayValues(p) : bars(p);
      const first = shown.find((s) => s.name !== 'other');
      if (!first) {
        continue;
      }
      const link = onlyLink(first.links, `${p.title} ${first.name}`);
      expect(target(link.href).params.get('from')).not.toBeNull();
      await click(grafana, d, link.href, (next) => {
        const f = chartedField(p);
        expect(filtersOf(next)).toEqual([...sc.filters, { key: f, operator: '=', value: first.name }]);
        // The next state counts exactly the clicked slice.
        expect(displayValues(panel(next, /^Tickets in range$/))[0].numeric).toBe(first.numeric);
        const again = next.panels.find((v) => v.json.id === p.json.id)!;
        const slices = (again.json.type === 'piechart' ? displayValues(again) : bars(again)).map((s) => [
          s.name,
          s.numeric,
        ]);
        expect(slices).toEqual([[first.name, first.numeric]]);
      });
    }
  });

  linkTest('clicking "other" narrows every panel to the values not shown', async () => {
    for (const p of [...panels(d, 'piechart'), ...panels(d, 'barchart')]) {
      const shown = p.json.type === 'piechart' ? displayValues(p) : bars(p);
      const other = shown.find((s) => s.name === 'other');
      if (!other) {
        continue;
      }
      await click(grafana, d, onlyLink(other.links, `${p.title} other`).href, (next) => {
        expect({ panel: p.title, total: displayValues(panel(next, /^Tickets in range$/))[0].numeric }).toEqual({
          panel: p.title,
          total: other.numeric,
        });
      });
    }
  });

  linkTest('clicking a value in "what changed" adds its filter', async () => {
    const p = d.panels.find((v) => v.json.repeat && table(v).rows.length > 0);
    if (!p) {
      return;
    }
    const t = table(p);
    const value = t.rows[0][0];
    const link = onlyLink(t.links(0, t.columns[0]), `${p.title} ${value}`);
    const changed = d.variable('changed').getValue();
    await click(grafana, d, link.href, (next) => {
      expect(filtersOf(next)).toEqual([...sc.filters, { key: p.repeatValue, operator: '=', value }]);
      const expected = count(
        tickets,
        and(keep, (tk) => label(field(tk, p.repeatValue!)) === value)
      );
      expect(displayValues(panel(next, /^Tickets in range$/))[0].numeric).toBe(expected);
      // The other variables survive the click: the repeat's own value is not written over them.
      expect(next.variable('changed').getValue()).toEqual(changed);
    });
  });

  linkTest('clicking a pattern narrows every panel to its tickets, whose titles fit its template', async () => {
    const p = panel(d, /^Patterns$/);
    const t = table(p);
    expect({ panel: p.title, rows: t.rows.length > 0 }).toEqual({ panel: p.title, rows: true });
    // The id is hidden from the table; its filter rides in the row's link.
    const ids = t.frame.fields.find((f) => f.name === 'pattern')!.values;
    const id = String(ids[0]);
    const template = String(t.raw(0, 'Template'));
    const n = Number(t.raw(0, 'Tickets'));
    // Each variable part of a template (<*>) stands for one or more words of a title
    // (docs/patterns-and-localize.md); the rest of the template is the title's own text.
    const fits = new RegExp(
      '^' +
        template
          .split('<*>')
          .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
          .join('.+') +
        '$'
    );
    // The truth holds at least the pattern's tickets among those whose title fits it.
    const fitting = count(
      tickets,
      and(keep, (tk) => fits.test(tk.title))
    );
    expect({ template, fitting: fitting >= n }).toEqual({ template, fitting: true });
    const link = onlyLink(t.links(0, 'Template'), `${p.title} ${template}`);
    await click(grafana, d, link.href, (next) => {
      expect(filtersOf(next)).toEqual([...sc.filters, { key: 'pattern', operator: '=', value: id }]);
      expect(displayValues(panel(next, /^Tickets in range$/))[0].numeric).toBe(n);
      const again = table(panel(next, /^Patterns$/));
      expect(again.rows.map((_, i) => [again.raw(i, 'Template'), Number(again.raw(i, 'Tickets'))])).toEqual([
        [template, n],
      ]);
      // Every ticket listed is one of the data set's in scope, and its title fits the template.
      const listed = table(panel(next, /^Tickets$/));
      const keys = listed.frame.fields.find((f) => f.name === 'id')!.values.map(String);
      expect(keys.length).toBe(Math.min(500, n));
      const byId = new Map(tickets.map((tk) => [tk.id, tk]));
      for (const key of keys) {
        const tk = byId.get(key);
        expect({ key, inScope: tk !== undefined && keep(tk), title: tk?.title }).toEqual({
          key,
          inScope: true,
          title: expect.stringMatching(fits),
        });
      }
    });
  });

  test('a ticket links to the ticket system and to its own dashboard', async () => {
    const t = table(panel(d, /^Tickets$/));
    if (t.rows.length === 0) {
      return;
    }
    const id = t.rows[0][t.columns.indexOf('Ticket')];
    const links = t.links(0, 'Ticket');
    expect(links.map((l) => l.href)).toContain(`https://tickets.example.com/browse/${id}`);
    const own = links.find((l) => l.href.startsWith('/d/spacetime-ticket/'));
    expect(own?.title).toBe(`Show ticket ${id}`);
    await click(grafana, d, own!.href, (next) => {
      expect(next.variable('ticket').getValue()).toBe(id);
      const summary = table(next.panels[0]);
      expect(summary.rows.map((r) => r[summary.columns.indexOf('Ticket')])).toEqual([id]);
    });
  });

  linkTest('the download links export every filtered ticket', async () => {
    const p = panel(d, /^Tickets$/);
    const want = tickets
      .filter(keep)
      .map((tk) => tk.id)
      .sort();
    const links = panelLinks(p);
    expect(links.map((l) => l.title)).toEqual([
      'Download all filtered tickets (TSV)',
      'Download all filtered tickets (CSV)',
    ]);
    for (const l of links) {
      const res = await fetch(ready.url + l.href);
      expect({ link: l.title, status: res.status }).toEqual({ link: l.title, status: 200 });
      const lines = (await res.text()).trimEnd().split('\n');
      const sep = l.href.includes('format=csv') ? ',' : '\t';
      const header = lines[0].split(sep);
      // The table's columns, the key first when they lack it, and the search's match column.
      const columns = ([] as string[]).concat(
        sc.values.columns ?? [
          'id',
          'severity',
          'title',
          'status',
          'service',
          'region',
          'category',
          'assignee_group',
          'created',
        ]
      );
      expect(header).toEqual([
        ...(columns.includes('id') ? [] : ['id']),
        ...columns,
        ...(sc.values.search ? ['match'] : []),
      ]);
      const idCol = header.indexOf('id');
      const got = lines
        .slice(1)
        .map((line) => line.split(sep)[idCol])
        .sort();
      expect({ link: l.title, tickets: got.length }).toEqual({ link: l.title, tickets: want.length });
      expect(got).toEqual(want);
    }
  });
});
