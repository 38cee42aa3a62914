import { execFile } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../../..');
const SUPPORT = path.join(__dirname, '../support');

/** The e2e project's settings, for a Jest run of the fixture alone. */
const config = {
  rootDir: path.join(__dirname, '../fixtures/quiet-output'),
  testMatch: ['<rootDir>/*.fixture.ts'],
  transform: {
    '^.+\\.ts$': [
      require.resolve('@swc/jest'),
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2023',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  moduleNameMapper: Object.fromEntries(
    ['config', 'database', 'logging'].map((name) => [`^@app/${name}(|/.*)$`, `${ROOT}/libs/${name}/src$1`]),
  ),
  testEnvironment: path.join(SUPPORT, 'quiet-environment.ts'),
  globalSetup: path.join(SUPPORT, 'global-setup.ts'),
  globalTeardown: path.join(SUPPORT, 'global-teardown.ts'),
  testTimeout: 30_000,
};

describe('npm test output', () => {
  it('shows a failing test its service log lines, and a passing one nothing but its name', async () => {
    const output = await new Promise<{ code: number; text: string }>((resolve) => {
      execFile(
        process.execPath,
        [require.resolve('jest/bin/jest'), '--config', JSON.stringify(config), '--ci', '--colors=false'],
        { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, text: stdout + stderr }),
      );
    });
    expect(output.code).toBe(1);
    expect(output.text).toMatch(/Tests:\s+1 failed, 1 passed, 2 total/);
    expect(output.text).toContain('Service log lines before the failure:');
    expect(output.text).toContain('"request_id":"shown-when-failing"');
    expect(output.text).not.toContain('quiet-when-passing');
    expect(output.text).not.toContain('NodeVersionSupportWarning');
    expect(output.text).not.toMatch(/EmbeddedPostgres|PostgreSQL cluster/);
  }, 120_000);
});
