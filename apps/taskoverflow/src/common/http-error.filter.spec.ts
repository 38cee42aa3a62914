import { BadRequestException, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { HttpException } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { toErrorResponse } from './http-error.filter';

const pgError = (code: string, message: string) =>
  new QueryFailedError('INSERT ...', [], Object.assign(new Error(message), { code }));

describe('toErrorResponse', () => {
  it('keeps our own error bodies', () => {
    expect(toErrorResponse(new NotFoundException({ error: 'Todo not found' }))).toEqual({
      status: 404,
      body: { error: 'Todo not found' },
    });
  });

  it('turns Nest and Fastify exceptions into {error}', () => {
    expect(toErrorResponse(new PayloadTooLargeException('Request body is too large'))).toEqual({
      status: 413,
      body: { error: 'Request body is too large' },
    });
    expect(toErrorResponse(new BadRequestException(['a', 'b']))).toEqual({
      status: 400,
      body: { error: 'a; b' },
    });
  });

  it('answers an unsupported media type with 400, as the contract asks', () => {
    expect(toErrorResponse(new HttpException('Unsupported Media Type', 415))).toEqual({
      status: 400,
      body: { error: 'Content-Type must be application/json' },
    });
  });

  it("answers PostgreSQL's data exceptions (class 22) with 400", () => {
    const response = toErrorResponse(pgError('22021', 'invalid byte sequence for encoding "UTF8": 0x00'));
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('The database cannot store a value of this request');
  });

  it('answers a unique violation (23505) with 409, not a 500', () => {
    expect(toErrorResponse(pgError('23505', 'duplicate key value violates unique constraint "labels_name"'))).toEqual({
      status: 409,
      body: { error: 'Conflict: a value of this request must be unique and is taken' },
    });
  });

  it('answers a request body that broke off (Fastify marks it 4xx) with that status, not a 500', () => {
    const aborted = Object.assign(new Error('aborted'), { code: 'ECONNRESET', statusCode: 400 });
    expect(toErrorResponse(aborted)).toEqual({
      status: 400,
      body: { error: 'The request body could not be read' },
    });
  });

  it('answers a database that cannot be reached, or is shutting down, with 503 and a reason', () => {
    const expected = {
      status: 503,
      body: { error: 'The database is unavailable; try again shortly' },
    };
    expect(
      toErrorResponse(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })),
    ).toEqual(expected);
    expect(toErrorResponse(pgError('57P01', 'terminating connection due to administrator command'))).toEqual(expected);
    expect(
      toErrorResponse(new QueryFailedError('SELECT 1', [], new Error('Connection terminated unexpectedly'))),
    ).toEqual(expected);
  });

  it("answers a statement past statement_timeout, or no free connection in time, with 503 too (504 is the ALB's)", () => {
    const expected = {
      status: 503,
      body: { error: 'The database did not answer in time; try again shortly' },
    };
    expect(toErrorResponse(pgError('57014', 'canceling statement due to statement timeout'))).toEqual(expected);
    expect(toErrorResponse(new Error('timeout exceeded when trying to connect'))).toEqual(expected);
  });

  it('answers anything else with a bare 500: no message, no stack', () => {
    expect(toErrorResponse(pgError('42P01', 'relation "todos" does not exist'))).toEqual({
      status: 500,
      body: { error: 'Internal server error' },
    });
    expect(toErrorResponse(new TypeError('x is undefined'))).toEqual({
      status: 500,
      body: { error: 'Internal server error' },
    });
    expect(toErrorResponse(Object.assign(new Error('upstream'), { statusCode: 502 }))).toEqual({
      status: 500,
      body: { error: 'Internal server error' },
    });
  });
});
