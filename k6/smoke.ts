// SMOKE TEST: one VU, one iteration, every endpoint once.
//
// Question it answers: does this deployment work at all, and does it keep the
// API contract of docs/api.md (statuses, bodies, JSON errors)? Run it before
// any heavier test: a load test of a broken service measures nothing.
//
//   npm run build && npm run loadtest -- smoke
//   ENDPOINT=http://localhost:6400 k6 run k6/smoke.ts
//
// Requests that are meant to fail (the bad inputs, the GET of a deleted todo)
// declare their status as expected (`responseCallback`), so http_req_failed
// counts only real failures and its threshold can be `rate==0`.
import { group } from 'k6';
import type { Options } from 'k6/options';
import { bodyHasShape, checkCall, echoesRequestId, errorIs, statusIs } from './lib/checks.ts';
import { type Todo, TodoClient, header, isEmptyObject, isTodo } from './lib/client.ts';
import { MAX_LIST_ANSWER } from './lib/todo.ts';
import { createHandleSummary } from './lib/summary.ts';
import { requireReady } from './lib/workload.ts';

export const options: Options = {
  scenarios: {
    smoke: { executor: 'shared-iterations', vus: 1, iterations: 1, maxDuration: '1m' },
  },
  // A crossed threshold makes k6 exit non-zero (99): k6's default behaviour.
  thresholds: {
    checks: [{ threshold: 'rate==1', abortOnFail: false }],
    http_req_failed: [{ threshold: 'rate==0', abortOnFail: false }],
    'http_req_duration{scenario:smoke}': [{ threshold: 'p(95)<1000', abortOnFail: false }],
  },
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'],
};

const client = new TodoClient();

export function setup(): void {
  requireReady(new TodoClient({ label: 'setup' }));
}

/** `YYYY-MM-DDTHH:MM:SS`, UTC, `days` from now. */
function inDays(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 19);
}

const ids = (todos: Todo[] | undefined): number[] => (todos ?? []).map((t) => t.id);

