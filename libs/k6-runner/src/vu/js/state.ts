/**
 * One VU's state inside its context: where it is (iteration, scenario,
 * group), its own tags, and the metric samples not yet sent to the engine.
 */
import type { ExpectedStatuses, IterationState, SampleTuple } from '../protocol';
import { host } from './host';

/** Samples are sent in batches: before the VU blocks (HTTP, sleep), at the end of an iteration, or when this many wait. */
const SAMPLE_BATCH = 500;

export interface VuState {
  /** The iteration running now; undefined in init code, setup() and teardown(). */
  iteration: IterationState | undefined;
  /** The call running outside any scenario, for its group tag. */
  lifecycle: 'init' | 'setup' | 'teardown' | 'handleSummary' | undefined;
  /** `::outer::inner` while in groups, '' outside. */
  groupPath: string;
  /** exec.vu.tags: tags this VU adds to every sample. */
  vuTags: Record<string, unknown>;
  /** exec.vu.metrics.metadata. */
  vuMetadata: Record<string, unknown>;
  /** http.setResponseCallback(): the statuses counted as expected; null: none counted. */
  expected: ExpectedStatuses;
  samples: SampleTuple[];
}

export const vu: VuState = {
  iteration: undefined,
  lifecycle: 'init',
  groupPath: '',
  vuTags: {},
  vuMetadata: {},
  expected: [[200, 399]],
  samples: [],
};

/** The tags every sample of this VU carries now: test and scenario tags, the VU's own, and the group. */
export function currentTags(): Record<string, string> {
  const tags: Record<string, string> = {};
  if (vu.iteration !== undefined) {
    Object.assign(tags, vu.iteration.tags);
    tags.scenario = vu.iteration.scenario;
  }
  for (const key of Object.keys(vu.vuTags)) tags[key] = String(vu.vuTags[key]);
  tags.group =
    vu.lifecycle === 'setup' || vu.lifecycle === 'teardown' ? `::${vu.lifecycle}${vu.groupPath}` : vu.groupPath;
  return tags;
}

export function emit(metric: string, value: number, tags: Record<string, string>): void {
  vu.samples.push([metric, value, tags, Date.now()]);
  if (vu.samples.length >= SAMPLE_BATCH) flushSamples();
}

/** Takes the waiting samples (to send them with a request). */
export function takeSamples(): SampleTuple[] {
  const samples = vu.samples;
  vu.samples = [];
  return samples;
}

export function flushSamples(): void {
  if (vu.samples.length > 0) host.notify({ kind: 'samples', samples: takeSamples() });
}

/** Thrown by exec.test.abort(): it unwinds the iteration; the engine already knows. */
export class TestAbort extends Error {
  constructor(readonly reason: string) {
    super(`test aborted: ${reason}`);
  }
}
