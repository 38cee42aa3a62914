/**
 * The run's options, consolidated as k6 does it: the script's `options`, then
 * the command line (and K6_* variables) over them, the execution shortcuts
 * (vus, iterations, duration, stages) turned into a scenario named `default`,
 * and every value checked. An option k6 has that this runner does not is an
 * error naming it; nothing is ignored without a word.
 */
import { percentileOf } from '../metrics/sinks';
import { type ThresholdSet, ThresholdError, parseThresholds } from '../thresholds/thresholds';
import { DurationError, parseDuration } from './duration';
import { OptionsError, type Scenario, isRecord, parseScenarios } from './scenarios';

export { OptionsError };

/** What the command line sets (undefined: not given). */
export interface CliOverrides {
  vus?: number;
  iterations?: number;
  duration?: string;
  stages?: { duration: string; target: number }[];
  tags?: Record<string, string>;
  noThresholds?: boolean;
  noSummary?: boolean;
  noSetup?: boolean;
  noTeardown?: boolean;
  summaryTrendStats?: string[];
  summaryTimeUnit?: string;
  userAgent?: string;
  maxRedirects?: number;
  insecureSkipTLSVerify?: boolean;
  throw?: boolean;
}

export interface HttpSettings {
  userAgent: string;
  maxRedirects: number;
  batch: number;
  batchPerHost: number;
  discardResponseBodies: boolean;
  insecureSkipTLSVerify: boolean;
  noConnectionReuse: boolean;
  noVUConnectionReuse: boolean;
  noCookiesReset: boolean;
  /** options.hosts: a host name answered with this address instead of DNS. */
  hosts: Record<string, string>;
  throw: boolean;
}

export interface RunPlan {
  scenarios: Scenario[];
  thresholds: ThresholdSet[];
  noThresholds: boolean;
  noSummary: boolean;
  noSetup: boolean;
  noTeardown: boolean;
  summaryTrendStats: string[];
  summaryTimeUnit: string | undefined;
  /** options.tags: on every sample. */
  tags: Record<string, string>;
  setupTimeoutMs: number;
  teardownTimeoutMs: number;
  handleSummaryTimeoutMs: number;
  minIterationDurationMs: number;
  http: HttpSettings;
  /** The options as exec.test.options shows them. */
  consolidated: Record<string, unknown>;
}

export const DEFAULT_TREND_STATS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)'];

/** The user agent k6-compatible requests carry unless options.userAgent says otherwise. */
export const DEFAULT_USER_AGENT = 'k6/1.0 (https://k6.io/; taskoverflow k6-compatible runner)';

/** k6 options this runner reads. */
const SUPPORTED = new Set([
  'vus',
  'iterations',
  'duration',
  'stages',
  'scenarios',
  'thresholds',
  'tags',
  'summaryTrendStats',
  'summaryTimeUnit',
  'setupTimeout',
  'teardownTimeout',
  'handleSummaryTimeout',
  'userAgent',
  'maxRedirects',
  'batch',
  'batchPerHost',
  'discardResponseBodies',
  'insecureSkipTLSVerify',
  'noConnectionReuse',
  'noVUConnectionReuse',
  'noCookiesReset',
  'hosts',
  'throw',
  'minIterationDuration',
  'noSetup',
  'noTeardown',
  'noThresholds',
  'noSummary',
]);

/** k6 options that change nothing in a local run (k6 itself ignores them in `k6 run` without cloud output). */
const NO_EFFECT_LOCALLY = new Set(['cloud', 'ext', 'noUsageReport', 'noColor', 'vusMax']);

/** k6 options this runner does not have. */
const UNSUPPORTED = new Set([
  'blacklistIPs',
  'blockHostnames',
  'dns',
  'executionSegment',
  'executionSegmentSequence',
  'httpDebug',
  'linger',
  'localIPs',
  'paused',
  'rps',
  'systemTags',
  'tlsAuth',
  'tlsCipherSuites',
  'tlsVersion',
  'tlsAIAFetch',
  'logOutput',
  'logFormat',
  'consoleOutput',
  'compatibilityMode',
  'secretSource',
  'address',
  'traces',
  'browser',
]);

function fail(message: string): never {
  throw new OptionsError(message);
}

function duration(value: unknown, name: string, fallback: string): number {
  try {
    return parseDuration(value ?? fallback, name);
  } catch (error) {
    if (error instanceof DurationError) fail(error.message);
    throw error;
  }
}

