// The browser suite (npm run test:browser): jest runs in node and drives Debian's Chromium
// through playwright-core. One worker: the tests share one browser and one bridge, and the
// machines have two cores. globalSetup starts the bridge to the real plugin binary, so the
// suite needs Go as well as Node.
const base = require('../../.config/jest.config');

module.exports = {
  rootDir: '../..',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/tests/browser/**/*.test.ts'],
  transform: {
    '^.+\\.m?(t|j)sx?$': base.transform[Object.keys(base.transform)[0]],
  },
  maxWorkers: 1,
  verbose: true,
  globalSetup: '<rootDir>/tests/browser/globalSetup.ts',
  globalTeardown: '<rootDir>/tests/browser/globalTeardown.ts',
  // Axe over eight editors takes seconds on an idle machine and has taken 40 s on a shared one
  // (load average 15 on 2 cores): the limit is for a stuck test, not a slow one.
  testTimeout: 180000,
};
