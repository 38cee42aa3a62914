import { getMetadataArgsStorage } from 'typeorm';
import * as K6 from '../../../../k6/lib/todo';
import { type CreateTodo, MAX_PAGE_SIZE, type Todo, TodoSchema, type UpdateTodo } from './dto/todo.schema';
import { TodoEntity } from './todo.entity';
import { TODO_ROW_COLUMNS, TODO_TIMESTAMPS, todoColumns } from './todos.sql';

/*
 * The todo's fields are written once, in the Todo schema; what cannot be
 * derived from it is checked against it here: the entity's columns, and the
 * k6 client's types and its page size (k6 cannot import the schema).
 */

/** True only when A and B are the same type (not merely assignable). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

const FIELDS = Object.keys(TodoSchema.properties);

describe("the todo's fields", () => {
  it("the entity's columns are the schema's fields", () => {
    const columns = getMetadataArgsStorage()
      .columns.filter((column) => column.target === TodoEntity)
      .map((column) => column.options.name ?? column.propertyName);
    expect(columns.sort()).toEqual([...FIELDS].sort());
  });

  it("the SQL selects the schema's fields, the timestamps by the API's rule", () => {
    const selected = todoColumns('todo');
    for (const field of FIELDS) expect(selected).toContain(`"${field}"`);
    expect(selected.match(/to_char\(/g)).toHaveLength(2 * 3);
    // The single-todo statements: the plain columns, the timestamps finished in Node.
    expect(TODO_ROW_COLUMNS.split(', ').sort()).toEqual([...FIELDS].sort());
    expect(TODO_TIMESTAMPS).toEqual(['deadline_at', 'created_at', 'updated_at']);
  });

  it("the k6 client's types are the schema's (checked by the type checker: npm run typecheck)", () => {
    const todo: Same<K6.Todo, Todo> = true;
    const created: Same<K6.NewTodo, CreateTodo> = true;
    const changes: Same<K6.TodoChanges, UpdateTodo> = true;
    expect([todo, created, changes]).toEqual([true, true, true]);
  });

  it("the k6 client's largest list answer is the service's", () => {
    expect(K6.MAX_LIST_ANSWER).toBe(MAX_PAGE_SIZE);
  });
});
