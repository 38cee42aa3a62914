import { boolean, type Env, parseEnv } from '@app/config';

const todosEnv = {
  // Off only to measure what the cache saves (npm run bench -- --configs no-list-cache).
  TODOS_LIST_CACHE: boolean().default(true),
};

/** The environment variables this feature reads. */
export const TODOS_VARIABLES = Object.keys(todosEnv);

export interface TodosConfig {
  listCache: boolean;
}

export function loadTodosConfig(env: Env): TodosConfig {
  const vars = parseEnv('todos', todosEnv, env);
  return { listCache: vars.TODOS_LIST_CACHE };
}

export const TODOS_CONFIG = Symbol('TODOS_CONFIG');
