import type { RejectedLogEventsInfo } from '@aws-sdk/client-cloudwatch-logs';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StoredEvent {
  timestamp: number;
  message: string;
  ingestionTime: number;
}

/** One request the fake answered: its operation, its HTTP status and its JSON input. */
export interface Call {
  operation: string;
  status: number;
  input: Record<string, unknown>;
}

/** Errors a test can inject, with the status the real service answers them with. */
const INJECTABLE_ERRORS = {
  ThrottlingException: 400,
  AccessDeniedException: 400,
  InvalidParameterException: 400,
  ResourceNotFoundException: 400,
  InternalFailure: 500,
  ServiceUnavailableException: 503,
} as const;
export type InjectableError = keyof typeof INJECTABLE_ERRORS;

// PutLogEvents limits, written out again rather than imported, so the fake
// checks the transport's batching instead of agreeing with it by construction.
const MAX_BATCH_EVENTS = 10_000;
const MAX_BATCH_BYTES = 1_048_576;
const EVENT_OVERHEAD_BYTES = 26;
const MAX_BATCH_SPAN_MS = 24 * 60 * 60 * 1000;
const MAX_AGE_MS = 14 * 24 * 60 * 60 * 1000;
const MAX_AHEAD_MS = 2 * 60 * 60 * 1000;

const TARGET_PREFIX = 'Logs_20140328.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';

interface LogStream {
  creationTime: number;
  events: StoredEvent[];
}

interface LogGroup {
  creationTime: number;
  streams: Map<string, LogStream>;
}

class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

function invalid(message: string): ServiceError {
  return new ServiceError('InvalidParameterException', message);
}

function notFound(message: string): ServiceError {
  return new ServiceError('ResourceNotFoundException', message);
}

/**
 * A local CloudWatch Logs endpoint for tests: the service's JSON 1.1 protocol
 * over HTTP on 127.0.0.1, holding log groups, streams and events in memory.
 * PutLogEvents is validated as the real service does; signatures are not checked.
 */
export class FakeCloudWatchLogs {
  /** Every request answered, in order. */
  readonly calls: Call[] = [];
  private readonly groups = new Map<string, LogGroup>();
  private readonly failures: { operation: string; error: InjectableError; left: number }[] = [];
  private forcedRejection?: RejectedLogEventsInfo;
  private readonly server = createServer((request, response) => {
    // A client that gives up mid-request (an aborted send) leaves nothing to answer.
    this.handle(request, response).catch(() => response.destroy());
  });
  private port = 0;

  private constructor() {}

  static async start(): Promise<FakeCloudWatchLogs> {
    const fake = new FakeCloudWatchLogs();
    await fake.up();
    fake.port = (fake.server.address() as AddressInfo).port;
    return fake;
  }

  /** What makes the service ship its logs here: group, stream, this endpoint and test credentials. */
  shippingEnv(group: string, stream: string): Record<string, string> {
    return {
      CLOUDWATCH_LOG_GROUP: group,
      CLOUDWATCH_LOG_STREAM: stream,
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: this.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    };
  }

  /** The URL to give the SDK as its endpoint. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The next `count` calls of `operation` fail with `error`. */
  failNext(operation: string, count: number, error: InjectableError): void {
    this.failures.push({ operation, error, left: count });
  }

  /** The next PutLogEvents rejects these events (storing the others), whatever their times. */
  rejectNextPut(info: RejectedLogEventsInfo): void {
    this.forcedRejection = info;
  }

