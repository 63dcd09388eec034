/** @type {import('jest').Config} */
const swc = ['@swc/jest', { jsc: { target: 'es2023', parser: { syntax: 'typescript' } } }];
const common = {
  transform: {
    '^.+\\.ts$': swc,
    // ES-module-only packages, compiled to CommonJS for jest's loader (Node itself requires them)
    '/node_modules/@platformatic/.+\\.js$': '<rootDir>/test/helpers/esm-package-transform.js',
  },
  transformIgnorePatterns: ['/node_modules/(?!@platformatic/)'],
  testEnvironment: 'node',
};

module.exports = {
  // Kafka is started (or found) once for all projects; see test/helpers/kafka-global-setup.ts.
  globalSetup: '<rootDir>/test/helpers/kafka-global-setup.ts',
  globalTeardown: '<rootDir>/test/helpers/kafka-global-teardown.ts',
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
    },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
    { ...common, displayName: 'fault', testMatch: ['<rootDir>/test/fault/**/*.test.ts'] },
  ],
  testTimeout: 60000,
  // Results are final once every test ran; a leaked timer (e.g. a test that failed before its
  // cleanup) must not keep CI waiting until its time limit.
  forceExit: true,
};
