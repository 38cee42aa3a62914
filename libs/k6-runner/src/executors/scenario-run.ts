/**
 * Running a scenario: the executors of k6 (k6 docs, "Executors") driving VUs
 * from the pool. Iteration-based and VU-based executors set VUs looping (each
 * VU runs its iterations on its own until told to stop); arrival-rate
 * executors start iterations on a clock and drop those no VU is free for.
 * When a scenario's time is up, running iterations get its gracefulStop
 * (gracefulRampDown for VUs a ramp takes away) and are then interrupted.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { formatClock, formatDuration } from '../options/duration';
import type { Scenario } from '../options/scenarios';
import type { VuHandle, VuPool } from '../vu/vu-pool';
import {
  constantArrivals,
  nextRampingChange,
  rampingArrivals,
  rampingVusAt,
  scenarioDuration,
  scenarioMaxVus,
} from './schedule';

export type IterationOutcome = 'completed' | 'interrupted';

/** Where a VU's loop stops by itself (besides being told to). */
export interface LoopLimits {
  /** shared-iterations: the scenario's iterations, shared by its VUs. */
  sharedLimit?: number;
  /** per-vu-iterations: this VU's iterations. */
  vuLimit?: number;
}

export interface ScenarioHost {
  readonly pool: VuPool;
  /** Runs one iteration of the scenario on the VU. */
  iterate(run: ScenarioRun, vu: VuHandle): Promise<IterationOutcome>;
  /** Runs iterations on the VU until `vu.stopLoop()` or a limit. */
  loop(run: ScenarioRun, vu: VuHandle, limits: LoopLimits): Promise<IterationOutcome>;
  /** Counts iterations the scenario could not start (dropped_iterations). */
  dropped(run: ScenarioRun, count: number): void;
  /** Aborted when the whole test stops early (test.abort(), a threshold, a signal). */
  readonly stopping: AbortSignal;
}

/** Waits `ms`, or less when the test stops; never rejects. */
async function wait(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return;
  await delay(ms, undefined, { signal }).catch(() => undefined);
}

/** Whether `done` settles within `ms` (or before the test stops); the timer is cleared either way. */
async function settlesWithin(done: Promise<unknown>, ms: number, stopping: AbortSignal): Promise<boolean> {
  const timer = new AbortController();
  try {
    return await Promise.race([
      done.then(() => true),
      wait(ms, AbortSignal.any([stopping, timer.signal])).then(() => false),
    ]);
  } finally {
    timer.abort();
  }
}

export abstract class ScenarioRun {
  /** ms since the epoch when the scenario started (0 before). */
  startedAt = 0;
  finishedAt = 0;
  completed = 0;
  interrupted = 0;
  /** Iterations started (the next one's scenario.iterationInTest), counted by the VUs themselves. */
  readonly counter = new SharedArrayBuffer(4);
  private readonly started = new Int32Array(this.counter);
  /** VUs the scenario holds now. */
  readonly vus = new Set<VuHandle>();
  private readonly perVu = new Map<number, number>();
  /** Set when no new iteration may start. */
  protected ending = false;

  constructor(
    readonly scenario: Scenario,
    protected readonly host: ScenarioHost,
  ) {}

  /** The VU's next iteration number in this scenario (exec.vu.iterationInScenario). */
  vuIteration(vu: VuHandle): number {
    return this.perVu.get(vu.id) ?? 0;
  }

  /** Counts iterations the VU ran in this scenario. */
  advanceVu(vu: VuHandle, iterations: number): void {
    this.perVu.set(vu.id, this.vuIteration(vu) + iterations);
  }

  /** Claims the next scenario.iterationInTest (an iteration the engine starts itself). */
  claimIteration(): number {
    return Atomics.add(this.started, 0, 1);
  }

  /** Iterations started so far (what the VUs claimed, up to `limit`). */
  startedIterations(limit = Number.POSITIVE_INFINITY): number {
    return Math.min(limit, Atomics.load(this.started, 0));
  }

