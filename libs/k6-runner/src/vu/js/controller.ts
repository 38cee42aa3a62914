/**
 * What the VU's worker calls inside the context: the script's shape after its
 * init code, one iteration of a scenario function, and the lifecycle functions
 * setup(), teardown() and handleSummary().
 */
import type { IterationState, ScriptError, ScriptShape, VuCommandResult } from '../protocol';
import { setTestOptions } from './execution';
import { type HttpDefaults, setHttpDefaults } from './http';
import { setEnv, setIteration } from './globals';
import { host } from './host';
import { TestAbort, currentTags, emit, takeSamples, vu } from './state';

type ScriptModule = Record<string, unknown>;

export interface Configuration {
  http: HttpDefaults;
  options: Record<string, unknown>;
  minIterationDurationMs: number;
}

function toScriptError(error: unknown): ScriptError {
  if (error instanceof Error)
    return { message: `${error.name}: ${error.message}`, stack: error.stack ?? String(error) };
  let text: string;
  try {
    text = typeof error === 'string' ? error : JSON.stringify(error);
  } catch {
    text = String(error);
  }
  return { message: text, stack: text };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';
}

/** Settles a value that may be a promise (an async script function) without making sync results async. */
function settle<T>(value: unknown, onDone: (value: unknown) => T, onError: (error: unknown) => T): T | Promise<T> {
  if (isThenable(value)) return Promise.resolve(value).then(onDone, onError);
  return onDone(value);
}

/** Called by the bundle's entry once the script's init code has run. */
export function createController(script: ScriptModule) {
  vu.lifecycle = undefined;
  let minIterationDurationMs = 0;
  const baseEnv = JSON.parse(host.envJson) as Record<string, string>;
  let envScenario: string | undefined;
  let setupJson: string | undefined;
  let setupData: unknown;

  function enterIteration(state: IterationState): void {
    vu.iteration = state;
    vu.lifecycle = undefined;
    vu.groupPath = '';
    setIteration(state.iterationInScenario);
    if (state.scenario !== envScenario) {
      envScenario = state.scenario;
      setEnv(Object.keys(state.env).length === 0 ? baseEnv : { ...baseEnv, ...state.env });
    }
  }

  function dataFor(json: string | undefined): unknown {
    if (json !== setupJson) {
      setupJson = json;
      setupData = json === undefined ? undefined : JSON.parse(json);
    }
    return setupData;
  }

  function fn(name: string): (...args: unknown[]) => unknown {
    const value = script[name];
    if (typeof value !== 'function') throw new Error(`the script exports no function "${name}"`);
    return value as (...args: unknown[]) => unknown;
  }

  return {
    /** The samples not sent yet: they go with the command's result. */
    takeSamples,

    shape(): ScriptShape {
      const functions = Object.keys(script).filter((key) => typeof script[key] === 'function');
      const options = script.options === undefined ? '{}' : JSON.stringify(script.options);
      return { functions, options: options ?? '{}' };
    },

    configure(json: string): void {
      const configuration = JSON.parse(json) as Configuration;
      setHttpDefaults(configuration.http);
      setTestOptions(configuration.options);
      minIterationDurationMs = configuration.minIterationDurationMs;
    },

    /** One iteration; an exception is reported and ends only this iteration. */
    iterate(
      exec: string,
      state: IterationState,
      setupDataJson: string | undefined,
    ): VuCommandResult | Promise<VuCommandResult> {
      enterIteration(state);
      const started = host.now();
      const finish = (error?: unknown): VuCommandResult => {
        if (error instanceof TestAbort) return { kind: 'aborted', reason: error.reason };
        const elapsed = host.now() - started;
        if (elapsed < minIterationDurationMs) host.sleep(minIterationDurationMs - elapsed);
        const durationMs = host.now() - started;
        vu.groupPath = '';
        const tags = currentTags();
        emit('iterations', 1, tags);
        emit('iteration_duration', durationMs, tags);
        return error === undefined
          ? { kind: 'iterated', durationMs }
          : { kind: 'iterated', durationMs, error: toScriptError(error) };
      };
      try {
        return settle(fn(exec)(dataFor(setupDataJson)), () => finish(), finish);
      } catch (error) {
        return finish(error);
      }
    },

    /** setup() (its result as JSON), teardown(data) or handleSummary(data) (its result as is). */
    call(
      name: 'setup' | 'teardown' | 'handleSummary',
      argJson: string | undefined,
      state: IterationState,
    ): VuCommandResult | Promise<VuCommandResult> {
      vu.iteration = undefined;
      vu.lifecycle = name;
      vu.groupPath = '';
      setIteration(0);
      setEnv({ ...baseEnv, ...state.env });
      const done = (value: unknown): VuCommandResult => {
        if (name === 'setup') return { kind: 'called', value: value === undefined ? undefined : JSON.stringify(value) };
        return { kind: 'called', value: name === 'handleSummary' ? value : undefined };
      };
      const failed = (error: unknown): VuCommandResult => {
        if (error instanceof TestAbort) return { kind: 'aborted', reason: error.reason };
        return { kind: 'called', value: undefined, error: toScriptError(error) };
      };
      try {
        const arg: unknown = argJson === undefined ? undefined : JSON.parse(argJson);
        return settle(fn(name)(arg), done, failed);
      } catch (error) {
        return failed(error);
      }
    },
  };
}

export type Controller = ReturnType<typeof createController>;
