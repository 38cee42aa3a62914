import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const TARGET_PREFIX = 'secretsmanager.';

interface Version {
  value: string;
  stages: Set<string>;
}

/** Version id → its value and stages. */
type Secret = Map<string, Version>;

/**
 * A local Secrets Manager endpoint for tests, on 127.0.0.1 over the service's
 * JSON 1.1 protocol: GetSecretValue, and what a rotation uses (DescribeSecret,
 * PutSecretValue, UpdateSecretVersionStage), with versions and their stages
 * as Secrets Manager keeps them. Signatures are not checked.
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

  /** Sets a stage of a secret (AWSCURRENT by default) to a new version; undefined removes the stage. */
  set(secretId: string, value: string | undefined, stage: 'AWSCURRENT' | 'AWSPENDING' = 'AWSCURRENT'): void {
    const secret = this.secret(secretId);
    if (value === undefined) for (const version of secret.values()) version.stages.delete(stage);
    else this.putVersion(secret, randomUUID(), value, [stage]);
  }

  /** The value at a stage, if any. */
  get(secretId: string, stage = 'AWSCURRENT'): string | undefined {
    return this.versionAt(this.secret(secretId), stage)?.[1].value;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private secret(secretId: string): Secret {
    let secret = this.secrets.get(secretId);
    if (secret === undefined) this.secrets.set(secretId, (secret = new Map()));
    return secret;
  }

  /** A new version holding `stages`, which leave the versions that held them, as Secrets Manager moves them. */
  private putVersion(secret: Secret, versionId: string, value: string, stages: string[]): void {
    for (const version of secret.values()) for (const stage of stages) version.stages.delete(stage);
    secret.set(versionId, { value, stages: new Set(stages) });
  }

  private versionAt(secret: Secret, stage: string): [string, Version] | undefined {
    return [...secret.entries()].find(([, version]) => version.stages.has(stage));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const operation = String(request.headers['x-amz-target'] ?? '').replace(TARGET_PREFIX, '');
    const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as {
      SecretId?: string;
      VersionStage?: string;
      VersionStages?: string[];
      SecretString?: string;
      ClientRequestToken?: string;
      MoveToVersionId?: string;
      RemoveFromVersionId?: string;
    };
    const secretId = input.SecretId ?? '';
    const secret = this.secret(secretId);
    const arn = `arn:aws:secretsmanager:us-east-1:123456789012:secret:${secretId}`;
    switch (operation) {
      case 'GetSecretValue': {
        const stage = input.VersionStage ?? 'AWSCURRENT';
        this.reads.push({ secretId, stage });
        const found = this.versionAt(secret, stage);
        if (found === undefined) {
          return this.fail(
            response,
            'ResourceNotFoundException',
            `Secrets Manager can't find the specified secret value for staging label: ${stage}`,
          );
        }
        const [versionId, version] = found;
        return this.send(response, 200, {
          ARN: arn,
          Name: secretId,
          VersionId: versionId,
          SecretString: version.value,
          VersionStages: [...version.stages],
          CreatedDate: Date.now() / 1000,
        });
      }
      case 'DescribeSecret':
        return this.send(response, 200, {
          ARN: arn,
          Name: secretId,
          VersionIdsToStages: Object.fromEntries([...secret.entries()].map(([id, v]) => [id, [...v.stages]])),
        });
      case 'PutSecretValue': {
        const versionId = input.ClientRequestToken ?? randomUUID();
        const stages = input.VersionStages ?? ['AWSCURRENT'];
        this.putVersion(secret, versionId, input.SecretString ?? '', stages);
        return this.send(response, 200, { ARN: arn, Name: secretId, VersionId: versionId, VersionStages: stages });
      }
      case 'UpdateSecretVersionStage': {
        const stage = input.VersionStage ?? '';
        const holder = this.versionAt(secret, stage);
        if (holder !== undefined && holder[0] !== input.RemoveFromVersionId) {
          return this.fail(
            response,
            'InvalidParameterException',
            `The parameter RemoveFromVersionId must be specified: ${stage} is on ${holder[0]}`,
          );
        }
        const target = input.MoveToVersionId === undefined ? undefined : secret.get(input.MoveToVersionId);
        if (target === undefined) return this.fail(response, 'ResourceNotFoundException', 'no such version');
        holder?.[1].stages.delete(stage);
        target.stages.add(stage);
        return this.send(response, 200, { ARN: arn, Name: secretId });
      }
      default:
        return this.fail(response, 'InvalidRequestException', `not faked: ${operation}`);
    }
  }

  private fail(response: ServerResponse, type: string, message: string): void {
    this.send(response, 400, { __type: type, message });
  }

  private send(response: ServerResponse, status: number, body: unknown): void {
    response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body));
  }
}