function boolean(value: unknown, name: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') fail(`${name} must be true or false; got ${JSON.stringify(value)}`);
  return value;
}

function wholeNumber(value: unknown, name: string, fallback: number, min: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    fail(`${name} must be a whole number of at least ${min}; got ${JSON.stringify(value)}`);
  }
  return value;
}

function stringMap(value: unknown, name: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) fail(`${name} must be an object of names to strings`);
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string' && typeof item !== 'number' && typeof item !== 'boolean') {
      fail(`${name}.${key} must be a string; got ${JSON.stringify(item)}`);
    }
    out[key] = String(item);
  }
  return out;
}

function trendStats(value: unknown): string[] {
  if (value === undefined || value === null) return DEFAULT_TREND_STATS;
  if (!Array.isArray(value) || value.length === 0)
    fail('summaryTrendStats must be a non-empty list such as ["avg", "p(95)"]');
  for (const stat of value) {
    if (
      typeof stat !== 'string' ||
      !(['avg', 'min', 'med', 'max', 'count'].includes(stat) || percentileOf(stat) !== undefined)
    ) {
      fail(`summaryTrendStats: "${String(stat)}" is not avg, min, med, max, count or p(N) with N from 0 to 100`);
    }
  }
  return value as string[];
}

const SHORTCUTS = ['duration', 'iterations', 'stages'] as const;

/**
 * The execution options in force: a higher tier (the command line) that sets
 * any of duration, iterations, stages or scenarios replaces all four from the
 * lower tier (the script), as in k6.
 */
function executionOptions(script: Record<string, unknown>, cli: CliOverrides): Record<string, unknown> {
  const fromCli: Record<string, unknown> = {};
  if (cli.duration !== undefined) fromCli.duration = cli.duration;
  if (cli.iterations !== undefined) fromCli.iterations = cli.iterations;
  if (cli.stages !== undefined) fromCli.stages = cli.stages;
  const merged: Record<string, unknown> = {};
  const base = Object.keys(fromCli).length > 0 ? fromCli : script;
  for (const key of [...SHORTCUTS, 'scenarios'])
    if (base[key] !== undefined && base[key] !== null) merged[key] = base[key];
  const vus = cli.vus ?? script.vus;
  if (vus !== undefined && vus !== null) merged.vus = vus;
  return merged;
}

/** The scenarios of the execution options: `scenarios`, or the `default` scenario a shortcut stands for. */
function deriveScenarios(execution: Record<string, unknown>, warn: (message: string) => void): Record<string, unknown> {
  const set = SHORTCUTS.filter((key) => execution[key] !== undefined);
  if (execution.scenarios !== undefined) {
    if (set.length > 0) {
      fail(
        `using an execution configuration shortcut (${set.join(', ')}) and "scenarios" simultaneously is not allowed`,
      );
    }
    if (execution.vus !== undefined) warn('vus is not used: every scenario sets its own VUs');
    return execution.scenarios as Record<string, unknown>;
  }
  if (set.includes('stages') && set.length > 1) {
    fail(`using multiple execution config shortcuts (${set.join(', ')}) simultaneously is not allowed`);
  }
  const vus = execution.vus;
  if (execution.iterations !== undefined) {
    const scenario: Record<string, unknown> = {
      executor: 'shared-iterations',
      vus: vus ?? 1,
      iterations: execution.iterations,
    };
    if (execution.duration !== undefined) scenario.maxDuration = execution.duration;
    return { default: scenario };
  }
  if (execution.duration !== undefined) {
    if (duration(execution.duration, 'duration', '0s') === 0) {
      fail('a duration of 0 means an externally controlled test, which needs k6 itself (its REST API)');
    }
    return { default: { executor: 'constant-vus', vus: vus ?? 1, duration: execution.duration } };
  }
  if (execution.stages !== undefined) {
    return { default: { executor: 'ramping-vus', startVUs: vus ?? 1, stages: execution.stages } };
  }
  return { default: { executor: 'per-vu-iterations', vus: vus ?? 1, iterations: 1 } };
}