  get running(): boolean {
    return this.startedAt > 0 && this.finishedAt === 0;
  }

  /** Waits for the start time, runs the executor, and gives back every VU. */
  async run(): Promise<void> {
    await wait(this.scenario.startTimeMs, this.host.stopping);
    if (this.host.stopping.aborted) return;
    this.startedAt = Date.now();
    try {
      await this.execute();
    } finally {
      this.finishedAt = Date.now();
      for (const vu of this.vus) this.host.pool.release(vu);
      this.vus.clear();
    }
  }

  protected abstract execute(): Promise<void>;

  /** How far along the scenario is, 0 to 1. */
  abstract progress(): number;

  /** The scenario's progress line after its name. */
  abstract describe(): string;

  protected elapsed(): number {
    return this.startedAt === 0 ? 0 : (this.finishedAt || Date.now()) - this.startedAt;
  }

  protected timeProgress(): number {
    return Math.min(1, this.elapsed() / scenarioDuration(this.scenario));
  }

  protected timeText(): string {
    return `${formatClock(this.elapsed())}/${formatDuration(scenarioDuration(this.scenario))}`;
  }

  protected async takeVus(count: number): Promise<VuHandle[]> {
    const taken = await Promise.all(Array.from({ length: count }, () => this.host.pool.acquire()));
    for (const vu of taken) this.vus.add(vu);
    return taken;
  }

  protected giveBack(vu: VuHandle): void {
    this.vus.delete(vu);
    this.host.pool.release(vu);
  }

  /** Sets the VU looping, unless the scenario or the test is ending. */
  protected async loop(vu: VuHandle, limits: LoopLimits = {}): Promise<void> {
    if (this.ending || this.host.stopping.aborted || !vu.isAlive) return;
    await this.host.loop(this, vu, limits);
  }

  /**
   * The end of the scenario's time: no new iterations; running ones get
   * `graceMs` to finish, then their VUs are interrupted.
   */
  protected async endGracefully(pending: Promise<unknown>[], graceMs: number): Promise<void> {
    this.ending = true;
    for (const vu of this.vus) vu.stopLoop();
    const settled = Promise.all(pending);
    if (!(await settlesWithin(settled, graceMs, this.host.stopping))) {
      await Promise.all([...this.vus].filter((vu) => vu.busy).map((vu) => vu.terminate()));
      await settled;
    }
  }

  /** Waits until `ms` after the scenario's start (or the test stops); true unless `done` settled first. */
  protected async until(ms: number, done: Promise<unknown> = new Promise(() => undefined)): Promise<boolean> {
    return !(await settlesWithin(done, this.startedAt + ms - Date.now(), this.host.stopping));
  }
}

function percent(fraction: number): string {
  return `${Math.floor(fraction * 100)}%`.padStart(4);
}

class SharedIterations extends ScenarioRun {
  declare readonly scenario: Extract<Scenario, { executor: 'shared-iterations' }>;

  protected async execute(): Promise<void> {
    const { iterations, maxDurationMs, gracefulStopMs } = this.scenario;
    const vus = await this.takeVus(this.scenario.vus);
    const loops = Promise.all(vus.map((vu) => this.loop(vu, { sharedLimit: iterations })));
    const timeUp = await this.until(maxDurationMs, loops);
    await this.endGracefully([loops], gracefulStopMs);
    if (timeUp) this.host.dropped(this, iterations - this.startedIterations(iterations));
  }

  progress(): number {
    return Math.min(1, (this.completed + this.interrupted) / this.scenario.iterations);
  }

  describe(): string {
    return `${percent(this.progress())} ${this.vus.size} VUs  ${formatClock(this.elapsed())}/${formatDuration(this.scenario.maxDurationMs)}  ${this.completed + this.interrupted}/${this.scenario.iterations} shared iters`;
  }
}

class PerVuIterations extends ScenarioRun {
  declare readonly scenario: Extract<Scenario, { executor: 'per-vu-iterations' }>;

