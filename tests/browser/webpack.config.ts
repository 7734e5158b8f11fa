// The browser suite's page, built with the plugin's own webpack configuration (the scaffold's
// .config/webpack, extended as create-plugin's docs advise) so that the editors are compiled
// exactly as the plugin is. Three things differ, because this page runs outside Grafana:
// Grafana's packages (@grafana/ui, @grafana/data, @grafana/runtime, react...) are bundled
// instead of being externals that Grafana provides at run time; the output is a plain script
// rather than an AMD module; and the plugin's packaging steps (copying plugin.json, the README,
// subresource integrity) are left out.
import path from 'path';
import type { Configuration, RuleSetRule } from 'webpack';

import grafanaConfig, { type Env } from '../../.config/webpack/webpack.config.ts';

export const PAGE_DIST = path.resolve(process.cwd(), 'tests', 'browser', 'dist');

const config = async (env: Env): Promise<Configuration> => {
  const base = await grafanaConfig({ ...env, development: undefined, production: undefined });
  // The scaffold's first rule prepends its public-path module to src/module.ts, which this
  // page does not load; keep the compilers (swc for TypeScript, loaders for styles and assets).
  // Assets (fonts, images) go under assets/ in the output: the scaffold names them after their
  // source path in development, which for node_modules lies outside the output directory.
  const rules = (base.module?.rules ?? [])
    .filter((r): r is RuleSetRule => typeof r === 'object' && r !== null && !String(r.test).includes('module'))
    .map((r) => (r.type === 'asset/resource' ? { ...r, generator: { filename: 'assets/[hash][ext]' } } : r));
  return {
    ...base,
    mode: 'development',
    // No source maps: the suite reads computed styles and the DOM, not stack traces, and the
    // build stays a few seconds faster.
    devtool: false,
    cache: {
      type: 'filesystem',
      name: 'spacetime-browser-suite',
      buildDependencies: {
        config: [
          path.resolve(process.cwd(), '.config', 'webpack', 'webpack.config.ts'),
          path.resolve(process.cwd(), 'tests', 'browser', 'webpack.config.ts'),
        ],
      },
    },
    context: path.resolve(process.cwd(), 'tests', 'browser', 'page'),
    entry: { main: './main.tsx' },
    externals: undefined,
    module: {
      ...base.module,
      rules: [
        ...rules,
        // @grafana/ui's ES modules import OpenLayers by paths without an extension, which
        // webpack refuses in strict ES modules unless told otherwise (Grafana's own build
        // says the same).
        { test: /\.m?js$/, resolve: { fullySpecified: false } },
      ],
    },
    output: {
      path: PAGE_DIST,
      filename: '[name].js',
      chunkFilename: '[name].js',
      publicPath: '/',
      clean: true,
    },
    optimization: { minimize: false },
    plugins: [],
    performance: { hints: false },
  };
};

export default config;