export default function smoke(): void {
  // Titles unique to this run, to find (or not find) its own todos in a shared list.
  const marker = `smoke ${Date.now()}`;
  let open: Todo | undefined;
  let done: Todo | undefined;

  group('health', () => {
    const live = client.health();
    checkCall(live, {
      'GET /health is 200 {"status":"ok"}': (c) => c.res.status === 200 && c.data?.status === 'ok',
      'GET /health echoes X-Request-Id': echoesRequestId(),
    });
    const ready = client.ready();
    checkCall(ready, {
      'GET /health/ready is 200': statusIs(200),
    });
  });

  group('create', () => {
    const deadline = inDays(1);
    const first = client.create({ title: `${marker} open`, description: 'smoke test', deadline_at: deadline });
    checkCall(first, {
      'POST /todos is 201': statusIs(201),
      'POST /todos answers the todo as sent, open': (c) =>
        c.data !== undefined &&
        c.data.title === `${marker} open` &&
        c.data.description === 'smoke test' &&
        c.data.completed === false &&
        c.data.deadline_at === deadline,
    });
    open = first.data;

    const second = client.create({ title: `${marker} done`, completed: true });
    checkCall(second, {
      'POST /todos with defaults is 201': statusIs(201),
      'POST /todos defaults description and deadline_at to null': (c) =>
        c.data !== undefined && c.data.completed === true && c.data.description === null && c.data.deadline_at === null,
    });
    done = second.data;
  });

  if (open === undefined || done === undefined) {
    console.error('smoke: the todos could not be created; skipping the checks that need them');
  } else {
    const openTodo: Todo = open;
    const doneTodo: Todo = done;

    // A deployment's list may hold more todos than one answer (1000): the
    // checks for this run's todos read the page that starts just before them.
    const page = { afterId: Math.min(openTodo.id, doneTodo.id) - 1 };

    group('list', () => {
      const all = client.list();
      checkCall(all, {
        'GET /todos is 200': statusIs(200),
        'GET /todos is an array of todos': bodyHasShape(),
        'GET /todos holds at most 1000 todos, and names the next page when full': (c) =>
          c.data !== undefined &&
          c.data.length <= MAX_LIST_ANSWER &&
          (c.data.length < MAX_LIST_ANSWER || /rel="next"/.test(header(c.res, 'Link') ?? '')),
      });

      const fromNew = client.list(page);
      checkCall(fromNew, {
        'GET /todos?after_id= is 200': statusIs(200),
        'GET /todos?after_id= holds both new todos, and only later ids': (c) =>
          c.data !== undefined &&
          c.data.every((t) => t.id > page.afterId) &&
          ids(c.data).includes(openTodo.id) &&
          ids(c.data).includes(doneTodo.id),
      });

      const completed = client.list({ ...page, completed: true });
      checkCall(completed, {
        'GET /todos?completed=true is 200': statusIs(200),
        'GET /todos?completed=true holds only completed todos': (c) =>
          c.data !== undefined &&
          c.data.every((t) => t.completed) &&
          ids(c.data).includes(doneTodo.id) &&
          !ids(c.data).includes(openTodo.id),
      });

      const notCompleted = client.list({ ...page, completed: false });
      checkCall(notCompleted, {
        'GET /todos?completed=false is 200': statusIs(200),
        'GET /todos?completed=false holds only open todos': (c) =>
          c.data !== undefined &&
          c.data.every((t) => !t.completed) &&
          ids(c.data).includes(openTodo.id) &&
          !ids(c.data).includes(doneTodo.id),
      });

      const dueSoon = client.list({ ...page, window: 7 });
      checkCall(dueSoon, {
        'GET /todos?window=7 is 200': statusIs(200),
        'GET /todos?window=7 holds the todo due tomorrow, not the one without a deadline': (c) =>
          c.data !== undefined &&
          c.data.every((t) => t.deadline_at !== null) &&
          ids(c.data).includes(openTodo.id) &&
          !ids(c.data).includes(doneTodo.id),
      });
    });

    group('get, update, delete', () => {
      const got = client.get(openTodo.id);
      checkCall(got, {
        'GET /todos/:id is 200': statusIs(200),
        'GET /todos/:id answers that todo': (c) => JSON.stringify(c.data) === JSON.stringify(openTodo),
      });

      const updated = client.update(openTodo.id, { completed: true, title: `${marker} ticked off` });
      checkCall(updated, {
        'PUT /todos/:id is 200': statusIs(200),
        'PUT /todos/:id changes the given fields only': (c) =>
          c.data !== undefined &&
          c.data.id === openTodo.id &&
          c.data.completed &&
          c.data.title === `${marker} ticked off` &&
          c.data.description === openTodo.description &&
          c.data.deadline_at === openTodo.deadline_at,
        'PUT /todos/:id moves updated_at': (c) => c.data !== undefined && c.data.updated_at !== openTodo.updated_at,
      });

      const removed = client.remove(openTodo.id);
      checkCall(removed, {
        'DELETE /todos/:id is 200': statusIs(200),
        'DELETE /todos/:id answers the deleted todo': (c) =>
          isTodo(c.data) && c.data.id === openTodo.id && c.data.title === `${marker} ticked off`,
      });

      const again = client.remove(openTodo.id);
      checkCall(again, {
        'DELETE /todos/:id again is 200': statusIs(200),
        'DELETE /todos/:id again answers {}': (c) => isEmptyObject(c.data),
      });

      const gone = client.get(openTodo.id, { expect: [404] });
      checkCall(gone, {
        'GET /todos/:id of a deleted todo is 404': statusIs(404),
        'GET /todos/:id of a deleted todo answers {"error":"Todo not found"}': errorIs('Todo not found'),
      });

      const cleanup = client.remove(doneTodo.id);
      checkCall(cleanup, { 'DELETE /todos/:id (clean-up) is 200': statusIs(200) });
    });
  }

  group('bad input', () => {
    const badTitle = `${marker} must not be stored`;

    const missingTitle = client.send(
      { method: 'POST', path: '/api/v1/todos', name: 'POST /api/v1/todos', body: { description: badTitle } },
      { expect: [400] },
    );
    checkCall(missingTitle, {
      'missing title is 400': statusIs(400),
      'missing title answers "Invalid request body" naming body.title': errorIs('Invalid request body', 'body.title'),
    });

    const unknownField = client.send(
      {
        method: 'POST',
        path: '/api/v1/todos',
        name: 'POST /api/v1/todos',
        body: { title: badTitle, priority: 'high' },
      },
      { expect: [400] },
    );
    checkCall(unknownField, {
      'unknown field is 400': statusIs(400),
      'unknown field answers "Invalid request body" naming body.priority': errorIs(
        'Invalid request body',
        'body.priority',
      ),
    });

    const badId = client.get('abc', { expect: [400] });
    checkCall(badId, {
      'id abc is 400': statusIs(400),
      'id abc answers "Invalid path parameter" naming params.id': errorIs('Invalid path parameter', 'params.id'),
    });

    const malformed = client.send(
      { method: 'POST', path: '/api/v1/todos', name: 'POST /api/v1/todos', body: `{"title": "${badTitle}", ` },
      { expect: [400] },
    );
    checkCall(malformed, {
      'malformed JSON is 400': statusIs(400),
      'malformed JSON answers a JSON error about JSON': errorIs(/JSON/),
    });

    const wrongType = client.send(
      {
        method: 'POST',
        path: '/api/v1/todos',
        name: 'POST /api/v1/todos',
        body: JSON.stringify({ title: badTitle }),
        contentType: 'text/plain',
      },
      { expect: [400] },
    );
    checkCall(wrongType, {
      'text/plain body is 400': statusIs(400),
      'text/plain body answers "Content-Type must be application/json"': errorIs(
        'Content-Type must be application/json',
      ),
    });

    const tooLarge = client.send(
      {
        method: 'POST',
        path: '/api/v1/todos',
        name: 'POST /api/v1/todos',
        body: { title: badTitle, description: 'y'.repeat(17 * 1024) },
      },
      { expect: [413] },
    );
    checkCall(tooLarge, {
      'body over 16 KiB is 413': statusIs(413),
      'body over 16 KiB answers a JSON error saying it is too large': errorIs(/too large/i),
    });

    const unknownRoute = client.send(
      { method: 'GET', path: '/api/v1/nothing-here', name: 'GET (unknown route)' },
      { expect: [404] },
    );
    checkCall(unknownRoute, {
      'unknown route is 404': statusIs(404),
      'unknown route answers a JSON error': errorIs(/Cannot GET|not found/i),
      'unknown route echoes X-Request-Id': echoesRequestId(),
    });

    // Anything stored now would have an id after this run's first todo.
    const after = client.list(open === undefined ? {} : { afterId: open.id - 1 });
    checkCall(after, {
      'bad input stored nothing': (c) =>
        c.data !== undefined && !c.data.some((t) => t.title === badTitle || t.description === badTitle),
    });
  });
}

export const handleSummary = createHandleSummary('smoke');
