/**
 * A test run, start to end, in k6's order (k6 docs, "Test lifecycle"): the
 * init code once to read the options, the VUs' init code, setup() once, the
 * scenarios, teardown() once, then the summary. The engine performs the VUs'
 * HTTP requests, aggregates every metric sample, judges the thresholds
 * (aborting on `abortOnFail`) and decides the exit code, as k6's are.
 */
import { freemem, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import { Registry, type Tags } from '../metrics/registry';
import { formatClock, formatDuration } from '../options/duration';
import type { RunPlan } from '../options/run-plan';
import {
  type IterationOutcome,
  type LoopLimits,
  type ScenarioHost,
  type ScenarioRun,
  createScenarioRun,
} from '../executors/scenario-run';
import { describeScenario, scenarioEnd, scenarioPreallocatedVus, testMaxVus } from '../executors/schedule';
import { type Exchange, VuHttp } from '../http/http-client';
import type { Bundle } from '../script/bundle';
import { bundleCodeCache } from '../script/compile';
import { GroupTree } from '../summary/summary-data';
import {
  type BoundThresholds,
  type ThresholdOutcome,
  abortingThresholds,
  bindThresholds,
  evaluateThresholds,
} from '../thresholds/thresholds';
import type {
  ExecutionInfo,
  HttpRequestSpec,
  HttpResponseData,
  IterationState,
  SampleTuple,
  ScriptError,
  ScriptShape,
  VuNotice,
  VuRequest,
} from '../vu/protocol';
import { type RunResult, type VuEvents, VuHandle, VuInitError, VuPool } from '../vu/vu-pool';
import type { Terminal } from './terminal';

/** k6's exit codes (k6 docs, "Exit codes"). */
export const EXIT = {
  ok: 0,
  thresholdsCrossed: 99,
  setupTimeout: 100,
  teardownTimeout: 101,
  invalidConfig: 104,
  externalAbort: 105,
  scriptException: 107,
  scriptAborted: 108,
  markedAsFailed: 110,
} as const;

/** Memory one VU (a worker thread with its context) takes, measured on Node 20 and 24, with room to spare. */
export const VU_MEMORY_BYTES = 16 * 1024 * 1024;
/** Memory kept free for the engine, its samples and the rest of the machine. */
const RESERVED_MEMORY_BYTES = 1024 * 1024 * 1024;

/** The most VUs this machine can hold now, by its free memory (and a cgroup's limit, if any). */
export function vuCapacity(): number {
  let available = freemem();
  try {
    const limit = readFileSync('/sys/fs/cgroup/memory.max', 'utf8').trim();
    const used = Number(readFileSync('/sys/fs/cgroup/memory.current', 'utf8').trim());
    if (limit !== 'max') available = Math.min(available, Number(limit) - used);
  } catch {
    // no cgroup v2 limit to respect
  }
  return Math.max(1, Math.floor(Math.max(0, available - RESERVED_MEMORY_BYTES) / VU_MEMORY_BYTES));
}

export class EngineError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

const THRESHOLD_CHECK_MS = 2000;
const VUS_SAMPLE_MS = 1000;

interface Stop {
  code: number;
  reason: string;
}

export class Engine implements ScenarioHost, VuEvents {
  readonly registry = new Registry();
  readonly groups = new GroupTree();
  pool!: VuPool;
  private plan!: RunPlan;
  private shape!: ScriptShape;
  private bound: BoundThresholds[] = [];
  private lifecycleVu!: VuHandle;
  private readonly https = new WeakMap<VuHandle, VuHttp>();
  private readonly stopController = new AbortController();
  private stop: Stop | undefined;
  private markedFailed = false;
  private runs: ScenarioRun[] = [];
  private setupJson: string | undefined;
  private startedAt = 0;
  private endedAt = 0;
  private configuration = '';
  private codeCache: Buffer | undefined;
  private timers: NodeJS.Timeout[] = [];
  /** For the progress lines: requests and failed checks, over the test and per scenario, and the request rate since the last line. */
  private readonly tally = new Map<string, { requests: number; failedChecks: number; shown: number; rate: number }>();
  private lastProgressAt = 0;
  /** The `vus` value last sampled: it is sampled every second and whenever it changes. */
  private lastVus = -1;

  constructor(
    readonly bundle: Bundle,
    readonly terminal: Terminal,
    private readonly envJson: string,
  ) {}

  get stopping(): AbortSignal {
    return this.stopController.signal;
  }

  get testRunDurationMs(): number {
    if (this.startedAt === 0) return 0;
    return (this.endedAt || Date.now()) - this.startedAt;
  }

  // -------------------------------------------------------------------------
  // Reading the script

  /** Runs the init code once (VU 0, which later runs setup, teardown and handleSummary) and returns the script's exports. */
  async readScript(throwErrors: boolean): Promise<ScriptShape> {
    this.codeCache = bundleCodeCache(this.bundle.code);
    this.lifecycleVu = new VuHandle(
      0,
      { bundle: this.bundle, codeCache: this.codeCache, envJson: this.envJson, throwErrors, configuration: undefined },
      this,
    );
    try {
      this.shape = await this.lifecycleVu.ready;
    } catch (error) {
      throw this.initFailure(error);
    }
    return this.shape;
  }

  private initFailure(error: unknown): EngineError {
    if (error instanceof VuInitError) return new EngineError(error.scriptError.stack, EXIT.scriptException);
    return new EngineError(String(error), EXIT.scriptException);
  }

  /** Checks the plan against the script (exec functions, thresholds on its metrics) and this machine's capacity. */
  prepare(plan: RunPlan): void {
    this.plan = plan;
    for (const scenario of plan.scenarios) {
      if (!this.shape.functions.includes(scenario.exec)) {
        const what = scenario.exec === 'default' ? 'a default function' : `a function named "${scenario.exec}"`;
        throw new EngineError(`scenario "${scenario.name}": the script exports no ${what}`, EXIT.invalidConfig);
      }
    }
    if (!plan.noThresholds) {
      try {
        this.bound = bindThresholds(plan.thresholds, this.registry);
      } catch (error) {
        throw new EngineError((error as Error).message, EXIT.invalidConfig);
      }
    }
    const needed = testMaxVus(plan.scenarios);
    const capacity = vuCapacity();
    if (needed > capacity) {
      throw new EngineError(
        `this test needs ${needed} VUs at once, and this machine can hold about ${capacity} (each VU of this runner is a thread of ~${VU_MEMORY_BYTES / 1024 / 1024} MB; ${Math.round(freemem() / 1024 / 1024)} MB of ${Math.round(totalmem() / 1024 / 1024)} MB are free). ` +
          "Lower the VUs (a scenario's vus, maxVUs or stage targets), or run it with k6, which holds thousands: https://grafana.com/docs/k6/latest/set-up/install-k6/",
        EXIT.invalidConfig,
      );
    }
    this.configuration = JSON.stringify({
      http: {
        userAgent: plan.http.userAgent,
        maxRedirects: plan.http.maxRedirects,
        discardResponseBodies: plan.http.discardResponseBodies,
      },
      options: plan.consolidated,
      minIterationDurationMs: plan.minIterationDurationMs,
    });
    const settings = {
      bundle: this.bundle,
      codeCache: this.codeCache,
      envJson: this.envJson,
      throwErrors: plan.http.throw,
      configuration: this.configuration,
    };
    this.pool = new VuPool(needed, (id) => new VuHandle(id, settings, this));
  }

  /** The lines k6 prints before a test: where it runs and what each scenario does. */
  header(scriptLabel: string): string[] {
    const scenarios = this.plan.scenarios;
    const maxDuration = Math.max(...scenarios.map(scenarioEnd));
    const lines = [
      '',
      '  execution: local (TaskOverflow k6-compatible runner)',
      `     script: ${scriptLabel}`,
      '     output: -',
      '',
      `  scenarios: (100.00%) ${scenarios.length} scenario${scenarios.length === 1 ? '' : 's'}, ${testMaxVus(scenarios)} max VUs, ${formatDuration(maxDuration)} max duration (incl. graceful stop):`,
    ];
    for (const scenario of scenarios) lines.push(`           * ${scenario.name}: ${describeScenario(scenario)}`);
    lines.push('');
    return lines;
  }

  // -------------------------------------------------------------------------
  // The run

  /** Everything after the options: VUs, setup, scenarios, teardown. */
  async run(): Promise<void> {
    const preallocated = testMaxVus(this.plan.scenarios, scenarioPreallocatedVus);
    const initStarted = Date.now();
    try {
      await this.pool.initialize(preallocated, (ready) => {
        if (this.terminal.isTTY)
          this.terminal.progress([`init [${bar(ready / preallocated)}] ${ready}/${preallocated} VUs initialized`]);
      });
      this.log('info', `${preallocated} VUs initialized in ${formatDuration(Date.now() - initStarted)}`);
    } catch (error) {
      await this.pool.terminateAll();
      throw this.initFailure(error);
    }
    await this.lifecycleVu.run({ kind: 'configure', configuration: this.configuration });

    this.startedAt = Date.now();
    this.timers.push(setInterval(() => this.sampleVus(), VUS_SAMPLE_MS));
    if (this.bound.some((set) => set.thresholds.some((t) => t.abortOnFail))) {
      this.timers.push(setInterval(() => this.checkAbortingThresholds(), THRESHOLD_CHECK_MS));
    }
    this.timers.push(setInterval(() => this.showProgress(false), 1000));
    this.sampleVus();

    const setupOk = await this.setup();
    if (setupOk) {
      this.runs = this.plan.scenarios.map((scenario) => createScenarioRun(scenario, this));
      await Promise.all(this.runs.map((run) => run.run().catch((error: unknown) => this.scenarioFailed(run, error))));
    }
    this.sampleVus();
    if (this.stop?.code !== EXIT.setupTimeout && this.stop?.code !== EXIT.scriptException) await this.teardown();
    this.endedAt = Date.now();
    for (const timer of this.timers) clearInterval(timer);
    this.showProgress(true);
    if (this.pool.failure !== undefined && this.stop === undefined) {
      this.log('error', `a VU could not be initialised during the test: ${this.pool.failure.scriptError.stack}`);
    }
  }

  private lifecycleState(): IterationState {
    return {
      scenario: '',
      executor: '',
      scenarioStartTime: 0,
      iterationInScenario: 0,
      iterationInInstance: 0,
      scenarioIterationInTest: 0,
      env: {},
      tags: this.plan.tags,
    };
  }

  /** A scenario that could not go on (a VU's init code failed when it was started again): the test stops. */
  private scenarioFailed(run: ScenarioRun, error: unknown): void {
    const detail = error instanceof VuInitError ? error.scriptError.stack : String(error);
    this.log('error', `scenario "${run.scenario.name}" could not go on: ${detail}`);
    this.halt(EXIT.scriptException, `scenario "${run.scenario.name}" failed`);
  }

  /** Runs a lifecycle function on VU 0 within its timeout; undefined when it timed out. */
  private async callLifecycle(
    fn: 'setup' | 'teardown' | 'handleSummary',
    arg: string | undefined,
    timeoutMs: number,
  ): Promise<RunResult | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    });
    const result = await Promise.race([
      this.lifecycleVu.run({ kind: 'call', fn, arg, state: this.lifecycleState() }),
      timedOut,
    ]);
    clearTimeout(timer);
    if (result === undefined) await this.lifecycleVu.terminate();
    return result;
  }

  private async setup(): Promise<boolean> {
    if (this.plan.noSetup || !this.shape.functions.includes('setup')) return true;
    const result = await this.callLifecycle('setup', undefined, this.plan.setupTimeoutMs);
    if (result === undefined) {
      this.halt(EXIT.setupTimeout, `setup() execution timed out after ${formatDuration(this.plan.setupTimeoutMs)}`);
      return false;
    }
    if (result.kind === 'aborted') return false;
    if (result.kind === 'called' && result.error !== undefined) {
      this.scriptError(result.error, { hint: 'setup' });
      this.halt(EXIT.scriptException, 'setup() failed');
      return false;
    }
    if (result.kind === 'called') this.setupJson = result.value as string | undefined;
    return !this.stopping.aborted;
  }

  private async teardown(): Promise<void> {
    if (this.plan.noTeardown || !this.shape.functions.includes('teardown') || !this.lifecycleVu.isAlive) return;
    const result = await this.callLifecycle('teardown', this.setupJson, this.plan.teardownTimeoutMs);
    if (result === undefined) {
      this.halt(
        EXIT.teardownTimeout,
        `teardown() execution timed out after ${formatDuration(this.plan.teardownTimeoutMs)}`,
        false,
      );
    } else if (result.kind === 'called' && result.error !== undefined) {
      this.scriptError(result.error, { hint: 'teardown' });
      this.halt(EXIT.scriptException, 'teardown() failed', false);
    }
  }

  /** handleSummary(data)'s result: file name (or stdout/stderr) to content; undefined when the script has none or it failed. */
  async handleSummary(dataJson: string): Promise<Record<string, unknown> | undefined> {
    if (!this.shape.functions.includes('handleSummary') || !this.lifecycleVu.isAlive) return undefined;
    const result = await this.callLifecycle('handleSummary', dataJson, this.plan.handleSummaryTimeoutMs);
    if (result === undefined) {
      this.log(
        'error',
        `handleSummary() timed out after ${formatDuration(this.plan.handleSummaryTimeoutMs)}; printing the default summary`,
      );
      return undefined;
    }
    if (result.kind !== 'called') return undefined;
    if (result.error !== undefined) {
      this.scriptError(result.error, { hint: 'handleSummary' });
      this.log('error', 'failed to handle the end-of-test summary; printing the default summary');
      return undefined;
    }
    if (result.value === undefined || result.value === null || typeof result.value !== 'object') {
      this.log(
        'error',
        'handleSummary() must return an object of file names (or stdout, stderr) to contents; printing the default summary',
      );
      return undefined;
    }
    return result.value as Record<string, unknown>;
  }

  /** Stops the test now (test.abort(), a threshold, a signal): running iterations are interrupted. */
  halt(code: number, reason: string, interrupt = true): void {
    if (this.stop === undefined) this.stop = { code, reason };
    if (this.stopController.signal.aborted) return;
    this.stopController.abort();
    if (interrupt) for (const run of this.runs) for (const vu of run.vus) if (vu.busy) void vu.terminate();
  }

  /** Ends every VU and timer: at the end of the run, or at once on a second signal. */
  async close(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    await Promise.all([this.pool?.terminateAll(), this.lifecycleVu?.terminate()]);
  }

  get stopReason(): Stop | undefined {
    return this.stop;
  }

  /** Every threshold's verdict now. */
  thresholdOutcomes(): ThresholdOutcome[] {
    return evaluateThresholds(this.bound, this.testRunDurationMs);
  }

  /** k6's exit code for the run as it ended. */
  exitCode(outcomes: ThresholdOutcome[]): number {
    if (this.stop !== undefined) return this.stop.code;
    if (!this.plan.noThresholds && outcomes.some((o) => !o.ok)) return EXIT.thresholdsCrossed;
    if (this.markedFailed) return EXIT.markedAsFailed;
    return EXIT.ok;
  }

  get setupData(): unknown {
    return this.setupJson === undefined ? undefined : (JSON.parse(this.setupJson) as unknown);
  }

  // -------------------------------------------------------------------------
  // ScenarioHost

  /** Where the VU's next iteration in the scenario stands. */
  private iterationState(run: ScenarioRun, vu: VuHandle, inTest: number): IterationState {
    if (this.activeVus() !== this.lastVus) this.sampleVus();
    return {
      scenario: run.scenario.name,
      executor: run.scenario.executor,
      scenarioStartTime: run.startedAt,
      iterationInScenario: run.vuIteration(vu),
      iterationInInstance: vu.iterationsInInstance,
      scenarioIterationInTest: inTest,
      env: run.scenario.env,
      tags: { ...this.plan.tags, ...run.scenario.tags },
    };
  }

  /** An interrupted VU has ended: its connections go with it. */
  private interrupted(run: ScenarioRun, vu: VuHandle): IterationOutcome {
    run.interrupted++;
    if (!vu.isAlive) {
      this.https.get(vu)?.close();
      this.https.delete(vu);
    }
    return 'interrupted';
  }

  async iterate(run: ScenarioRun, vu: VuHandle): Promise<IterationOutcome> {
    const state = this.iterationState(run, vu, run.claimIteration());
    run.advanceVu(vu, 1);
    vu.iterationsInInstance++;
    const result = await vu.run({ kind: 'iterate', exec: run.scenario.exec, state, setupData: this.setupJson });
    if (result.kind !== 'iterated') return this.interrupted(run, vu);
    if (result.error !== undefined)
      this.scriptError(result.error, { executor: run.scenario.executor, scenario: run.scenario.name });
    return 'completed';
  }

  async loop(run: ScenarioRun, vu: VuHandle, limits: LoopLimits): Promise<IterationOutcome> {
    const result = await vu.run({
      kind: 'loop',
      exec: run.scenario.exec,
      state: this.iterationState(run, vu, 0),
      setupData: this.setupJson,
      counter: run.counter,
      sharedLimit: limits.sharedLimit ?? null,
      vuLimit: limits.vuLimit ?? null,
    });
    if (result.kind !== 'looped') return this.interrupted(run, vu);
    run.advanceVu(vu, result.iterations);
    vu.iterationsInInstance += result.iterations;
    return 'completed';
  }

  dropped(run: ScenarioRun, count: number): void {
    if (count > 0) this.registry.add('dropped_iterations', count, { ...this.plan.tags, scenario: run.scenario.name });
  }

  // -------------------------------------------------------------------------
  // VuEvents

  request(vu: VuHandle, request: VuRequest): unknown {
    switch (request.kind) {
      case 'http':
        this.ingest(request.samples);
        this.httpOf(vu, request.iteration);
        return this.performHttp(vu, request.requests);
      case 'defineMetric':
        this.registry.define(request.name, request.type, request.isTime ? 'time' : 'default');
        return {};
      case 'executionInfo':
        return this.executionInfo();
      case 'cookieJar': {
        const http = this.httpOf(vu, request.iteration);
        switch (request.op) {
          case 'get':
            return http.cookiesFor(request.url);
          case 'set':
            http.setCookie(request.url, request.name ?? '', request.value ?? '', request.options ?? {});
            return {};
          case 'clear':
            http.clearCookies(request.url);
            return {};
          case 'delete':
            http.deleteCookie(request.url, request.name ?? '');
            return {};
        }
      }
    }
  }

  notice(vu: VuHandle, notice: VuNotice): void {
    switch (notice.kind) {
      case 'samples':
        this.ingest(notice.samples);
        return;
      case 'log':
        this.terminal.console(notice.level, notice.text);
        return;
      case 'abort':
        this.log('error', `test aborted: ${notice.reason}`, { vu: vu.id });
        this.halt(EXIT.scriptAborted, notice.reason);
        return;
      case 'markFailed':
        this.markedFailed = true;
        this.log('error', `test marked as failed: ${notice.reason}`, { vu: vu.id });
        return;
      case 'iterationError':
        this.scriptError(notice.error, { executor: notice.executor, scenario: notice.scenario });
        return;
      default:
        return;
    }
  }

  // -------------------------------------------------------------------------
  // Metrics

  private ingest(samples: SampleTuple[]): void {
    for (const [name, value, tags] of samples) {
      this.registry.add(name, value, tags);
      if (name === 'iterations') {
        const run = this.runs.find((r) => r.scenario.name === tags.scenario);
        if (run !== undefined) run.completed++;
      } else if (name === 'checks') {
        this.groups.check(tags.group ?? '', tags.check ?? '', value !== 0);
        if (value === 0) this.count(tags.scenario, 'failedChecks');
      } else if (name === 'group_duration') {
        this.groups.group(tags.group ?? '');
      }
    }
  }

  private count(scenario: string | undefined, what: 'requests' | 'failedChecks'): void {
    for (const key of scenario === undefined ? [''] : ['', scenario]) {
      let entry = this.tally.get(key);
      if (entry === undefined) {
        entry = { requests: 0, failedChecks: 0, shown: 0, rate: 0 };
        this.tally.set(key, entry);
      }
      entry[what]++;
    }
  }

  /** The VU's connections and cookies; a new iteration (a request tells which it belongs to) starts with an empty jar. */
  private httpOf(vu: VuHandle, iteration?: number): VuHttp {
    let http = this.https.get(vu);
    if (http === undefined) {
      http = new VuHttp(this.plan.http);
      this.https.set(vu, http);
    }
    if (iteration !== undefined) http.enterIteration(iteration);
    return http;
  }

  /** The VU's requests (several for http.batch, at most `batch` at once), recorded as they complete. */
  private async performHttp(vu: VuHandle, specs: HttpRequestSpec[]): Promise<HttpResponseData[]> {
    const http = this.httpOf(vu);
    const perform = async (spec: HttpRequestSpec): Promise<HttpResponseData> => {
      const outcome = await http.perform(spec);
      for (const exchange of outcome.exchanges) this.recordExchange(spec, exchange);
      for (const warning of outcome.warnings) this.log('warn', warning);
      if (outcome.response.error !== '' && !this.stopping.aborted) {
        this.log('warn', 'Request Failed', { error: outcome.response.error });
      }
      return outcome.response;
    };
    if (specs.length === 1) return [await perform(specs[0])];
    const responses = new Array<HttpResponseData>(specs.length);
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < specs.length) {
        const index = next++;
        responses[index] = await perform(specs[index]);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.plan.http.batch, specs.length) }, lane));
    return responses;
  }

  private recordExchange(spec: HttpRequestSpec, exchange: Exchange): void {
    const tags: Record<string, string> = {
      ...spec.tags,
      method: exchange.method,
      url: exchange.url,
      status: String(exchange.status),
    };
    if (exchange.proto !== '') tags.proto = exchange.proto;
    if (exchange.tlsVersion !== '') tags.tls_version = exchange.tlsVersion;
    if (exchange.errorCode !== 0) tags.error_code = String(exchange.errorCode);
    if (exchange.error !== '') tags.error = exchange.error;
    let failed: boolean | undefined;
    if (spec.expected !== null) {
      const expected =
        exchange.status !== 0 && spec.expected.some(([min, max]) => exchange.status >= min && exchange.status <= max);
      tags.expected_response = String(expected);
      failed = !expected;
    }
    this.count(spec.tags.scenario, 'requests');
    const t = exchange.timings;
    const add = (metric: string, value: number, sampleTags: Tags = tags): void =>
      this.registry.add(metric, value, sampleTags);
    add('http_reqs', 1);
    add('http_req_duration', t.duration);
    add('http_req_blocked', t.blocked);
    add('http_req_connecting', t.connecting);
    add('http_req_tls_handshaking', t.tls_handshaking);
    add('http_req_sending', t.sending);
    add('http_req_waiting', t.waiting);
    add('http_req_receiving', t.receiving);
    if (failed !== undefined) add('http_req_failed', failed ? 1 : 0);
    add('data_sent', exchange.bytesSent);
    add('data_received', exchange.bytesReceived);
  }

  private activeVus(): number {
    return this.runs.reduce((sum, run) => sum + run.vus.size, 0);
  }

  private sampleVus(): void {
    this.lastVus = this.activeVus();
    this.registry.add('vus', this.lastVus, this.plan.tags);
    this.registry.add('vus_max', this.pool.initialized, this.plan.tags);
  }

  private checkAbortingThresholds(): void {
    if (this.stopping.aborted) return;
    const crossed = abortingThresholds(this.bound, this.testRunDurationMs);
    if (crossed.length === 0) return;
    const names = [...new Set(crossed.map((c) => c.set.name))].map((n) => `'${n}'`).join(', ');
    this.log(
      'error',
      `thresholds on metrics ${names} were crossed; at least one has abortOnFail enabled, stopping test prematurely`,
    );
    this.halt(EXIT.thresholdsCrossed, `thresholds on ${names} crossed`);
  }

  private executionInfo(): ExecutionInfo {
    const scenarioProgress: Record<string, number> = {};
    for (const run of this.runs) scenarioProgress[run.scenario.name] = run.progress();
    return {
      iterationsCompleted: this.runs.reduce((n, run) => n + run.completed, 0),
      iterationsInterrupted: this.runs.reduce((n, run) => n + run.interrupted, 0),
      vusActive: this.activeVus(),
      vusInitialized: this.pool.initialized,
      currentTestRunDuration: this.testRunDurationMs,
      scenarioProgress,
    };
  }

  // -------------------------------------------------------------------------
  // Output

  log(level: 'debug' | 'info' | 'warn' | 'error', message: string, fields: Record<string, string | number> = {}): void {
    this.terminal.log(level, message, fields);
  }

  private scriptError(error: ScriptError, fields: Record<string, string>): void {
    const { hint, ...rest } = fields;
    this.log(
      'error',
      error.stack,
      hint === undefined ? { ...rest, source: 'stacktrace' } : { hint, source: 'stacktrace' },
    );
  }

  /** Requests per second since the last progress line (over the whole run for the final one) and failed checks. */
  private traffic(key: string, seconds: number, final: boolean): string {
    const entry = this.tally.get(key) ?? { requests: 0, failedChecks: 0, shown: 0, rate: 0 };
    if (final) entry.rate = this.testRunDurationMs > 0 ? entry.requests / (this.testRunDurationMs / 1000) : 0;
    else if (seconds > 0) entry.rate = (entry.requests - entry.shown) / seconds;
    entry.shown = entry.requests;
    return `${entry.rate.toFixed(1)} req/s, ${entry.failedChecks} failed checks`;
  }

  private showProgress(final: boolean): void {
    const completed = this.runs.reduce((n, run) => n + run.completed, 0);
    const interrupted = this.runs.reduce((n, run) => n + run.interrupted, 0);
    const now = Date.now();
    const seconds = this.lastProgressAt === 0 ? 0 : (now - this.lastProgressAt) / 1000;
    this.lastProgressAt = now;
    const width = Math.max(...this.plan.scenarios.map((s) => s.name.length));
    const lines = [
      `running (${formatClock(this.testRunDurationMs)}), ${String(this.activeVus()).padStart(2, '0')}/${this.pool.capacity} VUs, ${completed} complete and ${interrupted} interrupted iterations, ${this.traffic('', seconds, final)}`,
    ];
    for (const run of this.runs) {
      const done = !run.running && run.finishedAt > 0;
      lines.push(
        `${run.scenario.name.padEnd(width)} ${done ? '✓' : ' '} [${bar(run.progress())}] ${run.describe()}, ${this.traffic(run.scenario.name, seconds, final)}`,
      );
    }
    this.terminal.progress(lines, final);
  }
}

function bar(fraction: number, width = 40): string {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return filled >= width ? '='.repeat(width) : `${'='.repeat(filled)}>${'-'.repeat(width - filled - 1)}`;
}
