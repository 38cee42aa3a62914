import type { Env } from '@app/config';
import type { DynamicModule } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DestinationStream } from 'pino';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { resolveDatabaseTarget } from '@app/database';
import { createLogging } from '@app/logging';
import { createApp } from '../../src/app.factory';
import { loadConfig } from '../../src/config/app.config';
import { testLog } from './test-log';

/** This Jest worker's own database on the run's embedded PostgreSQL server. */
export function workerDatabaseUrl(database = `test_${process.env.JEST_WORKER_ID ?? '1'}`): string {
  const url = new URL(requiredEnv('TEST_POSTGRES_URL'));
  url.pathname = `/${database}`;
  return url.toString();
}

export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through Jest's e2e project`);
  return value;
}

export interface TestApp {
  app: NestFastifyApplication;
  baseUrl: string;
  dataSource: DataSource;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Where the JSON log lines go, at LOG_LEVEL; by default only errors, shown if a test fails. */
  logTo?: DestinationStream;
  /** Test-only modules mounted beside the application's own. */
  modules?: DynamicModule[];
}

/** The real application on a real port, configured as main.ts does, from variables. */
export async function startTestApp(env: Env = {}, options: TestAppOptions = {}): Promise<TestApp> {
  const config = loadConfig({
    DATABASE_URL: workerDatabaseUrl(),
    PORT: '0',
    DB_CONNECT_RETRIES: '0',
    ...env,
  });
  if (config.database.target.kind === 'embedded') {
    throw new Error('startTestApp needs DATABASE_URL or DB_HOST');
  }
  // As main.ts does: a password in Secrets Manager gets its source here.
  const { target } = await resolveDatabaseTarget(config.database);
  // Errors only, kept by the test environment and shown when a test fails.
  const logging = options.logTo
    ? createLogging(config.logging, options.logTo)
    : createLogging({ ...config.logging, level: 'error' }, testLog());
  const app = await createApp(config, target, logging.root, { extraModules: options.modules });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return {
    app,
    baseUrl: `http://127.0.0.1:${port}`,
    dataSource: app.get(DataSource),
    close: () => app.close(),
  };
}

export async function deleteAllTodos(dataSource: DataSource): Promise<void> {
  await dataSource.query('TRUNCATE todos RESTART IDENTITY');
}
