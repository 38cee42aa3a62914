import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { FastifyInstance } from 'fastify';
import { PATTERN_MESSAGES } from './input-patterns';

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
    case 'pattern':
      return {
        field,
        message: PATTERN_MESSAGES[String(error.params.pattern)] ?? error.message ?? 'is invalid',
      };
    case 'repeated':
      return { field, message: 'must be given once, not repeated' };
    case 'canonicalInteger':
      return { field, message: 'must be an integer in plain decimal digits, e.g. 42' };
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
 * Path and query integers as a person writes them. Ajv's coercion goes
 * through Number(), which reads `0x10` as 16, `1e3` as 1000, and takes `+5`,
 * ` 5`, `05` and `1.0` for 5 or 1: each would reach a todo its client did not name.
 */
const CANONICAL_INTEGER = /^(?:0|-?[1-9][0-9]*)$/;

function problem(keyword: string, name: string): ErrorObject {
  return { keyword, instancePath: `/${name}`, schemaPath: '#', params: {} };
}

/**
 * Checks made on path and query values before Ajv coerces them: a parameter
 * given twice (`completed=true&completed=false`, which arrives as an array)
 * and integers not in plain decimal.
 */
function checkStringsFirst(validate: ValidateFunction, schema: unknown): ValidateFunction {
  const properties = (schema as { properties?: Record<string, { type?: unknown }> }).properties ?? {};
  const integers = new Set(Object.keys(properties).filter((name) => properties[name].type === 'integer'));
  const check = ((data: unknown) => {
    const problems: ErrorObject[] = [];
    for (const [name, value] of Object.entries(typeof data === 'object' && data !== null ? data : {})) {
      if (!(name in properties)) continue;
      if (Array.isArray(value)) problems.push(problem('repeated', name));
      else if (integers.has(name) && typeof value === 'string' && !CANONICAL_INTEGER.test(value)) {
        problems.push(problem('canonicalInteger', name));
      }
    }
    if (problems.length > 0) {
      check.errors = problems;
      return false;
    }
    const valid = validate(data);
    check.errors = validate.errors;
    return valid;
  }) as ValidateFunction;
  return check;
}

/**
 * Fastify's default Ajv coerces types everywhere and strips unknown fields.
 * Here JSON bodies must already carry the right types and unknown fields are
 * rejected; only path and query values, which are always strings, are converted.
 */
export function useRequestValidation(fastify: FastifyInstance): void {
  const common = { allErrors: true, removeAdditional: false, useDefaults: true };
  const bodies = new Ajv({ ...common, coerceTypes: false });
  const strings = new Ajv({ ...common, coerceTypes: true });
  fastify.setValidatorCompiler(({ schema, httpPart }) =>
    httpPart === 'body' ? bodies.compile(schema) : checkStringsFirst(strings.compile(schema), schema),
  );
  fastify.setSchemaErrorFormatter((errors, part) => new RequestValidationError(part, errors as ErrorObject[]));
}
