// SPIKE TEST: a quiet baseline, a sudden jump to many times the load, and back.
//
// Question it answers: does the service survive a burst (a class told to
// check their tasks at once) and recover when it passes, or does it stay
// degraded? Thresholds are looser than under stress: slowing down in the
// spike is acceptable, falling over and staying down is not.
//
//   npm run build && npm run loadtest -- spike
//   VUS=1000 ENDPOINT=$(terraform -chdir=terraform output -raw endpoint_url) npm run loadtest -- spike
//
// Knobs: VUS (peak VUs, default 300; the baseline is 5 % of it),
// DURATION_SCALE (about 4 minutes at 1), THINK_SCALE, ENDPOINT, RESULTS_DIR.
import type { Options } from 'k6/options';
import { TodoClient } from './lib/client.ts';
import { envInteger } from './lib/config.ts';
import { gracefulRampDown, spikeStages } from './lib/load-presets.ts';
import { createHandleSummary } from './lib/summary.ts';
import { mixedTraffic, requireReady } from './lib/workload.ts';

const VUS = envInteger('VUS', 300, { min: 1, max: 100_000 });

export const options: Options = {
  scenarios: {
    spike: {
      executor: 'ramping-vus',
      exec: 'spike',
      startVUs: 0,
      stages: spikeStages(VUS),
      gracefulRampDown: gracefulRampDown(),
    },
  },
  // A crossed threshold makes k6 exit non-zero (99), k6's default;
  // abortOnFail false lets the run reach the recovery phase regardless.
  thresholds: {
    checks: [{ threshold: 'rate>0.95', abortOnFail: false }],
    http_req_failed: [{ threshold: 'rate<0.05', abortOnFail: false }],
    'http_req_duration{scenario:spike}': [
      { threshold: 'p(95)<2000', abortOnFail: false },
      { threshold: 'p(99)<5000', abortOnFail: false },
    ],
  },
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'],
};

const client = new TodoClient();

export function setup(): void {
  requireReady(new TodoClient({ label: 'setup' }));
}

export function spike(): void {
  mixedTraffic(client);
}

export const handleSummary = createHandleSummary('spike');
