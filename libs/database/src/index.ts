export * from './data-source-options';
export * from './database.config';
export * from './database.module';
export * from './database-target';
export * from './embedded-postgres';
export * from './migration-runner';
export * from './postgres-errors';
export * from './wait-for-database';
