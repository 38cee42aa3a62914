/**
 * When each executor wants VUs and iterations (k6 docs, "Executors"), as pure
 * functions of time, so the schedules are tested apart from any VU.
 */
import { formatDuration } from '../options/duration';
import type { Scenario, Stage } from '../options/scenarios';

/**
 * ramping-vus: how many VUs should run `t` ms after the scenario started.
 * Within a stage the count moves linearly from the previous target to this
 * one, one VU at a time; a stage of 0 s jumps straight to its target.
 */
export function rampingVusAt(startVUs: number, stages: readonly Stage[], t: number): number {
  let from = startVUs;
  let stageStart = 0;
  for (const stage of stages) {
    const stageEnd = stageStart + stage.durationMs;
    if (t < stageEnd) {
      const done = stepsDone(Math.abs(stage.target - from), t - stageStart, stage.durationMs);
      return from + Math.sign(stage.target - from) * done;
    }
    from = stage.target;
    stageStart = stageEnd;
  }
  return from;
}

/**
 * Of `steps` one-VU steps spread evenly over `duration` ms, how many are done
 * `elapsed` ms in (the epsilon absorbs rounding at the exact step moments).
 */
function stepsDone(steps: number, elapsed: number, duration: number): number {
  return Math.min(steps, Math.floor((elapsed * steps) / duration + 1e-9));
}

/** The next moment after `t` (ms) when the ramping-vus target changes, or undefined after the last stage. */
export function nextRampingChange(startVUs: number, stages: readonly Stage[], t: number): number | undefined {
  let from = startVUs;
  let stageStart = 0;
  for (const stage of stages) {
    const stageEnd = stageStart + stage.durationMs;
    if (t < stageEnd && stage.target !== from) {
      const steps = Math.abs(stage.target - from);
      // Step k of this stage (1..steps) happens at stageStart + duration·k/steps.
      const done = t < stageStart ? 0 : stepsDone(steps, t - stageStart, stage.durationMs);
      return stageStart + (stage.durationMs * (done + 1)) / steps;
    }
    from = stage.target;
    stageStart = stageEnd;
  }
  return undefined;
}

export function stagesDuration(stages: readonly Stage[]): number {
  return stages.reduce((sum, stage) => sum + stage.durationMs, 0);
}

/**
 * Arrival rates: the start offsets (ms after the scenario started) of the
 * iterations. constant-arrival-rate starts its first at 0 and one every
 * timeUnit/rate; ramping-arrival-rate, whose rate moves linearly within each
 * stage, starts iteration n when n iterations are due by the integral of the
 * rate.
 */
export function* constantArrivals(rate: number, timeUnitMs: number, durationMs: number): Generator<number> {
  const interval = timeUnitMs / rate;
  for (let i = 0; ; i++) {
    const at = i * interval;
    if (at >= durationMs) return;
    yield at;
  }
}

export function* rampingArrivals(startRate: number, timeUnitMs: number, stages: readonly Stage[]): Generator<number> {
  let from = startRate / timeUnitMs;
  let stageStart = 0;
  let dueBefore = 0;
  let next = 1;
  for (const stage of stages) {
    const to = stage.target / timeUnitMs;
    const duration = stage.durationMs;
    const dueInStage = ((from + to) / 2) * duration;
    while (next <= dueBefore + dueInStage + 1e-9 && duration > 0) {
      const wanted = next - dueBefore;
      yield stageStart + timeToReach(from, to, duration, wanted);
      next++;
    }
    dueBefore += dueInStage;
    stageStart += duration;
    from = to;
  }
}

/** Within a stage whose rate goes from `a` to `b` (per ms) over `d` ms, when `count` iterations are due. */
function timeToReach(a: number, b: number, d: number, count: number): number {
  const slope = (b - a) / d;
  if (Math.abs(slope) < 1e-15) return count / a;
  // a·τ + slope·τ²/2 = count
  const discriminant = a * a + 2 * slope * count;
  const tau = (-a + Math.sqrt(Math.max(0, discriminant))) / slope;
  return Math.min(Math.max(tau, 0), d);
}

/** The most VUs a scenario can use at once. */
export function scenarioMaxVus(scenario: Scenario): number {
  switch (scenario.executor) {
    case 'shared-iterations':
    case 'per-vu-iterations':
    case 'constant-vus':
      return scenario.vus;
    case 'ramping-vus':
      return Math.max(scenario.startVUs, ...scenario.stages.map((s) => s.target));
    case 'constant-arrival-rate':
    case 'ramping-arrival-rate':
      return scenario.maxVUs;
  }
}

