import { Client } from 'pg';

/** PostgreSQL did not answer a statement within DB_QUERY_TIMEOUT_MS. */
export class QueryDeadlineError extends Error {
  override readonly name = 'QueryDeadlineError';

  constructor(readonly timeoutMs: number) {
    super(`The database did not answer within ${timeoutMs} ms; the connection was closed`);
  }
}

/**
 * `Base` with a deadline on every statement. statement_timeout cannot help
 * when the server never hears the cancel (a silent network, a failed-over
 * host): the statement would wait for TCP to give up, minutes later. At the
 * deadline the statement fails and its connection is ended, so the pool
 * replaces it rather than queueing the next statement behind the lost one.
 */
export function withQueryDeadline(Base: typeof Client, timeoutMs: number): typeof Client {
  if (timeoutMs === 0) return Base;
  class DeadlineClient extends Base {}
  // pg's query() has many overloads; its arguments pass through untouched.
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with the client as `this`
  const query = Base.prototype.query as (this: Client, ...args: unknown[]) => unknown;
  DeadlineClient.prototype.query = function (this: Client, ...args: unknown[]) {
    const result = query.apply(this, args);
    // TypeORM uses the promise form; the callback and submittable forms pass through.
    if (typeof (result as Promise<unknown> | undefined)?.then !== 'function') return result;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new QueryDeadlineError(timeoutMs));
        // With a statement still out, end() destroys the socket: the pool discards the client.
        this.end().catch(() => undefined);
      }, timeoutMs);
    });
    return Promise.race([result as Promise<unknown>, deadline]).finally(() => clearTimeout(timer));
  } as Client['query'];
  return DeadlineClient;
}
