import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { FakeSecretsManager } from '@test/database/fake-secrets-manager';
import { SecretsManagerPassword } from './password-source';

const SECRET = 'rds!db-1234';
const rds = (password: string) => JSON.stringify({ username: 'taskoverflow_app', password });

describe('SecretsManagerPassword, through the AWS SDK against a local Secrets Manager', () => {
  let fake: FakeSecretsManager;
  let client: SecretsManagerClient;
  beforeAll(async () => {
    fake = await FakeSecretsManager.start();
    client = new SecretsManagerClient({
      endpoint: fake.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  });
  afterAll(async () => {
    client.destroy();
    await fake.close();
  });
  beforeEach(() => {
    fake.reads.length = 0;
    fake.set(SECRET, undefined, 'AWSPENDING');
  });

  it('reads the password of an RDS secret (JSON) once, and a plain secret string as it is', async () => {
    fake.set(SECRET, rds('first-password'));
    const passwords = new SecretsManagerPassword(client, SECRET);
    expect(await passwords.current()).toBe('first-password');
    expect(await passwords.current()).toBe('first-password');
    expect(fake.reads).toEqual([{ secretId: SECRET, stage: 'AWSCURRENT' }]);

    fake.set('plain', 'just-the-password');
    expect(await new SecretsManagerPassword(client, 'plain').current()).toBe('just-the-password');
  });

  it('takes the new AWSCURRENT after the server refused the old password', async () => {
    fake.set(SECRET, rds('old'));
    const passwords = new SecretsManagerPassword(client, SECRET);
    await passwords.current();
    fake.set(SECRET, rds('new'));

    await passwords.refresh('old');

    expect(await passwords.current()).toBe('new');
  });

  it('takes AWSPENDING while a rotation has changed the database but not yet marked the new version current', async () => {
    fake.set(SECRET, rds('old'));
    const passwords = new SecretsManagerPassword(client, SECRET);
    await passwords.current();
    fake.set(SECRET, rds('rotated'), 'AWSPENDING');

    await passwords.refresh('old');

    expect(await passwords.current()).toBe('rotated');
    expect(fake.reads.map((read) => read.stage)).toEqual(['AWSCURRENT', 'AWSCURRENT', 'AWSPENDING']);
  });

  it('reads once for many connections refused at the same time, and not at all for a password already replaced', async () => {
    fake.set(SECRET, rds('old'));
    const passwords = new SecretsManagerPassword(client, SECRET);
    await passwords.current();
    fake.set(SECRET, rds('new'));
    fake.reads.length = 0;

    await Promise.all(Array.from({ length: 20 }, () => passwords.refresh('old')));
    await passwords.refresh('old');

    expect(fake.reads).toEqual([{ secretId: SECRET, stage: 'AWSCURRENT' }]);
    expect(await passwords.current()).toBe('new');
  });

  it('does not keep a failed read: the next connection asks again', async () => {
    const passwords = new SecretsManagerPassword(client, 'not-yet');
    await expect(passwords.current()).rejects.toThrow(/can't find the specified secret/);
    fake.set('not-yet', rds('now-there'));
    expect(await passwords.current()).toBe('now-there');
  });
});