/** VUs a scenario initialises before the test starts (arrival rates add more as needed, up to maxVUs). */
export function scenarioPreallocatedVus(scenario: Scenario): number {
  switch (scenario.executor) {
    case 'constant-arrival-rate':
    case 'ramping-arrival-rate':
      return scenario.preAllocatedVUs;
    default:
      return scenarioMaxVus(scenario);
  }
}

/** How long a scenario runs before its graceful stop (maxDuration for the iteration-based ones). */
export function scenarioDuration(scenario: Scenario): number {
  switch (scenario.executor) {
    case 'shared-iterations':
    case 'per-vu-iterations':
      return scenario.maxDurationMs;
    case 'constant-vus':
    case 'constant-arrival-rate':
      return scenario.durationMs;
    case 'ramping-vus':
    case 'ramping-arrival-rate':
      return stagesDuration(scenario.stages);
  }
}

/** From the test's start to the latest moment a scenario may still run, its graceful stop included. */
export function scenarioEnd(scenario: Scenario): number {
  return scenario.startTimeMs + scenarioDuration(scenario) + scenario.gracefulStopMs;
}

/**
 * VUs the whole test needs: the most that scenarios running at the same time
 * use together (a scenario that has ended hands its VUs to a later one).
 */
export function testMaxVus(scenarios: readonly Scenario[], vusOf: (s: Scenario) => number = scenarioMaxVus): number {
  const events: [number, number][] = [];
  for (const scenario of scenarios) {
    events.push([scenario.startTimeMs, vusOf(scenario)], [scenarioEnd(scenario), -vusOf(scenario)]);
  }
  // Ends before starts at the same moment: the VUs are free again.
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let most = 0;
  for (const [, change] of events) {
    current += change;
    most = Math.max(most, current);
  }
  return most;
}

/** The line k6 prints for a scenario before the test starts. */
export function describeScenario(scenario: Scenario): string {
  let text: string;
  switch (scenario.executor) {
    case 'shared-iterations':
      text = `${scenario.iterations} iterations shared among ${scenario.vus} VUs (maxDuration: ${formatDuration(scenario.maxDurationMs)})`;
      break;
    case 'per-vu-iterations':
      text = `${scenario.iterations} iterations for each of ${scenario.vus} VUs (maxDuration: ${formatDuration(scenario.maxDurationMs)})`;
      break;
    case 'constant-vus':
      text = `${scenario.vus} looping VUs for ${formatDuration(scenario.durationMs)}`;
      break;
    case 'ramping-vus':
      text = `Up to ${scenarioMaxVus(scenario)} looping VUs for ${formatDuration(stagesDuration(scenario.stages))} over ${scenario.stages.length} stages (gracefulRampDown: ${formatDuration(scenario.gracefulRampDownMs)})`;
      break;
    case 'constant-arrival-rate':
      text = `${perSecond(scenario.rate, scenario.timeUnitMs)} iterations/s for ${formatDuration(scenario.durationMs)} (maxVUs: ${scenario.preAllocatedVUs}-${scenario.maxVUs})`;
      break;
    case 'ramping-arrival-rate': {
      const peak = Math.max(scenario.startRate, ...scenario.stages.map((s) => s.target));
      text = `Up to ${perSecond(peak, scenario.timeUnitMs)} iterations/s for ${formatDuration(stagesDuration(scenario.stages))} over ${scenario.stages.length} stages (maxVUs: ${scenario.preAllocatedVUs}-${scenario.maxVUs})`;
      break;
    }
  }
  // After the executor's own facts, as k6 prints them: exec, startTime, then gracefulStop (unless 0).
  const extras: string[] = [];
  if (scenario.exec !== 'default') extras.push(`exec: ${scenario.exec}`);
  if (scenario.startTimeMs > 0) extras.push(`startTime: ${formatDuration(scenario.startTimeMs)}`);
  if (scenario.gracefulStopMs > 0) extras.push(`gracefulStop: ${formatDuration(scenario.gracefulStopMs)}`);
  if (extras.length === 0) return text;
  return text.endsWith(')') ? `${text.slice(0, -1)}, ${extras.join(', ')})` : `${text} (${extras.join(', ')})`;
}

function perSecond(rate: number, timeUnitMs: number): string {
  return ((rate * 1000) / timeUnitMs).toFixed(2);
}
