// `node bench/list-rendering.mjs`: what rendering the todo list costs Node,
// three ways, on a real PostgreSQL (a throwaway embedded server):
//
//   npm run build && node bench/list-rendering.mjs [--todos 100,1000] [--lists 2000]
//
// - rendered:  PostgreSQL writes the JSON text (todos.sql.ts, what the service does);
// - rows:      the API's fields as rows (timestamps as text), JSON.stringify in Node;
// - entities:  TypeORM's repository find(), Dates formatted in Node, JSON.stringify.
//
// Each lists the table --lists times, one at a time, and prints the Node
// process's CPU milliseconds per list (user+system, from process.cpuUsage)
// and the median wall time. The database's own time is in every way alike
// but the first.
import { mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(import.meta.dirname, '..');
const dist = (file) => path.join(ROOT, 'dist', file);
const { startEmbeddedPostgres, formatApiTimestamp } = await import(dist('libs/database/src/index.js'));
const { listTodos, todoColumns } = await import(dist('apps/taskoverflow/src/todos/todos.sql.js'));
const { MAX_PAGE_SIZE } = await import(dist('apps/taskoverflow/src/todos/dto/todo.schema.js'));
const { TodoEntity } = await import(dist('apps/taskoverflow/src/todos/todo.entity.js'));
const { schema } = await import(dist('apps/taskoverflow/src/database/schema.js'));
const { DataSource } = await import('typeorm');

const { values: options } = parseArgs({
  options: { todos: { type: 'string', default: '100,1000' }, lists: { type: 'string', default: '2000' } },
});
const lists = Number(options.lists);

const dir = mkdtempSync(path.join(tmpdir(), 'taskoverflow-list-bench-'));
chmodSync(dir, 0o755);
const postgres = await startEmbeddedPostgres(
  { dataDir: path.join(dir, 'pg'), port: 0, database: 'bench' },
  {
    log: () => undefined,
    warn: () => undefined,
    error: (message) => console.error(message),
  },
);
const dataSource = new DataSource({
  type: 'postgres',
  url: postgres.url,
  ...schema,
  migrationsRun: true,
  logging: false,
});

/** The ways to answer GET /todos, each returning the body as bytes. */
const WAYS = {
  rendered: async () => {
    const { sql, parameters } = listTodos({}, MAX_PAGE_SIZE);
    const [row] = await dataSource.query(sql, parameters);
    return Buffer.from(row.body);
  },
  rows: async () =>
    Buffer.from(
      JSON.stringify(await dataSource.query(`SELECT ${todoColumns()} FROM todos ORDER BY id LIMIT ${MAX_PAGE_SIZE}`)),
    ),
  entities: async () => {
    const todos = await dataSource.getRepository(TodoEntity).find({ order: { id: 'ASC' }, take: MAX_PAGE_SIZE });
    return Buffer.from(
      JSON.stringify(
        todos.map((todo) => ({
          id: todo.id,
          title: todo.title,
          description: todo.description,
          completed: todo.completed,
          deadline_at: todo.deadlineAt && formatApiTimestamp(todo.deadlineAt),
          created_at: formatApiTimestamp(todo.createdAt),
          updated_at: formatApiTimestamp(todo.updatedAt),
        })),
      ),
    );
  },
};

try {
  await dataSource.initialize();
  const results = [];
  for (const count of options.todos.split(',').map(Number)) {
    await dataSource.query('TRUNCATE todos RESTART IDENTITY');
    await dataSource.query(
      "INSERT INTO todos (title, description, deadline_at) SELECT 'todo ' || n, 'description ' || n, now() + n * interval '1 hour' FROM generate_series(1, $1) AS n",
      [count],
    );
    for (const [way, list] of Object.entries(WAYS)) {
      for (let i = 0; i < 100; i++) await list(); // warm-up: JIT, plans, pool
      const walls = [];
      const cpuBefore = process.cpuUsage();
      let bytes = 0;
      for (let i = 0; i < lists; i++) {
        const started = performance.now();
        bytes = (await list()).length;
        walls.push(performance.now() - started);
      }
      const cpu = process.cpuUsage(cpuBefore);
      walls.sort((a, b) => a - b);
      results.push({
        todos: count,
        way,
        node_cpu_ms_per_list: Number(((cpu.user + cpu.system) / 1000 / lists).toFixed(3)),
        median_ms: Number(walls[Math.floor(walls.length / 2)].toFixed(3)),
        body_bytes: bytes,
      });
    }
  }
  console.table(results);
} finally {
  await dataSource.destroy();
  await postgres.stop();
  rmSync(dir, { recursive: true, force: true });
}
