import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { logOf } from '@test/log-analysis/synthetic-log';

const ROOT = path.resolve(__dirname, '../../../..');

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** An npm script as a newcomer runs it, with its exit status and both outputs. */
function npmRun(cwd: string, script: string, args: string[]): Promise<Ran> {
  return new Promise((resolve) => {
    execFile('npm', ['run', '--silent', script, '--', ...args], { cwd }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

const STACK_FRAME = /\n\s+at .+:\d+/;

describe('npm run bench: the command line', () => {
  it('--help prints the usage and exits 0', async () => {
    const ran = await npmRun(ROOT, 'bench', ['--help']);
    expect(ran).toMatchObject({ code: 0, stderr: '' });
    expect(ran.stdout).toMatch(/^usage: npm run bench -- \[options\]/);
    for (const option of ['--configs', '--scenarios', '--duration', '--capacity-p99', '--with-k6-runner']) {
      expect(ran.stdout).toContain(option);
    }
  });

  it.each([
    [['--nonsense'], "Unknown option '--nonsense'"],
    [
      ['--scenarios', 'list-100,nope'],
      'unknown scenario "nope"; known: list-100, list-1000, get-one, create-delete, practical-mix',
    ],
    [['--configs', 'fast'], 'unknown config "fast"; known: default'],
    [['--duration', 'abc'], '--duration must be a number of seconds, above 0, not "abc"'],
    [['--connections', '1.5'], '--connections must be a whole number, above 0, not "1.5"'],
  ])('%j: says what is wrong, prints the usage, exits 2, no stack', async (args, message) => {
    const ran = await npmRun(ROOT, 'bench', args);
    expect(ran.code).toBe(2);
    expect(ran.stdout).toBe('');
    expect(ran.stderr).toContain(message);
    expect(ran.stderr).toContain('usage: npm run bench');
    expect(ran.stderr).not.toMatch(STACK_FRAME);
  });
});

/** A checkout that was never built: the sources and the installed packages, no dist/. */
describe('npm run analyze and trace on a fresh clone', () => {
  let clone: string;
  let logFile: string;
  beforeAll(async () => {
    clone = await mkdtemp(path.join(tmpdir(), 'fresh-clone-'));
    for (const entry of [
      'apps',
      'libs',
      'scripts',
      'package.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'nest-cli.json',
    ]) {
      await cp(path.join(ROOT, entry), path.join(clone, entry), { recursive: true });
    }
    await symlink(path.join(ROOT, 'node_modules'), path.join(clone, 'node_modules'));
    logFile = path.join(clone, 'service.log');
    const requests = Array.from({ length: 20 }, (_, i) => ({
      id: `req-${i}`,
      startMs: 1_800_000_000_000 + i * 50,
      durationMs: 4,
    }));
    await writeFile(
      logFile,
      logOf(requests)
        .map((line) => JSON.stringify(line))
        .join('\n') + '\n',
    );
  });
  afterAll(() => rm(clone, { recursive: true, force: true }));

  it('builds first, saying so on stderr, and then analyses', async () => {
    const analyze = await npmRun(clone, 'analyze', [logFile, '--json']);
    expect(analyze.code).toBe(0);
    expect(analyze.stderr).toMatch(/^Building first \(dist\/libs\/log-analysis\/src\/cli\/analyze\.js is missing/);
    expect(analyze.stderr).not.toMatch(/MODULE_NOT_FOUND/);
    // stdout is the tool's alone: the build's output does not spoil the JSON.
    expect(JSON.parse(analyze.stdout).summary.requests).toBe(20);

    const trace = await npmRun(clone, 'trace', ['req-3', logFile]);
    expect(trace.code).toBe(0);
    expect(trace.stderr).toBe('');
    expect(trace.stdout).toContain('req-3');
  }, 180_000);
});
