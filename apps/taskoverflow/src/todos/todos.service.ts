import { Inject, Injectable } from '@nestjs/common';
import type { CreateTodo, ListTodosQuery, Todo, UpdateTodo } from './dto/todo.schema';
import { CoalescedReads } from './coalesced-reads';
import { TodoListCache } from './todo-list.cache';
import { TODOS_CONFIG, type TodosConfig } from './todos.config';
import { type JsonText, TodosRepository } from './todos.repository';

export interface TodoList {
  /** JSON text, or its UTF-8 bytes when it comes from (or goes into) the list cache. */
  body: JsonText | Buffer;
  /** The todos revision the body reflects, when nothing but the data decides it (no window, no paging). */
  revision?: string;
  /** The cursor of the next page, when paging and more todos follow. */
  nextAfterId?: number;
}

/** The todos' policy: the list cache and coalesced reads. The data access is TodosRepository's. */
@Injectable()
export class TodosService {
  /**
   * Concurrent list requests share their revision checks and renders (a
   * request's trace then may show no SQL: another request's statement served it).
   */
  private readonly revisionReads = new CoalescedReads<string>();
  private readonly listReads = new CoalescedReads<{ body: Buffer; revision: string }>();

  constructor(
    private readonly repository: TodosRepository,
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
      return this.repository.renderPage(filter, { limit: query.limit, afterId: query.after_id });
    }
    if (query.window !== undefined) {
      const { body } = await this.repository.renderList(filter);
      return { body };
    }
    if (!this.config.listCache) return this.repository.renderList(filter);
    return this.cachedList(String(query.completed), filter);
  }

  private async cachedList(key: string, filter: { completed?: boolean }): Promise<TodoList> {
    if (this.listCache.has(key)) {
      const revision = await this.revisionReads.read('revision', () => this.repository.revision());
      const body = this.listCache.get(key, revision);
      if (body !== undefined) return { body, revision };
    }
    return this.listReads.read(key, async () => {
      const rendered = await this.repository.renderList(filter);
      const body = Buffer.from(rendered.body);
      this.listCache.set(key, rendered.revision, body);
      return { body, revision: rendered.revision };
    });
  }

  get(id: number): Promise<Todo | undefined> {
    return this.repository.findOne(id);
  }

  create(todo: CreateTodo): Promise<Todo> {
    return this.repository.insert(todo);
  }

  update(id: number, changes: UpdateTodo): Promise<Todo | undefined> {
    return this.repository.update(id, changes);
  }

  remove(id: number): Promise<Todo | undefined> {
    return this.repository.delete(id);
  }
}
