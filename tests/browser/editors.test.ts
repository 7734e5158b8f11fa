import AxeBuilder from '@axe-core/playwright';
import fs from 'fs';
import path from 'path';
import type { Browser } from 'playwright-core';

import { SCHEMA_TEMPLATE } from '../../src/components/schemaTemplate';
import { QUERY_TYPES, TicketsOptions, TicketsQuery } from '../../src/types';
import { Backend, bridgeBackend } from './backend';
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
  patterns: { queryType: 'patterns', top: 20, bucket: '1h' },
  localize: { queryType: 'localize', dimensions: ['service', 'region', 'category'], baseline: '1d', top: 5 },
};

const FILTER = 'service = "checkout" and severity <= 2';

/** The labels of the query type picker (each type's label in src/components/queryTypes/registry.ts). */
const QUERY_TYPE_LABELS: Record<(typeof QUERY_TYPES)[number], string> = {
  counts: 'Counts',
  breakdown: 'Breakdown',
  tickets: 'Tickets',
  stats: 'Stats',
  values: 'Field values',
  logs: 'Logs',
  spike: 'Spike',
  movers: 'Movers',
  patterns: 'Patterns',
  localize: 'Localize',
};

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
/** One page for every test: loading the page's bundle is the slow part of a new page. */
let sp: SuitePage;

beforeAll(async () => {
  backend = bridgeBackend();
  browser = await launch();
  sp = await openPage(browser, backend.api, { theme: 'light', reducedMotion: true });
});

afterAll(async () => {
  await sp?.close();
  await browser?.close();
});

afterEach(() => {
  expect(sp.takeProblems()).toEqual([]);
});

/** seriousViolations runs axe on the mounted view and keeps what it rates serious or critical. */
async function seriousViolations(sp: SuitePage): Promise<string[]> {
  const result = await new AxeBuilder({ page: sp.page })
    .include('[data-testid="view"]')
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    // Only violations are read: details of what passed would only cost time.
    .options({ resultTypes: ['violations'] })
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

async function screenshot(sp: SuitePage, name: string, testId = 'view') {
  if (!WRITE_SCREENSHOTS) {
    return;
  }
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await sp.page.getByTestId(testId).screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`) });
}

/**
 * mountQueryEditors mounts a QueryEditor per query and waits for their resource calls to be
 * answered: the schema (each time field's placeholder becomes the schema's time column) and
 * the validation of each filter (sent once typing would have paused).
 */
async function mountQueryEditors(sp: SuitePage, spec: Extract<MountSpec, { view: 'query-editor' }>) {
  let pending = spec.queries.filter((q) => q.filter).length;
  const validated = new Promise<void>((resolve) => {
    const onResponse = (r: { url(): string }) => {
      if (r.url().includes('/resources/validate') && --pending === 0) {
        sp.page.off('response', onResponse);
        resolve();
      }
    };
    if (pending === 0) {
      resolve();
    } else {
      sp.page.on('response', onResponse);
    }
  });
  await sp.mount(spec);
  await Promise.all([
    validated,
    sp.page.waitForFunction(
      (n) => document.querySelectorAll('input[placeholder="created"]').length >= n,
      spec.queries.length
    ),
  ]);
}

describe.each<ThemeMode>(['light', 'dark'])('editors, %s theme, reduced motion', (theme) => {
  beforeAll(async () => {
    await sp.page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
  });

  const spec = (s: DistributiveOmit<MountSpec, 'theme' | 'datasource'>) =>
    ({ ...s, theme, datasource: backend.datasource }) as MountSpec;

  // Every query type's editor at once, one under the other (refIds A, B, ...), so that axe and
  // the motion check run once per theme.
  it('QueryEditor for every query type: no serious axe violation, nothing moves', async () => {
    const queries = QUERY_TYPES.map((type, i) => ({
      refId: String.fromCharCode(65 + i),
      filter: FILTER,
      ...QUERIES[type],
    }));
    await mountQueryEditors(sp, { view: 'query-editor', theme, datasource: backend.datasource, queries });
    for (const [i, type] of QUERY_TYPES.entries()) {
      const section = sp.page.getByTestId(`query-editor-${queries[i].refId}`);
      // Each editor shows its own type chosen.
      await expect(section.locator('input[type="radio"]:checked + label').first().innerText()).resolves.toBe(
        QUERY_TYPE_LABELS[type]
      );
    }
    expect(await seriousViolations(sp)).toEqual([]);
    expect(await moving(sp)).toEqual([]);
    for (const [i, type] of QUERY_TYPES.entries()) {
      await screenshot(sp, `query-editor-${type}-${theme}`, `query-editor-${queries[i].refId}`);
    }
  });

  it('QueryEditor in an alert rule: the advice to ask for one series', async () => {
    const queries = [{ refId: 'A', ...QUERIES.spike, series: undefined }];
    await mountQueryEditors(sp, {
      view: 'query-editor',
      theme,
      datasource: backend.datasource,
      queries,
      alerting: true,
    });
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

// The controls of the checks above: each finds what it looks for when it is there, so that
// their empty lists mean something.
describe('controls', () => {
  it('axe reports a field without a label', async () => {
    const queries = [{ refId: 'A', ...QUERIES.stats }];
    await mountQueryEditors(sp, { view: 'query-editor', theme: 'dark', datasource: backend.datasource, queries });
    await sp.page.evaluate(() => {
      const input = document.createElement('input');
      document.querySelector('[data-testid="view"]')?.appendChild(input);
    });
    expect((await seriousViolations(sp)).join('\n')).toMatch(/^label \((serious|critical)\)/m);
  });

  // The same editor without the emulated preference has motion.
  it('QueryEditor has motion when the user has not asked for less', async () => {
    await sp.page.emulateMedia({ colorScheme: 'dark', reducedMotion: 'no-preference' });
    try {
      const queries = [{ refId: 'A', ...QUERIES.tickets }];
      await mountQueryEditors(sp, { view: 'query-editor', theme: 'dark', datasource: backend.datasource, queries });
      expect(await moving(sp)).not.toEqual([]);
    } finally {
      await sp.page.emulateMedia({ reducedMotion: 'reduce' });
    }
  });
});
