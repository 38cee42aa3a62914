import { StatementRunner, TIMESTAMPTZ_AS_TEXT } from '@app/database';
import { Injectable } from '@nestjs/common';
import type { CreateTodo, Todo, UpdateTodo } from './dto/todo.schema';
import { asUtcTimestamp } from './input-timestamp';
import {
  type ListFilter,
  type ListPage,
  listTodos,
  listTodosPage,
  SELECT_REVISION,
  TODO_ROW_COLUMNS,
  todoFromRow,
} from './todos.sql';

/** A response body already rendered as JSON text by PostgreSQL. */
export type JsonText = string;

/*
 * The single-todo statements, written once: TypeORM's query builder rebuilt
 * and re-escaped them on every request, a fifth of a write's CPU (CPU
 * profile of `npm run bench -- --scenarios create-delete --cpu-prof`,
 * docs/capacity.md). They run on TypeORM's pool through the StatementRunner,
 * so the SQL log, the request comment and the deadline apply as to every statement.
 */
const SELECT_ONE = `SELECT ${TODO_ROW_COLUMNS} FROM todos WHERE id = $1`;
export const INSERT_ONE =
  `INSERT INTO todos (title, description, completed, deadline_at) VALUES ($1, $2, $3, $4) ` +
  `RETURNING ${TODO_ROW_COLUMNS}`;
export const DELETE_ONE = `DELETE FROM todos WHERE id = $1 RETURNING ${TODO_ROW_COLUMNS}`;

type Row = Record<string, unknown>;
const first = (rows: Row[]): Todo | undefined => (rows.length === 0 ? undefined : todoFromRow(rows[0]));

/** The columns PUT may change, in the order their parameters follow the id. */
const UPDATABLE = ['title', 'description', 'completed', 'deadline_at'] as const;
/** One UPDATE per combination of changed fields (at most 15), built when first needed. */
const updateStatements = new Map<string, string>();

function updateStatement(changed: (typeof UPDATABLE)[number][]): string {
  const key = changed.join(',');
  let sql = updateStatements.get(key);
  if (sql === undefined) {
    const assignments = changed.map((column, index) => `${column} = $${index + 2}`);
    sql = `UPDATE todos SET ${[...assignments, 'updated_at = now()'].join(', ')} WHERE id = $1 RETURNING ${TODO_ROW_COLUMNS}`;
    updateStatements.set(key, sql);
  }
  return sql;
}

/**
 * The todos' data access: the only place with SQL. Rows are selected as the
 * Todo schema's fields (todoColumns), so a row is a Todo by construction; the
 * response schema checks it on the way out. The list comes back as JSON text
 * rendered by PostgreSQL (todos.sql.ts): measured choices for the hot path;
 * new modules start from a plain TypeORM repository.
 */
@Injectable()
export class TodosRepository {
  constructor(private readonly statements: StatementRunner) {}

  async findOne(id: number): Promise<Todo | undefined> {
    return first(await this.todoRows(SELECT_ONE, [id]));
  }

  async insert(todo: CreateTodo): Promise<Todo> {
    const rows = await this.todoRows(INSERT_ONE, [
      todo.title,
      todo.description ?? null,
      todo.completed ?? false,
      // A string, not a Date: PostgreSQL parses it, microseconds and zone included.
      asUtcTimestamp(todo.deadline_at ?? null),
    ]);
    return first(rows)!;
  }

  async update(id: number, changes: UpdateTodo): Promise<Todo | undefined> {
    const changed = UPDATABLE.filter((column) => changes[column] !== undefined);
    const values = changed.map((column) =>
      column === 'deadline_at' ? asUtcTimestamp(changes.deadline_at ?? null) : changes[column],
    );
    return first(await this.todoRows(updateStatement(changed), [id, ...values]));
  }

  async delete(id: number): Promise<Todo | undefined> {
    return first(await this.todoRows(DELETE_ONE, [id]));
  }

  /** Rows of TODO_ROW_COLUMNS, for todoFromRow. */
  private todoRows(sql: string, values: unknown[]): Promise<Row[]> {
    return this.statements.rows<Row>(sql, values, TIMESTAMPTZ_AS_TEXT);
  }

  /** The todos' change counter, as text (see the TodosRevision migration). */
  async revision(): Promise<string> {
    const [row] = await this.statements.rows<{ revision: string }>(SELECT_REVISION);
    return row.revision;
  }

  /**
   * The (filtered) list up to `cap` todos as JSON text, with the revision it
   * reflects (one statement, one snapshot) and the cursor past the cap when
   * more todos match.
   */
  async renderList(
    filter: ListFilter,
    cap: number,
  ): Promise<{ body: JsonText; revision: string; nextAfterId?: number }> {
    const { sql, parameters } = listTodos(filter, cap);
    const [row] = await this.statements.rows<{ body: JsonText; revision: string; next_after_id: number | null }>(
      sql,
      parameters,
    );
    return { body: row.body, revision: row.revision, nextAfterId: row.next_after_id ?? undefined };
  }

  /** One page of the list as JSON text, and the cursor of the next page when more todos match. */
  async renderPage(filter: ListFilter, page: ListPage): Promise<{ body: JsonText; nextAfterId?: number }> {
    const { sql, parameters } = listTodosPage(filter, page);
    const [row] = await this.statements.rows<{ body: JsonText; next_after_id: number | null }>(sql, parameters);
    return { body: row.body, nextAfterId: row.next_after_id ?? undefined };
  }
}
