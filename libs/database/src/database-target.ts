import type { ConnectionTarget } from './data-source-options';
import type { DatabaseConfig, RoleCredentials } from './database.config';
import { SecretsManagerPassword } from './password-source';
import { startSupervisedPostgres } from './postgres-supervisor';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export interface ReachableDatabase {
  target: ConnectionTarget;
  /** Stops the embedded server when one was started; a no-op otherwise. */
  stop(): Promise<void>;
}

/** Turns the configured target into one to connect to, starting embedded PostgreSQL if that is the target. */
export async function resolveDatabaseTarget(config: DatabaseConfig): Promise<ReachableDatabase> {
  const { target } = config;
  if (target.kind === 'host') {
    // Region, credentials and endpoint from the SDK's standard configuration (the task role on ECS).
    let client: SecretsManagerClient | undefined;
    const withSource = <R extends RoleCredentials>(role: R): R & { passwords?: SecretsManagerPassword } =>
      role.passwordSecretId === undefined
        ? role
        : {
            ...role,
            passwords: new SecretsManagerPassword((client ??= new SecretsManagerClient({})), role.passwordSecretId),
          };
    const { migrations, ...pool } = target;
    return {
      target: { ...withSource(pool), ...(migrations !== undefined && { migrations: withSource(migrations) }) },
      stop: () => Promise.resolve(),
    };
  }
  if (target.kind !== 'embedded') {
    return { target, stop: () => Promise.resolve() };
  }
  const embedded = await startSupervisedPostgres({
    dataDir: target.dataDir,
    port: target.port,
    database: 'taskoverflow',
  });
  return {
    target: { kind: 'url', url: embedded.url },
    stop: () => embedded.stop(),
  };
}
