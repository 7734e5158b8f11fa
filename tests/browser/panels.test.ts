// The overview dashboard's ticket table and stat panels, drawn by @grafana/ui from the frames
// the real plugin binary answers (through the bridge and src/datasource.ts), with the panels'
// transformations and field config from the committed dashboard JSON.
import fs from 'fs';
import path from 'path';
import type { Browser } from 'playwright-core';

import type { TicketsQuery } from '../../src/types';
import { Backend, bridgeBackend } from './backend';
import { launch, openPage, SCREENSHOT_DIR, SuitePage, WRITE_SCREENSHOTS } from './harness';
import type { MountResult, PanelJSON, ThemeMode } from './page/spec';

const ROOT = path.resolve(__dirname, '..', '..');

interface Dashboard {
  panels: Array<PanelJSON & { panels?: PanelJSON[] }>;
  templating: { list: Array<{ name: string; current?: { value: string | string[] } }> };
}

const overview = JSON.parse(
  fs.readFileSync(path.join(ROOT, 'dashboards', 'spacetime-overview.json'), 'utf8')
) as Dashboard;

/** Every panel of the dashboard, those inside collapsed rows included. */
const panels: PanelJSON[] = overview.panels.flatMap((p) => [p, ...(p.panels ?? [])]);

const ticketTable = panels.find((p) => p.type === 'table' && p.targets[0]?.queryType === 'tickets');
const statPanels = panels.filter((p) => p.type === 'stat');

/** The value a variable of the dashboard has when it opens. */
function variableValue(name: string): string | string[] {
  const v = overview.templating.list.find((x) => x.name === name);
  if (!v?.current) {
    throw new Error(`the overview has no variable ${name} with a current value`);
  }
  return v.current.value;
}

/**
 * The overview's target as Grafana sends it when the dashboard opens with a search typed: the
 * filter textbox empty, the search textbox holding search, the columns variable at its
 * default. The contract suite interpolates these with scenes; here they are given.
 */
function opened(target: TicketsQuery, search: string): TicketsQuery {
  const columns = variableValue('columns');
  return {
    ...target,
    datasource: undefined,
    filter: target.filter === undefined ? undefined : '',
    viewerFilter: target.viewerFilter === undefined ? undefined : '',
    search: target.search === undefined ? undefined : search,
    columns: target.columns === undefined ? undefined : Array.isArray(columns) ? columns : [columns],
  };
}

type RGBA = [number, number, number, number];

function parseColour(css: string): RGBA {
  const m = /rgba?\(([^)]+)\)/.exec(css);
  if (!m) {
    throw new Error(`not a computed colour: ${css}`);
  }
  const [r, g, b, a] = m[1].split(',').map((x) => parseFloat(x));
  return [r, g, b, a ?? 1];
}

/** luminance is WCAG's relative luminance of an opaque colour. */
function luminance([r, g, b]: RGBA): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

function contrast(a: RGBA, b: RGBA): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

let browser: Browser;
let backend: Backend;
/** One page for every test: loading the page's bundle is the slow part of a new page. */
let sp: SuitePage;
/** The range the panels ask for: the last six hours of the data set. */
let range: { from: number; to: number };
let tickets: Array<Record<string, unknown>>;
/**
 * The search a user types: the service of the newest ticket in the range. The table shows the
 * newest tickets first, so rows that match and rows that do not are both in view.
 */
let search: string;

