// The benchmark's scenarios as a k6 script, for `npm run bench -- --with-k6-runner`:
// VUS VUs each send their next request as soon as the last is answered (no
// think time), as autocannon's connections do: a `warmup` scenario of WARMUP
// seconds, then the `measured` one of DURATION seconds on the same VUs, warm
// as autocannon's warm-up run leaves the server. BASE, SCENARIO and API_KEY come from the bench.
import http from 'k6/http';

const BASE = __ENV.BASE;
const SCENARIO = __ENV.SCENARIO;
const VUS = Number(__ENV.VUS ?? '50');
const WARMUP = Number(__ENV.WARMUP ?? '10');
const DURATION = Number(__ENV.DURATION ?? '10');

export const options = {
  scenarios: {
    // Its graceful stop ends before the measured scenario starts, so both use the same VUs.
    warmup: { executor: 'constant-vus', vus: VUS, duration: `${WARMUP}s`, gracefulStop: '1s' },
    measured: { executor: 'constant-vus', vus: VUS, duration: `${DURATION}s`, startTime: `${WARMUP + 1}s` },
  },
  // Thresholds that always hold, so that the summary has the measured scenario's own sub-metrics.
  thresholds: {
    'http_reqs{scenario:measured}': ['count>=0'],
    'http_req_duration{scenario:measured}': ['med>=0', 'p(99)>=0'],
    'http_req_failed{scenario:measured}': ['rate>=0'],
  },
  summaryTrendStats: ['med', 'p(99)'],
};

const TODO = JSON.stringify({
  title: 'CSSE6400 Clout Assignment',
  completed: false,
  description: '',
  deadline_at: '2023-12-04T14:00:00',
});
const AUTHORIZATION = __ENV.API_KEY ? { Authorization: `Bearer ${__ENV.API_KEY}` } : {};
const JSON_HEADERS = { headers: { 'Content-Type': 'application/json', ...AUTHORIZATION } };

function list() {
  http.get(`${BASE}/api/v1/todos`, { headers: AUTHORIZATION, tags: { name: 'GET /api/v1/todos' } });
}

function createDelete() {
  const created = http.post(`${BASE}/api/v1/todos`, TODO, JSON_HEADERS);
  http.del(`${BASE}/api/v1/todos/${created.json('id')}`, null, {
    headers: AUTHORIZATION,
    tags: { name: 'DELETE /api/v1/todos/:id' },
  });
}

const ITERATIONS = {
  'list-100': list,
  'list-1000': list,
  'get-one': () =>
    http.get(`${BASE}/api/v1/todos/${1 + Math.floor(Math.random() * 100)}`, {
      headers: AUTHORIZATION,
      tags: { name: 'GET /api/v1/todos/:id' },
    }),
  'create-delete': createDelete,
  'practical-mix': () => {
    for (let i = 0; i < 17; i++) list();
    createDelete();
  },
};

if (ITERATIONS[SCENARIO] === undefined) throw new Error(`unknown SCENARIO "${SCENARIO}"`);

export default function () {
  ITERATIONS[SCENARIO]();
}
