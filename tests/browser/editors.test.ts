import AxeBuilder from '@axe-core/playwright';
import fs from 'fs';
import path from 'path';
import type { Browser } from 'playwright-core';

import { SCHEMA_TEMPLATE } from '../../src/components/schemaTemplate';
import { QUERY_TYPES, TicketsOptions, TicketsQuery } from '../../src/types';
import { Backend, startBackend } from './backend';
import { launch, openPage, SCREENSHOT_DIR, SuitePage, WRITE_SCREENSHOTS } from './harness';
import type { MountSpec, ThemeMode } from './page/spec';

// One query per type, with the options a user would set, so that each editor shows its
// type's own fields filled in.
const QUERIES: Record<(typeof QUERY_TYPES)[number], Omit<TicketsQuery, 'refId'>> = {
  counts: { queryType: 'counts', splitBy: 'severity', bucket: '5m' },
  breakdown: { queryType: 'breakdown', field: 'service', top: 8 },
  tickets: {
    queryType: 'tickets',
    columns: ['id', 'severity', 'title', 'service', 'created'],
    search: 'timeout',
    limit: 200,
  },
  stats: { queryType: 'stats', baseline: '24h' },
  values: { queryType: 'values', field: 'service', prefix: 'pay', limit: 50 },
  logs: { queryType: 'logs', search: 'timeout', limit: 100 },
  spike: { queryType: 'spike', splitBy: 'service', window: '10m', baseline: '24h', series: ['ratio'] },
  movers: { queryType: 'movers', field: 'service', top: 10 },
};

const FILTER = 'service = "checkout" and severity <= 2';

// The two stores' settings pages, filled in as a user setting each up would: the embedded
// store with a schema written in the page (the YAML editor, checked by the backend) and the
// demo source; DynamoDB with its table, the AWS connection and a Jira source with a token.
const CONFIGS: Record<
  'embedded' | 'dynamodb',
  { jsonData: TicketsOptions; secureJsonFields?: Record<string, boolean> }
> = {
  embedded: {
    jsonData: {
      store: 'embedded',
      storePath: '/var/lib/grafana/spacetime/tickets.db',
      window: '30d',
      schema: SCHEMA_TEMPLATE,
      source: { type: 'demo', interval: '1m', demo: { backfill: '7d' } },
    },
  },
  dynamodb: {
    jsonData: {
      store: 'dynamodb',
      dynamodb: { table: 'spacetime-tickets', follow: '10s' },
      // AwsAuthType.Default; the enum's module needs a browser to import.
      authType: 'default' as TicketsOptions['authType'],
      defaultRegion: 'eu-west-1',
      window: '30d',
      source: {
        type: 'http',
        interval: '1m',
        lease: '30s',
        http: { preset: 'jira', url: 'https://example.atlassian.net', auth: 'bearer' },
      },
    },
    secureJsonFields: { httpToken: true },
  },
};

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

let browser: Browser;
let backend: Backend;

beforeAll(async () => {
  [browser, backend] = await Promise.all([launch(), startBackend()]);
});

afterAll(async () => {
  await browser?.close();
  await backend?.close();
});

/** seriousViolations runs axe on the mounted view and keeps what it rates serious or critical. */
async function seriousViolations(sp: SuitePage): Promise<string[]> {
  const result = await new AxeBuilder({ page: sp.page })
    .include('[data-testid="view"]')
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.map((n) => n.target.join(' ')).join('\n  ')}`);
}

// Colour fades are not motion: Grafana's own Button keeps its background, border and text
// colour transitions under prefers-reduced-motion on purpose (its styles put them under
// theme.transitions.handleMotion('no-preference', 'reduce'), in
// packages/grafana-ui/src/components/Button/Button.tsx). Anything else that transitions, and
// any animation, is motion.
const COLOUR_PROPERTIES = new Set(['color', 'background-color', 'border-color', 'outline-color', 'fill', 'stroke']);

/** moving lists the elements of the page whose computed style animates or transitions motion. */
function moving(sp: SuitePage): Promise<string[]> {
  return sp.page.evaluate((colours) => {
    const list = (text: string) => text.split(',').map((t) => t.trim());
    const found: string[] = [];
    for (const el of Array.from(document.querySelectorAll('body *'))) {
      const s = getComputedStyle(el);
      const what: string[] = [];
      const names = list(s.animationName);
      list(s.animationDuration).forEach((d, i) => {
        if (parseFloat(d) > 0 && names[i % names.length] !== 'none') {
          what.push(`animation ${names[i % names.length]} ${d}`);
        }
      });
      const props = list(s.transitionProperty);
      const durations = list(s.transitionDuration);
      props.forEach((p, i) => {
        const d = durations[i % durations.length];
        if (p !== 'none' && parseFloat(d) > 0 && !colours.includes(p)) {
          what.push(`transition ${p} ${d}`);
        }
      });
      if (what.length) {
        found.push(`${el.tagName.toLowerCase()}.${String(el.className).slice(0, 40)}: ${what.join(', ')}`);
      }
    }
    return found;
  }, Array.from(COLOUR_PROPERTIES));
}

async function screenshot(sp: SuitePage, name: string) {
  if (!WRITE_SCREENSHOTS) {
    return;
  }
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await sp.page.locator('[data-testid="view"]').screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`) });
}

