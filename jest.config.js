// force timezone to UTC to allow tests to work regardless of local timezone
// generally used by snapshots, but can affect specific tests
process.env.TZ = 'UTC';

const base = require('./.config/jest.config');

module.exports = {
  // Jest configuration provided by Grafana scaffolding
  ...base,
  // The editors' tests drive real components with real (debounce) timers on small shared
  // machines: give a test more than jest's default five seconds before calling it stuck. With
  // a load average of 10 to 16 on two cores (2026-12-02), QueryEditor.test.tsx took 403 s for
  // its 29 tests and single tests neared 30 s, so a minute each; files that re-render the
  // whole editor many times in one test set more themselves.
  testTimeout: 60000,
  // d3-color and friends now ship .mjs files: widen the transform so they are compiled too.
  transform: {
    '^.+\\.m?(t|j)sx?$': base.transform[Object.keys(base.transform)[0]],
  },
};
