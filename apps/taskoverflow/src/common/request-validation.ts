import Ajv, { type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

export interface ErrorDetail {
  field: string;
  message: string;
}

const PART_NAMES: Record<string, { field: string; error: string }> = {
  body: { field: 'body', error: 'Invalid request body' },
  querystring: { field: 'query', error: 'Invalid query string' },
  params: { field: 'params', error: 'Invalid path parameter' },
  headers: { field: 'headers', error: 'Invalid request headers' },
};

/** A request that does not match its route's JSON schema; carries one detail per problem. */
export class RequestValidationError extends Error {
  override readonly name = 'RequestValidationError';
  readonly details: ErrorDetail[];

  constructor(part: string, errors: ErrorObject[]) {
    const names = PART_NAMES[part] ?? { field: part, error: `Invalid ${part}` };
    super(names.error);
    this.details = errors.map((error) => describe(names.field, error));
  }
}

function describe(part: string, error: ErrorObject): ErrorDetail {
  const field = part + error.instancePath.replaceAll('/', '.');
  switch (error.keyword) {
    case 'additionalProperties':
      return {
        field: `${field}.${String(error.params.additionalProperty)}`,
        message: 'is not an accepted field',
      };
    case 'required':
      return {
        field: `${field}.${String(error.params.missingProperty)}`,
        message: 'is required',
      };
    case 'minProperties':
      return { field, message: 'must contain at least one field to change' };
    case 'format':
      return {
        field,
        message:
          'must be a valid ISO 8601 date and time, e.g. 2023-12-04T14:00:00',
      };
    case 'pattern':
      return {
        field,
        message: 'must not contain NUL characters or unpaired surrogates',
      };
    case 'type':
      return {
        field,
        message: `must be ${([] as string[]).concat(error.params.type as string | string[]).join(' or ')}`,
      };
    default:
      return { field, message: error.message ?? 'is invalid' };
  }
}

/**
 * Fastify's default Ajv coerces types everywhere and strips unknown fields.
 * Here JSON bodies must already carry the right types and unknown fields are
 * rejected; only path and query values, which are always strings, are converted.
 */
export function useRequestValidation(fastify: FastifyInstance): void {
  const common = { allErrors: true, removeAdditional: false, useDefaults: true };
  const bodies = addFormats(new Ajv({ ...common, coerceTypes: false }));
  const strings = addFormats(new Ajv({ ...common, coerceTypes: true }));
  fastify.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? bodies : strings).compile(schema),
  );
  fastify.setSchemaErrorFormatter(
    (errors, part) => new RequestValidationError(part, errors as ErrorObject[]),
  );
}
