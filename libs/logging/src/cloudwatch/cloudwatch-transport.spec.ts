import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { FakeCloudWatchLogs } from '../../test/fake-cloudwatch-logs';

// pino.transport() runs its target in a worker thread, outside Jest's TypeScript
// transform, so these tests use the compiled transport.
const BUILT_TRANSPORT = path.resolve(__dirname, '../../../../dist/libs/logging/src/cloudwatch/cloudwatch-transport.js');
const SIGTERM_SCRIPT = path.resolve(__dirname, '../../test/log-until-sigterm.mjs');
const GROUP = '/taskoverflow/test';
const STREAM = 'worker-2025-01-15';

let fake: FakeCloudWatchLogs;

beforeEach(async () => {
  fake = await FakeCloudWatchLogs.start();
});

afterEach(() => fake.close());

function builtTransport(): string {
  if (!existsSync(BUILT_TRANSPORT)) {
    throw new Error(`${BUILT_TRANSPORT} is missing: run \`npm run build\` first`);
  }
  return BUILT_TRANSPORT;
}

/** The SDK's standard configuration, with the endpoint from the service-specific variable only. */
function awsEnvironment(): Record<string, string> {
  return {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: fake.endpoint,
  };
}

function storedMessages(): unknown[] {
  return fake.messages(GROUP, STREAM).map((line) => (JSON.parse(line) as { msg: unknown }).msg);
}

describe('CloudWatch transport', () => {
  it('ships every line from its worker thread to AWS_ENDPOINT_URL_CLOUDWATCH_LOGS', async () => {
    const transport = pino.transport({
      target: builtTransport(),
      options: { logGroupName: GROUP, logStreamName: STREAM, flushIntervalMs: 600_000 },
      worker: { env: { ...process.env, ...awsEnvironment() } },
    });
    const logger = pino(transport);
    const messages = Array.from({ length: 50 }, (_, i) => `line ${i}`);
    messages.forEach((message, i) => logger.info({ line: i }, message));

    // With the interval far off, only the transport's flush hook can have sent them.
    await new Promise<void>((resolve, reject) => logger.flush((error) => (error ? reject(error) : resolve())));
    expect(storedMessages()).toEqual(messages);

    const client = new CloudWatchLogsClient({
      endpoint: fake.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const { events = [] } = await client.send(new FilterLogEventsCommand({ logGroupName: GROUP }));
    client.destroy();
    expect(events.map((event) => event.logStreamName)).toEqual(messages.map(() => STREAM));
    expect(events.map((event) => event.message)).toEqual(fake.messages(GROUP, STREAM));

    const closed = once(transport, 'close');
    transport.end();
    await closed;
  });

  it('sends every line when its process is stopped with SIGTERM', async () => {
    const count = 200;
    const child = spawn(process.execPath, [SIGTERM_SCRIPT, builtTransport(), String(count)], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        ...awsEnvironment(),
        LOG_GROUP_NAME: GROUP,
        LOG_STREAM_NAME: STREAM,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = once(child, 'exit');

    while (!output.includes('logged\n')) {
      await Promise.race([once(child.stdout, 'data'), exited]);
      if (child.exitCode !== null) throw new Error(`the script exited before logging:\n${output}`);
    }
    // Its flush interval is ten minutes: so far nothing has been sent.
    expect(fake.callsTo('PutLogEvents')).toEqual([]);

    child.kill('SIGTERM');
    const [code] = await exited;

    // The shipper reports its troubles on stderr, prefixed; there should be none.
    const reports = output.split('\n').filter((line) => line.startsWith('[cloudwatch-logs]'));
    expect({ code, reports }).toEqual({ code: 0, reports: [] });
    const expected = Array.from({ length: count }, (_, i) => `line ${i}`);
    expect(storedMessages()).toEqual([...expected, 'SIGTERM received']);
  });
});
