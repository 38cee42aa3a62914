import { Injectable } from '@nestjs/common';
import type { CustomTypesConfig, Pool, PoolClient, QueryResultRow } from 'pg';
import { DataSource, QueryFailedError } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/** What a connection does with an 'error' event while checked out: the failing statement reports it. */
const ignoreWhileCheckedOut = (): void => undefined;

/**
 * Runs hand-written statements on the request pool (TypeORM's, with its
 * connections' settings, deadline and tracing), without TypeORM's query
 * runner: for a single-row read that runner (a query-runner object per
 * statement, its event broadcasts, its result wrapping) was a twentieth of
 * the service's CPU per request (docs/capacity.md). A failed statement is
 * raised as TypeORM's QueryFailedError, so it is told apart
 * (postgres-errors.ts) and answered exactly like one sent through TypeORM.
 */
@Injectable()
export class StatementRunner {
  private readonly pool: Pool;

  constructor(dataSource: DataSource) {
    this.pool = (dataSource.driver as PostgresDriver).master as Pool;
  }

  /**
   * The statement's rows, its values read by `types` (node-postgres' own
   * parsers by default); a connection that cannot be had fails as pg-pool raises it.
   */
  async rows<Row extends QueryResultRow>(text: string, values?: unknown[], types?: CustomTypesConfig): Promise<Row[]> {
    const client: PoolClient = await this.pool.connect();
    // pg-pool listens for a connection's errors only while it is idle; unheard, one would crash the process.
    client.on('error', ignoreWhileCheckedOut);
    try {
      // The plain form unless needed: node-postgres copies a query object property by property.
      return (await (types ? client.query<Row>({ text, values, types }) : client.query<Row>(text, values))).rows;
    } catch (error) {
      throw new QueryFailedError(text, values, error as Error);
    } finally {
      client.removeListener('error', ignoreWhileCheckedOut);
      // A connection that broke or was ended by the deadline is not queryable: pg-pool discards it.
      client.release();
    }
  }
}
