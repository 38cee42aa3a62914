import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { CreateTodo, ListTodosQuery, UpdateTodo } from './dto/todo.schema';
import { CoalescedReads } from './coalesced-reads';
import { asUtcTimestamp } from './input-timestamp';
import { TodoListCache } from './todo-list.cache';
import { TODOS_CONFIG, type TodosConfig } from './todos.config';
import {
  DELETE_TODO,
  INSERT_TODO,
  listTodos,
  listTodosPage,
  SELECT_REVISION,
  SELECT_TODO,
  UPDATABLE_COLUMNS,
  updateTodo,
} from './todos.sql';

/** A response body already rendered as JSON text by PostgreSQL. */
export type JsonText = string;

interface RenderedList {
  revision: string;
  body: JsonText;
}

export interface TodoList {
  /** JSON text, or its UTF-8 bytes when it comes from (or goes into) the list cache. */
  body: JsonText | Buffer;
  /** The todos revision the body reflects, when nothing but the data decides it (no window, no paging). */
  revision?: string;
  /** The cursor of the next page, when paging and more todos follow. */
  nextAfterId?: number;
}

/**
 * Queries go through TypeORM's DataSource so that its logger and connection
 * pool see every statement; the SQL itself is hand-written (todos.sql.ts).
 */
@Injectable()
export class TodosService {
  /**
   * Concurrent list requests share their revision checks and renders (a
   * request's trace then may show no SQL: another request's statement served it).
   */
  private readonly revisionReads = new CoalescedReads<string>();
  private readonly listReads = new CoalescedReads<{ body: Buffer; revision: string }>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly listCache: TodoListCache,
    @Inject(TODOS_CONFIG) private readonly config: TodosConfig,
  ) {}

  /**
   * The whole list is what pollers fetch again and again: it is served from
   * this process's cache after one query for the revision, and rendered
   * afresh only when the todos changed. A window depends on the clock and a
   * page on its cursor, so those are always rendered.
   */
  async list(query: ListTodosQuery): Promise<TodoList> {
    const filter = { completed: query.completed, windowDays: query.window };
    if (query.limit !== undefined || query.after_id !== undefined) {
      const { sql, parameters } = listTodosPage(filter, {
        limit: query.limit,
        afterId: query.after_id,
      });
      const [page] = await this.query<{
        body: JsonText;
        next_after_id: number | null;
      }>(sql, parameters);
      return { body: page.body, nextAfterId: page.next_after_id ?? undefined };
    }
    const { sql, parameters } = listTodos(filter);
    if (query.window !== undefined) {
      const [list] = await this.query<{ body: JsonText }>(sql, parameters);
      return { body: list.body };
    }
    if (!this.config.listCache) {
      const [list] = await this.query<RenderedList>(sql, parameters);
      return list;
    }
    return this.cachedList(String(query.completed), sql, parameters);
  }

  private async cachedList(
    key: string,
    sql: string,
    parameters: unknown[],
  ): Promise<TodoList> {
    if (this.listCache.has(key)) {
      const revision = await this.revisionReads.read('revision', async () => {
        const [row] = await this.query<{ revision: string }>(SELECT_REVISION, []);
        return row.revision;
      });
      const body = this.listCache.get(key, revision);
      if (body !== undefined) return { body, revision };
    }
    return this.listReads.read(key, async () => {
      const [row] = await this.query<RenderedList>(sql, parameters);
      const body = Buffer.from(row.body);
      this.listCache.set(key, row.revision, body);
      return { body, revision: row.revision };
    });
  }

  get(id: number): Promise<JsonText | undefined> {
    return this.queryOne(SELECT_TODO, [id]);
  }

  async create(todo: CreateTodo): Promise<{ id: number; body: JsonText }> {
    const [created] = await this.query<{ id: number; body: JsonText }>(INSERT_TODO, [
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
    const [row] = await this.query<{ body: JsonText }>(sql, parameters);
    return row?.body;
  }

  private query<Row>(sql: string, parameters: unknown[]): Promise<Row[]> {
    return this.dataSource.query(sql, parameters);
  }
}
