// Building on demand, for the npm scripts that run built code (npm start,
// npm run analyze, npm run trace): a fresh clone, or a change to the sources,
// is built first, and a build that is up to date costs nothing.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NEST_CLI = path.join(ROOT, 'node_modules/@nestjs/cli/bin/nest.js');
/** What tsconfig.build.json compiles, and the files that say how. */
const SOURCES = ['apps', 'libs', 'tsconfig.json', 'tsconfig.build.json', 'nest-cli.json'];

function newestSourceTime(entry) {
  const stats = statSync(entry, { throwIfNoEntry: false });
  if (stats === undefined) return 0;
  if (!stats.isDirectory()) return /\.spec\.ts$/.test(entry) ? 0 : stats.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(entry)) {
    if (name === 'test' || name === 'node_modules') continue;
    newest = Math.max(newest, newestSourceTime(path.join(entry, name)));
  }
  return newest;
}

/** True when `builtFile` (under dist/) is missing or older than a source. */
export function buildIsStale(builtFile) {
  const built = statSync(builtFile, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  return SOURCES.some((source) => newestSourceTime(path.join(ROOT, source)) > built);
}

/**
 * Starts `nest build`, its output on stderr so that the stdout of what runs
 * next (JSON, say) stays clean. The child process is returned for signals.
 */
export function startBuild() {
  return spawn(process.execPath, [NEST_CLI, 'build'], { cwd: ROOT, stdio: ['ignore', process.stderr, process.stderr] });
}
