#!/usr/bin/env node
// `npm start`: builds the service when its sources are newer than the build
// (or there is none), then runs it in the foreground until it stops, and
// exits with its exit status.
//
// Stopping `npm start` by npm's pid stops everything, with the service's
// usual drain, and npm exits only once the service has stopped and flushed
// its logs. npm passes SIGTERM and SIGINT on to this script, which passes
// them on to the build or the service and waits for it. npm does not pass
// on SIGHUP: it dies of it, and this script, seeing it has lost its parent,
// sends the service SIGHUP itself. Between npm and the service there is no
// shell, which would die of the signal and leave the service running.
//
//   npm start                                  build if needed, then run
//   node scripts/start.mjs --no-build          run the build as it is
//
// Exit status: the service's (0 after a clean stop); the build's when it
// failed; 128+n when stopped by signal n during the build.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import path from 'node:path';
import { buildIsStale, ROOT, startBuild } from './lib/build.mjs';
import { exitStatus } from './lib/exit-status.mjs';

const MAIN = path.join(ROOT, 'dist/apps/taskoverflow/src/main.js');
const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'];
const PARENT_CHECK_MS = 200;

let child;
let stopSignal;

function stop(signal) {
  stopSignal ??= signal;
  child?.kill(signal);
}

for (const signal of STOP_SIGNALS) process.on(signal, () => stop(signal));
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) stop('SIGHUP');
}, PARENT_CHECK_MS).unref();

/** Waits for a child process in the foreground; resolves with its exit status. */
async function foreground(started) {
  child = started;
  const status = await exitStatus(started);
  child = undefined;
  return status;
}

if (!process.argv.includes('--no-build') && buildIsStale(MAIN)) {
  const code = await foreground(startBuild());
  if (code !== 0 || stopSignal !== undefined) {
    process.exit(stopSignal !== undefined ? 128 + constants.signals[stopSignal] : code);
  }
}
// A signal that came between the two steps: the service stops as soon as it can.
const service = foreground(spawn(process.execPath, [MAIN], { cwd: ROOT, stdio: 'inherit' }));
if (stopSignal !== undefined) child.kill(stopSignal);
process.exitCode = await service;
