import {
  CloudWatchLogsClient,
  type CloudWatchLogsClientConfig,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
  type RejectedLogEventsInfo,
} from '@aws-sdk/client-cloudwatch-logs';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  eventBytes,
  firstBatchLength,
  type LogEvent,
  MAX_BATCH_BYTES,
  MAX_BATCH_EVENTS,
  sortByTimestamp,
  toLogEvent,
} from './log-batcher';

export interface CloudWatchShipperOptions {
  logGroupName: string;
  logStreamName: string;
  /** How often buffered events are sent; a full batch goes at once. Default 1000. */
  flushIntervalMs?: number;
  /** Events held at most while CloudWatch Logs is slow or unreachable. Default 10,000. */
  maxBufferedEvents?: number;
  /** Bytes held at most, counted as PutLogEvents counts them. Default 10 MiB. */
  maxBufferedBytes?: number;
  /** Attempts per request before a flush leaves its events to the next one. Default 5. */
  maxAttempts?: number;
  /** Ceiling of the first retry delay; it doubles per attempt, with full jitter. Default 100. */
  backoffBaseMs?: number;
  /** Largest ceiling of a retry delay. Default 5000. */
  backoffMaxMs?: number;
  /** How long close() may take to send what is buffered. Default 5000. */
  closeTimeoutMs?: number;
  /**
   * Region, endpoint or credentials. Left out, the SDK's own configuration
   * applies (AWS_REGION, the task role, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS...).
   */
  client?: Pick<CloudWatchLogsClientConfig, 'region' | 'endpoint' | 'credentials'>;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; retryable: boolean; error: unknown };

const THROTTLING_ERRORS = new Set(['ThrottlingException', 'Throttling', 'TooManyRequestsException']);

/**
 * Buffers log lines and sends them to one CloudWatch Logs stream with
 * PutLogEvents, creating the group and stream when missing. It never throws
 * at its caller: failures are retried or reported on stderr, and while the
 * service is unreachable the buffer keeps its newest events only.
 */
export class CloudWatchShipper {
  private readonly options: Required<Omit<CloudWatchShipperOptions, 'client'>>;
  private readonly client: CloudWatchLogsClient;
  private readonly timer: NodeJS.Timeout;
  /** Aborted at the close deadline, cutting short requests and retry delays. */
  private readonly closeDeadline = new AbortController();
  /** Events waiting, in arrival order until a flush sorts them. */
  private pending: LogEvent[] = [];
  private pendingBytes = 0;
  /** The batch being sent: counted against the bound, never dropped while it may still arrive. */
  private inFlight: LogEvent[] = [];
  private inFlightBytes = 0;
  private droppedSinceReport = 0;
  private destinationReady = false;
  private failing = false;
  private closing = false;
  private flushesQueued = 0;
  private lastFlush: Promise<void> = Promise.resolve();

  constructor(options: CloudWatchShipperOptions) {
    if (!options.logGroupName || !options.logStreamName) {
      throw new TypeError('CloudWatch Logs shipping needs logGroupName and logStreamName');
    }
    this.options = {
      logGroupName: options.logGroupName,
      logStreamName: options.logStreamName,
      flushIntervalMs: options.flushIntervalMs ?? 1000,
      maxBufferedEvents: options.maxBufferedEvents ?? 10_000,
      maxBufferedBytes: options.maxBufferedBytes ?? 10 * 1024 * 1024,
      maxAttempts: options.maxAttempts ?? 5,
      backoffBaseMs: options.backoffBaseMs ?? 100,
      backoffMaxMs: options.backoffMaxMs ?? 5000,
      closeTimeoutMs: options.closeTimeoutMs ?? 5000,
    };
    this.client = new CloudWatchLogsClient({
      ...options.client,
      // Retries are ours, so events stay buffered (and bounded) while they last.
      maxAttempts: 1,
      // A hung connection must not hold up every later flush for the SDK's default of minutes.
      requestHandler: { connectionTimeout: 5000, requestTimeout: 15_000 },
    });
    // Unreferenced: a pending flush must not keep the process alive; close() sends what is left.
    this.timer = setInterval(() => this.flushIfIdle(), this.options.flushIntervalMs).unref();
  }

