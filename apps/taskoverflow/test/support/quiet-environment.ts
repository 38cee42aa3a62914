import type { Circus } from '@jest/types';
import { TestEnvironment } from 'jest-environment-node';

/** What the tests' in-process services log to (support/test-app.ts), through the environment's global. */
export interface TestLog {
  write(line: string): void;
}

/**
 * Jest's Node environment, keeping the log lines of the services a test file
 * runs in process: many tests provoke errors on purpose (a cut connection, a
 * missing table), and their expected error lines would bury Jest's report.
 * The lines are printed only when a test or hook fails, before its report;
 * lines logged since the last passing test go with it.
 */
export default class QuietEnvironment extends TestEnvironment {
  private kept: string[] = [];

  constructor(...args: ConstructorParameters<typeof TestEnvironment>) {
    super(...args);
    const log: TestLog = { write: (line) => void this.kept.push(line) };
    this.global.testLog = log;
  }

  handleTestEvent(event: Circus.Event): void {
    const failed = (event.name === 'test_done' && event.test.errors.length > 0) || event.name === 'hook_failure';
    if (failed && this.kept.length > 0) {
      process.stderr.write(`Service log lines before the failure:\n${this.kept.join('')}`);
    }
    if (event.name === 'test_done' || event.name === 'hook_failure') this.kept = [];
  }
}
