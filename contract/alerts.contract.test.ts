// The provisioned alert rules (provisioning/alerting/*.yml) as Grafana alerting runs them: no
// frontend code runs for an alert, so each rule's data source query is sent exactly as the file
// stores it, at the times an evaluation would, and the rule's reduce and threshold expressions
// are applied to the answer. The value must equal the one counted from the data set, the
// "Ticket spike" rule must fire at the data set's busiest minute and no rule at an ordinary one.
// The spike rule's second data query (D, a localize summary) is what its notification names
// the culprit from: one number whose labels are read by the rule's template as $values.D. Its
// labels and value are checked here against the data set; pkg/binaryhost's
// TestSpikeRuleNamesTheCulprit renders the template itself with Go's text/template.

import { DataFrameJSON, FieldType, dataFrameFromJSON } from '@grafana/data';
import { readFileSync, readdirSync } from 'fs';
import path from 'path';
import { parse } from 'yaml';

import { DataSource } from '../src/datasource';
import { REPO, readReady } from './harness/bridge';
import { loadDashboard, openDashboard } from './harness/dashboard';
import { installGrafana } from './harness/grafana';
import { Predicate, Ticket, count, field, inRange, label, loadTickets } from './harness/truth';
import { filtersOf, target } from './harness/urls';

const ready = readReady();
const grafana = installGrafana(ready);
const provisioned = ready.datasources.find((d) => d.provisioned)!;
const tickets = loadTickets(provisioned);
const end = Date.parse(provisioned.dataset.end);
const MINUTE = 60e3;

interface AlertQuery {
  refId: string;
  queryType: string;
  relativeTimeRange: { from: number; to: number };
  datasourceUid: string;
  model: Record<string, unknown>;
}

interface AlertRule {
  uid: string;
  title: string;
  condition: string;
  data: AlertQuery[];
  dashboardUid: string;
  panelId: number;
  annotations: Record<string, string>;
  labels: Record<string, string>;
}

const dir = path.join(REPO, 'provisioning', 'alerting');
const rules: AlertRule[] = readdirSync(dir)
  .filter((f) => /\.ya?ml$/.test(f))
  .flatMap((f) => (parse(readFileSync(path.join(dir, f), 'utf8')) as { groups: Array<{ rules: AlertRule[] }> }).groups)
  .flatMap((g) => g.rules);

/** The minutes, a day or more into the data set, whose last ten minutes hold the most tickets, and the median one. */
function busiestAndOrdinaryMinute(): [number, number] {
  const span = 7 * 24 * 60 * MINUTE;
  const perMinute = new Map<number, number>();
  for (const t of tickets) {
    const m = Math.floor(t.created / MINUTE) * MINUTE;
    perMinute.set(m, (perMinute.get(m) ?? 0) + 1);
  }
  const minutes: Array<[number, number]> = [];
  for (let m = end - span + 25 * 60 * MINUTE; m < end; m += MINUTE) {
    let n = 0;
    for (let i = 1; i <= 10; i++) {
      n += perMinute.get(m - i * MINUTE) ?? 0;
    }
    minutes.push([m, n]);
  }
  minutes.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  return [minutes[0][0], minutes[Math.floor(minutes.length / 2)][0]];
}

const [busiest, ordinary] = busiestAndOrdinaryMinute();

/** The rule's data source queries, which alerting sends to the plugin as the file stores them. */
function dataQueries(rule: AlertRule): AlertQuery[] {
  const qs = rule.data.filter((q) => q.datasourceUid !== '__expr__');
  for (const q of qs) {
    expect(q.datasourceUid).toBe(provisioned.uid);
  }
  return qs;
}

/** The query the condition is computed from (A): the spike measure. */
function spikeQuery(rule: AlertRule): AlertQuery {
  const qs = dataQueries(rule).filter((q) => q.queryType === 'spike');
  expect(qs).toHaveLength(1);
  return qs[0];
}

/** A number of a numeric frame and its labels, as $values.X holds it in an alert template. */
interface Captured {
  value: number;
  labels: Record<string, string>;
}

interface Evaluation {
  value: number;
  fires: boolean;
  /** The numbers of the data queries other than the spike's, by refId ($values.D...). */
  numbers: Record<string, Captured>;
}

/**
 * evaluate runs the rule at a time: its data queries over the relative time range ending then,
 * with the models' intervalMs and maxDataPoints, in one request through Grafana's query API
 * (alerting sends a rule's queries of one data source together: executeDSNodesGrouped in
 * Grafana's pkg/expr/nodes.go); then the expressions. Only the two the rules use are known
 * here: reduce "last" (the series' last value, ReduceLast in Grafana's pkg/expr/mathexp/reduce.go)
 * and a threshold "gt" (value > param, pkg/expr/threshold.go); any other fails the test rather
 * than being guessed.
 */
