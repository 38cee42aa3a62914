import { Inject, Injectable } from '@nestjs/common';
import { type CreateTodo, type ListTodosQuery, MAX_PAGE_SIZE, type Todo, type UpdateTodo } from './dto/todo.schema';
import { CoalescedReads } from './coalesced-reads';
import { type CachedList, TodoListCache } from './todo-list.cache';
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
  private readonly listReads = new CoalescedReads<CachedList>();

  constructor(
    private readonly repository: TodosRepository,
    private readonly listCache: TodoListCache,
    @Inject(TODOS_CONFIG) private readonly config: TodosConfig,
  ) {}

  /**
   * The whole list is what pollers fetch again and again: it is served from
   * this process's cache after one query for the revision, and rendered
   * afresh only when the todos changed. A window depends on the clock and a
   * page on its cursor, so those are always rendered. No answer holds more
   * than MAX_PAGE_SIZE todos: a table of millions cannot exhaust memory or
   * the statement timeout; past that, the Link header names the rest.
   */
  async list(query: ListTodosQuery): Promise<TodoList> {
    const filter = { completed: query.completed, windowDays: query.window };
    if (query.limit !== undefined || query.after_id !== undefined) {
      return this.repository.renderPage(filter, { limit: query.limit ?? MAX_PAGE_SIZE, afterId: query.after_id });
    }
    if (query.window !== undefined) {
      const { body, nextAfterId } = await this.repository.renderList(filter, MAX_PAGE_SIZE);
      return { body, nextAfterId };
    }
    if (!this.config.listCache) return this.repository.renderList(filter, MAX_PAGE_SIZE);
    return this.cachedList(String(query.completed), filter);
  }

  private async cachedList(key: string, filter: { completed?: boolean }): Promise<TodoList> {
    if (this.listCache.has(key)) {
      const revision = await this.revisionReads.read('revision', () => this.repository.revision());
      const cached = this.listCache.get(key, revision);
      if (cached !== undefined) return cached;
    }
    return this.listReads.read(key, async () => {
      const { body, revision, nextAfterId } = await this.repository.renderList(filter, MAX_PAGE_SIZE);
      const list: CachedList = { body: Buffer.from(body), revision, nextAfterId };
      this.listCache.set(key, list);
      return list;
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
