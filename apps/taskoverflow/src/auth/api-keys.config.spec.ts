import { ConfigError } from '@app/config';
import { loadAuthConfig } from './api-keys.config';

const KEY_A = 'a'.repeat(31) + 'Z';
const KEY_B = 'k3y-B_0123456789abcdefghijklmnopqrstuv';

describe('API_KEYS', () => {
  it('is off when unset or empty', () => {
    expect(loadAuthConfig({})).toEqual({ apiKeys: [] });
    expect(loadAuthConfig({ API_KEYS: '' })).toEqual({ apiKeys: [] });
  });

  it('takes one key, or two separated by a comma (the current and the next)', () => {
    expect(loadAuthConfig({ API_KEYS: KEY_A })).toEqual({ apiKeys: [KEY_A] });
    expect(loadAuthConfig({ API_KEYS: ` ${KEY_A} , ${KEY_B} ` })).toEqual({ apiKeys: [KEY_A, KEY_B] });
  });

  it.each([
    ['a key shorter than 32 characters', 'short-key-0123456789'],
    ['a key with a space in it', `${KEY_A} ${KEY_B}`],
    ['three keys', `${KEY_A},${KEY_B},${KEY_B}x`],
    ['only commas', ' , ,'],
    ['a key with a non-ASCII character', `${KEY_A}é`],
  ])('refuses %s, naming the variable but never the value', (_, value) => {
    let error: unknown;
    try {
      loadAuthConfig({ API_KEYS: value });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^Invalid authentication configuration: API_KEYS/);
    for (const part of value.split(/[ ,]/).filter((p) => p.length > 3)) {
      expect((error as Error).message).not.toContain(part);
    }
  });
});
