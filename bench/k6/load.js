// The benchmark's scenarios as a k6 script, for `npm run bench -- --generators k6-runner`:
// each VU sends its next request as soon as the last is answered (no think
// time), as an autocannon connection does. BASE and SCENARIO come from the bench.
import http from 'k6/http';

const BASE = __ENV.BASE;
const SCENARIO = __ENV.SCENARIO;
const TODO = JSON.stringify({
  title: 'CSSE6400 Clout Assignment',
  completed: false,
  description: '',
  deadline_at: '2023-12-04T14:00:00',
});
const JSON_HEADERS = { headers: { 'Content-Type': 'application/json' } };

function list() {
  http.get(`${BASE}/api/v1/todos`, { tags: { name: 'GET /api/v1/todos' } });
}

function createDelete() {
  const created = http.post(`${BASE}/api/v1/todos`, TODO, JSON_HEADERS);
  http.del(`${BASE}/api/v1/todos/${created.json('id')}`, null, { tags: { name: 'DELETE /api/v1/todos/:id' } });
}

const ITERATIONS = {
  'list-100': list,
  'list-1000': list,
  'get-one': () =>
    http.get(`${BASE}/api/v1/todos/${1 + Math.floor(Math.random() * 100)}`, { tags: { name: 'GET /api/v1/todos/:id' } }),
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
