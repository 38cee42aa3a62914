#!/usr/bin/env node
// `npm run analyze`, `npm run trace` and `npm run k6`: runs a command-line tool from the
// build, building first when the build is missing or older than the sources
// (the build's messages go to stderr, so that the tool's stdout stays its own).
//
//   node scripts/run-built.mjs <file under dist/> [arguments...]
//
// Exit status: the tool's; the build's when the build failed.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { buildIsStale, ROOT, startBuild } from './lib/build.mjs';
import { exitStatus } from './lib/exit-status.mjs';

const [entry, ...args] = process.argv.slice(2);
if (entry === undefined) {
  console.error('usage: node scripts/run-built.mjs <file under dist/> [arguments...]');
  process.exit(2);
}
const built = path.join(ROOT, 'dist', entry);

if (buildIsStale(built)) {
  console.error(`Building first (${path.relative(ROOT, built)} is missing or older than the sources)...`);
  const code = await exitStatus(startBuild());
  if (code !== 0) process.exit(code);
}
process.exitCode = await exitStatus(spawn(process.execPath, [built, ...args], { stdio: 'inherit' }));
