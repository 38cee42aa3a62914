import { type Env, integer, parseEnv, port } from '@app/config';
import { DATABASE_VARIABLES, type DatabaseConfig, loadDatabaseConfig } from '@app/database';
import { LOGGING_VARIABLES, type LoggingConfig, loadLoggingConfig } from '@app/logging';
import { z } from 'zod';
import { AUTH_VARIABLES, type AuthConfig, loadAuthConfig } from '../auth/api-keys.config';
import { availableCpus } from './available-cpus';
import { HTTP_VARIABLES, type HttpConfig, loadHttpConfig } from './http.config';
import { loadTodosConfig, TODOS_VARIABLES, type TodosConfig } from '../todos/todos.config';

const appEnv = {
  PORT: port().default(6400),
  HOST: z.string().min(1).default('0.0.0.0'),
  // ECS waits 30 s between SIGTERM and SIGKILL; finish before that.
  SHUTDOWN_TIMEOUT_MS: integer(0, 600_000).default(25_000),
  // Node processes serving requests; one uses about one vCPU. Default: the
  // container's whole CPUs (its cgroup quota), so a 4-vCPU task uses all four.
  WEB_CONCURRENCY: integer(1, 64).optional(),
};

/** Every environment variable the service reads, for checks of deployment files. */
export const CONFIG_VARIABLES = [
  ...Object.keys(appEnv),
  ...HTTP_VARIABLES,
  ...AUTH_VARIABLES,
  ...DATABASE_VARIABLES,
  ...LOGGING_VARIABLES,
  ...TODOS_VARIABLES,
];

export interface AppConfig {
  port: number;
  host: string;
  shutdownTimeoutMs: number;
  webConcurrency: number;
}

export interface Config {
  app: AppConfig;
  http: HttpConfig;
  auth: AuthConfig;
  database: DatabaseConfig;
  logging: LoggingConfig;
  todos: TodosConfig;
}

/** Reads and validates every setting; throws a ConfigError naming each bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const vars = parseEnv('application', appEnv, env);
  return {
    app: {
      port: vars.PORT,
      host: vars.HOST,
      shutdownTimeoutMs: vars.SHUTDOWN_TIMEOUT_MS,
      webConcurrency: vars.WEB_CONCURRENCY ?? availableCpus(),
    },
    http: loadHttpConfig(env),
    auth: loadAuthConfig(env),
    database: loadDatabaseConfig(env),
    logging: loadLoggingConfig(env),
    todos: loadTodosConfig(env),
  };
}
