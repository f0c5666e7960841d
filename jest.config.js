// Three tiers by file suffix, each a jest project (projects do not inherit transform, so each gets it).
const transform = {
  '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2024' } }],
};
const common = {
  transform,
  extensionsToTreatAsEsm: ['.ts'],
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/.infra/', '<rootDir>/.data/', '<rootDir>/.tsbuild/'],
};

/** @type {import('jest').Config} */
export default {
  // Sized for CI's busy two cores, where PGlite alone takes seconds to open: a test or hook that needs
  // longer says so itself (start-up hooks use @hsg/testing's setupTimeoutMs). Global, not per project:
  // jest-circus reads only the global config's testTimeout, so in `common` it was silently 5 s.
  testTimeout: 30_000,
  // On two cores jest runs every suite in band, in its one process (one worker or fewer), where what each
  // suite's ESM context leaves behind adds up: a full run reached the 4 GB heap limit after 128 suites. A
  // memory limit makes jest use a worker, replaced once it holds more than this after a suite.
  workerIdleMemoryLimit: '1GB',
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{packages,subgraphs,router,schema,launcher,hl7-bridge}/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '\\.int\\.test\\.ts$', '\\.e2e\\.test\\.ts$'],
    },
    {
      ...common,
      displayName: 'int',
      testMatch: ['<rootDir>/{packages,subgraphs,router,schema,launcher,hl7-bridge}/**/*.int.test.ts'],
      globalSetup: '<rootDir>/packages/testing/src/global-setup.ts',
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/tests/**/*.e2e.test.ts'],
    },
  ],
};
