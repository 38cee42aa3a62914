import Ajv from 'ajv';
import { TodoListSchema, TodoSchema } from '../../src/todos/dto/todo.schema';

const ajv = new Ajv({ allErrors: true });
const validTodo = ajv.compile(TodoSchema);
const validList = ajv.compile(TodoListSchema);

/** Fails the test when a response body is not what the OpenAPI document promises. */
export function expectTodo(body: unknown): void {
  expect(validTodo(body) ? [] : validTodo.errors).toEqual([]);
}

export function expectTodoList(body: unknown): void {
  expect(validList(body) ? [] : validList.errors).toEqual([]);
}
