import { API_TIMESTAMP_PATTERN, apiTimestampFromSql, apiTimestampSql } from '@app/database';
import { type Todo, TodoSchema } from './dto/todo.schema';

/*
 * The SQL of the list, which PostgreSQL renders as JSON text itself: the
 * list is what load tests hammer and pollers fetch again and again, and
 * letting the database produce one text value spares Node parsing rows into
 * objects only to serialise them again (measured: docs/capacity.md). Only
 * TodosRepository runs it.
 */

/** Is this field of the Todo schema a timestamp (it has the API's timestamp pattern)? */
const isTimestamp = (schema: object) => 'pattern' in schema && schema.pattern === API_TIMESTAMP_PATTERN;

/**
 * The todo's fields as SQL select expressions over `table`, derived from the
 * Todo schema: the column names are the schema's field names, and the
 * timestamps are written by the API's rule.
 */
export function todoColumns(table?: string): string {
  return Object.entries(TodoSchema.properties)
    .map(([field, schema]) => {
      const column = table === undefined ? `"${field}"` : `${table}."${field}"`;
      return isTimestamp(schema) ? `${apiTimestampSql(column)} AS "${field}"` : column;
    })
    .join(', ');
}

/** The Todo schema's timestamp fields. */
export const TODO_TIMESTAMPS = Object.entries(TodoSchema.properties)
  .filter(([, schema]) => isTimestamp(schema))
  .map(([field]) => field);

/**
 * The same fields for rows that Node reads one at a time: the plain columns,
 * read with TIMESTAMPTZ_AS_TEXT (the timestamps as PostgreSQL writes them in
 * UTC); todoFromRow puts them in the API's form. No work in SQL, and the
 * statement, logged with every request, stays short.
 */
export const TODO_ROW_COLUMNS = Object.keys(TodoSchema.properties).join(', ');

/** A row selected with TODO_ROW_COLUMNS and TIMESTAMPTZ_AS_TEXT, as the API writes it. */
export function todoFromRow(row: Record<string, unknown>): Todo {
  for (const field of TODO_TIMESTAMPS) {
    const value = row[field];
    if (typeof value === 'string') row[field] = apiTimestampFromSql(value);
  }
  return row as unknown as Todo;
}

const TODO_FIELDS = todoColumns();

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

function listConditions(filter: ListFilter & { afterId?: number }, parameters: unknown[]): string[] {
  const conditions: string[] = [];
  const add = (value: unknown) => `$${parameters.push(value)}`;
  if (filter.completed !== undefined) {
    conditions.push(`completed = ${add(filter.completed)}`);
  }
  if (filter.windowDays !== undefined) {
    conditions.push(`deadline_at <= now() + make_interval(days => ${add(filter.windowDays)})`);
  }
  if (filter.afterId !== undefined) {
    conditions.push(`id > ${add(filter.afterId)}`);
  }
  return conditions;
}

const where = (conditions: string[]) => (conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '');

const JSON_ARRAY = "coalesce('[' || string_agg(row_to_json(t)::text, ',' ORDER BY t.id) || ']', '[]')";

/**
 * The (filtered) list, its first `cap` todos, as one JSON array text in
 * column `body`, in creation order, with the revision it reflects (one
 * statement, one snapshot) and in `next_after_id` the last id when more
 * todos match, else null.
 */
export function listTodos(filter: ListFilter, cap: number): { sql: string; parameters: unknown[] } {
  return listQuery(filter, { limit: cap }, true);
}

/**
 * One page of the list (ids after `afterId`, at most `limit`) in column
 * `body`, and in `next_after_id` the cursor of the next page when more todos
 * match, else null.
 */
export function listTodosPage(filter: ListFilter, page: ListPage): { sql: string; parameters: unknown[] } {
  return listQuery(filter, page, false);
}

function listQuery(filter: ListFilter, page: ListPage, withRevision: boolean): { sql: string; parameters: unknown[] } {
  const parameters: unknown[] = [];
  const conditions = listConditions({ ...filter, afterId: page.afterId }, parameters);
  const limit = page.limit === undefined ? '' : ` LIMIT $${parameters.push(page.limit)}`;
  // The same conditions, with the page's last id as the cursor, say whether any todo follows.
  const following = [...listConditions(filter, parameters), 'id > (SELECT max(id) FROM t)'];
  return {
    sql:
      `WITH t AS (SELECT ${TODO_FIELDS} FROM todos${where(conditions)} ORDER BY id${limit}) ` +
      `SELECT ${withRevision ? `${REVISION} AS revision, ` : ''}${JSON_ARRAY} AS body, ` +
      `CASE WHEN EXISTS (SELECT 1 FROM todos${where(following)}) THEN max(t.id) END AS next_after_id ` +
      'FROM t',
    parameters,
  };
}
