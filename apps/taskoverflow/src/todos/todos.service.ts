import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { CreateTodo, ListTodosQuery, UpdateTodo } from './dto/todo.schema';
import { asUtcTimestamp } from './input-timestamp';
import {
  DELETE_TODO,
  INSERT_TODO,
  listTodos,
  SELECT_TODO,
  UPDATABLE_COLUMNS,
  updateTodo,
} from './todos.sql';

/** A response body already rendered as JSON text by PostgreSQL. */
export type JsonText = string;

/**
 * Queries go through TypeORM's DataSource so that its logger and connection
 * pool see every statement; the SQL itself is hand-written (todos.sql.ts).
 */
@Injectable()
export class TodosService {
  constructor(private readonly dataSource: DataSource) {}

  async list(query: ListTodosQuery): Promise<JsonText> {
    const { sql, parameters } = listTodos({
      completed: query.completed,
      windowDays: query.window,
    });
    return (await this.queryOne(sql, parameters)) ?? '[]';
  }

  get(id: number): Promise<JsonText | undefined> {
    return this.queryOne(SELECT_TODO, [id]);
  }

  async create(todo: CreateTodo): Promise<JsonText> {
    const created = await this.queryOne(INSERT_TODO, [
      todo.title,
      todo.description ?? null,
      todo.completed ?? false,
      asUtcTimestamp(todo.deadline_at ?? null),
    ]);
    if (created === undefined) throw new Error('INSERT returned no row');
    return created;
  }

  update(id: number, changes: UpdateTodo): Promise<JsonText | undefined> {
    const columns = UPDATABLE_COLUMNS.filter(
      (column) => changes[column] !== undefined,
    );
    const values = columns.map((column) =>
      column === 'deadline_at'
        ? asUtcTimestamp(changes.deadline_at ?? null)
        : changes[column],
    );
    return this.queryOne(updateTodo(columns), [id, ...values]);
  }

  remove(id: number): Promise<JsonText | undefined> {
    return this.queryOne(DELETE_TODO, [id]);
  }

  private async queryOne(
    sql: string,
    parameters: unknown[],
  ): Promise<JsonText | undefined> {
    const rows: { body: JsonText }[] = await this.dataSource.query(
      sql,
      parameters,
    );
    return rows[0]?.body;
  }
}