  protected async execute(): Promise<void> {
    const { iterations, maxDurationMs, gracefulStopMs } = this.scenario;
    const vus = await this.takeVus(this.scenario.vus);
    const loops = Promise.all(vus.map((vu) => this.loop(vu, { vuLimit: iterations })));
    const timeUp = await this.until(maxDurationMs, loops);
    await this.endGracefully([loops], gracefulStopMs);
    if (timeUp) this.host.dropped(this, iterations * vus.length - this.startedIterations());
  }

  progress(): number {
    return Math.min(1, (this.completed + this.interrupted) / (this.scenario.iterations * this.scenario.vus));
  }

  describe(): string {
    const total = this.scenario.iterations * this.scenario.vus;
    return `${percent(this.progress())} ${this.vus.size} VUs  ${formatClock(this.elapsed())}/${formatDuration(this.scenario.maxDurationMs)}  ${this.completed + this.interrupted}/${total} iters, ${this.scenario.iterations} per VU`;
  }
}

class ConstantVus extends ScenarioRun {
  declare readonly scenario: Extract<Scenario, { executor: 'constant-vus' }>;

  protected async execute(): Promise<void> {
    const vus = await this.takeVus(this.scenario.vus);
    const loops = Promise.all(vus.map((vu) => this.loop(vu)));
    await this.until(this.scenario.durationMs, loops);
    await this.endGracefully([loops], this.scenario.gracefulStopMs);
  }

  progress(): number {
    return this.timeProgress();
  }

  describe(): string {
    return `${percent(this.progress())} ${this.vus.size} VUs  ${this.timeText()}`;
  }
}

class RampingVus extends ScenarioRun {
  declare readonly scenario: Extract<Scenario, { executor: 'ramping-vus' }>;
  /** VUs looping, in the order they joined (the last to join leaves first). */
  private readonly looping: { vu: VuHandle; done: Promise<void> }[] = [];
  private readonly leaving: Promise<void>[] = [];
  private joining = 0;

  private join(vu: VuHandle): void {
    this.looping.push({ vu, done: this.loop(vu) });
  }

  /** Moves the number of looping VUs to `target`. */
  private async adjust(target: number): Promise<void> {
    while (this.looping.length + this.joining > target && this.looping.length > 0) {
      const entry = this.looping.pop() as (typeof this.looping)[number];
      entry.vu.stopLoop();
      this.leaving.push(this.rampDown(entry));
    }
    const wanted = target - this.looping.length - this.joining;
    if (wanted <= 0) return;
    this.joining += wanted;
    const vus = await this.takeVus(wanted);
    this.joining -= wanted;
    for (const vu of vus) {
      if (this.ending) this.giveBack(vu);
      else this.join(vu);
    }
  }

  /** A VU the ramp takes away finishes its iteration within gracefulRampDown, or is interrupted. */
  private async rampDown(entry: { vu: VuHandle; done: Promise<void> }): Promise<void> {
    if (!(await settlesWithin(entry.done, this.scenario.gracefulRampDownMs, this.host.stopping))) {
      await entry.vu.terminate();
      await entry.done;
    }
    this.giveBack(entry.vu);
  }

  protected async execute(): Promise<void> {
    const { startVUs, stages } = this.scenario;
    const total = scenarioDuration(this.scenario);
    const adjustments: Promise<void>[] = [this.adjust(rampingVusAt(startVUs, stages, 0))];
    for (;;) {
      const next = nextRampingChange(startVUs, stages, Date.now() - this.startedAt);
      if (next === undefined || next >= total || this.host.stopping.aborted) break;
      await wait(this.startedAt + next - Date.now(), this.host.stopping);
      if (this.host.stopping.aborted) break;
      adjustments.push(this.adjust(rampingVusAt(startVUs, stages, Date.now() - this.startedAt)));
    }
    await this.until(total);
    this.ending = true;
    await Promise.all(adjustments);
    await this.endGracefully(
      this.looping.map((entry) => entry.done),
      this.scenario.gracefulStopMs,
    );
    await Promise.all(this.leaving);
    this.looping.length = 0;
  }

