import { requestIdFrom, traceIdFrom } from './request-context';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('requestIdFrom', () => {
  it.each(['a', 'req-1', 'Ab9._:-', 'x'.repeat(128), '4bf92f35-77b3-4da6-a3ce-929d0e0e4736'])('keeps %j', (header) =>
    expect(requestIdFrom(header)).toBe(header),
  );

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['129 characters', 'x'.repeat(129)],
    ['a space', 'a b'],
    ['a newline', 'a\nb'],
    ['a quote', 'a"b'],
    ['non-ASCII', 'é'],
    ['repeated', ['a', 'b']],
  ])('replaces one that is %s with a new UUID v4', (_, header) => {
    expect(requestIdFrom(header)).toMatch(UUID_V4);
  });

  it('makes a different id each time', () => {
    expect(requestIdFrom(undefined)).not.toBe(requestIdFrom(undefined));
  });
});

describe('traceIdFrom', () => {
  const valid = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

  it('takes the trace id of a valid traceparent', () => {
    expect(traceIdFrom(valid)).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it.each([
    ['absent', undefined],
    ['version ff', `ff-${valid.slice(3)}`],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`],
    ['an all-zero parent id', `00-4bf92f3577b34da6a3ce929d0e0e4736-${'0'.repeat(16)}-01`],
    ['upper-case hex', valid.toUpperCase()],
    ['a short trace id', '00-4bf92f35-00f067aa0ba902b7-01'],
    ['garbage', 'hello'],
  ])('ignores one that is %s', (_, header) => {
    expect(traceIdFrom(header)).toBeUndefined();
  });
});
