/**
 * Scenarios as k6 defines them (k6 docs, "Scenarios" and "Executors"): each
 * has an executor and its options, with k6's defaults and k6's validation.
 */
import { DurationError, formatDuration, parseDuration } from './duration';

export class OptionsError extends Error {}

export type ExecutorName =
  | 'shared-iterations'
  | 'per-vu-iterations'
  | 'constant-vus'
  | 'ramping-vus'
  | 'constant-arrival-rate'
  | 'ramping-arrival-rate';

export interface Stage {
  durationMs: number;
  target: number;
}

interface ScenarioCommon {
  name: string;
  startTimeMs: number;
  gracefulStopMs: number;
  /** The exported function each iteration calls. */
  exec: string;
  env: Readonly<Record<string, string>>;
  tags: Readonly<Record<string, string>>;
}

export interface SharedIterationsScenario extends ScenarioCommon {
  executor: 'shared-iterations';
  vus: number;
  iterations: number;
  maxDurationMs: number;
}

export interface PerVuIterationsScenario extends ScenarioCommon {
  executor: 'per-vu-iterations';
  vus: number;
  iterations: number;
  maxDurationMs: number;
}

export interface ConstantVusScenario extends ScenarioCommon {
  executor: 'constant-vus';
  vus: number;
  durationMs: number;
}

export interface RampingVusScenario extends ScenarioCommon {
  executor: 'ramping-vus';
  startVUs: number;
  stages: Stage[];
  gracefulRampDownMs: number;
}

export interface ConstantArrivalRateScenario extends ScenarioCommon {
  executor: 'constant-arrival-rate';
  rate: number;
  timeUnitMs: number;
  durationMs: number;
  preAllocatedVUs: number;
  maxVUs: number;
}

export interface RampingArrivalRateScenario extends ScenarioCommon {
  executor: 'ramping-arrival-rate';
  startRate: number;
  timeUnitMs: number;
  stages: Stage[];
  preAllocatedVUs: number;
  maxVUs: number;
}

export type Scenario =
  | SharedIterationsScenario
  | PerVuIterationsScenario
  | ConstantVusScenario
  | RampingVusScenario
  | ConstantArrivalRateScenario
  | RampingArrivalRateScenario;

const COMMON_KEYS = ['executor', 'startTime', 'gracefulStop', 'exec', 'env', 'tags', 'options'];

const EXECUTOR_KEYS: Record<ExecutorName, string[]> = {
  'shared-iterations': ['vus', 'iterations', 'maxDuration'],
  'per-vu-iterations': ['vus', 'iterations', 'maxDuration'],
  'constant-vus': ['vus', 'duration'],
  'ramping-vus': ['startVUs', 'stages', 'gracefulRampDown'],
  'constant-arrival-rate': ['rate', 'timeUnit', 'duration', 'preAllocatedVUs', 'maxVUs'],
  'ramping-arrival-rate': ['startRate', 'timeUnit', 'stages', 'preAllocatedVUs', 'maxVUs'],
};

/** The least a time-based scenario may last, as in k6. */
const MIN_DURATION_MS = 1000;

const NAME = /^[0-9A-Za-z_-]+$/;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads one scenario's fields, each error naming the scenario and the field. */
class FieldReader {
  constructor(
    private readonly label: string,
    private readonly raw: Record<string, unknown>,
  ) {}

  fail(message: string): never {
    throw new OptionsError(`${this.label}: ${message}`);
  }

  integer(key: string, fallback: number | undefined, min: number): number {
    const value = this.raw[key];
    if (value === undefined || value === null) {
      if (fallback === undefined) this.fail(`${key} is required`);
      return fallback;
    }
    if (typeof value !== 'number' || !Number.isInteger(value))
      this.fail(`${key} must be a whole number; got ${JSON.stringify(value)}`);
    if (value < min) this.fail(`${key} must be at least ${min}; got ${value}`);
    return value;
  }

  number(key: string, fallback: number | undefined, min: number): number {
    const value = this.raw[key];
    if (value === undefined || value === null) {
      if (fallback === undefined) this.fail(`${key} is required`);
      return fallback;
    }
    if (typeof value !== 'number' || !Number.isFinite(value))
      this.fail(`${key} must be a number; got ${JSON.stringify(value)}`);
    if (value < min) this.fail(`${key} must be at least ${min}; got ${value}`);
    return value;
  }

  duration(key: string, fallback: string | undefined): number {
    const value = this.raw[key];
    if (value === undefined || value === null) {
      if (fallback === undefined) this.fail(`${key} is required`);
      return parseDuration(fallback);
    }
    try {
      return parseDuration(value, key);
    } catch (error) {
      if (error instanceof DurationError) this.fail(error.message);
      throw error;
    }
  }

  strings(key: string): Record<string, string> {
    const value = this.raw[key];
    if (value === undefined || value === null) return {};
    if (!isRecord(value)) this.fail(`${key} must be an object of names to strings`);
    const out: Record<string, string> = {};
    for (const [name, item] of Object.entries(value)) {
      if (typeof item !== 'string') this.fail(`${key}.${name} must be a string; got ${JSON.stringify(item)}`);
      out[name] = item;
    }
    return out;
  }

  stages(): Stage[] {
    const value = this.raw.stages;
    if (!Array.isArray(value) || value.length === 0) this.fail('stages must list at least one stage');
    return value.map((stage: unknown, i) => {
      if (!isRecord(stage)) this.fail(`stages[${i}] must be { duration, target }`);
      const reader = new FieldReader(`${this.label}, stages[${i}]`, stage);
      for (const key of Object.keys(stage)) {
        if (key !== 'duration' && key !== 'target') this.fail(`stages[${i}] has an unknown field "${key}"`);
      }
      return { durationMs: reader.duration('duration', undefined), target: reader.integer('target', 0, 0) };
    });
  }
}

