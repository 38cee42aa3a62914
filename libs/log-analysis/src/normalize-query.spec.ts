import { normalizeQuery } from './normalize-query';

describe('normalizeQuery', () => {
  it('strips the leading request comment and collapses whitespace', () => {
    expect(normalizeQuery("/*request_id='r-1'*/  SELECT *\n  FROM todos\tWHERE id = $1")).toBe(
      'SELECT * FROM todos WHERE id = ?',
    );
  });

  it('gives statements that differ only in values one shape', () => {
    const shapes = [
      "SELECT * FROM todos WHERE id = 7 AND title = 'a'",
      "SELECT * FROM todos WHERE id = 123 AND title = 'it''s'",
      'SELECT * FROM todos WHERE id = $1 AND title = $2',
      'SELECT * FROM todos WHERE id = 1.5 AND title = $2',
    ].map(normalizeQuery);
    expect(new Set(shapes)).toEqual(new Set(['SELECT * FROM todos WHERE id = ? AND title = ?']));
  });

  it('keeps digits inside identifiers and folds IN lists of any length', () => {
    expect(normalizeQuery('SELECT t1.id FROM todos t1 WHERE t1.id IN ($1, $2, $3)')).toBe(
      'SELECT t1.id FROM todos t1 WHERE t1.id IN (?)',
    );
  });
});