  /** Stops listening and drops open connections: clients get ECONNREFUSED until up(). */
  async down(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  /** Listens again, on the same port once one has been picked. */
  async up(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    if (this.server.listening) await this.down();
  }

  events(logGroupName: string, logStreamName: string): StoredEvent[] {
    return [...(this.groups.get(logGroupName)?.streams.get(logStreamName)?.events ?? [])];
  }

  messages(logGroupName: string, logStreamName: string): string[] {
    return this.events(logGroupName, logStreamName).map((event) => event.message);
  }

  callsTo(operation: string): Call[] {
    return this.calls.filter((call) => call.operation === operation);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const target = String(request.headers['x-amz-target'] ?? '');
    const known = target.startsWith(TARGET_PREFIX);
    const operation = known ? target.slice(TARGET_PREFIX.length) : target;
    let input: Record<string, unknown> = {};
    let status = 200;
    let output: unknown;
    try {
      if (request.method !== 'POST' || request.url !== '/' || !known) {
        throw new ServiceError('UnknownOperationException', `Unknown operation ${target}`);
      }
      if (request.headers['content-type'] !== CONTENT_TYPE) {
        throw new ServiceError('SerializationException', `Expected content-type ${CONTENT_TYPE}`);
      }
      input = parseInput(Buffer.concat(chunks).toString('utf8'));
      this.injectFailure(operation);
      output = this.dispatch(operation, input);
    } catch (error) {
      const failure = error instanceof ServiceError ? error : new ServiceError('InternalFailure', String(error), 500);
      status = failure.status;
      output = { __type: failure.type, message: failure.message };
    }
    this.calls.push({ operation, status, input });
    response.writeHead(status, {
      'content-type': CONTENT_TYPE,
      'x-amzn-requestid': randomUUID(),
    });
    response.end(JSON.stringify(output));
  }

  private injectFailure(operation: string): void {
    const failure = this.failures.find((f) => f.operation === operation && f.left > 0);
    if (!failure) return;
    failure.left--;
    const { error } = failure;
    throw new ServiceError(error, `Injected ${error}`, INJECTABLE_ERRORS[error]);
  }

  private dispatch(operation: string, input: Record<string, unknown>): unknown {
    switch (operation) {
      case 'CreateLogGroup':
        return this.createLogGroup(input);
      case 'CreateLogStream':
        return this.createLogStream(input);
      case 'DescribeLogStreams':
        return this.describeLogStreams(input);
      case 'PutLogEvents':
        return this.putLogEvents(input);
      case 'GetLogEvents':
        return this.getLogEvents(input);
      case 'FilterLogEvents':
        return this.filterLogEvents(input);
      default:
        throw new ServiceError('UnknownOperationException', `The fake lacks ${operation}`);
    }
  }

  private createLogGroup(input: Record<string, unknown>): unknown {
    const name = requiredString(input, 'logGroupName');
    if (this.groups.has(name)) {
      throw new ServiceError('ResourceAlreadyExistsException', 'The specified log group already exists');
    }
    this.groups.set(name, { creationTime: Date.now(), streams: new Map() });
    return {};
  }

  private createLogStream(input: Record<string, unknown>): unknown {
    const group = this.group(input);
    const name = requiredString(input, 'logStreamName');
    if (group.streams.has(name)) {
      throw new ServiceError('ResourceAlreadyExistsException', 'The specified log stream already exists');
    }
    group.streams.set(name, { creationTime: Date.now(), events: [] });
    return {};
  }

  private describeLogStreams(input: Record<string, unknown>): unknown {
    const group = this.group(input);
    const prefix = typeof input.logStreamNamePrefix === 'string' ? input.logStreamNamePrefix : '';
    const logStreams = [...group.streams]
      .filter(([name]) => name.startsWith(prefix))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([logStreamName, stream]) => ({
        logStreamName,
        creationTime: stream.creationTime,
        firstEventTimestamp: stream.events[0]?.timestamp,
        lastEventTimestamp: stream.events.at(-1)?.timestamp,
        lastIngestionTime: stream.events.at(-1)?.ingestionTime,
        storedBytes: 0,
      }));
    return { logStreams };
  }

  private putLogEvents(input: Record<string, unknown>): unknown {
    const stream = this.stream(input);
    const batch = validBatch(input.logEvents);
    const now = Date.now();
    const rejected = this.forcedRejection ?? rejectionByTime(batch, now);
    const first = Math.max(rejected.tooOldLogEventEndIndex ?? 0, rejected.expiredLogEventEndIndex ?? 0);
    const end = rejected.tooNewLogEventStartIndex ?? batch.length;
    // The 24-hour rule applies to the events the service accepts.
    if (end > first && batch[end - 1].timestamp - batch[first].timestamp > MAX_BATCH_SPAN_MS) {
      throw invalid('The batch of log events in a single PutLogEvents request cannot span more than 24 hours.');
    }
    this.forcedRejection = undefined;
    for (const { timestamp, message } of batch.slice(first, end)) {
      stream.events.push({ timestamp, message, ingestionTime: now });
    }
    return Object.keys(rejected).length > 0 ? { rejectedLogEventsInfo: rejected } : {};
  }

  /** One page holding every event of the stream, oldest first. */
  private getLogEvents(input: Record<string, unknown>): unknown {
    const events = this.stream(input).events;
    return { events, nextForwardToken: 'f/end', nextBackwardToken: 'b/start' };
  }

