// A jest resolver for the Grafana 13 run: Grafana's packages, React, the router and rxjs are
// resolved from this folder's install wherever they are imported from (the tests, src/, and the
// root's other packages such as @grafana/plugin-ui), with their package.json "exports" honoured;
// everything else resolves as usual.
const packages = new Set([
  '@grafana/data',
  '@grafana/e2e-selectors',
  '@grafana/i18n',
  '@grafana/runtime',
  '@grafana/scenes',
  '@grafana/schema',
  '@grafana/ui',
  'react',
  'react-dom',
  'react-router-dom',
  'rxjs',
]);

module.exports = (request, options) => {
  const parts = request.split('/');
  const name = request.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  if (packages.has(name)) {
    return options.defaultResolver(request, { ...options, basedir: __dirname });
  }
  return options.defaultResolver(request, options);
};
