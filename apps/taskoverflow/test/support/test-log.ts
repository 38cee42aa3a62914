import type { TestLog } from './quiet-environment';

/**
 * Where tests write what a reader needs only when a test fails (service log
 * lines, a test's own measurements): the e2e environment keeps it and prints
 * it before the failing test's report (support/quiet-environment.ts).
 */
export function testLog(): TestLog {
  return (globalThis as { testLog?: TestLog }).testLog ?? { write: (line) => void process.stderr.write(line) };
}
