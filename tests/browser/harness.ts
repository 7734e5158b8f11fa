// The browser suite's harness: Debian's Chromium driven by playwright-core (never a browser
// download), the page built by tests/browser/webpack.config.ts served from memory on a
// made-up origin, and every /api/... request the page makes answered by the backend the
// suite chose (see backend.ts). Nothing else is fetched: a request to anything the harness
// does not serve fails and is recorded, so a page that reaches out is noticed.
import fs from 'fs';
import path from 'path';
import { Browser, BrowserContext, chromium, Page, Route } from 'playwright-core';

import type { MountResult, MountSpec, ThemeMode } from './page/spec';

export const ORIGIN = 'http://spacetime.test';
const ROOT = path.resolve(__dirname, '..', '..');
const DIST = path.join(__dirname, 'dist');
const ICONS = path.join(ROOT, 'node_modules', '@grafana', 'ui', 'dist', 'public', 'img', 'icons');
const FONTSOURCE = path.join(ROOT, 'node_modules', '@fontsource');

/** Chromium's flags for a shared headless machine (toolchain.md). */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// Grafana's global styles load Inter and Roboto Mono from public/fonts (fonts.ts in
// @grafana/ui's GlobalStyles); the same faces come from the @fontsource packages.
const FONT_FILES: Record<string, string> = {
  'inter/Inter-Regular.woff2': 'inter/files/inter-latin-400-normal.woff2',
  'inter/Inter-Medium.woff2': 'inter/files/inter-latin-500-normal.woff2',
  'inter/Inter-Italic.woff2': 'inter/files/inter-latin-400-italic.woff2',
  'inter/Inter-MediumItalic.woff2': 'inter/files/inter-latin-500-italic.woff2',
  'roboto/L0xTDF4xlVMF-BfR8bXMIhJHg45mwgGEFl0_3vrtSM1J-gEPT5Ese6hmHSh0mQ.woff2':
    'roboto-mono/files/roboto-mono-latin-400-normal.woff2',
};

// The boot data Grafana writes into its index page before any plugin code runs
// (@grafana/runtime's config reads window.grafanaBootData when it is first imported).
function indexHtml(theme: ThemeMode): string {
  const boot = { assets: { dark: '', light: '' }, settings: {}, user: { theme }, navTree: [] };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Spacetime browser suite</title>
<script>
window.grafanaBootData = ${JSON.stringify(boot)};
window.__grafana_public_path__ = '/public/';
</script>
</head>
<body>
<div id="root"></div>
<script src="/main.js"></script>
</body>
</html>`;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.ttf': 'font/ttf',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
};

/** An /api/... answerer: the bridge to the real plugin binary, or for a while a stand-in. */
export interface ApiHandler {
  handle(route: Route): Promise<void>;
}

export interface SuitePage {
  page: Page;
  /** Problems the page reported since the last call: console errors, page errors, requests nobody serves. */
  takeProblems(): string[];
  mount(spec: MountSpec): Promise<MountResult>;
  close(): Promise<void>;
}

export async function launch(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (scripts/setup does)`);
  }
  if (!fs.existsSync(path.join(DIST, 'main.js'))) {
    throw new Error('tests/browser/dist/main.js is missing: build the page first (npm run test:browser does)');
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

async function serveFile(route: Route, file: string) {
  if (!fs.existsSync(file)) {
    await route.fulfill({ status: 404, body: 'not found' });
    return;
  }
  await route.fulfill({
    status: 200,
    headers: { 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream' },
    body: fs.readFileSync(file),
  });
}

/**
 * openPage opens the suite's page in a fresh context, booted in the given theme (each mount
 * then sets its own) with that colour scheme, and with
 * prefers-reduced-motion emulated when reducedMotion is set.
 */
export async function openPage(
  browser: Browser,
  api: ApiHandler,
  opts: { theme: ThemeMode; reducedMotion?: boolean; width?: number; height?: number }
): Promise<SuitePage> {
  const context: BrowserContext = await browser.newContext({
    colorScheme: opts.theme,
    reducedMotion: opts.reducedMotion ? 'reduce' : 'no-preference',
    viewport: { width: opts.width ?? 1280, height: opts.height ?? 900 },
    deviceScaleFactor: 1,
  });
  const problems: string[] = [];
  await context.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    if (url.origin !== ORIGIN) {
      problems.push(`request outside the page: ${url.href}`);
      await route.abort();
      return;
    }
    const p = decodeURIComponent(url.pathname);
    if (p === '/') {
      await route.fulfill({ status: 200, contentType: 'text/html', body: indexHtml(opts.theme) });
    } else if (p.startsWith('/api/')) {
      await api.handle(route);
    } else if (p.startsWith('/public/build/img/icons/')) {
      await serveFile(route, path.join(ICONS, path.normalize(p.slice('/public/build/img/icons/'.length))));
    } else if (p.startsWith('/public/fonts/') && FONT_FILES[p.slice('/public/fonts/'.length)]) {
      await serveFile(route, path.join(FONTSOURCE, FONT_FILES[p.slice('/public/fonts/'.length)]));
    } else if (/^\/(assets\/)?[\w.-]+$/.test(p)) {
      await serveFile(route, path.join(DIST, p.slice(1)));
    } else {
      problems.push(`request nobody serves: ${p}`);
      await route.fulfill({ status: 404, body: 'not found' });
    }
  });
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      problems.push(`console error: ${msg.text()}`);
    }
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  await page.goto(ORIGIN + '/');
  await page.waitForFunction(() => typeof window.spacetime?.mount === 'function');
  return {
    page,
    takeProblems: () => problems.splice(0),
    mount: (spec) => page.evaluate((s) => window.spacetime.mount(s), spec),
    close: () => context.close(),
  };
}

/** Screenshots are written only when asked: SPACETIME_SCREENSHOTS=1 (see docs/incoming/browser.md). */
export const WRITE_SCREENSHOTS = process.env.SPACETIME_SCREENSHOTS === '1';
export const SCREENSHOT_DIR = path.join(ROOT, 'docs', 'img');