  /** Buffers one JSON log line. Never throws. */
  add(line: string): void {
    if (line.trim() === '') return;
    const event = toLogEvent(line);
    this.pending.push(event);
    this.pendingBytes += eventBytes(event);
    this.enforceBound();
    if (this.fullBatchPending()) this.flushIfIdle();
  }

  /**
   * Sends what is buffered. Resolves once it is sent, or once a request has
   * failed `maxAttempts` times (its events stay buffered for the next flush).
   * Never rejects.
   */
  flush(): Promise<void> {
    this.flushesQueued++;
    this.lastFlush = this.lastFlush
      .then(() => this.drain())
      .catch((error: unknown) => report(`flush failed: ${describe(error)}`))
      .finally(() => {
        this.flushesQueued--;
      });
    return this.lastFlush;
  }

  /**
   * Stops the timer and sends everything buffered, retrying past
   * `maxAttempts` until `closeTimeoutMs`. Resolves, never rejects.
   */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.closing = true;
    const deadline = setTimeout(() => this.closeDeadline.abort(), this.options.closeTimeoutMs);
    await this.flush();
    clearTimeout(deadline);
    this.reportDropped();
    if (this.pending.length > 0) {
      report(
        `${this.pending.length} event(s) not delivered within the ` +
          `${this.options.closeTimeoutMs} ms allowed to close`,
      );
    }
    this.client.destroy();
  }

  private flushIfIdle(): void {
    if (this.flushesQueued === 0) void this.flush();
  }

  /** Sends the events pending when it starts, then any full batch; when closing, everything. */
  private async drain(): Promise<void> {
    this.reportDropped();
    let due = this.pending.length;
    while (this.pending.length > 0 && (due > 0 || this.fullBatchPending() || this.closing)) {
      if (!(await this.ensureDestination())) return;
      const batch = this.takeBatch();
      due -= batch.length;
      const delivered = await this.put(batch);
      this.inFlight = [];
      this.inFlightBytes = 0;
      if (!delivered) {
        this.pending.unshift(...batch);
        this.pendingBytes += totalBytes(batch);
        this.enforceBound();
        return;
      }
    }
  }

  /** Creates the log group and stream once. False when CloudWatch Logs could not be reached. */
  private async ensureDestination(): Promise<boolean> {
    if (this.destinationReady) return true;
    const { logGroupName, logStreamName } = this.options;
    const options = { abortSignal: this.closeDeadline.signal };
    const steps = [
      ['CreateLogGroup', () => this.client.send(new CreateLogGroupCommand({ logGroupName }), options)],
      ['CreateLogStream', () => this.client.send(new CreateLogStreamCommand({ logGroupName, logStreamName }), options)],
    ] as const;
    for (const [operation, request] of steps) {
      const outcome = await this.withRetries(request);
      if (outcome.ok || errorName(outcome.error) === 'ResourceAlreadyExistsException') continue;
      if (outcome.retryable) {
        this.reportFailure(operation, outcome.error);
        return false;
      }
      // Without permission to create (an IAM policy may grant PutLogEvents only),
      // the destination may still exist: PutLogEvents will tell.
      report(`${operation} failed (${describe(outcome.error)}); trying to send anyway`);
    }
    this.destinationReady = true;
    return true;
  }

  /** Sends one batch. False when it is to be retried later; true when sent or refused. */
  private async put(batch: LogEvent[]): Promise<boolean> {
    const { logGroupName, logStreamName } = this.options;
    const command = new PutLogEventsCommand({ logGroupName, logStreamName, logEvents: batch });
    const outcome = await this.withRetries(() => this.client.send(command, { abortSignal: this.closeDeadline.signal }));
    if (outcome.ok) {
      if (this.failing) report('CloudWatch Logs answers again');
      this.failing = false;
      const rejected = outcome.value.rejectedLogEventsInfo;
      if (rejected) reportRejected(rejected, batch.length);
      return true;
    }
    if (outcome.retryable) {
      this.reportFailure('PutLogEvents', outcome.error);
      return false;
    }
    report(`PutLogEvents refused (${describe(outcome.error)}); ` + `dropped a batch of ${batch.length} event(s)`);
    // The stream or group may have been deleted: create them again before the next batch.
    if (errorName(outcome.error) === 'ResourceNotFoundException') this.destinationReady = false;
    return true;
  }

  /** One request, retried with exponential backoff and full jitter while the error allows. */
  private async withRetries<T>(request: () => Promise<T>): Promise<Outcome<T>> {
    const { maxAttempts, backoffBaseMs, backoffMaxMs } = this.options;
    const signal = this.closeDeadline.signal;
    for (let attempt = 1; ; attempt++) {
      try {
        return { ok: true, value: await request() };
      } catch (error) {
        const retryable = isRetryable(error);
        const outOfAttempts = attempt >= maxAttempts && !this.closing;
        if (!retryable || outOfAttempts || signal.aborted) return { ok: false, retryable, error };
        const ceiling = Math.min(backoffMaxMs, backoffBaseMs * 2 ** (attempt - 1));
        try {
          await sleep(Math.random() * ceiling, undefined, { signal });
        } catch {
          return { ok: false, retryable, error };
        }
      }
    }
  }

  /** Takes the oldest events that fit in one request out of the buffer. */
  private takeBatch(): LogEvent[] {
    const batch = this.pending.splice(0, firstBatchLength(sortByTimestamp(this.pending)));
    this.inFlight = batch;
    this.inFlightBytes = totalBytes(batch);
    this.pendingBytes -= this.inFlightBytes;
    return batch;
  }

  private fullBatchPending(): boolean {
    return this.pending.length >= MAX_BATCH_EVENTS || this.pendingBytes >= MAX_BATCH_BYTES;
  }

  /** Drops the oldest waiting events past the bound, counting them for reportDropped(). */
  private enforceBound(): void {
    const { maxBufferedEvents, maxBufferedBytes } = this.options;
    while (
      this.pending.length > 0 &&
      (this.pending.length + this.inFlight.length > maxBufferedEvents ||
        this.pendingBytes + this.inFlightBytes > maxBufferedBytes)
    ) {
      this.pendingBytes -= eventBytes(this.pending.shift()!);
      this.droppedSinceReport++;
    }
  }

  private reportDropped(): void {
    if (this.droppedSinceReport === 0) return;
    report(`buffer full: dropped the ${this.droppedSinceReport} oldest event(s)`);
    this.droppedSinceReport = 0;
  }

  /** Once an outage, not once a flush, so an unreachable service does not flood stderr. */
  private reportFailure(operation: string, error: unknown): void {
    if (this.failing) return;
    this.failing = true;
    report(`${operation} failed (${describe(error)}); keeping events buffered and retrying`);
  }
}

/** Throttling, server errors, and errors without an HTTP answer (network, timeouts). */
function isRetryable(error: unknown): boolean {
  const metadata = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata;
  const status = metadata?.httpStatusCode;
  return status === undefined || status === 429 || status >= 500 || THROTTLING_ERRORS.has(errorName(error));
}

function totalBytes(events: LogEvent[]): number {
  return events.reduce((sum, event) => sum + eventBytes(event), 0);
}

function reportRejected(info: RejectedLogEventsInfo, batchLength: number): void {
  const tooOld = info.tooOldLogEventEndIndex ?? 0;
  const tooNew = info.tooNewLogEventStartIndex === undefined ? 0 : batchLength - info.tooNewLogEventStartIndex;
  const expired = info.expiredLogEventEndIndex ?? 0;
  report(
    `PutLogEvents rejected events of a batch of ${batchLength}: ` +
      `${tooOld} too old, ${tooNew} too new, ${expired} expired (not resent)`,
  );
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Our own troubles go to stderr: logging them would feed them back into this shipper. */
function report(message: string): void {
  process.stderr.write(`[cloudwatch-logs] ${message}\n`);
}
