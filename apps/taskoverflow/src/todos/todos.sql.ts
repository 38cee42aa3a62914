/*
 * PostgreSQL renders the response JSON itself. The list endpoint is what load
 * tests hammer; letting the database produce one text value spares Node the
 * work of parsing rows into objects and serialising them again.
 */

/** Python's datetime.isoformat() of the UTC time, as the original API rendered it. */
function isoUtc(column: string): string {
  const utc = `(${column} AT TIME ZONE 'UTC')`;
  return (
    `to_char(${utc}, 'YYYY-MM-DD"T"HH24:MI:SS') || ` +
    `CASE WHEN extract(microseconds FROM ${utc}) % 1000000 = 0 THEN '' ELSE to_char(${utc}, '.US') END`
  );
}

const TODO_FIELDS = [
  'id',
  'title',
  'description',
  'completed',
  `${isoUtc('deadline_at')} AS deadline_at`,
  `${isoUtc('created_at')} AS created_at`,
  `${isoUtc('updated_at')} AS updated_at`,
].join(', ');

/** One todo as JSON text from `source` (a table expression), in column `body`. */
function oneAsJson(source: string): string {
  return `SELECT row_to_json(t)::text AS body FROM (SELECT ${TODO_FIELDS} FROM ${source}) t`;
}

export const SELECT_TODO = oneAsJson('todos WHERE id = $1');

export const INSERT_TODO =
  'WITH inserted AS (INSERT INTO todos (title, description, completed, deadline_at) ' +
  'VALUES ($1, $2, $3, $4) RETURNING *) ' +
  oneAsJson('inserted');

export const DELETE_TODO =
  'WITH deleted AS (DELETE FROM todos WHERE id = $1 RETURNING *) ' +
  oneAsJson('deleted');

/** The columns a PUT may change, in the order of the placeholders after $1 (the id). */
export const UPDATABLE_COLUMNS = [
  'title',
  'description',
  'completed',
  'deadline_at',
] as const;
export type UpdatableColumn = (typeof UPDATABLE_COLUMNS)[number];

export function updateTodo(columns: readonly UpdatableColumn[]): string {
  const assignments = columns.map((column, i) => `${column} = $${i + 2}`);
  return (
    `WITH updated AS (UPDATE todos SET ${[...assignments, 'updated_at = now()'].join(', ')} ` +
    'WHERE id = $1 RETURNING *) ' +
    oneAsJson('updated')
  );
}

export interface ListFilter {
  completed?: boolean;
  windowDays?: number;
}

/** The list as one JSON array text in column `body`, in creation order. */
export function listTodos(filter: ListFilter): {
  sql: string;
  parameters: unknown[];
} {
  const conditions: string[] = [];
  const parameters: unknown[] = [];
  if (filter.completed !== undefined) {
    parameters.push(filter.completed);
    conditions.push(`completed = $${parameters.length}`);
  }
  if (filter.windowDays !== undefined) {
    parameters.push(filter.windowDays);
    conditions.push(
      `deadline_at <= now() + make_interval(days => $${parameters.length})`,
    );
  }
  const where = conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '';
  return {
    sql:
      `SELECT coalesce('[' || string_agg(row_to_json(t)::text, ',' ORDER BY t.id) || ']', '[]') AS body ` +
      `FROM (SELECT ${TODO_FIELDS} FROM todos${where}) t`,
    parameters,
  };
}
