/**
 * The `k6/execution` module: where the code runs and control of the test
 * (k6 docs, "k6/execution"). Each object reads the VU's state on access, so
 * `import { vu } from 'k6/execution'` stays current, as in k6.
 */
import type { ExecutionInfo, IterationState } from '../protocol';
import { adopt, host } from './host';
import { TestAbort, flushSamples, vu as state } from './state';

/** The test's consolidated options, set once the engine knows them. */
let testOptions: Record<string, unknown> = {};

export function setTestOptions(options: Record<string, unknown>): void {
  testOptions = options;
}

function iteration(what: string): IterationState {
  const current = state.iteration;
  if (current === undefined) {
    throw new Error(
      state.lifecycle === 'init'
        ? `getting ${what} information in the init context is not supported`
        : `getting ${what} information outside of a scenario (in ${String(state.lifecycle)}()) is not supported`,
    );
  }
  return current;
}

function notInInit(): void {
  if (state.lifecycle === 'init') throw new Error('getting VU information in the init context is not supported');
}

function info(): ExecutionInfo {
  return adopt<ExecutionInfo>(host.request({ kind: 'executionInfo' }));
}

export const vu = {
  get idInInstance(): number {
    notInInit();
    return host.vuId;
  },
  get idInTest(): number {
    notInInit();
    return host.vuId;
  },
  get iterationInInstance(): number {
    notInInit();
    return state.iteration?.iterationInInstance ?? 0;
  },
  get iterationInScenario(): number {
    return iteration('VU').iterationInScenario;
  },
  get tags(): Record<string, unknown> {
    notInInit();
    return state.vuTags;
  },
  metrics: {
    get tags(): Record<string, unknown> {
      notInInit();
      return state.vuTags;
    },
    get metadata(): Record<string, unknown> {
      notInInit();
      return state.vuMetadata;
    },
  },
};

export const scenario = {
  get name(): string {
    return iteration('scenario').scenario;
  },
  get executor(): string {
    return iteration('scenario').executor;
  },
  get startTime(): number {
    return iteration('scenario').scenarioStartTime;
  },
  get progress(): number {
    return info().scenarioProgress[iteration('scenario').scenario] ?? 0;
  },
  get iterationInInstance(): number {
    return iteration('scenario').scenarioIterationInTest;
  },
  get iterationInTest(): number {
    return iteration('scenario').scenarioIterationInTest;
  },
};

export const instance = {
  get iterationsInterrupted(): number {
    return info().iterationsInterrupted;
  },
  get iterationsCompleted(): number {
    return info().iterationsCompleted;
  },
  get vusActive(): number {
    return info().vusActive;
  },
  get vusInitialized(): number {
    return info().vusInitialized;
  },
  get currentTestRunDuration(): number {
    return info().currentTestRunDuration;
  },
};

export const test = {
  /** Stops the whole test now; k6 exits 108. teardown() and the summary still run. */
  abort(reason?: string): never {
    const text = reason === undefined ? 'test aborted' : String(reason);
    if (state.lifecycle === 'init') throw new Error(`test aborted in the init context: ${text}`);
    flushSamples();
    host.notify({ kind: 'abort', reason: text });
    throw new TestAbort(text);
  },
  /** Marks the test failed (k6 exits 110 at the end) and goes on. */
  fail(reason?: string): void {
    host.notify({ kind: 'markFailed', reason: reason === undefined ? 'test marked as failed' : String(reason) });
  },
  get options(): Record<string, unknown> {
    return testOptions;
  },
};

export default { vu, scenario, instance, test };