async function evaluate(rule: AlertRule, at: number): Promise<Evaluation> {
  const qs = dataQueries(rule);
  const range = qs[0].relativeTimeRange;
  for (const q of qs) {
    // The query API takes one range a request; the rules' queries share theirs.
    expect(q.relativeTimeRange).toEqual(range);
  }
  const res = await fetch(`${ready.url}/api/ds/query`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      from: String(at - range.from * 1000),
      to: String(at - range.to * 1000),
      queries: qs.map((q) => ({ ...q.model, refId: q.refId })),
    }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { results: Record<string, { frames?: DataFrameJSON[]; error?: string }> };
  const numbers: Record<string, Captured> = {};
  for (const q of qs) {
    // An error, no frame or a frame without fields is "no data" for alerting, and one such
    // query makes the whole rule NoData (IsNoData in Grafana's pkg/services/ngalert/eval/eval.go).
    const result = body.results[q.refId];
    expect(result.error).toBeUndefined();
    expect(result.frames?.length ?? 0).toBeGreaterThan(0);
    if (q.queryType !== 'spike') {
      numbers[q.refId] = oneNumber(result.frames!.map(dataFrameFromJSON));
    }
  }
  const spike = spikeQuery(rule);
  const frames = (body.results[spike.refId].frames ?? []).map(dataFrameFromJSON);
  // What alerting accepts from a data source: dataplane time series, a time field then numbers,
  // one series here, so one alert instance.
  const series = frames.flatMap((f) => {
    expect(['timeseries-wide', 'timeseries-multi']).toContain(f.meta?.type);
    expect(f.meta?.typeVersion).toBeDefined();
    expect(f.fields[0].type).toBe(FieldType.time);
    return f.fields.slice(1);
  });
  expect(series).toHaveLength(1);
  expect(series[0].type).toBe(FieldType.number);
  const values = series[0].values as number[];
  expect(values.every((v) => Number.isFinite(v))).toBe(true);

  let value = NaN;
  for (const e of rule.data.filter((d) => d.datasourceUid === '__expr__')) {
    const m = e.model as {
      type: string;
      reducer?: string;
      expression: string;
      conditions?: Array<{ evaluator: { type: string; params: number[] } }>;
    };
    if (m.type === 'reduce') {
      expect({ ref: m.expression, reducer: m.reducer }).toEqual({ ref: spike.refId, reducer: 'last' });
      value = values[values.length - 1];
    } else if (m.type === 'threshold') {
      expect(m.conditions).toHaveLength(1);
      expect(m.conditions![0].evaluator.type).toBe('gt');
      expect(e.refId).toBe(rule.condition);
      return { value, fires: value > m.conditions![0].evaluator.params[0], numbers };
    } else {
      throw new Error(`rule ${rule.title}: expression type ${m.type} is not one this test evaluates`);
    }
  }
  throw new Error(`rule ${rule.title} has no threshold`);
}

/**
 * oneNumber reads a query's answer as Grafana's expressions read a numeric-wide frame (the
 * dataplane numeric reader, handleDataplaneNumeric in pkg/expr/dataplane.go): each number field
 * one number with its labels. A template keeps one number a query (extractValues, eval.go), so
 * the answer must be exactly one.
 */
function oneNumber(frames: ReturnType<typeof dataFrameFromJSON>[]): Captured {
  expect(frames).toHaveLength(1);
  const f = frames[0];
  expect(f.meta?.type).toBe('numeric-wide');
  expect(f.meta?.typeVersion).toEqual([0, 1]);
  const numbers = f.fields.filter((x) => x.type === FieldType.number);
  expect(numbers).toHaveLength(1);
  expect(numbers[0].values).toHaveLength(1);
  const value = numbers[0].values[0] as number;
  expect(Number.isFinite(value)).toBe(true);
  return { value, labels: { ...(numbers[0].labels ?? {}) } };
}

/** The tickets of the combination a summary's cause label names (service=checkout region=us-east-1). */
function inCause(cause: string): Predicate {
  const terms = cause.split(' ').map((term) => {
    const i = term.indexOf('=');
    // The generator's values hold no space, quote or "=", so the label writes them bare.
    return { key: term.slice(0, i), value: term.slice(i + 1) };
  });
  return (t) => terms.every(({ key, value }) => label(field(t, key)) === value);
}

/** expected is the rule's measure at a time, counted from the data set. */
function expected(rule: AlertRule, at: number): number {
  const m = spikeQuery(rule).model as { filter?: string; window: string; baseline: string; series: string[] };
  const minutes = (d: string) => ({ m: 1, h: 60, d: 1440 })[d.slice(-1) as 'm' | 'h' | 'd'] * Number(d.slice(0, -1));
  const keep: Predicate = (() => {
    switch (m.filter ?? '') {
      case '':
        return () => true;
      case 'severity <= 1':
        return (t: Ticket) => (t.severity ?? Infinity) <= 1;
    }
    throw new Error(`filter ${m.filter}: teach the test to count it`);
  })();
  const window = minutes(m.window) * MINUTE;
  const baseline = minutes(m.baseline) * MINUTE;
  const recent = count(tickets, (t) => keep(t) && inRange(at - window, at)(t));
  const before = count(tickets, (t) => keep(t) && inRange(at - window - baseline, at - window)(t));
  expect(m.series).toHaveLength(1);
  switch (m.series[0]) {
    case 'rate':
      return recent / (window / MINUTE);
    case 'ratio':
      return recent / Math.max((before * window) / baseline, 1);
  }
  throw new Error(`series ${m.series}: teach the test to compute it`);
}

