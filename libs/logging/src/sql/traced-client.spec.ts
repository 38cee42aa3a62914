import rTracer from 'cls-rtracer';
import { requestComment } from './traced-client';

describe('requestComment', () => {
  it('is absent outside a request', () => {
    expect(requestComment()).toBeUndefined();
  });

  it('names the request in sqlcommenter form: value URL-encoded, quotes escaped, never a closing */', () => {
    const inRequest = (request_id: string) =>
      rTracer.runWithId(() => requestComment(), { request_id, method: 'GET', url: '/' });
    expect(inRequest('req-1')).toBe("/*request_id='req-1'*/");
    expect(inRequest('1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed')).toBe(
      "/*request_id='1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed'*/",
    );
    expect(inRequest('job:42')).toBe("/*request_id='job%3A42'*/");
    expect(inRequest("a'b */ DROP")).toBe("/*request_id='a\\'b%20*%2F%20DROP'*/");
  });
});
