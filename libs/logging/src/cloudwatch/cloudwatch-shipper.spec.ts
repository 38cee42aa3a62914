import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DescribeLogStreamsCommand,
  GetLogEventsCommand,
  type InputLogEvent,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { setTimeout as sleep } from 'node:timers/promises';
import { FakeCloudWatchLogs, type InjectableError } from '../../test/fake-cloudwatch-logs';
import { CloudWatchShipper, type CloudWatchShipperOptions } from './cloudwatch-shipper';
import { eventBytes, MAX_BATCH_EVENTS, toLogEvent } from './log-batcher';

const GROUP = '/taskoverflow/test';
const STREAM = 'host-2025-01-15';
const DAY = 24 * 60 * 60 * 1000;

let fake: FakeCloudWatchLogs;
let stderr: string[];
const shippers: CloudWatchShipper[] = [];

beforeEach(async () => {
  fake = await FakeCloudWatchLogs.start();
  stderr = [];
  jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
});

afterEach(async () => {
  await Promise.all(shippers.splice(0).map((shipper) => shipper.close()));
  await fake.close();
  jest.restoreAllMocks();
});

function clientConfig() {
  return {
    endpoint: fake.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
}

/** A shipper on the fake with quick retries; nothing is sent on a timer unless a test asks. */
function startShipper(options: Partial<CloudWatchShipperOptions> = {}): CloudWatchShipper {
  const shipper = new CloudWatchShipper({
    logGroupName: GROUP,
    logStreamName: STREAM,
    flushIntervalMs: 600_000,
    backoffBaseMs: 5,
    backoffMaxMs: 50,
    client: clientConfig(),
    ...options,
  });
  shippers.push(shipper);
  return shipper;
}

function logLine(n: number, time = Date.now()): string {
  return JSON.stringify({ level: 30, time, msg: `line ${n}` });
}

function logLines(count: number): string[] {
  return Array.from({ length: count }, (_, i) => logLine(i));
}

function stored(): string[] {
  return fake.messages(GROUP, STREAM);
}

function putStatuses(): number[] {
  return fake.callsTo('PutLogEvents').map((call) => call.status);
}

function stderrMatching(pattern: RegExp): string[] {
  return stderr.filter((line) => pattern.test(line));
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (const start = Date.now(); !condition(); await sleep(20)) {
    if (Date.now() - start > 10_000) throw new Error(`Timed out waiting for ${what}`);
  }
}

describe('CloudWatchShipper', () => {
  it('creates the log group and stream, then sends the lines in order', async () => {
    const shipper = startShipper();
    const lines = logLines(3);
    lines.forEach((line) => shipper.add(line));
    await shipper.flush();

    expect(stored()).toEqual(lines);
    const client = new CloudWatchLogsClient(clientConfig());
    const { logStreams } = await client.send(new DescribeLogStreamsCommand({ logGroupName: GROUP }));
    expect(logStreams?.map((stream) => stream.logStreamName)).toEqual([STREAM]);
    const { events } = await client.send(
      new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: STREAM, startFromHead: true }),
    );
    expect(events?.map((event) => event.message)).toEqual(lines);
    client.destroy();
  });

  it('uses a group and stream that already exist', async () => {
    const client = new CloudWatchLogsClient(clientConfig());
    await client.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
    await client.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: STREAM }));
    client.destroy();
    const shipper = startShipper();
    const line = logLine(1);
    shipper.add(line);
    await shipper.flush();

    expect(stored()).toEqual([line]);
    expect(fake.callsTo('CreateLogStream').map((call) => call.status)).toEqual([200, 400]);
    expect(stderrMatching(/^\[cloudwatch-logs\]/)).toEqual([]);
  });

  it('sends anyway when not allowed to create the group (a PutLogEvents-only policy)', async () => {
    const client = new CloudWatchLogsClient(clientConfig());
    await client.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
    client.destroy();
    fake.failNext('CreateLogGroup', 1, 'AccessDeniedException');
    const shipper = startShipper();
    shipper.add(logLine(1));
    await shipper.flush();

    expect(stored()).toHaveLength(1);
    expect(stderrMatching(/CreateLogGroup failed \(AccessDeniedException/)).toHaveLength(1);
  });

  it('sends lines that arrive out of time order sorted, as PutLogEvents requires', async () => {
    const now = Date.now();
    const [late, early, middle] = [logLine(1, now), logLine(2, now - 2000), logLine(3, now - 1000)];
    const shipper = startShipper();
    [late, early, middle].forEach((line) => shipper.add(line));
    await shipper.flush();

    expect(stored()).toEqual([early, middle, late]);
  });

  it('retries throttling until it passes: every line arrives once, in order', async () => {
    fake.failNext('PutLogEvents', 3, 'ThrottlingException');
    const shipper = startShipper();
    const lines = logLines(5);
    lines.forEach((line) => shipper.add(line));
    await shipper.flush();

    expect(stored()).toEqual(lines);
    expect(putStatuses()).toEqual([400, 400, 400, 200]);
  });

  it.each<[InjectableError, number]>([
    ['InternalFailure', 500],
    ['ServiceUnavailableException', 503],
  ])('retries %s (%d)', async (error, status) => {
    fake.failNext('PutLogEvents', 2, error);
    const shipper = startShipper();
    const lines = logLines(3);
    lines.forEach((line) => shipper.add(line));
    await shipper.flush();

    expect(stored()).toEqual(lines);
    expect(putStatuses()).toEqual([status, status, 200]);
  });

  it('gives a flush up after maxAttempts, keeping the events for the next one', async () => {
    fake.failNext('PutLogEvents', 3, 'ServiceUnavailableException');
    const shipper = startShipper({ maxAttempts: 3 });
    const lines = logLines(2);
    lines.forEach((line) => shipper.add(line));
    await shipper.flush();
    expect(stored()).toEqual([]);
    expect(putStatuses()).toEqual([503, 503, 503]);

    await shipper.flush();
    expect(stored()).toEqual(lines);
    expect(stderrMatching(/PutLogEvents failed \(ServiceUnavailableException/)).toHaveLength(1);
    expect(stderrMatching(/answers again/)).toHaveLength(1);
  });

  it('drops a batch refused with another 4xx, without retrying it, and carries on', async () => {
    fake.failNext('PutLogEvents', 1, 'InvalidParameterException');
    const shipper = startShipper();
    const [refused, accepted] = logLines(2);
    shipper.add(refused);
    await shipper.flush();
    shipper.add(accepted);
    await shipper.flush();

    expect(stored()).toEqual([accepted]);
    expect(putStatuses()).toEqual([400, 200]);
    const refusal = /PutLogEvents refused \(InvalidParameterException.*dropped a batch of 1 event/;
    expect(stderrMatching(refusal)).toHaveLength(1);
  });

  it('creates the group and stream again when they have gone', async () => {
    const shipper = startShipper();
    const [first, lost, after] = logLines(3);
    shipper.add(first);
    await shipper.flush();
    fake.failNext('PutLogEvents', 1, 'ResourceNotFoundException');
    shipper.add(lost);
    await shipper.flush();
    shipper.add(after);
    await shipper.flush();

    expect(stored()).toEqual([first, after]);
    expect(fake.callsTo('CreateLogStream')).toHaveLength(2);
  });

  it('keeps buffering while CloudWatch Logs is down at start, and delivers once up', async () => {
    await fake.down();
    const shipper = startShipper({ flushIntervalMs: 50 });
    const lines = logLines(4);
    lines.forEach((line) => shipper.add(line));
    await shipper.flush();
    expect(stderrMatching(/CreateLogGroup failed .*ECONNREFUSED/)).toHaveLength(1);

    await fake.up();
    await waitFor(() => stored().length === lines.length, 'the lines to arrive on the interval');
    expect(stored()).toEqual(lines);
  });

  it('drops the oldest events past maxBufferedEvents, reporting how many once', async () => {
    await fake.down();
    const shipper = startShipper({ maxBufferedEvents: 5 });
    const lines = logLines(12);
    lines.forEach((line) => shipper.add(line));
    await shipper.flush();
    await fake.up();
    await shipper.flush();

    expect(stored()).toEqual(lines.slice(7));
    expect(stderrMatching(/dropped/)).toEqual(['[cloudwatch-logs] buffer full: dropped the 7 oldest event(s)\n']);
  });

  it('drops the oldest events past maxBufferedBytes', async () => {
    await fake.down();
    const lines = logLines(6);
    const shipper = startShipper({ maxBufferedBytes: 4 * eventBytes(toLogEvent(lines[0])) });
    lines.forEach((line) => shipper.add(line));
    await shipper.flush();
    await fake.up();
    await shipper.flush();

    expect(stored()).toEqual(lines.slice(2));
    expect(stderrMatching(/dropped the 2 oldest/)).toHaveLength(1);
  });

  it('reports events rejected as too old or too new, and does not send them again', async () => {
    const now = Date.now();
    const tooOld = logLine(1, now - 15 * DAY);
    const fine = logLine(2, now);
    const tooNew = logLine(3, now + 3 * 60 * 60 * 1000);
    const shipper = startShipper();
    [tooOld, fine, tooNew].forEach((line) => shipper.add(line));
    await shipper.flush();
    await shipper.flush();

    expect(stored()).toEqual([fine]);
    // Fifteen days apart, the old event goes in a batch of its own.
    expect(putStatuses()).toEqual([200, 200]);
    expect(stderrMatching(/1 too old, 0 too new, 0 expired/)).toHaveLength(1);
    expect(stderrMatching(/0 too old, 1 too new, 0 expired/)).toHaveLength(1);
  });

  it('reports expired events', async () => {
    fake.rejectNextPut({ expiredLogEventEndIndex: 2 });
    const shipper = startShipper();
    const lines = logLines(3);
    lines.forEach((line) => shipper.add(line));
    await shipper.flush();

    expect(stored()).toEqual(lines.slice(2));
    expect(stderrMatching(/batch of 3: 0 too old, 0 too new, 2 expired/)).toHaveLength(1);
  });

  it('sends a full batch at once, without waiting for the interval', async () => {
    const shipper = startShipper();
    const lines = logLines(MAX_BATCH_EVENTS);
    lines.forEach((line) => shipper.add(line));

    await waitFor(() => stored().length === MAX_BATCH_EVENTS, 'the full batch');
    expect(stored()).toEqual(lines);
    expect(putStatuses()).toEqual([200]);
  });

  it('ships lines that are not JSON, skips blank ones, and never throws', async () => {
    const shipper = startShipper();
    const lines = ['plain text', '', '   ', '{"broken":'];
    expect(() => lines.forEach((line) => shipper.add(line))).not.toThrow();
    await shipper.flush();

    expect(stored()).toEqual(['plain text', '{"broken":']);
  });

  it('sends everything it holds on close', async () => {
    const shipper = startShipper();
    const lines = logLines(3);
    lines.forEach((line) => shipper.add(line));
    await shipper.close();

    expect(stored()).toEqual(lines);
  });

  it('retries past maxAttempts on close, until its deadline', async () => {
    fake.failNext('PutLogEvents', 4, 'ThrottlingException');
    const shipper = startShipper({ maxAttempts: 1 });
    const line = logLine(1);
    shipper.add(line);
    await shipper.close();

    expect(stored()).toEqual([line]);
    expect(putStatuses()).toEqual([400, 400, 400, 400, 200]);
  });

  it('closes at its deadline when CloudWatch Logs is down, saying what is lost', async () => {
    await fake.down();
    const shipper = startShipper({ closeTimeoutMs: 300 });
    logLines(2).forEach((line) => shipper.add(line));
    await shipper.close();

    const lost = /2 event\(s\) not delivered within the 300 ms allowed to close/;
    expect(stderrMatching(lost)).toHaveLength(1);
  });
});

// The shipper's tests mean something only if the fake refuses what the service refuses.
describe('FakeCloudWatchLogs', () => {
  let client: CloudWatchLogsClient;

  beforeEach(async () => {
    client = new CloudWatchLogsClient(clientConfig());
    await client.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
    await client.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: STREAM }));
  });

  afterEach(() => client.destroy());

  function put(logEvents: InputLogEvent[], logStreamName = STREAM) {
    return client.send(new PutLogEventsCommand({ logGroupName: GROUP, logStreamName, logEvents }));
  }

  function eventsAt(times: number[], message = 'm'): InputLogEvent[] {
    return times.map((timestamp) => ({ timestamp, message }));
  }

  const refused = { name: 'InvalidParameterException', $metadata: { httpStatusCode: 400 } };
  const now = Date.now();

  it('refuses events out of chronological order', async () => {
    const [a, b] = eventsAt([now - 1, now]);
    await expect(put([b, a])).rejects.toMatchObject(refused);
  });

  it('refuses more than 10,000 events', async () => {
    const events = eventsAt(Array.from({ length: MAX_BATCH_EVENTS + 1 }, () => now));
    await expect(put(events)).rejects.toMatchObject(refused);
    await expect(put(events.slice(1))).resolves.toBeDefined();
  });

  it('refuses more than 1,048,576 bytes, counting 26 per event', async () => {
    // Eight events of 131,072 bytes each, overhead included, make exactly the limit.
    const events = eventsAt(
      Array.from({ length: 8 }, () => now),
      'x'.repeat(131_046),
    );
    const oneByteMore = eventsAt([now], 'x'.repeat(131_047));
    await expect(put([...events.slice(1), ...oneByteMore])).rejects.toMatchObject(refused);
    await expect(put(events)).resolves.toBeDefined();
  });

  it('refuses a batch spanning more than 24 hours', async () => {
    const start = now - 2 * DAY;
    await expect(put(eventsAt([start, start + DAY + 1]))).rejects.toMatchObject(refused);
    await expect(put(eventsAt([start, start + DAY]))).resolves.toBeDefined();
  });

  it('answers ResourceNotFoundException for a stream that does not exist', async () => {
    await expect(put(eventsAt([now]), 'missing')).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 400 },
    });
  });
});
