import { Agent, request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { request } from '../support/http';
import { deleteAllTodos, startTestApp, type TestApp, workerDatabaseUrl } from '../support/test-app';

const TODOS = '/api/v1/todos';
const CLIENTS = 50;

interface Body {
  title: string;
  description: string | null;
  completed: boolean;
  deadline_at: string | null;
}

/** A body whose every field differs from every other body's, so a mix of two shows. */
function bodyFor(tag: string, n: number): Body {
  return {
    title: tag,
    description: n % 3 === 0 ? null : `description of ${tag}`,
    completed: n % 2 === 1,
    deadline_at: new Date(Date.UTC(2030, 0, 1) + n * 60_000).toISOString().slice(0, 19),
  };
}

const fieldsOf = ({ title, description, completed, deadline_at }: Body): Body => ({
  title,
  description,
  completed,
  deadline_at,
});

type Outcome = { status: number; json: any } | 'aborted'; // eslint-disable-line @typescript-eslint/no-explicit-any

const agent = new Agent({ keepAlive: true });

/**
 * A real HTTP request that, when `abortAfterMs` is given, the client gives up
 * on that soon, closing its connection: the server may have done the work or
 * not, and the client never learns which.
 */
function send(baseUrl: string, method: string, path: string, json?: unknown, abortAfterMs?: number): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const body = json === undefined ? undefined : JSON.stringify(json);
    const req = httpRequest(
      new URL(path, baseUrl),
      {
        method,
        agent,
        headers:
          body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          clearTimeout(abort);
          resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined });
        });
      },
    );
    const abort =
      abortAfterMs === undefined
        ? undefined
        : setTimeout(() => {
            req.destroy();
            resolve('aborted');
          }, abortAfterMs);
    req.on('error', (error) => (abort ? resolve('aborted') : reject(error)));
    req.end(body);
  });
}

/** The rows as PostgreSQL holds them, in the API's JSON form, by id. */
async function tableRows(db: Client): Promise<Map<number, Body & { id: number }>> {
  const { rows } = await db.query<Body & { id: number }>(
    `SELECT id, title, description, completed,
            to_char(deadline_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') AS deadline_at
       FROM todos`,
  );
  return new Map(rows.map((row) => [row.id, row]));
}

describe('no lost or half-done writes under concurrent clients', () => {
  let t: TestApp;
  let db: Client;

  beforeAll(async () => {
    t = await startTestApp();
    db = new Client({ connectionString: workerDatabaseUrl() });
    await db.connect();
  });
  afterAll(async () => {
    agent.destroy();
    await db.end();
    await t.close();
  });
  beforeEach(() => deleteAllTodos(t.dataSource));

  it(`${CLIENTS} clients creating, updating and deleting: what was acknowledged holds, what was cut off is whole or absent`, async () => {
    /** What each acknowledged todo must be at the end: its body, or gone. */
    const expected = new Map<number, Body | 'deleted'>();
    /** Todos whose last request was cut off: any of these states is right, and no other. */
    const eitherOf = new Map<number, (Body | 'deleted')[]>();
    /** Creates cut off, by title: the row may exist (whole) or not. */
    const uncertainCreates = new Map<string, Body>();
    let aborted = 0;

    const client = async (c: number) => {
      for (let round = 0; round < 6; round++) {
        const n = c * 100 + round * 10;
        // One request in five is cut off 0-4 ms after it is sent.
        const cut = (k: number) => ((c + round + k) % 5 === 0 ? (c + k) % 5 : undefined);
        const created = bodyFor(`c${c}-r${round}`, n);
        const create = await send(t.baseUrl, 'POST', TODOS, created, cut(0));
        if (create === 'aborted') {
          aborted++;
          uncertainCreates.set(created.title, created);
          continue;
        }
        expect(create.status).toBe(201);
        expect(fieldsOf(create.json)).toEqual(created);
        const id = create.json.id as number;
        expected.set(id, created);

        const updated = bodyFor(`c${c}-r${round}-updated`, n + 1);
        const update = await send(t.baseUrl, 'PUT', `${TODOS}/${id}`, updated, cut(1));
        if (update === 'aborted') {
          aborted++;
          expected.delete(id);
          eitherOf.set(id, [created, updated]);
          continue;
        }
        expect(update.status).toBe(200);
        expect(fieldsOf(update.json)).toEqual(updated);
        expected.set(id, updated);

        if (round % 2 === 0) {
          const remove = await send(t.baseUrl, 'DELETE', `${TODOS}/${id}`, undefined, cut(2));
          if (remove === 'aborted') {
            aborted++;
            expected.delete(id);
            eitherOf.set(id, [updated, 'deleted']);
            continue;
          }
          expect(remove.status).toBe(200);
          expect(fieldsOf(remove.json)).toEqual(updated);
          expected.set(id, 'deleted');
        }
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
    // Requests the clients gave up on may still be running in the server.
    await sleep(500);

    expect(aborted).toBeGreaterThan(20);
    const rows = await tableRows(db);
    for (const [id, state] of expected) {
      const response = await request(t.baseUrl, 'GET', `${TODOS}/${id}`);
      if (state === 'deleted') {
        expect({ id, status: response.status, row: rows.get(id) }).toEqual({ id, status: 404, row: undefined });
      } else {
        expect({ id, status: response.status, body: fieldsOf(response.json) }).toEqual({
          id,
          status: 200,
          body: state,
        });
        expect(fieldsOf(rows.get(id)!)).toEqual(state);
      }
    }
    // The list, read after the last acknowledgement, holds exactly the table's rows.
    const list = await request(t.baseUrl, 'GET', TODOS);
    expect((list.json as { id: number }[]).map((todo) => todo.id)).toEqual([...rows.keys()].sort((a, b) => a - b));
    for (const [id, states] of eitherOf) {
      const row = rows.get(id);
      expect(states).toContainEqual(row ? fieldsOf(row) : 'deleted');
    }
    // Rows nobody was told about: only the creates that were cut off, each whole and at most once.
    const known = new Set([...expected.keys(), ...eitherOf.keys()]);
    const others = [...rows.values()].filter((row) => !known.has(row.id));
    for (const row of others) {
      expect(fieldsOf(row)).toEqual(uncertainCreates.get(row.title));
    }
    expect(new Set(others.map((row) => row.title)).size).toBe(others.length);
    // The cut-off path was exercised: the server finished work its client never heard of.
    expect(others.length).toBeGreaterThan(0);
  }, 60_000);

  it(`${CLIENTS} concurrent PUTs of one todo with different full bodies: it ends as exactly one of them, never a mix`, async () => {
    const created = await request(t.baseUrl, 'POST', TODOS, { json: bodyFor('contested', 0) });
    const id = created.json.id as number;
    for (let round = 1; round <= 5; round++) {
      const bodies = Array.from({ length: CLIENTS }, (_, k) => bodyFor(`round ${round} body ${k}`, round * 1000 + k));
      const responses = await Promise.all(
        bodies.map((body) => request(t.baseUrl, 'PUT', `${TODOS}/${id}`, { json: body })),
      );
      // Each answer is its own body, applied whole.
      expect(responses.map((response) => response.status)).toEqual(bodies.map(() => 200));
      expect(responses.map((response) => fieldsOf(response.json))).toEqual(bodies);

      const final = await request(t.baseUrl, 'GET', `${TODOS}/${id}`);
      // The last writer's answer is the row exactly, updated_at included.
      expect(responses.map((response) => response.json)).toContainEqual(final.json);
      expect(fieldsOf((await tableRows(db)).get(id)!)).toEqual(fieldsOf(final.json));
    }
  }, 60_000);
});
