import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const TARGET_PREFIX = 'secretsmanager.';

interface Secret {
  /** Version stage → secret string. */
  stages: Map<string, string>;
}

/**
 * A local Secrets Manager endpoint for tests: GetSecretValue over the
 * service's JSON 1.1 protocol on 127.0.0.1, with AWSCURRENT and AWSPENDING
 * versions a test sets as a rotation would. Signatures are not checked.
 */
export class FakeSecretsManager {
  /** Every GetSecretValue answered: the secret and the stage asked for. */
  readonly reads: { secretId: string; stage: string }[] = [];
  private readonly secrets = new Map<string, Secret>();

  private constructor(private readonly server: ReturnType<typeof createServer>) {}

  static async start(): Promise<FakeSecretsManager> {
    const server = createServer((request, response) => void fake.handle(request, response));
    const fake = new FakeSecretsManager(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The environment the AWS SDK needs to use this endpoint with throwaway credentials. */
  get sdkEnvironment(): Record<string, string> {
    return {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: this.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    };
  }

  /** Sets a stage of a secret (AWSCURRENT by default); undefined removes the stage. */
  set(secretId: string, value: string | undefined, stage: 'AWSCURRENT' | 'AWSPENDING' = 'AWSCURRENT'): void {
    const secret = this.secrets.get(secretId) ?? { stages: new Map<string, string>() };
    if (value === undefined) secret.stages.delete(stage);
    else secret.stages.set(stage, value);
    this.secrets.set(secretId, secret);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const operation = String(request.headers['x-amz-target'] ?? '').replace(TARGET_PREFIX, '');
    const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as {
      SecretId?: string;
      VersionStage?: string;
    };
    if (operation !== 'GetSecretValue')
      return this.fail(response, 'InvalidRequestException', `not faked: ${operation}`);
    const secretId = input.SecretId ?? '';
    const stage = input.VersionStage ?? 'AWSCURRENT';
    this.reads.push({ secretId, stage });
    const value = this.secrets.get(secretId)?.stages.get(stage);
    if (value === undefined) {
      return this.fail(
        response,
        'ResourceNotFoundException',
        `Secrets Manager can't find the specified secret value for staging label: ${stage}`,
      );
    }
    this.send(response, 200, {
      ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${secretId}`,
      Name: secretId,
      VersionId: randomUUID(),
      SecretString: value,
      VersionStages: [stage],
      CreatedDate: Date.now() / 1000,
    });
  }

  private fail(response: ServerResponse, type: string, message: string): void {
    this.send(response, 400, { __type: type, message });
  }

  private send(response: ServerResponse, status: number, body: unknown): void {
    response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body));
  }
}
