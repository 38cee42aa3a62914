// SOAK TEST: an ordinary load, held for an hour.
//
// Question it answers: does anything get worse with time alone? Memory that
// only grows, a connection pool that leaks, a table or a log backlog that
// builds up. Latency at the end should match latency at the start; the
// thresholds are as strict as for normal traffic.
//
//   npm run build && npm run loadtest -- soak
//   DURATION_SCALE=0.1 npm run loadtest -- soak     # a 7-minute rehearsal
//
// Knobs: VUS (VUs held, default 50), DURATION_SCALE (70 minutes at 1),
// THINK_SCALE, ENDPOINT, RESULTS_DIR.
import type { Options } from 'k6/options';
import { TodoClient } from './lib/client.ts';
import { envInteger } from './lib/config.ts';
import { gracefulRampDown, soakStages } from './lib/load-presets.ts';
import { createHandleSummary } from './lib/summary.ts';
import { mixedTraffic, requireReady } from './lib/workload.ts';

const VUS = envInteger('VUS', 50, { min: 1, max: 100_000 });

export const options: Options = {
  scenarios: {
    soak: {
      executor: 'ramping-vus',
      exec: 'soak',
      startVUs: 0,
      stages: soakStages(VUS),
      gracefulRampDown: gracefulRampDown(),
    },
  },
  // A crossed threshold makes k6 exit non-zero (99), k6's default;
  // abortOnFail false keeps the full hour in the summary.
  thresholds: {
    checks: [{ threshold: 'rate>0.999', abortOnFail: false }],
    http_req_failed: [{ threshold: 'rate<0.001', abortOnFail: false }],
    'http_req_duration{scenario:soak}': [
      { threshold: 'p(95)<500', abortOnFail: false },
      { threshold: 'p(99)<1000', abortOnFail: false },
    ],
  },
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'],
};

const client = new TodoClient();

export function setup(): void {
  requireReady(new TodoClient({ label: 'setup' }));
}

export function soak(): void {
  mixedTraffic(client);
}

export const handleSummary = createHandleSummary('soak');
