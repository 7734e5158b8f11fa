// The contract suite against Grafana 13: the same test files as contract/jest.config.js (the
// 12.4 line of the project's package.json), with Grafana's packages, React and rxjs taken from
// this folder's own install (package.json and package-lock.json here: `npm ci` in this folder;
// resolver.js points the imports at it). Run it with `npm run test:contract:13`.
const path = require('path');

const base = require('../jest.config');
const { grafanaESModules, nodeModulesToTransform } = require('../../.config/jest/utils');

module.exports = {
  ...base,
  rootDir: path.join(__dirname, '..', '..'),
  displayName: 'grafana 13',
  resolver: path.join(__dirname, 'resolver.js'),
  // @grafana/data 13 brings @react-hookz/web and its @ver0/deep-equal, which ship ES modules only.
  transformIgnorePatterns: [nodeModulesToTransform([...grafanaESModules, '@react-hookz', '@ver0'])],
};