/**
 * mountEditor mounts an editor and waits for its resource calls to be answered: the schema
 * (the time field's placeholder becomes the schema's time column) and, when the query has a
 * filter, its validation (sent once typing would have paused).
 */
async function mountEditor(sp: SuitePage, spec: MountSpec, validates: boolean) {
  const validated = validates
    ? sp.page.waitForResponse((r) => r.url().includes('/resources/validate'))
    : Promise.resolve();
  await sp.mount(spec);
  await Promise.all([validated, sp.page.waitForSelector('input[placeholder="created"]')]);
}

describe.each<ThemeMode>(['light', 'dark'])('editors, %s theme, reduced motion', (theme) => {
  let sp: SuitePage;
  beforeAll(async () => {
    sp = await openPage(browser, backend.api, { theme, reducedMotion: true });
  });
  afterAll(async () => {
    await sp?.close();
  });
  afterEach(() => {
    expect(sp.takeProblems()).toEqual([]);
  });

  const spec = (s: DistributiveOmit<MountSpec, 'theme' | 'datasource'>) =>
    ({ ...s, theme, datasource: backend.datasource }) as MountSpec;

  it.each(QUERY_TYPES)('QueryEditor for %s queries: no serious axe violation, nothing moves', async (type) => {
    await mountEditor(
      sp,
      spec({ view: 'query-editor', query: { refId: 'A', filter: FILTER, ...QUERIES[type] } }),
      true
    );
    const checked = sp.page.locator('input[type="radio"]:checked');
    await expect(checked.count()).resolves.toBe(1);
    expect(await seriousViolations(sp)).toEqual([]);
    expect(await moving(sp)).toEqual([]);
    await screenshot(sp, `query-editor-${type}-${theme}`);
  });

  it('QueryEditor in an alert rule: the advice to ask for one series', async () => {
    const query = { refId: 'A', ...QUERIES.spike, series: undefined };
    await mountEditor(sp, spec({ view: 'query-editor', query, alerting: true }), false);
    await expect(sp.page.getByText('Ask for one series').count()).resolves.toBe(1);
    expect(await seriousViolations(sp)).toEqual([]);
    expect(await moving(sp)).toEqual([]);
  });

  it.each(['embedded', 'dynamodb'] as const)('ConfigEditor, %s store', async (store) => {
    const validated =
      store === 'embedded'
        ? sp.page.waitForResponse((r) => r.url().includes('/resources/validate-schema'))
        : Promise.resolve();
    await sp.mount(spec({ view: 'config-editor', ...CONFIGS[store] }));
    await validated;
    if (store === 'embedded') {
      // Monaco draws the schema's lines once its chunk has loaded.
      await sp.page.waitForSelector('.monaco-editor .view-line');
      await sp.page
        .getByTestId('schema-status')
        .getByText(/valid|problem/)
        .waitFor();
    } else {
      await sp.page.waitForSelector('#spacetime-dynamodb-table');
    }
    expect(await seriousViolations(sp)).toEqual([]);
    expect(await moving(sp)).toEqual([]);
    await screenshot(sp, `config-editor-${store}-${theme}`);
  });

  it('VariableQueryEditor', async () => {
    const query = { refId: 'SpacetimeVariable', field: 'service', filter: FILTER, prefix: 'pay', showCounts: true };
    const validated = sp.page.waitForResponse((r) => r.url().includes('/resources/validate'));
    await sp.mount(spec({ view: 'variable-editor', query }));
    await Promise.all([validated, sp.page.waitForSelector('#spacetime-variable-field')]);
    expect(await seriousViolations(sp)).toEqual([]);
    expect(await moving(sp)).toEqual([]);
    await screenshot(sp, `variable-editor-${theme}`);
  });
});

// The control for the motion check above: the same editor without the emulated preference
// has motion, so an empty list under reduced motion means the preference was honoured.
describe('editors without reduced motion', () => {
  it('QueryEditor has motion when the user has not asked for less', async () => {
    const sp = await openPage(browser, backend.api, { theme: 'dark', reducedMotion: false });
    try {
      const query = { refId: 'A', ...QUERIES.tickets };
      await mountEditor(sp, { view: 'query-editor', theme: 'dark', datasource: backend.datasource, query }, false);
      expect(await moving(sp)).not.toEqual([]);
    } finally {
      await sp.close();
    }
  });
});
