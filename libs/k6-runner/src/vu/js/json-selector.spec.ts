import { selectJson } from './json-selector';

// The document of GJSON's README, whose path examples k6's Response.json(selector) follows.
const DOC = {
  name: { first: 'Tom', last: 'Anderson' },
  age: 37,
  children: ['Sara', 'Alex', 'Jack'],
  'fav.movie': 'Deer Hunter',
  friends: [
    { first: 'Dale', last: 'Murphy', age: 44, nets: ['ig', 'fb', 'tw'] },
    { first: 'Roger', last: 'Craig', age: 68, nets: ['fb', 'tw'] },
    { first: 'Jane', last: 'Murphy', age: 47, nets: ['ig', 'tw'] },
  ],
};

describe('selectJson', () => {
  it('reads a key', () => {
    expect(selectJson(DOC, 'age')).toBe(37);
    expect(selectJson(DOC, 'children')).toEqual(['Sara', 'Alex', 'Jack']);
  });

  it('reads nested keys', () => {
    expect(selectJson(DOC, 'name.last')).toBe('Anderson');
    expect(selectJson(DOC, 'name')).toEqual({ first: 'Tom', last: 'Anderson' });
  });

  it('reads array indexes', () => {
    expect(selectJson(DOC, 'children.1')).toBe('Alex');
    expect(selectJson(DOC, 'friends.1.last')).toBe('Craig');
    expect(selectJson(DOC, 'friends.0.nets.2')).toBe('tw');
  });

  it('reads # as an array’s length', () => {
    expect(selectJson(DOC, 'children.#')).toBe(3);
    expect(selectJson(DOC, 'friends.1.nets.#')).toBe(2);
    expect(selectJson([], '#')).toBe(0);
  });

  it('reads #.key as that key of every element, leaving out those without it', () => {
    expect(selectJson(DOC, 'friends.#.first')).toEqual(['Dale', 'Roger', 'Jane']);
    expect(selectJson(DOC, 'friends.#.nets')).toEqual([
      ['ig', 'fb', 'tw'],
      ['fb', 'tw'],
      ['ig', 'tw'],
    ]);
    expect(selectJson(DOC, 'friends.#.nets.#')).toEqual([3, 2, 2]);
    expect(selectJson({ items: [{ id: 1 }, { name: 'x' }, { id: 3 }] }, 'items.#.id')).toEqual([1, 3]);
    expect(selectJson(DOC, 'friends.#.middle')).toEqual([]);
  });

  it('matches * and ? wildcards in keys', () => {
    expect(selectJson(DOC, 'child*.2')).toBe('Jack');
    expect(selectJson(DOC, 'c?ildren.0')).toBe('Sara');
    expect(selectJson(DOC, 'na*.first')).toBe('Tom');
    expect(selectJson(DOC, 'x*')).toBeNull();
    expect(selectJson(DOC, 'ag?e')).toBeNull();
  });

  it('reads escaped dots and wildcards as part of the key', () => {
    expect(selectJson(DOC, 'fav\\.movie')).toBe('Deer Hunter');
    expect(selectJson({ 'a*b': 1, axb: 2 }, 'a\\*b')).toBe(1);
    expect(selectJson({ 'what?': 'yes', whatx: 'no' }, 'what\\?')).toBe('yes');
  });

  it('answers null for what is not there', () => {
    expect(selectJson(DOC, 'name.middle')).toBeNull();
    expect(selectJson(DOC, 'children.5')).toBeNull();
    expect(selectJson(DOC, 'children.x')).toBeNull();
    expect(selectJson(DOC, 'age.value')).toBeNull();
    expect(selectJson(DOC, 'name.#')).toBeNull();
    expect(selectJson(DOC, 'fav.movie')).toBeNull();
    expect(selectJson(null, 'a')).toBeNull();
  });

  it('does not read inherited properties', () => {
    expect(selectJson(DOC, 'name.constructor')).toBeNull();
    expect(selectJson(DOC, 'children.length')).toBeNull();
    expect(selectJson({}, 'toString')).toBeNull();
  });

  it('keeps a null value, and falsy values, as they are', () => {
    expect(selectJson({ a: null }, 'a')).toBeNull();
    expect(selectJson({ a: 0, b: false, c: '' }, 'a')).toBe(0);
    expect(selectJson({ a: 0, b: false, c: '' }, 'b')).toBe(false);
    expect(selectJson({ a: 0, b: false, c: '' }, 'c')).toBe('');
  });

  it('answers the whole document for an empty selector', () => {
    expect(selectJson(DOC, '')).toBe(DOC);
  });

  it.each([
    ['a query', 'friends.#(last=="Murphy").first'],
    ['a query for every match', 'friends.#(age>45)#.last'],
    ['a modifier', 'children.@reverse'],
    ['a modifier at the start', '@this'],
    ['a pipe', 'children|@reverse'],
    ['a pipe between paths', 'friends.0|first'],
  ])('refuses %s, naming the selector', (_label, selector) => {
    expect(() => selectJson(DOC, selector)).toThrow(`the selector "${selector}"`);
    expect(() => selectJson(DOC, selector)).toThrow('which this runner does not support');
  });

  it('says which GJSON feature it refused', () => {
    expect(() => selectJson(DOC, 'friends.#(last=="Murphy")')).toThrow('uses a GJSON query');
    expect(() => selectJson(DOC, 'children.@reverse')).toThrow('uses a GJSON modifier or pipe');
  });
});
