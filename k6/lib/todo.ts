/*
 * The API's todo types, for the scripts. The service's schemas
 * (apps/taskoverflow/src/todos/dto/todo.schema.ts) cannot be imported into
 * k6, so they are written again here, and a type test
 * (apps/taskoverflow/src/todos/todo-fields.spec.ts) fails when the two differ.
 */

/** The most todos one answer of GET /todos holds; a `Link: <…>; rel="next"` header names the rest. */
export const MAX_LIST_ANSWER = 1000;

/** A todo, as the API returns it. Timestamps are UTC, ISO 8601 without an offset. */
export interface Todo {
  id: number;
  title: string;
  description: string | null;
  completed: boolean;
  deadline_at: string | null;
  created_at: string;
  updated_at: string;
}

/** The body of POST /todos: only `title` is required. */
export interface NewTodo {
  title: string;
  description?: string | null;
  completed?: boolean;
  deadline_at?: string | null;
}

/** The body of PUT /todos/:id: the fields to change (at least one). */
export type TodoChanges = Partial<NewTodo>;
