import { applyDecorators } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import {
  ApiBody,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiResponse,
} from '@nestjs/swagger';
import type { TObject, TSchema } from '@sinclair/typebox';

export interface ApiRouteSpec {
  summary: string;
  params?: TObject;
  querystring?: TObject;
  body?: TObject;
  responses: Record<
    number,
    {
      description: string;
      schema?: TSchema;
      headers?: Record<string, { description: string }>;
    }
  >;
}

/**
 * Declares a route's schemas once: Fastify validates requests against them
 * and the OpenAPI document is generated from the very same objects.
 */
export function ApiRoute(spec: ApiRouteSpec): MethodDecorator {
  const { params, querystring, body } = spec;
  // Keys left undefined would make Fastify warn that a schema is missing.
  const validated = Object.fromEntries(
    Object.entries({ params, querystring, body }).filter(
      ([, schema]) => schema !== undefined,
    ),
  );
  return applyDecorators(
    RouteSchema(validated),
    ApiOperation({ summary: spec.summary }),
    ...Object.entries(params?.properties ?? {}).map(([name, schema]) =>
      ApiParam({ name, schema, required: true }),
    ),
    ...Object.entries(querystring?.properties ?? {}).map(([name, schema]) =>
      ApiQuery({
        name,
        schema,
        required: querystring?.required?.includes(name) ?? false,
      }),
    ),
    ...(body ? [ApiBody({ schema: body })] : []),
    ...Object.entries(spec.responses).map(([status, response]) =>
      ApiResponse({
        status: Number(status),
        description: response.description,
        schema: response.schema,
        headers: response.headers,
      }),
    ),
  );
}
