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

/** The new todo as JSON text in `body`, and its `id` apart, for the Location header. */
export const INSERT_TODO =
  'WITH inserted AS (INSERT INTO todos (title, description, completed, deadline_at) ' +
  'VALUES ($1, $2, $3, $4) RETURNING *) ' +
  `SELECT t.id, row_to_json(t)::text AS body FROM (SELECT ${TODO_FIELDS} FROM inserted) t`;

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

export interface ListPage {
  afterId?: number;
  limit?: number;
}

/** The todos table's change counter (see the TodosRevision migration), as text. */
const REVISION = '(SELECT sum(revision)::text FROM todos_revision)';

export const SELECT_REVISION = `SELECT ${REVISION} AS revision`;

function listConditions(
  filter: ListFilter & { afterId?: number },
  parameters: unknown[],
): string[] {
  const conditions: string[] = [];
  const add = (value: unknown) => `$${parameters.push(value)}`;
  if (filter.completed !== undefined) {
    conditions.push(`completed = ${add(filter.completed)}`);
  }
  if (filter.windowDays !== undefined) {
    conditions.push(
      `deadline_at <= now() + make_interval(days => ${add(filter.windowDays)})`,
    );
  }
  if (filter.afterId !== undefined) {
    conditions.push(`id > ${add(filter.afterId)}`);
  }
  return conditions;
}

const where = (conditions: string[]) =>
  conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '';

const JSON_ARRAY =
  "coalesce('[' || string_agg(row_to_json(t)::text, ',' ORDER BY t.id) || ']', '[]')";

/**
 * The whole (filtered) list as one JSON array text in column `body`, in
 * creation order, with the revision it reflects: one statement, one snapshot.
 */
export function listTodos(filter: ListFilter): {
  sql: string;
  parameters: unknown[];
} {
  const parameters: unknown[] = [];
  const conditions = listConditions(filter, parameters);
  return {
    sql:
      `SELECT ${REVISION} AS revision, ${JSON_ARRAY} AS body ` +
      `FROM (SELECT ${TODO_FIELDS} FROM todos${where(conditions)}) t`,
    parameters,
  };
}

/**
 * One page of the list (ids after `afterId`, at most `limit`) in column
 * `body`, and in `next_after_id` the cursor of the next page when more todos
 * match, else null.
 */
export function listTodosPage(
  filter: ListFilter,
  page: ListPage,
): {
  sql: string;
  parameters: unknown[];
} {
  const parameters: unknown[] = [];
  const conditions = listConditions(
    { ...filter, afterId: page.afterId },
    parameters,
  );
  const limit =
    page.limit === undefined ? '' : ` LIMIT $${parameters.push(page.limit)}`;
  // The same conditions, with the page's last id as the cursor, say whether any todo follows.
  const following = [
    ...listConditions(filter, parameters),
    'id > (SELECT max(id) FROM t)',
  ];
  return {
    sql:
      `WITH t AS (SELECT ${TODO_FIELDS} FROM todos${where(conditions)} ORDER BY id${limit}) ` +
      `SELECT ${JSON_ARRAY} AS body, ` +
      `CASE WHEN EXISTS (SELECT 1 FROM todos${where(following)}) THEN max(t.id) END AS next_after_id ` +
      'FROM t',
    parameters,
  };
}
