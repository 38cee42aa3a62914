import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Logger } from '@nestjs/common';
import type * as pg from 'pg';

/**
 * Where the pool's password comes from when it can change under the
 * service: a Secrets Manager secret that a rotation updates. ECS reads
 * `secrets` only when a task starts, so a rotated password would leave every
 * new connection of a running task refused (28P01) until it is replaced.
 */
export interface PasswordSource {
  /** The password to connect with. */
  current(): Promise<string>;
  /** Reads the secret again after the server refused `refused`; resolves once a newer one is known, if any. */
  refresh(refused: string): Promise<void>;
}

/** SQLSTATE 28P01: the server refused the password. */
export function isRefusedPassword(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '28P01';
}

/**
 * The password in a Secrets Manager secret: RDS's own format (JSON with
 * `username` and `password`) or the password as the whole string. On a
 * refusal it reads AWSCURRENT again, and AWSPENDING when that still holds the
 * refused one: a rotation sets the database's password before it marks the
 * new version current.
 */
export class SecretsManagerPassword implements PasswordSource {
  private password?: Promise<string>;
  private refreshing?: Promise<void>;
  private readonly logger = new Logger('Database');

  constructor(
    private readonly client: Pick<SecretsManagerClient, 'send'>,
    private readonly secretId: string,
  ) {}

  current(): Promise<string> {
    this.password ??= this.read('AWSCURRENT').catch((error: unknown) => {
      // Not cached: the next connection asks again.
      this.password = undefined;
      throw error;
    });
    return this.password;
  }

  refresh(refused: string): Promise<void> {
    this.refreshing ??= this.reread(refused).finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async reread(refused: string): Promise<void> {
    // Connections refused together all report the same stale password: one read serves them.
    if ((await this.current().catch(() => refused)) !== refused) return;
    let next = await this.read('AWSCURRENT');
    if (next === refused) next = (await this.read('AWSPENDING').catch(() => undefined)) ?? next;
    if (next !== refused) {
      this.logger.log(`The database password in ${this.secretId} changed: new connections use the new one`);
    }
    this.password = Promise.resolve(next);
  }

  private async read(stage: 'AWSCURRENT' | 'AWSPENDING'): Promise<string> {
    const { SecretString: text } = await this.client.send(
      new GetSecretValueCommand({ SecretId: this.secretId, VersionStage: stage }),
    );
    if (text === undefined) throw new Error(`Secret ${this.secretId} (${stage}) has no SecretString`);
    try {
      const value: unknown = JSON.parse(text);
      if (
        typeof value === 'object' &&
        value !== null &&
        typeof (value as { password?: unknown }).password === 'string'
      ) {
        return (value as { password: string }).password;
      }
    } catch {
      // Not JSON: the whole string is the password.
    }
    return text;
  }
}

type PgModule = typeof pg;
type ConnectCallback = (
  error: Error | undefined,
  client: pg.PoolClient | undefined,
  release: (releaseError?: Error | boolean) => void,
) => void;

/**
 * node-postgres with a Pool that, when the server refuses the password of a
 * new connection, asks the source for a newer one and connects again, once.
 * Connections already open are unaffected by a password change.
 */
export function withPasswordRefresh(driver: PgModule, passwords: PasswordSource): PgModule {
  class RefreshingPool extends driver.Pool {
    // pg-pool's connect takes a callback (TypeORM's use) or returns a promise.
    override connect(): Promise<pg.PoolClient>;
    override connect(callback: ConnectCallback): void;
    override connect(callback?: ConnectCallback): Promise<pg.PoolClient> | void {
      const connected = (async () => {
        const used = await passwords.current();
        try {
          return await super.connect();
        } catch (error) {
          if (!isRefusedPassword(error)) throw error;
          await passwords.refresh(used);
          return super.connect();
        }
      })();
      if (!callback) return connected;
      connected.then(
        (client) => callback(undefined, client, (releaseError) => client.release(releaseError)),
        (error: Error) => callback(error, undefined, () => undefined),
      );
    }
  }
  return Object.create(driver, { Pool: { value: RefreshingPool } }) as PgModule;
}
