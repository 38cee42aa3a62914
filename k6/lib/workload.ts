/**
 * What the stress, spike and soak scenarios do: mixed read and write traffic,
 * mostly lists (the hot path), some reads of one todo, and now and then a
 * write path that creates a todo, ticks it off and deletes it again, so the
 * table does not grow however long the test runs.
 */
import exec from 'k6/execution';
import { bodyHasShape, checkCall, statusIs } from './checks.ts';
import { ENDPOINT } from './config.ts';
import { type ListFilter, type Todo, type TodoClient, isTodo } from './client.ts';
import { thinkBetween } from './load-presets.ts';

/**
 * For setup(): stop the test at once, with a clear message, when the service
 * does not answer 200 on /health/ready, rather than fail every request.
 */
export function requireReady(client: TodoClient): void {
  const ready = client.ready();
  if (ready.res.status !== 200) {
    const answer = ready.res.status === 0 ? ready.res.error : `HTTP ${ready.res.status} ${ready.res.body as string}`;
    throw new Error(
      `TaskOverflow is not ready at ${ENDPOINT} (GET /api/v1/health/ready: ${answer}). ` +
        'Start it (npm run build && npm run loadtest -- <scenario> starts one) or set ENDPOINT.',
    );
  }
}

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)];
}

/** A list query as people would send it: mostly unfiltered. */
function randomFilter(): ListFilter {
  const roll = Math.random();
  if (roll < 0.5) return {};
  if (roll < 0.75) return { completed: false };
  if (roll < 0.85) return { completed: true };
  return { window: 7 };
}

/** A deadline within the next 30 days, as the API writes timestamps. */
function someDeadline(): string {
  const inMs = Date.now() + Math.floor(Math.random() * 30) * 86_400_000;
  return new Date(inMs).toISOString().slice(0, 19);
}

/** Chances of each step of one iteration. */
export interface MixedTrafficOptions {
  /** Of reading one listed todo (default 0.3). */
  readChance?: number;
  /** Of the create → tick off → delete path (default 0.2). */
  writeChance?: number;
  /** Think time between iterations, seconds before THINK_SCALE (default 0.5 to 1.5). */
  think?: [number, number];
}

/** One iteration of mixed traffic. */
export function mixedTraffic(client: TodoClient, options: MixedTrafficOptions = {}): void {
  const { readChance = 0.3, writeChance = 0.2, think = [0.5, 1.5] } = options;

  const listed = client.list(randomFilter());
  checkCall(listed, {
    'list: status is 200': statusIs(200),
    'list: body is an array of todos': bodyHasShape(),
  });

  if (listed.data !== undefined && listed.data.length > 0 && Math.random() < readChance) {
    const todo = pick(listed.data);
    // Another VU's write path may have deleted it since: 404 is a legitimate outcome.
    const read = client.get(todo.id, { expect: [200, 404] });
    checkCall(read, {
      'get: status is 200, or 404 when deleted meanwhile': statusIs(200, 404),
      'get: body is that todo (when 200)': (c) => c.res.status !== 200 || c.data?.id === todo.id,
    });
  }

  if (Math.random() < writeChance) writePath(client);

  thinkBetween(think[0], think[1]);
}

function writePath(client: TodoClient): void {
  const title = `load test ${exec.scenario.name} vu${exec.vu.idInTest} it${exec.vu.iterationInScenario}`;
  const created = client.create({ title, description: 'mixed traffic', deadline_at: someDeadline() });
  const createdOk = checkCall(created, {
    'create: status is 201': statusIs(201),
    'create: body is the new todo': (c) => c.data?.title === title && c.data.completed === false,
  });
  const todo: Todo | undefined = created.data;
  if (!createdOk || todo === undefined) return;

  const updated = client.update(todo.id, { completed: true });
  checkCall(updated, {
    'update: status is 200': statusIs(200),
    'update: todo is completed': (c) => c.data?.id === todo.id && c.data.completed,
  });

  const removed = client.remove(todo.id);
  checkCall(removed, {
    'delete: status is 200': statusIs(200),
    'delete: body is the deleted todo': (c) => isTodo(c.data) && c.data.id === todo.id,
  });
}
