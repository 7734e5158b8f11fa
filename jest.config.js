// force timezone to UTC to allow tests to work regardless of local timezone
// generally used by snapshots, but can affect specific tests
process.env.TZ = 'UTC';

const base = require('./.config/jest.config');

module.exports = {
  // Jest configuration provided by Grafana scaffolding
  ...base,
  // The editors' tests drive real components with real (debounce) timers on small shared
  // machines: give a test more than jest's default five seconds before calling it stuck.
  testTimeout: 30000,
  // d3-color and friends now ship .mjs files: widen the transform so they are compiled too.
  transform: {
    '^.+\\.m?(t|j)sx?$': base.transform[Object.keys(base.transform)[0]],
  },
};
