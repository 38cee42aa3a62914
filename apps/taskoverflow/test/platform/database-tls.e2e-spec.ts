import { loadDatabaseConfig, waitForDatabase } from '@app/database';
import { Logger } from '@nestjs/common';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { generate } from 'selfsigned';
import { request } from '../support/http';
import { requiredEnv, startTestApp, workerDatabaseUrl } from '../support/test-app';

const quiet = new Logger('test');
quiet.log = () => undefined;
quiet.warn = () => undefined;

/**
 * DB_SSL against a PostgreSQL server with TLS on and a self-signed certificate:
 * RDS's situation, where the CA must be given (DB_SSL_CA_FILE) to verify it.
 */
describe('TLS to the database', () => {
  let dir: string;
  let caFile: string;
  const target = () => {
    const url = new URL(workerDatabaseUrl());
    return {
      DB_HOST: url.hostname,
      DB_PORT: url.port,
      DB_NAME: url.pathname.slice(1),
      DB_USER: decodeURIComponent(url.username),
      DB_PASSWORD: decodeURIComponent(url.password),
      DB_CONNECT_RETRIES: '0',
    };
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'taskoverflow-tls-'));
    await chmod(dir, 0o755);
    const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
      keySize: 2048,
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    });
    caFile = path.join(dir, 'server.crt');
    const keyFile = path.join(dir, 'server.key');
    await writeFile(caFile, pems.cert);
    await writeFile(keyFile, pems.private, { mode: 0o600 });
    if (userInfo().uid === 0) {
      // As root the server runs as the user postgres, which must own its key.
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
      await chown(keyFile, uid, gid);
    }
    const admin = new Client({ connectionString: requiredEnv('TEST_POSTGRES_URL') });
    await admin.connect();
    // TLS becomes available on the shared test server; plain connections stay allowed.
    await admin.query(`ALTER SYSTEM SET ssl_cert_file = '${caFile}'`);
    await admin.query(`ALTER SYSTEM SET ssl_key_file = '${keyFile}'`);
    await admin.query('ALTER SYSTEM SET ssl = on');
    await admin.query('SELECT pg_reload_conf()');
    await admin.end();
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('connects over TLS, verifying the server with DB_SSL_CA_FILE', async () => {
    const t = await startTestApp({ ...target(), DATABASE_URL: '', DB_SSL: 'true', DB_SSL_CA_FILE: caFile });
    try {
      const [{ ssl }] = await t.dataSource.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
      expect(ssl).toBe(true);
      expect((await request(t.baseUrl, 'GET', '/api/v1/health/ready')).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('refuses a server certificate it cannot verify', async () => {
    const config = loadDatabaseConfig({ ...target(), DB_SSL: 'true' });
    if (config.target.kind !== 'host') throw new Error('expected a host target');
    await expect(waitForDatabase(config.target, config, quiet)).rejects.toThrow(
      /did not answer after 1 attempt\(s\): .*self[- ]signed certificate/,
    );
  });

  it('accepts any certificate with DB_SSL_REJECT_UNAUTHORIZED=false (encrypted, not authenticated)', async () => {
    const config = loadDatabaseConfig({ ...target(), DB_SSL: 'true', DB_SSL_REJECT_UNAUTHORIZED: 'false' });
    if (config.target.kind !== 'host') throw new Error('expected a host target');
    await expect(waitForDatabase(config.target, config, quiet)).resolves.toBeUndefined();
  });
});
