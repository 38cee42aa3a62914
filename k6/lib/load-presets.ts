/**
 * Load shapes shared by the scenarios, and the think time of simulated users.
 *
 * Every stage duration goes through DURATION_SCALE and every sleep through
 * THINK_SCALE, so one script runs as the full test against AWS or as a
 * two-minute rehearsal in CI: DURATION_SCALE=0.25 THINK_SCALE=0.05.
 */
import { sleep } from 'k6';
import { DURATION_SCALE, THINK_SCALE } from './config.ts';

/** A stage of a ramping executor: reach `target` VUs (or iterations/s) over `duration`. */
export interface Stage {
  duration: string;
  target: number;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds of a k6 duration such as `2m`, `1h30m`, `1.5s` or `500ms`. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (!/^(\d+(\.\d+)?(ms|h|m|s))+$/.test(trimmed)) {
    throw new Error(`"${text}" is not a duration such as 30s, 2m or 1h30m`);
  }
  let total = 0;
  const part = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  for (let match = part.exec(trimmed); match !== null; match = part.exec(trimmed)) {
    total += Number(match[1]) * (UNIT_MS[match[2]] ?? Number.NaN);
  }
  return total;
}

/** A k6 duration string for some milliseconds: `90s`, `1500ms`. */
export function formatDuration(ms: number): string {
  const rounded = Math.round(ms);
  return rounded % 1000 === 0 ? `${rounded / 1000}s` : `${rounded}ms`;
}

/** A duration times DURATION_SCALE (or `scale`), never below `minimum` (default 1 s). */
export function scaleDuration(text: string, scale = DURATION_SCALE, minimum = '1s'): string {
  return formatDuration(Math.max(parseDuration(text) * scale, parseDuration(minimum)));
}

/** Stages with every duration scaled. */
export function scaleStages(stages: readonly Stage[], scale = DURATION_SCALE): Stage[] {
  return stages.map((stage) => ({ duration: scaleDuration(stage.duration, scale), target: stage.target }));
}

/** Total milliseconds of some stages. */
export function stagesDuration(stages: readonly Stage[]): number {
  return stages.reduce((sum, stage) => sum + parseDuration(stage.duration), 0);
}

/** A simulated user's pause: `seconds` times THINK_SCALE (no pause at 0). */
export function think(seconds: number): void {
  const scaled = seconds * THINK_SCALE;
  if (scaled > 0) sleep(scaled);
}

/** A pause drawn uniformly between two lengths (then scaled), so VUs drift apart. */
export function thinkBetween(minSeconds: number, maxSeconds: number): void {
  think(minSeconds + Math.random() * (maxSeconds - minSeconds));
}

/** `fraction` of `peak`, rounded, at least 1 while the peak is. */
function share(peak: number, fraction: number): number {
  return peak <= 0 ? 0 : Math.max(1, Math.round(peak * fraction));
}

// ---------------------------------------------------------------------------
// planners-and-studiers

/**
 * The studiers of "indecisive planners and studious reviewers": 2 minutes up to 1000 VUs, 2 minutes up to 2500, 2 minutes down
 * to 0. `peak` replaces 2500, and the first stage keeps its 40 % of it.
 */
export function studierStages(peak = 2500): Stage[] {
  return scaleStages([
    { duration: '2m', target: share(peak, 0.4) },
    { duration: '2m', target: peak },
    { duration: '2m', target: 0 },
  ]);
}

// ---------------------------------------------------------------------------
// Test types: a shape of traffic (thresholds live beside each scenario)

/**
 * Stress: climb past the expected load in steps and hold at `peak`, to find
 * where latency and errors start to grow. 10 minutes unscaled.
 */
export function stressStages(peak: number): Stage[] {
  return scaleStages([
    { duration: '1m', target: share(peak, 0.25) },
    { duration: '2m', target: share(peak, 0.5) },
    { duration: '2m', target: share(peak, 0.75) },
    { duration: '2m', target: peak },
    { duration: '2m', target: peak },
    { duration: '1m', target: 0 },
  ]);
}

/**
 * Spike: a quiet baseline (5 % of `peak`), a jump to `peak` within 10 s held
 * for a minute, then back to the baseline, to see the service absorb the
 * burst and recover. About 4 minutes unscaled.
 */
export function spikeStages(peak: number): Stage[] {
  const baseline = share(peak, 0.05);
  return scaleStages([
    { duration: '30s', target: baseline },
    { duration: '1m', target: baseline },
    { duration: '10s', target: peak },
    { duration: '1m', target: peak },
    { duration: '10s', target: baseline },
    { duration: '1m', target: baseline },
    { duration: '10s', target: 0 },
  ]);
}

/**
 * Soak: an ordinary load held for an hour, to surface what only time shows
 * (leaks, pool exhaustion, a growing table, log shipping falling behind).
 * 70 minutes unscaled.
 */
export function soakStages(level: number): Stage[] {
  return scaleStages([
    { duration: '5m', target: level },
    { duration: '1h', target: level },
    { duration: '5m', target: 0 },
  ]);
}

/** How long a ramping-vus scenario lets an iteration finish once its VU is ramped down. */
export function gracefulRampDown(): string {
  return scaleDuration('30s');
}
