import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
  type FilterLogEventsCommand,
  type FilterLogEventsCommandOutput,
} from '@aws-sdk/client-cloudwatch-logs';
import { FakeCloudWatchLogs } from '../../logging/test/fake-cloudwatch-logs';
import { healthyTraffic, logOf } from '../test/synthetic-log';
import { analyze } from './analyze';
import { readCloudWatchMessages } from './cloudwatch-source';
import { parseLogStream } from './log-line';

const GROUP = 'taskoverflow';
const ENV_NAMES = [
  'AWS_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_ENDPOINT_URL_CLOUDWATCH_LOGS',
] as const;

describe('readCloudWatchMessages against a local CloudWatch Logs', () => {
  let fake: FakeCloudWatchLogs;
  let client: CloudWatchLogsClient;
  const savedEnv = Object.fromEntries(ENV_NAMES.map((name) => [name, process.env[name]]));
  const now = Date.now();

  beforeAll(async () => {
    fake = await FakeCloudWatchLogs.start();
    // The SDK's standard configuration, as the CLI gets it: nothing passed to the client.
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: fake.endpoint,
    });
    client = new CloudWatchLogsClient({});
    await client.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
    const twoTasks = [
      { stream: 'task-a', requests: healthyTraffic(3, now - 60_000, 'a') },
      { stream: 'task-b', requests: healthyTraffic(2, now - 30_000, 'b') },
    ];
    for (const { stream, requests } of twoTasks) {
      await client.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: stream }));
      await client.send(
        new PutLogEventsCommand({
          logGroupName: GROUP,
          logStreamName: stream,
          logEvents: logOf(requests).map((line) => ({
            timestamp: Date.parse(line.timestamp),
            message: JSON.stringify(line),
          })),
        }),
      );
    }
  });

  afterAll(async () => {
    client.destroy();
    await fake.close();
    for (const name of ENV_NAMES) {
      if (savedEnv[name] === undefined) delete process.env[name];
      else process.env[name] = savedEnv[name];
    }
  });

  it('reads every stream of the group in the window, ready to analyze', async () => {
    const messages = readCloudWatchMessages(client, {
      logGroupName: GROUP,
      startTime: now - 120_000,
      endTime: now,
    });
    const { lines, skipped } = await parseLogStream(messages);

    expect(skipped).toBe(0);
    expect(analyze(lines).summary.requests).toBe(5);
    expect(fake.callsTo('FilterLogEvents')[0].input).toMatchObject({
      logGroupName: GROUP,
      startTime: now - 120_000,
      endTime: now,
    });
  });

  it('keeps to the window and to the streams asked for', async () => {
    const lastHalfMinute = readCloudWatchMessages(client, {
      logGroupName: GROUP,
      startTime: now - 45_000,
    });
    const taskA = readCloudWatchMessages(client, {
      logGroupName: GROUP,
      startTime: now - 120_000,
      logStreamNames: ['task-a'],
    });

    expect(analyze((await parseLogStream(lastHalfMinute)).lines).summary.requests).toBe(2);
    expect(analyze((await parseLogStream(taskA)).lines).summary.requests).toBe(3);
  });
});

describe('readCloudWatchMessages paging', () => {
  it('follows nextToken until a page comes without one', async () => {
    const pages: FilterLogEventsCommandOutput[] = [
      { $metadata: {}, events: [{ message: 'a' }, { message: 'b' }], nextToken: 'page-2' },
      // CloudWatch can answer an empty page that still has a token.
      { $metadata: {}, events: [], nextToken: 'page-3' },
      { $metadata: {}, events: [{ message: 'c' }] },
    ];
    const tokens: (string | undefined)[] = [];
    const client = {
      send: (command: FilterLogEventsCommand) => {
        tokens.push(command.input.nextToken);
        return Promise.resolve(pages[tokens.length - 1]);
      },
    };

    const messages: string[] = [];
    for await (const message of readCloudWatchMessages(client, {
      logGroupName: GROUP,
      startTime: 0,
      logStreamNames: ['task-a'],
    })) {
      messages.push(message);
    }

    expect(messages).toEqual(['a', 'b', 'c']);
    expect(tokens).toEqual([undefined, 'page-2', 'page-3']);
  });
});
