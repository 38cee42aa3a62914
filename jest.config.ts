import type { Config } from 'jest';

/* SWC compiles TypeScript for Jest; decorator metadata is needed by Nest's dependency injection. */
const transform: Config['transform'] = {
  '^.+\\.ts$': [
    '@swc/jest',
    {
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2023',
      },
      module: { type: 'commonjs' },
    },
  ],
};

const moduleNameMapper = {
  '^@app/config(|/.*)$': '<rootDir>/libs/config/src$1',
  '^@app/database(|/.*)$': '<rootDir>/libs/database/src$1',
  '^@app/logging(|/.*)$': '<rootDir>/libs/logging/src$1',
  '^@app/service-runner(|/.*)$': '<rootDir>/libs/service-runner/src$1',
  // Test helpers a library shares with the application's tests (a fake CloudWatch endpoint, synthetic logs).
  '^@test/(database|logging|log-analysis|k6-runner)/(.*)$': '<rootDir>/libs/$1/test/$2',
};

const common = {
  testEnvironment: 'node',
  transform,
  moduleNameMapper,
  moduleFileExtensions: ['ts', 'js', 'json'],
};

const config: Config = {
  // End-to-end tests start servers and processes; a hang still fails, just not at 5 s.
  testTimeout: 30_000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/apps/*/src/**/*.spec.ts', '<rootDir>/libs/*/src/**/*.spec.ts'],
    },
    {
      ...common,
      // Static checks of the deployment files (Terraform, Docker), parsed as data.
      displayName: 'infra',
      testMatch: ['<rootDir>/terraform/**/*.spec.ts', '<rootDir>/docker/**/*.spec.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      // Keeps the expected error lines of in-process services out of the report unless a test fails.
      testEnvironment: '<rootDir>/apps/taskoverflow/test/support/quiet-environment.ts',
      testMatch: ['<rootDir>/apps/*/test/**/*.e2e-spec.ts', '<rootDir>/libs/*/test/**/*.e2e-spec.ts'],
      // One embedded PostgreSQL for the run, one database per Jest worker.
      globalSetup: '<rootDir>/apps/taskoverflow/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/apps/taskoverflow/test/support/global-teardown.ts',
    },
  ],
};

export default config;