/** Builds the run's plan from the script's options (its exported `options`) and the command line. */
export function buildRunPlan(scriptOptions: unknown, cli: CliOverrides, warn: (message: string) => void): RunPlan {
  if (scriptOptions !== undefined && scriptOptions !== null && !isRecord(scriptOptions))
    fail('options must be an object');
  const script: Record<string, unknown> = scriptOptions ?? {};
  for (const key of Object.keys(script)) {
    if (UNSUPPORTED.has(key)) fail(`the option "${key}" is not supported by this runner; run this script with k6`);
    if (NO_EFFECT_LOCALLY.has(key)) continue;
    if (!SUPPORTED.has(key)) warn(`"${key}" is not a k6 option: it has no effect`);
  }

  const rawScenarios = deriveScenarios(executionOptions(script, cli), warn);
  const scenarios = parseScenarios(rawScenarios);

  let thresholds: ThresholdSet[];
  try {
    thresholds = parseThresholds(script.thresholds);
  } catch (error) {
    if (error instanceof ThresholdError) fail(error.message);
    throw error;
  }

  const summaryTimeUnit = cli.summaryTimeUnit ?? script.summaryTimeUnit ?? undefined;
  if (
    summaryTimeUnit !== undefined &&
    (typeof summaryTimeUnit !== 'string' || !['s', 'ms', 'us'].includes(summaryTimeUnit))
  ) {
    fail(`summaryTimeUnit must be s, ms or us; got ${JSON.stringify(summaryTimeUnit)}`);
  }
  const userAgent = cli.userAgent ?? script.userAgent ?? DEFAULT_USER_AGENT;
  if (typeof userAgent !== 'string') fail(`userAgent must be a string; got ${JSON.stringify(userAgent)}`);

  const http: HttpSettings = {
    userAgent,
    maxRedirects: cli.maxRedirects ?? wholeNumber(script.maxRedirects, 'maxRedirects', 10, 0),
    batch: wholeNumber(script.batch, 'batch', 20, 1),
    batchPerHost: wholeNumber(script.batchPerHost, 'batchPerHost', 6, 0),
    discardResponseBodies: boolean(script.discardResponseBodies, 'discardResponseBodies'),
    insecureSkipTLSVerify: cli.insecureSkipTLSVerify ?? boolean(script.insecureSkipTLSVerify, 'insecureSkipTLSVerify'),
    noConnectionReuse: boolean(script.noConnectionReuse, 'noConnectionReuse'),
    noVUConnectionReuse: boolean(script.noVUConnectionReuse, 'noVUConnectionReuse'),
    noCookiesReset: boolean(script.noCookiesReset, 'noCookiesReset'),
    hosts: stringMap(script.hosts, 'hosts'),
    throw: cli.throw ?? boolean(script.throw, 'throw'),
  };
  for (const [host, address] of Object.entries(http.hosts)) {
    if (/:\d+$/.test(address) && !address.includes('::')) {
      fail(`hosts: "${host}": "${address}" maps to a port, which this runner does not support (only to an address)`);
    }
  }

  const plan: RunPlan = {
    scenarios,
    thresholds,
    noThresholds: cli.noThresholds ?? boolean(script.noThresholds, 'noThresholds'),
    noSummary: cli.noSummary ?? boolean(script.noSummary, 'noSummary'),
    noSetup: cli.noSetup ?? boolean(script.noSetup, 'noSetup'),
    noTeardown: cli.noTeardown ?? boolean(script.noTeardown, 'noTeardown'),
    summaryTrendStats: trendStats(cli.summaryTrendStats ?? script.summaryTrendStats),
    summaryTimeUnit,
    tags: { ...stringMap(script.tags, 'tags'), ...(cli.tags ?? {}) },
    setupTimeoutMs: duration(script.setupTimeout, 'setupTimeout', '60s'),
    teardownTimeoutMs: duration(script.teardownTimeout, 'teardownTimeout', '60s'),
    handleSummaryTimeoutMs: duration(script.handleSummaryTimeout, 'handleSummaryTimeout', '2m'),
    minIterationDurationMs: duration(script.minIterationDuration, 'minIterationDuration', '0s'),
    http,
    consolidated: {},
  };
  plan.consolidated = {
    ...script,
    scenarios: rawScenarios,
    tags: plan.tags,
    summaryTrendStats: plan.summaryTrendStats,
    userAgent: http.userAgent,
    maxRedirects: http.maxRedirects,
  };
  for (const key of ['vus', ...SHORTCUTS]) delete plan.consolidated[key];
  return plan;
}
