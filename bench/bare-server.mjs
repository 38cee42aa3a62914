// The reference point of `npm run bench`: the same endpoints as the service
// on bare Fastify and node-postgres, with no ORM, no validation, no logging.
// Rows are serialised by Fastify, as a straightforward server would do it.
// Run: DATABASE_URL=postgres://... PORT=6500 node bench/bare-server.mjs
import Fastify from 'fastify';
import pg from 'pg';

const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DB_POOL_SIZE ?? 10),
});
const COLUMNS = 'id, title, description, completed, deadline_at, created_at, updated_at';
const app = Fastify();

app.get('/api/v1/todos', async () => {
  const { rows } = await pool.query(`SELECT ${COLUMNS} FROM todos ORDER BY id`);
  return rows;
});

app.get('/api/v1/todos/:id', async (request, reply) => {
  const { rows } = await pool.query(`SELECT ${COLUMNS} FROM todos WHERE id = $1`, [Number(request.params.id)]);
  return rows[0] ?? reply.code(404).send({ error: 'Todo not found' });
});

app.post('/api/v1/todos', async (request, reply) => {
  const { title, description = null, completed = false, deadline_at = null } = request.body;
  const { rows } = await pool.query(
    `INSERT INTO todos (title, description, completed, deadline_at) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
    [title, description, completed, deadline_at],
  );
  return reply.code(201).send(rows[0]);
});

app.delete('/api/v1/todos/:id', async (request) => {
  const { rows } = await pool.query(`DELETE FROM todos WHERE id = $1 RETURNING ${COLUMNS}`, [
    Number(request.params.id),
  ]);
  return rows[0] ?? {};
});

app.get('/api/v1/health/ready', async () => {
  await pool.query('SELECT 1');
  return { status: 'ok' };
});

const close = async () => {
  await app.close();
  await pool.end();
  process.exit(0);
};
process.once('SIGTERM', close);
process.once('SIGINT', close);
await app.listen({ port: Number(process.env.PORT ?? 6500), host: '127.0.0.1' });