  progress(): number {
    return this.timeProgress();
  }

  describe(): string {
    const max = scenarioMaxVus(this.scenario);
    const width = String(max).length;
    return `${percent(this.progress())} ${String(this.looping.length).padStart(width, '0')}/${max} VUs  ${this.timeText()}`;
  }
}

class ArrivalRate extends ScenarioRun {
  declare readonly scenario: Extract<Scenario, { executor: 'constant-arrival-rate' | 'ramping-arrival-rate' }>;
  private readonly free: VuHandle[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private growing = false;

  private arrivals(): Generator<number> {
    const s = this.scenario;
    return s.executor === 'constant-arrival-rate'
      ? constantArrivals(s.rate, s.timeUnitMs, s.durationMs)
      : rampingArrivals(s.startRate, s.timeUnitMs, s.stages);
  }

  /** No free VU: this iteration is dropped, and (one at a time, up to maxVUs) another VU is brought in. */
  private grow(): void {
    if (this.growing || this.vus.size >= this.scenario.maxVUs) return;
    this.growing = true;
    this.host.pool.acquire().then(
      (vu) => {
        this.growing = false;
        this.vus.add(vu);
        if (this.ending) this.giveBack(vu);
        else this.free.push(vu);
      },
      () => {
        this.growing = false;
      },
    );
  }

  private start(vu: VuHandle): void {
    const running = this.host.iterate(this, vu).then(() => {
      this.inFlight.delete(running);
      if (vu.isAlive && !this.ending) this.free.push(vu);
      else if (!vu.isAlive) this.vus.delete(vu);
    });
    this.inFlight.add(running);
  }

  protected async execute(): Promise<void> {
    this.free.push(...(await this.takeVus(this.scenario.preAllocatedVUs)));
    const total = scenarioDuration(this.scenario);
    for (const offset of this.arrivals()) {
      if (offset >= total) break;
      const due = this.startedAt + offset - Date.now();
      if (due > 0) await wait(due, this.host.stopping);
      if (this.host.stopping.aborted) break;
      const vu = this.free.pop();
      if (vu === undefined) {
        this.host.dropped(this, 1);
        this.grow();
      } else {
        this.start(vu);
      }
    }
    await this.until(total);
    await this.endGracefully([...this.inFlight], this.scenario.gracefulStopMs);
  }

  progress(): number {
    return this.timeProgress();
  }

  describe(): string {
    const busy = this.vus.size - this.free.length;
    const width = String(this.scenario.maxVUs).length;
    const s = this.scenario;
    const rate =
      s.executor === 'constant-arrival-rate'
        ? (s.rate * 1000) / s.timeUnitMs
        : (rampingRateAt(s, this.elapsed()) * 1000) / s.timeUnitMs;
    return `${percent(this.progress())} ${String(busy).padStart(width, '0')}/${String(this.vus.size).padStart(width, '0')} VUs  ${this.timeText()}  ${rate.toFixed(2)} iters/s`;
  }
}

function rampingRateAt(scenario: Extract<Scenario, { executor: 'ramping-arrival-rate' }>, t: number): number {
  let from = scenario.startRate;
  let stageStart = 0;
  for (const stage of scenario.stages) {
    if (t < stageStart + stage.durationMs) {
      return from + ((stage.target - from) * (t - stageStart)) / stage.durationMs;
    }
    from = stage.target;
    stageStart += stage.durationMs;
  }
  return from;
}

export function createScenarioRun(scenario: Scenario, host: ScenarioHost): ScenarioRun {
  switch (scenario.executor) {
    case 'shared-iterations':
      return new SharedIterations(scenario, host);
    case 'per-vu-iterations':
      return new PerVuIterations(scenario, host);
    case 'constant-vus':
      return new ConstantVus(scenario, host);
    case 'ramping-vus':
      return new RampingVus(scenario, host);
    case 'constant-arrival-rate':
    case 'ramping-arrival-rate':
      return new ArrivalRate(scenario, host);
  }
}
