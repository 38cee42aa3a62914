// STRESS TEST: mixed traffic climbing in steps to a peak and held there.
//
// Question it answers: where does the service start to bend? Watch the
// per-step latency and error rate; the step where they grow is the capacity
// of this deployment (and what autoscaling or a bigger task has to move).
//
//   npm run build && npm run loadtest -- stress
//   VUS=400 ENDPOINT=$(terraform -chdir=terraform output -raw endpoint_url) npm run loadtest -- stress
//
// Knobs: VUS (peak VUs, default 200), DURATION_SCALE (10 minutes at 1),
// THINK_SCALE (about 1 s between iterations at 1), ENDPOINT, RESULTS_DIR.
import type { Options } from 'k6/options';
import { TodoClient } from './lib/client.ts';
import { envInteger } from './lib/config.ts';
import { gracefulRampDown, stressStages } from './lib/load-presets.ts';
import { createHandleSummary } from './lib/summary.ts';
import { mixedTraffic, requireReady } from './lib/workload.ts';

const VUS = envInteger('VUS', 200, { min: 1, max: 100_000 });

export const options: Options = {
  scenarios: {
    stress: {
      executor: 'ramping-vus',
      exec: 'stress',
      startVUs: 0,
      stages: stressStages(VUS),
      gracefulRampDown: gracefulRampDown(),
    },
  },
  // Under stress some slowdown is expected, a collapse is not. A crossed
  // threshold makes k6 exit non-zero (99), k6's default; abortOnFail false
  // lets the run finish so the summary shows the whole climb.
  thresholds: {
    checks: [{ threshold: 'rate>0.99', abortOnFail: false }],
    http_req_failed: [{ threshold: 'rate<0.01', abortOnFail: false }],
    'http_req_duration{scenario:stress}': [
      { threshold: 'p(95)<800', abortOnFail: false },
      { threshold: 'p(99)<2000', abortOnFail: false },
    ],
  },
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'],
};

const client = new TodoClient();

export function setup(): void {
  requireReady(new TodoClient({ label: 'setup' }));
}

export function stress(): void {
  mixedTraffic(client);
}

export const handleSummary = createHandleSummary('stress');
