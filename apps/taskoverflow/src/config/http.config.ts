import { ConfigError, type Env, integer, parseEnv } from '@app/config';
import { z } from 'zod';

/** `https://app.example.com` exactly: a scheme, a host and maybe a port; no path, no `*`. */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}

const origins = () =>
  z
    .string()
    .transform((list) =>
      list
        .split(',')
        .map((origin) => origin.trim())
        .filter((origin) => origin !== ''),
    )
    .pipe(
      z
        .array(
          z.string().refine(isOrigin, {
            error: 'must be origins such as https://app.example.com, separated by commas',
          }),
        )
        .min(1),
    );

const httpEnv = {
  // Slow clients (slowloris) may hold a connection only this long before their
  // headers, then their whole request, must have arrived; answered 408.
  HEADERS_TIMEOUT_MS: integer(1, 600_000).default(10_000),
  REQUEST_TIMEOUT_MS: integer(1, 600_000).default(30_000),
  // Proxies in front of the service whose X-Forwarded-For is believed: 1, the
  // ALB. More would let a client choose its own address (and rate-limit key).
  TRUST_PROXY_HOPS: integer(0, 10).default(1),
  CORS_ORIGINS: origins().optional(),
  RATE_LIMIT_MAX: integer(1, 1_000_000).optional(),
  RATE_LIMIT_WINDOW_MS: integer(1000, 86_400_000).default(60_000),
};

/** The environment variables of the HTTP server's hardening. */
export const HTTP_VARIABLES = Object.keys(httpEnv);

export interface HttpConfig {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  trustProxyHops: number;
  /** Browser origins allowed to call the API; empty: CORS off. */
  corsOrigins: string[];
  /** Requests per client (IP) and window; absent: no rate limiting. */
  rateLimit?: { max: number; windowMs: number };
}

export function loadHttpConfig(env: Env): HttpConfig {
  const vars = parseEnv('application', httpEnv, env);
  // Node refuses this pair at server creation; say so in configuration terms.
  if (vars.HEADERS_TIMEOUT_MS > vars.REQUEST_TIMEOUT_MS) {
    throw new ConfigError('Invalid application configuration: HEADERS_TIMEOUT_MS: must not exceed REQUEST_TIMEOUT_MS');
  }
  return {
    headersTimeoutMs: vars.HEADERS_TIMEOUT_MS,
    requestTimeoutMs: vars.REQUEST_TIMEOUT_MS,
    trustProxyHops: vars.TRUST_PROXY_HOPS,
    corsOrigins: vars.CORS_ORIGINS ?? [],
    rateLimit:
      vars.RATE_LIMIT_MAX === undefined ? undefined : { max: vars.RATE_LIMIT_MAX, windowMs: vars.RATE_LIMIT_WINDOW_MS },
  };
}