test('the rules are provisioned', () => {
  expect(rules.map((r) => r.title)).toEqual(['Ticket spike', 'Sev-1 burst']);
});

describe.each(rules)('alert rule $title', (rule) => {
  test('links back to the overview, and Grafana leaves its text alone', () => {
    expect([rule.dashboardUid, rule.panelId]).toEqual(['spacetime-overview', 6]);
    const t = target(rule.annotations.overview);
    expect(t.uid).toBe('spacetime-overview');
    expect(t.params.get('from')).not.toBeNull();
    // Grafana's provisioning replaces $X and ${X} in labels and ${X} in annotations with
    // environment variables (pkg/services/provisioning/alerting/rules_types.go).
    for (const v of Object.values(rule.labels)) {
      expect(v).not.toContain('$');
    }
    for (const v of Object.values(rule.annotations)) {
      expect(v).not.toContain('${');
    }
  });

  test('its overview link opens the overview with filters on fields of the schema', async () => {
    const d = await openDashboard(grafana, loadDashboard('dashboards/spacetime-overview.json'), {
      search: target(rule.annotations.overview).search,
    });
    try {
      const schema = await ((await grafana.dataSourceSrv.get(provisioned.uid)) as DataSource).getSchema();
      const names = schema.columns.map((c) => c.name);
      for (const f of filtersOf(d)) {
        expect(names).toContain(f.key);
      }
      expect(rule.title !== 'Sev-1 burst' || filtersOf(d).some((f) => f.key === 'severity')).toBe(true);
    } finally {
      d.close();
    }
  });

  test.each([
    ['the busiest minute', busiest],
    ['an ordinary minute', ordinary],
  ])('at %s, the value is the one counted from the data set', async (what, at) => {
    const { value, fires } = await evaluate(rule, at);
    expect(value).toBeCloseTo(expected(rule, at), 9);
    if (at === ordinary) {
      expect({ what, fires }).toEqual({ what, fires: false });
    }
    if (at === busiest && rule.title === 'Ticket spike') {
      expect({ what, fires }).toEqual({ what, fires: true });
    }
  });
});

describe('the Ticket spike rule names the culprit', () => {
  const rule = rules.find((r) => r.title === 'Ticket spike')!;
  const window = 10 * MINUTE;

  test('its culprit query is a localize summary outside the condition, read by the annotations', () => {
    const culprit = dataQueries(rule).filter((q) => q.queryType === 'localize');
    expect(culprit).toHaveLength(1);
    expect(culprit[0].model).toMatchObject({ queryType: 'localize', summary: true, baseline: '24h' });
    // Not among the dimensions: status, a lifecycle column of the default schema.
    expect(culprit[0].model.dimensions).not.toContain('status');
    // The condition is computed from A alone: the culprit cannot change the alert instance.
    const exprs = rule.data.filter((d) => d.datasourceUid === '__expr__');
    expect(exprs.map((e) => (e.model as { expression: string }).expression)).not.toContain(culprit[0].refId);
    for (const a of ['summary', 'description']) {
      expect(rule.annotations[a]).toContain(`$values.${culprit[0].refId}`);
    }
  });

  test.each([
    ['the busiest minute', busiest],
    ['an ordinary minute', ordinary],
  ])("at %s, its number and labels are the data set's", async (_, at) => {
    const { numbers } = await evaluate(rule, at);
    const refs = Object.keys(numbers);
    expect(refs).toHaveLength(1);
    const { value, labels } = numbers[refs[0]];
    const inWindow = inRange(at - window, at);
    const n = count(tickets, inWindow);
    expect(labels.tickets).toBe(String(n));
    expect(['localized', 'spread', 'no rise']).toContain(labels.verdict);
    if (labels.cause === undefined) {
      expect(labels.verdict).not.toBe('localized');
      expect(value).toBe(0);
      return;
    }
    expect(labels.verdict).toBe('localized');
    // The value is the share of the window's tickets in the cause, in percent.
    const inside = count(tickets, (t) => inWindow(t) && inCause(labels.cause)(t));
    expect(value).toBeCloseTo((100 * inside) / n, 9);
  });

  test("at the busiest minute, inside a planned outage, it names the outage's service and region", async () => {
    const outage = provisioned.dataset.planned.find(
      (o) => Date.parse(o.start) < busiest && busiest <= Date.parse(o.end)
    );
    // The busiest ten minutes of the generated week are one of its planned outages.
    expect(outage).toBeDefined();
    const { fires, numbers } = await evaluate(rule, busiest);
    expect(fires).toBe(true);
    const cause = Object.values(numbers)[0].labels.cause ?? '';
    expect(cause.split(' ')).toEqual(
      expect.arrayContaining([`service=${outage!.service}`, `region=${outage!.region}`])
    );
  });
});
