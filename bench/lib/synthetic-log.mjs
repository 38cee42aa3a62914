// A service log of a given size in the log schema of docs/observability.md:
// a mixed list/get/create/delete load with its SQL lines and a process
// metrics line per second, deterministic for a seed. For benchmarking the
// log analysis on logs larger than a test run writes.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

const BASE = '"service":"taskoverflow","version":"0.1.0","hostname":"ip-10-0-1-23","pid":7';

const ROUTES = [
  {
    weight: 6,
    method: 'GET',
    url: () => '/api/v1/todos?completed=false',
    route: '/api/v1/todos',
    handler: 'TodosController.list',
    status: 200,
    queries: [
      ['SELECT (SELECT sum(revision)::text FROM todos_revision) AS revision', 0],
      [
        "SELECT (SELECT sum(revision)::text FROM todos_revision) AS revision, coalesce('[' || string_agg(…) … FROM todos WHERE completed = $1) t",
        1,
      ],
    ],
  },
  {
    weight: 2,
    method: 'GET',
    url: (id) => `/api/v1/todos/${id}`,
    route: '/api/v1/todos/:id',
    handler: 'TodosController.get',
    status: 200,
    queries: [['SELECT "t"."id", "t"."title", "t"."completed" FROM "todos" "t" WHERE "t"."id" = $1', 1]],
  },
  {
    weight: 1,
    method: 'POST',
    url: () => '/api/v1/todos',
    route: '/api/v1/todos',
    handler: 'TodosController.create',
    status: 201,
    queries: [
      [
        'INSERT INTO "todos"("title", "description", "completed", "deadline_at") VALUES ($1, $2, $3, $4) RETURNING *',
        4,
      ],
    ],
  },
  {
    weight: 1,
    method: 'DELETE',
    url: (id) => `/api/v1/todos/${id}`,
    route: '/api/v1/todos/:id',
    handler: 'TodosController.remove',
    status: 204,
    queries: [['DELETE FROM "todos" WHERE "id" = $1 RETURNING "id"', 1]],
  },
];
const TOTAL_WEIGHT = ROUTES.reduce((total, r) => total + r.weight, 0);

/** mulberry32: a small seeded generator, so two runs write the same log. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Writes about `bytes` of log to `file`, `ratePerSecond` requests a second
 * from `startMs`. Resolves with the lines and requests written.
 */
export async function writeSyntheticLog(
  file,
  { bytes, ratePerSecond = 240, startMs = Date.UTC(2026, 0, 1), seed = 6400 },
) {
  const next = random(seed);
  const out = createWriteStream(file);
  let written = 0;
  let lines = 0;
  let requests = 0;
  let chunk = '';
  const emit = (line) => {
    chunk += line + '\n';
    lines++;
  };
  const stamp = (ms) => new Date(ms).toISOString();
  let second = 0;
  while (written < bytes) {
    const secondStart = startMs + second * 1000;
    // A slow minute in the middle of every ten: the list's statements slow down.
    const slow = second % 600 >= 300 && second % 600 < 360;
    for (let i = 0; i < ratePerSecond; i++) {
      const id = `${(requests++).toString(16).padStart(8, '0')}-6400-4000-8000-${seed.toString(16).padStart(12, '0')}`;
      let pick = next() * TOTAL_WEIGHT;
      const route = ROUTES.find((r) => (pick -= r.weight) < 0) ?? ROUTES[0];
      const url = route.url(1 + Math.floor(next() * 1000));
      const context = `${BASE},"request_id":"${id}","method":"${route.method}","url":"${url}","handler":"${route.handler}"`;
      let at = secondStart + (i * 1000) / ratePerSecond;
      const started = at;
      emit(
        `{"level":"info","timestamp":"${stamp(at)}",${context.replace(`,"handler":"${route.handler}"`, '')},"location":"http","message":"Request started"}`,
      );
      at += 0.3 + next() * 0.5;
      for (const [query, parameterCount] of route.queries) {
        const duration =
          Math.round((0.3 + next() * 0.8 + (slow && route.method === 'GET' ? 20 + next() * 40 : 0)) * 1000) / 1000;
        at += duration;
        emit(
          `{"level":"info","timestamp":"${stamp(at)}",${context},"location":"sql","query":${JSON.stringify(`/*request_id='${id}'*/ ${query}`)},"duration_ms":${duration},"parameter_count":${parameterCount},"message":"Query"}`,
        );
      }
      at += 0.2 + next() * 0.6;
      const duration = Math.round((at - started) * 1000) / 1000;
      emit(
        `{"level":"info","timestamp":"${stamp(at)}",${context},"location":"http","route":"${route.route}","status_code":${route.status},"duration_ms":${duration},"response_bytes":${route.status === 204 ? 0 : 180},"message":"Request finished"}`,
      );
    }
    const utilization = Math.round((slow ? 0.35 : 0.55 + next() * 0.1) * 1000) / 1000;
    emit(
      `{"level":"info","timestamp":"${stamp(secondStart + 1000)}",${BASE},"location":"process","interval_ms":1000,"event_loop_utilization":${utilization},"event_loop_delay_p99_ms":${Math.round((10 + next() * 5) * 100) / 100},"event_loop_delay_max_ms":${Math.round((20 + next() * 10) * 100) / 100},"cpu_user_ms":${Math.round(utilization * 900)},"cpu_system_ms":${Math.round(utilization * 100)},"rss_mb":${180 + Math.floor(next() * 5)},"heap_used_mb":${60 + Math.floor(next() * 5)},"message":"Process metrics"}`,
    );
    second++;
    written += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
    chunk = '';
  }
  out.end();
  await once(out, 'finish');
  return { lines, requests, bytes: written, seconds: second };
}
