import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, cp, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type PostgresProcess, startPostgresProcess } from '../../apps/taskoverflow/test/support/postgres-process';

/*
 * The image cannot be built here, so this test does what its
 * production-dependencies and runtime stages do, outside Docker: it runs the
 * stage's `npm ci` exactly as the Dockerfile writes it (from npm's cache where
 * it can) into a temporary directory, then starts the built service (dist/,
 * which `npm test` builds first) beside that node_modules and nothing else,
 * with the Dockerfile's CMD, against a real PostgreSQL, and runs the
 * Dockerfile's HEALTHCHECK against it. So the production set is shown both
 * to lack the build tools and to be enough to run the service.
 */

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

const dockerfile = DockerfileParser.parse(read('docker/Dockerfile'));
const froms = dockerfile.getFROMs();
const line = (instruction: Instruction) => instruction.getRange().start.line;
const args = (instruction: Instruction) => instruction.getArgumentsContent() ?? '';
function stage(name: string): Instruction[] {
  const index = froms.findIndex((from) => from.getBuildStage() === name);
  if (index < 0) throw new Error(`docker/Dockerfile has no stage ${name}`);
  const end = index + 1 < froms.length ? line(froms[index + 1]) : Infinity;
  return dockerfile.getInstructions().filter((i) => line(i) > line(froms[index]) && line(i) < end);
}
const keyword = (instructions: Instruction[], name: string) => instructions.filter((i) => i.getKeyword() === name);

const dependenciesStage = stage('production-dependencies');
const runtimeStage = stage('runtime');

/** The stage's `npm ci …`, split into words; a shell operator would make it more than one command. */
const installCommand = (() => {
  const runs = keyword(dependenciesStage, 'RUN').map(args);
  const install = runs.find((r) => /^npm ci\b/.test(r));
  if (!install || /[;&|<>`$\\]/.test(install)) {
    throw new Error(`the production-dependencies stage has no plain \`npm ci …\` RUN: ${JSON.stringify(runs)}`);
  }
  return install.split(/\s+/);
})();
/** What the stage copies in before installing (package.json, package-lock.json). */
const manifests = keyword(dependenciesStage, 'COPY').flatMap((copy) => args(copy).split(/\s+/).slice(0, -1));
const command = JSON.parse(args(keyword(runtimeStage, 'CMD')[0])) as string[];
const healthcheck = JSON.parse(args(keyword(runtimeStage, 'HEALTHCHECK')[0]).replace(/^[^[]*CMD\s+/, '')) as string[];
const imageEnv = Object.fromEntries(
  keyword(runtimeStage, 'ENV').flatMap((env) =>
    (env as unknown as { getProperties(): { getName(): string; getValue(): string | null }[] })
      .getProperties()
      .map((p) => [p.getName(), p.getValue() ?? '']),
  ),
) as Record<string, string>;

/** Build tools that some production package names as an optional peer, and that must not come along. */
const BUILD_TOOLS = ['typescript', 'ts-node', '@swc/core', '@swc/wasm', '@types/node', '@nestjs/cli', 'esbuild'];

const manifest = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
type LockEntry = { dev?: boolean; devOptional?: boolean; optional?: boolean };
const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, LockEntry> };