beforeAll(async () => {
  backend = bridgeBackend();
  browser = await launch();
  sp = await openPage(browser, backend.api, { theme: 'light', reducedMotion: true, width: 1400, height: 900 });
  const end = Date.parse(backend.bridged.dataset.end);
  // Half a second off the hour, so that no generated creation time sits on an edge.
  range = { from: end - 6 * 3600_000 + 500, to: end + 3600_000 };
  tickets = fs
    .readFileSync(backend.bridged.tickets, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const newest = tickets
    .filter((t) => timeOf(t.created) >= range.from)
    .sort((a, b) => timeOf(b.created) - timeOf(a.created))[0];
  search = String(newest.service);
});

afterAll(async () => {
  await sp?.close();
  await browser?.close();
});

afterEach(() => {
  expect(sp.takeProblems()).toEqual([]);
});

function timeOf(v: unknown): number {
  return typeof v === 'number' ? v : Date.parse(String(v));
}

async function screenshot(sp: SuitePage, name: string) {
  if (WRITE_SCREENSHOTS) {
    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await sp.page.locator('[data-testid="view"]').screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`) });
  }
}

interface RenderedRow {
  key: string;
  background: string;
  effective: string;
  text: string;
}

test('the overview has a ticket table and stat panels', () => {
  expect(ticketTable).toBeDefined();
  expect(statPanels.length).toBeGreaterThan(0);
});

describe.each<ThemeMode>(['light', 'dark'])('overview panels, %s theme', (theme) => {
  beforeAll(async () => {
    await sp.page.emulateMedia({ colorScheme: theme });
  });

  test('ticket table: the search marks rows, the rest are greyed and the match field is hidden', async () => {
    const panel = ticketTable as PanelJSON;
    const result: MountResult = await sp.mount({
      view: 'panels',
      theme,
      datasource: backend.datasource,
      panels: [panel],
      query: opened(panel.targets[0], search),
      range,
      width: 1360,
      height: 560,
    });
    const frame = result.panels?.[0]?.[0];
    const key = frame?.fields[0];
    const match = frame?.fields.find((f) => f.name === 'match');
    expect(key?.name).toBe('id');
    expect(match).toBeDefined();
    const matchOf = new Map(key!.values.map((id, i) => [String(id), match!.values[i] === true]));
    expect(new Set(matchOf.values())).toEqual(new Set([true, false]));

    await sp.page.waitForSelector('[role="row"] [role="gridcell"]');
    const headers = await sp.page.locator('[role="columnheader"]').allInnerTexts();
    expect(headers.map((h) => h.trim())).toContain('Ticket');
    expect(headers.map((h) => h.trim())).not.toContain(match!.displayName);

    // Each drawn row's first cell: its computed background, the colour it shows once composed
    // over what lies beneath it, and its text colour.
    const rows: RenderedRow[] = await sp.page.evaluate(() => {
      const parse = (c: string) => {
        const m = /rgba?\(([^)]+)\)/.exec(c);
        const [r, g, b, a] = (m ? m[1] : '0,0,0,0').split(',').map((x) => parseFloat(x));
        return [r, g, b, a ?? 1];
      };
      const over = (top: number[], below: number[]) =>
        top.slice(0, 3).map((c, i) => c * top[3] + below[i] * (1 - top[3]));
      const effective = (el: Element | null): number[] => {
        if (!el) {
          return [255, 255, 255];
        }
        const c = parse(getComputedStyle(el).backgroundColor);
        return c[3] >= 1 ? c.slice(0, 3) : over(c, effective(el.parentElement));
      };
      return Array.from(document.querySelectorAll('[role="row"]'))
        .map((row) => row.querySelector('[role="gridcell"]'))
        .filter((cell): cell is Element => cell !== null)
        .map((cell) => ({
          key: (cell.textContent ?? '').trim(),
          background: getComputedStyle(cell).backgroundColor,
          effective: `rgb(${effective(cell)
            .map((x) => Math.round(x))
            .join(', ')})`,
          text: getComputedStyle(cell).color,
        }));
    });
    const marked = rows.filter((r) => matchOf.get(r.key) === true);
    const rest = rows.filter((r) => matchOf.get(r.key) === false);
    // Every drawn row is a ticket of the frame, and both kinds are on screen.
    expect(rows.filter((r) => !matchOf.has(r.key))).toEqual([]);
    expect(marked.length).toBeGreaterThan(0);
    expect(rest.length).toBeGreaterThan(0);

    // The override's mapping paints a row that does not match in its colour, and leaves a
    // matching row as the table draws any row (its mapped colour is transparent, which
    // getCellColorInlineStylesFactory in packages/grafana-ui/src/components/Table/TableNG/utils.ts
    // skips).
    const override = panel.fieldConfig.overrides.find((o) => o.matcher.options === 'match');
    const mappings = override?.properties.find((p) => p.id === 'mappings')?.value as Array<{
      options: Record<string, { color: string }>;
    }>;
    const grey = parseColour(mappings[0].options.false.color);
    for (const r of rest) {
      expect(parseColour(r.background)).toEqual(grey);
    }
    for (const r of marked) {
      expect(parseColour(r.background)).not.toEqual(grey);
    }
    // What the user sees: one colour for the matching rows, another, visibly different, for
    // the rest, and both still readable.
    expect(new Set(marked.map((r) => r.effective)).size).toBe(1);
    expect(new Set(rest.map((r) => r.effective)).size).toBe(1);
    const seen = parseColour(marked[0].effective);
    const greyed = parseColour(rest[0].effective);
    expect(contrast(seen, greyed)).toBeGreaterThan(1.15);
    for (const r of [...marked, ...rest]) {
      expect(contrast(parseColour(r.text), parseColour(r.effective))).toBeGreaterThanOrEqual(4.5);
    }
    await screenshot(sp, `ticket-table-${theme}`);
  });

  test('stat panels: BigValue shows the real stats, named as the frames name them', async () => {
    const result: MountResult = await sp.mount({
      view: 'panels',
      theme,
      datasource: backend.datasource,
      panels: statPanels,
      query: opened(statPanels[0].targets[0], search),
      range,
      width: 300,
      height: 140,
    });
    // The total counts the tickets of the data set created in the range (the schema's default
    // filter is empty).
    const truth = tickets.filter((t) => {
      const at = timeOf(t.created);
      return at >= range.from && at <= range.to;
    }).length;
    const totalPanel = statPanels.findIndex((p) =>
      (p.transformations ?? []).some((t) => JSON.stringify(t.options).includes('"total"'))
    );
    expect(totalPanel).toBeGreaterThanOrEqual(0);
    const total = result.panels?.[totalPanel]?.[0]?.fields.find((f) => f.name === 'total');
    expect(total?.values).toEqual([truth]);

    for (const [i, panel] of statPanels.entries()) {
      const section = sp.page.getByTestId(`stat-${panel.id}`);
      const text = await section.innerText();
      for (const field of result.panels?.[i]?.[0]?.fields ?? []) {
        expect(text).toContain(field.displayName);
      }
    }
    const totalText = await sp.page.getByTestId(`stat-${statPanels[totalPanel].id}`).innerText();
    expect(totalText).toContain(String(truth));
    await screenshot(sp, `stats-${theme}`);
  });
});