  /** Time range and stream names only: filter patterns are beyond this fake. */
  private filterLogEvents(input: Record<string, unknown>): unknown {
    const group = this.group(input);
    if (input.filterPattern !== undefined) throw invalid('The fake lacks filterPattern');
    const names = Array.isArray(input.logStreamNames) ? (input.logStreamNames as string[]) : [...group.streams.keys()];
    const startTime = typeof input.startTime === 'number' ? input.startTime : -Infinity;
    const endTime = typeof input.endTime === 'number' ? input.endTime : Infinity;
    const events = names
      .flatMap((logStreamName) =>
        (group.streams.get(logStreamName)?.events ?? []).map((event, index) => ({
          logStreamName,
          eventId: `${logStreamName}/${index}`,
          ...event,
        })),
      )
      .filter((event) => event.timestamp >= startTime && event.timestamp < endTime)
      .sort((a, b) => a.timestamp - b.timestamp);
    const searchedLogStreams = names.map((logStreamName) => ({
      logStreamName,
      searchedCompletely: true,
    }));
    return { events, searchedLogStreams };
  }

  private group(input: Record<string, unknown>): LogGroup {
    const group = this.groups.get(requiredString(input, 'logGroupName'));
    if (!group) throw notFound('The specified log group does not exist.');
    return group;
  }

  private stream(input: Record<string, unknown>): LogStream {
    const stream = this.group(input).streams.get(requiredString(input, 'logStreamName'));
    if (!stream) throw notFound('The specified log stream does not exist.');
    return stream;
  }
}

function parseInput(body: string): Record<string, unknown> {
  try {
    const input: unknown = JSON.parse(body || '{}');
    if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
      return input as Record<string, unknown>;
    }
  } catch {
    // Answered below, as the service answers any body that is not a JSON object.
  }
  throw new ServiceError('SerializationException', 'The request body is not a JSON object');
}

function requiredString(input: Record<string, unknown>, name: string): string {
  const value = input[name];
  if (typeof value !== 'string' || value.length === 0) throw invalid(`${name} is required`);
  return value;
}

/** The batch rules PutLogEvents refuses a whole request for: count, bytes, order. */
function validBatch(logEvents: unknown): StoredEvent[] {
  if (!Array.isArray(logEvents) || logEvents.length === 0) {
    throw invalid('logEvents must hold at least one event');
  }
  if (logEvents.length > MAX_BATCH_EVENTS) {
    throw invalid(
      "1 validation error detected: Value at 'logEvents' failed to satisfy constraint: " +
        `Member must have length less than or equal to ${MAX_BATCH_EVENTS}`,
    );
  }
  let bytes = 0;
  let previous = -Infinity;
  for (const [index, event] of (logEvents as unknown[]).entries()) {
    const { timestamp, message } = (event ?? {}) as { timestamp?: unknown; message?: unknown };
    if (typeof timestamp !== 'number' || !Number.isInteger(timestamp)) {
      throw invalid(`logEvents[${index}].timestamp must be an integer`);
    }
    if (typeof message !== 'string' || message.length === 0) {
      throw invalid(`logEvents[${index}].message must not be empty`);
    }
    if (timestamp < previous) {
      throw invalid('Log events in a single PutLogEvents request must be in chronological order.');
    }
    previous = timestamp;
    bytes += Buffer.byteLength(message, 'utf8') + EVENT_OVERHEAD_BYTES;
  }
  if (bytes > MAX_BATCH_BYTES) {
    throw invalid(`Upload too large: ${bytes} bytes exceeds limit of ${MAX_BATCH_BYTES}`);
  }
  return logEvents as StoredEvent[];
}

/** What the service rejects while storing the rest: older than 14 days, more than 2 hours ahead. */
function rejectionByTime(batch: StoredEvent[], now: number): RejectedLogEventsInfo {
  const firstRecent = batch.findIndex((event) => event.timestamp >= now - MAX_AGE_MS);
  const firstTooNew = batch.findIndex((event) => event.timestamp > now + MAX_AHEAD_MS);
  const tooOldEnd = firstRecent === -1 ? batch.length : firstRecent;
  const rejected: RejectedLogEventsInfo = {};
  if (tooOldEnd > 0) rejected.tooOldLogEventEndIndex = tooOldEnd;
  if (firstTooNew !== -1) rejected.tooNewLogEventStartIndex = firstTooNew;
  return rejected;
}
