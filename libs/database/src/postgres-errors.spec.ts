import { QueryFailedError } from 'typeorm';
import { databaseFailure, isDataException, isUniqueViolation } from './postgres-errors';
import { QueryDeadlineError } from './query-deadline';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });
const failedQuery = (driverError: Error) => new QueryFailedError('SELECT 1', [], driverError);

describe('databaseFailure', () => {
  it.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN'])(
    'a socket error %s at connect is "unavailable"',
    (code) => {
      expect(databaseFailure(withCode(code, `connect ${code} 10.0.0.1:5432`))).toBe('unavailable');
    },
  );

  it.each([
    ['08006', 'connection_failure'],
    ['08001', 'sqlclient_unable_to_establish_sqlconnection'],
    ['57P01', 'terminating connection due to administrator command'],
    ['57P02', 'terminating connection because of crash of another server process'],
    ['57P03', 'the database system is shutting down'],
    ['53300', 'sorry, too many clients already'],
  ])('SQLSTATE %s (%s), raw or in a QueryFailedError, is "unavailable"', (code, message) => {
    expect(databaseFailure(withCode(code, message))).toBe('unavailable');
    expect(databaseFailure(failedQuery(withCode(code, message)))).toBe('unavailable');
  });

  it('a connection lost mid-statement is "unavailable"', () => {
    expect(databaseFailure(failedQuery(new Error('Connection terminated unexpectedly')))).toBe('unavailable');
    expect(
      databaseFailure(failedQuery(new Error('Client has encountered a connection error and is not queryable'))),
    ).toBe('unavailable');
  });

  it('statement_timeout (57014), pg-pool\'s acquire and connect timeouts and the query deadline are "timeout"', () => {
    expect(databaseFailure(failedQuery(withCode('57014', 'canceling statement due to statement timeout')))).toBe(
      'timeout',
    );
    expect(databaseFailure(new Error('timeout exceeded when trying to connect'))).toBe('timeout');
    expect(databaseFailure(new Error('Connection terminated due to connection timeout'))).toBe('timeout');
    expect(databaseFailure(failedQuery(new QueryDeadlineError(6000)))).toBe('timeout');
  });

  it('counts a refused password as a passing condition: a rotation the service has not caught up with yet', () => {
    expect(databaseFailure(withCode('28P01', 'password authentication failed for user "app"'))).toBe('unavailable');
    expect(databaseFailure(failedQuery(withCode('28P01', 'password authentication failed')))).toBe('unavailable');
  });

  it('leaves bugs and bad input alone', () => {
    expect(databaseFailure(failedQuery(withCode('23505', 'duplicate key value')))).toBeUndefined();
    expect(databaseFailure(failedQuery(withCode('42P01', 'relation "todo" does not exist')))).toBeUndefined();
    expect(databaseFailure(new TypeError('x is undefined'))).toBeUndefined();
    expect(databaseFailure('ECONNREFUSED')).toBeUndefined();
    expect(databaseFailure(undefined)).toBeUndefined();
  });
});

describe('isUniqueViolation', () => {
  it('is 23505 in a QueryFailedError only', () => {
    expect(isUniqueViolation(failedQuery(withCode('23505')))).toBe(true);
    expect(isUniqueViolation(failedQuery(withCode('23503')))).toBe(false);
    expect(isUniqueViolation(withCode('23505'))).toBe(false);
  });
});

describe('isDataException', () => {
  it('is class 22 in a QueryFailedError only', () => {
    expect(isDataException(failedQuery(withCode('22021')))).toBe(true);
    expect(isDataException(failedQuery(withCode('57014')))).toBe(false);
    expect(isDataException(withCode('22021'))).toBe(false);
  });
});
