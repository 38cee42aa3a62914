/*
 * A pino transport that ships each JSON log line to CloudWatch Logs. It is
 * ours rather than the npm package `pino-cloudwatch` because that one is built
 * on aws-sdk v2, which is past end of support; this one uses the AWS SDK v3.
 *
 * pino.transport() loads it in a worker thread, so it runs as the compiled
 * JavaScript in dist/. The AWS SDK finds region, credentials and endpoint as
 * it always does (AWS_REGION, the ECS task role, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS).
 */
import build from 'pino-abstract-transport';
import { CloudWatchShipper } from './cloudwatch-shipper';

export interface CloudWatchTransportOptions {
  logGroupName: string;
  logStreamName: string;
  /** Default 1000. */
  flushIntervalMs?: number;
  /** Default 10,000. */
  maxBufferedEvents?: number;
}

export default function cloudWatchTransport({
  logGroupName,
  logStreamName,
  flushIntervalMs,
  maxBufferedEvents,
}: CloudWatchTransportOptions) {
  const shipper = new CloudWatchShipper({
    logGroupName,
    logStreamName,
    flushIntervalMs,
    maxBufferedEvents,
  });
  const stream = build(
    async (source) => {
      for await (const line of source) shipper.add(line as string);
    },
    {
      // Ship each line as pino wrote it; the shipper reads the timestamp out of it.
      parse: 'lines',
      parseLine: (line) => line,
      // The worker ends the stream when the logger ends or the process exits.
      close: () => shipper.close(),
    },
  );
  // thread-stream calls its destination's flush() for logger.flush(cb), which
  // therefore waits until the lines are in CloudWatch Logs.
  return Object.assign(stream, { flush: () => shipper.flush() });
}
