import { Client } from 'pg';
import { currentRequestContext } from '../request-context';

/**
 * A sqlcommenter-style comment (https://google.github.io/sqlcommenter/) naming
 * the request that issues a statement, so that PostgreSQL's own logs,
 * pg_stat_activity and RDS Performance Insights show it. It goes first, not
 * last as sqlcommenter has it: pg_stat_activity keeps only the first
 * track_activity_query_size bytes (1 KiB by default), and the list query is longer.
 */
export function requestComment(): string | undefined {
  const context = currentRequestContext();
  return context ? `/*request_id='${encodeURIComponent(context.request_id).replaceAll("'", "\\'")}'*/` : undefined;
}

function withComment(config: unknown): unknown {
  const comment = requestComment();
  if (!comment) return config;
  if (typeof config === 'string') return `${comment} ${config}`;
  if (config && typeof (config as { text?: unknown }).text === 'string') {
    const query = config as { text: string };
    return { ...query, text: `${comment} ${query.text}` };
  }
  return config;
}

/**
 * node-postgres' Client, prefixing the comment to every statement sent while
 * a request is handled. Handed to the pool (its `Client` option), so no
 * global patching of pg.
 */
export class RequestCommentingClient extends Client {}

// pg's query() has many overloads; all of them take the statement first.
// eslint-disable-next-line @typescript-eslint/unbound-method -- called with the client as `this`
const query = Client.prototype.query as (this: Client, ...args: unknown[]) => unknown;
RequestCommentingClient.prototype.query = function (this: Client, config: unknown, ...rest: unknown[]) {
  return query.call(this, withComment(config), ...rest);
} as Client['query'];
