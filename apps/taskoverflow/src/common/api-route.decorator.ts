import { applyDecorators } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import { ApiBody, ApiHeader, ApiOperation, ApiParam, ApiQuery, ApiResponse } from '@nestjs/swagger';
import type { TObject, TSchema } from '@sinclair/typebox';
import { ErrorSchema } from './error.schema';

interface HeaderSpec {
  description: string;
  schema?: { type: 'string' | 'integer' };
}

export interface ApiRouteSpec {
  summary: string;
  params?: TObject;
  querystring?: TObject;
  body?: TObject;
  /** Counted by RATE_LIMIT_MAX (the default); the health checks are not. */
  rateLimited?: boolean;
  /**
   * The handler sends JSON text it did not build (the PostgreSQL-rendered
   * list): nothing to serialise. Otherwise its 2xx objects are serialised
   * against their response schemas (fast-json-stringify): a field the schema
   * does not declare never leaves the service.
   */
  sendsJsonText?: boolean;
  responses: Record<
    number,
    {
      description: string;
      schema?: TSchema;
      headers?: Record<string, HeaderSpec>;
    }
  >;
}

const STRING = { type: 'string' } as const;
const INTEGER = { type: 'integer' } as const;

/** On every answer, whatever the route. */
const COMMON_HEADERS: Record<string, HeaderSpec> = {
  'X-Request-Id': {
    description:
      "The request's correlation id, in every log line it caused: the client's own X-Request-Id when it is 1 to 128 characters of A-Z a-z 0-9 . _ : -, otherwise a new UUID.",
    schema: STRING,
  },
};

/** On every answer of a rate-limited route while RATE_LIMIT_MAX is set. */
const RATE_LIMIT_HEADERS: Record<string, HeaderSpec> = {
  'X-RateLimit-Limit': { description: 'RATE_LIMIT_MAX, when set.', schema: INTEGER },
  'X-RateLimit-Remaining': {
    description: 'Requests left in the window, when RATE_LIMIT_MAX is set.',
    schema: INTEGER,
  },
  'X-RateLimit-Reset': {
    description: 'Seconds until the window ends, when RATE_LIMIT_MAX is set.',
    schema: INTEGER,
  },
};

const TOO_MANY_REQUESTS = {
  description: 'Over RATE_LIMIT_MAX requests from this client IP in the window (only when it is set)',
  schema: ErrorSchema,
  headers: { 'Retry-After': { description: 'Seconds to wait before retrying.', schema: INTEGER } },
};

/**
 * Declares a route's schemas once: Fastify validates requests against them
 * and the OpenAPI document is generated from the very same objects.
 */
export function ApiRoute(spec: ApiRouteSpec): MethodDecorator {
  const { params, querystring, body, rateLimited = true, sendsJsonText = false } = spec;
  const responses = rateLimited ? { ...spec.responses, 429: TOO_MANY_REQUESTS } : spec.responses;
  const everyAnswer = rateLimited ? { ...COMMON_HEADERS, ...RATE_LIMIT_HEADERS } : COMMON_HEADERS;
  const serialized = Object.fromEntries(
    Object.entries(spec.responses)
      .filter(([status, response]) => status.startsWith('2') && response.schema !== undefined)
      .map(([status, response]) => [status, response.schema]),
  );
  // Keys left undefined would make Fastify warn that a schema is missing.
  const validated = Object.fromEntries(
    Object.entries({
      params,
      querystring,
      body,
      response: sendsJsonText || Object.keys(serialized).length === 0 ? undefined : serialized,
    }).filter(([, schema]) => schema !== undefined),
  );
  return applyDecorators(
    RouteSchema(validated),
    ApiOperation({ summary: spec.summary }),
    ApiHeader({
      name: 'X-Request-Id',
      required: false,
      description:
        'A correlation id to use for this request (1 to 128 characters of A-Z a-z 0-9 . _ : -); any other value is replaced by a new UUID.',
      schema: STRING,
    }),
    ...Object.entries(params?.properties ?? {}).map(([name, schema]) => ApiParam({ name, schema, required: true })),
    ...Object.entries(querystring?.properties ?? {}).map(([name, schema]) =>
      ApiQuery({
        name,
        schema,
        required: querystring?.required?.includes(name) ?? false,
      }),
    ),
    ...(body ? [ApiBody({ schema: body })] : []),
    ...Object.entries(responses).map(([status, response]) =>
      ApiResponse({
        status: Number(status),
        description: response.description,
        schema: response.schema,
        headers: { ...everyAnswer, ...response.headers },
      }),
    ),
  );
}
