import { z } from 'zod';

/** A setting that is missing or malformed; the message names every variable at fault. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export type Env = Record<string, string | undefined>;

/**
 * Validates one feature's environment variables against its schema.
 * An empty variable counts as unset, so `PORT=` falls back to the default
 * instead of failing as a malformed number.
 */
export function parseEnv<Shape extends z.ZodRawShape>(
  feature: string,
  shape: Shape,
  env: Env,
): z.infer<z.ZodObject<Shape>> {
  const present = Object.fromEntries(
    Object.keys(shape)
      .filter((name) => env[name] !== undefined && env[name] !== '')
      .map((name) => [name, env[name]]),
  );
  const result = z.object(shape).safeParse(present);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid ${feature} configuration: ${problems.join('; ')}`);
  }
  return result.data;
}

/** A decimal integer within [min, max], written without sign, spaces or exponent. */
export const integer = (min: number, max: number) =>
  z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().min(min).max(max));

export const boolean = () => z.enum(['true', 'false']).transform((value) => value === 'true');

export const port = () => integer(0, 65535);
