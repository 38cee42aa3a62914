import { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { buildClientConfig, type ConnectionTarget, describeTarget } from './data-source-options';
import type { DatabaseConfig } from './database.config';
import { isRefusedPassword } from './password-source';

/**
 * Waits for the database to answer a query, retrying a bounded number of
 * times (it may still be starting, as RDS or a compose service often is).
 * Throws, naming the database and the last error, when it never answers.
 */
export async function waitForDatabase(
  target: ConnectionTarget,
  config: Pick<DatabaseConfig, 'ssl' | 'connectTimeoutMs' | 'connectRetries' | 'connectRetryDelayMs'>,
  logger = new Logger('Database'),
): Promise<void> {
  const where = describeTarget(target);
  const attempts = config.connectRetries + 1;
  for (let attempt = 1; ; attempt++) {
    const client = new Client({
      ...buildClientConfig(target, config.ssl),
      connectionTimeoutMillis: config.connectTimeoutMs,
    });
    // An unreachable server can also surface as an 'error' event; the awaited calls report it.
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      logger.log(`Database ${where} answers`);
      return;
    } catch (error) {
      // A password rotated since it was read: a newer one is worth trying at once, not as a retry.
      if (isRefusedPassword(error) && target.kind === 'host' && target.passwords) {
        const refused = await target.passwords.current();
        await target.passwords.refresh(refused);
        if ((await target.passwords.current()) !== refused) {
          attempt--;
          continue;
        }
      }
      const reason = error instanceof Error ? error.message : String(error);
      if (attempt >= attempts) {
        throw new Error(`Database ${where} did not answer after ${attempts} attempt(s): ${reason}`);
      }
      logger.warn(
        `Database ${where} does not answer (attempt ${attempt} of ${attempts}): ${reason}; ` +
          `retrying in ${config.connectRetryDelayMs} ms`,
      );
    } finally {
      await client.end().catch(() => undefined);
    }
    await sleep(config.connectRetryDelayMs);
  }
}