/** Without npm's own variables: an npm started by `npm test` must not inherit the outer run's settings. */
function npmEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitFor(url: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the service exited (${child.exitCode ?? child.signalCode}):\n${output()}`);
    }
    try {
      const response = await fetch(url);
      if (response.ok) return response;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('the production-dependencies stage', () => {
  let dir: string;
  let installed: Set<string>;

  beforeAll(async () => {
    if (!existsSync(path.join(root, 'dist/apps/taskoverflow/src/main.js'))) {
      throw new Error('dist/ is missing: npm test builds it first (npm run build)');
    }
    dir = await mkdtemp(path.join(tmpdir(), 'taskoverflow-image-'));
    // As root, embedded PostgreSQL runs as the user postgres, who must be able to enter it.
    await chmod(dir, 0o755);
    for (const file of manifests) await cp(path.join(root, file), path.join(dir, file));
    // The stage's command as written; --prefer-offline takes what npm's cache holds from `npm ci`.
    const [npm, ...npmArgs] = installCommand;
    await run(npm, [...npmArgs, '--prefer-offline'], { cwd: dir, env: npmEnvironment(), maxBuffer: 16 * 1024 * 1024 });
    const modules = path.join(dir, 'node_modules');
    installed = new Set(
      readdirSync(modules).flatMap((name) =>
        name.startsWith('@') ? readdirSync(path.join(modules, name)).map((sub) => `${name}/${sub}`) : [name],
      ),
    );
  }, 240_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('installs with npm ci, omitting development and optional dependencies', () => {
    expect(installCommand.slice(0, 2)).toEqual(['npm', 'ci']);
    expect(installCommand).toEqual(expect.arrayContaining(['--omit=dev', '--omit=optional']));
  });

  it('leaves out the build tools production packages name as optional peers (TypeScript, ts-node, SWC)', () => {
    for (const tool of BUILD_TOOLS)
      expect({ tool, installed: installed.has(tool) }).toEqual({ tool, installed: false });
    expect([...installed].filter((name) => name.startsWith('@swc/'))).toEqual([]);
    const bin = readdirSync(path.join(dir, 'node_modules/.bin'));
    for (const tool of ['tsc', 'tsserver', 'ts-node', 'swc', 'esbuild', 'nest']) expect(bin).not.toContain(tool);
  });

  it('leaves out every package the lockfile marks as needed only for development', () => {
    const developmentOnly = Object.entries(lock.packages)
      .filter(([key, entry]) => key.startsWith('node_modules/') && (entry.dev || entry.devOptional))
      .map(([key]) => key);
    expect(developmentOnly.length).toBeGreaterThan(0);
    expect(developmentOnly.filter((key) => existsSync(path.join(dir, key)))).toEqual([]);
  });

  it("installs every one of package.json's dependencies", () => {
    expect(Object.keys(manifest.dependencies).filter((name) => !installed.has(name))).toEqual([]);
  });

  it('is enough to run the service: it starts with the image CMD, connects to PostgreSQL and passes the HEALTHCHECK', async () => {
    // dist/ beside the production node_modules, as in the image's /app: module resolution finds nothing else.
    await cp(path.join(root, 'dist'), path.join(dir, 'dist'), { recursive: true });
    for (let parent = path.dirname(dir); ; parent = path.dirname(parent)) {
      expect(existsSync(path.join(parent, 'node_modules'))).toBe(false);
      if (path.dirname(parent) === parent) break;
    }
    const isolated = { PATH: process.env.PATH ?? '', HOME: dir, NODE_PATH: '' };
    // The isolation holds: from here, the development tree (Jest, for one) is out of reach.
    expect(existsSync(path.join(root, 'node_modules/jest'))).toBe(true);
    await expect(run(process.execPath, ['-e', "require.resolve('jest')"], { cwd: dir, env: isolated })).rejects.toThrow(
      /Cannot find module 'jest'/,
    );

    let postgres: PostgresProcess | undefined;
    let service: ChildProcess | undefined;
    let output = '';
    try {
      postgres = await startPostgresProcess({ dataDir: path.join(dir, 'pg'), port: 0, database: 'taskoverflow' });
      const port = String(await freePort());
      const env = {
        ...isolated,
        ...imageEnv,
        PORT: port,
        HOST: '127.0.0.1',
        WEB_CONCURRENCY: '1',
        DATABASE_URL: postgres.url,
      };
      expect(command[0]).toBe('node');
      service = spawn(process.execPath, command.slice(1), { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      const keep = (chunk: Buffer) => void (output = (output + chunk.toString()).slice(-8000));
      service.stdout?.on('data', keep);
      service.stderr?.on('data', keep);

      await waitFor(`http://127.0.0.1:${port}/api/v1/health/ready`, service, () => output, 60_000);
      const list = await fetch(`http://127.0.0.1:${port}/api/v1/todos`);
      expect(list.status).toBe(200);
      expect(output).not.toMatch(/Cannot find module/);

      // The image's HEALTHCHECK, run as Docker runs it (exec form), with the image's node.
      expect(healthcheck[0]).toBe('node');
      await expect(
        run(process.execPath, healthcheck.slice(1), { cwd: dir, env: { ...isolated, PORT: port } }),
      ).resolves.toBeDefined();
    } finally {
      if (service && service.exitCode === null && service.signalCode === null) {
        const exited = new Promise((resolve) => service!.once('exit', resolve));
        service.kill('SIGTERM');
        await exited;
      }
      await postgres?.stop();
    }
  }, 180_000);
});
