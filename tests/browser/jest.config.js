// The browser suite (npm run test:browser): jest runs in node and drives Debian's Chromium
// through playwright-core. One worker: the tests share one browser and one bridge, and the
// machines have two cores.
const base = require('../../.config/jest.config');

module.exports = {
  rootDir: '../..',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/tests/browser/**/*.test.ts'],
  transform: {
    '^.+\\.m?(t|j)sx?$': base.transform[Object.keys(base.transform)[0]],
  },
  maxWorkers: 1,
  // A cold Chromium and a first query on a small shared machine take seconds, not minutes.
  testTimeout: 60000,
};
