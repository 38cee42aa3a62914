import { type Env, parseEnv } from '@app/config';
import { z } from 'zod';

/** Enough entropy that guessing is hopeless: 32 characters of a random token. */
export const MIN_API_KEY_LENGTH = 32;
/** Two at most: the current key and the next one, while clients move over. */
export const MAX_API_KEYS = 2;

const apiKeys = () =>
  z
    .string()
    .transform((list) =>
      list
        .split(',')
        .map((key) => key.trim())
        .filter((key) => key !== ''),
    )
    .pipe(
      z
        .array(
          // Printable ASCII without spaces or commas: a bearer token as clients send it. No value in the message: it is a secret.
          z.string().regex(new RegExp(`^[\\x21-\\x2b\\x2d-\\x7e]{${MIN_API_KEY_LENGTH},}$`), {
            error: `must be keys of at least ${MIN_API_KEY_LENGTH} printable characters without spaces, separated by a comma`,
          }),
        )
        .min(1, { error: 'must hold at least one key' })
        .max(MAX_API_KEYS, { error: `must hold at most ${MAX_API_KEYS} keys (the current and the next)` }),
    );

const authEnv = {
  // Unset: no authentication (local development). The deployment sets it from Secrets Manager.
  API_KEYS: apiKeys().optional(),
};

/** The environment variables of API-key authentication. */
export const AUTH_VARIABLES = Object.keys(authEnv);

export interface AuthConfig {
  /** Keys accepted as `Authorization: Bearer <key>`; empty: authentication off. */
  apiKeys: string[];
}

export function loadAuthConfig(env: Env): AuthConfig {
  return { apiKeys: parseEnv('authentication', authEnv, env).API_KEYS ?? [] };
}
