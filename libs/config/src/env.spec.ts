import { z } from 'zod';
import { boolean, ConfigError, integer, parseEnv, port } from './env';

const shape = {
  PORT: port().default(6400),
  FLAG: boolean().default(false),
  COUNT: integer(1, 10).optional(),
  NAME: z.string().default('x'),
};

describe('parseEnv', () => {
  it('applies defaults when variables are unset or empty', () => {
    expect(parseEnv('test', shape, { PORT: '', FLAG: undefined })).toEqual({
      PORT: 6400,
      FLAG: false,
      NAME: 'x',
    });
  });

  it('converts valid values', () => {
    expect(parseEnv('test', shape, { PORT: '8080', FLAG: 'true', COUNT: '10' })).toEqual({
      PORT: 8080,
      FLAG: true,
      COUNT: 10,
      NAME: 'x',
    });
  });

  it('ignores variables that are not part of the schema', () => {
    expect(parseEnv('test', shape, { OTHER: 'y' })).not.toHaveProperty('OTHER');
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '1e3'],
    ['PORT', ' 80'],
    ['FLAG', 'yes'],
    ['COUNT', '0'],
    ['COUNT', '11'],
  ])('rejects %s=%j naming the variable', (name, value) => {
    expect(() => parseEnv('test', shape, { [name]: value })).toThrow(ConfigError);
    expect(() => parseEnv('test', shape, { [name]: value })).toThrow(
      new RegExp(`^Invalid test configuration: ${name}: `),
    );
  });

  it('lists every invalid variable at once', () => {
    expect(() => parseEnv('test', shape, { PORT: 'x', FLAG: 'x' })).toThrow(/PORT: .*; FLAG: /);
  });
});
