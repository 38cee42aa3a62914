// `node bench/database-work.mjs`: what a write costs PostgreSQL, by its own
// numbers, on a throwaway embedded server with pg_stat_statements:
//
//   npm run build && node bench/database-work.mjs [--writes 3000] [--json]
//
// Each way runs --writes creates and deletes, one at a time on one connection
// (as a pooled connection runs them), and prints per write (a create and a
// delete): the backend process's CPU (user+system, from /proc), and
// pg_stat_statements' planning and execution time of each statement,
// statements run by triggers included (track = all).
//
// - service:            the service's single-todo statements (todos.repository.ts),
//                       with the request comment the service prefixes;
// - service, no trigger: the same with the change-counter trigger disabled,
//                       which isolates what the list cache's counter costs a write;
// - bare:               the statements bench/bare-server.mjs sends.
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { cpuMilliseconds } from './lib/proc.mjs';

const ROOT = path.resolve(import.meta.dirname, '..');
const dist = (file) => path.join(ROOT, 'dist', file);
const { startEmbeddedPostgres } = await import(dist('libs/database/src/index.js'));
const { INSERT_ONE, DELETE_ONE } = await import(dist('apps/taskoverflow/src/todos/todos.repository.js'));
const { schema } = await import(dist('apps/taskoverflow/src/database/schema.js'));
const { DataSource } = await import('typeorm');

const { values: options } = parseArgs({
  options: { writes: { type: 'string', default: '3000' }, json: { type: 'boolean', default: false } },
});
const writes = Number(options.writes);
if (!Number.isInteger(writes) || writes < 1) {
  console.error(`--writes must be a whole number above 0, not ${JSON.stringify(options.writes)}`);
  process.exit(2);
}

const BARE_COLUMNS = 'id, title, description, completed, deadline_at, created_at, updated_at';
const TODO = ['CSSE6400 Clout Assignment', '', false, '2023-12-04T14:00:00Z'];
const comment = () => `/*request_id='${randomUUID()}'*/ `;

const WAYS = {
  service: { insert: () => comment() + INSERT_ONE, remove: () => comment() + DELETE_ONE, trigger: true },
  'service, no trigger': { insert: () => comment() + INSERT_ONE, remove: () => comment() + DELETE_ONE, trigger: false },
  bare: {
    insert: () =>
      `INSERT INTO todos (title, description, completed, deadline_at) VALUES ($1, $2, $3, $4) RETURNING ${BARE_COLUMNS}`,
    remove: () => `DELETE FROM todos WHERE id = $1 RETURNING ${BARE_COLUMNS}`,
    trigger: true,
  },
};

const quiet = { log: () => undefined, warn: () => undefined, error: (message) => console.error(message) };
const dir = mkdtempSync(path.join(tmpdir(), 'taskoverflow-database-work-'));
chmodSync(dir, 0o755);
const dataDir = path.join(dir, 'pg');
let postgres = await startEmbeddedPostgres({ dataDir, port: 0, database: 'bench' }, quiet);
try {
  // pg_stat_statements must be loaded at server start: set it, then restart.
  await withClient(postgres.url, async (client) => {
    await client.query(`ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'`);
    await client.query(`ALTER SYSTEM SET pg_stat_statements.track = 'all'`);
    await client.query(`ALTER SYSTEM SET pg_stat_statements.track_planning = on`);
  });
  await postgres.stop();
  postgres = await startEmbeddedPostgres({ dataDir, port: 0, database: 'bench' }, quiet);
  const dataSource = new DataSource({ type: 'postgres', url: postgres.url, ...schema, migrationsRun: true });
  await dataSource.initialize();
  await dataSource.destroy();

  const rows = [];
  await withClient(postgres.url, async (client) => {
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    const [{ pid }] = (await client.query('SELECT pg_backend_pid() AS pid')).rows;
    for (const [name, way] of Object.entries(WAYS)) {
      await client.query(`ALTER TABLE todos ${way.trigger ? 'ENABLE' : 'DISABLE'} TRIGGER todos_revision_on_change`);
      await runWrites(client, way, 200); // warm-up: caches, plans
      await client.query('SELECT pg_stat_statements_reset()');
      const cpuBefore = cpuMilliseconds(pid);
      await runWrites(client, way, writes);
      const cpuMs = cpuMilliseconds(pid) - cpuBefore;
      const statements = (
        await client.query(
          `SELECT query, calls, total_exec_time, total_plan_time FROM pg_stat_statements
           WHERE calls >= $1 AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
          [writes],
        )
      ).rows;
      // pg_stat_statements keeps the first text of each statement, the service's with its comment.
      const perWrite = (field, match) =>
        statements
          .filter((s) => match.test(s.query.replace(/^\/\*.*?\*\/ /, '')))
          .reduce((sum, s) => sum + s[field], 0) / writes;
      rows.push({
        way: name,
        backend_cpu_ms_per_write: round(cpuMs / writes),
        insert_exec_ms: round(perWrite('total_exec_time', /^INSERT INTO "?todos"? /)),
        insert_plan_ms: round(perWrite('total_plan_time', /^INSERT INTO "?todos"? /)),
        delete_exec_ms: round(perWrite('total_exec_time', /^DELETE FROM "?todos"? /)),
        delete_plan_ms: round(perWrite('total_plan_time', /^DELETE FROM "?todos"? /)),
        // Run by the trigger, inside the INSERT's and the DELETE's execution time above.
        counter_update_exec_ms: round(perWrite('total_exec_time', /^UPDATE "todos_revision"/)),
      });
    }
  });
  if (options.json) {
    console.log(JSON.stringify({ writes, rows }));
  } else {
    console.table(rows);
    console.log(`${writes} writes (a create and a delete) a way, one connection; milliseconds per write`);
  }
} finally {
  await postgres.stop();
  rmSync(dir, { recursive: true, force: true });
}

async function runWrites(client, way, count) {
  for (let i = 0; i < count; i++) {
    const { rows } = await client.query(way.insert(), TODO);
    await client.query(way.remove(), [rows[0].id]);
  }
}

async function withClient(url, work) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function round(value) {
  return Number(value.toFixed(4));
}