/** Normalises `options.scenarios` (already merged with any shortcut) into typed scenarios. */
export function parseScenarios(raw: unknown): Scenario[] {
  if (!isRecord(raw)) throw new OptionsError('scenarios must be an object of scenario name to its configuration');
  const names = Object.keys(raw);
  if (names.length === 0) throw new OptionsError('scenarios is empty: there is nothing to run');
  return names.map((name) => parseScenario(name, raw[name]));
}

function parseScenario(name: string, raw: unknown): Scenario {
  if (!NAME.test(name)) {
    throw new OptionsError(`scenario name "${name}" may hold only letters, digits, _ and -`);
  }
  if (!isRecord(raw)) throw new OptionsError(`scenario "${name}" must be an object`);
  const read: FieldReader = new FieldReader(`scenario "${name}"`, raw);
  const executor = raw.executor;
  if (executor === 'externally-controlled') {
    read.fail('the externally-controlled executor needs k6 itself (its REST API); this runner does not have it');
  }
  if (typeof executor !== 'string' || !(executor in EXECUTOR_KEYS)) {
    read.fail(`executor must be one of ${Object.keys(EXECUTOR_KEYS).join(', ')}; got ${JSON.stringify(executor)}`);
  }
  const kind = executor as ExecutorName;
  const allowed = new Set([...COMMON_KEYS, ...EXECUTOR_KEYS[kind]]);
  for (const key of Object.keys(raw)) {
    if (!allowed.has(key)) read.fail(`${kind} has no option "${key}" (it has: ${[...allowed].join(', ')})`);
  }
  if (raw.options !== undefined) read.fail('options (browser settings) need k6 itself; this runner has no browser');
  const exec = raw.exec ?? 'default';
  if (typeof exec !== 'string' || exec === '') read.fail('exec must be the name of an exported function');
  const common: ScenarioCommon = {
    name,
    startTimeMs: read.duration('startTime', '0s'),
    gracefulStopMs: read.duration('gracefulStop', '30s'),
    exec,
    env: read.strings('env'),
    tags: read.strings('tags'),
  };

  switch (kind) {
    case 'shared-iterations': {
      const vus = read.integer('vus', 1, 1);
      const iterations = read.integer('iterations', 1, 1);
      if (iterations < vus)
        read.fail(`the number of iterations (${iterations}) can't be less than the number of VUs (${vus})`);
      return { ...common, executor: kind, vus, iterations, maxDurationMs: atLeastMinimum(read, 'maxDuration', '10m') };
    }
    case 'per-vu-iterations':
      return {
        ...common,
        executor: kind,
        vus: read.integer('vus', 1, 1),
        iterations: read.integer('iterations', 1, 1),
        maxDurationMs: atLeastMinimum(read, 'maxDuration', '10m'),
      };
    case 'constant-vus':
      return {
        ...common,
        executor: kind,
        vus: read.integer('vus', 1, 1),
        durationMs: atLeastMinimum(read, 'duration'),
      };
    case 'ramping-vus': {
      const startVUs = read.integer('startVUs', 1, 0);
      const stages = read.stages();
      if (startVUs === 0 && stages.every((stage) => stage.target === 0)) {
        read.fail("either startVUs or one of the stages' target values must be greater than 0");
      }
      return {
        ...common,
        executor: kind,
        startVUs,
        stages,
        gracefulRampDownMs: read.duration('gracefulRampDown', '30s'),
      };
    }
    case 'constant-arrival-rate':
      return {
        ...common,
        executor: kind,
        rate: read.number('rate', undefined, Number.MIN_VALUE),
        timeUnitMs: positive(read, 'timeUnit', '1s'),
        durationMs: atLeastMinimum(read, 'duration'),
        ...arrivalRateVus(read),
      };
    case 'ramping-arrival-rate':
      return {
        ...common,
        executor: kind,
        startRate: read.number('startRate', 0, 0),
        timeUnitMs: positive(read, 'timeUnit', '1s'),
        stages: read.stages(),
        ...arrivalRateVus(read),
      };
  }
}

/** An arrival rate's VUs: preAllocatedVUs, and maxVUs (by default the same) not below it. */
function arrivalRateVus(read: FieldReader): { preAllocatedVUs: number; maxVUs: number } {
  const preAllocatedVUs = read.integer('preAllocatedVUs', undefined, 0);
  const maxVUs = read.integer('maxVUs', preAllocatedVUs, 0);
  if (maxVUs < preAllocatedVUs) read.fail(`maxVUs (${maxVUs}) can't be less than preAllocatedVUs (${preAllocatedVUs})`);
  if (maxVUs === 0) read.fail('preAllocatedVUs or maxVUs must be at least 1');
  return { preAllocatedVUs, maxVUs };
}

function positive(read: FieldReader, key: string, fallback: string): number {
  const ms = read.duration(key, fallback);
  if (ms <= 0) read.fail(`${key} must be more than 0`);
  return ms;
}

function atLeastMinimum(read: FieldReader, key: string, fallback?: string): number {
  const ms = read.duration(key, fallback);
  if (ms < MIN_DURATION_MS) read.fail(`${key} must be at least 1s; got ${formatDuration(ms)}`);
  return ms;
}
