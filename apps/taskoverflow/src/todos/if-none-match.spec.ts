import { ifNoneMatchMatches } from './if-none-match';

describe('ifNoneMatchMatches', () => {
  it.each([
    ['"7"', true],
    ['W/"7"', true],
    ['"1", "7"', true],
    [' "1" ,W/"7" ', true],
    ['*', true],
    ['"1"', false],
    ['"17"', false],
    ['7', false],
    ['', false],
  ])('%j against "7" → %s', (header, expected) => {
    expect(ifNoneMatchMatches(header, '"7"')).toBe(expected);
  });

  it('is false without the header', () => {
    expect(ifNoneMatchMatches(undefined, '"7"')).toBe(false);
  });
});
