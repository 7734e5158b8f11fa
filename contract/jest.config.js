// The contract suite (contract/*.contract.test.ts) against the project's own Grafana packages, the
// 12.4 line pinned in package.json: `npm run test:contract`. grafana13/jest.config.js runs the
// same files against the newest 13.x packages. Both start the bridge once (globalSetup), which
// builds the plugin binary, so they need Go as well as Node.
process.env.TZ = 'UTC';

const base = require('../jest.config');

module.exports = {
  rootDir: '..',
  transform: base.transform,
  transformIgnorePatterns: base.transformIgnorePatterns,
  moduleNameMapper: {
    ...base.moduleNameMapper,
    // jsdom resolves the browser build of yaml, an ES module; node's build is the same code.
    '^yaml$': '<rootDir>/node_modules/yaml/dist/index.js',
  },
  // jsdom (which @grafana/data needs at import) with node's fetch; nothing is rendered.
  testEnvironment: '<rootDir>/contract/environment.js',
  testMatch: ['<rootDir>/contract/**/*.contract.test.ts'],
  setupFiles: ['<rootDir>/contract/setup.js'],
  globalSetup: '<rootDir>/contract/globalSetup.ts',
  globalTeardown: '<rootDir>/contract/globalTeardown.ts',
  testTimeout: 120000,
  // The test files share one bridge (one plugin process); two workers keep a 2-core machine busy.
  maxWorkers: 2,
};
