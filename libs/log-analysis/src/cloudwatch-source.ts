import { FilterLogEventsCommand, type FilterLogEventsCommandOutput } from '@aws-sdk/client-cloudwatch-logs';

export interface CloudWatchQuery {
  logGroupName: string;
  /** Epoch milliseconds, inclusive. */
  startTime: number;
  /** Epoch milliseconds, exclusive; now when absent. */
  endTime?: number;
  /** Only these streams (up to 100, CloudWatch's limit); every stream of the group when absent. */
  logStreamNames?: string[];
}

/** The one call made of the client, so a test can stand in for CloudWatchLogsClient. */
export interface FilterLogEventsClient {
  send(command: FilterLogEventsCommand): Promise<FilterLogEventsCommandOutput>;
}

/**
 * The messages of a log group in a time window, page by page as they are
 * read, following nextToken through every page. Their order across streams is
 * CloudWatch's: the analysis sorts by time where it matters. The client brings region, credentials and
 * endpoint from the SDK's standard configuration (AWS_REGION, AWS_PROFILE,
 * AWS_ENDPOINT_URL_CLOUDWATCH_LOGS).
 */
export async function* readCloudWatchMessages(
  client: FilterLogEventsClient,
  query: CloudWatchQuery,
): AsyncGenerator<string> {
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new FilterLogEventsCommand({
        logGroupName: query.logGroupName,
        startTime: query.startTime,
        endTime: query.endTime,
        logStreamNames: query.logStreamNames,
        nextToken,
      }),
    );
    for (const event of page.events ?? []) {
      if (event.message !== undefined) yield event.message;
    }
    nextToken = page.nextToken;
  } while (nextToken);
}
