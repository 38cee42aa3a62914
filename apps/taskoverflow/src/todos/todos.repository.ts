import { Injectable } from '@nestjs/common';
import { DataSource, type Repository } from 'typeorm';
import type { CreateTodo, Todo, UpdateTodo } from './dto/todo.schema';
import { asUtcTimestamp } from './input-timestamp';
import { TodoEntity } from './todo.entity';
import { type ListFilter, type ListPage, listTodos, listTodosPage, SELECT_REVISION, todoColumns } from './todos.sql';

/** A response body already rendered as JSON text by PostgreSQL. */
export type JsonText = string;

/** The todo's fields, as the API writes them, selected from a row aliased `todo`. */
const SELECTED_TODO = todoColumns('todo');
/** The same as RETURNING expressions of the row written. */
const RETURNED_TODO = todoColumns();

/**
 * The todos' data access: the only place with SQL. Single todos go through
 * TypeORM's repository and query builder and come back as `Todo` values in
 * the API's shape (Fastify serialises them against the Todo schema). The
 * list comes back as JSON text rendered by PostgreSQL (todos.sql.ts): a
 * measured choice for the hot path, not the pattern for new modules.
 *
 * Rows are selected as the Todo schema's fields (todoColumns), so a row is
 * a Todo by construction; the response schema checks it on the way out.
 */
@Injectable()
export class TodosRepository {
  private readonly todos: Repository<TodoEntity>;

  constructor(private readonly dataSource: DataSource) {
    this.todos = dataSource.getRepository(TodoEntity);
  }

  findOne(id: number): Promise<Todo | undefined> {
    return this.todos.createQueryBuilder('todo').select(SELECTED_TODO).where('todo.id = :id', { id }).getRawOne<Todo>();
  }

  async insert(todo: CreateTodo): Promise<Todo> {
    const result = await this.todos
      .createQueryBuilder()
      .insert()
      .values({
        title: todo.title,
        description: todo.description ?? null,
        completed: todo.completed ?? false,
        // A string, not a Date: PostgreSQL parses it, microseconds and zone included.
        deadlineAt: () => ':deadline',
      })
      .setParameter('deadline', asUtcTimestamp(todo.deadline_at ?? null))
      .returning(RETURNED_TODO)
      .execute();
    return (result.raw as Todo[])[0];
  }

  async update(id: number, changes: UpdateTodo): Promise<Todo | undefined> {
    const result = await this.todos
      .createQueryBuilder()
      .update()
      .set({
        ...(changes.title !== undefined && { title: changes.title }),
        ...(changes.description !== undefined && { description: changes.description }),
        ...(changes.completed !== undefined && { completed: changes.completed }),
        ...(changes.deadline_at !== undefined && { deadlineAt: () => ':deadline' }),
        updatedAt: () => 'now()',
      })
      .setParameter('deadline', asUtcTimestamp(changes.deadline_at ?? null))
      .where('id = :id', { id })
      .returning(RETURNED_TODO)
      .execute();
    return (result.raw as Todo[])[0];
  }

  async delete(id: number): Promise<Todo | undefined> {
    const result = await this.todos
      .createQueryBuilder()
      .delete()
      .where('id = :id', { id })
      .returning(RETURNED_TODO)
      .execute();
    return (result.raw as Todo[])[0];
  }

  /** The todos' change counter, as text (see the TodosRevision migration). */
  async revision(): Promise<string> {
    const [row] = await this.dataSource.query<{ revision: string }[]>(SELECT_REVISION);
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
    const [row] = await this.dataSource.query<{ body: JsonText; revision: string; next_after_id: number | null }[]>(
      sql,
      parameters,
    );
    return { body: row.body, revision: row.revision, nextAfterId: row.next_after_id ?? undefined };
  }

  /** One page of the list as JSON text, and the cursor of the next page when more todos match. */
  async renderPage(filter: ListFilter, page: ListPage): Promise<{ body: JsonText; nextAfterId?: number }> {
    const { sql, parameters } = listTodosPage(filter, page);
    const [row] = await this.dataSource.query<{ body: JsonText; next_after_id: number | null }[]>(sql, parameters);
    return { body: row.body, nextAfterId: row.next_after_id ?? undefined };
  }
}
